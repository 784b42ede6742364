// The training worker: holds the data and the model and trains through the library (createTrainer,
// fit), posting its events, so the page's main thread only draws. One training at a time; every request
// that would disturb a running one is refused with a message and the run goes on. Device loss is the
// library's business: the trainer replaces the device and resumes from its last checkpoint; the worker
// only tells the page.
//
// Every way to a current model (train, adopt a sweep trial, load a file) goes through makeCurrent:
// budget → where it starts → the old model freed → a trainer → the view → 'ready'.
import {
  adapterLimits,
  checkSameRun,
  compactNumber,
  decodeCheckpoint,
  decodeModel,
  describePath,
  describeSpec,
  initParams,
  paramCount,
  sameSpec,
  specDifference,
  trialInfo,
  TrainerError,
  type Evaluation,
  type FitCheckpoint,
  type ModelInfo,
  type ModelSpec,
  type Params,
  type SavedModel,
  type SweepTrialResult,
  type Trainer,
  type TrainEvent,
} from '../index.ts';
import { batchNormHint, inFormWords } from './form-words.ts';
import { checkpointSaver } from './checkpoint-saver.ts';
import { AppGpu } from './gpu.ts';
import { RunHistory } from './history.ts';
import { message, post, setState } from './post.ts';
import type { ErrorContext, SplitFigures, ToWorker } from './protocol.ts';
import { runRecord, type Settings } from './settings.ts';
import { dataNames, makeTrainer, setup, type Setup } from './setup.ts';
import { clearRuns, latestRun, latestRunInfo, type SavedRun } from './store.ts';
import { SWEEP_DEV_SPLIT, sweepTrials } from './sweep.ts';
import { networkRun } from './network-worker.ts';
import { surfaceRun } from './surface-worker.ts';
import { answerTry, noteData } from './try-model.ts';
import { UserFiles } from './user-files.ts';
import { Warmup } from './warm.ts';
import { cloneView, midRunAffordable, refreshView, transfers, viewData, type View } from './view-data.ts';

// ---- State ----
const gpu = new AppGpu();
const files = new UserFiles();
const warmup = new Warmup(gpu, () => running !== undefined);
/** The latest trained, adopted or loaded model and its trainer, kept for save, check and views. */
let model: { spec: ModelSpec; trainer: Trainer; dataName: string } | undefined;
/** A loaded model file: the next training starts from its weights. */
let loaded: { model: SavedModel; name: string } | undefined;
/** The training or sweep running now (a sweep cannot be paused); `stop` ends it; a training's `save`
 *  stores its latest checkpoint now (at pause). */
let running: Running | undefined;
interface Running {
  readonly stop: AbortController;
  readonly sweep: boolean;
  save?: () => Promise<void>;
}
/** The last sweep: its settings and data, its trainer's info (the scalings fitted on its training rows)
 *  and every trial's result with its parameters, so that 'adopt' can make one the current model. */
let lastSweep: { settings: Settings; st: Setup; info: ModelInfo; results: SweepTrialResult[] } | undefined;

// ---- The current model ----
/** Where a model starts: weights, the model file or trial they come with (its scalings), and the words
 *  for the page; a checkpoint to resume from. */
interface Start {
  readonly params: Params;
  readonly from?: SavedModel;
  readonly initFrom: string;
  readonly resume?: FitCheckpoint;
}

function replaceModel(next: typeof model): void {
  if (model && model.trainer !== next?.trainer) model.trainer.destroy();
  model = next;
}

/** Makes a model for these settings and data the current one: checks the budget (nothing is allocated
 *  for a model that does not fit), asks `start` where it starts, frees the previous model's GPU memory,
 *  makes the trainer and tells the page it is ready, with its view. */
async function makeCurrent(
  s: Settings,
  st: Setup,
  start: () => Promise<Start>,
): Promise<{ trainer: Trainer; view: View; start: Start }> {
  const largest = await gpu.budget(s, st);
  const from = await start();
  replaceModel(undefined);
  const trainer = await makeTrainer(s, st, gpu, from.params, from.from);
  model = { spec: st.spec, trainer, dataName: st.data.name };
  noteData(st);
  const view = viewData(st);
  postReady(st, trainer, largest, view, from.initFrom);
  return { trainer, view, start: from };
}

/** Tells the page a model is ready: its sizes, the GPU memory its plan will take (from the plan's
 *  layout, before allocation) and its view (a copy, transferred; the worker keeps its own). */
function postReady(
  st: Setup,
  trainer: Trainer,
  largest: { name: string; bytes: number },
  view: View,
  initFrom: string,
) {
  const v = cloneView(view.view);
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

// ---- Training ----
/** Checkpoints every epoch, or every this many steps when epochs are longer. */
const CHECKPOINT_MAX_STEPS = 200;

async function forgetSavedRun(): Promise<void> {
  await clearRuns();
  post({ type: 'saved-run', info: null });
}

/** Where a training starts: the saved run's checkpoint, the loaded model's weights (with its scalings,
 *  the ones its evaluation on load used), or the seed's init. */
function startOf(s: Settings, st: Setup, saved: SavedRun | undefined): Start {
  if (saved) {
    const cp = decodeCheckpoint(saved.bytes, st.spec, 'the saved run');
    checkSameRun(cp.run, runRecord(s), 'the saved run');
    return {
      params: cp.params,
      resume: { position: cp.position, params: cp.params, state: cp.state },
      initFrom: `checkpoint at step ${cp.position.step} (epoch ${cp.position.epoch}) of the saved run`,
    };
  }
  if (loaded) {
    const diff = specDifference(loaded.model.spec, st.spec);
    if (diff)
      throw new Error(
        `the loaded model ${loaded.name} ${diff === 'batchNorm' ? `differs only in batch norm: ${batchNormHint(loaded.model.spec, 'it')}` : `has ${describeSpec(loaded.model.spec)}, these settings make ${describeSpec(st.spec)}`}; match the settings or forget the loaded model`,
      );
    return { params: loaded.model.params, from: loaded.model, initFrom: `weights from ${loaded.name}` };
  }
  return { params: initParams(st.spec, s.seed), initFrom: `random init, seed ${s.seed}` };
}

/** The fit's events for the page: every event posted, the device's replacement told, and the view
 *  refreshed after an epoch (at most every 250 ms) from the latest checkpoint's weights. */
function fitEvents(trainer: Trainer, view: View, start: Start) {
  let lastView = 0;
  let lastStep = start.resume?.position.step ?? 0;
  let lastParams = start.params;
  let busy: Promise<void> | undefined;
  let softwareNamed = false;
  const emit = (event: TrainEvent) => {
    if (event.type === 'memory') {
      post({ type: 'memory', bytes: event.bytes, largest: event.largest });
      return;
    }
    post({ type: 'event', event });
    // A software adapter is named at the start of every run (the library's notice: what it is, what to try);
    // not again on a replaced device's start, whose device-loss notice must stay.
    if (event.type === 'start' && event.software && !softwareNamed) {
      softwareNamed = true;
      post({ type: 'notice', text: `Slow adapter: ${event.software}` });
    }
    if (event.type === 'progress' || event.type === 'checkpoint') lastStep = Math.max(lastStep, event.step);
    if (event.type === 'recovered') {
      const d = trainer.gpuDevice;
      if (d) post({ type: 'adapter', name: trainer.adapter, limits: adapterLimits(d) });
      post({
        type: 'notice',
        text: `GPU device lost at step ${lastStep}; resumed from ${event.fromStep > 0 ? `the checkpoint at step ${event.fromStep}` : 'the start (no checkpoint yet)'} on a new device (${trainer.adapter})`,
      });
    }
    if (event.type === 'epoch' && !busy && performance.now() - lastView > 250) {
      lastView = performance.now();
      busy = refreshView(trainer, view, event.epoch, lastParams)
        .catch(() => {})
        .finally(() => (busy = undefined));
    }
  };
  return { emit, checkpoint: (params: Params) => (lastParams = params), settled: () => busy };
}

/** `events` that also clear the 'compiling kernels' status once the plan is built (its 'start' event). */
function stagesOf<E extends { emit: (e: TrainEvent) => void }>(events: E): E {
  const emit = (e: TrainEvent) => {
    if (e.type === 'start' && !model?.trainer.paused && !running?.stop.signal.aborted) setState('training');
    events.emit(e);
  };
  return { ...events, emit };
}

async function train(s: Settings, saved?: SavedRun): Promise<void> {
  if (running)
    throw new Error(
      running.sweep ? 'a sweep is running: stop it first' : 'a training is already running: pause or stop it first',
    );
  const abort = new AbortController();
  const run: Running = { stop: abort, sweep: false };
  running = run;
  setState('loading', saved ? `resuming ${s.data} at step ${saved.step}` : `preparing ${s.data}`);
  try {
    const st = await setup(s, files.data);
    // What the wait is for, stage by stage: the device, then the plan's pipelines (seconds on SwiftShader).
    if (s.device === 'gpu') setState('loading', 'acquiring the GPU device…');
    const { trainer, view, start } = await makeCurrent(s, st, async () => {
      const start = startOf(s, st, saved);
      if (!saved) await forgetSavedRun(); // a new run replaces the one a reload could continue
      return start;
    });
    setState('training', s.device === 'gpu' ? 'compiling kernels and uploading the data…' : undefined);
    const stepsPerEpoch = Math.ceil(st.data.train.n / st.maxBatch);
    const drawn = networkRun.track(fitEvents(trainer, view, start), trainer, view, start.params);
    const events = stagesOf(surfaceRun.track(drawn, trainer, st.train, start.params));
    // The curves from before a reload come back with the run they belong to.
    const history = new RunHistory(stepsPerEpoch, saved?.history, start.resume?.position.step ?? 0);
    if (history.points.length > 0) post({ type: 'history', points: history.points });
    const saver = checkpointSaver(s, st.spec, stepsPerEpoch * s.epochs, history);
    run.save = saver.flush;
    await warmup.idle(); // one plan built at a time on the shared device (warm.ts)
    const summary = await trainer.fit(st.train, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      lr: s.lr,
      seed: s.seed,
      test: st.test,
      // Once an epoch (at most every 50 steps): a fused group is a whole epoch, one submit, one read-back.
      evalEvery: Math.min(50, stepsPerEpoch),
      checkpointEvery: Math.min(stepsPerEpoch, CHECKPOINT_MAX_STEPS),
      onCheckpoint: (c) => {
        events.checkpoint(c.params);
        saver.onCheckpoint(c);
      },
      onEvent: (e) => {
        history.add(e);
        events.emit(e);
      },
      signal: abort.signal,
      ...(start.resume ? { resume: start.resume } : {}),
    });
    await events.settled();
    await refreshView(trainer, view, summary.epochs, await finalViewParams(trainer, view));
    await postConfusion(trainer, st);
    if (abort.signal.aborted) {
      await saver.flush(); // the run a reload continues
      setState('stopped');
    } else {
      await saver.settled(); // no write may land after the forgetting
      await forgetSavedRun(); // finished: nothing to resume
      setState('done');
    }
  } catch (e) {
    await run.save?.(); // nothing lost on failure: the latest checkpoint is the run a reload continues
    setState('failed');
    throw e;
  } finally {
    running = undefined;
  }
}

/** The final weights for the last view when the float64 reference draws it as cheaply as mid-run (a
 *  small net: the GPU's predict would first compile a plan of its own, ~0.6 s on SwiftShader, where a
 *  fused fit has none to reuse); undefined to let the trainer predict it on the GPU. */
async function finalViewParams(trainer: Trainer, view: View): Promise<Params | undefined> {
  return trainer.device === 'gpu' && midRunAffordable(trainer.spec, view) ? trainer.getParams() : undefined;
}

/** A classifier's confusion matrix on the test rows (the training rows when there are none). */
async function postConfusion(trainer: Trainer, st: Setup): Promise<void> {
  if (st.data.targets > 0) return;
  const split = st.data.test.n > 0 ? 'test' : 'train';
  const metrics = (await trainer.evaluate(split === 'test' ? st.test : st.train)).classification;
  const { classNames } = st.info;
  if (metrics) post({ type: 'confusion', split, metrics, ...(classNames ? { classNames } : {}) });
}

// ---- Sweeps ----
/** A hyperparameter search around the settings (src/app/sweep.ts expands the spec as the page checked
 *  it): every trial trained by the library's fitSweep, side by side on the GPU, each from its own seed's
 *  init, ranked by the loss on SWEEP_DEV_SPLIT of the training rows. Progress after every epoch of every
 *  group; the trials' parameters stay here for 'adopt'. Stop ends it after the current epoch, with the
 *  results of the trials started. */
async function sweep(s: Settings, specText: string, trialsText: string): Promise<void> {
  if (running)
    throw new Error(
      running.sweep ? 'a sweep is already running: stop it first' : 'a training is running: stop it before a sweep',
    );
  const plan = sweepTrials(specText, trialsText, s);
  const abort = new AbortController();
  running = { stop: abort, sweep: true };
  setState('loading', `preparing a sweep of ${plan.trials.length} trials on ${s.data}`);
  let trainer: Trainer | undefined;
  try {
    const st = await setup(s, files.data, SWEEP_DEV_SPLIT);
    const devRows = st.data.dev?.n ?? 0;
    if (!st.dev || devRows === 0)
      throw new Error(
        `sweep: no dev rows: ${SWEEP_DEV_SPLIT * 100}% of ${st.data.train.n + devRows} training rows is none; use more rows`,
      );
    await gpu.budget(s, st);
    lastSweep = undefined; // a new sweep's results replace the last one's
    trainer = await makeTrainer(s, st, gpu, undefined);
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
    await warmup.idle(); // one plan built at a time on the shared device (warm.ts)
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
    running = undefined;
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
  if (running)
    throw new Error(
      `trial ${index}: a ${running.sweep ? 'sweep' : 'training'} is running; stop it or let it finish first`,
    );
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
  const { trainer, view } = await makeCurrent(ts, st, async () => ({
    params: r.params,
    from: { spec: st.spec, params: r.params, info: trialInfo(sw.info, r.trial) },
    initFrom: `trial ${index} of the sweep (lr ${compactNumber(h.lr)}, l2 ${compactNumber(h.l2)}, seed ${h.seed})`,
  }));
  await warmup.idle();
  const train = figures(await trainer.evaluate(st.train));
  const dev = figures(await trainer.evaluate(st.dev!));
  const test = st.data.test.n > 0 ? figures(await trainer.evaluate(st.test)) : null;
  await refreshView(trainer, view, 0);
  post({ type: 'adopted', trial: index, settings: ts, train, dev, test });
  setState('done', `using trial ${index} of the sweep`);
}

// ---- Model files ----
async function load(name: string, bytes: Uint8Array, s: Settings): Promise<void> {
  if (running) throw new Error(`${name}: a training is running; stop it before loading a model (the run is kept)`);
  const file = decodeModel(bytes, name);
  const st = await setup(s, files.data);
  const diff = specDifference(file.spec, st.spec);
  if (diff)
    throw new Error(
      diff === 'batchNorm'
        ? `${name} does not fit: only batch norm differs: ${batchNormHint(file.spec)}`
        : `${name} does not fit: the file holds ${describeSpec(file.spec)}, the settings with data '${s.data}' make ${describeSpec(st.spec)}`,
    );
  const { trainer, view } = await makeCurrent(s, st, async () => ({
    params: file.params,
    from: file,
    initFrom: `weights from ${name}`,
  }));
  loaded = { model: file, name };
  await warmup.idle();
  const tr = await trainer.evaluate(st.train);
  const te = st.data.test.n > 0 ? await trainer.evaluate(st.test) : null;
  await refreshView(trainer, view, 0);
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
  if (running && !model.trainer.paused) throw new Error('a training is running: pause or stop it before saving');
  const { spec, trainer, dataName } = model;
  const bytes = await trainer.save();
  post({ type: 'saved', name: `mlp-${dataName}-${spec.sizes.join('x')}.safetensors`, bytes }, [bytes.buffer]);
}

// ---- Checks ----
/** One training step on the GPU and on the float64 reference from the same weights and rows. */
async function check(s: Settings): Promise<void> {
  if (running?.sweep) throw new Error('check needs the GPU to itself: stop the sweep or let it finish first');
  if (model?.trainer.busy && !model.trainer.paused)
    throw new Error('check needs the GPU to itself: pause or stop the training first');
  const st = await setup(s, files.data);
  const { spec } = st;
  // The check always runs on the GPU, on training rows only.
  await gpu.budget({ ...s, device: 'gpu' }, { ...st, data: { ...st.data, test: { ...st.data.test, n: 0 } } });
  // The current model's weights and data scaling (or the loaded file's, or a fresh init), on a GPU
  // trainer of the check's own.
  const current = model && sameSpec(model.spec, spec) ? await model.trainer.model() : undefined;
  const file = loaded && sameSpec(loaded.model.spec, spec) ? loaded.model : undefined;
  const from = current ?? file;
  const params = from?.params ?? initParams(spec, s.seed);
  await warmup.idle();
  const checker = await makeTrainer({ ...s, device: 'gpu' }, st, gpu, params, from);
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
      path: describePath(r.path),
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
  const st = await setup(s, files.data);
  const trainer = await makeTrainer({ ...s, device: 'cpu' }, st, gpu, initParams(st.spec, s.seed));
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

// ---- The data before training ----
/** The data's points or digits, so the page shows the data before it trains (built-in 2-D sets and
 *  loaded files only: MNIST is read when a run starts). Best effort: data that cannot be set up yet
 *  (no file, a bad label) shows nothing, and the run says why. */
async function preview(s: Settings): Promise<void> {
  if (s.data === 'mnist' || (s.data === 'csv' && !files.data)) return;
  const st = await setup(s, files.data).catch(() => undefined);
  const v = st && cloneView(viewData(st).view);
  if (v && (v.kind === 'points' || v.kind === 'digits')) post({ type: 'preview', view: v }, transfers(v));
}

// ---- Messages ----
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
  preview: 'csv',
  warm: 'train',
  probe: 'control',
  try: 'try',
  'debug-lose-device': 'control',
};

function init(): Promise<void> {
  latestRunInfo().then(
    (info) => post({ type: 'saved-run', info: info ?? null }),
    (e: unknown) => post({ type: 'error', context: 'storage', message: `cannot read the saved run: ${message(e)}` }),
  );
  return gpu.probe();
}

/** Pause, resume and stop of the running training or sweep. */
function control(type: 'pause' | 'resume' | 'stop'): void {
  if (type === 'stop') {
    if (!running) throw new Error('nothing to stop: no training is running');
    running.stop.abort();
    setState('stopping');
    return;
  }
  if (running?.sweep)
    throw new Error(
      type === 'pause'
        ? 'a sweep cannot be paused: stop it (the trials so far are ranked) or let it finish'
        : 'a sweep cannot be paused or resumed',
    );
  if (!running || !model) throw new Error(`nothing to ${type}: no training is running`);
  if (type === 'pause') {
    model.trainer.pause();
    void running.save?.(); // a reload while paused continues from the latest checkpoint
  } else model.trainer.resume();
  setState(type === 'pause' ? 'paused' : 'training');
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      return init();
    case 'files':
      return files.read(m.files, m.label);
    case 'train':
      return train(m.settings);
    case 'sweep':
      return sweep(m.settings, m.spec, m.trials);
    case 'adopt':
      return adopt(m.trial);
    case 'pause':
    case 'resume':
    case 'stop':
      return control(m.type);
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
    case 'preview':
      return preview(m.settings);
    case 'warm':
      return warmup.request(m.settings, files.data);
    case 'probe':
      return answerTry({ kind: 'probe', x: m.x, y: m.y }, model);
    case 'try':
      return answerTry(m.request, model);
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
  handle(m).catch((e: unknown) =>
    post({
      type: 'error',
      context: CONTEXT[m.type],
      message: inFormWords(message(e)),
      ...(e instanceof TrainerError ? { code: e.code } : {}),
    }),
  );
});
