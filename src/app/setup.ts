// A run's data and model from the page's settings, and the trainer that trains it: the steps train,
// sweep, load, check and gradcheck share.
import {
  createTrainer,
  datasetInfo,
  labeled,
  type Dataset,
  type GivenSplit,
  type LabeledData,
  type ModelInfo,
  type ModelSpec,
  type Params,
  type SavedModel,
  type Trainer,
  type TrainerOptions,
} from '../index.ts';
import type { AppGpu } from './gpu.ts';
import { loadDataset, prepare, type Prepared } from './data.ts';
import { modelSpecFor, runRecord, type Settings } from './settings.ts';

export interface Setup {
  readonly data: Prepared;
  readonly spec: ModelSpec;
  readonly train: LabeledData;
  readonly test: LabeledData;
  /** A sweep's dev rows (setup's devSplit > 0). */
  readonly dev: LabeledData | undefined;
  readonly maxBatch: number;
  /** What the model file keeps about the data: column and class names, the task. */
  readonly info: ModelInfo;
}

/** The user's files as read (a CSV's rows, or arrays), and whether its rows are 28×28 images. */
export interface UserData {
  readonly data: Dataset | GivenSplit;
  readonly images: boolean;
}

/** The settings' data, capped and split (`devSplit` of the training rows held out as dev rows), and
 *  the model for it. */
export async function setup(s: Settings, user: UserData | undefined, devSplit = 0): Promise<Setup> {
  const data = prepare(await loadDataset(s, user?.data), s, s.data === 'csv' && user?.images === true, devSplit);
  return {
    data,
    spec: modelSpecFor(s, data.features, data.classes, data.targets),
    train: labeled(data.train),
    test: labeled(data.test),
    dev: data.dev ? labeled(data.dev) : undefined,
    maxBatch: Math.min(s.batchSize, data.train.n),
    info: datasetInfo(data.train),
  };
}

/** The trainer for these settings: device (the worker's shared one, or the CPU), optimizer, regularisation, CSV standardisation (of the
 *  features, and of regression targets: metrics and predictions stay in the targets' units). Without
 *  `params` it starts from the seed's init (a sweep's trials: each from its own seed's); `from`, a model
 *  file or a trial's model, brings its scalings. */
export async function makeTrainer(
  s: Settings,
  st: Setup,
  gpu: AppGpu,
  params: Params | undefined,
  from?: SavedModel,
): Promise<Trainer> {
  const o: TrainerOptions = {
    spec: st.spec,
    ...(params ? { params } : {}),
    seed: s.seed,
    optimizer: s.optimizer,
    beta1: s.beta1,
    beta2: s.beta2,
    l2: s.l2,
    keepProb: s.keepProb,
    normalize: s.data === 'csv' ? 'standard' : 'none',
    device: await gpu.device(s),
    tuneStore: gpu.tunes,
    // The fused kernel for a small net, the layered plan otherwise; the progress line names the path.
    plan: 'auto',
    // The run's settings go into the model file, so loading it sets the form (src/app/model-settings.ts);
    // a model that comes with a record (a sweep trial's: its hyperparameters, the data's seed) keeps it.
    info: { ...st.info, trainedWith: from?.info.trainedWith ?? runRecord(s) },
    ...(st.data.targets > 0 ? { task: 'regression' as const, normalizeTarget: true } : {}),
    ...(from ? { model: { ...from, params: params ?? from.params } } : {}),
  };
  return createTrainer(o);
}

/** The task and names the page shows beside the model. */
export function dataNames(st: Setup): {
  task: 'classification' | 'regression';
  classNames?: readonly string[];
  targetNames?: readonly string[];
} {
  const { classNames, targetNames } = st.info;
  return {
    task: st.data.targets > 0 ? 'regression' : 'classification',
    ...(classNames ? { classNames } : {}),
    ...(targetNames ? { targetNames } : {}),
  };
}
