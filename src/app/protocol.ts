// Messages between the page and the training worker. The worker owns the GPU device, the data and
// the model; the page only sends settings and clicks and draws what comes back.
import type {
  AdapterLimits,
  ClassificationMetrics,
  CsvProfile,
  GradCheckRow,
  LayerCheck,
  MatmulFamily,
  ModelSpec,
  SearchKind,
  SweepParam,
  SweepProgress,
  SweepTrialResult,
  Trial,
  TrainerErrorCode,
  TrainEvent,
} from '../index.ts';
import type { ChartPoint } from './history.ts';
import type { NetworkData } from './network-data.ts';
import type { Bounds, Predictions } from './predict.ts';
import type { Settings } from './settings.ts';
import type { SavedRunInfo } from './store.ts';
import type { TryAnswer, TryRequest } from './try-model.ts';

export type ToWorker =
  | { readonly type: 'init' }
  /** Picked or dropped data files, read by the worker: one CSV/TSV file (`label`: a column name, default
   *  the last), MNIST-layout IDX files, or an .npz archive. */
  | { readonly type: 'files'; readonly files: readonly File[]; readonly label?: string }
  | { readonly type: 'train'; readonly settings: Settings }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'stop' }
  | { readonly type: 'save' }
  | { readonly type: 'load'; readonly name: string; readonly bytes: Uint8Array; readonly settings: Settings }
  | { readonly type: 'forget' }
  | { readonly type: 'check'; readonly settings: Settings }
  | { readonly type: 'gradcheck'; readonly settings: Settings }
  /** A hyperparameter search around these settings: the spec and trial count as typed in the sweep
   *  fields (the worker expands them as the page checked them, src/app/sweep.ts). Stopped by 'stop'. */
  | { readonly type: 'sweep'; readonly settings: Settings; readonly spec: string; readonly trials: string }
  /** Make the last sweep's trial (by its index) the current model: views, save and check use it. */
  | { readonly type: 'adopt'; readonly trial: number }
  /** Continue the run saved in IndexedDB, with its own settings. */
  | { readonly type: 'resume-saved' }
  /** The current model's output at a point of a 2-D set's plane (a click on the boundary). */
  | { readonly type: 'probe'; readonly x: number; readonly y: number }
  /** The data's view before any training (a 2-D set's points, a file's digits): 'preview' answers. */
  | { readonly type: 'preview'; readonly settings: Settings }
  /** The form's settings now: the worker compiles their plan's kernels before Start (src/app/warm.ts). */
  | { readonly type: 'warm'; readonly settings: Settings }
  /** Try the current model on the page's own input (src/app/try-model.ts). */
  | { readonly type: 'try'; readonly request: TryRequest }
  /** Test hook: destroys the worker's GPU device, as a driver reset would. */
  | { readonly type: 'debug-lose-device' };

/** The loss surface around the current model's weights, with its run's path: 'surface' answers. Handled
 *  by src/app/surface-worker.ts's own listener, beside the worker's. */
export type ToSurface = { readonly type: 'surface' };

/** The "Live network view" checkbox: the worker posts 'network' at a run's checkpoints only while on.
 *  Handled by src/app/network-worker.ts's own listener. */
export type ToNetwork = { readonly type: 'network-live'; readonly on: boolean };

/** What the page draws for a data set: its points (2 features), digits (MNIST), predicted vs true
 *  values of test rows (regression), or nothing. */
export type ViewData =
  | { readonly kind: 'scatter'; readonly truth: Float32Array; readonly target: string }
  | {
      readonly kind: 'points';
      readonly x: Float32Array;
      readonly labels: Uint8Array;
      readonly testFrom: number;
      readonly classes: number;
      readonly bounds: Bounds;
      readonly res: number;
    }
  | { readonly kind: 'digits'; readonly pixels: Uint8Array; readonly labels: Uint8Array }
  | { readonly kind: 'none' };

/** A run or sweep holds the trainer in these states. */
export const isBusy = (s: RunState): boolean =>
  s === 'loading' || s === 'training' || s === 'sweeping' || s === 'paused' || s === 'stopping';

export type RunState =
  'idle' | 'loading' | 'training' | 'sweeping' | 'paused' | 'stopping' | 'done' | 'stopped' | 'failed';

/** Where an error came from, so the page shows it next to the right control. */
export type ErrorContext =
  | 'adapter'
  | 'csv'
  | 'train'
  | 'sweep'
  | 'load'
  | 'save'
  | 'check'
  | 'gradcheck'
  | 'control'
  | 'storage'
  | 'surface'
  | 'try';

export type { BatchNormCheck, GradCheckRow, LayerCheck } from '../index.ts';

/** A sweep trial's outcome as the page gets it: fitSweep's result less its parameters (the worker keeps
 *  those, for 'adopt'). */
export type SweepRow = Omit<SweepTrialResult, 'params'>;

/** Training, dev and test figures of an adopted trial's model (test: null without test rows). */
export interface SplitFigures {
  readonly loss: number;
  /** NaN for regression. */
  readonly accuracy: number;
  readonly r2?: number;
}

export type FromWorker =
  | TryAnswer
  | { readonly type: 'adapter'; readonly name: string; readonly limits: AdapterLimits }
  /** The adapter's matmul autotune (describeTune's line), once per device. */
  | { readonly type: 'tune'; readonly family: MatmulFamily; readonly line: string }
  | { readonly type: 'state'; readonly state: RunState; readonly detail?: string }
  /** `code`: the library's TrainerError code, when it was one ('diverged': no figure of the run stands). */
  | {
      readonly type: 'error';
      readonly context: ErrorContext;
      readonly message: string;
      readonly code?: TrainerErrorCode;
    }
  /** The picked file's header, before its rows are read (fills the label-column chooser). */
  | { readonly type: 'csv-header'; readonly name: string; readonly columns: readonly string[] }
  /** The picked CSV's first rows and column summary (profileCsv over its first MiB), before it is read. */
  | { readonly type: 'csv-profile'; readonly name: string; readonly profile: CsvProfile }
  /** Bytes of the picked file read so far. */
  | { readonly type: 'csv-progress'; readonly name: string; readonly bytes: number; readonly total: number }
  /** The user's data, read: `label` is '' for arrays (IDX, .npz), `testRows` when a test set came with it. */
  | {
      readonly type: 'csv';
      readonly name: string;
      readonly rows: number;
      readonly features: number;
      readonly classes: number;
      readonly task: 'classification' | 'regression';
      readonly reason: string;
      readonly label: string;
      readonly classNames?: readonly string[];
      readonly testRows?: number;
    }
  | {
      readonly type: 'ready';
      readonly device: 'gpu' | 'cpu';
      readonly adapter: string;
      readonly spec: ModelSpec;
      readonly params: number;
      readonly trainRows: number;
      readonly testRows: number;
      /** Rows held out of train to rank a sweep's trials (0 outside a sweep's trials). */
      readonly devRows: number;
      /** GPU memory estimated from the plan's layout before allocation (estimated: true); null on the CPU. */
      readonly memory: {
        readonly bytes: number;
        readonly largest: { readonly name: string; readonly bytes: number };
        readonly estimated: boolean;
      } | null;
      readonly view: ViewData;
      readonly initFrom: string;
      readonly task: 'classification' | 'regression';
      readonly classNames?: readonly string[];
      readonly targetNames?: readonly string[];
    }
  | { readonly type: 'event'; readonly event: TrainEvent }
  /** The settings' data as the page draws it before training (points or digits, no predictions). */
  | { readonly type: 'preview'; readonly view: ViewData }
  /** predict's answer at a probed point: its class and each class's probability. */
  | { readonly type: 'probe'; readonly x: number; readonly y: number; readonly cls: number; readonly values: number[] }
  /** A classifier's confusion matrix after its run, on the test rows (train when there are none). */
  | {
      readonly type: 'confusion';
      readonly split: 'test' | 'train';
      readonly metrics: ClassificationMetrics;
      readonly classNames?: readonly string[];
    }
  /** A resumed run's chart points from before the reload (after its 'ready', before its events). */
  | { readonly type: 'history'; readonly points: readonly ChartPoint[] }
  /** The bytes the run's plan really holds, once it is built (its own arena's count). */
  | {
      readonly type: 'memory';
      readonly bytes: number;
      readonly largest: { readonly name: string; readonly bytes: number };
    }
  | { readonly type: 'view'; readonly epoch: number; readonly predictions: Predictions }
  /** The network view of a run's latest checkpoint (src/app/network-worker.ts), at most a few a second. */
  | { readonly type: 'network'; readonly data: NetworkData }
  /** Regression: the predicted values of the scatter view's rows (targets' units). */
  | { readonly type: 'view-values'; readonly epoch: number; readonly values: Float32Array }
  | { readonly type: 'saved'; readonly name: string; readonly bytes: Uint8Array }
  | {
      readonly type: 'loaded';
      readonly name: string;
      readonly spec: ModelSpec;
      readonly trainAccuracy: number;
      readonly testAccuracy: number | null;
      readonly loss: number;
      /** A regression model's R² (its accuracies are NaN). */
      readonly trainR2?: number;
      readonly testR2?: number | null;
    }
  | {
      readonly type: 'check';
      readonly spec: ModelSpec;
      readonly rows: number;
      readonly gpuLoss: number;
      readonly cpuLoss: number;
      readonly layers: readonly LayerCheck[];
      readonly adapter: string;
      /** The path whose step was checked: the one training takes ('fused' or 'layered (reason)'). */
      readonly path: string;
    }
  | {
      readonly type: 'gradcheck';
      readonly spec: ModelSpec;
      readonly rows: number;
      readonly l2: number;
      readonly keepProb: number;
      readonly threshold: number;
      readonly seconds: number;
      readonly results: readonly GradCheckRow[];
    }
  /** The run a reload can continue (null: none), sent at start and whenever it changes. */
  | { readonly type: 'saved-run'; readonly info: SavedRunInfo | null }
  /** A sweep's trials, before the first one trains: `swept` the parameters its spec varies. */
  | {
      readonly type: 'sweep-start';
      readonly trials: readonly Trial[];
      readonly search: SearchKind;
      readonly swept: readonly SweepParam[];
      readonly trainRows: number;
      readonly devRows: number;
      readonly testRows: number;
      readonly devSplit: number;
      readonly epochs: number;
    }
  /** After every epoch of every group of trials trained side by side. */
  | { readonly type: 'sweep-progress'; readonly progress: SweepProgress }
  /** The trials' results in trial order (only the trials started, when the sweep was stopped). */
  | {
      readonly type: 'sweep-done';
      readonly rows: readonly SweepRow[];
      readonly seconds: number;
      readonly adapter: string;
      readonly stopped: boolean;
    }
  /** A sweep trial is the current model now (its 'ready' came first). */
  | {
      readonly type: 'adopted';
      readonly trial: number;
      /** The settings that make this trial: the sweep's with the trial's hyperparameters (lr, seed, …). */
      readonly settings: Settings;
      readonly train: SplitFigures;
      readonly dev: SplitFigures;
      readonly test: SplitFigures | null;
    }
  /** Something the user should know that is not an error (a recovered device). */
  | { readonly type: 'notice'; readonly text: string }
  /** The kernels of the form's run (a net of these layer sizes) are compiled (src/app/warm.ts): Start
   *  will not wait for them. */
  | { readonly type: 'warmed'; readonly sizes: readonly number[] }
  /** The loss surface (src/app/surface-worker.ts): size × size costs at α = axis[j], β = axis[i] (index
   *  i·size + j), the run's checkpoints as (α, β), over `rows` training rows, computed in `ms`. */
  | {
      readonly type: 'surface';
      readonly size: number;
      readonly axis: readonly number[];
      readonly cost: Float32Array;
      readonly path: readonly { readonly alpha: number; readonly beta: number }[];
      readonly rows: number;
      readonly device: 'gpu' | 'cpu';
      readonly ms: number;
    };
