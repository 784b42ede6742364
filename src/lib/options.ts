// What the trainer is asked: createTrainer's options, a fit's and a sweep's, and what comes back
// (evaluations, predictions, a sweep's progress and results), with the checks every option gets
// before anything is allocated.
import type { AutotuneResult, TuneStore } from '../gpu/autotune.ts';
import type { HostCounts } from '../gpu/counters.ts';
import type { MatmulFamily } from '../gpu/kernels.ts';
import type { Params } from '../model.ts';
import { resolveConfig, type OptimizerKind, type TrainConfig } from '../train/backend.ts';
import type { FitCheckpoint } from '../train/checkpoint.ts';
import type { ClassificationMetrics } from '../train/classification.ts';
import type { PooledMetrics, TargetMetrics } from '../train/metrics.ts';
import type { LrDecay, TrainEvent } from '../train/loop.ts';
import { TrainerError, messageOf } from '../errors.ts';
import type { LabeledData } from './data.ts';
import { validateInfo, type ModelInfo, type SavedModel } from './model-file.ts';
import type { SpecOptions } from './spec.ts';
import type { ModelSpec } from '../model.ts';
import type { Hyperparameters, Trial, TrialResult } from './sweep.ts';
import { PLAN_CHOICES, type PlanChoice } from './plan-choice.ts';
import { fusedRefusal } from '../gpu/fused.ts';
import type { GpuSession } from './gpu-session.ts';

/** Where training runs: 'gpu' (WebGPU; the trainer acquires a device and replaces it if it is lost),
 *  'cpu' (the float64 reference, no GPU needed), a GPUDevice of the caller's (used as is, never
 *  destroyed; a loss of it ends the fit with a 'device-lost' error), or a GpuSession (its device, shared
 *  with the session's other trainers and its compiled kernels; the session replaces it if it is lost). */
export type DeviceChoice = 'gpu' | 'cpu' | GPUDevice | GpuSession;

/** Options of createTrainer: the architecture (a spec, or inputs/hidden/classes), where to run, the
 *  optimizer and regularisation, and the input normalisation. */
export interface TrainerOptions extends SpecOptions {
  /** 'regression' (values out; RMSE, MAE and R² in evaluations and events) or 'classification'.
   *  Default: regression when `outputs` is given or the model's info says so. */
  readonly task?: 'classification' | 'regression';
  /** Regression: standardise the targets with statistics of the first fit's training rows (kept in the
   *  model's info as targetNormalization); fit, evaluate and predict take and give the targets' units. */
  readonly normalizeTarget?: boolean;
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
  /** GPU matmul kernels: a family; 'auto' (default): the adapter's stored tune, else its default family
   *  with nothing timed before training (on adapters other than SwiftShader, whose answer is known, the
   *  autotune then runs once the first fit has started, and later trainers use its answer); 'tune': the
   *  autotune now, before the first plan, unless a stored answer exists. */
  readonly matmul?: MatmulChoice;
  /** Where autotune results are kept between runs (default: this page's memory only). */
  readonly tuneStore?: TuneStore;
  /** Called with the family the trainer's plans use (measured, cached or the default) and its log line;
   *  again when a background tune ends, with the answer later trainers will use. */
  readonly onTune?: (result: AutotuneResult, line: string) => void;
  /** Training steps per WebGPU submit (results are identical for every value). */
  readonly stepsPerSubmit?: number;
  /** GPU memory for data, in bytes (default 512 MiB): data sets that do not fit it, or that are past
   *  the device's buffer limits, are streamed to the GPU in shards, with bit-identical results. */
  readonly gpuDataBudget?: number;
  /** How training runs on the GPU: 'fused' (whole training steps of a small net in one dispatch; nets
   *  with every width ≤ 64, ≤ 15 layers, data resident; dropout and batch norm included), 'layered' (a
   *  dispatch per layer and phase: every net), or 'auto' (default): fused when the net is inside that
   *  envelope, at most 5120 multiply-adds a row (Σ n_l·n_{l+1}: where fused is the faster) and one
   *  model trains (not a sweep), else layered. 'fused' outside the envelope throws TrainerError
   *  naming the reason; a sweep with 'fused' trains its trials as workgroups of one dispatch. The
   *  path taken is in the fit's 'start' event (`plan`). */
  readonly plan?: PlanChoice;
}

/** How a trainer picks its GPU matmul kernels (TrainerOptions.matmul). */
export type MatmulChoice = MatmulFamily | 'auto' | 'tune';

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
   *  this many steps and a statistics period: training goes on from the last checkpoint handed over, on
   *  a new device. */
  readonly checkpointEvery?: number;
  /** Called with every checkpoint (position, parameters, exact training state): read at its step,
   *  handed over a statistics period later (training does not wait for the read). */
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

/** Loss and accuracy of the model over some rows (loss without the L2 term, in training units: of the
 *  standardised targets with normalizeTarget). A regression model has, instead of an accuracy (NaN):
 *  `targets`, each target's RMSE, MAE and R² in its own units; `pooled`, the figures over every
 *  target's values together, with the units they are in; and `r2` (pooled), with `rmse` and `mae` too
 *  when there is one target (in its units; several targets have no common unit, so no single RMSE or
 *  MAE). A classifier also has `classification`: the confusion matrix (rows = true class, columns =
 *  predicted) and precision, recall and F1 per class and macro, from the classes predict() would give
 *  for the rows. */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly rows: number;
  /** Regression with one target: RMSE and MAE in the target's units (pooled.rmse and pooled.mae). */
  readonly rmse?: number;
  readonly mae?: number;
  /** Regression: R² pooled over the targets (for one, the usual R²). */
  readonly r2?: number;
  /** Regression: RMSE, MAE and R² per target (index = output, with its name when the model's info has
   *  it), each in that target's own units (normalizeTarget undone), computed in float64 from the
   *  outputs predict() would give. */
  readonly targets?: readonly TargetMetrics[];
  /** Regression: RMSE, MAE and R² pooled over every target's values, from the loss's sums, in the
   *  training units `units` names: the targets' own, or, for several standardised targets, the
   *  standardised values'. */
  readonly pooled?: PooledMetrics;
  readonly classification?: ClassificationMetrics;
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

const positiveInt = (bad: (m: string) => TrainerError, name: string, v: number | undefined) => {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw bad(`${name} must be an integer >= 1, got ${v}`);
};

/** The optimizer and regularisation the options ask for, defaults filled in; the dropout seed is the
 *  trainer's seed. Throws TrainerError 'bad-input'. */
export function trainConfigOf(o: TrainerOptions): TrainConfig {
  try {
    return resolveConfig({
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
}

/** The model's info (model.info under the options' info) and whether it is a regression model, with
 *  the checks of the task, the loss and normalizeTarget. Throws TrainerError 'bad-input'. */
export function modelInfoOf(o: TrainerOptions, spec: ModelSpec): { info: ModelInfo; regression: boolean } {
  const bad = (m: string) => new TrainerError('bad-input', `createTrainer: ${m}`);
  if (o.gpuDataBudget !== undefined && !(Number.isInteger(o.gpuDataBudget) && o.gpuDataBudget > 0))
    throw bad(`gpuDataBudget must be a positive integer number of bytes, got ${o.gpuDataBudget}`);
  const { task, ...given } = { ...(o.model?.info ?? {}), ...(o.info ?? {}) };
  const regression = o.task !== undefined ? o.task === 'regression' : o.outputs !== undefined || task === 'regression';
  if (regression && spec.loss !== 'mse')
    throw bad(`regression needs the 'mse' loss (a linear output), this model has '${spec.loss}'`);
  if (o.normalizeTarget && !regression)
    throw bad("normalizeTarget is for regression (give outputs, or task: 'regression')");
  return { info: validateInfo(regression ? { ...given, task: 'regression' } : given, spec), regression };
}

/** Checks the plan option: a known choice, and for 'fused' a net and configuration inside the fused
 *  envelope (the device's limits are checked when the fit builds its backend). Throws TrainerError
 *  'bad-input' naming the reason. */
export function checkPlanOption(o: TrainerOptions, spec: ModelSpec, config: TrainConfig): void {
  if (o.plan === undefined) return;
  if (!PLAN_CHOICES.includes(o.plan))
    throw new TrainerError(
      'bad-input',
      `createTrainer: plan must be 'auto', 'fused' or 'layered', got '${String(o.plan)}'`,
    );
  const why = o.plan === 'fused' ? fusedRefusal(spec, [config]) : undefined;
  if (why) throw new TrainerError('bad-input', `createTrainer: plan 'fused': ${why}`);
}

/** Checks a fit's options. Throws TrainerError 'bad-input'. */
export function checkFitOptions(o: FitOptions): void {
  const bad = (m: string) => new TrainerError('bad-input', `fit: ${m}`);
  if (typeof o !== 'object' || o === null)
    throw bad('needs options { epochs, batchSize, lr }, e.g. fit(data, { epochs: 10, batchSize: 32, lr: 0.01 })');
  for (const k of ['epochs', 'batchSize', 'lr'] as const)
    if (o[k] === undefined) throw bad(`needs ${k} (options { epochs, batchSize, lr })`);
  positiveInt(bad, 'epochs', o.epochs);
  positiveInt(bad, 'batchSize', o.batchSize);
  positiveInt(bad, 'evalEvery', o.evalEvery);
  positiveInt(bad, 'checkpointEvery', o.checkpointEvery);
  positiveInt(bad, 'earlyStopping', o.earlyStopping);
  if (!(Number.isFinite(o.lr) && o.lr > 0)) throw bad(`lr must be a finite number > 0, got ${o.lr}`);
  if (o.earlyStopping !== undefined && !o.dev) throw bad('earlyStopping needs a dev set (dev rows)');
}

/** Checks a sweep's options and trials; returns each trial's configuration: the trainer's, with the
 *  trial's L2, keep-prob, β's and seed (as dropout seed). Throws TrainerError 'bad-input'. */
export function trialConfigs(base: TrainConfig, trials: readonly Trial[], o: SweepFitOptions): TrainConfig[] {
  const bad = (m: string) => new TrainerError('bad-input', `fitSweep: ${m}`);
  if (typeof o !== 'object' || o === null) throw bad('needs options { epochs, batchSize }');
  if (!Array.isArray(trials)) throw bad('trials must be an array of { hyper: { lr, … } }');
  for (const k of ['epochs', 'batchSize'] as const) if (o[k] === undefined) throw bad(`needs ${k}`);
  positiveInt(bad, 'epochs', o.epochs);
  positiveInt(bad, 'batchSize', o.batchSize);
  positiveInt(bad, 'groupSize', o.groupSize);
  if (trials.length < 1) throw bad('no trials');
  for (const t of trials)
    if (!(Number.isFinite(t.hyper.lr) && t.hyper.lr > 0))
      throw bad(`trial ${t.index}: lr must be a finite number > 0, got ${t.hyper.lr}`);
  const configOf = (h: Hyperparameters): TrainConfig => {
    try {
      return resolveConfig({
        ...base,
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
  return trials.map((t) => configOf(t.hyper));
}
