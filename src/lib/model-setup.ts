// A model beside its data, as the front ends need it: what the model file records about the rows it was
// trained on (and a sweep trial's hyperparameters), and how two architectures compare (a model file
// against the settings). The architecture itself is buildSpec's (spec.ts).
import type { Dataset } from '../data/dataset.ts';
import type { ModelSpec } from '../model.ts';
import type { ModelInfo } from './model-file.ts';
import type { Trial } from './sweep.ts';

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
