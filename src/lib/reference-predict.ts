// Predictions without a trainer or a device: the float64 reference's forward pass over a model's
// weights, turned into probabilities and classes as Trainer.predict turns its outputs. For a handful of
// rows at a time (a decision-boundary grid, a few dozen digits), e.g. from a checkpoint's weights while
// a fit holds the GPU.
import { size, type ModelSpec, type Params } from '../model.ts';
import { forward, toParams64 } from '../reference/mlp.ts';
import { TrainerError } from '../errors.ts';
import { applyNormalization } from './data.ts';
import type { ModelInfo } from './model-file.ts';
import type { Prediction } from './options.ts';
import { toPrediction } from './predict.ts';

/** Every layer's values on the float64 reference, in inference mode, of raw rows x with info's
 *  normalisation applied; `what` names the caller in the error for rows of the wrong width. */
function rawForward(
  model: { readonly spec: ModelSpec; readonly params: Params; readonly info?: ModelInfo },
  x: Float32Array | Float64Array,
  what: string,
): { a: Float64Array[]; rows: number } {
  const { spec, params, info = {} } = model;
  const n0 = size(spec, 0);
  if (x.length % n0 !== 0)
    throw new TrainerError('bad-input', `${what}: ${x.length} values is not a whole number of rows of ${n0} features`);
  const nz = info.normalization;
  const input = Float64Array.from(nz ? applyNormalization(Float32Array.from(x), nz) : x);
  const rows = x.length / n0;
  return { a: forward(spec, toParams64(params), input, rows, undefined, 'eval').a, rows };
}

/** Outputs of a model for raw rows x [rows][features] on the float64 reference, in inference mode (batch
 *  norm with its running averages, no dropout), so each row's prediction is its own: what
 *  Trainer.predict gives, with info's normalisations applied (a regression model, info.task, in the
 *  targets' units). Throws TrainerError 'bad-input' for rows of the wrong width. */
export function referencePredict(
  model: { readonly spec: ModelSpec; readonly params: Params; readonly info?: ModelInfo },
  x: Float32Array | Float64Array,
): Prediction {
  const { spec, info = {} } = model;
  const { a, rows } = rawForward(model, x, 'referencePredict');
  return toPrediction(spec, info, info.task === 'regression', a[a.length - 1]!, rows);
}

/** The output layer's values (logits for classification) of normalised rows x [rows][features] on the
 *  float64 reference, in inference mode. */
export function referenceOutputs(
  spec: ModelSpec,
  params: Params,
  x: Float32Array | Float64Array,
  rows: number,
): Float64Array {
  const { a } = forward(
    spec,
    toParams64(params),
    x instanceof Float64Array ? x : Float64Array.from(x),
    rows,
    undefined,
    'eval',
  );
  return a[a.length - 1]!;
}

/** Every layer's values of a model for raw rows x [rows][features] on the float64 reference, in inference
 *  mode, with info's normalisation applied: [0] the normalised inputs, [1..L−1] each hidden layer's
 *  activations g(z) (after batch norm), [L] the output layer's values (logits for classification),
 *  each [rows][n_l]. For drawing what each unit computes (the web app's network view). */
export function referenceActivations(
  model: { readonly spec: ModelSpec; readonly params: Params; readonly info?: ModelInfo },
  x: Float32Array | Float64Array,
): Float64Array[] {
  return rawForward(model, x, 'referenceActivations').a;
}
