// The fit driver: a trainer's rows made into splits, a backend built for them, the shared training
// loop run on it with checkpoints kept in memory, and, when the WebGPU device is lost mid-run, a new
// device and the run resumed from the last checkpoint (bit-identical to an uninterrupted run).
import { FusedBackend } from '../gpu/fused-backend.ts';
import { TrainingPlan } from '../gpu/plan.ts';
import type { ModelSpec, Params } from '../model.ts';
import type { Split, TrainBackend, TrainConfig } from '../train/backend.ts';
import type { FitCheckpoint } from '../train/checkpoint.ts';
import {
  DivergenceError,
  GpuFailureError,
  runTraining,
  type LoopControl,
  type Summary,
  type TrainEvent,
} from '../train/loop.ts';
import { TrainerError } from '../errors.ts';
import type { LabeledData } from './data.ts';
import type { Engine } from './engine.ts';
import { EMPTY_SPLIT, type ModelData } from './model-data.ts';
import { DEFAULT_CHECKPOINT_STEPS, type FitOptions } from './options.ts';

/** What a fit needs of its trainer. */
export interface FitHost {
  readonly spec: ModelSpec;
  readonly config: TrainConfig;
  readonly engine: Engine;
  readonly data: ModelData;
  /** The default shuffling seed (the trainer's seed). */
  readonly seed: number;
  /** The trainer's parameters now. */
  params(): Params;
  /** Makes them `params`. */
  keep(params: Params): void;
  /** Makes `backend` the trainer's current one (its splits answer evaluate), freeing the one before;
   *  none: only that. Throws TrainerError 'destroyed' (freeing `backend`) once the trainer is destroyed. */
  bind(backend?: TrainBackend, sources?: ReadonlyMap<LabeledData, Split>): void;
}

/** The 'memory' event of a plan: the GPU memory it holds, and whether its data is resident or sharded. */
function memoryEvent(plan: TrainingPlan | FusedBackend, trainRows: number): TrainEvent {
  const list = plan.memory();
  const largest = list.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: 'none', bytes: 0 });
  const l = plan.layout;
  return {
    type: 'memory',
    bytes: plan.bytes,
    buffers: list.length,
    largest,
    data: l.mode === 'resident' ? l : { ...l, shards: Math.ceil(trainRows / l.shardRows) },
  };
}

/** Trains on `train` (raw rows) with options already checked (checkFitOptions). */
export async function runFit(host: FitHost, train: LabeledData, o: FitOptions, control: LoopControl): Promise<Summary> {
  try {
    return await fitOn(host, train, o, control);
  } finally {
    // A background tune ends with the fit, so a page or Worker closed after it has stored the answer.
    await host.engine.backgroundTune();
  }
}

async function fitOn(host: FitHost, train: LabeledData, o: FitOptions, control: LoopControl): Promise<Summary> {
  const { data } = host;
  data.fitScalings(train, 'fit: train');
  const tr = data.split(train, 'fit: train');
  const te = o.test ? data.split(o.test, 'fit: test') : EMPTY_SPLIT;
  const dv = o.dev ? data.split(o.dev, 'fit: dev') : EMPTY_SPLIT;
  if (tr.n < 1) throw new TrainerError('bad-input', 'fit: the training rows are empty');
  const batch = Math.min(o.batchSize, tr.n);
  const stepsPerEpoch = Math.ceil(tr.n / batch);
  const every = o.checkpointEvery ?? Math.min(stepsPerEpoch, DEFAULT_CHECKPOINT_STEPS);
  const sources = new Map<LabeledData, Split>([[train, 'train']]);
  if (o.test) sources.set(o.test, 'test');
  if (o.dev) sources.set(o.dev, 'dev');
  const emit = (e: TrainEvent) => {
    // Training has started: the time for a matmul tune left for later (none ran before the first step).
    if (e.type === 'progress') host.engine.tuneInBackground();
    // A software adapter is named at the start of every run, whichever backend the loop drives.
    const software = e.type === 'start' ? host.engine.context?.software : undefined;
    o.onEvent?.(e.type === 'start' && software ? { ...e, software } : e);
  };
  const loop = {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed ?? host.seed,
    shuffle: o.shuffle ?? true,
    evalEvery: o.evalEvery ?? 50,
    ...(o.lrDecay ? { lrDecay: o.lrDecay } : {}),
    ...(dv.n > 0 ? { devRows: dv.n } : {}),
    ...(o.earlyStopping !== undefined ? { earlyStopping: o.earlyStopping } : {}),
    // Sums over the splits' targets: once, not again on a new device after a loss.
    ...(data.regression ? { regression: data.regressionScale({ train: tr, test: te, dev: dv }) } : {}),
  };
  let last: FitCheckpoint | undefined = o.resume;
  for (let recoveries = 0; ; recoveries++) {
    host.bind();
    const backend = await host.engine.backend({
      spec: host.spec,
      params: last?.params ?? host.params(),
      train: tr,
      test: te,
      dev: dv,
      maxBatch: batch,
      config: host.config,
      regression: data.regression,
    });
    host.bind(backend, sources);
    if (last && backend.writeState && Object.keys(last.state).length > 0) backend.writeState(last.state);
    if (backend instanceof TrainingPlan || backend instanceof FusedBackend) emit(memoryEvent(backend, tr.n));
    try {
      const summary = await runTraining(backend, tr.n, te.n, loop, emit, {
        control,
        ...(last ? { resume: last.position } : {}),
        checkpointEvery: every,
        onCheckpoint: async (c) => {
          last = c;
          await o.onCheckpoint?.(c);
        },
      });
      host.keep(await backend.readParams());
      return summary;
    } catch (e) {
      // A diverged run, or one whose GPU work was rejected (never a lost device: that is no GPU
      // error), ends here with the parameters the loop restored to the last good ones.
      if (e instanceof DivergenceError || e instanceof GpuFailureError) {
        host.keep(await backend.readParams());
        throw e;
      }
      const lost = await host.engine.lostReason(e, recoveries, o.maxRecoveries ?? 3);
      host.bind();
      await host.engine.replaceDevice(lost);
      emit({
        type: 'recovered',
        fromStep: last?.position.step ?? 0,
        reason: `WebGPU device lost (${lost}); resumed on a new device`,
      });
    }
  }
}
