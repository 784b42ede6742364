// Command-line options of the trainer: parsed and validated here, so the rest of the program only
// ever sees a well-formed TrainOptions. Every error names the flag and the value it got.
import { statSync } from 'node:fs';
import {
  HIDDEN_ACTIVATIONS,
  ineffectiveAxis,
  LOSSES,
  MAX_TRIALS,
  OPTIMIZERS,
  paramLabel,
  parseSweepSpec,
  sweepShape,
  SYNTHETIC_NAMES,
  type Activation,
  type InputNormalization,
  type Loss,
  type LrDecay,
  type MatmulChoice,
  type PlanChoice,
  PLAN_CHOICES,
  type MatmulFamily,
  type OptimizerKind,
  type SweepSpec,
  type SyntheticName,
} from '../index.ts';

export type DataSource =
  | { kind: 'mnist' }
  | { kind: 'synthetic'; name: SyntheticName }
  | { kind: 'csv'; path: string }
  /** A directory of MNIST-layout IDX files; an .npz archive; an .npy of features (labels from --labels). */
  | { kind: 'idx'; dir: string }
  | { kind: 'npz'; path: string }
  | { kind: 'npy'; path: string };

export interface TrainOptions {
  data: DataSource;
  /** The .npy of class labels that goes with --data FEATURES.npy. */
  labels: string | undefined;
  /** Hidden layer widths; empty for none (logistic/softmax regression). */
  hidden: number[];
  activation: Activation;
  /** Output and cost; 'auto': bce for 2 classes, ce otherwise. */
  loss: Loss | 'auto';
  /** Batch normalisation on every hidden layer. */
  batchNorm: boolean;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** --init-seed: seeds the initial weights, the shuffling and dropout, apart from the data (undefined: --seed). */
  initSeed: number | undefined;
  testSplit: number;
  shuffle: boolean;
  normalize: InputNormalization['method'] | 'none';
  device: 'gpu' | 'cpu';
  init: string | undefined;
  save: string | undefined;
  /** Also write the trained model as ONNX. */
  exportOnnx: string | undefined;
  /** Also write the model and its run as a PyTorch project (model.py, train.py) into this directory. */
  exportPytorch: string | undefined;
  json: boolean;
  samples: number;
  evalEvery: number;
  /** Checkpoint file written (atomically) every checkpointEvery steps. */
  checkpoint: string | undefined;
  checkpointEvery: number;
  /** Checkpoint to continue from. */
  resume: string | undefined;
  help: boolean;
  optimizer: OptimizerKind;
  beta1: number;
  beta2: number;
  l2: number;
  keepProb: number;
  lrDecay: LrDecay | undefined;
  devSplit: number;
  /** Patience in epochs; undefined: train every epoch. */
  earlyStopping: number | undefined;
  /** Training steps per WebGPU submit; undefined: the plan's default for the adapter. */
  stepsPerSubmit: number | undefined;
  /** Matmul kernel family on the GPU; 'auto': the cached tune or the adapter's default, nothing timed
   *  first; 'tune': timed before training unless cached. */
  matmul: MatmulChoice;
  /** The GPU path: 'auto' (fused inside its envelope, else layered), 'fused' or 'layered'. */
  plan: PlanChoice;
  /** CSV columns: the label(s) by name or 0-based index (undefined: the last column), columns left out,
   *  the delimiter (undefined: sniffed), the task, and standardised regression targets. */
  label: string[] | undefined;
  drop: string[];
  delimiter: string | undefined;
  task: 'auto' | 'classification' | 'regression';
  normalizeTarget: boolean;
  /** GPU memory for data in bytes; past it the data is streamed in shards (undefined: the library's default). */
  gpuDataBudget: number | undefined;
  /** Hyperparameter search: the trials' spec (undefined: one run). Checked here with --trials, so the
   *  sweep's trial list can be made (src/lib/sweep.ts expandTrials, seeded by --seed). */
  sweep: SweepSpec | undefined;
  /** Trials to draw (random search, or distinct grid points); undefined: the whole grid. */
  trials: number | undefined;
  /** Directory for every trial's model. */
  saveAll: string | undefined;
  /** --sweep-sequential: the trials one after another, each alone (the baseline a sweep is timed against). */
  sweepSequential: boolean;
  /** Where --device gpu runs: a headless browser (the page's WebGPU) or Node on Dawn (npm package webgpu). */
  runtime: 'browser' | 'node';
  /** --browser: a path, or chrome | chromium | msedge (undefined: CHROMIUM_PATH, else the first found). */
  browser: string | undefined;
}

export const TRAIN_USAGE = `Usage: npm run train -- [options]

Data
  --data SOURCE         mnist | spiral | moons | circles | xor | PATH.csv | PATH.tsv | DIR | PATH.npz |
                        PATH.npy                                            (default mnist)
                        a CSV/TSV has a header row, then numeric feature columns and a label column:
                        text (class names), integers 0..k-1 (classes) or other numbers (regression);
                        DIR holds MNIST-layout IDX files (train-images-idx3-ubyte, train-labels-
                        idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each may be
                        .gz; the t10k files are the test set); an .npz holds x_train, y_train,
                        x_test, y_test (Keras's mnist.npz; test set as given) or x, y; an .npy
                        holds the features, --labels the labels. uint8 is scaled to [0, 1]
  --labels PATH.npy     the class labels (integers 0..k-1) for --data FEATURES.npy
  --label COL[,COL]     CSV: the label column(s), by name or 0-based index (-1: the last; default the
                        last); several are regression targets
  --drop COL[,COL]      CSV: columns to leave out (ids, free text)
  --delimiter D         CSV: , | ; | tab | any one character                (default: sniffed)
  --task TASK           auto | classification | regression; auto: regression when the label holds
                        non-integer numbers or there are several labels     (default auto)
  --normalize-target    standardise regression targets for training (metrics and predictions stay
                        in the targets' units)
  --samples N           rows generated for the synthetic sets               (default 1000)
  --test-split F        fraction held out for testing, 0 <= F < 1; not used when the
                        data comes with its test set (IDX, .npz x_test)     (default 0.2)
  --normalize HOW       standard | minmax | none, fitted on the train split (default none)
Model
  --hidden W1,W2,...    hidden layer widths; "" or none for no hidden layer (default 256,128)
  --activation ACT      relu | sigmoid | tanh | leaky_relu                  (default relu)
  --loss LOSS           auto | bce | ce | mse: output and cost; auto is a sigmoid with binary
                        cross-entropy for 2 classes, softmax with cross-entropy for more; mse is a
                        linear output with mean squared error on one-hot targets  (default auto)
  --batch-norm          batch normalisation on every hidden layer (γ, β learnt; running
                        mean and variance used for evaluation)
  --init FILE           start from weights in a .safetensors file
  --save FILE           write the trained model to a .safetensors file (weights, architecture,
                        feature names, normalisation statistics: npm run predict reads it)
  --export-onnx FILE    also write the trained model as ONNX (opset 13, normalisation included)
  --export-pytorch DIR  also write the model and this run as PyTorch code into DIR: model.py (an
                        nn.Module), train.py (the run, continued or from scratch, on one process or
                        DistributedDataParallel), README.md, weights.safetensors
Training
  --epochs N            passes over the training split                      (default 15)
  --batch-size B        rows per SGD step                                   (default 64)
  --lr X                learning rate                                       (default 0.2)
  --seed S              seed for init, split, shuffling and synthetic data  (default 1)
  --init-seed S         seed for init, shuffling and dropout only (the data and split keep --seed):
                        a sweep trial's seed, to rerun one trial alone      (default --seed)
  --no-shuffle          visit training rows in the same order every epoch
  --device DEV          gpu | cpu (the float64 reference)                   (default gpu)
  --runtime R           browser | node: where --device gpu runs: headless Chrome/Chromium/Edge, or
                        Node on Dawn (npm i webgpu; Linux: Vulkan, libvulkan1) (default browser)
  --browser B           PATH | chrome | chromium | msedge: the browser for --runtime browser
                        (default: CHROMIUM_PATH, else the first installed)
  --eval-every N        report progress every N steps                       (default 50)
  --steps-per-submit K  training steps per WebGPU command buffer submit; results are
                        identical for every K                   (default: 1, per adapter)
  --matmul KIND         tiled | tiled8 | blocked | auto | tune: GPU matmul kernels; auto: the cached
                        tune, else the adapter's default with nothing timed first (off SwiftShader
                        the tune then runs during training, for later runs); tune: time each
                        family before training; answers cached in node_modules/.cache (default auto)
  --plan PLAN           auto | fused | layered: the GPU path; fused runs whole training steps of a
                        small net (widths <= 64, <= 15 layers; dropout and batch norm too) in one
                        dispatch, layered a dispatch per layer and phase (every net); auto: fused
                        inside that envelope for one model of at most 5120 multiply-adds a row
                        (where fused is the faster), else layered; the run line names the path
                        taken and why                                       (default auto)
  --gpu-data-budget B   GPU memory for the data, bytes (suffix K, M or G: 64M = 64 MiB); data
                        that does not fit is streamed in shards, results bit-identical (default 512M)
  --checkpoint FILE     save weights, position and RNG state there (atomically) every
  --checkpoint-every N  N steps                                             (default 500)
  --resume FILE         continue bit-for-bit from a checkpoint (same data and settings;
                        --epochs may be larger)
Optimization and regularisation
  --optimizer OPT       sgd | momentum | rmsprop | adam                     (default sgd)
  --beta1 B             momentum / Adam first-moment decay, 0 <= B < 1     (default 0.9)
  --beta2 B             RMSprop / Adam second-moment decay, 0 <= B < 1     (default 0.999)
  --l2 L                L2 strength λ: J += (λ/2m)·Σ‖W‖², weights only     (default 0)
  --keep-prob P         inverted dropout on hidden layers, 0 < P <= 1      (default 1: off)
  --lr-decay SCHEDULE   inverse:K (lr/(1+K·epoch)) | exp:R (lr·R^epoch) |
                        step:R:N (lr·R every N epochs)                      (default none)
  --dev-split F         fraction of the training split held out as dev set  (default 0)
  --early-stopping N    stop after N epochs without a lower dev loss (needs --dev-split)
Hyperparameter search
  --sweep SPEC          train one model per trial, ranked by dev loss (needs --dev-split; the test
                        split stays out of the choice): "lr=log:1e-4:1e-1, l2=0,1e-4, seed=1..4".
                        Parameters lr, l2, keep (keep-prob), beta1, beta2, seed, each a list
                        (0,1e-4), log:MIN:MAX (log-uniform), uniform:MIN:MAX, or for seed
                        FIRST..LAST. Lists and seed ranges only: the whole grid (at most ${MAX_TRIALS});
                        any MIN:MAX range: random search (needs --trials), drawn from --seed.
                        Unswept parameters take their flags' values. A trial's seed seeds its
                        init, shuffling and dropout; the data and splits come from --seed.
                        --device cpu runs the trials one after another. --save, --export-onnx and
                        --export-pytorch write the best trial's model
  --trials N            trials to draw, 1..${MAX_TRIALS}: random draws, or N distinct points of a grid
  --save-all DIR        also write every trial's model to DIR (trial-<n>.safetensors)
  --sweep-sequential    train the trials one after another, each alone (the same results; the
                        baseline the side-by-side sweep is timed against)
Output
  --json                one JSON object per line instead of text
  --help                show this help

Flags take their value as "--flag value" or "--flag=value".`;

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = {
  data: { kind: 'mnist' },
  labels: undefined,
  // Defaults are tuned for the default data (MNIST): 95.60% test accuracy on SwiftShader (README).
  hidden: [256, 128],
  activation: 'relu',
  loss: 'auto',
  batchNorm: false,
  epochs: 15,
  batchSize: 64,
  lr: 0.2,
  seed: 1,
  initSeed: undefined,
  testSplit: 0.2,
  shuffle: true,
  normalize: 'none',
  device: 'gpu',
  init: undefined,
  save: undefined,
  exportOnnx: undefined,
  exportPytorch: undefined,
  json: false,
  samples: 1000,
  evalEvery: 50,
  checkpoint: undefined,
  checkpointEvery: 500,
  resume: undefined,
  help: false,
  optimizer: 'sgd',
  beta1: 0.9,
  beta2: 0.999,
  l2: 0,
  keepProb: 1,
  lrDecay: undefined,
  devSplit: 0,
  earlyStopping: undefined,
  stepsPerSubmit: undefined,
  matmul: 'auto',
  plan: 'auto',
  label: undefined,
  drop: [],
  delimiter: undefined,
  task: 'auto',
  normalizeTarget: false,
  gpuDataBudget: undefined,
  sweep: undefined,
  trials: undefined,
  saveAll: undefined,
  sweepSequential: false,
  runtime: 'browser',
  browser: undefined,
};

// The matmul families spelled out: the library has no list of them.
const MATMUL_CHOICES = ['tiled', 'tiled8', 'blocked', 'auto', 'tune'] as const satisfies readonly (
  MatmulFamily | 'auto' | 'tune'
)[];

type Setter = (o: TrainOptions, value: string, flag: string) => void;

const VALUED: Record<string, Setter> = {
  '--data': (o, v, f) => (o.data = parseData(v, f)),
  '--labels': (o, v, f) => (o.labels = npyPath(v, f)),
  '--hidden': (o, v, f) => (o.hidden = parseHidden(v, f)),
  '--activation': (o, v, f) => (o.activation = oneOf(v, f, HIDDEN_ACTIVATIONS)),
  '--loss': (o, v, f) => (o.loss = oneOf(v, f, ['auto', ...LOSSES])),
  '--epochs': (o, v, f) => (o.epochs = int(v, f, 1)),
  '--batch-size': (o, v, f) => (o.batchSize = int(v, f, 1)),
  '--lr': (o, v, f) => (o.lr = positiveNumber(v, f)),
  '--seed': (o, v, f) => (o.seed = int(v, f, 0, 0xffffffff)),
  '--init-seed': (o, v, f) => (o.initSeed = int(v, f, 0, 0xffffffff)),
  '--test-split': (o, v, f) => (o.testSplit = fraction(v, f)),
  '--normalize': (o, v, f) => (o.normalize = oneOf(v, f, ['standard', 'minmax', 'none'] as const)),
  '--device': (o, v, f) => (o.device = oneOf(v, f, ['gpu', 'cpu'] as const)),
  '--init': (o, v, f) => (o.init = path(v, f)),
  '--save': (o, v, f) => (o.save = path(v, f)),
  '--export-onnx': (o, v, f) => (o.exportOnnx = path(v, f)),
  '--export-pytorch': (o, v, f) => (o.exportPytorch = path(v, f)),
  '--samples': (o, v, f) => (o.samples = int(v, f, 1)),
  '--eval-every': (o, v, f) => (o.evalEvery = int(v, f, 1)),
  '--checkpoint': (o, v, f) => (o.checkpoint = path(v, f)),
  '--checkpoint-every': (o, v, f) => (o.checkpointEvery = int(v, f, 1)),
  '--resume': (o, v, f) => (o.resume = path(v, f)),
  '--optimizer': (o, v, f) => (o.optimizer = oneOf(v, f, OPTIMIZERS)),
  '--beta1': (o, v, f) => (o.beta1 = fraction(v, f)),
  '--beta2': (o, v, f) => (o.beta2 = fraction(v, f)),
  '--l2': (o, v, f) => (o.l2 = nonNegative(v, f)),
  '--keep-prob': (o, v, f) => (o.keepProb = keepProb(v, f)),
  '--lr-decay': (o, v, f) => (o.lrDecay = parseDecay(v, f)),
  '--dev-split': (o, v, f) => (o.devSplit = fraction(v, f)),
  '--early-stopping': (o, v, f) => (o.earlyStopping = int(v, f, 1)),
  '--steps-per-submit': (o, v, f) => (o.stepsPerSubmit = int(v, f, 1, 1024)),
  '--matmul': (o, v, f) => (o.matmul = oneOf(v, f, MATMUL_CHOICES)),
  '--plan': (o, v, f) => (o.plan = oneOf(v, f, PLAN_CHOICES)),
  '--label': (o, v, f) => (o.label = columns(v, f)),
  '--drop': (o, v, f) => (o.drop = columns(v, f)),
  '--delimiter': (o, v, f) => (o.delimiter = delimiter(v, f)),
  '--task': (o, v, f) => (o.task = oneOf(v, f, ['auto', 'classification', 'regression'] as const)),
  '--gpu-data-budget': (o, v, f) => (o.gpuDataBudget = bytes(v, f)),
  '--sweep': (o, v, f) => (o.sweep = parseSweepSpec(v, f)),
  '--trials': (o, v, f) => (o.trials = int(v, f, 1, MAX_TRIALS)),
  '--save-all': (o, v, f) => (o.saveAll = path(v, f)),
  '--runtime': (o, v, f) => (o.runtime = oneOf(v, f, ['browser', 'node'] as const)),
  '--browser': (o, v) => (o.browser = v),
};

const SWITCHES: Record<string, (o: TrainOptions) => void> = {
  '--no-shuffle': (o) => (o.shuffle = false),
  '--json': (o) => (o.json = true),
  '--batch-norm': (o) => (o.batchNorm = true),
  '--sweep-sequential': (o) => (o.sweepSequential = true),
  '--normalize-target': (o) => (o.normalizeTarget = true),
};

/** Parses process.argv.slice(2). With --help (or -h) anywhere, returns the defaults with help set. */
export function parseTrainArgs(argv: readonly string[]): TrainOptions {
  const o: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, hidden: [...DEFAULT_TRAIN_OPTIONS.hidden] };
  if (argv.includes('--help') || argv.includes('-h')) return { ...o, help: true };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}' (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (seen.has(flag)) throw new Error(`${flag} given more than once`);
    seen.add(flag);

    const toggle = SWITCHES[flag];
    if (toggle !== undefined) {
      if (eq >= 0) throw new Error(`${flag} takes no value, got '${arg.slice(eq + 1)}'`);
      toggle(o);
      continue;
    }
    const set = VALUED[flag];
    if (set === undefined) throw new Error(`unknown flag ${flag} (see --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
      value = next;
      i++;
    }
    set(o, value, flag);
  }
  if (o.data.kind === 'npy' && o.labels === undefined)
    throw new Error(`--data ${o.data.path} holds the features only: give the labels with --labels LABELS.npy`);
  if (o.data.kind !== 'npy' && o.labels !== undefined)
    throw new Error('--labels goes with --data FEATURES.npy (other sources hold their labels)');
  if (o.earlyStopping !== undefined && o.devSplit === 0)
    throw new Error('--early-stopping needs a dev split: add --dev-split F with 0 < F < 1');
  const csvOnly = ['--label', '--drop', '--delimiter', '--task', '--normalize-target'].filter((f) => seen.has(f));
  if (csvOnly.length > 0 && o.data.kind !== 'csv') throw new Error(`${csvOnly.join(', ')}: for --data PATH.csv only`);
  if (o.gpuDataBudget !== undefined && o.device === 'cpu')
    throw new Error('--gpu-data-budget is for --device gpu (the CPU reference reads the rows where they are)');
  if (o.device === 'cpu' && (seen.has('--runtime') || seen.has('--browser')))
    throw new Error('--runtime and --browser are for --device gpu (the CPU reference runs in Node)');
  if (o.runtime === 'node' && seen.has('--browser')) throw new Error('--browser is for --runtime browser');
  checkSweep(o, seen);
  return o;
}

/** The rules of --sweep with the other flags; the spec's own checks ran when it was parsed. */
function checkSweep(o: TrainOptions, seen: ReadonlySet<string>): void {
  const { sweep } = o;
  if (sweep === undefined) {
    const needSweep = ['--trials', '--save-all', '--sweep-sequential'].filter((f) => seen.has(f));
    if (needSweep.length > 0)
      throw new Error(`${needSweep.join(', ')}: for a hyperparameter search only (add --sweep SPEC)`);
    return;
  }
  if (o.devSplit === 0)
    throw new Error(
      '--sweep ranks the trials by dev loss: add --dev-split F with 0 < F < 1 (the test split stays out of the choice)',
    );
  // One checkpoint file cannot hold N runs; a sweep is rerun rather than resumed.
  const single = ['--checkpoint', '--checkpoint-every', '--resume'].filter((f) => seen.has(f));
  if (single.length > 0) throw new Error(`${single.join(', ')}: not with --sweep (a checkpoint holds one run)`);
  // A swept parameter that changes nothing would only repeat one run.
  const idle = ineffectiveAxis(sweep, o.optimizer, o.hidden.length);
  if (idle?.why === 'optimizer')
    throw new Error(
      `--sweep: '${idle.axis.text}' has no effect with --optimizer ${o.optimizer} (${paramLabel(idle.axis.param)} is used by ${idle.users.join(' and ')})`,
    );
  if (idle?.why === 'no-hidden-layers')
    throw new Error(
      `--sweep: '${idle.axis.text}' has no effect without hidden layers (dropout is on hidden layers only)`,
    );
  // A continuous range without --trials, a grid past the cap, --trials past the grid. Without --trials
  // the library's refusal asks for a number of trials: say which flag gives it.
  try {
    sweepShape(sweep, o.trials, '--sweep');
  } catch (e) {
    if (o.trials !== undefined || !(e instanceof Error)) throw e;
    throw new Error(`${e.message} (--trials N)`, { cause: e });
  }
}

/** A comma-separated list of column names or indices. */
function columns(v: string, flag: string): string[] {
  const list = v.split(',').map((s) => s.trim());
  if (list.some((s) => s === ''))
    throw new Error(`${flag}: expected column names or 0-based indices separated by commas, got '${v}'`);
  return list;
}

const DELIMITER_NAMES: Record<string, string> = {
  tab: '\t',
  '\\t': '\t',
  comma: ',',
  semicolon: ';',
  pipe: '|',
  space: ' ',
};

function delimiter(v: string, flag: string): string {
  const d = DELIMITER_NAMES[v] ?? v;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r')
    throw new Error(`${flag}: expected , ; tab or another single character (not a quote), got '${v}'`);
  return d;
}

function parseDecay(v: string, flag: string): LrDecay {
  const parts = v.split(':');
  const [kind, a, b] = parts;
  const fail = () => new Error(`${flag}: expected inverse:K, exp:R or step:R:N, got '${v}'`);
  if (kind === 'inverse' && parts.length === 2 && a !== undefined)
    return { kind: 'inverse', rate: nonNegative(a, flag) };
  if (kind === 'exp' && parts.length === 2 && a !== undefined)
    return { kind: 'exponential', rate: unitInterval(a, flag) };
  if (kind === 'step' && parts.length === 3 && a !== undefined && b !== undefined)
    return { kind: 'step', rate: unitInterval(a, flag), every: int(b, flag, 1) };
  throw fail();
}

function nonNegative(v: string, flag: string): number {
  const n = number(v, flag);
  if (!(n >= 0)) throw new Error(`${flag}: must be >= 0, got '${v}'`);
  return n;
}

/** A decay factor: 0 < value <= 1. */
function unitInterval(v: string, flag: string): number {
  const n = number(v, flag);
  if (!(n > 0 && n <= 1)) throw new Error(`${flag}: the factor must satisfy 0 < value <= 1, got '${v}'`);
  return n;
}

function keepProb(v: string, flag: string): number {
  const n = number(v, flag);
  if (!(n > 0 && n <= 1)) throw new Error(`${flag}: must satisfy 0 < value <= 1, got '${v}'`);
  return n;
}

function parseData(v: string, flag: string): DataSource {
  if (v === 'mnist') return { kind: 'mnist' };
  const synthetic = SYNTHETIC_NAMES.find((n) => n === v);
  if (synthetic !== undefined) return { kind: 'synthetic', name: synthetic };
  if (/\.(csv|tsv)$/i.test(v)) return { kind: 'csv', path: v };
  if (/\.npz$/i.test(v)) return { kind: 'npz', path: v };
  if (/\.npy$/i.test(v)) return { kind: 'npy', path: v };
  if (statSync(v, { throwIfNoEntry: false })?.isDirectory()) return { kind: 'idx', dir: v };
  throw new Error(
    `${flag}: expected mnist, ${SYNTHETIC_NAMES.join(', ')}, a path ending in .csv, .tsv, .npz or .npy, or a directory of IDX files, got '${v}'${/[\\/]/.test(v) ? ' (no such directory)' : ''}`,
  );
}

function npyPath(v: string, flag: string): string {
  if (!/\.npy$/i.test(v)) throw new Error(`${flag}: expected a path ending in .npy, got '${v}'`);
  return v;
}

function parseHidden(v: string, flag: string): number[] {
  const s = v.trim();
  if (s === '' || s === 'none') return [];
  return s.split(',').map((w) => {
    const t = w.trim();
    if (!/^\d+$/.test(t) || Number(t) < 1) {
      throw new Error(`${flag}: each width must be a positive integer, got '${t}' in '${v}'`);
    }
    return Number(t);
  });
}

/** A byte count: digits with an optional K, M or G suffix (powers of 1024). */
function bytes(v: string, flag: string): number {
  const m = /^(\d+)([KMG])?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] ?? ' ').toUpperCase()) : NaN;
  if (!(n >= 1 && Number.isSafeInteger(n)))
    throw new Error(`${flag}: expected a number of bytes >= 1, optionally with K, M or G (64M), got '${v}'`);
  return n;
}

function oneOf<T extends string>(v: string, flag: string, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new Error(`${flag}: expected one of ${allowed.join(', ')}, got '${v}'`);
  return hit;
}

function int(v: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${flag}: expected an integer ${range}, got '${v}'`);
  }
  return n;
}

function number(v: string, flag: string): number {
  const n = Number(v);
  // Decimal only: Number() alone would also accept '', '0x10' and 'Infinity'.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim()) || !Number.isFinite(n)) {
    throw new Error(`${flag}: expected a finite number, got '${v}'`);
  }
  return n;
}

function positiveNumber(v: string, flag: string): number {
  const n = number(v, flag);
  if (!(n > 0)) throw new Error(`${flag}: must be greater than 0, got '${v}'`);
  return n;
}

function fraction(v: string, flag: string): number {
  const n = number(v, flag);
  if (!(n >= 0 && n < 1)) throw new Error(`${flag}: must satisfy 0 <= value < 1, got '${v}'`);
  return n;
}

function path(v: string, flag: string): string {
  if (v.trim() === '') throw new Error(`${flag}: expected a file path, got an empty string`);
  return v;
}
