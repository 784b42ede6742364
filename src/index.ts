// webgpu-mlp-trainer: train multi-layer perceptrons on WebGPU (or on a float64 CPU reference), in a
// page or a Worker. This and src/node.ts (Node's file readers) are the whole public API; the rest is internal.
//
//   const trainer = await createTrainer({ inputs: 2, hidden: [16, 16], classes: 2, optimizer: 'adam' });
//   await trainer.fit({ x, labels }, { epochs: 50, batchSize: 32, lr: 0.01 });
//   const { classes, values } = await trainer.predict(rows);
//   // regression: createTrainer({ inputs, outputs: 1, normalizeTarget: true }), fit({ x, y }); evaluate gives RMSE, MAE, R²
//   const bytes = await trainer.save();          // safetensors, with architecture and info
//
// Importing it has no side effects: no device is requested and no GPU global is read until
// createTrainer({ device: 'gpu' }) (or probeAdapter) runs. It imports nothing of Node's, so it runs in a page,
// a Worker and Node alike; what only Node can do (data files read by path) is the second entry,
// 'webgpu-mlp-trainer/node' (src/node.ts).

export {
  /** Makes a trainer (acquires a WebGPU device for device 'gpu'; picks its matmul kernels without timing
   *  unless asked to: see TrainerOptions.matmul). */
  createTrainer,
  /** A model and where it trains: fit, evaluate, predict, save, exportOnnx, checkStep, gradcheck, lossSurface,
   *  destroy. */
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
  MatmulChoice,
  Prediction,
  SweepFitOptions,
  SweepProgress,
  SweepTrialResult,
  TrainerOptions,
} from './lib/trainer.ts';
/** What predict takes: a Float32Array or Float64Array of rows × features, or an array of rows. */
export type { PredictInput } from './lib/predict.ts';

export {
  /** Finds the WebGPU adapter createTrainer would use: its name, buffer limits and matmul family (timed
   *  only where that could change the default, once per adapter, kept in a tuneStore), so a page can
   *  show them before training. */
  probeAdapter,
  /** A GPUDevice's buffer limits, as checkFits takes them. */
  adapterLimits,
} from './lib/adapter.ts';
export type { AdapterProbe } from './lib/adapter.ts';

export {
  /** Opens a GpuSession: one WebGPU device for many trainers (`device: session`), kept with its compiled
   *  kernels, so a later trainer's first fit does not compile them again (Trainer.prepare compiles a
   *  plan's before its data is there); a lost device is replaced by the session. */
  openGpu,
  /** A WebGPU device shared by trainers: `device`, `adapter`, `destroy()` (the session owns the device). */
  GpuSession,
} from './lib/gpu-session.ts';

export {
  /** The confusion matrix (rows = true class, columns = predicted) and precision, recall and F1 per
   *  class and macro of predicted classes against true ones (0/0 taken as 0: a class never predicted
   *  has precision 0); evaluate() gives them for a classifier. */
  classificationMetrics,
} from './train/classification.ts';
/** evaluate()'s `classification`: confusion matrix, per-class and macro precision, recall and F1. */
export type { ClassificationMetrics, ClassMetrics } from './train/classification.ts';
/** evaluate()'s regression figures: `targets` (each in its own units) and `pooled` (with its units). */
export type { PooledMetrics, RegressionMetrics, TargetMetrics } from './train/metrics.ts';

export {
  /** Throws TrainerError 'too-large' naming the first buffer of a model (and a run's rows) past an
   *  adapter's limits, before anything is allocated; returns the largest buffer. */
  checkFits,
  /** Throws TrainerError 'too-large' when a model's weights alone would take over half of the given
   *  host memory (os.totalmem() in Node), before any weight is made. */
  checkHostMemory,
  /** Bytes in words: "1.50 KiB", "37.3 GiB". */
  formatBytes,
} from './lib/budget.ts';
export type { AdapterLimits, FitRun } from './lib/budget.ts';
export type { PlanRows } from './gpu/plan.ts';

export {
  /** A sweep spec ("lr=log:1e-4:1e-1, l2=0,1e-4, seed=1..4") parsed and checked. */
  parseSweepSpec,
  /** The trials a spec stands for: the whole grid, points of it, or random draws (Trainer.fitSweep trains them). */
  expandTrials,
  /** The search a spec and a trial count make (grid, points of it, random) and its trial count, checked. */
  sweepShape,
  /** The first axis of a spec that cannot change a run (a β the optimizer ignores, keep-prob without hidden layers). */
  ineffectiveAxis,
  /** fitSweep's results best first (lowest dev loss; diverged trials last). */
  rankTrials,
  /** The ranked results as a plain-text table. */
  formatSweepTable,
  /** The ranked table's column heads. */
  SWEEP_COLUMNS,
  /** One ranked trial's cells, in SWEEP_COLUMNS order. */
  sweepRowCells,
  /** A parameter's name in tables and messages ('keep' for keepProb). */
  paramLabel,
  /** A number in few characters (0.2, 3.16e-3, 1.235e4). */
  compactNumber,
  /** A decay or keep probability in few characters, never shown as 1 below 1. */
  compactFraction,
  /** Most trials a sweep holds. */
  MAX_TRIALS,
} from './lib/sweep.ts';
export type {
  ExpandOptions,
  Hyperparameters,
  RankedTrial,
  SearchKind,
  SweepAxis,
  SweepParam,
  SweepShape,
  SweepSpec,
  SweepValues,
  Trial,
  TrialResult,
  TrialStatus,
} from './lib/sweep.ts';

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
/** How a trainer picks its GPU path (TrainerOptions.plan), and the path a fit took (its 'start' event's
 *  `plan`). */
export type { PlanChoice } from './lib/plan-choice.ts';
export type { PlanPath } from './train/backend.ts';
export {
  /** The choices of TrainerOptions.plan: 'auto', 'fused', 'layered'. */
  PLAN_CHOICES,
  /** A path as a run line names it: "fused", or "layered (reason)". */
  describePath,
} from './lib/plan-choice.ts';

export {
  /** The architecture createTrainer builds from its options (a spec, a model, or inputs, hidden widths and
   *  classes or outputs: output units and the default loss by the one rule), checked. */
  buildSpec,
} from './lib/spec.ts';
export type { SpecOptions } from './lib/spec.ts';
export {
  /** What a model file records about its training rows: feature, class, label and target names, the task. */
  datasetInfo,
  /** A sweep trial's model info: the sweep's, with the trial's hyperparameters in trainedWith. */
  trialInfo,
  /** Whether two specs are the same architecture. */
  sameSpec,
  /** How two specs differ: only in batch norm, or in their architecture (undefined: not at all). */
  specDifference,
  /** An architecture in words: "sizes [2,16,1], relu, loss bce, no batch norm". */
  describeSpec,
} from './lib/model-setup.ts';

export {
  /** He/Xavier initial weights of an architecture from a seed, the same bits on every device. */
  initParams,
} from './init.ts';
export {
  /** Trainable parameters of an architecture. */
  paramCount,
  /** Multiply-adds of one row's forward pass through layers of given widths. */
  forwardMacs,
  /** The hidden activations: relu, sigmoid, tanh, leaky_relu. */
  HIDDEN_ACTIVATIONS,
  /** The output-and-cost choices: bce, ce, mse. */
  LOSSES,
} from './model.ts';
export {
  /** The optimizers: sgd, momentum, rmsprop, adam. */
  OPTIMIZERS,
} from './train/backend.ts';
export type { TrainConfig } from './train/backend.ts';

export {
  /** Two filter-normalised Gaussian directions for a model's weights (Li et al. 2018): each weight row
   *  scaled to the norm of the weights' row, biases zero. Trainer.lossSurface draws them. */
  surfaceDirections,
  /** A direction rescaled filter by filter (row by row of each weight matrix) to given weights, biases zero. */
  filterNormalize,
  /** Weights as (α, β) on the plane θ + α·d1 + β·d2: the least-squares projection. */
  projectOntoPlane,
} from './lib/landscape.ts';
/** What Trainer.lossSurface takes and gives. */
export type { LossSurface, SurfaceOptions } from './lib/landscape.ts';

export {
  /** Outputs of a model's weights for raw rows on the float64 reference, without a trainer or a device
   *  (what Trainer.predict gives; for a few thousand rows). */
  referencePredict,
  /** Every layer's values (normalised inputs, hidden activations, output logits) for raw rows on the
   *  float64 reference: what each unit computes, for drawing a network. */
  referenceActivations,
} from './lib/reference-predict.ts';

export {
  /** The course's gradient check of every layer type on small random problems (float64 backprop against
   *  central differences), per tensor. */
  gradcheckSuite,
} from './lib/check-step.ts';
export {
  /** The relative difference below which a gradient check passes (1e-7). */
  GRADCHECK_THRESHOLD,
} from './reference/gradcheck.ts';

export {
  /** Reads a model file (safetensors) written by Trainer.save, with its info; older files load with an empty info. */
  decodeModel,
  /** Writes a model file from a spec, parameters and info. */
  encodeModel,
} from './lib/model-file.ts';
export type { ModelInfo, SavedModel } from './lib/model-file.ts';

export {
  /** Weights only, as safetensors (layers.{i}.weight, ...): no architecture or info in the file. */
  paramsToSafetensors,
  /** Weights from a safetensors file, checked against an architecture tensor by tensor. */
  paramsFromSafetensors,
} from './io/safetensors.ts';

export {
  /** A checkpoint as safetensors: weights, exact training state, position and the run's settings. */
  encodeCheckpoint,
  /** Reads a checkpoint for an architecture (Trainer.fit's resume takes its position, params and state). */
  decodeCheckpoint,
  /** Throws naming every setting in which a run differs from the checkpoint's. */
  checkSameRun,
} from './train/checkpoint.ts';
export type { Checkpoint, LoopPosition, TrainState } from './train/checkpoint.ts';

export {
  /** ONNX bytes for a spec and parameters (Trainer.exportOnnx does this for its model). */
  encodeOnnx,
} from './io/onnx.ts';
export {
  /** ONNX bytes for a model (decodeModel's result), its normalisations built into the graph. */
  modelToOnnx,
} from './lib/export.ts';
export type { OnnxOptions } from './io/onnx.ts';
export {
  /** model.py, train.py, README.md and weights.safetensors for a model (decodeModel's result): the network
   *  as a PyTorch nn.Module and the run that trained it as a script, continued or from scratch, on one
   *  process or many (DistributedDataParallel). */
  pytorchFiles,
} from './lib/pytorch-export.ts';
export type { PytorchExportOptions, PytorchFiles } from './lib/pytorch-export.ts';

export {
  /** Seeded test/dev split of a data set, the same in every front end. */
  splitDataset,
  /** A Dataset's rows as fit input ({ x, labels } or { x, y }, with its names: the first fit keeps them
   *  in the model's info). */
  labeled,
  /** The feature, class, label and target names a data set (or rows) carries, only those it has. */
  dataNames,
  /** A built-in 2-D set: spiral, moons, circles or xor, with the set's default noise. */
  toyDataset,
  /** Per-feature statistics ('standard' or 'minmax') of rows x [n][features]. */
  fitNormalization,
  /** (x − shift) / scale per feature. */
  applyNormalization,
  /** At most n rows of a data set: a seeded random subset. */
  capRows,
  /** MNIST from the `mnist` package's ten parsed digits/{d}.json files (fetched by a page). */
  mnistDataset,
} from './lib/data.ts';
export type { DataNames, LabeledData } from './lib/data.ts';
export {
  /** Regression targets per row of a data set (0: classification). */
  targetCount,
} from './data/dataset.ts';
export type { Dataset, GivenSplit } from './data/dataset.ts';
export {
  /** The built-in 2-D sets: spiral, moons, circles, xor. */
  SYNTHETIC_NAMES,
} from './data/synthetic.ts';
export type { SyntheticName } from './data/synthetic.ts';

export {
  /** Reads CSV/TSV text (RFC 4180 quoting, CRLF, BOM; ',' ';' or tab, sniffed) into a Dataset: numeric
   *  features, and a label column (default the last) of class names, integer classes or, for
   *  non-integer numbers or several label columns, regression targets. Errors name line and column. */
  parseCsv,
} from './data/csv.ts';
export type { ColumnRef, CsvOptions, CsvRead, CsvTask } from './data/csv.ts';
export {
  /** A CSV's first rows and each column's type, range and missing cells, from its text (or the start of
   *  it): any cell is taken, so a column the reader would refuse shows what is in it. */
  profileCsv,
} from './data/csv-profile.ts';
export type { CsvColumnSummary, CsvProfile } from './data/csv-profile.ts';
export {
  /** A prediction as a table: header and rows as text (a classifier's class by name, then one probability
   *  per class; one value per output otherwise), as `npm run predict -- --out` writes it. */
  predictionTable,
  /** predictionTable as CSV text. */
  predictionsCsv,
} from './lib/predictions-csv.ts';
export type { PredictionTable } from './lib/predictions-csv.ts';

export {
  /** Whether picked files are an array source (MNIST-layout IDX files, an .npz) rather than a CSV. */
  isArrayFiles,
  /** A CSV/TSV File (or named Blob) streamed into the CsvReader, with progress; cancellable between chunks. */
  readCsvBlob,
  /** The header row of a CSV/TSV File. */
  readCsvBlobHeader,
  /** MNIST-layout IDX Files (each optionally gzipped) or one .npz File, as a data set. */
  readArrayBlobs,
} from './data/web-files.ts';
export type { NamedBlob, ReadProgress } from './data/web-files.ts';
export type { Loaded } from './data/arrays.ts';

export type {
  Activation,
  BatchNormTensors,
  InputNormalization,
  LayerParams,
  Loss,
  ModelSpec,
  Params,
} from './model.ts';
export type { OptimizerKind } from './train/backend.ts';
export type { MatmulFamily } from './gpu/kernels.ts';
export type { AutotuneResult, TuneEntry, TuneStore } from './gpu/autotune.ts';
export type { HostCounts } from './gpu/counters.ts';
export type { BatchNormCheck, GradCheckRow, LayerCheck, StepCheck } from './lib/check-step.ts';
