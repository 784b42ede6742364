// The live views' rows (a grid over the 2-D plane) and what the page draws of a model's outputs for
// them: a class and a confidence per row. While a fit holds the GPU the worker predicts from a
// checkpoint's weights with the library's referencePredict (the float64 reference: a 64x64 grid of a 2-D net,
// a few dozen digits, a few ms per refresh); once the fit is over, with the trainer's own (GPU) predict.
import { referencePredict, type Loss, type ModelInfo, type ModelSpec, type Params, type Prediction } from '../index.ts';

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

/** Class and confidence per row of a classifier's prediction: the class's probability, or for an 'mse'
 *  classifier its score clamped to [0, 1] (one unit: the score of class 1, so the confidence is the
 *  larger of it and its complement). */
export function classConfidence(p: Prediction, loss: Loss): Predictions {
  const conf = new Float32Array(p.rows);
  for (let r = 0; r < p.rows; r++) {
    const v = p.values[r * p.columns + (p.columns === 1 ? 0 : p.classes![r]!)]!;
    const score = Math.min(1, Math.max(0, v));
    conf[r] = loss !== 'mse' ? v : p.columns === 1 ? Math.max(score, 1 - score) : score;
  }
  return { cls: Uint8Array.from(p.classes!), conf };
}

/** Class and confidence for raw rows x[rows][n0] on the float64 reference (with info's normalisation), in
 *  inference mode: batch-normalised layers use their running averages, as evaluation does, so a
 *  prediction depends on its own row only (not on the grid or the other digits it is computed with). */
export function predict(
  spec: ModelSpec,
  params: Params,
  x: Float32Array | Float64Array,
  rows: number,
  info: ModelInfo = {},
): Predictions {
  return classConfidence(referencePredict({ spec, params, info }, x.subarray(0, rows * spec.sizes[0]!)), spec.loss);
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
