// Draw a digit: a canvas drawn on with the mouse, a pen or a finger (pointer events), made into MNIST's
// 28×28 input as MNIST's digits were (src/app/digit-pixels.ts) and sent to the worker, which answers
// with the library's predict: the class and every class's probability, updated as the user draws (one
// request in flight at a time, at most every THROTTLE_MS).
import { mnistPixels } from './digit-pixels.ts';
import type { TryAnswer } from './try-model.ts';

const THROTTLE_MS = 150;
/** The pen's width in canvas pixels: MNIST's strokes are about 2–3 of its 20 box pixels wide. */
const PEN = 20;

export class DigitPad {
  private readonly g: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private inFlight = false;
  private dirty = false;
  private lastSent = 0;
  private usable = false;

  constructor(
    private readonly panel: HTMLElement,
    private readonly canvas: HTMLCanvasElement,
    private readonly out: HTMLElement,
    private readonly bars: HTMLElement,
    /** The 28×28 pixels the model was given, drawn as they are. */
    private readonly seen: HTMLCanvasElement,
    private readonly ask: (ink: Float32Array) => void,
  ) {
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new Error('draw a digit: no 2-D canvas context');
    this.g = g;
    this.clear();
    canvas.addEventListener('pointerdown', (ev) => this.down(ev));
    canvas.addEventListener('pointermove', (ev) => this.move(ev));
    canvas.addEventListener('pointerup', () => this.up());
    canvas.addEventListener('pointercancel', () => this.up());
  }

  /** Shown for a digit model (28×28 inputs); drawing asks the model only while no run holds it. */
  setModel(digits: boolean): void {
    this.panel.hidden = !digits;
    if (digits) this.request();
  }

  setBusy(busy: boolean): void {
    this.usable = !busy;
    this.inFlight = false; // a request refused by a run that started does not block the next one
    this.canvas.classList.toggle('busy', busy);
    if (busy) this.out.textContent = 'Training: draw once the run has ended.';
    else if (!this.panel.hidden) this.request(); // the model changed: ask again about the drawing
  }

  /** Wipes the drawing and the answer. */
  clear(): void {
    this.g.fillStyle = '#000';
    this.g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.out.textContent = 'Draw a digit in the square.';
    delete this.out.dataset.class;
    this.bars.replaceChildren();
    this.seen.getContext('2d')?.clearRect(0, 0, this.seen.width, this.seen.height);
  }

  private point(ev: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((ev.clientX - r.left) / r.width) * this.canvas.width,
      y: ((ev.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  private down(ev: PointerEvent): void {
    this.canvas.setPointerCapture(ev.pointerId);
    this.last = this.point(ev);
    this.stroke(this.last);
  }

  private move(ev: PointerEvent): void {
    if (!this.last) return;
    this.stroke(this.point(ev));
    if (performance.now() - this.lastSent >= THROTTLE_MS) this.request();
  }

  private up(): void {
    if (!this.last) return;
    this.last = undefined;
    this.request();
  }

  private stroke(to: { x: number; y: number }): void {
    const g = this.g;
    const from = this.last ?? to;
    g.strokeStyle = '#fff';
    g.lineWidth = PEN;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.beginPath();
    g.moveTo(from.x, from.y);
    g.lineTo(to.x + 0.01, to.y); // a dot is a line of (nearly) no length
    g.stroke();
    this.last = to;
  }

  /** Sends the drawing as 28×28 ink, or marks it to be sent when the answer in flight comes back. */
  private request(): void {
    if (!this.usable) return;
    if (this.inFlight) return void (this.dirty = true);
    const { width: w, height: h } = this.canvas;
    const rgba = this.g.getImageData(0, 0, w, h).data;
    const ink = mnistPixels(
      Float32Array.from({ length: w * h }, (_, i) => rgba[4 * i]! / 255),
      w,
      h,
    );
    if (!ink) return;
    this.inFlight = true;
    this.dirty = false;
    this.lastSent = performance.now();
    this.ask(ink);
  }

  /** The model's answer: its class, and a bar per class for its probability. */
  show(m: Extract<TryAnswer, { type: 'digit' }>): void {
    this.inFlight = false;
    const best = m.values[m.cls] ?? 0;
    this.out.textContent = `The model says ${m.cls} (${(100 * best).toFixed(1)}%)`;
    this.out.dataset.class = String(m.cls);
    this.bars.replaceChildren(
      ...m.values.map((p, k) => {
        const row = document.createElement('div');
        row.className = k === m.cls ? 'bar best' : 'bar';
        row.innerHTML = `<span>${k}</span><i style="width:${(100 * p).toFixed(1)}%"></i><span>${(100 * p).toFixed(1)}%</span>`;
        return row;
      }),
    );
    this.drawSeen(m.pixels);
    if (this.dirty) this.request();
  }

  private drawSeen(pixels: Float32Array): void {
    const g = this.seen.getContext('2d');
    if (!g) return;
    const max = pixels.reduce((a, b) => Math.max(a, b), 0) || 1;
    const img = g.createImageData(28, 28);
    pixels.forEach((v, i) => {
      const c = Math.round((255 * v) / max);
      img.data.set([c, c, c, 255], 4 * i);
    });
    g.putImageData(img, 0, 0);
  }
}
