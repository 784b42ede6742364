// Predictions without a trainer or a device: the float64 reference's forward pass over a model's
// weights. For a handful of rows at a time (a decision-boundary grid, a few dozen digits), e.g. from a
// checkpoint's weights while a fit holds the GPU.
import { layerCount, size, type ModelSpec, type Params } from '../model.ts';
import { forward, toParams64 } from '../reference/mlp.ts';
import { TrainerError } from '../errors.ts';
import { applyNormalization } from './data.ts';
import type { ModelInfo } from './model-file.ts';
import type { Prediction } from './trainer.ts';

/** Probabilities and classes (or regression values in the targets' units) from the output layer's
 *  values z [rows][outputs], as Trainer.predict gives them. */
export function toPrediction(spec: ModelSpec, info: ModelInfo, z: Float64Array, rows: number): Prediction {
  const k = size(spec, layerCount(spec));
  const tn = info.targetNormalization;
  if (info.task === 'regression')
    return {
      rows,
      columns: k,
      values: tn ? Float32Array.from(z, (v, i) => v * tn.scale[i % k]! + tn.shift[i % k]!) : Float32Array.from(z),
    };
  const best = (r: number) => {
    let b = 0;
    for (let c = 1; c < k; c++) if (z[r * k + c]! > z[r * k + b]!) b = c;
    return b;
  };
  if (spec.loss === 'mse') {
    // Scores, not probabilities: the class is the largest (one unit: above 0.5), as the loss kernel counts it.
    const classes = Uint32Array.from({ length: rows }, (_, r) => (k === 1 ? (z[r]! > 0.5 ? 1 : 0) : best(r)));
    return { rows, columns: k, values: Float32Array.from(z), classes };
  }
  const columns = spec.loss === 'bce' ? 2 : k;
  const values = new Float32Array(rows * columns);
  const classes = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (spec.loss === 'bce') {
      const p = 1 / (1 + Math.exp(-z[r]!));
      values[2 * r] = 1 - p;
      values[2 * r + 1] = p;
      classes[r] = z[r]! > 0 ? 1 : 0;
      continue;
    }
    const b = best(r);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c]! - z[r * k + b]!);
    for (let c = 0; c < k; c++) values[r * k + c] = Math.exp(z[r * k + c]! - z[r * k + b]!) / s;
    classes[r] = b;
  }
  return { rows, columns, values, classes };
}

/** Outputs of a model for raw rows x [rows][features] on the float64 reference, in inference mode (batch
 *  norm with its running averages, no dropout), so each row's prediction is its own: what
 *  Trainer.predict gives, with info's normalisations applied. Throws TrainerError 'bad-input' for rows of
 *  the wrong width. */
export function predictRows(
  model: { readonly spec: ModelSpec; readonly params: Params; readonly info?: ModelInfo },
  x: Float32Array | Float64Array,
): Prediction {
  const { spec, params, info = {} } = model;
  const n0 = size(spec, 0);
  if (x.length % n0 !== 0)
    throw new TrainerError(
      'bad-input',
      `predictRows: ${x.length} values is not a whole number of rows of ${n0} features`,
    );
  const rows = x.length / n0;
  const nz = info.normalization;
  const input = nz ? applyNormalization(Float32Array.from(x), nz) : x;
  const { a } = forward(
    spec,
    toParams64(params),
    input instanceof Float64Array ? input : Float64Array.from(input),
    rows,
    undefined,
    'eval',
  );
  return toPrediction(spec, info, a[a.length - 1]!, rows);
}
