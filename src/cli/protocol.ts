// What the command line and the page it drives exchange over the local job server.
import type {
  AutotuneResult,
  ClassificationMetrics,
  DataNames,
  FitOptions,
  LoopPosition,
  MatmulChoice,
  PlanChoice,
  ModelInfo,
  ModelSpec,
  OptimizerKind,
  PlanRows,
  Summary,
  SweepProgress,
  SweepTrialResult,
  TargetMetrics,
  Trial,
  TrainEvent,
  TuneEntry,
} from '../index.ts';

/** A training job: how to make the trainer and how to fit, as plain data (it crosses to the page as JSON). */
export interface JobMeta {
  readonly spec: ModelSpec;
  /** Seeds the dropout masks (and, through fit, the shuffling). */
  readonly seed: number;
  readonly normalize: 'standard' | 'minmax' | 'none';
  /** Standardise regression targets (--normalize-target). */
  readonly normalizeTarget?: boolean;
  /** What the model learns (createTrainer's task). */
  readonly task: 'classification' | 'regression';
  /** The training rows' names (they cross to the page as JSON, beside the rows' bytes, and reach the
   *  model's info the library's way: on the rows fit takes). */
  readonly names: DataNames;
  /** What the model file records besides the weights and names: the run's settings. */
  readonly info: ModelInfo;
  readonly optimizer: OptimizerKind;
  readonly beta1: number;
  readonly beta2: number;
  readonly l2: number;
  readonly keepProb: number;
  /** fit's options without data, callbacks or resume. */
  readonly fit: Omit<FitOptions, 'test' | 'dev' | 'onEvent' | 'signal' | 'onCheckpoint' | 'resume'>;
  readonly rows: PlanRows;
  /** --matmul: a family, 'auto' or 'tune' (TrainerOptions.matmul; tunes cached through the __tune* hooks). */
  readonly matmul: MatmulChoice;
  /** --plan: the GPU path (TrainerOptions.plan). */
  readonly plan: PlanChoice;
  /** Training steps per submit (absent: the plan's default for the adapter). */
  readonly stepsPerSubmit?: number;
  /** --gpu-data-budget: GPU memory for data, bytes (absent: the library's default). */
  readonly gpuDataBudget?: number;
  readonly resume?: LoopPosition;
  /** Post every checkpoint to /__job/checkpoint (--checkpoint). */
  readonly postCheckpoints: boolean;
  /** --sweep: train these trials (fitSweep) instead of one model; `sequential` trains them one after
   *  another, each alone (--sweep-sequential, the baseline a sweep is measured against); `sameStart`:
   *  every trial starts from the job's weights (--init), not from its own seed's init. */
  readonly sweep?: { readonly trials: readonly Trial[]; readonly sequential: boolean; readonly sameStart: boolean };
}

/** A trial's outcome as the page reports it (its model file goes to /__job/trial/<index>). */
export type SweepRow = Omit<SweepTrialResult, 'params'>;

/** Binary parts of a job, served at /__job/<name>: features as float32, labels as uint32, regression
 *  targets as float32 (empty for classification). */
export const JOB_PARTS = [
  'train.x',
  'train.labels',
  'test.x',
  'test.labels',
  'dev.x',
  'dev.labels',
  'init.safetensors',
  'resume.safetensors',
  'train.y',
  'test.y',
  'dev.y',
] as const;
export type JobPart = (typeof JOB_PARTS)[number];

/** A finished run's summary; a classifier's also has its confusion matrix and precision, recall and F1
 *  (per class and macro), a model with several regression targets each target's RMSE, MAE and R² in
 *  its units, on the test rows (the training rows when there are none). */
export type JobSummary = Summary & {
  readonly classification?: ClassificationMetrics;
  readonly targets?: readonly TargetMetrics[];
};

/** Functions the CLI exposes on the page's window (Playwright exposeFunction). */
export interface RunnerHooks {
  /** The run's events in order, batched (src/cli/batch.ts: one call carries up to BATCH_MS of them). */
  __jobEvents(events: TrainEvent[]): Promise<void>;
  __jobDone(summary: JobSummary): Promise<void>;
  __jobError(message: string): Promise<void>;
  /** The CLI's cached tune entry for an adapter (anything; the page validates it). */
  __tuneLoad(adapter: string): Promise<unknown>;
  __tuneSave(arg: { adapter: string; entry: TuneEntry }): Promise<void>;
  /** The tune the run uses and its log line (describeTune; the CLI cannot load the kernel registry). */
  __jobTune(arg: { result: AutotuneResult; line: string }): Promise<void>;
  /** A sweep's progress reports in order, batched as the events are. */
  __jobSweepProgress(reports: SweepProgress[]): Promise<void>;
  __jobSweepDone(arg: { rows: SweepRow[]; seconds: number; adapter: string }): Promise<void>;
}
