// The 2-D decision boundary (a coloured probability grid under the data points), the MNIST digit
// grid with predictions (mistakes in red), and a regression's predicted-vs-true scatter. Drawn from
// what the worker sends.
import { niceTicks, tickLabels } from './chart-format.ts';
import type { Predictions } from './predict.ts';
import type { ViewData } from './protocol.ts';

const PALETTE: readonly [number, number, number][] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const colour = (c: number) => PALETTE[c % PALETTE.length]!;
const css = (c: number) => `rgb(${colour(c).join(',')})`;

export function drawBoundary(
  canvas: HTMLCanvasElement,
  v: Extract<ViewData, { kind: 'points' }>,
  p: Predictions | undefined,
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: W, height: H } = canvas;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  if (p) {
    // Paint the grid at its own resolution, then scale it up smoothly.
    const grid = new OffscreenCanvas(v.res, v.res);
    const gg = grid.getContext('2d');
    if (gg) {
      const img = gg.createImageData(v.res, v.res);
      for (let i = 0; i < v.res * v.res; i++) {
        const [r, gr, b] = colour(p.cls[i]!);
        const a = 0.15 + 0.45 * Math.max(0, (p.conf[i]! - 0.5) * 2); // paler where the model is unsure
        img.data[4 * i] = 255 + (r - 255) * a;
        img.data[4 * i + 1] = 255 + (gr - 255) * a;
        img.data[4 * i + 2] = 255 + (b - 255) * a;
        img.data[4 * i + 3] = 255;
      }
      gg.putImageData(img, 0, 0);
      g.imageSmoothingEnabled = true;
      g.drawImage(grid, 0, 0, W, H);
    }
  }
  const { x0, x1, y0, y1 } = v.bounds;
  for (let i = 0; i < v.labels.length; i++) {
    const px = ((v.x[2 * i]! - x0) / (x1 - x0)) * W;
    const py = ((y1 - v.x[2 * i + 1]!) / (y1 - y0)) * H;
    g.beginPath();
    g.arc(px, py, i >= v.testFrom ? 3.5 : 2.5, 0, 2 * Math.PI);
    g.fillStyle = css(v.labels[i]!);
    g.fill();
    g.strokeStyle = i >= v.testFrom ? '#000' : '#fff';
    g.lineWidth = i >= v.testFrom ? 1.2 : 0.6;
    g.stroke();
  }
}

/** Builds the digit cells once per run; updateDigits fills in the predictions. */
export function drawDigits(root: HTMLElement, v: Extract<ViewData, { kind: 'digits' }>): void {
  root.replaceChildren();
  for (let d = 0; d < v.labels.length; d++) {
    const cell = document.createElement('figure');
    cell.className = 'digit';
    const c = document.createElement('canvas');
    c.width = c.height = 28;
    const g = c.getContext('2d');
    if (g) {
      const img = g.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const val = 255 - v.pixels[d * 784 + i]!;
        img.data.set([val, val, val, 255], 4 * i);
      }
      g.putImageData(img, 0, 0);
    }
    const cap = document.createElement('figcaption');
    cap.textContent = `${v.labels[d]} → ?`;
    cell.append(c, cap);
    root.append(cell);
  }
}

export function updateDigits(root: HTMLElement, v: Extract<ViewData, { kind: 'digits' }>, p: Predictions): number {
  let wrong = 0;
  root.querySelectorAll('figure').forEach((cell, d) => {
    const label = v.labels[d]!;
    const pred = p.cls[d]!;
    cell.classList.toggle('wrong', pred !== label);
    if (pred !== label) wrong++;
    const cap = cell.querySelector('figcaption');
    if (cap) cap.textContent = pred === label ? `${pred} ✓` : `${pred} ✗ (${label})`;
  });
  return wrong;
}

/** Predicted (y) against true (x) values on one scale, with the diagonal a perfect model would lie on;
 *  returns R² over these rows. */
export function drawScatter(
  canvas: HTMLCanvasElement,
  v: Extract<ViewData, { kind: 'scatter' }>,
  predicted: Float32Array | undefined,
): number {
  const g = canvas.getContext('2d');
  const { width: W, height: H } = canvas;
  const t = v.truth;
  let lo = Infinity,
    hi = -Infinity,
    mean = 0;
  for (let i = 0; i < t.length; i++) {
    lo = Math.min(lo, t[i]!, predicted?.[i] ?? t[i]!);
    hi = Math.max(hi, t[i]!, predicted?.[i] ?? t[i]!);
    mean += t[i]! / t.length;
  }
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = 0.05 * (hi - lo);
  lo -= pad;
  hi += pad;
  const px = (val: number) => ((val - lo) / (hi - lo)) * W;
  const py = (val: number) => H - ((val - lo) / (hi - lo)) * H;
  let sse = 0,
    sst = 0;
  if (g) {
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    g.strokeStyle = '#999';
    g.setLineDash([4, 4]);
    g.beginPath();
    g.moveTo(0, H);
    g.lineTo(W, 0);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#555';
    g.font = '11px system-ui, sans-serif';
    g.fillText(`true ${v.target} →`, W - 90, H - 20);
    g.fillText('↑ predicted', 4, 12);
    drawScatterTicks(g, W, H, lo, hi);
  }
  for (let i = 0; i < t.length; i++) {
    const p = predicted?.[i];
    sst += (t[i]! - mean) ** 2;
    if (p === undefined) continue;
    sse += (p - t[i]!) ** 2;
    if (!g) continue;
    g.beginPath();
    g.arc(px(t[i]!), py(p), 2.5, 0, 2 * Math.PI);
    g.fillStyle = css(0);
    g.fill();
  }
  return predicted && sst > 0 ? 1 - sse / sst : NaN;
}

/** Round ticks on both axes of the scatter (same range on each): marks on the bottom and left edges,
 *  labels beside them, none so close to a corner that it runs into the other axis's labels. */
function drawScatterTicks(g: CanvasRenderingContext2D, W: number, H: number, lo: number, hi: number): void {
  const { values, step } = niceTicks(lo, hi, 5);
  const labels = tickLabels(values, step, false);
  g.strokeStyle = '#555';
  values.forEach((val, i) => {
    const x = ((val - lo) / (hi - lo)) * W;
    const y = H - ((val - lo) / (hi - lo)) * H;
    g.beginPath();
    g.moveTo(x, H);
    g.lineTo(x, H - 4);
    g.moveTo(0, y);
    g.lineTo(4, y);
    g.stroke();
    if (x > 24 && x < W - 24) {
      g.textAlign = 'center';
      g.fillText(labels[i]!, x, H - 6);
    }
    if (y > 24 && y < H - 24) {
      g.textAlign = 'left';
      g.fillText(labels[i]!, 6, y + 4);
    }
  });
  g.textAlign = 'left';
}

/** One sweep trial's small chart: training loss (blue) and dev loss (red) per epoch on a y-scale shared
 *  by every trial ([0, yMax], higher points clipped to the top), the x-axis the sweep's epochs. */
export function drawSweepCurves(
  canvas: HTMLCanvasElement,
  train: readonly number[],
  dev: readonly number[],
  epochs: number,
  yMax: number,
): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width: W, height: H } = canvas;
  const pad = 4;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  g.strokeStyle = '#e4e4e4';
  g.lineWidth = 1;
  g.strokeRect(0.5, 0.5, W - 1, H - 1);
  const px = (epoch: number) => pad + (epochs > 1 ? ((epoch - 1) / (epochs - 1)) * (W - 2 * pad) : (W - 2 * pad) / 2);
  const py = (v: number) => H - pad - (Math.min(v, yMax) / yMax) * (H - 2 * pad);
  const line = (ys: readonly number[], colour: string) => {
    g.strokeStyle = colour;
    g.lineWidth = 1.5;
    g.beginPath();
    let drawing = false;
    ys.forEach((v, i) => {
      if (!Number.isFinite(v)) return void (drawing = false); // a diverged epoch: a gap
      if (drawing) g.lineTo(px(i + 1), py(v));
      else g.moveTo(px(i + 1), py(v));
      drawing = true;
    });
    g.stroke();
    const last = ys.length - 1;
    if (last >= 0 && Number.isFinite(ys[last]!)) {
      g.fillStyle = colour;
      g.fillRect(px(last + 1) - 1.5, py(ys[last]!) - 1.5, 3, 3);
    }
  };
  line(train, css(0));
  line(dev, css(3));
}
