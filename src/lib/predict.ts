// What predict and evaluate hand back: raw rows checked and flattened, the output layer's values turned
// into probabilities and classes (or regression values in the targets' units), and a split's sums into
// an Evaluation.
import { layerCount, size, type InputNormalization, type ModelSpec } from '../model.ts';
import type { Stats } from '../train/backend.ts';
import { regressionMetrics, type RegressionScale, type TargetMetrics } from '../train/metrics.ts';
import { TrainerError } from '../errors.ts';
import type { ModelInfo } from './model-file.ts';
import type { Evaluation, Prediction } from './options.ts';

/** What predict takes: rows [rows][features] flat in a Float32Array or Float64Array, or an array of rows. */
export type PredictInput = Float32Array | Float64Array | readonly (readonly number[] | Float32Array | Float64Array)[];

/** predict's rows as one Float32Array [rows][features], every value checked finite. */
export function predictRows(spec: ModelSpec, x: PredictInput): Float32Array {
  const n0 = size(spec, 0);
  const bad = (m: string) => new TrainerError('bad-input', `predict: ${m}`);
  const wants = `give rows as a Float32Array or Float64Array of rows × ${n0} features, or an array of rows of ${n0} numbers`;
  let flat: Float32Array;
  if (x instanceof Float32Array) flat = x;
  else if (x instanceof Float64Array) flat = Float32Array.from(x);
  else if (Array.isArray(x)) {
    flat = new Float32Array(x.length * n0);
    x.forEach((row: unknown, i) => {
      if (typeof row === 'number')
        throw bad(
          `x is an array of numbers, not of rows; ${wants} (one row: [[${x.slice(0, 3).join(', ')}${x.length > 3 ? ', …' : ''}]])`,
        );
      if (!(Array.isArray(row) || row instanceof Float32Array || row instanceof Float64Array))
        throw bad(`row ${i} is not an array of numbers; ${wants}`);
      if (row.length !== n0) throw bad(`row ${i} has ${row.length} values, the model takes ${n0} features`);
      for (let c = 0; c < n0; c++) {
        const v: unknown = row[c];
        if (typeof v !== 'number') throw bad(`x[${i}][${c}] is ${String(v)}, not a number`);
        flat[i * n0 + c] = v;
      }
    });
  } else throw bad(`x is ${x === null ? 'null' : typeof x}; ${wants}`);
  if (flat.length % n0 !== 0) throw bad(`${flat.length} values is not a whole number of rows of ${n0} features`);
  for (let i = 0; i < flat.length; i++)
    if (!Number.isFinite(flat[i]!))
      throw bad(`x[${Math.floor(i / n0)}][${i % n0}] is ${flat[i]}; every feature must be finite`);
  return flat;
}

/** The most probable class of each row of z [rows][k] (one unit: above `threshold`). */
function argmax(z: Float64Array, rows: number, k: number, threshold: number): Uint32Array {
  return Uint32Array.from({ length: rows }, (_, r) => {
    if (k === 1) return z[r]! > threshold ? 1 : 0;
    let best = 0;
    for (let c = 1; c < k; c++) if (z[r * k + c]! > z[r * k + best]!) best = c;
    return best;
  });
}

/** A regression model's outputs z [rows][k] in the targets' units, in float64: standardised targets
 *  (targetNormalization) turned back, z · scale + shift per output. */
export function targetValues(z: Float64Array, tn: InputNormalization | undefined, k: number): Float64Array {
  return tn ? z.map((v, i) => v * tn.scale[i % k]! + tn.shift[i % k]!) : z;
}

/** Probabilities (softmax or sigmoid, in float64) and classes from the output layer's values z;
 *  regression values back in the targets' units. */
export function toPrediction(
  spec: ModelSpec,
  info: ModelInfo,
  regression: boolean,
  z: Float64Array,
  rows: number,
): Prediction {
  const k = size(spec, layerCount(spec));
  if (regression) return { rows, columns: k, values: Float32Array.from(targetValues(z, info.targetNormalization, k)) };
  // A classifier trained with squared error on 0/1 or one-hot targets: its outputs are scores, not
  // probabilities; the class is the largest (one unit: above 0.5), as the loss kernel counts it.
  if (spec.loss === 'mse') return { rows, columns: k, values: Float32Array.from(z), classes: argmax(z, rows, k, 0.5) };
  const classes = argmax(z, rows, k, 0);
  if (spec.loss === 'bce') {
    const values = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const p = 1 / (1 + Math.exp(-z[r]!));
      values[2 * r] = 1 - p;
      values[2 * r + 1] = p;
    }
    return { rows, columns: 2, values, classes };
  }
  const values = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const best = classes[r]!;
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c]! - z[r * k + best]!);
    for (let c = 0; c < k; c++) values[r * k + c] = Math.exp(z[r * k + c]! - z[r * k + best]!) / s;
  }
  return { rows, columns: k, values, classes };
}

/** A split's sums as an Evaluation; regression: the pooled RMSE, MAE and R² of `scale`'s train split
 *  (also as rmse, mae, r2 with one target; r2 alone with several, their units differing) and each
 *  target's, `targets`. */
export function toEvaluation(
  s: Stats,
  scale: RegressionScale | undefined,
  targets: readonly TargetMetrics[] = [],
): Evaluation {
  const base = { loss: s.lossSum / s.count, rows: s.count };
  if (!scale) return { ...base, accuracy: s.correct / s.count };
  const m = regressionMetrics(s, scale, 'train');
  const pooled = { ...m, units: scale.standardised ? ('standardised' as const) : ('targets' as const) };
  return { ...base, accuracy: NaN, ...(scale.outputs === 1 ? m : { r2: m.r2 }), pooled, targets };
}
