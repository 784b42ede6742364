// Everything a run is made of, as one flat record that lives in the form and in the URL query, so a
// link reproduces a run. One parser serves both (the form is read as URLSearchParams too), and every
// bad value gets a message that names the field and the value.
import {
  HIDDEN_ACTIVATIONS,
  buildSpec,
  LOSSES,
  OPTIMIZERS,
  SYNTHETIC_NAMES,
  type Activation,
  type Loss,
  type ModelSpec,
  type OptimizerKind,
  type SyntheticName,
  type TrainConfig,
} from '../index.ts';

export type DataName = SyntheticName | 'mnist' | 'csv';
export const DATA_NAMES: readonly DataName[] = [...SYNTHETIC_NAMES, 'mnist', 'csv'];
export type LossChoice = 'auto' | Loss;
export type DeviceChoice = 'gpu' | 'cpu';

export interface Settings {
  readonly data: DataName;
  /** Noise of the built-in 2-D sets (standard deviation, in data units); undefined: the set's own
   *  default (DEFAULT_NOISE, as the CLI and the library use), so "spiral, seed 1" is the same data everywhere. */
  readonly noise: number | undefined;
  /** Rows generated for a 2-D set; for MNIST and CSV the most rows used (a seeded random subset). */
  readonly samples: number;
  readonly testSplit: number;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  /** Batch normalisation on every hidden layer. */
  readonly batchNorm: boolean;
  readonly loss: LossChoice;
  readonly optimizer: OptimizerKind;
  readonly lr: number;
  /** Momentum / Adam first-moment decay. */
  readonly beta1: number;
  /** RMSprop / Adam second-moment decay. */
  readonly beta2: number;
  /** L2 regularisation λ (0: off). */
  readonly l2: number;
  /** Dropout keep probability of every hidden layer (1: off). */
  readonly keepProb: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  readonly device: DeviceChoice;
}

export const DEFAULTS: Settings = {
  data: 'spiral',
  noise: undefined,
  samples: 1000,
  testSplit: 0.2,
  hidden: [32, 32],
  activation: 'relu',
  batchNorm: false,
  loss: 'auto',
  optimizer: 'sgd',
  lr: 0.3,
  beta1: 0.9,
  beta2: 0.999,
  l2: 0,
  keepProb: 1,
  batchSize: 32,
  epochs: 40,
  seed: 1,
  device: 'gpu',
};

/** What a regression run starts with instead of DEFAULTS' SGD at 0.3, which diverges within an epoch on
 *  standardised targets (the CPU reference on the e2e test's y = sin(x1) + x2²/2: NaN by step 25 with relu;
 *  Adam at 0.01 reaches R² 0.99 in 40 epochs). */
export const REGRESSION_DEFAULTS = { optimizer: 'adam', lr: 0.01 } as const satisfies Partial<Settings>;

/** The settings a regression should start with: REGRESSION_DEFAULTS when the optimizer and learning rate
 *  are still the defaults (a choice the user made is kept); undefined when nothing changes. */
export function regressionSettings(s: Settings): Settings | undefined {
  if (s.optimizer !== DEFAULTS.optimizer || s.lr !== DEFAULTS.lr) return undefined;
  return { ...s, ...REGRESSION_DEFAULTS };
}

/** Query keys, in the order they appear in a shared link. */
export const KEYS = [
  'data',
  'noise',
  'samples',
  'testSplit',
  'hidden',
  'activation',
  'batchNorm',
  'loss',
  'optimizer',
  'lr',
  'beta1',
  'beta2',
  'l2',
  'keepProb',
  'batchSize',
  'epochs',
  'seed',
  'device',
] as const;
export type Key = (typeof KEYS)[number];

/** Each field as the form labels it (index.html), so a message names what the user sees, not the query key. */
export const LABELS: Record<Key, string> = {
  data: 'data set',
  noise: 'noise',
  samples: 'rows',
  testSplit: 'test fraction',
  hidden: 'hidden layers',
  activation: 'activation',
  batchNorm: 'batch norm',
  loss: 'loss',
  optimizer: 'optimizer',
  lr: 'learning rate',
  beta1: 'β1',
  beta2: 'β2',
  l2: 'L2 λ',
  keepProb: 'keep-prob',
  batchSize: 'batch size',
  epochs: 'epochs',
  seed: 'seed',
  device: 'device',
};

/** One bad field: its key (to mark it in the form) and a message in the form's words. */
export interface FieldError {
  readonly key: Key;
  readonly message: string;
}

/** Largest layer width accepted by the form; the adapter's limits are checked later, against real sizes. */
const MAX_WIDTH = 1 << 20;

export function formatHidden(h: readonly number[]): string {
  return h.join(',');
}

function choice<T extends string>(key: Key, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw))
    throw new Error(`${LABELS[key]} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

function int(key: Key, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`${LABELS[key]} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

function real(key: Key, raw: string, ok: (v: number) => boolean, what: string): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || !ok(v)) throw new Error(`${LABELS[key]} must be ${what}, got '${raw}'`);
  return v;
}

/** A checkbox: 'true' (what the form sends when it is ticked) or 'false'. */
function bool(key: Key, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`${LABELS[key]} must be true or false, got '${raw}'`);
}

function hidden(raw: string): number[] {
  if (raw.trim() === '') return []; // no hidden layer: logistic/softmax regression
  return raw.split(',').map((s, i) => {
    const v = Number(s.trim());
    if (!Number.isInteger(v) || v < 1 || v > MAX_WIDTH)
      throw new Error(
        `${LABELS.hidden}: layer ${i + 1} must be a width in [1, ${MAX_WIDTH}], got '${s.trim()}' (in '${raw}')`,
      );
    return v;
  });
}

/** Reads settings from a query or a form; missing keys take their defaults. Collects one error per bad
 *  field: `errors` as messages, `fields` with the key each belongs to (the page marks those fields). */
export function parseSettings(q: URLSearchParams): { settings: Settings; errors: string[]; fields: FieldError[] } {
  const fields: FieldError[] = [];
  const field = <T>(key: Key, parse: (raw: string) => T, fallback: T): T => {
    const raw = q.get(key);
    if (raw === null) return fallback;
    try {
      return parse(raw);
    } catch (e) {
      fields.push({ key, message: e instanceof Error ? e.message : String(e) });
      return fallback;
    }
  };
  const d = DEFAULTS;
  const settings: Settings = {
    data: field('data', (r) => choice('data', r, DATA_NAMES), d.data),
    noise: field(
      'noise',
      (r) => (r.trim() === '' ? undefined : real('noise', r, (v) => v >= 0 && v <= 10, 'a number in [0, 10]')),
      d.noise,
    ),
    samples: field('samples', (r) => int('samples', r, 10, 1_000_000), d.samples),
    testSplit: field(
      'testSplit',
      (r) => real('testSplit', r, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
      d.testSplit,
    ),
    hidden: field('hidden', hidden, d.hidden),
    activation: field('activation', (r) => choice('activation', r, HIDDEN_ACTIVATIONS), d.activation),
    batchNorm: field('batchNorm', (r) => bool('batchNorm', r), d.batchNorm),
    loss: field('loss', (r) => choice<LossChoice>('loss', r, ['auto', ...LOSSES]), d.loss),
    optimizer: field('optimizer', (r) => choice('optimizer', r, OPTIMIZERS), d.optimizer),
    lr: field('lr', (r) => real('lr', r, (v) => v > 0 && v <= 100, 'a number in (0, 100]'), d.lr),
    beta1: field('beta1', (r) => real('beta1', r, (v) => v >= 0 && v < 1, 'a number in [0, 1)'), d.beta1),
    beta2: field('beta2', (r) => real('beta2', r, (v) => v >= 0 && v < 1, 'a number in [0, 1)'), d.beta2),
    l2: field('l2', (r) => real('l2', r, (v) => v >= 0 && v <= 1e6, 'a number in [0, 1e6]'), d.l2),
    keepProb: field(
      'keepProb',
      (r) => real('keepProb', r, (v) => v > 0 && v <= 1, 'a probability in (0, 1]'),
      d.keepProb,
    ),
    batchSize: field('batchSize', (r) => int('batchSize', r, 1, 65536), d.batchSize),
    epochs: field('epochs', (r) => int('epochs', r, 1, 100_000), d.epochs),
    seed: field('seed', (r) => int('seed', r, 0, 0xffffffff), d.seed),
    device: field('device', (r) => choice<DeviceChoice>('device', r, ['gpu', 'cpu']), d.device),
  };
  return { settings, errors: fields.map((f) => f.message), fields };
}

/** The query string for a share link; only values that differ from the defaults are written. */
export function settingsToQuery(s: Settings): string {
  const q = new URLSearchParams();
  for (const key of KEYS) {
    const v = key === 'hidden' ? formatHidden(s.hidden) : String(s[key]);
    const dv = key === 'hidden' ? formatHidden(DEFAULTS.hidden) : String(DEFAULTS[key]);
    if (v !== dv) q.set(key, v);
  }
  return q.toString();
}

/** The backend's optimizer and regularisation for these settings; dropout masks are seeded by the run's seed. */
export function trainConfig(s: Settings): Partial<TrainConfig> {
  return {
    optimizer: s.optimizer,
    beta1: s.beta1,
    beta2: s.beta2,
    l2: s.l2,
    keepProb: s.keepProb,
    dropoutSeed: s.seed,
  };
}

/** The loss a run uses: 'auto' is BCE for two classes, softmax cross-entropy otherwise. */
export function resolveLoss(choice: LossChoice, classes: number): Loss {
  if (choice === 'auto') return classes === 2 ? 'bce' : 'ce';
  if (choice === 'bce' && classes !== 2)
    throw new Error(`loss bce needs a data set with 2 classes, this one has ${classes}; pick ce or mse`);
  return choice;
}

/** The model these settings build for data with `features` inputs and `classes` classes (or `targets`
 *  regression outputs), by the library's rule (buildSpec, as the CLI and createTrainer build it); the
 *  loss choice is checked first, in the form's words. */
export function modelSpecFor(s: Settings, features: number, classes: number, targets = 0): ModelSpec {
  if (targets > 0) {
    // Regression (a CSV whose label holds non-integer numbers): linear outputs and squared error.
    if (s.loss !== 'auto' && s.loss !== 'mse')
      throw new Error(`loss ${s.loss}: this data is regression, which takes the mse loss (or auto)`);
  } else resolveLoss(s.loss, classes);
  return buildSpec(
    {
      inputs: features,
      hidden: s.hidden,
      ...(targets > 0 ? { outputs: targets } : { classes }),
      activation: s.activation,
      ...(s.loss !== 'auto' ? { loss: s.loss } : {}),
      batchNorm: s.batchNorm,
    },
    'model',
  );
}

/** Checkpoint settings that must match for a resumed run to be the same run. */
export function runRecord(s: Settings): Record<string, string | number> {
  // batchNorm only when on (a number: the record holds strings and numbers), so runs saved before
  // the setting existed stay resumable.
  return Object.fromEntries(
    KEYS.flatMap((k): [string, string | number][] =>
      k === 'batchNorm'
        ? s.batchNorm
          ? [[k, 1]]
          : []
        : k === 'noise'
          ? s.noise === undefined
            ? []
            : [[k, s.noise]]
          : [[k, k === 'hidden' ? formatHidden(s.hidden) : (s[k] as string | number)]],
    ),
  );
}
