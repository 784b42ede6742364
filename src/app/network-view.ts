// The network, live: layers as columns of units (at most MAX_UNITS drawn, "+N more" under a wider one),
// the weights between drawn units as lines, blue for positive and orange for negative, wider and more
// opaque the larger |w| (scaled to the layer's largest); for a 2-D input each unit is a small heatmap
// of its value over the input plane (network-data.ts), as in TensorFlow Playground. The worker posts
// the data at a run's checkpoints (network-worker.ts); this page only draws it, on a 2-D canvas. The
// "Live network view" checkbox stops the worker's updates (and drops any still on their way).
import type { NetworkData, NetworkLayer } from './network-data.ts';
import type { FromWorker, ToNetwork } from './protocol.ts';

const POSITIVE = [31, 95, 191] as const;
const NEGATIVE = [230, 120, 20] as const;
const BACKGROUND = '#f7f7fa';
/** Canvas space above the columns (layer names) and below (the "+N more" lines). */
const TOP = 18;
const BOTTOM = 16;

/** A value in [−1, 1] as a colour from orange (−1) through white (0) to blue (+1). */
function diverging(v: number): [number, number, number] {
  const c = v >= 0 ? POSITIVE : NEGATIVE;
  const t = Math.min(1, Math.abs(v));
  return [255 + (c[0] - 255) * t, 255 + (c[1] - 255) * t, 255 + (c[2] - 255) * t];
}

/** Where a column's drawn units sit: their centres' y and the unit box's side. */
interface Column {
  readonly x: number;
  readonly ys: readonly number[];
}

export class NetworkView {
  private live = true;
  private updates = 0;
  private readonly panel: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tile = document.createElement('canvas');

  /** The view of the page's #network-panel and #network-canvas, fed by the worker's 'network' messages;
   *  #network-live switches the worker's updates on and off. */
  constructor(worker: Worker, $: (id: string) => HTMLElement) {
    this.panel = $('network-panel');
    this.canvas = $('network-canvas') as HTMLCanvasElement;
    const box = $('network-live') as HTMLInputElement;
    box.addEventListener('change', () => {
      this.live = box.checked;
      worker.postMessage({ type: 'network-live', on: box.checked } satisfies ToNetwork);
    });
    worker.addEventListener('message', (ev: MessageEvent<FromWorker>) => {
      if (ev.data.type === 'network' && this.live) this.draw(ev.data.data);
    });
  }

  private draw(d: NetworkData): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    this.panel.hidden = false;
    const { width, height } = this.canvas;
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, width, height);
    const most = Math.max(...d.layers.map((l) => l.shown));
    const side = Math.max(6, Math.min(36, Math.floor((height - TOP - BOTTOM) / most) - 4));
    const step = (width - side) / Math.max(1, d.layers.length - 1);
    const columns = d.layers.map((l, i): Column => ({
      x: side / 2 + i * step,
      ys: Array.from({ length: l.shown }, (_, u) => height / 2 + (u - (l.shown - 1) / 2) * (side + 4)),
    }));
    d.layers.forEach((l, i) => {
      if (i > 0) this.lines(ctx, l, columns[i - 1]!, columns[i]!, side);
    });
    d.layers.forEach((l, i) => this.units(ctx, d, l, i, columns[i]!, side));
    if (d.tooLarge) {
      ctx.fillStyle = '#555';
      ctx.fillText('weights only: this net is too large to redraw its units live', 4, height - 4);
    }
    this.updates++;
    this.canvas.dataset['updates'] = String(this.updates); // for tests: redraws so far, columns drawn
    this.canvas.dataset['columns'] = String(columns.length);
  }

  /** The weights into layer `l`'s drawn units from the previous column's. */
  private lines(ctx: CanvasRenderingContext2D, l: NetworkLayer, from: Column, to: Column, side: number): void {
    const w = l.weights;
    if (!w) return;
    let max = 0;
    for (const v of w) max = Math.max(max, Math.abs(v));
    if (!(max > 0)) return;
    const n = from.ys.length;
    to.ys.forEach((yj, j) =>
      from.ys.forEach((yi, i) => {
        const v = w[j * n + i]! / max;
        const [r, g, b] = v >= 0 ? POSITIVE : NEGATIVE;
        ctx.strokeStyle = `rgba(${r},${g},${b},${(0.1 + 0.8 * Math.abs(v)).toFixed(3)})`;
        ctx.lineWidth = 0.4 + 2.6 * Math.abs(v);
        ctx.beginPath();
        ctx.moveTo(from.x + side / 2, yi);
        ctx.lineTo(to.x - side / 2, yj);
        ctx.stroke();
      }),
    );
  }

  /** A column's units (heatmaps, or plain boxes without a 2-D plane), its name and its "+N more". */
  private units(ctx: CanvasRenderingContext2D, d: NetworkData, l: NetworkLayer, i: number, c: Column, side: number) {
    const last = i === d.layers.length - 1;
    c.ys.forEach((y, u) => {
      const x0 = c.x - side / 2,
        y0 = y - side / 2;
      if (l.grids)
        this.heatmap(ctx, l.grids.subarray(u * d.res * d.res, (u + 1) * d.res * d.res), d, last, x0, y0, side);
      else {
        ctx.fillStyle = '#dde3ee';
        ctx.fillRect(x0, y0, side, side);
      }
      ctx.strokeStyle = '#888';
      ctx.lineWidth = 1;
      ctx.strokeRect(x0, y0, side, side);
    });
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    ctx.textAlign = i === 0 ? 'left' : last ? 'right' : 'center';
    const tx = i === 0 ? 0 : last ? c.x + side / 2 : c.x;
    ctx.fillText(i === 0 ? `input (${l.units})` : last ? `output (${l.units})` : `hidden ${i} (${l.units})`, tx, 12);
    if (l.units > l.shown) ctx.fillText(`+${l.units - l.shown} more`, tx, this.canvas.height - 4);
  }

  /** One unit's values over the plane: a probability p as 2p − 1, any other value over the unit's
   *  largest |value|, on the orange–white–blue scale. */
  private heatmap(
    ctx: CanvasRenderingContext2D,
    g: Float32Array,
    d: NetworkData,
    output: boolean,
    x0: number,
    y0: number,
    side: number,
  ): void {
    const prob = output && d.probabilities;
    let max = 0;
    for (const v of g) max = Math.max(max, Math.abs(v));
    const img = new ImageData(d.res, d.res);
    g.forEach((v, k) => {
      const [r, gg, b] = diverging(prob ? 2 * v - 1 : max > 0 ? v / max : 0);
      img.data.set([r, gg, b, 255], 4 * k);
    });
    this.tile.width = this.tile.height = d.res;
    this.tile.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.tile, x0, y0, side, side);
  }
}
