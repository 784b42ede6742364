// A model from a front end's settings and data: the architecture (the one rule for output units and the
// 'auto' loss), what the model file records about the data, how two architectures compare, and the ONNX
// options a model's info implies. The CLI, the web app and createTrainer all build through these.
import type { Dataset } from '../data/dataset.ts';
import type { OnnxOptions } from '../io/onnx.ts';
import { outputsForClasses, validateSpec, type Activation, type Loss, type ModelSpec } from '../model.ts';
import { TrainerError, messageOf } from '../errors.ts';
import type { ModelInfo } from './model-file.ts';
import type { Trial } from './sweep.ts';

/** An architecture by its parts: inputs, hidden widths, and classes (classification) or outputs
 *  (regression). */
export interface ArchitectureOptions {
  readonly inputs?: number;
  /** Hidden layer widths (default [32, 32]; [] for logistic/softmax regression). */
  readonly hidden?: readonly number[];
  /** Classes (2: one sigmoid output with binary cross-entropy; more: softmax). */
  readonly classes?: number;
  /** Outputs of a regression model (loss 'mse'). */
  readonly outputs?: number;
  /** Hidden activation (default 'relu'). */
  readonly activation?: Activation;
  /** Output and cost; 'auto' or absent: 'bce' for 2 classes, 'ce' for more, 'mse' with outputs. */
  readonly loss?: Loss | 'auto';
  /** Batch normalisation on every hidden layer (written into the spec only when on, as model files do). */
  readonly batchNorm?: boolean;
}

/** The architecture the options describe: one sigmoid unit for 'bce', a unit per class for 'ce' and for
 *  'mse' on more than two classes (one 0/1 unit on two), `outputs` linear units for regression. Throws
 *  TrainerError 'bad-input' naming the option; `what` starts the message. */
export function modelSpec(o: ArchitectureOptions, what = 'modelSpec'): ModelSpec {
  const bad = (m: string) => new TrainerError('bad-input', `${what}: ${m}`);
  if (o.inputs === undefined) throw bad('give inputs, with classes (classification) or outputs (regression)');
  const chosen = o.loss === 'auto' ? undefined : o.loss;
  let loss: Loss;
  let out: number;
  if (o.outputs !== undefined) {
    loss = chosen ?? 'mse';
    out = o.outputs;
  } else if (o.classes !== undefined) {
    if (!Number.isInteger(o.classes) || o.classes < 2) throw bad(`classes must be an integer >= 2, got ${o.classes}`);
    loss = chosen ?? (o.classes === 2 ? 'bce' : 'ce');
    if (loss === 'bce' && o.classes !== 2) throw bad(`loss 'bce' needs 2 classes, got ${o.classes}; use 'ce'`);
    out = loss === 'bce' ? 1 : loss === 'ce' ? o.classes : outputsForClasses(o.classes);
  } else throw bad('give classes (classification) or outputs (regression)');
  const spec: ModelSpec = {
    sizes: [o.inputs, ...(o.hidden ?? [32, 32]), out],
    activation: o.activation ?? 'relu',
    loss,
    ...(o.batchNorm ? { batchNorm: true } : {}),
  };
  try {
    validateSpec(spec);
  } catch (e) {
    throw bad(messageOf(e));
  }
  return spec;
}

/** What a model file records about the rows it was trained on: feature, class and label names, and for
 *  regression (rows with targets y) the task and the target names. */
export function datasetInfo(d: Dataset): ModelInfo {
  return {
    ...(d.featureNames ? { featureNames: d.featureNames } : {}),
    ...(d.classNames ? { classNames: d.classNames } : {}),
    ...(d.labelName ? { labelName: d.labelName } : {}),
    ...(d.y ? { task: 'regression' as const, ...(d.targetNames ? { targetNames: d.targetNames } : {}) } : {}),
  };
}

/** A sweep trial's model info: the sweep's, with the trial's hyperparameters and index in trainedWith
 *  (its seed as initSeed: the data's seed stays the run's, so the same rows can be found again). */
export function trialInfo(info: ModelInfo, trial: Trial): ModelInfo {
  const h = trial.hyper;
  return {
    ...info,
    trainedWith: {
      ...(info.trainedWith ?? {}),
      lr: h.lr,
      l2: h.l2,
      keepProb: h.keepProb,
      beta1: h.beta1,
      beta2: h.beta2,
      initSeed: h.seed,
      sweepTrial: trial.index,
    },
  };
}

/** The ONNX export's options for a model with this info: its input and target normalisations. */
export function onnxOptions(info: ModelInfo): OnnxOptions {
  return {
    ...(info.normalization ? { normalization: info.normalization } : {}),
    ...(info.targetNormalization ? { targetNormalization: info.targetNormalization } : {}),
  };
}

/** How two architectures differ: undefined when they are the same, 'batchNorm' when only batch norm
 *  does, 'architecture' otherwise. */
export function specDifference(a: ModelSpec, b: ModelSpec): 'batchNorm' | 'architecture' | undefined {
  const same =
    a.activation === b.activation &&
    a.loss === b.loss &&
    a.sizes.length === b.sizes.length &&
    a.sizes.every((n, i) => n === b.sizes[i]);
  if (!same) return 'architecture';
  return (a.batchNorm === true) === (b.batchNorm === true) ? undefined : 'batchNorm';
}

/** True when two specs describe the same architecture (batchNorm false and absent are the same). */
export const sameSpec = (a: ModelSpec, b: ModelSpec): boolean => specDifference(a, b) === undefined;

/** An architecture in words: "sizes [2,16,1], relu, loss bce, no batch norm". */
export const describeSpec = (s: ModelSpec): string =>
  `sizes [${s.sizes.join(',')}], ${s.activation}, loss ${s.loss}, ${s.batchNorm === true ? 'with' : 'no'} batch norm`;
