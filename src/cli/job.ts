// Turns parsed options into a training job: data loaded and split, the model spec, its starting weights
// and how the trainer fits it. Shared by the CPU path (runs in Node) and the GPU path (shipped to the browser).
import { readInput } from './common.ts';
import { parseCsv } from '../data/csv.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadMnist } from '../data/mnist.ts';
import { splitDataset } from '../lib/data.ts';
import { syntheticDataset } from '../data/synthetic.ts';
import { initParams } from '../init.ts';
import { paramsFromSafetensors } from '../io/safetensors.ts';
import { outputsForClasses, validateSpec, type ModelSpec, type Params } from '../model.ts';
import { checkSameRun, decodeCheckpoint, type Checkpoint, type LoopPosition, type TrainState } from '../train/checkpoint.ts';
import type { TrainOptions } from './args.ts';
import type { JobMeta } from './protocol.ts';

export interface Job {
  readonly dataName: string;
  /** Settings a checkpoint records; a resumed run must have the same. */
  readonly run: Record<string, string | number | boolean>;
  /** What the trainer is made with and how it fits: the same for the page (GPU) and Node (CPU). */
  readonly meta: JobMeta;
  readonly params: Params;
  /** Raw rows (the trainer normalises them); dev is held out of train (n = 0 without --dev-split). */
  readonly train: Dataset;
  readonly test: Dataset;
  readonly dev: Dataset;
  /** Exact backend state saved with the checkpoint being resumed (CPU reference: float64 weights). */
  readonly resumeState?: TrainState;
}

export function loadDataset(opts: TrainOptions): Dataset {
  switch (opts.data.kind) {
    case 'mnist':
      return loadMnist();
    case 'synthetic':
      return syntheticDataset(opts.data.name, opts.samples, opts.seed);
    case 'csv': {
      return parseCsv(new TextDecoder().decode(readInput(opts.data.path, '--data')), opts.data.path);
    }
  }
}

const none = (d: Dataset): Dataset => ({ ...d, n: 0, x: new Float32Array(0), labels: new Uint32Array(0) });

export function buildJob(opts: TrainOptions): Job {
  const data = loadDataset(opts);
  // The dev set comes out of the training rows; the trainer fits the normalisation on the rows that
  // are trained on only.
  const { train, test, dev } = splitDataset(data, { testSplit: opts.testSplit, devSplit: opts.devSplit, seed: opts.seed });
  const loss = opts.loss === 'auto' ? (data.classes === 2 ? 'bce' : 'ce') : opts.loss;
  if (loss === 'bce' && data.classes !== 2) throw new Error(`--loss bce needs 2 classes, ${data.name} has ${data.classes}: use ce or mse`);
  const spec: ModelSpec = {
    sizes: [data.features, ...opts.hidden, loss === 'bce' ? 1 : loss === 'ce' ? data.classes : outputsForClasses(data.classes)],
    activation: opts.activation,
    loss,
    ...(opts.batchNorm ? { batchNorm: true } : {}),
  };
  validateSpec(spec);
  const run = {
    data: opts.data.kind === 'csv' ? opts.data.path : opts.data.kind === 'synthetic' ? opts.data.name : 'mnist',
    samples: opts.samples, testSplit: opts.testSplit, normalize: opts.normalize, seed: opts.seed,
    batchSize: opts.batchSize, lr: opts.lr, shuffle: opts.shuffle,
    optimizer: opts.optimizer, beta1: opts.beta1, beta2: opts.beta2, l2: opts.l2, keepProb: opts.keepProb,
    ...(opts.loss !== 'auto' ? { loss: opts.loss } : {}), // only when set: older checkpoints stay resumable
    lrDecay: JSON.stringify(opts.lrDecay ?? null), devSplit: opts.devSplit,
    ...(opts.batchNorm ? { batchNorm: true } : {}), // only when set: older checkpoints stay resumable
  };
  let params: Params;
  let resume: LoopPosition | undefined;
  let resumeState: TrainState | undefined;
  if (opts.resume) {
    if (opts.init) throw new Error('--resume and --init both give starting weights: use one');
    const bytes = readInput(opts.resume, '--resume');
    let c: Checkpoint;
    try {
      c = decodeCheckpoint(bytes, spec, opts.resume);
    } catch (e) {
      throw new Error(`--resume ${opts.resume}: ${e instanceof Error ? e.message : String(e)} (model is [${spec.sizes.join(',')}])`);
    }
    checkSameRun(c.run, run, opts.resume);
    params = c.params;
    resume = c.position;
    resumeState = c.state;
    const f64 = Object.keys(c.state).some((k) => k.startsWith('f64.'));
    if (f64 !== (opts.device === 'cpu')) {
      throw new Error(`--resume ${opts.resume}: this checkpoint was written by --device ${f64 ? 'cpu' : 'gpu'}; resume it on the same device to continue bit-for-bit`);
    }
  } else if (opts.init) {
    const bytes = readInput(opts.init, '--init');
    try {
      params = paramsFromSafetensors(bytes, spec);
    } catch (e) {
      throw new Error(`--init ${opts.init}: ${e instanceof Error ? e.message : String(e)} (model is [${spec.sizes.join(',')}])`);
    }
  } else params = initParams(spec, opts.seed);
  const meta: JobMeta = {
    spec, seed: opts.seed, normalize: opts.normalize,
    info: {
      ...(data.featureNames ? { featureNames: data.featureNames } : {}), ...(data.classNames ? { classNames: data.classNames } : {}),
      ...(data.labelName ? { labelName: data.labelName } : {}), trainedWith: run,
    },
    optimizer: opts.optimizer, beta1: opts.beta1, beta2: opts.beta2, l2: opts.l2, keepProb: opts.keepProb,
    fit: {
      epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, seed: opts.seed, shuffle: opts.shuffle, evalEvery: opts.evalEvery,
      ...(opts.lrDecay ? { lrDecay: opts.lrDecay } : {}), ...(opts.earlyStopping !== undefined ? { earlyStopping: opts.earlyStopping } : {}),
      ...(opts.checkpoint ? { checkpointEvery: opts.checkpointEvery } : {}),
    },
    rows: { train: train.n, test: test.n, dev: dev?.n ?? 0 },
    matmul: opts.matmul, ...(opts.stepsPerSubmit !== undefined ? { stepsPerSubmit: opts.stepsPerSubmit } : {}),
    ...(opts.gpuDataBudget !== undefined ? { gpuDataBudget: opts.gpuDataBudget } : {}),
    ...(resume ? { resume } : {}), postCheckpoints: opts.checkpoint !== undefined,
  };
  return { dataName: data.name, run, meta, params, train, test, dev: dev ?? none(train), ...(resumeState ? { resumeState } : {}) };
}
