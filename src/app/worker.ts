// The training worker: owns the GPU device, the data and the model, runs the shared training loop and
// posts its events, so the page's main thread only draws. One training at a time; every request that
// would disturb a running one is refused with a message and the run goes on.
import { autotuneMatmul, describeTune } from '../gpu/autotune.ts';
import { preferredMatmul } from '../gpu/kernels.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { liveBufferStats } from '../gpu/arena.ts';
import { TrainingPlan, type PlanOptions } from '../gpu/plan.ts';
import { compare, TOL } from '../check.ts';
import { parseCsv } from '../data/csv.ts';
import type { Dataset } from '../data/dataset.ts';
import { initParams } from '../init.ts';
import { paramsFromSafetensors, paramsToSafetensors, specFromSafetensors } from '../io/safetensors.ts';
import { hasBatchNorm, layerCount, paramCount, size, validateSpec, type ModelSpec, type Params } from '../model.ts';
import { CpuBackend } from '../reference/backend.ts';
import { GRADCHECK_THRESHOLD, gradientCheck } from '../reference/gradcheck.ts';
import { toParams64, trainStep, zeroState } from '../reference/mlp.ts';
import { resolveConfig, type BackendInit, type SplitData, type TrainBackend } from '../train/backend.ts';
import { checkSameRun, decodeCheckpoint, encodeCheckpoint, type LoopPosition, type TrainState } from '../train/checkpoint.ts';
import { runTraining, type LoopControl, type Summary, type TrainEvent } from '../train/loop.ts';
import { checkBudget, type AdapterLimits } from './budget.ts';
import { loadDataset, prepare, splitFor, type Prepared } from './data.ts';
import { boundaryGrid, boundsOf, predict } from './predict.ts';
import type { BatchNormCheck, ErrorContext, FromWorker, LayerCheck, RunState, ToWorker, ViewData } from './protocol.ts';
import { formatHidden, KEYS, modelSpecFor, trainConfig, type Settings } from './settings.ts';
import { clearRuns, latestRun, latestRunInfo, saveRun, tuneStore, type SavedRun, type SavedRunInfo } from './store.ts';

const post = (m: FromWorker, transfer: Transferable[] = []) => self.postMessage(m, { transfer });
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---- GPU ----
let gpu: GpuContext | undefined;
let gpuError = 'WebGPU not initialised yet';
let gpuReady: Promise<void> | undefined;

function limitsOf(ctx: GpuContext): AdapterLimits {
  return { maxBufferSize: ctx.device.limits.maxBufferSize, maxStorageBufferBindingSize: ctx.device.limits.maxStorageBufferBindingSize };
}

/** Reasons of lost devices, so requests after an idle loss get a new one. */
const lostDevices = new WeakMap<GpuContext, string>();

/** Each device's matmul autotune, started when it is acquired (cached in IndexedDB per adapter). */
const tunes = new WeakMap<GpuContext, Promise<PlanOptions>>();

/** Acquires a device, makes it the worker's, tells the page and starts its matmul autotune. */
async function acquire(): Promise<GpuContext> {
  const ctx = await acquireDevice();
  void ctx.device.lost.then((info) => lostDevices.set(ctx, `${info.reason}: ${info.message}`));
  gpu = ctx;
  post({ type: 'adapter', name: ctx.adapterName, limits: limitsOf(ctx) });
  // A failed tune leaves the plan's default family (preferredMatmul): it never stops training.
  tunes.set(ctx, autotuneMatmul(ctx, tuneStore).then((r) => {
    post({ type: 'tune', family: r.family, line: describeTune(r) });
    return { matmul: r.family };
  }, (e: unknown) => {
    post({ type: 'tune', family: preferredMatmul(ctx.adapterName), line: `matmul ${preferredMatmul(ctx.adapterName)} (autotune failed: ${message(e)})` });
    return {};
  }));
  return ctx;
}

/** Plan options for a device: its tuned matmul family. */
const planOptions = async (ctx: GpuContext): Promise<PlanOptions> => (await tunes.get(ctx)) ?? {};

/** Replaces a lost device; the next requests wait for the new one. */
function reacquire(): Promise<GpuContext> {
  gpu = undefined;
  const next = acquire();
  gpuReady = next.then(() => {}, (e: unknown) => void (gpuError = message(e)));
  return next;
}

/** The device's loss reason if it is reported lost within `ms`, else undefined. */
async function lostWithin(ctx: GpuContext, ms: number): Promise<string | undefined> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
  return Promise.race([ctx.device.lost.then((i) => `${i.reason}: ${i.message}`), timeout]);
}

async function requireGpu(): Promise<GpuContext> {
  await gpuReady;
  if (gpu && lostDevices.has(gpu)) await reacquire();
  if (!gpu) throw new Error(`the GPU device is not available (${gpuError}); pick the CPU reference device`);
  return gpu;
}

// ---- State ----
let csv: Dataset | undefined;
/** The latest trained or loaded model, kept for save, check and views. */
let model: { spec: ModelSpec; backend: TrainBackend; dataName: string } | undefined;
/** Weights from a loaded file: the next training starts from them. */
let loaded: { spec: ModelSpec; params: Params; name: string } | undefined;
let running = false;
let paused = false;
let stopRequested = false;
let resumeWaiters: (() => void)[] = [];

function setState(state: RunState, detail?: string): void {
  post(detail === undefined ? { type: 'state', state } : { type: 'state', state, detail });
}

// A zero-delay yield (setTimeout is clamped to 4 ms when nested), so pause/stop messages are seen
// even when the CPU backend never waits on anything.
const yieldChannel = new MessageChannel();
const yieldWaiters: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yieldWaiters.shift()?.();
const yieldToEvents = () => new Promise<void>((r) => {
  yieldWaiters.push(r);
  yieldChannel.port2.postMessage(0);
});

let lastYield = 0;
const control: LoopControl = {
  shouldStop: () => stopRequested,
  async waitIfPaused() {
    if (performance.now() - lastYield > 15) {
      await yieldToEvents();
      lastYield = performance.now();
    }
    while (paused && !stopRequested) await new Promise<void>((r) => resumeWaiters.push(r));
  },
};

function wake(): void {
  const w = resumeWaiters;
  resumeWaiters = [];
  w.forEach((r) => r());
}

// ---- Data and model setup shared by train, load and check ----
interface Setup {
  readonly data: Prepared;
  readonly spec: ModelSpec;
  readonly train: SplitData;
  readonly test: SplitData;
  readonly maxBatch: number;
}

async function setup(s: Settings): Promise<Setup> {
  const data = prepare(await loadDataset(s, csv), s);
  const spec = modelSpecFor(s, data.features, data.classes);
  validateSpec(spec);
  const maxBatch = Math.min(s.batchSize, data.train.n);
  return { data, spec, train: splitFor(data.train, spec.loss), test: splitFor(data.test, spec.loss), maxBatch };
}

const describeSpec = (s: ModelSpec) => `sizes [${s.sizes.join(',')}], ${s.activation}, loss ${s.loss}, ${s.batchNorm === true ? 'with' : 'no'} batch norm`;
const sameSpec = (a: ModelSpec, b: ModelSpec) =>
  a.activation === b.activation && a.loss === b.loss && (a.batchNorm === true) === (b.batchNorm === true) &&
  a.sizes.length === b.sizes.length && a.sizes.every((n, i) => n === b.sizes[i]);

/** Why `file` (a model file's or loaded model's spec) does not fit `now`: names batch norm on its own when
 *  only that differs, since the rest of the description is then identical. */
function specMismatch(file: ModelSpec, now: ModelSpec): string {
  const fileBn = file.batchNorm === true;
  if (sameSpec({ ...file, batchNorm: false }, { ...now, batchNorm: false }) && fileBn !== (now.batchNorm === true)) {
    return fileBn ? 'the file is a batch-norm model (it has bn_gamma/bn_beta/bn_mean/bn_var tensors), the settings make one without batch norm: tick batch norm'
      : 'the file has no batch norm, the settings make a batch-norm model: untick batch norm';
  }
  return '';
}

/** Bytes the run will allocate; throws before anything is allocated when a buffer is over the limits. */
async function budget(s: Settings, st: Setup): Promise<{ name: string; bytes: number }> {
  const ctx = s.device === 'gpu' ? await requireGpu() : undefined;
  return checkBudget(st.spec, st.maxBatch, st.train.n, st.test.n, s.device, ctx && limitsOf(ctx), ctx?.adapterName ?? 'cpu');
}

async function makeBackend(s: Settings, init: BackendInit): Promise<TrainBackend> {
  if (s.device === 'cpu') return CpuBackend.create(init);
  const ctx = await requireGpu();
  return TrainingPlan.create(ctx, init, await planOptions(ctx));
}

function replaceModel(next: typeof model): void {
  if (model && model.backend !== next?.backend) model.backend.destroy();
  model = next;
}

/** What the page draws for this data: points with a boundary grid, or the first test digits. */
function viewData(st: Setup, dataName: string): { view: ViewData; rows: Float64Array | undefined } {
  const { data } = st;
  if (data.features === 2) {
    const all = new Float32Array([...data.train.x, ...data.test.x]);
    const labels = Uint8Array.from([...data.train.labels, ...data.test.labels]);
    return { view: { kind: 'points', x: all, labels, testFrom: data.train.n, classes: data.classes, bounds: boundsOf(all), res: 64 }, rows: undefined };
  }
  if (dataName === 'mnist') {
    const src = data.test.n > 0 ? data.test : data.train;
    const count = Math.min(40, src.n);
    const px = src.x.subarray(0, count * 784);
    return { view: { kind: 'digits', pixels: Uint8Array.from(px, (v) => Math.round(v * 255)), labels: Uint8Array.from(src.labels.subarray(0, count)) }, rows: Float64Array.from(px) };
  }
  return { view: { kind: 'none' }, rows: undefined };
}

function transfers(v: ViewData): Transferable[] {
  return v.kind === 'points' ? [v.x.buffer, v.labels.buffer] : v.kind === 'digits' ? [v.pixels.buffer, v.labels.buffer] : [];
}

/** Recomputes the view's predictions from the model's current weights. */
async function refreshView(view: ViewData, rows: Float64Array | undefined, epoch: number): Promise<void> {
  if (!model || view.kind === 'none') return;
  const { spec, backend } = model;
  const params = await backend.readParams();
  const predictions = view.kind === 'points' ? boundaryGrid(spec, params, view.bounds, view.res) : predict(spec, params, rows!, rows!.length / size(spec, 0));
  post({ type: 'view', epoch, predictions }, [predictions.cls.buffer, predictions.conf.buffer]);
}

// ---- Requests ----
/** Checkpoint settings that must match for a resumed run to be the same run. */
function runRecord(s: Settings): Record<string, string | number> {
  // batchNorm only when on (a number: the record holds strings and numbers), so runs saved before
  // the setting existed stay resumable.
  return Object.fromEntries(KEYS.flatMap((k): [string, string | number][] =>
    k === 'batchNorm' ? (s.batchNorm ? [[k, 1]] : []) : [[k, k === 'hidden' ? formatHidden(s.hidden) : s[k]]]));
}

/** Where a run starts: a checkpoint (position, weights, optimizer state) or step 0. */
interface Start {
  readonly position: LoopPosition;
  readonly params: Params;
  readonly state: TrainState;
}

async function train(s: Settings, saved?: SavedRun): Promise<void> {
  if (running) throw new Error('a training is already running: pause or stop it first');
  running = true;
  paused = false;
  stopRequested = false;
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
      if (!sameSpec(loaded.spec, spec)) {
        const bn = specMismatch(loaded.spec, spec);
        throw new Error(`the loaded model ${loaded.name} ${bn ? `differs only in batch norm: ${bn.replace('the file', 'it')}` : `has ${describeSpec(loaded.spec)}, these settings make ${describeSpec(spec)}`}; match the settings or forget the loaded model`);
      }
      params = loaded.params;
      initFrom = `weights from ${loaded.name}`;
    } else {
      params = initParams(spec, s.seed);
      initFrom = `random init, seed ${s.seed}`;
    }
    if (!saved) await forgetSavedRun(); // a new run replaces the one a reload could continue
    replaceModel(undefined); // frees the previous model's GPU memory first
    const before = liveBufferStats().bytes;
    const init: BackendInit = { spec, params, train: st.train, test: st.test, maxBatch: st.maxBatch, config: trainConfig(s) };
    const startBackend = async (from: Start | undefined): Promise<TrainBackend> => {
      const backend = await makeBackend(s, { ...init, params: from?.params ?? params });
      if (from && backend.writeState && Object.keys(from.state).length > 0) backend.writeState(from.state);
      model = { spec, backend, dataName: st.data.name };
      return backend;
    };
    let backend = await startBackend(start);
    const memory = s.device === 'gpu' ? { bytes: liveBufferStats().bytes - before, largest } : null;
    const { view, rows } = viewData(st, st.data.name);
    post({ type: 'ready', device: backend.device, adapter: backend.adapter, spec, params: paramCount(spec), trainRows: st.train.n, testRows: st.test.n, memory, view: cloneView(view), initFrom }, transfers(cloneView(view)));
    setState('training');

    const stepsPerEpoch = Math.ceil(st.train.n / st.maxBatch);
    const totalSteps = stepsPerEpoch * s.epochs;
    let lastView = 0;
    let lastStep = start?.position.step ?? 0;
    let viewBusy: Promise<void> | undefined;
    const emit = (event: TrainEvent) => {
      post({ type: 'event', event });
      if (event.type === 'progress' || event.type === 'checkpoint') lastStep = Math.max(lastStep, event.step);
      if (event.type === 'epoch' && !viewBusy && performance.now() - lastView > 250) {
        lastView = performance.now();
        // A view read-back fails when the device is lost; the run's own error handling deals with that.
        viewBusy = refreshView(view, rows, event.epoch).catch(() => {}).finally(() => (viewBusy = undefined));
      }
    };
    const onCheckpoint = async (c: Start): Promise<void> => {
      start = c;
      const bytes = encodeCheckpoint({ spec, params: c.params, state: c.state, position: c.position, run: runRecord(s) });
      const info: SavedRunInfo = { settings: s, step: c.position.step, epoch: c.position.epoch, totalSteps, savedAt: Date.now() };
      try {
        await saveRun({ ...info, bytes });
        post({ type: 'saved-run', info });
      } catch (e) {
        // The run goes on (device-loss recovery keeps its checkpoint in memory); only a reload cannot continue it.
        post({ type: 'error', context: 'storage', message: `checkpoint at step ${info.step} not saved: ${message(e)}` });
      }
    };
    const loop = {
      epochs: s.epochs, batchSize: s.batchSize, lr: s.lr, seed: s.seed, shuffle: true,
      evalEvery: Math.max(1, Math.min(50, Math.round(stepsPerEpoch / 4))),
    };
    const checkpointEvery = Math.min(stepsPerEpoch, CHECKPOINT_MAX_STEPS);
    let summary: Summary;
    for (let recoveries = 0; ; recoveries++) {
      const ctx = s.device === 'gpu' ? gpu : undefined;
      try {
        summary = await runTraining(backend, st.train.n, st.test.n, loop, emit, { control, checkpointEvery, onCheckpoint, ...(start ? { resume: start.position } : {}) });
        break;
      } catch (e) {
        // A lost device (driver reset, device.destroy()) surfaces as a failed read-back; anything else is a real error.
        const lost = ctx && (await lostWithin(ctx, 2000));
        if (!lost || recoveries >= MAX_RECOVERIES) throw e;
        await viewBusy;
        const lostAt = lastStep;
        replaceModel(undefined);
        await reacquire();
        backend = await startBackend(start);
        const from = start?.position.step ?? 0;
        emit({ type: 'recovered', fromStep: from, reason: `WebGPU device lost (${lost}); resumed on a new device` });
        post({ type: 'notice', text: `GPU device lost at step ${lostAt}; resumed from ${start ? `the checkpoint at step ${from}` : 'the start (no checkpoint yet)'} on a new device (${gpu?.adapterName ?? '?'})` });
      }
    }
    await viewBusy;
    await refreshView(view, rows, summary.epochs);
    if (stopRequested) setState('stopped');
    else {
      await forgetSavedRun(); // finished: nothing to resume
      setState('done');
    }
  } catch (e) {
    setState('failed');
    throw e;
  } finally {
    running = false;
    paused = false;
  }
}

async function forgetSavedRun(): Promise<void> {
  await clearRuns();
  post({ type: 'saved-run', info: null });
}

/** A copy for posting: the worker keeps its own view (bounds, labels) for later refreshes. */
function cloneView(v: ViewData): ViewData {
  if (v.kind === 'points') return { ...v, x: v.x.slice(), labels: v.labels.slice() };
  if (v.kind === 'digits') return { ...v, pixels: v.pixels.slice(), labels: v.labels.slice() };
  return v;
}

async function load(name: string, bytes: Uint8Array, s: Settings): Promise<void> {
  if (running) throw new Error(`${name}: a training is running; stop it before loading a model (the run is kept)`);
  let fileSpec: ModelSpec | undefined;
  try {
    fileSpec = specFromSafetensors(bytes);
  } catch (e) {
    throw new Error(`${name}: ${message(e)}`);
  }
  if (!fileSpec) throw new Error(`${name}: not a model saved by this trainer (no webgpu-mlp architecture in its metadata)`);
  const st = await setup(s);
  if (!sameSpec(fileSpec, st.spec)) {
    const bn = specMismatch(fileSpec, st.spec);
    throw new Error(bn ? `${name} does not fit: only batch norm differs: ${bn}`
      : `${name} does not fit: the file holds ${describeSpec(fileSpec)}, the settings with data '${s.data}' make ${describeSpec(st.spec)}`);
  }
  const largest = await budget(s, st);
  let params: Params;
  try {
    params = paramsFromSafetensors(bytes, st.spec);
  } catch (e) {
    throw new Error(`${name}: ${message(e)}`);
  }
  replaceModel(undefined);
  const before = liveBufferStats().bytes;
  const backend = await makeBackend(s, { spec: st.spec, params, train: st.train, test: st.test, maxBatch: st.maxBatch });
  model = { spec: st.spec, backend, dataName: st.data.name };
  loaded = { spec: st.spec, params, name };
  const { view, rows } = viewData(st, st.data.name);
  const memory = s.device === 'gpu' ? { bytes: liveBufferStats().bytes - before, largest } : null;
  post({ type: 'ready', device: backend.device, adapter: backend.adapter, spec: st.spec, params: paramCount(st.spec), trainRows: st.train.n, testRows: st.test.n, memory, view: cloneView(view), initFrom: `weights from ${name}` }, transfers(cloneView(view)));
  const tr = await backend.evaluate('train');
  const te = st.test.n > 0 ? await backend.evaluate('test') : null;
  await refreshView(view, rows, 0);
  post({ type: 'loaded', name, spec: st.spec, loss: tr.lossSum / tr.count, trainAccuracy: tr.correct / tr.count, testAccuracy: te ? te.correct / te.count : null });
}

async function save(): Promise<void> {
  if (!model) throw new Error('nothing to save yet: train or load a model first');
  const { spec, backend, dataName } = model;
  const bytes = paramsToSafetensors(spec, await backend.readParams());
  post({ type: 'saved', name: `mlp-${dataName}-${spec.sizes.join('x')}.safetensors`, bytes }, [bytes.buffer]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Number.isFinite(a[i]!) ? Math.abs(a[i]! - b[i]!) : Infinity);
  return m;
}

/** One training step on the GPU and on the float64 reference from the same weights and rows. */
async function check(s: Settings): Promise<void> {
  if (running && !paused) throw new Error('check needs the GPU to itself: pause or stop the training first');
  const ctx = await requireGpu();
  const st = await setup(s);
  const { spec } = st;
  const rows = st.maxBatch;
  checkBudget(spec, rows, st.train.n, 0, 'gpu', limitsOf(ctx), ctx.adapterName);
  const params = model && sameSpec(model.spec, spec) ? await model.backend.readParams() : loaded && sameSpec(loaded.spec, spec) ? loaded.params : initParams(spec, s.seed);
  const config = resolveConfig(trainConfig(s));
  const plan = await TrainingPlan.create(ctx, { spec, params, train: st.train, test: { x: new Float32Array(0), y: new Float32Array(0), n: 0 }, maxBatch: rows, config }, await planOptions(ctx));
  let gpuLoss: number;
  let grads: Params;
  let after: Params;
  try {
    plan.step(0, rows, s.lr);
    const stats = await plan.takeTrainStats();
    gpuLoss = stats.lossSum / stats.count;
    grads = await plan.readGrads();
    after = await plan.readParams();
  } finally {
    plan.destroy();
  }
  const n0 = size(spec, 0);
  const nL = size(spec, layerCount(spec));
  const p64 = toParams64(params);
  const plain = config.optimizer === 'sgd' && config.l2 === 0 && config.keepProb === 1;
  const ref = trainStep(spec, p64, Float64Array.from(st.train.x.subarray(0, rows * n0)), Float64Array.from(st.train.y.subarray(0, rows * nL)), rows, s.lr,
    plain ? undefined : { config, state: zeroState(p64), t: 1 });
  const layers: LayerCheck[] = grads.map((g, l) => {
    const name = (k: string) => `layers.${l}.${k}`;
    const mismatches = [
      compare(name('weight.grad'), g.weight, ref.grads.dW[l]!, TOL.grad),
      compare(name('bias.grad'), g.bias, ref.grads.db[l]!, TOL.grad),
      compare(name('weight'), after[l]!.weight, p64[l]!.weight, TOL.value),
      compare(name('bias'), after[l]!.bias, p64[l]!.bias, TOL.value),
    ];
    const row: Omit<LayerCheck, 'ok'> = {
      layer: l, shape: `${size(spec, l + 1)}x${size(spec, l)}`,
      dW: maxAbsDiff(g.weight, ref.grads.dW[l]!), db: maxAbsDiff(g.bias, ref.grads.db[l]!),
      weightAfter: maxAbsDiff(after[l]!.weight, p64[l]!.weight), biasAfter: maxAbsDiff(after[l]!.bias, p64[l]!.bias),
    };
    if (!hasBatchNorm(spec, l)) return { ...row, ok: mismatches.every((m) => m === undefined) };
    // Batch norm: dγ and dβ (the GPU keeps them in the γ and β slots of its gradient buffer), then γ, β
    // and the running mean and var the step left (p64 was updated in place by trainStep).
    const [gb, ab, rb, rg] = [g.bn, after[l]!.bn, p64[l]!.bn, ref.grads.bn?.[l]];
    if (!gb || !ab || !rb || !rg) throw new Error(`${name('bn_gamma')}: layer ${l} has batch norm but the GPU or the reference returned no bn tensors`);
    mismatches.push(
      compare(name('bn_gamma.grad'), gb.gamma, rg.dGamma, TOL.grad),
      compare(name('bn_beta.grad'), gb.beta, rg.dBeta, TOL.grad),
      compare(name('bn_gamma'), ab.gamma, rb.gamma, TOL.value),
      compare(name('bn_beta'), ab.beta, rb.beta, TOL.value),
      compare(name('bn_mean'), ab.mean, rb.mean, TOL.value),
      compare(name('bn_var'), ab.var, rb.var, TOL.value),
    );
    const bn: BatchNormCheck = {
      dGamma: maxAbsDiff(gb.gamma, rg.dGamma), dBeta: maxAbsDiff(gb.beta, rg.dBeta),
      gammaAfter: maxAbsDiff(ab.gamma, rb.gamma), betaAfter: maxAbsDiff(ab.beta, rb.beta),
      meanAfter: maxAbsDiff(ab.mean, rb.mean), varAfter: maxAbsDiff(ab.var, rb.var),
    };
    return { ...row, bn, ok: mismatches.every((m) => m === undefined) };
  });
  post({ type: 'check', spec, rows, gpuLoss, cpuLoss: ref.loss, layers, adapter: ctx.adapterName });
}

/** Rows the gradient check uses: each parameter costs two forward passes over them. */
const GRADCHECK_ROWS = 4;

/** The course's gradient check: float64 backprop against central differences of the cost, for this
 *  architecture at its initial weights (seed), on the first training rows, with the settings' L2 and
 *  dropout (one fixed mask, so the cost is deterministic). */
async function gradcheck(s: Settings): Promise<void> {
  const st = await setup(s);
  const { spec } = st;
  const rows = Math.min(GRADCHECK_ROWS, st.train.n);
  const n0 = size(spec, 0);
  const nL = size(spec, layerCount(spec));
  const params = toParams64(initParams(spec, s.seed));
  const x = Float64Array.from(st.train.x.subarray(0, rows * n0));
  const y = Float64Array.from(st.train.y.subarray(0, rows * nL));
  const reg = { l2: s.l2, ...(s.keepProb < 1 ? { dropout: { keepProb: s.keepProb, seed: s.seed, step: 1 } } : {}) };
  const t0 = performance.now();
  const results = gradientCheck(spec, params, x, y, rows, 1e-6, undefined, reg);
  post({ type: 'gradcheck', spec, rows, l2: s.l2, keepProb: s.keepProb, threshold: GRADCHECK_THRESHOLD, seconds: (performance.now() - t0) / 1000,
    results: results.map((r) => ({ ...r, ok: r.relDiff < GRADCHECK_THRESHOLD })) });
}

function loadCsv(name: string, text: string): void {
  csv = undefined;
  const d = parseCsv(text, name);
  csv = d;
  post({ type: 'csv', name, rows: d.n, features: d.features, classes: d.classes });
}

const CONTEXT: Record<ToWorker['type'], ErrorContext> = {
  init: 'adapter', csv: 'csv', train: 'train', pause: 'control', resume: 'control', stop: 'control',
  save: 'save', load: 'load', forget: 'load', check: 'check', gradcheck: 'gradcheck', 'resume-saved': 'train', 'debug-lose-device': 'control',
};

/** Checkpoints every epoch, or every this many steps when epochs are longer. */
const CHECKPOINT_MAX_STEPS = 200;
/** Device losses one run survives before it fails. */
const MAX_RECOVERIES = 3;

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'init':
      latestRunInfo().then((info) => post({ type: 'saved-run', info: info ?? null }),
        (e: unknown) => post({ type: 'error', context: 'storage', message: `cannot read the saved run: ${message(e)}` }));
      gpuReady = acquire().then(
        () => {},
        (e: unknown) => {
          gpuError = message(e);
          post({ type: 'error', context: 'adapter', message: gpuError });
        },
      );
      return gpuReady;
    case 'csv': return loadCsv(m.name, m.text);
    case 'train': return train(m.settings);
    case 'pause':
      if (!running) throw new Error('nothing to pause: no training is running');
      paused = true;
      setState('paused');
      return;
    case 'resume':
      if (!running) throw new Error('nothing to resume: no training is running');
      paused = false;
      wake();
      setState('training');
      return;
    case 'stop':
      if (!running) throw new Error('nothing to stop: no training is running');
      stopRequested = true;
      paused = false;
      wake();
      setState('stopping');
      return;
    case 'save': return save();
    case 'load': return load(m.name, m.bytes, m.settings);
    case 'forget':
      loaded = undefined;
      return;
    case 'check': return check(m.settings);
    case 'gradcheck': return gradcheck(m.settings);
    case 'resume-saved': {
      const saved = await latestRun();
      if (!saved) throw new Error('there is no saved run to resume');
      return train(saved.settings, saved);
    }
    case 'debug-lose-device':
      (await requireGpu()).device.destroy();
      return;
  }
}

self.addEventListener('message', (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  handle(m).catch((e: unknown) => post({ type: 'error', context: CONTEXT[m.type], message: message(e) }));
});
