// The training worker: holds the data and the model and trains through the library (createTrainer,
// fit), posting its events, so the page's main thread only draws. One training at a time; every request
// that would disturb a running one is refused with a message and the run goes on. Device loss is the
// library's business: the trainer replaces the device and resumes from its last checkpoint; the worker
// only tells the page.
import { autotuneMatmul, describeTune, type TuneStore } from '../gpu/autotune.ts';
import { acquireDevice } from '../gpu/device.ts';
import { preferredMatmul } from '../gpu/kernels.ts';
import { csvHeader } from '../data/csv.ts';
import type { GivenSplit } from '../data/dataset.ts';
import type { Dataset } from '../data/dataset.ts';
import { initParams } from '../init.ts';
import { checkFits, type AdapterLimits } from '../lib/budget.ts';
import { applyNormalization, labeled, type LabeledData } from '../lib/data.ts';
import { decodeModel, type ModelInfo, type SavedModel } from '../lib/model-file.ts';
import { compactNumber } from '../lib/sweep.ts';
import { createTrainer, Trainer, type Evaluation, type SweepTrialResult, type TrainerOptions } from '../lib/trainer.ts';
import { messageOf } from '../errors.ts';
import { paramCount, size, type ModelSpec, type Params } from '../model.ts';
import {
  checkSameRun,
  decodeCheckpoint,
  encodeCheckpoint,
  type LoopPosition,
  type TrainState,
} from '../train/checkpoint.ts';
import type { TrainEvent } from '../train/loop.ts';
import { loadDataset, prepare, type Prepared } from './data.ts';
import { isArrayFiles, readArrayBlobs as readArrayFiles, readCsvBlob } from '../index.ts';
import { boundaryGrid, boundsOf, predict, predictValues, type Predictions } from './predict.ts';
import type { ErrorContext, FromWorker, RunState, SplitFigures, ToWorker, ViewData } from './protocol.ts';
import { formatHidden, KEYS, modelSpecFor, trainConfig, type Settings } from './settings.ts';
import { clearRuns, latestRun, latestRunInfo, saveRun, tuneStore, type SavedRun, type SavedRunInfo } from './store.ts';
import { SWEEP_DEV_SPLIT, sweepTrials } from './sweep.ts';

const post = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, { transfer });
const message = messageOf;

// ---- GPU: what the page shows about the adapter (each trainer acquires its own device) ----
let limits: AdapterLimits | undefined;
let adapterError = 'WebGPU not initialised yet';
let adapterReady: Promise<void> | undefined;

const limitsOf = (d: GPUDevice): AdapterLimits => ({
  maxBufferSize: d.limits.maxBufferSize,
  maxStorageBufferBindingSize: d.limits.maxStorageBufferBindingSize,
});

/** Settles when the page's first autotune is over (measured or read from IndexedDB). */
let tuned: Promise<void> = Promise.resolve();

/** The app's tune cache for the trainers: a trainer's tune waits for the one started at init, so the
 *  adapter is timed once and every later trainer reads the answer. */
const trainerTunes: TuneStore = {
  load: async (adapter) => {
    await tuned;
    return tuneStore.load(adapter);
  },
  save: (adapter, entry) => tuneStore.save(adapter, entry),
};

/** Finds the adapter and tells the page its name and limits; then, in the background, runs (or reads
 *  from IndexedDB) the matmul autotune the trainers will use, so the page can show it before the first run. */
async function probeAdapter(): Promise<void> {
  const ctx = await acquireDevice();
  limits = limitsOf(ctx.device);
  post({ type: 'adapter', name: ctx.adapterName, limits });
  tuned = autotuneMatmul(ctx, tuneStore)
    .then(
      (r) => post({ type: 'tune', family: r.family, line: describeTune(r) }),
      (e: unknown) =>
        post({
          type: 'tune',
          family: preferredMatmul(ctx.adapterName),
          line: `matmul ${preferredMatmul(ctx.adapterName)} (autotune failed: ${message(e)})`,
        }),
    )
    .finally(() => ctx.device.destroy());
}

// ---- State ----
/** The user's data (from a CSV file, IDX files or an .npz) and whether its rows are 28×28 images. */
let csv: { data: Dataset | GivenSplit; images: boolean } | undefined;
/** Counts file reads: a read that a newer pick has replaced stops at its next chunk. */
let csvReads = 0;
/** The latest trained or loaded model and its trainer, kept for save, check and views. */
let model: { spec: ModelSpec; trainer: Trainer; dataName: string } | undefined;
/** A loaded model file: the next training starts from its weights. */
let loaded: { model: SavedModel; name: string } | undefined;
let stop: AbortController | undefined;
/** True while a sweep runs (it holds `stop` too): a sweep cannot be paused. */
let sweeping = false;
/** The last sweep: its settings and data, its trainer's info (the scalings fitted on its training rows)
 *  and every trial's result with its parameters, so that 'adopt' can make one the current model. */
let lastSweep: { settings: Settings; st: Setup; info: ModelInfo; results: SweepTrialResult[] } | undefined;

function setState(state: RunState, detail?: string): void {
  post(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
}

// ---- Data and model setup shared by train, load and check ----
interface Setup {
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

async function setup(s: Settings, devSplit = 0): Promise<Setup> {
  const data = prepare(await loadDataset(s, csv?.data), s, s.data === 'csv' && csv?.images === true, devSplit);
  const spec = modelSpecFor(s, data.features, data.classes, data.targets);
  const maxBatch = Math.min(s.batchSize, data.train.n);
  const d = data.train;
  const info: ModelInfo = {
    ...(d.featureNames ? { featureNames: d.featureNames } : {}),
    ...(d.classNames ? { classNames: d.classNames } : {}),
    ...(d.labelName ? { labelName: d.labelName } : {}),
    ...(data.targets > 0
      ? { task: 'regression' as const, ...(d.targetNames ? { targetNames: d.targetNames } : {}) }
      : {}),
  };
  return {
    data,
    spec,
    train: labeled(data.train),
    test: labeled(data.test),
    dev: data.dev ? labeled(data.dev) : undefined,
    maxBatch,
    info,
  };
}

/** The trainer for these settings: device, optimizer, regularisation, CSV standardisation (of the
 *  features, and of regression targets: metrics and predictions stay in the targets' units). Without
 *  `params` it starts from the seed's init (a sweep's trials: each from its own seed's). */
async function makeTrainer(s: Settings, st: Setup, params: Params | undefined, from?: SavedModel): Promise<Trainer> {
  const regression = st.data.targets > 0;
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
    device: s.device,
    tuneStore: trainerTunes,
    info: st.info,
    ...(regression ? { task: 'regression' as const, normalizeTarget: true } : {}),
    ...(from ? { model: { ...from, params: params ?? from.params } } : {}),
  };
  return createTrainer(o);
}

const describeSpec = (s: ModelSpec) =>
  `sizes [${s.sizes.join(',')}], ${s.activation}, loss ${s.loss}, ${s.batchNorm === true ? 'with' : 'no'} batch norm`;
const sameSpec = (a: ModelSpec, b: ModelSpec) =>
  a.activation === b.activation &&
  a.loss === b.loss &&
  (a.batchNorm === true) === (b.batchNorm === true) &&
  a.sizes.length === b.sizes.length &&
  a.sizes.every((n, i) => n === b.sizes[i]);

/** Why `file` (a model file's or loaded model's spec) does not fit `now`: names batch norm on its own when
 *  only that differs, since the rest of the description is then identical. */
function specMismatch(file: ModelSpec, now: ModelSpec): string {
  const fileBn = file.batchNorm === true;
  if (sameSpec({ ...file, batchNorm: false }, { ...now, batchNorm: false }) && fileBn !== (now.batchNorm === true)) {
    return fileBn
      ? 'the file is a batch-norm model (it has bn_gamma/bn_beta/bn_mean/bn_var tensors), the settings make one without batch norm: tick batch norm'
      : 'the file has no batch norm, the settings make a batch-norm model: untick batch norm';
  }
  return '';
}

/** The largest buffer of the run; throws before anything is allocated when one is over the limits. */
async function budget(s: Settings, st: Setup): Promise<{ name: string; bytes: number }> {
  if (s.device === 'gpu') {
    await adapterReady;
    if (!limits) throw new Error(`the GPU device is not available (${adapterError}); pick the CPU reference device`);
  }
  return checkFits(st.spec, trainConfig(s), s.device, limits, 'the adapter', {
    batchSize: st.maxBatch,
    rows: { train: st.data.train.n, test: st.data.test.n, dev: st.data.dev?.n ?? 0 },
  });
}

/** The task and names the page shows beside the model. */
function dataNames(st: Setup): {
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

function replaceModel(next: typeof model): void {
  if (model && model.trainer !== next?.trainer) model.trainer.destroy();
  model = next;
}

/** What the page draws for this data: points with a boundary grid, or the first test digits. Rows are raw. */
function viewData(st: Setup, dataName: string): { view: ViewData; rows: Float32Array | undefined } {
  const { data } = st;
  if (data.targets > 0) {
    // Predicted vs true first target of the test rows (training rows when there is no test split).
    const src = data.test.n > 0 ? data.test : data.train;
    const count = Math.min(SCATTER_ROWS, src.n);
    const truth = Float32Array.from({ length: count }, (_, r) => src.y![r * data.targets]!);
    return {
      view: { kind: 'scatter', truth, target: src.targetNames?.[0] ?? 'target' },
      rows: src.x.slice(0, count * data.features),
    };
  }
  if (data.features === 2) {
    // A sweep's dev rows are drawn as training points: they were held out of the training rows.
    const dev = data.dev ?? { x: new Float32Array(0), labels: new Uint32Array(0), n: 0 };
    const all = new Float32Array([...data.train.x, ...dev.x, ...data.test.x]);
    const labels = Uint8Array.from([...data.train.labels, ...dev.labels, ...data.test.labels]);
    return {
      view: {
        kind: 'points',
        x: all,
        labels,
        testFrom: data.train.n + dev.n,
        classes: data.classes,
        bounds: boundsOf(all),
        res: 64,
      },
      rows: undefined,
    };
  }
  if (dataName === 'mnist' || data.images) {
    const src = data.test.n > 0 ? data.test : data.train;
    const count = Math.min(40, src.n);
    const px = src.x.subarray(0, count * 784);
    return {
      view: {
        kind: 'digits',
        pixels: Uint8Array.from(px, (v) => Math.round(v * 255)),
        labels: Uint8Array.from(src.labels.subarray(0, count)),
      },
      rows: px.slice(),
    };
  }
  return { view: { kind: 'none' }, rows: undefined };
}

function transfers(v: ViewData): Transferable[] {
  return v.kind === 'points'
    ? [v.x.buffer, v.labels.buffer]
    : v.kind === 'digits'
      ? [v.pixels.buffer, v.labels.buffer]
      : v.kind === 'scatter'
        ? [v.truth.buffer]
        : [];
}

/** A copy for posting: the worker keeps its own view (bounds, labels) for later refreshes. */
function cloneView(v: ViewData): ViewData {
  if (v.kind === 'points') return { ...v, x: v.x.slice(), labels: v.labels.slice() };
  if (v.kind === 'digits') return { ...v, pixels: v.pixels.slice(), labels: v.labels.slice() };
  if (v.kind === 'scatter') return { ...v, truth: v.truth.slice() };
  return v;
}

/** Tells the page a model is ready: its sizes, the GPU memory its plan will take (from the plan's
 *  layout, before allocation) and its view (a copy, transferred; the worker keeps its own). */
function postReady(
  st: Setup,
  trainer: Trainer,
  largest: { name: string; bytes: number },
  view: ViewData,
  initFrom: string,
): void {
  const v = cloneView(view);
  const memory =
    trainer.device === 'gpu'
      ? {
          bytes: trainer
            .memoryEstimate(st.maxBatch, { train: st.data.train.n, test: st.data.test.n, dev: 0 })
            .reduce((a, b) => a + b.bytes, 0),
          largest,
          estimated: true,
        }
      : null;
  post(
    {
      type: 'ready',
      device: trainer.device,
      adapter: trainer.adapter,
      spec: st.spec,
      params: paramCount(st.spec),
      trainRows: st.data.train.n,
      testRows: st.data.test.n,
      devRows: st.data.dev?.n ?? 0,
      memory,
      view: v,
      initFrom,
      ...dataNames(st),
    },
    transfers(v),
  );
}

/** Class and confidence per raw row: through the trainer (GPU forward pass) when it is idle, else with
 *  the float64 reference from `params` (a checkpoint's, while a fit holds the GPU). */
async function viewPredictions(
  trainer: Trainer,
  spec: ModelSpec,
  rows: Float32Array,
  params?: Params,
): Promise<Predictions> {
  const n = rows.length / size(spec, 0);
  if (!params) {
    const p = await trainer.predict(rows);
    const conf = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      // An 'mse' classifier's scores, clamped to [0, 1] (one unit: the score of class 1); else the probability.
      const v = p.values[r * p.columns + (p.columns === 1 ? 0 : p.classes![r]!)]!;
      const score = Math.min(1, Math.max(0, v));
      conf[r] = spec.loss !== 'mse' ? v : p.columns === 1 ? Math.max(score, 1 - score) : score;
    }
    return { cls: Uint8Array.from(p.classes!), conf };
  }
  const nz = trainer.info.normalization;
  return predict(spec, params, Float64Array.from(nz ? applyNormalization(rows, nz) : rows), n);
}

/** A regression model's first output per raw row, in the targets' units: the trainer's predict when
 *  it is idle, else the float64 reference from `params` with the trainer's normalisations. */
async function viewValues(
  trainer: Trainer,
  spec: ModelSpec,
  rows: Float32Array,
  params?: Params,
): Promise<Float32Array> {
  const n = rows.length / size(spec, 0);
  if (!params) {
    const p = await trainer.predict(rows);
    return Float32Array.from({ length: n }, (_, r) => p.values[r * p.columns]!);
  }
  const { normalization: nz, targetNormalization: tn } = trainer.info;
  const z = predictValues(spec, params, Float64Array.from(nz ? applyNormalization(rows, nz) : rows), n);
  return tn ? z.map((v) => v * tn.scale[0]! + tn.shift[0]!) : z;
}

/** Recomputes the view's predictions from the model's current weights (or a checkpoint's). */
async function refreshView(
  view: ViewData,
  rows: Float32Array | undefined,
  epoch: number,
  params?: Params,
): Promise<void> {
  if (!model || view.kind === 'none') return;
  const { spec, trainer } = model;
  if (view.kind === 'scatter') {
    const values = await viewValues(trainer, spec, rows!, params);
    post({ type: 'view-values', epoch, values }, [values.buffer]);
    return;
  }
  const grid = view.kind === 'points' ? boundaryGrid(view.bounds, view.res) : rows!;
  const predictions = await viewPredictions(trainer, spec, grid, params);
  post({ type: 'view', epoch, predictions }, [predictions.cls.buffer, predictions.conf.buffer]);
}

// ---- Requests ----
/** Checkpoint settings that must match for a resumed run to be the same run. */
function runRecord(s: Settings): Record<string, string | number> {
  // batchNorm only when on (a number: the record holds strings and numbers), so runs saved before
  // the setting existed stay resumable.
  return Object.fromEntries(
    KEYS.flatMap((k): [string, string | number][] =>
      k === 'batchNorm'
        ? s.batchNorm
          ? [[k, 1]]
          : []
        : k === 'noise'
          ? s.noise === undefined
            ? []
            : [[k, s.noise]]
          : [[k, k === 'hidden' ? formatHidden(s.hidden) : (s[k] as string | number)]],
    ),
  );
}

/** Where a run starts: a checkpoint (position, weights, optimizer state) or step 0. */
interface Start {
  readonly position: LoopPosition;
  readonly params: Params;
  readonly state: TrainState;
}

/** Test rows in the regression view's scatter. */
const SCATTER_ROWS = 500;

/** Checkpoints every epoch, or every this many steps when epochs are longer. */
const CHECKPOINT_MAX_STEPS = 200;

async function train(s: Settings, saved?: SavedRun): Promise<void> {
  if (stop)
    throw new Error(
      sweeping ? 'a sweep is running: stop it first' : 'a training is already running: pause or stop it first',
    );
  const abort = new AbortController();
  stop = abort;
  setState('loading', saved ? `resuming ${s.data} at step ${saved.step}` : `preparing ${s.data}`);
  try {
    const st = await setup(s);
    const { spec } = st;
    const largest = await budget(s, st);
    let params: Params;
    let initFrom: string;
    let start: Start | undefined;
    if (saved) {
      const cp = decodeCheckpoint(saved.bytes, spec, 'the saved run');
      checkSameRun(cp.run, runRecord(s), 'the saved run');
      start = { position: cp.position, params: cp.params, state: cp.state };
      params = cp.params;
      initFrom = `checkpoint at step ${cp.position.step} (epoch ${cp.position.epoch}) of the saved run`;
    } else if (loaded) {
      if (!sameSpec(loaded.model.spec, spec)) {
        const bn = specMismatch(loaded.model.spec, spec);
        throw new Error(
          `the loaded model ${loaded.name} ${bn ? `differs only in batch norm: ${bn.replace('the file', 'it')}` : `has ${describeSpec(loaded.model.spec)}, these settings make ${describeSpec(spec)}`}; match the settings or forget the loaded model`,
        );
      }
      params = loaded.model.params;
      initFrom = `weights from ${loaded.name}`;
    } else {
      params = initParams(spec, s.seed);
      initFrom = `random init, seed ${s.seed}`;
    }
    if (!saved) await forgetSavedRun(); // a new run replaces the one a reload could continue
    replaceModel(undefined); // frees the previous model's GPU memory first
    // Weights from a loaded file come with its scalings (the ones its evaluation on load used).
    const trainer = await makeTrainer(s, st, params, !saved && loaded ? loaded.model : undefined);
    model = { spec, trainer, dataName: st.data.name };
    const { view, rows } = viewData(st, st.data.name);
    postReady(st, trainer, largest, view, initFrom);
    setState('training');

    const stepsPerEpoch = Math.ceil(st.data.train.n / st.maxBatch);
    const totalSteps = stepsPerEpoch * s.epochs;
    let lastView = 0;
    let lastStep = start?.position.step ?? 0;
    let lastParams: Params = params;
    let viewBusy: Promise<void> | undefined;
    const emit = (event: TrainEvent) => {
      if (event.type === 'memory') {
        post({ type: 'memory', bytes: event.bytes, largest: event.largest });
        return;
      }
      post({ type: 'event', event });
      if (event.type === 'progress' || event.type === 'checkpoint') lastStep = Math.max(lastStep, event.step);
      if (event.type === 'recovered') {
        const d = trainer.gpuDevice;
        if (d) post({ type: 'adapter', name: trainer.adapter, limits: limitsOf(d) });
        post({
          type: 'notice',
          text: `GPU device lost at step ${lastStep}; resumed from ${event.fromStep > 0 ? `the checkpoint at step ${event.fromStep}` : 'the start (no checkpoint yet)'} on a new device (${trainer.adapter})`,
        });
      }
      if (event.type === 'epoch' && !viewBusy && performance.now() - lastView > 250) {
        lastView = performance.now();
        viewBusy = refreshView(view, rows, event.epoch, lastParams)
          .catch(() => {})
          .finally(() => (viewBusy = undefined));
      }
    };
    const onCheckpoint = async (c: Start): Promise<void> => {
      lastParams = c.params;
      const bytes = encodeCheckpoint({
        spec,
        params: c.params,
        state: c.state,
        position: c.position,
        run: runRecord(s),
      });
      const info: SavedRunInfo = {
        settings: s,
        step: c.position.step,
        epoch: c.position.epoch,
        totalSteps,
        savedAt: Date.now(),
      };
      try {
        await saveRun({ ...info, bytes });
        post({ type: 'saved-run', info });
      } catch (e) {
        // The run goes on (the trainer keeps its checkpoint in memory); only a reload cannot continue it.
        post({
          type: 'error',
          context: 'storage',
          message: `checkpoint at step ${info.step} not saved: ${message(e)}`,
        });
      }
    };
    const summary = await trainer.fit(st.train, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      lr: s.lr,
      seed: s.seed,
      test: st.test,
      evalEvery: Math.max(1, Math.min(50, Math.round(stepsPerEpoch / 4))),
      checkpointEvery: Math.min(stepsPerEpoch, CHECKPOINT_MAX_STEPS),
      onCheckpoint,
      onEvent: emit,
      signal: abort.signal,
      ...(start ? { resume: start } : {}),
    });
    await viewBusy;
    await refreshView(view, rows, summary.epochs);
    if (abort.signal.aborted) setState('stopped');
    else {
      await forgetSavedRun(); // finished: nothing to resume
      setState('done');
    }
  } catch (e) {
    setState('failed');
    throw e;
  } finally {
    stop = undefined;
  }
}

/** A hyperparameter search around the settings (src/app/sweep.ts expands the spec as the page checked
 *  it): every trial trained by the library's fitSweep, side by side on the GPU, each from its own seed's
 *  init, ranked by the loss on SWEEP_DEV_SPLIT of the training rows. Progress after every epoch of every
 *  group; the trials' parameters stay here for 'adopt'. Stop ends it after the current epoch, with the
 *  results of the trials started. */
async function sweep(s: Settings, specText: string, trialsText: string): Promise<void> {
  if (stop)
    throw new Error(
      sweeping ? 'a sweep is already running: stop it first' : 'a training is running: stop it before a sweep',
    );
  const plan = sweepTrials(specText, trialsText, s);
  const abort = new AbortController();
  stop = abort;
  sweeping = true;
  setState('loading', `preparing a sweep of ${plan.trials.length} trials on ${s.data}`);
  let trainer: Trainer | undefined;
  try {
    const st = await setup(s, SWEEP_DEV_SPLIT);
    const devRows = st.data.dev?.n ?? 0;
    if (!st.dev || devRows === 0)
      throw new Error(
        `sweep: no dev rows: ${SWEEP_DEV_SPLIT * 100}% of ${st.data.train.n + devRows} training rows is none; use more rows`,
      );
    await budget(s, st);
    lastSweep = undefined; // a new sweep's results replace the last one's
    trainer = await makeTrainer(s, st, undefined);
    post({
      type: 'sweep-start',
      trials: plan.trials,
      search: plan.search,
      swept: plan.swept,
      trainRows: st.data.train.n,
      devRows,
      testRows: st.data.test.n,
      devSplit: SWEEP_DEV_SPLIT,
      epochs: s.epochs,
    });
    if (!abort.signal.aborted)
      setState(
        'sweeping',
        `${plan.trials.length} trials on ${trainer.device === 'gpu' ? 'WebGPU' : 'the CPU reference'}`,
      );
    const t0 = performance.now();
    const results = await trainer.fitSweep(st.train, plan.trials, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      dev: st.dev,
      ...(st.data.test.n > 0 ? { test: st.test } : {}),
      onProgress: (progress) => post({ type: 'sweep-progress', progress }),
      signal: abort.signal,
    });
    const seconds = (performance.now() - t0) / 1000;
    lastSweep = { settings: s, st, info: trainer.info, results };
    const stopped = abort.signal.aborted;
    post({
      type: 'sweep-done',
      rows: results.map(({ params: _params, ...row }) => row),
      seconds,
      adapter: trainer.adapter,
      stopped,
    });
    setState(
      stopped ? 'stopped' : 'done',
      `sweep: ${results.length} of ${plan.trials.length} trials in ${seconds.toFixed(1)} s`,
    );
  } catch (e) {
    setState('failed');
    throw e;
  } finally {
    trainer?.destroy(); // its trials' parameters are in lastSweep; its device goes
    stop = undefined;
    sweeping = false;
  }
}

const figures = (e: Evaluation): SplitFigures => ({
  loss: e.loss,
  accuracy: e.accuracy,
  ...(e.r2 !== undefined ? { r2: e.r2 } : {}),
});

/** Makes the last sweep's trial `index` the current model, on a trainer of its own with the trial's
 *  hyperparameters and the sweep's scalings: the views, save (its file records the trial's
 *  hyperparameters) and check then work on it, as on a trained or loaded model. */
async function adopt(index: number): Promise<void> {
  if (stop)
    throw new Error(`trial ${index}: a ${sweeping ? 'sweep' : 'training'} is running; stop it or let it finish first`);
  const sw = lastSweep;
  if (!sw) throw new Error(`trial ${index}: there are no sweep results to use; run a sweep first`);
  const r = sw.results.find((x) => x.trial.index === index);
  if (!r) throw new Error(`trial ${index} is not among the last sweep's ${sw.results.length} trials`);
  if (r.status.kind !== 'ok')
    throw new Error(`trial ${index} diverged at epoch ${r.status.epoch}: its weights are not a model to use`);
  const { st } = sw;
  const h = r.trial.hyper;
  // The trial's own hyperparameters (its seed seeds the dropout; the data stays the sweep's).
  const ts: Settings = {
    ...sw.settings,
    lr: h.lr,
    l2: h.l2,
    keepProb: h.keepProb,
    beta1: h.beta1,
    beta2: h.beta2,
    seed: h.seed,
  };
  const largest = await budget(ts, st);
  replaceModel(undefined);
  const info: ModelInfo = {
    ...sw.info,
    trainedWith: {
      ...(sw.info.trainedWith ?? {}),
      lr: h.lr,
      l2: h.l2,
      keepProb: h.keepProb,
      beta1: h.beta1,
      beta2: h.beta2,
      initSeed: h.seed,
      sweepTrial: index,
    },
  };
  const trainer = await makeTrainer(ts, st, r.params, { spec: st.spec, params: r.params, info });
  model = { spec: st.spec, trainer, dataName: st.data.name };
  const { view, rows } = viewData(st, st.data.name);
  postReady(
    st,
    trainer,
    largest,
    view,
    `trial ${index} of the sweep (lr ${compactNumber(h.lr)}, l2 ${compactNumber(h.l2)}, seed ${h.seed})`,
  );
  const train = figures(await trainer.evaluate(st.train));
  const dev = figures(await trainer.evaluate(st.dev!));
  const test = st.data.test.n > 0 ? figures(await trainer.evaluate(st.test)) : null;
  await refreshView(view, rows, 0);
  post({ type: 'adopted', trial: index, train, dev, test });
  setState('done', `using trial ${index} of the sweep`);
}

async function forgetSavedRun(): Promise<void> {
  await clearRuns();
  post({ type: 'saved-run', info: null });
}

async function load(name: string, bytes: Uint8Array, s: Settings): Promise<void> {
  if (stop) throw new Error(`${name}: a training is running; stop it before loading a model (the run is kept)`);
  const file = decodeModel(bytes, name);
  const st = await setup(s);
  if (!sameSpec(file.spec, st.spec)) {
    const bn = specMismatch(file.spec, st.spec);
    throw new Error(
      bn
        ? `${name} does not fit: only batch norm differs: ${bn}`
        : `${name} does not fit: the file holds ${describeSpec(file.spec)}, the settings with data '${s.data}' make ${describeSpec(st.spec)}`,
    );
  }
  const largest = await budget(s, st);
  replaceModel(undefined);
  const trainer = await makeTrainer(s, st, file.params, file);
  model = { spec: st.spec, trainer, dataName: st.data.name };
  loaded = { model: file, name };
  const { view, rows } = viewData(st, st.data.name);
  postReady(st, trainer, largest, view, `weights from ${name}`);
  const tr = await trainer.evaluate(st.train);
  const te = st.data.test.n > 0 ? await trainer.evaluate(st.test) : null;
  await refreshView(view, rows, 0);
  post({
    type: 'loaded',
    name,
    spec: st.spec,
    loss: tr.loss,
    trainAccuracy: tr.accuracy,
    testAccuracy: te ? te.accuracy : null,
    ...(tr.r2 !== undefined ? { trainR2: tr.r2, testR2: te?.r2 ?? null } : {}),
  });
}

async function save(): Promise<void> {
  if (!model) throw new Error('nothing to save yet: train or load a model first');
  if (stop && !model.trainer.paused) throw new Error('a training is running: pause or stop it before saving');
  const { spec, trainer, dataName } = model;
  const bytes = await trainer.save();
  post({ type: 'saved', name: `mlp-${dataName}-${spec.sizes.join('x')}.safetensors`, bytes }, [bytes.buffer]);
}

/** One training step on the GPU and on the float64 reference from the same weights and rows. */
async function check(s: Settings): Promise<void> {
  if (sweeping) throw new Error('check needs the GPU to itself: stop the sweep or let it finish first');
  if (model?.trainer.busy && !model.trainer.paused)
    throw new Error('check needs the GPU to itself: pause or stop the training first');
  const st = await setup(s);
  const { spec } = st;
  await budget({ ...s, device: 'gpu' }, { ...st, data: { ...st.data, test: { ...st.data.test, n: 0 } } }); // the check always runs on the GPU
  // The current model's weights and data scaling (or the loaded file's, or a fresh init), on a GPU
  // trainer of the check's own.
  const current = model && sameSpec(model.spec, spec) ? await model.trainer.model() : undefined;
  const file = loaded && sameSpec(loaded.model.spec, spec) ? loaded.model : undefined;
  const from = current ?? file;
  const checker = await makeTrainer({ ...s, device: 'gpu' }, st, from?.params ?? initParams(spec, s.seed), from);
  try {
    const r = await checker.checkStep(st.train, { lr: s.lr, rows: st.maxBatch });
    post({
      type: 'check',
      spec,
      rows: r.rows,
      gpuLoss: r.gpuLoss,
      cpuLoss: r.cpuLoss,
      layers: r.layers,
      adapter: r.adapter,
    });
  } finally {
    checker.destroy();
  }
}

/** Rows the gradient check uses: each parameter costs two forward passes over them. */
const GRADCHECK_ROWS = 4;

/** The course's gradient check: float64 backprop against central differences of the cost, for this
 *  architecture at its initial weights (seed), on the first training rows, with the settings' L2 and
 *  dropout (one fixed mask, so the cost is deterministic). */
async function gradcheck(s: Settings): Promise<void> {
  const st = await setup(s);
  const trainer = await makeTrainer({ ...s, device: 'cpu' }, st, initParams(st.spec, s.seed));
  try {
    const t0 = performance.now();
    const r = await trainer.gradcheck(st.train, { rows: GRADCHECK_ROWS });
    post({
      type: 'gradcheck',
      spec: st.spec,
      rows: r.rows,
      l2: s.l2,
      keepProb: s.keepProb,
      threshold: r.threshold,
      seconds: (performance.now() - t0) / 1000,
      results: r.results,
    });
  } finally {
    trainer.destroy();
  }
}

/** Reads the picked or dropped files (files.ts), telling the page how far it got: a CSV/TSV file's
 *  header first (for the label chooser), with the task decided as the CLI's --task auto does (text or
 *  integer labels are classes, non-integer numbers a regression target); IDX files or an .npz as arrays. */
async function loadFiles(files: readonly File[], label: string | undefined): Promise<void> {
  const read = ++csvReads;
  csv = undefined;
  const first = files[0];
  if (!first) throw new Error('no file given');
  const name = files.length === 1 ? first.name : `${files.length} files`;
  const onProgress = (bytes: number, total: number) => post({ type: 'csv-progress', name, bytes, total });
  if (isArrayFiles(files)) {
    const { name: source, data, notes } = await readArrayFiles(files, onProgress);
    if (read !== csvReads) return;
    const train = 'train' in data ? data.train : data;
    csv = { data, images: train.features === 784 };
    post({
      type: 'csv',
      name: source,
      rows: train.n,
      features: train.features,
      classes: train.classes,
      task: 'classification',
      reason: notes.join('; '),
      label: '',
      ...('train' in data ? { testRows: data.test.n } : {}),
    });
    return;
  }
  if (files.length > 1)
    throw new Error(
      `${files.map((f) => f.name).join(', ')}: several files are read only as MNIST-layout IDX files; pick one CSV/TSV file`,
    );
  const head = new TextDecoder('utf-8').decode(await first.slice(0, 1 << 16).arrayBuffer(), { stream: true });
  const columns = csvHeader(head);
  if (read !== csvReads) return;
  post({ type: 'csv-header', name, columns });
  const r = await readCsvBlob(first, label !== undefined ? { label } : {}, onProgress, () => read !== csvReads);
  if (!r) return; // a newer pick replaced this one
  if (r.task === 'none') throw new Error(`${name}: no label column`);
  const d = r.dataset;
  csv = { data: d, images: false };
  post({
    type: 'csv',
    name,
    rows: d.n,
    features: d.features,
    classes: d.classes,
    task: r.task,
    reason: r.reason,
    label: d.labelName ?? (d.targetNames ?? []).join(', '),
    ...(d.classNames ? { classNames: d.classNames } : {}),
  });
}

const CONTEXT: Record<ToWorker['type'], Exclude<ErrorContext, 'storage'>> = {
  init: 'adapter',
  files: 'csv',
  train: 'train',
  sweep: 'sweep',
  adopt: 'sweep',
  pause: 'control',
  resume: 'control',
  stop: 'control',
  save: 'save',
  load: 'load',
  forget: 'load',
  check: 'check',
  gradcheck: 'gradcheck',
  'resume-saved': 'train',
  'debug-lose-device': 'control',
};

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      latestRunInfo().then(
        (info) => post({ type: 'saved-run', info: info ?? null }),
        (e: unknown) =>
          post({ type: 'error', context: 'storage', message: `cannot read the saved run: ${message(e)}` }),
      );
      adapterReady = probeAdapter().catch((e: unknown) => {
        adapterError = message(e);
        post({ type: 'error', context: 'adapter', message: adapterError });
      });
      return adapterReady;
    case 'files':
      return loadFiles(m.files, m.label);
    case 'train':
      return train(m.settings);
    case 'sweep':
      return sweep(m.settings, m.spec, m.trials);
    case 'adopt':
      return adopt(m.trial);
    case 'pause':
      if (sweeping)
        throw new Error('a sweep cannot be paused: stop it (the trials so far are ranked) or let it finish');
      if (!stop || !model) throw new Error('nothing to pause: no training is running');
      model.trainer.pause();
      setState('paused');
      return;
    case 'resume':
      if (sweeping) throw new Error('a sweep cannot be paused or resumed');
      if (!stop || !model) throw new Error('nothing to resume: no training is running');
      model.trainer.resume();
      setState('training');
      return;
    case 'stop':
      if (!stop) throw new Error('nothing to stop: no training is running');
      stop.abort();
      setState('stopping');
      return;
    case 'save':
      return save();
    case 'load':
      return load(m.name, m.bytes, m.settings);
    case 'forget':
      loaded = undefined;
      return;
    case 'check':
      return check(m.settings);
    case 'gradcheck':
      return gradcheck(m.settings);
    case 'resume-saved': {
      const saved = await latestRun();
      if (!saved) throw new Error('there is no saved run to resume');
      return train(saved.settings, saved);
    }
    case 'debug-lose-device': {
      const d = model?.trainer.gpuDevice;
      if (!d) throw new Error('no GPU device to lose: no GPU model is loaded or training');
      d.destroy();
      return;
    }
  }
}

self.addEventListener('message', (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  handle(m).catch((e: unknown) => post({ type: 'error', context: CONTEXT[m.type], message: message(e) }));
});
