// Try the model on the 2-D plane: a click on the decision boundary asks the worker for the model's
// output at that point (the library's predict, on the trainer), shown under the canvas with a marker.
import type { FromWorker, ViewData } from './protocol.ts';

type Points = Extract<ViewData, { kind: 'points' }>;

export class Probe {
  private view: Points | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly out: HTMLElement,
    ask: (x: number, y: number) => void,
  ) {
    canvas.addEventListener('click', (ev) => {
      const v = this.view;
      if (!v) return;
      const r = canvas.getBoundingClientRect();
      const { x0, x1, y0, y1 } = v.bounds;
      ask(x0 + ((ev.clientX - r.left) / r.width) * (x1 - x0), y1 - ((ev.clientY - r.top) / r.height) * (y1 - y0));
    });
  }

  /** The model's view: clicks probe it; undefined (or another kind) turns probing off. */
  setView(v: ViewData | undefined): void {
    this.view = v?.kind === 'points' ? v : undefined;
    this.out.textContent = this.view ? 'Click the plane to see the model’s output at a point.' : '';
  }

  /** The worker's answer: the point, its class and each class's probability, and a ring where it is. */
  show(m: Extract<FromWorker, { type: 'probe' }>): void {
    const v = this.view;
    if (!v) return;
    const probs = m.values.map((p, k) => `${k}: ${(100 * p).toFixed(1)}%`).join(', ');
    this.out.textContent = `At (${m.x.toFixed(2)}, ${m.y.toFixed(2)}): class ${m.cls} · probabilities ${probs}`;
    const g = this.canvas.getContext('2d');
    if (!g) return;
    const { x0, x1, y0, y1 } = v.bounds;
    const px = ((m.x - x0) / (x1 - x0)) * this.canvas.width;
    const py = ((y1 - m.y) / (y1 - y0)) * this.canvas.height;
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.beginPath();
    g.arc(px, py, 6, 0, 2 * Math.PI);
    g.stroke();
  }
}
