// Turns parsed options into a training job: data loaded and split, the model spec, its starting weights
// and how the trainer fits it. Shared by the CPU path (runs in Node) and the GPU path (shipped to the browser).
import { totalmem } from 'node:os';
import { inFlags, readInput } from './common.ts';
import {
  checkSameRun,
  dataNames,
  decodeCheckpoint,
  buildSpec,
  checkHostMemory,
  paramsFromSafetensors,
  splitDataset,
  targetCount,
  toyDataset,
  type Checkpoint,
  type CsvOptions,
  type Dataset,
  type LoopPosition,
  type ModelSpec,
  type Params,
  type TrainState,
} from '../index.ts';
import { loadIdxDir, loadMnist, loadNpyPair, loadNpz, readCsvFile, type Loaded } from '../node.ts';
import type { DataSource, TrainOptions } from './args.ts';
import type { JobMeta } from './protocol.ts';
import type { JobData } from './run-job.ts';

export interface Job {
  readonly dataName: string;
  /** How the values were read and where the test rows came from, for the log. */
  readonly notes: readonly string[];
  /** Why the model learns meta.task (auto: from the label column). */
  readonly taskReason: string;
  /** Settings a checkpoint records; a resumed run must have the same. */
  readonly run: Record<string, string | number | boolean>;
  /** What the trainer is made with and how it fits: the same for the page (GPU) and Node (CPU). */
  readonly meta: JobMeta;
  /** Starting weights from --init or --resume; absent: the trainer makes them from the seed. */
  readonly params?: Params;
  /** Raw rows (the trainer normalises them); dev is held out of train (n = 0 without --dev-split). */
  readonly train: Dataset;
  readonly test: Dataset;
  readonly dev: Dataset;
  /** Exact backend state saved with the checkpoint being resumed (CPU reference: float64 weights). */
  readonly resumeState?: TrainState;
}

/** What runJob trains on in this process (CPU reference, or Node on Dawn): the rows, the starting
 *  weights and the state a resumed run continues from. */
export const jobData = (job: Job): JobData => ({
  train: job.train,
  test: job.test,
  dev: job.dev,
  ...(job.params ? { params: job.params } : {}),
  ...(job.resumeState ? { resumeState: job.resumeState } : {}),
});

/** The rows of --data: one set for the seeded split, or train and test rows as the source gives them
 *  (IDX t10k files, an .npz's x_test), with notes on how the values were read. */
export function loadDataset(opts: TrainOptions): Loaded {
  switch (opts.data.kind) {
    case 'mnist':
      return { data: loadMnist(), notes: [] };
    case 'synthetic':
      return { data: toyDataset(opts.data.name, opts.samples, opts.seed), notes: [] };
    case 'csv':
      return { data: readCsvFile(opts.data.path, csvOptions(opts)).dataset, notes: [] };
    case 'idx':
      return loadIdxDir(opts.data.dir);
    case 'npz':
      return loadNpz(opts.data.path);
    case 'npy':
      return loadNpyPair(opts.data.path, opts.labels ?? '');
  }
}

/** How a run records its --data (a path or a name), as predict reads it back. */
export const recordedData = (d: DataSource): string =>
  d.kind === 'mnist' ? 'mnist' : d.kind === 'synthetic' ? d.name : d.kind === 'idx' ? d.dir : d.path;

/** The CSV reader's options from --label, --drop, --delimiter and --task. */
export function csvOptions(opts: TrainOptions): CsvOptions {
  return {
    ...(opts.label ? { label: opts.label } : {}),
    drop: opts.drop,
    task: opts.task,
    ...(opts.delimiter !== undefined ? { delimiter: opts.delimiter } : {}),
  };
}

/** The task of a loaded data set, and why it was chosen. */
function taskOf(data: Dataset, opts: TrainOptions): { task: 'classification' | 'regression'; reason: string } {
  if (opts.task !== 'auto') return { task: opts.task, reason: `--task ${opts.task}` };
  if (!data.y)
    return {
      task: 'classification',
      reason: `auto: ${data.classNames ? 'text' : 'integer'} labels${data.labelName ? ` in "${data.labelName}"` : ''}`,
    };
  const names = data.targetNames ?? [];
  return {
    task: 'regression',
    reason:
      names.length > 1
        ? `auto: ${names.length} label columns (${names.join(', ')})`
        : `auto: the label column "${names[0] ?? '?'}" holds non-integer numbers`,
  };
}

const none = (d: Dataset): Dataset => ({
  ...d,
  n: 0,
  x: new Float32Array(0),
  labels: new Uint32Array(0),
  ...(d.y ? { y: new Float32Array(0) } : {}),
});

/** The model for the training rows, by the library's rule (buildSpec); the loss flags checked first, in
 *  the command line's words. */
function specFor(opts: TrainOptions, data: Dataset, regression: boolean, reason: string): ModelSpec {
  if (regression && opts.loss !== 'auto' && opts.loss !== 'mse')
    throw new Error(`--loss ${opts.loss}: regression (${reason}) takes the mse loss`);
  if (opts.normalizeTarget && !regression)
    throw new Error(`--normalize-target is for regression; this run is classification (${reason})`);
  if (opts.loss === 'bce' && data.classes !== 2)
    throw new Error(`--loss bce needs 2 classes, ${data.name} has ${data.classes}: use ce or mse`);
  return buildSpec(
    {
      inputs: data.features,
      hidden: opts.hidden,
      ...(regression ? { outputs: targetCount(data) } : { classes: data.classes }),
      activation: opts.activation,
      ...(opts.loss !== 'auto' ? { loss: opts.loss } : {}),
      batchNorm: opts.batchNorm,
    },
    'model',
  );
}

/** The settings a checkpoint records and a model file keeps (trainedWith); a resumed run must have the
 *  same. Optional ones only when set, so older checkpoints stay resumable. */
function runRecord(opts: TrainOptions, given: boolean): Job['run'] {
  return {
    data: recordedData(opts.data),
    ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
    samples: opts.samples,
    testSplit: given ? 'given' : opts.testSplit,
    normalize: opts.normalize,
    seed: opts.seed,
    ...(opts.initSeed !== undefined ? { initSeed: opts.initSeed } : {}),
    batchSize: opts.batchSize,
    lr: opts.lr,
    shuffle: opts.shuffle,
    optimizer: opts.optimizer,
    beta1: opts.beta1,
    beta2: opts.beta2,
    l2: opts.l2,
    keepProb: opts.keepProb,
    ...(opts.loss !== 'auto' ? { loss: opts.loss } : {}),
    lrDecay: JSON.stringify(opts.lrDecay ?? null),
    devSplit: opts.devSplit,
    ...(opts.batchNorm ? { batchNorm: true } : {}),
    // The CSV options too; predict --split reads them to rebuild the same rows.
    ...(opts.label ? { label: opts.label.join(',') } : {}),
    ...(opts.drop.length > 0 ? { drop: opts.drop.join(',') } : {}),
    ...(opts.delimiter !== undefined ? { delimiter: opts.delimiter } : {}),
    ...(opts.task !== 'auto' ? { task: opts.task } : {}),
    ...(opts.normalizeTarget ? { normalizeTarget: true } : {}),
  };
}

/** Where the run starts: a checkpoint (--resume, checked against this run), weights from a file
 *  (--init), or none: the trainer's init of `initSeed`. */
function startOf(
  opts: TrainOptions,
  spec: ModelSpec,
  run: Job['run'],
): { params?: Params; resume?: LoopPosition; resumeState?: TrainState } {
  const model = `(model is [${spec.sizes.join(',')}])`;
  if (opts.resume) {
    if (opts.init) throw new Error('--resume and --init both give starting weights: use one');
    const bytes = readInput(opts.resume, '--resume');
    let c: Checkpoint;
    try {
      c = decodeCheckpoint(bytes, spec, opts.resume);
    } catch (e) {
      throw new Error(`--resume ${opts.resume}: ${e instanceof Error ? e.message : String(e)} ${model}`);
    }
    checkSameRun(c.run, run, opts.resume);
    const f64 = Object.keys(c.state).some((k) => k.startsWith('f64.'));
    if (f64 !== (opts.device === 'cpu')) {
      throw new Error(
        `--resume ${opts.resume}: this checkpoint was written by --device ${f64 ? 'cpu' : 'gpu'}; resume it on the same device to continue bit-for-bit`,
      );
    }
    return { params: c.params, resume: c.position, resumeState: c.state };
  }
  // A fresh start: the trainer makes the weights from the seed (createTrainer's initParams), after
  // checking that they fit the device.
  if (!opts.init) return {};
  const bytes = readInput(opts.init, '--init');
  try {
    return { params: paramsFromSafetensors(bytes, spec) };
  } catch (e) {
    throw new Error(`--init ${opts.init}: ${e instanceof Error ? e.message : String(e)} ${model}`);
  }
}

export function buildJob(opts: TrainOptions): Job {
  const loaded = loadDataset(opts);
  const given = 'train' in loaded.data;
  const { task, reason } = taskOf(given ? loaded.data.train : loaded.data, opts);
  // The dev set comes out of the training rows; the trainer fits the normalisation on the rows that
  // are trained on only.
  const { train, test, dev } = splitDataset(loaded.data, {
    testSplit: opts.testSplit,
    devSplit: opts.devSplit,
    seed: opts.seed,
  });
  const spec = specFor(opts, train, task === 'regression', reason);
  // Before any weight is made: a model that could never train stops here with one line.
  checkHostMemory(spec, opts.device, totalmem());
  // The weights' init, the shuffling and dropout; the data and its split stay on --seed.
  const initSeed = opts.initSeed ?? opts.seed;
  const run = runRecord(opts, given);
  const { params, resume, resumeState } = startOf(opts, spec, run);
  const meta: JobMeta = {
    spec,
    seed: initSeed,
    normalize: opts.normalize,
    ...(opts.normalizeTarget ? { normalizeTarget: true } : {}),
    task,
    names: dataNames(train),
    info: { trainedWith: run },
    optimizer: opts.optimizer,
    beta1: opts.beta1,
    beta2: opts.beta2,
    l2: opts.l2,
    keepProb: opts.keepProb,
    fit: {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      lr: opts.lr,
      seed: initSeed,
      shuffle: opts.shuffle,
      evalEvery: opts.evalEvery,
      ...(opts.lrDecay ? { lrDecay: opts.lrDecay } : {}),
      ...(opts.earlyStopping !== undefined ? { earlyStopping: opts.earlyStopping } : {}),
      ...(opts.checkpoint ? { checkpointEvery: opts.checkpointEvery } : {}),
    },
    rows: { train: train.n, test: test.n, dev: dev?.n ?? 0 },
    matmul: opts.matmul,
    plan: opts.plan,
    ...(opts.stepsPerSubmit !== undefined ? { stepsPerSubmit: opts.stepsPerSubmit } : {}),
    ...(opts.gpuDataBudget !== undefined ? { gpuDataBudget: opts.gpuDataBudget } : {}),
    ...(resume ? { resume } : {}),
    postCheckpoints: opts.checkpoint !== undefined,
  };
  const notes = [
    ...loaded.notes,
    ...(given
      ? [`the ${test.n} test rows that come with the data are used as given (--test-split does not apply)`]
      : []),
  ];
  return {
    dataName: train.name,
    notes,
    taskReason: inFlags(reason),
    run,
    meta,
    params,
    train,
    test,
    dev: dev ?? none(train),
    ...(resumeState ? { resumeState } : {}),
  };
}
