// The trainer: the one route from a model and data to a trained model, for every user (the CLI, the web
// app's worker, the bench and anyone importing the library). It owns the device (or borrows the
// caller's), the matmul choice, the backend (WebGPU plan or float64 reference), device-loss recovery,
// pause and cancel, and the model's info (normalisation, names) that predict and save need.
import { autotuneMatmul, describeTune, type AutotuneResult, type TuneStore } from '../gpu/autotune.ts';
import type { HostCounts } from '../gpu/counters.ts';
import { acquireDevice, adapterName, type GpuContext } from '../gpu/device.ts';
import { preferredMatmul, type MatmulFamily } from '../gpu/kernels.ts';
import { TrainingPlan, planMemory, type PlanOptions, type PlanRows } from '../gpu/plan.ts';
import { initParams } from '../init.ts';
import {
  cloneParams,
  layerCount,
  outputsForClasses,
  size,
  validateSpec,
  type Activation,
  type InputNormalization,
  type Loss,
  type ModelSpec,
  type Params,
} from '../model.ts';
import { CpuBackend } from '../reference/backend.ts';
import { forward, toParams64 } from '../reference/mlp.ts';
import {
  resolveConfig,
  type OptimizerKind,
  type Split,
  type SplitData,
  type TrainBackend,
  type TrainConfig,
} from '../train/backend.ts';
import type { LoopPosition, TrainState } from '../train/checkpoint.ts';
import {
  DivergenceError,
  learningRate,
  runTraining,
  type LoopControl,
  type LrDecay,
  type Summary,
  type TrainEvent,
} from '../train/loop.ts';
import { regressionMetrics, sumOfSquares, type RegressionMetrics, type RegressionScale } from '../train/metrics.ts';
import { checkStep, gradcheckRows, type GradCheckRow, type StepCheck } from './check-step.ts';
import { applyNormalization, fitNormalization, toSplit, type LabeledData } from './data.ts';
import { checkFits, planBuffers } from './budget.ts';
import { TrainerError, messageOf } from '../errors.ts';
import { encodeModel, validateInfo, type ModelInfo, type SavedModel } from './model-file.ts';
import { encodeOnnx } from '../io/onnx.ts';
import { Rng } from '../rng.ts';
import type { Hyperparameters, Trial, TrialResult } from './sweep.ts';

/** Where training runs: 'gpu' (WebGPU; the trainer acquires a device and replaces it if it is lost),
 *  'cpu' (the float64 reference, no GPU needed), or a GPUDevice of the caller's (used as is, never
 *  destroyed; a loss of it ends the fit with a 'device-lost' error). */
export type DeviceChoice = 'gpu' | 'cpu' | GPUDevice;

/** Options of createTrainer: the architecture (a spec, or inputs/hidden/classes), where to run, the
 *  optimizer and regularisation, and the input normalisation. */
export interface TrainerOptions {
  /** A complete architecture; or give inputs, hidden and classes (or outputs) instead. */
  readonly spec?: ModelSpec;
  /** Number of input features. */
  readonly inputs?: number;
  /** Hidden layer widths (default [32, 32]; [] for logistic/softmax regression). */
  readonly hidden?: readonly number[];
  /** Number of classes (2: one sigmoid output with binary cross-entropy; more: softmax). */
  readonly classes?: number;
  /** Outputs of a regression model (loss 'mse'). */
  readonly outputs?: number;
  /** 'regression' (values out; RMSE, MAE and R² in evaluations and events) or 'classification'.
   *  Default: regression when `outputs` is given or the model's info says so. */
  readonly task?: 'classification' | 'regression';
  /** Regression: standardise the targets with statistics of the first fit's training rows (kept in the
   *  model's info as targetNormalization); fit, evaluate and predict take and give the targets' units. */
  readonly normalizeTarget?: boolean;
  /** Hidden activation (default 'relu'). */
  readonly activation?: Activation;
  /** Output and cost (default: 'bce' for 2 classes, 'ce' for more, 'mse' with outputs). */
  readonly loss?: Loss;
  /** Batch normalisation on every hidden layer. */
  readonly batchNorm?: boolean;
  /** A trained model to continue from (decodeModel's result); its spec and info are used. */
  readonly model?: SavedModel;
  /** Starting weights (default: He/Xavier init from seed). */
  readonly params?: Params;
  /** Seeds the initial weights and the dropout masks (default 1). */
  readonly seed?: number;
  readonly optimizer?: OptimizerKind;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** L2 strength λ (weights only). */
  readonly l2?: number;
  /** Dropout keep probability of hidden layers (1: off). */
  readonly keepProb?: number;
  /** Scale inputs with statistics fitted on the first fit's training rows; kept in the model's info
   *  and applied by fit, evaluate and predict, so every call takes raw rows. */
  readonly normalize?: 'standard' | 'minmax' | 'none';
  /** Names and training settings to keep in the model file (merged over model.info). */
  readonly info?: ModelInfo;
  /** Default 'gpu'. */
  readonly device?: DeviceChoice;
  /** GPU matmul kernels: a family, or 'auto' (default): timed once per adapter, cached in tuneStore. */
  readonly matmul?: MatmulFamily | 'auto';
  /** Where autotune results are kept between runs (default: this page's memory only). */
  readonly tuneStore?: TuneStore;
  /** Called with the autotune's result and its log line. */
  readonly onTune?: (result: AutotuneResult, line: string) => void;
  /** Training steps per WebGPU submit (results are identical for every value). */
  readonly stepsPerSubmit?: number;
  /** GPU memory for data, in bytes (default 512 MiB): data sets that do not fit it, or that are past
   *  the device's buffer limits, are streamed to the GPU in shards, with bit-identical results. */
  readonly gpuDataBudget?: number;
}

/** Options of one fit. */
export interface FitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** Seeds the shuffling (default: the trainer's seed). */
  readonly seed?: number;
  /** Shuffle rows every epoch (default true). */
  readonly shuffle?: boolean;
  readonly lrDecay?: LrDecay;
  /** Rows evaluated after every epoch (test loss and accuracy in the 'epoch' events). */
  readonly test?: LabeledData;
  /** Rows for early stopping (dev loss after every epoch). */
  readonly dev?: LabeledData;
  /** Stop after this many epochs without a lower dev loss. */
  readonly earlyStopping?: number;
  /** Progress events every this many steps (default 50). */
  readonly evalEvery?: number;
  /** Every event of the run, in order: start, progress, epoch, checkpoint, recovered, summary. */
  readonly onEvent?: (e: TrainEvent) => void;
  /** Ends the run after the current step; fit then resolves with the summary of the steps done. */
  readonly signal?: AbortSignal;
  /** Steps between checkpoints (default: an epoch, at most 200 steps). A lost GPU device costs at most
   *  this many steps: training goes on from the last checkpoint on a new device. */
  readonly checkpointEvery?: number;
  /** Called with every checkpoint (position, parameters, exact training state). */
  readonly onCheckpoint?: (c: FitCheckpoint) => Promise<void> | void;
  /** Continue a run from a checkpoint: the run's settings must be those it was written with. */
  readonly resume?: FitCheckpoint;
  /** Device losses survived before the fit fails (default 3). */
  readonly maxRecoveries?: number;
}

/** Options of fitSweep: a fit's, less what a sweep varies (lr and seed come from each trial) or does
 *  not do (checkpoints, resume, early stopping). */
export interface SweepFitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffle?: boolean;
  readonly lrDecay?: LrDecay;
  /** The rows the trials are ranked on (dev loss after the last epoch). */
  readonly dev: LabeledData;
  /** Rows evaluated once at the end (never used for the ranking). */
  readonly test?: LabeledData;
  /** Most trials trained at once (default: as many as fit the device, at most 64). */
  readonly groupSize?: number;
  /** Train the trials one after another, each alone, instead (the baseline a sweep is measured against). */
  readonly sequential?: boolean;
  /** After every epoch of every group. */
  readonly onProgress?: (p: SweepProgress) => void;
  readonly signal?: AbortSignal;
}

/** Where a sweep is: group g of `groups` (trials first..first+count−1), epoch e of epochs, each of the
 *  group's trials' training loss over the epoch (NaN once diverged) and dev loss. */
export interface SweepProgress {
  readonly group: number;
  readonly groups: number;
  readonly first: number;
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: readonly number[];
  readonly devLoss: readonly number[];
  readonly seconds: number;
}

/** One trial's outcome: the ranking fields, its final parameters, and the test split's figures. */
export interface SweepTrialResult extends TrialResult {
  readonly params: Params;
  readonly trainAccuracy: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
}

/** A point a run can continue from bit-for-bit. */
export interface FitCheckpoint {
  readonly position: LoopPosition;
  readonly params: Params;
  readonly state: TrainState;
}

/** Loss and accuracy of the model over some rows (loss without the L2 term, in training units: of the
 *  standardised targets with normalizeTarget). A regression model has RMSE, MAE (targets' units) and
 *  R² instead of an accuracy (NaN). */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly rows: number;
  readonly rmse?: number;
  readonly mae?: number;
  readonly r2?: number;
}

/** predict's result. Classification: values are class probabilities [rows][classes] (two columns for a
 *  sigmoid model: 1 − p, p) and classes the most probable class of each row; a classifier trained with
 *  'mse' gives its output scores instead of probabilities. Regression: values are the outputs
 *  [rows][outputs], in the targets' units (normalizeTarget undone), and no classes. */
export interface Prediction {
  readonly rows: number;
  readonly columns: number;
  readonly values: Float32Array;
  readonly classes?: Uint32Array;
}

/** Steps by hand (Trainer.stepper), for timing a training step without the loop around it. */
export interface ManualSteps {
  step(): void;
  sync(): Promise<void>;
  destroy(): void;
  /** On the GPU: the plan's cumulative dispatches, bind-group sets, buffer writes and submits. */
  counters?(): HostCounts;
}

/** Steps between in-memory checkpoints when the caller names none: an epoch, at most this many. */
export const DEFAULT_CHECKPOINT_STEPS = 200;
/** Largest batch of an inference-only plan (predict, evaluate of other rows). */
const INFERENCE_BATCH = 1024;

const empty: SplitData = { x: new Float32Array(0), y: new Float32Array(0), n: 0 };

/** The architecture the options describe. */
function specFrom(o: TrainerOptions): ModelSpec {
  if (o.model) return o.model.spec;
  if (o.spec) return o.spec;
  const bad = (m: string) => new TrainerError('bad-input', `createTrainer: ${m}`);
  if (o.inputs === undefined) throw bad('give spec, model, or inputs with classes (or outputs)');
  let loss: Loss;
  let out: number;
  if (o.outputs !== undefined) {
    loss = o.loss ?? 'mse';
    out = o.outputs;
  } else if (o.classes !== undefined) {
    if (!Number.isInteger(o.classes) || o.classes < 2) throw bad(`classes must be an integer >= 2, got ${o.classes}`);
    loss = o.loss ?? (o.classes === 2 ? 'bce' : 'ce');
    if (loss === 'bce' && o.classes !== 2) throw bad(`loss 'bce' needs 2 classes, got ${o.classes}; use 'ce'`);
    out = loss === 'bce' ? 1 : loss === 'ce' ? o.classes : outputsForClasses(o.classes);
  } else throw bad('give classes (classification) or outputs (regression)');
  return {
    sizes: [o.inputs, ...(o.hidden ?? [32, 32]), out],
    activation: o.activation ?? 'relu',
    loss,
    ...(o.batchNorm ? { batchNorm: true } : {}),
  };
}

/** Resolves when the device reports itself lost within `ms`, with the reason; else undefined. */
async function lostWithin(ctx: GpuContext, ms: number): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([ctx.device.lost.then((i) => `${i.reason}: ${i.message}`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A GpuContext for a device the caller owns. */
function borrowed(device: GPUDevice): GpuContext {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return {
    device,
    adapterName: info ? adapterName(info) : 'caller-supplied WebGPU device',
    features: [...device.features],
  };
}

/** A zero-delay yield to the event loop (setTimeout is clamped to 4 ms when nested), so pause and
 *  cancel requests are seen even when the CPU backend never waits on anything. */
function yielder(): { next: () => Promise<void>; close: () => void } {
  if (typeof MessageChannel === 'undefined')
    return { next: () => new Promise((r) => setTimeout(r, 0)), close: () => {} };
  const channel = new MessageChannel();
  const waiters: (() => void)[] = [];
  channel.port1.onmessage = () => waiters.shift()?.();
  return {
    next: () =>
      new Promise<void>((r) => {
        waiters.push(r);
        channel.port2.postMessage(0);
      }),
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}

/** The splits a backend was built with, and the caller's objects they came from. */
interface Bound {
  readonly backend: TrainBackend;
  readonly sources: ReadonlyMap<LabeledData, Split>;
}

/** A model and where it trains. Make one with createTrainer. */
export class Trainer {
  private params: Params;
  private infoNow: ModelInfo;
  private readonly normalizeMethod: InputNormalization['method'] | undefined;
  /** Outputs are values (loss 'mse', info.task 'regression'). */
  readonly regression: boolean;
  private bound: Bound | undefined;
  private running = false;
  private pausedNow = false;
  private wakeups: (() => void)[] = [];
  private destroyed = false;
  private readonly tunes = new WeakMap<GPUDevice, Promise<PlanOptions>>();

  private constructor(
    /** The architecture. */
    readonly spec: ModelSpec,
    private readonly config: TrainConfig,
    private readonly options: TrainerOptions,
    private ctx: GpuContext | undefined,
    private readonly ownsDevice: boolean,
    params: Params,
    info: ModelInfo,
  ) {
    this.params = cloneParams(params);
    this.infoNow = info;
    this.regression = info.task === 'regression';
    const n = options.normalize ?? 'none';
    this.normalizeMethod = n === 'none' ? undefined : n;
  }

  /** @internal use createTrainer. */
  static async create(o: TrainerOptions): Promise<Trainer> {
    const spec = specFrom(o);
    try {
      validateSpec(spec);
    } catch (e) {
      throw new TrainerError('bad-input', `createTrainer: ${messageOf(e)}`);
    }
    let config: TrainConfig;
    try {
      config = resolveConfig({
        ...(o.optimizer ? { optimizer: o.optimizer } : {}),
        ...(o.beta1 !== undefined ? { beta1: o.beta1 } : {}),
        ...(o.beta2 !== undefined ? { beta2: o.beta2 } : {}),
        ...(o.epsilon !== undefined ? { epsilon: o.epsilon } : {}),
        ...(o.l2 !== undefined ? { l2: o.l2 } : {}),
        ...(o.keepProb !== undefined ? { keepProb: o.keepProb } : {}),
        dropoutSeed: o.seed ?? 1,
      });
    } catch (e) {
      throw new TrainerError('bad-input', `createTrainer: ${messageOf(e)}`);
    }
    if (o.gpuDataBudget !== undefined && !(Number.isInteger(o.gpuDataBudget) && o.gpuDataBudget > 0)) {
      throw new TrainerError(
        'bad-input',
        `createTrainer: gpuDataBudget must be a positive integer number of bytes, got ${o.gpuDataBudget}`,
      );
    }
    // Every check of the options comes before a device is acquired, so a bad option leaks none.
    const { task, ...given } = { ...(o.model?.info ?? {}), ...(o.info ?? {}) };
    const regression =
      o.task !== undefined ? o.task === 'regression' : o.outputs !== undefined || task === 'regression';
    const bad = (m: string) => new TrainerError('bad-input', `createTrainer: ${m}`);
    if (regression && spec.loss !== 'mse')
      throw bad(`regression needs the 'mse' loss (a linear output), this model has '${spec.loss}'`);
    if (o.normalizeTarget && !regression)
      throw bad("normalizeTarget is for regression (give outputs, or task: 'regression')");
    const info = validateInfo(regression ? { ...given, task: 'regression' } : given, spec);
    const device = o.device ?? 'gpu';
    let ctx: GpuContext | undefined;
    if (device === 'gpu') {
      try {
        ctx = await acquireDevice();
      } catch (e) {
        throw new TrainerError('no-webgpu', `${messageOf(e)}; use device: 'cpu' for the float64 reference`, {
          cause: e,
        });
      }
    } else if (device !== 'cpu') ctx = borrowed(device);
    try {
      checkFits(spec, config, ctx ? 'gpu' : 'cpu', ctx?.device.limits, ctx?.adapterName ?? 'cpu');
    } catch (e) {
      if (device === 'gpu') ctx?.device.destroy();
      throw e;
    }
    const params = o.model?.params ?? o.params ?? initParams(spec, o.seed ?? 1);
    const t = new Trainer(spec, config, o, ctx, device === 'gpu', params, info);
    if (ctx) await t.planOptions(ctx); // the autotune, once per device, before the first fit
    return t;
  }

  /** 'gpu' or 'cpu'. */
  get device(): 'gpu' | 'cpu' {
    return this.ctx ? 'gpu' : 'cpu';
  }

  /** The adapter that runs this trainer ("google swiftshader", "cpu reference (float64)"). */
  get adapter(): string {
    return this.ctx?.adapterName ?? 'cpu reference (float64)';
  }

  /** The GPU device in use (undefined on the CPU). */
  get gpuDevice(): GPUDevice | undefined {
    return this.ctx?.device;
  }

  /** Feature names, normalisation and class names, as save() writes them. */
  get info(): ModelInfo {
    return this.infoNow;
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

  /** Matmul family and steps per submit of every plan on this device (the autotune runs once per device). */
  private planOptions(ctx: GpuContext): Promise<PlanOptions> {
    let p = this.tunes.get(ctx.device);
    if (!p) {
      const o = this.options;
      const steps = {
        ...(o.stepsPerSubmit !== undefined ? { stepsPerSubmit: o.stepsPerSubmit } : {}),
        ...(o.gpuDataBudget !== undefined ? { dataBudgetBytes: o.gpuDataBudget } : {}),
      };
      const family = o.matmul ?? 'auto';
      p =
        family !== 'auto'
          ? Promise.resolve({ ...steps, matmul: family })
          : autotuneMatmul(ctx, o.tuneStore).then(
              (r) => {
                o.onTune?.(r, describeTune(r));
                return { ...steps, matmul: r.family };
              },
              (e: unknown) => {
                // A failed tune leaves the adapter's default family: it never stops training.
                o.onTune?.(
                  {
                    family: preferredMatmul(ctx.adapterName),
                    ms: { tiled: NaN, blocked: NaN, tiled8: NaN },
                    source: 'measured',
                    seconds: 0,
                  },
                  `matmul ${preferredMatmul(ctx.adapterName)} (autotune failed: ${messageOf(e)})`,
                );
                return steps;
              },
            );
      this.tunes.set(ctx.device, p);
    }
    return p;
  }

  /** Fits the input (normalize) and target (normalizeTarget) scalings this trainer was asked for and
   *  does not have yet on these raw training rows, so the first fit, checkStep or gradcheck sees the
   *  rows the training will; later calls keep them. */
  private fitScalings(train: LabeledData, what: string): void {
    const inputs = this.normalizeMethod !== undefined && !this.infoNow.normalization;
    const targets = this.options.normalizeTarget === true && !this.infoNow.targetNormalization;
    if (!inputs && !targets) return;
    // The raw rows are checked before statistics are taken from them.
    if (this.regression && train.y === undefined)
      throw new TrainerError('bad-input', `${what}: a regression model takes targets y [n][outputs], not class labels`);
    toSplit(this.spec, train, what);
    if (inputs)
      this.infoNow = {
        ...this.infoNow,
        normalization: fitNormalization(train.x, size(this.spec, 0), this.normalizeMethod!),
      };
    if (targets)
      this.infoNow = {
        ...this.infoNow,
        targetNormalization: fitNormalization(train.y!, size(this.spec, layerCount(this.spec)), 'standard'),
      };
  }

  /** Rows in the backend's layout, normalised with the model's statistics. */
  private split(data: LabeledData, what: string): SplitData {
    if (this.regression && data.y === undefined)
      throw new TrainerError('bad-input', `${what}: a regression model takes targets y [n][outputs], not class labels`);
    return toSplit(this.spec, data, what, this.infoNow.normalization, this.infoNow.targetNormalization);
  }

  /** How a regression model's sums become RMSE, MAE and R² over these splits. */
  private regressionScale(splits: Record<Split, SplitData>): RegressionScale {
    const outputs = size(this.spec, layerCount(this.spec));
    const tn = this.infoNow.targetNormalization;
    const part = (f: (d: SplitData) => number) => ({
      train: f(splits.train),
      test: f(splits.test),
      dev: f(splits.dev),
    });
    return {
      outputs,
      unit: outputs === 1 && tn ? tn.scale[0]! : 1,
      sst: part((d) => sumOfSquares(d.y, d.n, outputs)),
      rows: part((d) => d.n),
    };
  }

  private async backendFor(
    train: SplitData,
    test: SplitData,
    dev: SplitData,
    maxBatch: number,
    inference: boolean,
    params: Params,
  ): Promise<TrainBackend> {
    const init = {
      spec: this.spec,
      params,
      train,
      test,
      dev,
      maxBatch,
      config: this.config,
      regression: this.regression,
    };
    checkFits(this.spec, this.config, this.device, this.ctx?.device.limits, this.adapter, {
      batchSize: maxBatch,
      rows: { train: train.n, test: test.n, dev: dev.n },
      ...(this.options.gpuDataBudget !== undefined ? { dataBudget: this.options.gpuDataBudget } : {}),
    });
    if (!this.ctx) return CpuBackend.create(init);
    try {
      return await TrainingPlan.create(this.ctx, init, {
        ...(await this.planOptions(this.ctx)),
        ...(inference ? { inference: true } : {}),
      });
    } catch (e) {
      const m = messageOf(e);
      throw new TrainerError(/over the adapter's|out of GPU memory/.test(m) ? 'too-large' : 'bad-input', m, {
        cause: e,
      });
    }
  }

  private unbind(): void {
    this.bound?.backend.destroy();
    this.bound = undefined;
  }

  /** GPU memory the plan for a fit would take, by buffer, before anything is allocated (uniforms and
   *  read-back buffers, a few KiB, not listed). */
  memoryEstimate(batchSize: number, rows: PlanRows): { name: string; bytes: number }[] {
    return planBuffers(this.spec, this.config, batchSize, rows, this.ctx?.device.limits, this.options.gpuDataBudget);
  }

  /** Bytes of GPU memory the trainer's current plan holds (0 on the CPU or with no plan). */
  get gpuBytes(): number {
    const b = this.bound?.backend;
    return b instanceof TrainingPlan ? b.bytes : 0;
  }

  /** Trains on `train` (raw rows: the model's normalisation is applied here). Resolves with the
   *  summary; a cancelled run resolves with the summary of the steps done. Throws TrainerError
   *  'diverged' (the parameters are then the last good ones), 'device-lost', 'busy' or 'bad-input'. */
  async fit(train: LabeledData, o: FitOptions): Promise<Summary> {
    this.live();
    if (this.running)
      throw new TrainerError(
        'busy',
        'a fit is already running on this trainer: wait for it, or cancel it with its AbortSignal',
      );
    const bad = (m: string) => new TrainerError('bad-input', `fit: ${m}`);
    const positiveInt = (v: number | undefined, name: string) => {
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw bad(`${name} must be an integer >= 1, got ${v}`);
    };
    positiveInt(o.epochs, 'epochs');
    positiveInt(o.batchSize, 'batchSize');
    positiveInt(o.evalEvery, 'evalEvery');
    positiveInt(o.checkpointEvery, 'checkpointEvery');
    positiveInt(o.earlyStopping, 'earlyStopping');
    if (!(Number.isFinite(o.lr) && o.lr > 0)) throw bad(`lr must be a finite number > 0, got ${o.lr}`);
    if (o.earlyStopping !== undefined && !o.dev) throw bad('earlyStopping needs a dev set (dev rows)');
    this.running = true;
    const y = yielder();
    try {
      this.fitScalings(train, 'fit: train');
      const tr = this.split(train, 'fit: train');
      const te = o.test ? this.split(o.test, 'fit: test') : empty;
      const dv = o.dev ? this.split(o.dev, 'fit: dev') : empty;
      if (tr.n < 1) throw new TrainerError('bad-input', 'fit: the training rows are empty');
      const batch = Math.min(o.batchSize, tr.n);
      const stepsPerEpoch = Math.ceil(tr.n / batch);
      const every = o.checkpointEvery ?? Math.min(stepsPerEpoch, DEFAULT_CHECKPOINT_STEPS);
      const sources = new Map<LabeledData, Split>([[train, 'train']]);
      if (o.test) sources.set(o.test, 'test');
      if (o.dev) sources.set(o.dev, 'dev');
      const emit = (e: TrainEvent) => o.onEvent?.(e);
      let last = o.resume;
      let lastYield = 0;
      const control: LoopControl = {
        shouldStop: () => o.signal?.aborted === true,
        waitIfPaused: async () => {
          if (performance.now() - lastYield > 15) {
            await y.next();
            lastYield = performance.now();
          }
          while (this.pausedNow && !o.signal?.aborted) await new Promise<void>((r) => this.wakeups.push(r));
        },
      };
      const onAbort = () => this.wake();
      o.signal?.addEventListener('abort', onAbort);
      let recoveries = 0;
      // Sums over the splits' targets: once, not again on a new device after a loss.
      const regression = this.regression ? { regression: this.regressionScale({ train: tr, test: te, dev: dv }) } : {};
      try {
        for (;;) {
          this.unbind();
          const backend = await this.backendFor(tr, te, dv, batch, false, last?.params ?? this.params);
          this.bound = { backend, sources };
          if (last && backend.writeState && Object.keys(last.state).length > 0) backend.writeState(last.state);
          if (backend instanceof TrainingPlan) {
            const list = backend.memory();
            const largest = list.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: 'none', bytes: 0 });
            const l = backend.layout;
            emit({
              type: 'memory',
              bytes: backend.bytes,
              buffers: list.length,
              largest,
              data: l.mode === 'resident' ? l : { ...l, shards: Math.ceil(tr.n / l.shardRows) },
            });
          }
          try {
            const summary = await runTraining(
              backend,
              tr.n,
              te.n,
              {
                epochs: o.epochs,
                batchSize: o.batchSize,
                lr: o.lr,
                seed: o.seed ?? this.options.seed ?? 1,
                shuffle: o.shuffle ?? true,
                evalEvery: o.evalEvery ?? 50,
                ...(o.lrDecay ? { lrDecay: o.lrDecay } : {}),
                ...(dv.n > 0 ? { devRows: dv.n } : {}),
                ...(o.earlyStopping !== undefined ? { earlyStopping: o.earlyStopping } : {}),
                ...regression,
              },
              emit,
              {
                control,
                ...(last ? { resume: last.position } : {}),
                checkpointEvery: every,
                onCheckpoint: async (c) => {
                  last = c;
                  await o.onCheckpoint?.(c);
                },
              },
            );
            this.params = await backend.readParams();
            return summary;
          } catch (e) {
            if (e instanceof DivergenceError) {
              this.params = await backend.readParams(); // restored to the last good ones by the loop
              throw e;
            }
            const ctx = this.ctx;
            const lost = ctx ? await lostWithin(ctx, 2000) : undefined;
            if (!ctx || lost === undefined) throw e;
            if (!this.ownsDevice)
              throw new TrainerError(
                'device-lost',
                `the WebGPU device was lost (${lost}); it is the caller's, so the trainer cannot replace it: continue with fit({ resume }) from the last checkpoint on a new device`,
                { cause: e },
              );
            if (recoveries >= (o.maxRecoveries ?? 3))
              throw new TrainerError(
                'device-lost',
                `the WebGPU device was lost ${recoveries + 1} times (${lost}); giving up`,
                { cause: e },
              );
            recoveries++;
            this.unbind();
            ctx.device.destroy();
            this.ctx = await acquireDevice().catch((err: unknown) => {
              throw new TrainerError(
                'device-lost',
                `the WebGPU device was lost (${lost}) and no new one could be had: ${messageOf(err)}`,
                { cause: err },
              );
            });
            emit({
              type: 'recovered',
              fromStep: last?.position.step ?? 0,
              reason: `WebGPU device lost (${lost}); resumed on a new device`,
            });
          }
        }
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
      }
    } finally {
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
   *  trainer's own parameters are not changed (setParams(result.params) adopts a trial's). */
  async fitSweep(train: LabeledData, trials: readonly Trial[], o: SweepFitOptions): Promise<SweepTrialResult[]> {
    this.live();
    if (this.running) throw new TrainerError('busy', 'a fit is already running on this trainer');
    const bad = (m: string) => new TrainerError('bad-input', `fitSweep: ${m}`);
    for (const [name, v] of [
      ['epochs', o.epochs],
      ['batchSize', o.batchSize],
      ['groupSize', o.groupSize],
    ] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw bad(`${name} must be an integer >= 1, got ${v}`);
    }
    if (trials.length < 1) throw bad('no trials');
    for (const t of trials)
      if (!(Number.isFinite(t.hyper.lr) && t.hyper.lr > 0))
        throw bad(`trial ${t.index}: lr must be a finite number > 0, got ${t.hyper.lr}`);
    const configOf = (h: Hyperparameters): TrainConfig => {
      try {
        return resolveConfig({
          ...this.config,
          l2: h.l2,
          keepProb: h.keepProb,
          beta1: h.beta1,
          beta2: h.beta2,
          dropoutSeed: h.seed,
        });
      } catch (e) {
        throw bad(messageOf(e));
      }
    };
    const configs = trials.map((t) => configOf(t.hyper));
    this.running = true;
    const y = yielder();
    try {
      this.fitScalings(train, 'fitSweep: train');
      const tr = this.split(train, 'fitSweep: train');
      const dv = this.split(o.dev, 'fitSweep: dev');
      const te = o.test ? this.split(o.test, 'fitSweep: test') : empty;
      if (tr.n < 1) throw bad('the training rows are empty');
      if (dv.n < 1) throw bad('the dev rows are empty (trials are ranked by dev loss)');
      const batch = Math.min(o.batchSize, tr.n);
      const start0 = (h: Hyperparameters) =>
        this.options.model?.params ?? this.options.params ?? initParams(this.spec, h.seed);
      const ctx = this.ctx;
      const sequential = o.sequential === true || !ctx;
      const reg = this.regression;
      const mean = (s: { lossSum: number; correct: number; count: number }) => ({
        loss: s.count > 0 ? s.lossSum / s.count : NaN,
        accuracy: s.count > 0 && !reg ? s.correct / s.count : null,
      });
      const group = sequential
        ? 1
        : Math.min(trials.length, o.groupSize ?? this.sweepGroupSize(batch, { train: tr.n, test: te.n, dev: dv.n }));
      const groups = Math.ceil(trials.length / group);
      const results: SweepTrialResult[] = [];
      const t0 = performance.now();
      for (let g = 0; g < groups && !o.signal?.aborted; g++) {
        const members = trials.slice(g * group, (g + 1) * group);
        const cfgs = configs.slice(g * group, (g + 1) * group);
        const init = {
          spec: this.spec,
          params: start0(members[0]!.hyper),
          train: tr,
          test: te,
          dev: dv,
          maxBatch: batch,
          config: cfgs[0]!,
          regression: reg,
        };
        checkFits(this.spec, cfgs[0]!, this.device, ctx?.device.limits, this.adapter, {
          batchSize: batch,
          rows: { train: tr.n, test: te.n, dev: dv.n },
        });
        let plan: TrainBackend & { readonly models?: number };
        try {
          plan = ctx
            ? await TrainingPlan.create(ctx, init, { ...(await this.planOptions(ctx)), models: cfgs })
            : await CpuBackend.create(init);
        } catch (e) {
          const m = messageOf(e);
          throw new TrainerError(
            /over the adapter's|out of GPU memory/.test(m) ? 'too-large' : 'bad-input',
            `fitSweep: ${m}`,
            { cause: e },
          );
        }
        try {
          const multi = plan instanceof TrainingPlan ? plan : undefined;
          members.forEach((t, m) => {
            if (m > 0) multi!.setParams(start0(t.hyper), m);
          });
          // Each trial shuffles as runTraining does for a fit seeded with the trial's seed.
          const rngs = members.map((t) => new Rng((t.hyper.seed ^ 0x5eed5eed) >>> 0));
          const lrs = new Float64Array(members.length);
          const diverged: (number | undefined)[] = members.map(() => undefined);
          let trainLoss: number[] = members.map(() => NaN);
          for (let epoch = 1; epoch <= o.epochs && !o.signal?.aborted; epoch++) {
            members.forEach((t, m) => (lrs[m] = learningRate(t.hyper.lr, epoch, o.lrDecay)));
            if (o.shuffle ?? true)
              rngs.forEach((r, m) =>
                multi ? multi.setOrder(r.permutation(tr.n), m) : plan.setOrder(r.permutation(tr.n)),
              );
            for (let start = 0; start < tr.n; start += batch) {
              if (multi) multi.step(start, Math.min(batch, tr.n - start), lrs);
              else plan.step(start, Math.min(batch, tr.n - start), lrs[0]!);
            }
            const stats = multi ? await multi.takeTrainStatsAll() : [await plan.takeTrainStats()];
            trainLoss = stats.map((s) => mean(s).loss);
            trainLoss.forEach((l, m) => {
              if (!Number.isFinite(l) && diverged[m] === undefined) {
                diverged[m] = epoch;
                multi?.setActive(m, false);
              }
            });
            const devStats = multi ? await multi.evaluateAll('dev') : [await plan.evaluate('dev')];
            o.onProgress?.({
              group: g,
              groups,
              first: g * group,
              epoch,
              epochs: o.epochs,
              trainLoss,
              devLoss: devStats.map((s) => mean(s).loss),
              seconds: (performance.now() - t0) / 1000,
            });
            await y.next(); // let a page paint and a signal arrive between epochs
            if (!multi && diverged[0] !== undefined) break;
          }
          const all = async (split: Split) => (multi ? await multi.evaluateAll(split) : [await plan.evaluate(split)]);
          const [trS, dvS, teS] = [await all('train'), await all('dev'), te.n > 0 ? await all('test') : undefined];
          for (let m = 0; m < members.length; m++) {
            const d = diverged[m];
            const ok = d === undefined;
            const trM = mean(trS[m]!);
            const dvM = mean(dvS[m]!);
            const teM = teS ? mean(teS[m]!) : undefined;
            results.push({
              trial: members[m]!,
              status: ok ? { kind: 'ok' } : { kind: 'diverged', epoch: d },
              devLoss: ok ? dvM.loss : null,
              devAccuracy: ok ? dvM.accuracy : null,
              trainLoss: ok ? trM.loss : null,
              trainAccuracy: ok ? trM.accuracy : null,
              testLoss: ok && teM ? teM.loss : null,
              testAccuracy: ok && teM ? teM.accuracy : null,
              params: multi ? await multi.readParams(m) : await plan.readParams(),
            });
          }
        } finally {
          plan.destroy();
        }
      }
      return results;
    } finally {
      y.close();
      this.running = false;
    }
  }

  /** Trials per plan: as many as keep the plan's largest buffer (N models × the largest per-model one)
   *  within half the device's storage binding limit, at most 64. */
  private sweepGroupSize(batch: number, rows: PlanRows): number {
    const limits = this.ctx?.device.limits;
    if (!limits) return 1;
    const one = planMemory(this.spec, this.config, batch, rows, limits.minStorageBufferOffsetAlignment);
    const largest = Math.max(...one.filter((b) => !/^(train|test|dev)\.|^identity$/.test(b.name)).map((b) => b.bytes));
    return Math.max(1, Math.min(64, Math.floor(limits.maxStorageBufferBindingSize / 2 / largest)));
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
    const tr = this.split(train, 'stepper');
    const rows = Math.min(o.batchSize, tr.n);
    if (rows < 1) throw new TrainerError('bad-input', 'stepper: no rows');
    const params = await this.getParams();
    this.unbind();
    const backend = await this.backendFor(tr, empty, empty, rows, false, params);
    this.bound = { backend, sources: new Map([[train, 'train']]) };
    const device = this.ctx?.device;
    return {
      step: () => backend.step(0, rows, o.lr),
      sync: async () => {
        if (backend instanceof TrainingPlan) backend.flush(); // a partly filled group is submitted first
        await device?.queue.onSubmittedWorkDone();
      },
      destroy: () => {
        if (this.bound?.backend === backend) this.unbind();
      },
      ...(backend instanceof TrainingPlan ? { counters: () => backend.counters } : {}),
    };
  }

  /** Loss and accuracy (regression: RMSE, MAE, R²) of the current model over `data` (raw rows), forward only. */
  async evaluate(data: LabeledData): Promise<Evaluation> {
    this.live();
    const rows = this.split(data, 'evaluate');
    const result = (s: { lossSum: number; correct: number; count: number }): Evaluation => {
      if (!this.regression) return { loss: s.lossSum / s.count, accuracy: s.correct / s.count, rows: s.count };
      const m: RegressionMetrics = regressionMetrics(
        s,
        this.regressionScale({ train: rows, test: empty, dev: empty }),
        'train',
      );
      return { loss: s.lossSum / s.count, accuracy: NaN, rows: s.count, ...m };
    };
    const split = this.bound?.sources.get(data);
    if (split && !this.running) return result(await this.bound!.backend.evaluate(split));
    if (rows.n === 0) throw new TrainerError('bad-input', 'evaluate: no rows');
    const backend = await this.backendFor(
      rows,
      empty,
      empty,
      Math.min(rows.n, INFERENCE_BATCH),
      true,
      await this.getParams(),
    );
    try {
      return result(await backend.evaluate('train'));
    } finally {
      backend.destroy();
    }
  }

  /** Outputs for raw rows x [rows][features] (or an array of rows), computed on the trainer's device in
   *  inference mode (batch norm with its running averages, no dropout). */
  async predict(x: Float32Array | readonly (readonly number[])[]): Promise<Prediction> {
    this.live();
    const n0 = size(this.spec, 0);
    const flat =
      x instanceof Float32Array
        ? x
        : Float32Array.from(
            x.flatMap((row, i) => {
              if (row.length !== n0)
                throw new TrainerError(
                  'bad-input',
                  `predict: row ${i} has ${row.length} values, the model takes ${n0} features`,
                );
              return row;
            }),
          );
    if (flat.length % n0 !== 0)
      throw new TrainerError(
        'bad-input',
        `predict: ${flat.length} values is not a whole number of rows of ${n0} features`,
      );
    for (let i = 0; i < flat.length; i++)
      if (!Number.isFinite(flat[i]!))
        throw new TrainerError(
          'bad-input',
          `predict: x[${Math.floor(i / n0)}][${i % n0}] is ${flat[i]}; every feature must be finite`,
        );
    const rows = flat.length / n0;
    const nz = this.infoNow.normalization; // the rows were checked above
    const input = nz ? applyNormalization(flat, nz) : flat;
    return this.outputs(await this.rawOutputs(input, rows), rows);
  }

  /** The output layer's values (logits for classification) for normalised rows. */
  private async rawOutputs(x: Float32Array, rows: number): Promise<Float64Array> {
    if (!this.ctx) {
      const { a } = forward(this.spec, toParams64(this.params), Float64Array.from(x), rows, undefined, 'eval');
      return a[a.length - 1]!;
    }
    if (this.running)
      throw new TrainerError(
        'busy',
        'predict during a fit on the GPU: pause is not enough, wait for the fit to end (or predict on the CPU from getParams())',
      );
    let plan = this.bound?.backend;
    if (!(plan instanceof TrainingPlan)) {
      const params = await this.getParams();
      this.unbind();
      plan = await this.backendFor(empty, empty, empty, Math.min(Math.max(rows, 1), INFERENCE_BATCH), true, params);
      this.bound = { backend: plan, sources: new Map() };
    }
    return Float64Array.from(await (plan as TrainingPlan).forwardRows(x, rows));
  }

  /** Probabilities (softmax or sigmoid, in float64) and classes from the output layer's values;
   *  regression values back in the targets' units. */
  private outputs(z: Float64Array, rows: number): Prediction {
    const k = size(this.spec, layerCount(this.spec));
    const tn = this.infoNow.targetNormalization;
    if (this.regression)
      return {
        rows,
        columns: k,
        values: tn ? Float32Array.from(z, (v, i) => v * tn.scale[i % k]! + tn.shift[i % k]!) : Float32Array.from(z),
      };
    if (this.spec.loss === 'mse') {
      // A classifier trained with squared error on 0/1 or one-hot targets: its outputs are scores, not
      // probabilities; the class is the largest (one unit: above 0.5), as the loss kernel counts it.
      const classes = Uint32Array.from({ length: rows }, (_, r) => {
        if (k === 1) return z[r]! > 0.5 ? 1 : 0;
        let best = 0;
        for (let c = 1; c < k; c++) if (z[r * k + c]! > z[r * k + best]!) best = c;
        return best;
      });
      return { rows, columns: k, values: Float32Array.from(z), classes };
    }
    const columns = this.spec.loss === 'bce' ? 2 : k;
    const values = new Float32Array(rows * columns);
    const classes = new Uint32Array(rows);
    for (let r = 0; r < rows; r++) {
      if (this.spec.loss === 'bce') {
        const p = 1 / (1 + Math.exp(-z[r]!));
        values[2 * r] = 1 - p;
        values[2 * r + 1] = p;
        classes[r] = z[r]! > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < k; c++) if (z[r * k + c]! > z[r * k + best]!) best = c;
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(z[r * k + c]! - z[r * k + best]!);
      for (let c = 0; c < k; c++) values[r * k + c] = Math.exp(z[r * k + c]! - z[r * k + best]!) / s;
      classes[r] = best;
    }
    return { rows, columns, values, classes };
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
    return { spec: this.spec, params: await this.getParams(), info: this.infoNow };
  }

  /** The model file: safetensors with the architecture and info in its metadata (decodeModel reads it). */
  async save(): Promise<Uint8Array> {
    return encodeModel(await this.model());
  }

  /** The model as ONNX (opset 13): the input normalisation as its first nodes, a Gemm and activation
   *  per layer (batch norm folded in), softmax or sigmoid at the end; input 'input' [batch, features],
   *  output 'output' (probabilities, or regression values). Runs in onnxruntime and the like. */
  async exportOnnx(): Promise<Uint8Array> {
    const m = await this.model();
    return encodeOnnx(m.spec, m.params, {
      ...(m.info.normalization ? { normalization: m.info.normalization } : {}),
      ...(m.info.targetNormalization ? { targetNormalization: m.info.targetNormalization } : {}),
    });
  }

  /** One training step at learning rate lr on the GPU and on the float64 reference, from the current
   *  parameters and the first `rows` rows of `data` (default: up to 64): per-tensor largest errors. */
  async checkStep(data: LabeledData, o: { lr: number; rows?: number }): Promise<StepCheck> {
    this.live();
    if (!this.ctx)
      throw new TrainerError(
        'no-webgpu',
        'checkStep compares the GPU with the reference: this trainer runs on the CPU',
      );
    if (this.running && !this.pausedNow)
      throw new TrainerError('busy', 'checkStep needs the GPU to itself: pause the fit first');
    this.fitScalings(data, 'checkStep');
    const train = this.split(data, 'checkStep');
    const rows = Math.min(o.rows ?? 64, train.n);
    if (rows < 1) throw new TrainerError('bad-input', 'checkStep: no rows');
    const params = this.running ? cloneParams(this.params) : await this.getParams();
    return checkStep(
      this.ctx,
      this.spec,
      params,
      this.config,
      train,
      rows,
      o.lr,
      await this.planOptions(this.ctx),
      this.regression,
    );
  }

  /** The course's gradient check (float64 backprop against central differences) of the current
   *  parameters on the first `rows` rows of `data` (default 4), with this trainer's L2 and dropout. */
  async gradcheck(
    data: LabeledData,
    o: { rows?: number } = {},
  ): Promise<{ rows: number; threshold: number; results: GradCheckRow[] }> {
    this.fitScalings(data, 'gradcheck');
    const train = this.split(data, 'gradcheck');
    const params = this.running ? cloneParams(this.params) : await this.getParams();
    return gradcheckRows(this.spec, params, this.config, train, Math.min(o.rows ?? 4, train.n), this.options.seed ?? 1);
  }

  /** Frees the plan and, if the trainer acquired it, the device. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unbind();
    this.wake();
    if (this.ownsDevice) this.ctx?.device.destroy();
  }
}

/** Makes a trainer: resolves the architecture, acquires the device (device 'gpu') and runs the matmul
 *  autotune once for it. Throws TrainerError 'no-webgpu' when WebGPU is missing, 'bad-input' for an
 *  invalid architecture or optimizer setting. */
export function createTrainer(options: TrainerOptions): Promise<Trainer> {
  return Trainer.create(options);
}
