// The live views' rows (a grid over the 2-D plane) and, while a fit holds the GPU, their predictions
// from a checkpoint's weights with the float64 reference forward pass: small (a 64x64 grid of a 2-D
// net, a few dozen digits), a few ms per refresh. Once the fit is over the trainer's own (GPU) predict
// draws them.
import { layerCount, size, type ModelSpec, type Params } from '../model.ts';
import { forward, toParams64 } from '../reference/mlp.ts';

export interface Bounds {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** Bounding box of 2-D points [n][2], widened by 10% on each side. */
export function boundsOf(x: Float32Array): Bounds {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let i = 0; i + 1 < x.length; i += 2) {
    x0 = Math.min(x0, x[i]!);
    x1 = Math.max(x1, x[i]!);
    y0 = Math.min(y0, x[i + 1]!);
    y1 = Math.max(y1, x[i + 1]!);
  }
  if (!(x1 > x0)) {
    x0 -= 1;
    x1 += 1;
  }
  if (!(y1 > y0)) {
    y0 -= 1;
    y1 += 1;
  }
  const mx = 0.1 * (x1 - x0),
    my = 0.1 * (y1 - y0);
  return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
}

export interface Predictions {
  /** Predicted class per row. */
  readonly cls: Uint8Array;
  /** Probability the model gives that class (for MSE: the clamped output). */
  readonly conf: Float32Array;
}

/** Class and confidence for rows x[rows][n0], in inference mode: batch-normalised layers use their
 *  running averages, as evaluation does, so a prediction depends on its own row only (not on the grid
 *  or the other digits it is computed with). */
export function predict(spec: ModelSpec, params: Params, x: Float64Array, rows: number): Predictions {
  const { a } = forward(spec, toParams64(params), x, rows, undefined, 'eval');
  const z = a[a.length - 1]!;
  const k = size(spec, layerCount(spec));
  const cls = new Uint8Array(rows);
  const conf = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (k === 1) {
      const p = spec.loss === 'bce' ? 1 / (1 + Math.exp(-z[r]!)) : Math.min(1, Math.max(0, z[r]!));
      cls[r] = p > 0.5 ? 1 : 0;
      conf[r] = Math.max(p, 1 - p);
      continue;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (z[r * k + c]! > z[r * k + best]!) best = c;
    cls[r] = best;
    if (spec.loss === 'ce') {
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c]! - z[r * k + best]!);
      conf[r] = 1 / s;
    } else conf[r] = Math.min(1, Math.max(0, z[r * k + best]!));
  }
  return { cls, conf };
}

/** A regression model's first output per row x[rows][n0], in inference mode and in training units
 *  (the caller undoes the targets' standardisation). */
export function predictValues(spec: ModelSpec, params: Params, x: Float64Array, rows: number): Float32Array {
  const { a } = forward(spec, toParams64(params), x, rows, undefined, 'eval');
  const z = a[a.length - 1]!;
  const k = size(spec, layerCount(spec));
  return Float32Array.from({ length: rows }, (_, r) => z[r * k]!);
}

/** The centres of a res x res grid over `b` as rows [res·res][2], row 0 at the top (largest y). */
export function boundaryGrid(b: Bounds, res: number): Float32Array {
  const x = new Float32Array(res * res * 2);
  for (let j = 0; j < res; j++) {
    for (let i = 0; i < res; i++) {
      const r = j * res + i;
      x[2 * r] = b.x0 + ((i + 0.5) / res) * (b.x1 - b.x0);
      x[2 * r + 1] = b.y1 - ((j + 0.5) / res) * (b.y1 - b.y0);
    }
  }
  return x;
}
