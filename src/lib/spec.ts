// The one spec builder: the architecture that a front-end's settings (a spec, a saved model, or
// inputs, hidden widths and classes or outputs) describe, checked.
import { TrainerError, messageOf } from '../errors.ts';
import { outputsForClasses, validateSpec, type Activation, type Loss, type ModelSpec } from '../model.ts';

/** The architecture fields of createTrainer's options. */
export interface SpecOptions {
  /** A complete architecture; or give inputs, hidden and classes (or outputs) instead. */
  readonly spec?: ModelSpec;
  /** A trained model to continue from (decodeModel's result); its spec is used. */
  readonly model?: { readonly spec: ModelSpec };
  /** Number of input features. */
  readonly inputs?: number;
  /** Hidden layer widths (default [32, 32]; [] for logistic/softmax regression). */
  readonly hidden?: readonly number[];
  /** Number of classes (2: one sigmoid output with binary cross-entropy; more: softmax). */
  readonly classes?: number;
  /** Outputs of a regression model (loss 'mse'). */
  readonly outputs?: number;
  /** Hidden activation (default 'relu'). */
  readonly activation?: Activation;
  /** Output and cost (default: 'bce' for 2 classes, 'ce' for more, 'mse' with outputs). */
  readonly loss?: Loss;
  /** Batch normalisation on every hidden layer. */
  readonly batchNorm?: boolean;
}

/** The architecture the options describe: model.spec, else spec, else one built from inputs, hidden
 *  and classes (or outputs), checked. Throws TrainerError 'bad-input' with messages that start with
 *  `what` (default 'createTrainer'). */
export function buildSpec(o: SpecOptions, what = 'createTrainer'): ModelSpec {
  const spec = o.model?.spec ?? o.spec ?? specFromSizes(o, what);
  try {
    validateSpec(spec);
  } catch (e) {
    throw new TrainerError('bad-input', `${what}: ${messageOf(e)}`);
  }
  return spec;
}

function specFromSizes(o: SpecOptions, what: string): ModelSpec {
  const bad = (m: string) => new TrainerError('bad-input', `${what}: ${m}`);
  if (o.inputs === undefined) throw bad('give spec, model, or inputs with classes (or outputs)');
  let loss: Loss;
  let out: number;
  if (o.outputs !== undefined) {
    loss = o.loss ?? 'mse';
    out = o.outputs;
  } else if (o.classes !== undefined) {
    if (!Number.isInteger(o.classes) || o.classes < 2) throw bad(`classes must be an integer >= 2, got ${o.classes}`);
    loss = o.loss ?? (o.classes === 2 ? 'bce' : 'ce');
    if (loss === 'bce' && o.classes !== 2) throw bad(`loss 'bce' needs 2 classes, got ${o.classes}; use 'ce'`);
    out = loss === 'bce' ? 1 : loss === 'ce' ? o.classes : outputsForClasses(o.classes);
  } else throw bad('give classes (classification) or outputs (regression)');
  return {
    sizes: [o.inputs, ...(o.hidden ?? [32, 32]), out],
    activation: o.activation ?? 'relu',
    loss,
    ...(o.batchNorm ? { batchNorm: true } : {}),
  };
}
