// Turns parsed options into a training job: data loaded, split, normalised, the model spec and its
// starting weights. Shared by the CPU path (runs in Node) and the GPU path (shipped to the browser).
import { readFileSync } from 'node:fs';
import { parseCsv, normalize } from '../data/csv.ts';
import { targets, type Dataset } from '../data/dataset.ts';
import { loadMnist } from '../data/mnist.ts';
import { trainTestSplit } from '../data/split.ts';
import { syntheticDataset } from '../data/synthetic.ts';
import { initParams } from '../init.ts';
import { paramsFromSafetensors } from '../io/safetensors.ts';
import { outputsForClasses, validateSpec, type ModelSpec, type Params } from '../model.ts';
import type { SplitData, TrainConfig } from '../train/backend.ts';
import type { LoopOptions } from '../train/loop.ts';
import { checkSameRun, decodeCheckpoint, type Checkpoint, type LoopPosition, type TrainState } from '../train/checkpoint.ts';
import type { TrainOptions } from './args.ts';

export interface Job {
  readonly dataName: string;
  /** Settings a checkpoint records; a resumed run must have the same. */
  readonly run: Record<string, string | number | boolean>;
  readonly resume?: LoopPosition;
  /** Exact backend state saved with the checkpoint being resumed (CPU reference: float64 weights). */
  readonly resumeState?: TrainState;
  readonly spec: ModelSpec;
  readonly params: Params;
  readonly train: SplitData;
  readonly test: SplitData;
  /** Held out of the training split for early stopping (n = 0 without --dev-split). */
  readonly dev: SplitData;
  readonly config: Partial<TrainConfig>;
  readonly loop: LoopOptions;
  readonly maxBatch: number;
  /** Training steps per WebGPU submit (absent: the plan's default); no effect on the results. */
  readonly stepsPerSubmit?: number;
}

export function loadDataset(opts: TrainOptions): Dataset {
  switch (opts.data.kind) {
    case 'mnist':
      return loadMnist();
    case 'synthetic':
      return syntheticDataset(opts.data.name, opts.samples, opts.seed);
    case 'csv': {
      let text: string;
      try {
        text = readFileSync(opts.data.path, 'utf8');
      } catch (e) {
        throw new Error(`--data ${opts.data.path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      return parseCsv(text, opts.data.path);
    }
  }
}

const split = (d: Dataset): SplitData => ({ x: d.x, y: targets(d), n: d.n });

export function buildJob(opts: TrainOptions): Job {
  const data = loadDataset(opts);
  let { train, test } = trainTestSplit(data, opts.testSplit, opts.seed);
  // The dev set comes out of the training rows (its own seeded permutation), before normalising, so
  // the normalisation is fitted on the rows that are trained on only.
  let dev: Dataset | undefined;
  if (opts.devSplit > 0) ({ train, test: dev } = trainTestSplit(train, opts.devSplit, opts.seed + 1));
  if (opts.normalize !== 'none') {
    const fitted = train;
    ({ train, test } = normalize(fitted, test, opts.normalize));
    if (dev) dev = normalize(fitted, dev, opts.normalize).test;
  }
  const spec: ModelSpec = {
    sizes: [data.features, ...opts.hidden, outputsForClasses(data.classes)],
    activation: opts.activation,
    loss: data.classes === 2 ? 'bce' : 'ce',
    ...(opts.batchNorm ? { batchNorm: true } : {}),
  };
  validateSpec(spec);
  const run = {
    data: opts.data.kind === 'csv' ? opts.data.path : opts.data.kind === 'synthetic' ? opts.data.name : 'mnist',
    samples: opts.samples, testSplit: opts.testSplit, normalize: opts.normalize, seed: opts.seed,
    batchSize: opts.batchSize, lr: opts.lr, shuffle: opts.shuffle,
    optimizer: opts.optimizer, beta1: opts.beta1, beta2: opts.beta2, l2: opts.l2, keepProb: opts.keepProb,
    lrDecay: JSON.stringify(opts.lrDecay ?? null), devSplit: opts.devSplit,
    ...(opts.batchNorm ? { batchNorm: true } : {}), // only when set: older checkpoints stay resumable
  };
  let params: Params;
  let resume: LoopPosition | undefined;
  let resumeState: TrainState | undefined;
  if (opts.resume) {
    if (opts.init) throw new Error('--resume and --init both give starting weights: use one');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(opts.resume));
    } catch (e) {
      throw new Error(`--resume ${opts.resume}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
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
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(opts.init));
    } catch (e) {
      throw new Error(`--init ${opts.init}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      params = paramsFromSafetensors(bytes, spec);
    } catch (e) {
      throw new Error(`--init ${opts.init}: ${e instanceof Error ? e.message : String(e)} (model is [${spec.sizes.join(',')}])`);
    }
  } else params = initParams(spec, opts.seed);
  const maxBatch = Math.min(opts.batchSize, train.n);
  const config: Partial<TrainConfig> = { optimizer: opts.optimizer, beta1: opts.beta1, beta2: opts.beta2, l2: opts.l2, keepProb: opts.keepProb, dropoutSeed: opts.seed };
  const devSplit = dev ? split(dev) : { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
  const loop: LoopOptions = {
    epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, seed: opts.seed, shuffle: opts.shuffle, evalEvery: opts.evalEvery,
    ...(opts.lrDecay ? { lrDecay: opts.lrDecay } : {}),
    ...(devSplit.n > 0 ? { devRows: devSplit.n } : {}),
    ...(opts.earlyStopping !== undefined ? { earlyStopping: opts.earlyStopping } : {}),
  };
  return {
    dataName: data.name, run, ...(resume ? { resume } : {}), ...(resumeState ? { resumeState } : {}),
    spec, params, train: split(train), test: split(test), dev: devSplit, config, maxBatch, loop,
    ...(opts.stepsPerSubmit !== undefined ? { stepsPerSubmit: opts.stepsPerSubmit } : {}),
  };
}
