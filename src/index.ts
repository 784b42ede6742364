// webgpu-mlp-trainer: train multi-layer perceptrons on WebGPU (or on a float64 CPU reference), in a
// page or a Worker. This is the whole public API; everything else in the package is internal.
//
//   const trainer = await createTrainer({ inputs: 2, hidden: [16, 16], classes: 2, optimizer: 'adam' });
//   await trainer.fit({ x, labels }, { epochs: 50, batchSize: 32, lr: 0.01 });
//   const { classes, values } = await trainer.predict(rows);
//   // regression: createTrainer({ inputs, outputs: 1, normalizeTarget: true }), fit({ x, y }); evaluate gives RMSE, MAE, R²
//   const bytes = await trainer.save();          // safetensors, with architecture and info
//
// Importing it has no side effects: no device is requested and no GPU global is read until
// createTrainer({ device: 'gpu' }) runs.

export {
  /** Makes a trainer (acquires a WebGPU device for device 'gpu'; runs the matmul autotune once). */
  createTrainer,
  /** A model and where it trains: fit, evaluate, predict, save, exportOnnx, checkStep, gradcheck, destroy. */
  Trainer,
  /** Steps between in-memory checkpoints when none is asked for (an epoch, at most this many). */
  DEFAULT_CHECKPOINT_STEPS,
} from './lib/trainer.ts';
export type {
  DeviceChoice,
  Evaluation,
  FitCheckpoint,
  FitOptions,
  ManualSteps,
  Prediction,
  SweepFitOptions,
  SweepProgress,
  SweepTrialResult,
  TrainerOptions,
} from './lib/trainer.ts';

export {
  /** A sweep spec ("lr=log:1e-4:1e-1, l2=0,1e-4, seed=1..4") parsed and checked. */
  parseSweepSpec,
  /** The trials a spec stands for: the whole grid, points of it, or random draws (Trainer.fitSweep trains them). */
  expandTrials,
  /** fitSweep's results best first (lowest dev loss; diverged trials last). */
  rankTrials,
  /** The ranked results as a plain-text table. */
  formatSweepTable,
} from './lib/sweep.ts';
export type { Hyperparameters, SweepSpec, Trial, TrialResult, TrialStatus } from './lib/sweep.ts';

export {
  /** Thrown for bad input, a missing WebGPU, a model that does not fit, a diverged or lost run; `code` says which. */
  TrainerError,
} from './errors.ts';
export type { TrainerErrorCode } from './errors.ts';

export {
  /** Thrown (a TrainerError, code 'diverged') when the loss turns NaN or Inf; the trainer's
   *  parameters are then the last known good ones. */
  DivergenceError,
  /** Thrown (a TrainerError, code 'gpu-error', or 'too-large' when the GPU ran out of memory) when the
   *  GPU rejected work of a fit: nothing computed from it is reported, and the trainer's parameters are
   *  then the last known good ones (`goodStep`). */
  GpuFailureError,
} from './train/loop.ts';
export type { LrDecay, Summary, TrainEvent } from './train/loop.ts';

export {
  /** Reads a model file (safetensors) written by Trainer.save, with its info; older files load with an empty info. */
  decodeModel,
  /** Writes a model file from a spec, parameters and info. */
  encodeModel,
} from './lib/model-file.ts';
export type { ModelInfo, SavedModel } from './lib/model-file.ts';

export {
  /** ONNX bytes for a spec and parameters (Trainer.exportOnnx does this for its model). */
  encodeOnnx,
} from './io/onnx.ts';
export type { OnnxOptions } from './io/onnx.ts';

export {
  /** Seeded test/dev split of a data set, the same in every front end. */
  splitDataset,
  /** A Dataset's rows as fit input ({ x, labels }). */
  labeled,
  /** A built-in 2-D set: spiral, moons, circles or xor, with the set's default noise. */
  toyDataset,
  /** Per-feature statistics ('standard' or 'minmax') of rows x [n][features]. */
  fitNormalization,
  /** (x − shift) / scale per feature. */
  applyNormalization,
} from './lib/data.ts';
export type { LabeledData } from './lib/data.ts';
export type { Dataset, GivenSplit } from './data/dataset.ts';

export {
  /** Reads CSV/TSV text (RFC 4180 quoting, CRLF, BOM; ',' ';' or tab, sniffed) into a Dataset: numeric
   *  features, and a label column (default the last) of class names, integer classes or, for
   *  non-integer numbers or several label columns, regression targets. Errors name line and column. */
  parseCsv,
} from './data/csv.ts';
export type { ColumnRef, CsvOptions, CsvTask } from './data/csv.ts';
export type { RegressionMetrics } from './train/metrics.ts';

export type { Activation, InputNormalization, LayerParams, Loss, ModelSpec, Params } from './model.ts';
export type { OptimizerKind } from './train/backend.ts';
export type { MatmulFamily } from './gpu/kernels.ts';
export type { AutotuneResult, TuneEntry, TuneStore } from './gpu/autotune.ts';
export type { HostCounts } from './gpu/counters.ts';
export type { BatchNormCheck, GradCheckRow, LayerCheck, StepCheck } from './lib/check-step.ts';
