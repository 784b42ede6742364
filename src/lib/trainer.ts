// The trainer: the one route from a model and data to a trained model, for every user (the CLI, the web
// app's worker, the bench and anyone importing the library). A thin facade over the parts that do the
// work: the options and their checks (options.ts, spec.ts), the device and its backends (engine.ts),
// the rows and the model's scalings (model-data.ts), the fit and sweep drivers (fit.ts, fit-sweep.ts),
// what predict and evaluate hand back (predict.ts) and the exports (export.ts). It holds the model's
// parameters and info, the backend of the last run, and the pause and busy state.
import type { PlanRows } from '../gpu/plan.ts';
import { TrainingPlan } from '../gpu/plan.ts';
import { FusedBackend } from '../gpu/fused-backend.ts';
import { initParams } from '../init.ts';
import { cloneParams, layerCount, size, type ModelSpec, type Params } from '../model.ts';
import { referenceOutputs } from './reference-predict.ts';
import type { BackendInit, Split, SplitData, TrainBackend, TrainConfig } from '../train/backend.ts';
import { classificationMetrics, trueClasses } from '../train/classification.ts';
import type { LoopControl, Summary, TrainEvent } from '../train/loop.ts';
import { perTargetMetrics, type RegressionScale } from '../train/metrics.ts';
import { checkStep, gradcheckRows, type GradCheckRow, type StepCheck } from './check-step.ts';
import { applyNormalization, type LabeledData } from './data.ts';
import { planBuffers } from './budget.ts';
import { TrainerError } from '../errors.ts';
import { destroyedDuring, Engine } from './engine.ts';
import { modelToOnnx } from './export.ts';
import { runFit, type FitHost } from './fit.ts';
import { runSweep, type SweepHost } from './fit-sweep.ts';
import { EMPTY_SPLIT, ModelData } from './model-data.ts';
import { encodeModel, type ModelInfo, type SavedModel } from './model-file.ts';
import { lossSurface, type LossSurface, type SurfaceOptions } from './landscape.ts';
import {
  checkFitOptions,
  modelInfoOf,
  checkPlanOption,
  trainConfigOf,
  trialConfigs,
  type Evaluation,
  type FitOptions,
  type ManualSteps,
  type Prediction,
  type SweepFitOptions,
  type SweepTrialResult,
  type TrainerOptions,
} from './options.ts';
import { predictRows, targetValues, toEvaluation, toPrediction, type PredictInput } from './predict.ts';
import { buildSpec } from './spec.ts';
import type { Trial } from './sweep.ts';
import { yielder, type Yielder } from './yielder.ts';

export { DEFAULT_CHECKPOINT_STEPS } from './options.ts';
export type {
  DeviceChoice,
  Evaluation,
  FitOptions,
  ManualSteps,
  MatmulChoice,
  Prediction,
  SweepFitOptions,
  SweepProgress,
  SweepTrialResult,
  TrainerOptions,
} from './options.ts';
export type { FitCheckpoint } from '../train/checkpoint.ts';

/** Largest batch of an inference-only plan (predict, evaluate of other rows). */
const INFERENCE_BATCH = 1024;

/** The splits a backend was built with, and the caller's objects they came from. */
interface Bound {
  readonly backend: TrainBackend;
  readonly sources: ReadonlyMap<LabeledData, Split>;
}

/** A model and where it trains. Make one with createTrainer. */
export class Trainer {
  private params: Params;
  private bound: Bound | undefined;
  private running = false;
  private pausedNow = false;
  private wakeups: (() => void)[] = [];
  private destroyed = false;

  private constructor(
    /** The architecture. */
    readonly spec: ModelSpec,
    private readonly config: TrainConfig,
    private readonly options: TrainerOptions,
    private readonly engine: Engine,
    private readonly data: ModelData,
    params: Params,
  ) {
    this.params = cloneParams(params);
  }

  /** @internal use createTrainer. */
  static async create(o: TrainerOptions): Promise<Trainer> {
    const spec = buildSpec(o);
    const config = trainConfigOf(o);
    const { info, regression } = modelInfoOf(o, spec);
    checkPlanOption(o, spec, config);
    // Every check of the options comes before a device is acquired, so a bad option leaks none.
    const engine = await Engine.open(o.device ?? 'gpu', o);
    try {
      engine.checkModel(spec, config);
    } catch (e) {
      engine.destroy();
      throw e;
    }
    const params = o.model?.params ?? o.params ?? initParams(spec, o.seed ?? 1);
    const data = new ModelData(spec, regression, info, o.normalize, o.normalizeTarget === true);
    const t = new Trainer(spec, config, o, engine, data, params);
    const ctx = engine.context;
    if (ctx) await engine.planOptions(ctx); // the matmul family: nothing timed unless matmul is 'tune'
    return t;
  }

  /** 'gpu' or 'cpu'. */
  get device(): 'gpu' | 'cpu' {
    return this.engine.device;
  }

  /** The adapter that runs this trainer ("google swiftshader", "cpu reference (float64)"). */
  get adapter(): string {
    return this.engine.adapter;
  }

  /** The GPU device in use (undefined on the CPU). */
  get gpuDevice(): GPUDevice | undefined {
    return this.engine.context?.device;
  }

  /** Outputs are values (loss 'mse', info.task 'regression'). */
  get regression(): boolean {
    return this.data.regression;
  }

  /** Feature names, normalisation and class names, as save() writes them. */
  get info(): ModelInfo {
    return this.data.info;
  }

  /** The optimizer and regularisation, defaults filled in. */
  get trainConfig(): TrainConfig {
    return this.config;
  }

  /** True while fit runs. */
  get busy(): boolean {
    return this.running;
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** Holds a running fit before its next step until resume(). */
  pause(): void {
    this.pausedNow = true;
  }

  resume(): void {
    this.pausedNow = false;
    this.wake();
  }

  private wake(): void {
    const w = this.wakeups;
    this.wakeups = [];
    w.forEach((r) => r());
  }

  private live(): void {
    if (this.destroyed) throw new TrainerError('destroyed', 'trainer used after destroy(): create a new one');
  }

  private unbind(): void {
    this.bound?.backend.destroy();
    this.bound = undefined;
  }

  /** A backend of the trainer's model on these splits, from `params`. */
  private backendFor(
    train: SplitData,
    test: SplitData,
    maxBatch: number,
    inference: boolean,
    params: Params,
  ): Promise<TrainBackend> {
    const init = { spec: this.spec, params, train, test, dev: EMPTY_SPLIT, maxBatch, config: this.config };
    return this.engine.backend({ ...init, regression: this.regression }, inference ? { inference } : {});
  }

  /** GPU memory the plan for a fit would take, by buffer, before anything is allocated (uniforms and
   *  read-back buffers, a few KiB, not listed). */
  memoryEstimate(batchSize: number, rows: PlanRows): { name: string; bytes: number }[] {
    return planBuffers(this.spec, this.config, batchSize, rows, this.engine.limits, this.options.gpuDataBudget);
  }

  /** Builds the plan a fit of `batchSize` over these rows would take, on rows of zeros, and frees it:
   *  its kernels compile now, before the data is there, and stay compiled for the device, so a fit of
   *  this shape on the same device (this trainer's, or another on the same GpuSession) starts without
   *  compiling them. With `predictRows`, predict's plan for that many rows too (a small net's fit
   *  evaluates with the fused kernels, so the layered forward pass predict takes is not among the fit's).
   *  Nothing to do on the CPU. */
  async prepare(o: {
    readonly batchSize: number;
    readonly rows: PlanRows;
    readonly predictRows?: number;
  }): Promise<void> {
    this.live();
    if (this.running) throw new TrainerError('busy', 'prepare during a fit: the fit has its plan');
    if (this.device === 'cpu') return;
    const [inputs, outputs] = [size(this.spec, 0), size(this.spec, layerCount(this.spec))];
    const zeros = (n: number): SplitData =>
      n > 0 ? { x: new Float32Array(n * inputs), y: new Float32Array(n * outputs), n } : EMPTY_SPLIT;
    const counts = [o.batchSize, o.rows.train, o.rows.test, o.rows.dev, o.predictRows ?? 1];
    if (!counts.every((n) => Number.isInteger(n) && n >= 0) || o.batchSize < 1 || o.rows.train < 1 || counts[4]! < 1)
      throw new TrainerError(
        'bad-input',
        `prepare: batchSize, rows.train and predictRows must be positive integers, rows.test and rows.dev integers ≥ 0; got ${counts.join(', ')}`,
      );
    const init = {
      spec: this.spec,
      params: this.params,
      train: zeros(o.rows.train),
      test: zeros(o.rows.test),
      dev: zeros(o.rows.dev),
      maxBatch: Math.min(o.batchSize, o.rows.train),
      config: this.config,
      regression: this.regression,
    };
    (await this.engine.backend(init)).destroy();
    if (o.predictRows !== undefined) {
      const batch = Math.min(o.predictRows, INFERENCE_BATCH); // as rawOutputs sizes it
      (await this.backendFor(EMPTY_SPLIT, EMPTY_SPLIT, batch, true, this.params)).destroy();
    }
  }

  /** Bytes of GPU memory the trainer's current plan holds (0 on the CPU or with no plan). */
  get gpuBytes(): number {
    const b = this.bound?.backend;
    return b instanceof TrainingPlan || b instanceof FusedBackend ? b.bytes : 0;
  }

  /** Pause and stop of a running fit: the signal, pause(), and a turn for the event loop every 15 ms. */
  private control(signal: AbortSignal | undefined, y: Yielder): LoopControl {
    let lastYield = 0;
    return {
      shouldStop: () => signal?.aborted === true || this.destroyed,
      paused: () => this.pausedNow,
      waitIfPaused: async () => {
        if (performance.now() - lastYield > 15) {
          await y.next();
          lastYield = performance.now();
        }
        while (this.pausedNow && !signal?.aborted && !this.destroyed)
          await new Promise<void>((r) => this.wakeups.push(r));
      },
    };
  }

  /** What the fit and sweep drivers need of the trainer. */
  private host(y: Yielder): FitHost & SweepHost {
    const o = this.options;
    return {
      spec: this.spec,
      config: this.config,
      engine: this.engine,
      data: this.data,
      seed: o.seed ?? 1,
      params: () => this.params,
      keep: (params) => (this.params = params),
      bind: (backend, sources) => {
        this.unbind();
        if (this.destroyed) {
          // Built while destroy() ran: freed here, since destroy() could not see it.
          backend?.destroy();
          throw destroyedDuring(undefined);
        }
        if (backend) this.bound = { backend, sources: sources ?? new Map() };
      },
      cancelled: () => this.destroyed,
      startParams: (seed) => o.model?.params ?? o.params ?? initParams(this.spec, seed),
      yieldNow: y.next,
    };
  }

  /** Trains on `train` (raw rows: the model's normalisation is applied here; the names they carry,
   *  labeled()'s, go into the model's info where it has none). Resolves with the
   *  summary; a cancelled run resolves with the summary of the steps done. Throws TrainerError
   *  'diverged' or 'gpu-error' (the GPU rejected the run's work; 'too-large' when it ran out of memory):
   *  the parameters are then the last good ones; 'device-lost', 'busy' or 'bad-input'; 'destroyed'
   *  when destroy() is called during the run (which it then ends, with no device acquired after it). */
  async fit(train: LabeledData, o: FitOptions): Promise<Summary> {
    this.live();
    if (this.running)
      throw new TrainerError(
        'busy',
        'a fit is already running on this trainer: wait for it, or cancel it with its AbortSignal',
      );
    checkFitOptions(o);
    this.running = true;
    const y = yielder();
    const onAbort = () => this.wake();
    o.signal?.addEventListener('abort', onAbort);
    try {
      const summary = await runFit(this.host(y), train, o, this.control(o.signal, y));
      if (this.destroyed) throw destroyedDuring(undefined);
      return summary;
    } catch (e) {
      throw this.destroyed ? destroyedDuring(e) : e;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      y.close();
      this.running = false;
      this.pausedNow = false;
    }
  }

  /** A hyperparameter search: every trial (its lr, L2, keep-prob, β's and seed) trained on `train` for
   *  the same epochs and batch size, with the trainer's architecture and optimizer. On the GPU the
   *  trials train side by side in one plan (groups of up to groupSize), in the same dispatches; each
   *  trial's trajectory is bit-identical to its run alone: a trainer created with seed = trial.seed,
   *  the trial's l2, keepProb and β's, fit with its lr. A trial whose training loss turns NaN or
   *  infinite is stopped at the end of that epoch (reported 'diverged', its parameters those it had
   *  then) without touching the others. Results come in trial order; rank them with rankTrials. The
   *  trainer's own parameters are not changed (setParams(result.params) adopts a trial's). Rejects with
   *  'destroyed' when destroy() is called during the sweep. */
  async fitSweep(train: LabeledData, trials: readonly Trial[], o: SweepFitOptions): Promise<SweepTrialResult[]> {
    this.live();
    if (this.running) throw new TrainerError('busy', 'a fit is already running on this trainer');
    const configs = trialConfigs(this.config, trials, o);
    this.running = true;
    const y = yielder();
    try {
      const results = await runSweep(this.host(y), train, trials, configs, o);
      if (this.destroyed) throw destroyedDuring(undefined);
      return results;
    } catch (e) {
      throw this.destroyed ? destroyedDuring(e) : e;
    } finally {
      y.close();
      this.running = false;
    }
  }

  /** fit as an async iterator of its events; the last one is the summary. */
  async *events(train: LabeledData, o: FitOptions): AsyncGenerator<TrainEvent, void, undefined> {
    const queue: TrainEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    const run = this.fit(train, {
      ...o,
      onEvent: (e) => {
        o.onEvent?.(e);
        queue.push(e);
        wake?.();
      },
    })
      .catch((e: unknown) => {
        failure = e;
      })
      .finally(() => {
        done = true;
        wake?.();
      });
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (done) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    await run;
    if (failure !== undefined) throw failure;
  }

  /** Training steps by hand, for benchmarks: each step() runs one step on the first batchSize rows of
   *  `train` (no shuffling, no statistics read back); sync() resolves when every step so far is done
   *  on the device. destroy() ends it (the trainer's parameters are then those after the last step). */
  async stepper(train: LabeledData, o: { readonly batchSize: number; readonly lr: number }): Promise<ManualSteps> {
    this.live();
    if (this.running) throw new TrainerError('busy', 'stepper during a fit');
    const tr = this.data.split(train, 'stepper');
    const rows = Math.min(o.batchSize, tr.n);
    if (rows < 1) throw new TrainerError('bad-input', 'stepper: no rows');
    const params = await this.getParams();
    this.unbind();
    const backend = await this.backendFor(tr, EMPTY_SPLIT, rows, false, params);
    this.bound = { backend, sources: new Map([[train, 'train']]) };
    const device = this.gpuDevice;
    return {
      step: () => backend.step(0, rows, o.lr),
      sync: async () => {
        // A partly filled group is submitted first.
        if (backend instanceof TrainingPlan || backend instanceof FusedBackend) backend.flush();
        await device?.queue.onSubmittedWorkDone();
      },
      destroy: () => {
        if (this.bound?.backend === backend) this.unbind();
      },
      ...(backend instanceof TrainingPlan || backend instanceof FusedBackend
        ? { counters: () => backend.counters }
        : {}),
    };
  }

  /** Loss and accuracy (regression: RMSE, MAE and R² per target in its units, and pooled) of the current
   *  model over `data` (raw rows), forward only; a classifier's also has its confusion matrix and
   *  precision, recall and F1 (per class, macro). See Evaluation for the units. */
  async evaluate(data: LabeledData): Promise<Evaluation> {
    this.live();
    const rows = this.data.split(data, 'evaluate');
    const scale = this.regression
      ? this.data.regressionScale({ train: rows, test: EMPTY_SPLIT, dev: EMPTY_SPLIT })
      : undefined;
    const split = this.bound?.sources.get(data);
    if (split && !this.running) return this.evaluation(this.bound!.backend, split, rows, data, scale);
    if (rows.n === 0) throw new TrainerError('bad-input', 'evaluate: no rows');
    const batch = Math.min(rows.n, INFERENCE_BATCH);
    const backend = await this.backendFor(rows, EMPTY_SPLIT, batch, true, await this.getParams());
    try {
      return await this.evaluation(backend, 'train', rows, data, scale);
    } finally {
      backend.destroy();
    }
  }

  /** `backend`'s evaluation of `split` (whose rows are `rows`, from the caller's `data`), with what the
   *  outputs on the same backend (the GPU plan's forward pass, or the reference's) give: a regression
   *  model's metrics per target against the raw targets, a classifier's of the classes predicted. */
  private async evaluation(
    backend: TrainBackend,
    split: Split,
    rows: SplitData,
    data: LabeledData,
    scale: RegressionScale | undefined,
  ): Promise<Evaluation> {
    const stats = await backend.evaluate(split);
    const z =
      backend instanceof TrainingPlan
        ? Float64Array.from(await backend.forwardRows(rows.x, rows.n))
        : referenceOutputs(this.spec, await backend.readParams(), rows.x, rows.n);
    const k = size(this.spec, layerCount(this.spec));
    if (this.regression) {
      // The raw targets (split() checked them), not the standardised ones turned back.
      const predicted = targetValues(z, this.info.targetNormalization, k);
      return toEvaluation(stats, scale, perTargetMetrics(predicted, data.y!, rows.n, k, this.info.targetNames));
    }
    const predicted = toPrediction(this.spec, this.info, false, z, rows.n).classes!;
    const classification = classificationMetrics(trueClasses(rows.y, rows.n, k), predicted, Math.max(k, 2));
    return { ...toEvaluation(stats, scale), classification };
  }

  /** Outputs for raw rows x [rows][features] (a Float32Array or Float64Array, or an array of rows),
   *  computed on the trainer's device in
   *  inference mode (batch norm with its running averages, no dropout). */
  async predict(x: PredictInput): Promise<Prediction> {
    this.live();
    const flat = predictRows(this.spec, x);
    const rows = flat.length / this.spec.sizes[0]!;
    const nz = this.info.normalization; // the rows were checked above
    const input = nz ? applyNormalization(flat, nz) : flat;
    return toPrediction(this.spec, this.info, this.regression, await this.rawOutputs(input, rows), rows);
  }

  /** The output layer's values (logits for classification) for normalised rows. */
  private async rawOutputs(x: Float32Array, rows: number): Promise<Float64Array> {
    if (this.device === 'cpu') return referenceOutputs(this.spec, this.params, x, rows);
    if (this.running)
      throw new TrainerError(
        'busy',
        'predict during a fit on the GPU: pause is not enough, wait for the fit to end (or predict on the CPU from getParams())',
      );
    let plan = this.bound?.backend;
    if (!(plan instanceof TrainingPlan)) {
      const params = await this.getParams();
      this.unbind();
      const batch = Math.min(Math.max(rows, 1), INFERENCE_BATCH);
      plan = await this.backendFor(EMPTY_SPLIT, EMPTY_SPLIT, batch, true, params);
      this.bound = { backend: plan, sources: new Map() };
    }
    return Float64Array.from(await (plan as TrainingPlan).forwardRows(x, rows));
  }

  /** The current parameters (a copy). During a running fit: those at its start (or its last
   *  getParams while paused); pause first for the latest. */
  async getParams(): Promise<Params> {
    this.live();
    const b = this.bound?.backend;
    // While a fit is paused its backend is idle between steps, so its parameters can be read too.
    if (b && (!this.running || this.pausedNow)) this.params = await b.readParams();
    return cloneParams(this.params);
  }

  /** The cost over a plane through the current weights along two filter-normalised random directions
   *  (a 41×41 grid of α, β in [−1, 1] by default), the mean data loss over `data` at each point, and
   *  `path`'s weights projected onto the plane: one dispatch on the GPU, the float64 reference on the
   *  CPU. Between fits or while one is paused. See LossSurface. */
  async lossSurface(data: LabeledData, o: SurfaceOptions = {}): Promise<LossSurface> {
    this.live();
    if (this.running && !this.pausedNow) throw new TrainerError('busy', 'lossSurface during a fit: pause it first');
    const rows = this.data.split(data, 'lossSurface');
    return lossSurface(this.engine.context, this.spec, await this.getParams(), rows, o);
  }

  /** Replaces the parameters (checked against the architecture when next used). */
  setParams(params: Params): void {
    this.live();
    if (this.running) throw new TrainerError('busy', 'setParams during a fit');
    if (params.length !== layerCount(this.spec))
      throw new TrainerError(
        'model-mismatch',
        `setParams: ${params.length} layers given, the model [${this.spec.sizes.join(',')}] has ${layerCount(this.spec)}`,
      );
    this.unbind();
    this.params = cloneParams(params);
  }

  /** The model as it is now: spec, parameters and info. */
  async model(): Promise<SavedModel> {
    return { spec: this.spec, params: await this.getParams(), info: this.info };
  }

  /** The model file: safetensors with the architecture and info in its metadata (decodeModel reads it). */
  async save(): Promise<Uint8Array> {
    return encodeModel(await this.model());
  }

  /** The model as ONNX (opset 13): the input normalisation as its first nodes, a Gemm and activation
   *  per layer (batch norm folded in), softmax or sigmoid at the end; input 'input' [batch, features],
   *  output 'output' (probabilities, or regression values). Runs in onnxruntime and the like. */
  async exportOnnx(): Promise<Uint8Array> {
    return modelToOnnx(await this.model());
  }

  /** One training step at learning rate lr on the GPU and on the float64 reference, from the current
   *  parameters and the first `rows` rows of `data` (default: up to 64): per-tensor largest errors. */
  async checkStep(data: LabeledData, o: { lr: number; rows?: number }): Promise<StepCheck> {
    this.live();
    const ctx = this.engine.context;
    if (!ctx)
      throw new TrainerError(
        'no-webgpu',
        'checkStep compares the GPU with the reference: this trainer runs on the CPU',
      );
    if (this.running && !this.pausedNow)
      throw new TrainerError('busy', 'checkStep needs the GPU to itself: pause the fit first');
    this.data.fitScalings(data, 'checkStep');
    const train = this.data.split(data, 'checkStep');
    const rows = Math.min(o.rows ?? 64, train.n);
    if (rows < 1) throw new TrainerError('bad-input', 'checkStep: no rows');
    const params = this.running ? cloneParams(this.params) : await this.getParams();
    const build = (init: BackendInit) => this.engine.backend(init, { what: 'checkStep' });
    return checkStep(build, this.spec, params, this.config, train, rows, o.lr, this.regression);
  }

  /** The course's gradient check (float64 backprop against central differences) of the current
   *  parameters on the first `rows` rows of `data` (default 4), with this trainer's L2 and dropout. */
  async gradcheck(
    data: LabeledData,
    o: { rows?: number } = {},
  ): Promise<{ rows: number; threshold: number; results: GradCheckRow[] }> {
    this.data.fitScalings(data, 'gradcheck');
    const train = this.data.split(data, 'gradcheck');
    const params = this.running ? cloneParams(this.params) : await this.getParams();
    return gradcheckRows(this.spec, params, this.config, train, Math.min(o.rows ?? 4, train.n), this.options.seed ?? 1);
  }

  /** Frees the plan and, if the trainer acquired it, the device. Idempotent. A running fit or fitSweep
   *  stops and rejects with TrainerError 'destroyed' (the device's loss that follows is not recovered). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unbind();
    this.wake();
    this.engine.destroy();
  }
}

/** Makes a trainer: resolves the architecture, acquires the device (device 'gpu') and picks its matmul
 *  family, timing nothing unless `matmul` is 'tune' (TrainerOptions.matmul). Throws TrainerError 'no-webgpu' when WebGPU is missing, 'bad-input' for an
 *  invalid architecture or optimizer setting. */
export function createTrainer(options: TrainerOptions): Promise<Trainer> {
  return Trainer.create(options);
}
