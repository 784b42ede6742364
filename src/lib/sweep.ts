// Hyperparameter search, the part that is plain TypeScript: a sweep spec ("lr=log:1e-4:1e-1, l2=0,1e-4,
// seed=1..4") parsed and checked, the list of trials it stands for, and the ranked table of their
// results. Training the trials is someone else's job (one by one on the CPU, or N at once on the GPU).
//
// Which search:
//  - Every parameter a list or a seed range, no trial count: the whole grid, the cartesian product in
//    spec order with the last parameter varying fastest (as nested loops, or itertools.product).
//  - Same, with a trial count: that many distinct grid points, drawn without replacement (a count
//    equal to the grid size is the whole grid, in grid order; more than the grid is an error).
//  - Any log: or uniform: range: random search, which needs a trial count. Each trial draws every
//    parameter independently, in spec order: log ranges log-uniformly, uniform ranges uniformly, lists
//    uniformly among their values, seed ranges uniformly among their integers (so two trials may share
//    a seed or a value).
// Every draw comes from Rng(seed) (src/rng.ts), so a trial list is a function of the spec, the count
// and the seed. Parameters the spec leaves out take the base values.
import { Rng } from '../rng.ts';
import type { OptimizerKind } from '../train/backend.ts';
import { TrainerError } from '../errors.ts';

/** Most trials one sweep may hold (a grid's size or a trial count). */
export const MAX_TRIALS = 4096;

const U32_MAX = 0xffffffff;

/** The hyperparameters a sweep can vary, named as in TrainOptions and FitOptions. */
export type SweepParam = 'lr' | 'l2' | 'keepProb' | 'beta1' | 'beta2' | 'seed';

/** One trial's full set of hyperparameters. `seed` seeds the weights' init, the shuffling and the
 *  dropout masks; the data and its splits should come from the run's own seed, so that every trial is
 *  judged on the same dev rows. */
export interface Hyperparameters {
  readonly lr: number;
  readonly l2: number;
  readonly keepProb: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly seed: number;
}

/** The values of one parameter: a list, a continuous range (log-uniform or uniform, MIN < MAX), or for
 *  the seed an inclusive integer range. */
export type SweepValues =
  | { readonly kind: 'list'; readonly values: readonly number[] }
  | { readonly kind: 'log' | 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'seeds'; readonly first: number; readonly last: number };

export interface SweepAxis {
  readonly param: SweepParam;
  readonly values: SweepValues;
  /** This parameter's part of the spec as written (for messages). */
  readonly text: string;
}

/** A parsed sweep spec: the parameters in the order written. */
export interface SweepSpec {
  readonly axes: readonly SweepAxis[];
}

export interface Trial {
  /** 0, 1, 2, ... in the order expandTrials returns them. */
  readonly index: number;
  readonly hyper: Hyperparameters;
}

interface ParamRule {
  readonly param: SweepParam;
  /** The name tables print and messages use. */
  readonly label: string;
  readonly names: readonly string[];
  readonly ok: (x: number) => boolean;
  readonly rule: string;
}

const RULES: readonly ParamRule[] = [
  { param: 'lr', label: 'lr', names: ['lr'], ok: (x) => x > 0, rule: 'lr must be > 0' },
  { param: 'l2', label: 'l2', names: ['l2'], ok: (x) => x >= 0, rule: 'l2 must be >= 0' },
  {
    param: 'keepProb',
    label: 'keep',
    names: ['keep', 'keep-prob', 'keepprob', 'keep_prob'],
    ok: (x) => x > 0 && x <= 1,
    rule: 'keep must satisfy 0 < keep <= 1',
  },
  {
    param: 'beta1',
    label: 'beta1',
    names: ['beta1'],
    ok: (x) => x >= 0 && x < 1,
    rule: 'beta1 must satisfy 0 <= beta1 < 1',
  },
  {
    param: 'beta2',
    label: 'beta2',
    names: ['beta2'],
    ok: (x) => x >= 0 && x < 1,
    rule: 'beta2 must satisfy 0 <= beta2 < 1',
  },
  {
    param: 'seed',
    label: 'seed',
    names: ['seed'],
    ok: (x) => Number.isInteger(x) && x >= 0 && x <= U32_MAX,
    rule: `seed must be an integer in [0, ${U32_MAX}]`,
  },
];

const KNOWN = 'lr, l2, keep (also keep-prob, keepProb), beta1, beta2, seed';

/** Optimizers that read each β (the others ignore it). */
const BETA_USERS: Partial<Record<SweepParam, readonly OptimizerKind[]>> = {
  beta1: ['momentum', 'adam'],
  beta2: ['rmsprop', 'adam'],
};

/** The first axis of `spec` that cannot change a run with this optimizer and this many hidden layers,
 *  and why: a β the optimizer does not read (`users`: the optimizers that do), or a keep-prob with no
 *  hidden layer to drop out of. Such a sweep would only repeat one run; callers refuse it in their words. */
export function ineffectiveAxis(
  spec: SweepSpec,
  optimizer: OptimizerKind,
  hiddenLayers: number,
):
  | { readonly axis: SweepAxis; readonly why: 'optimizer'; readonly users: readonly OptimizerKind[] }
  | { readonly axis: SweepAxis; readonly why: 'no-hidden-layers' }
  | undefined {
  for (const axis of spec.axes) {
    const users = BETA_USERS[axis.param];
    if (users !== undefined && !users.includes(optimizer)) return { axis, why: 'optimizer', users };
    if (axis.param === 'keepProb' && hiddenLayers === 0) return { axis, why: 'no-hidden-layers' };
  }
  return undefined;
}

/** The label a table or a message gives a parameter ('keep' for keepProb). */
export function paramLabel(p: SweepParam): string {
  return RULES.find((r) => r.param === p)?.label ?? p;
}

// Decimal only, as the CLI's numbers: Number() alone would also take '', '0x10' and 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One NAME=VALUES entry: its name and values trimmed, and where it lies in the spec (for messages). */
interface Group {
  readonly name: string;
  readonly values: string[];
  readonly start: number;
  end: number;
}

/** Parses a sweep spec: comma-separated NAME=VALUES, where a comma-separated entry without '=' adds a
 *  value to the list before it ("l2=0,1e-4,1e-3"). VALUES is a list of numbers, log:MIN:MAX
 *  (log-uniform), uniform:MIN:MAX (or lin:MIN:MAX), or for seed FIRST..LAST (integers, inclusive).
 *  Names: lr, l2, keep (keep-prob, keepProb), beta1, beta2, seed, case-insensitive. Throws a
 *  TrainerError ('bad-input') whose message starts with `what` and quotes the part of the spec at fault. */
export function parseSweepSpec(text: string, what = 'sweep spec'): SweepSpec {
  const fail = (message: string) => new TrainerError('bad-input', `${what}: ${message}`);
  if (text.trim() === '') throw fail(`empty: expected NAME=VALUES, e.g. 'lr=log:1e-4:1e-1, l2=0,1e-4,1e-3, seed=1..4'`);

  const groups: Group[] = [];
  let start = 0;
  for (const raw of text.split(',')) {
    const tok = raw.trim();
    const end = start + raw.length;
    const eq = tok.indexOf('=');
    const last = groups[groups.length - 1];
    if (eq >= 0) groups.push({ name: tok.slice(0, eq).trim(), values: [tok.slice(eq + 1).trim()], start, end });
    else if (last !== undefined) {
      last.values.push(tok);
      last.end = end;
    } else
      throw fail(
        tok === ''
          ? `'${text.trim()}' starts with a comma`
          : `'${tok}' comes before any NAME=: expected NAME=VALUES, e.g. 'lr=${tok}'`,
      );
    start = end + 1;
  }

  const axes: SweepAxis[] = [];
  for (const g of groups) {
    const part = text.slice(g.start, g.end).trim();
    if (g.name === '') throw fail(`'${part}' has no parameter name; known: ${KNOWN}`);
    const rule = RULES.find((r) => r.names.includes(g.name.toLowerCase()));
    if (rule === undefined) throw fail(`unknown parameter '${g.name}' in '${part}'; known: ${KNOWN}`);
    const before = axes.find((a) => a.param === rule.param);
    if (before !== undefined) throw fail(`'${part}' gives ${rule.label} a second time (first in '${before.text}')`);
    axes.push({ param: rule.param, values: parseValues(g.values, part, rule, fail), text: part });
  }
  return { axes };
}

function parseValues(
  tokens: readonly string[],
  part: string,
  rule: ParamRule,
  fail: (m: string) => TrainerError,
): SweepValues {
  const isRange = (t: string) => t.includes(':') || t.includes('..');
  if (tokens.includes('')) throw fail(tokens.length === 1 ? `no value in '${part}'` : `empty value in '${part}'`);
  const range = tokens.find(isRange);
  if (range !== undefined && tokens.length > 1) {
    throw fail(`'${range}' in '${part}' is a range, which stands alone: write one range, or a list of numbers`);
  }
  const checked = (s: string, n: number) => {
    if (!rule.ok(n)) throw fail(`${rule.rule}, got '${s}' in '${part}'`);
    return n;
  };
  const num = (s: string) => {
    if (rule.param === 'seed' ? !/^\d+$/.test(s) : !NUMBER.test(s) || !Number.isFinite(Number(s))) {
      throw fail(
        rule.param === 'seed' ? `${rule.rule}, got '${s}' in '${part}'` : `'${s}' in '${part}' is not a number`,
      );
    }
    return checked(s, Number(s));
  };

  if (range !== undefined) {
    const s = range;
    if (s.includes('..')) {
      const m = /^(.*?)\s*\.\.\s*(.*)$/.exec(s);
      if (rule.param !== 'seed')
        throw fail(
          `'${s}' in '${part}': FIRST..LAST ranges are for seed; for ${rule.label} write log:MIN:MAX or uniform:MIN:MAX`,
        );
      const first = num(m?.[1] ?? '');
      const last = num(m?.[2] ?? '');
      if (first > last) throw fail(`'${s}' in '${part}': expected FIRST..LAST with FIRST <= LAST`);
      return { kind: 'seeds', first, last };
    }
    const bits = s.split(':').map((b) => b.trim());
    const kind = bits[0]?.toLowerCase();
    if (kind !== 'log' && kind !== 'uniform' && kind !== 'lin')
      throw fail(`unknown range '${s}' in '${part}': expected log:MIN:MAX or uniform:MIN:MAX`);
    if (rule.param === 'seed')
      throw fail(`'${s}' in '${part}': seed takes integers, a list (1,2,3) or a range FIRST..LAST`);
    const [, a, b] = bits;
    if (bits.length !== 3 || a === undefined || b === undefined)
      throw fail(`'${s}' in '${part}': expected ${kind}:MIN:MAX`);
    const min = num(a);
    const max = num(b);
    const log = kind === 'log';
    if (!(min < max) || (log && !(min > 0)))
      throw fail(`'${s}' in '${part}': expected ${kind}:MIN:MAX with ${log ? '0 < MIN < MAX' : 'MIN < MAX'}`);
    return { kind: log ? 'log' : 'uniform', min, max };
  }

  const values: number[] = [];
  for (const t of tokens) {
    const n = num(t);
    const twin = values.indexOf(n);
    if (twin >= 0) throw fail(`'${t}' in '${part}' repeats the value ${values[twin]}`);
    values.push(n);
  }
  return { kind: 'list', values };
}

/** How many points a parameter has; undefined for a continuous range. */
function axisSize(v: SweepValues): number | undefined {
  switch (v.kind) {
    case 'list':
      return v.values.length;
    case 'seeds':
      return v.last - v.first + 1;
    case 'log':
    case 'uniform':
      return undefined;
  }
}

/** 'grid': the whole grid; 'grid-sample': `count` distinct grid points; 'random': independent draws. */
export type SearchKind = 'grid' | 'grid-sample' | 'random';

export interface SweepShape {
  readonly search: SearchKind;
  /** Trials the sweep holds. */
  readonly count: number;
  /** Points of the grid; undefined for random search. */
  readonly gridSize: number | undefined;
}

/** Which search a spec and a trial count make and how many trials that is, with every check of the
 *  count (the rules at the top of this file). Throws TrainerError 'bad-input'. */
export function sweepShape(spec: SweepSpec, trials: number | undefined, what = 'sweep'): SweepShape {
  const fail = (message: string) => new TrainerError('bad-input', `${what}: ${message}`);
  if (trials !== undefined && !(Number.isInteger(trials) && trials >= 1 && trials <= MAX_TRIALS)) {
    throw fail(`the number of trials must be an integer in [1, ${MAX_TRIALS}], got ${trials}`);
  }
  const continuous = spec.axes.find((a) => axisSize(a.values) === undefined);
  if (continuous !== undefined) {
    if (trials === undefined)
      throw fail(`'${continuous.text}' is a continuous range, so this is a random search: give the number of trials`);
    return { search: 'random', count: trials, gridSize: undefined };
  }
  const gridSize = spec.axes.reduce((n, a) => n * (axisSize(a.values) ?? 1), 1);
  const sizes = () => spec.axes.map((a) => `${paramLabel(a.param)} ${axisSize(a.values)}`).join(' × ');
  if (trials === undefined) {
    if (gridSize > MAX_TRIALS)
      throw fail(
        `the grid has ${gridSize} points (${sizes()}), more than ${MAX_TRIALS}: narrow it, or give a number of trials to draw some of its points`,
      );
    return { search: 'grid', count: gridSize, gridSize };
  }
  if (trials > gridSize)
    throw fail(
      `${trials} trials asked of a grid of ${gridSize} points (${sizes()}): ask for at most ${gridSize}, or leave the count out for the whole grid`,
    );
  return { search: trials === gridSize ? 'grid' : 'grid-sample', count: trials, gridSize };
}

export interface ExpandOptions {
  /** Trials to draw (random search, or distinct points of a grid); undefined: the whole grid. */
  readonly trials?: number | undefined;
  /** Seeds every draw; an integer in [0, 2^32 − 1]. */
  readonly seed: number;
  /** Values of the parameters the spec leaves out. */
  readonly base: Hyperparameters;
}

/** The trials of a sweep, indexed from 0 (the rules at the top of this file). Throws TrainerError
 *  'bad-input' for a bad count or seed, a continuous range without a count, or more than MAX_TRIALS. */
export function expandTrials(spec: SweepSpec, opts: ExpandOptions): Trial[] {
  if (!(Number.isInteger(opts.seed) && opts.seed >= 0 && opts.seed <= U32_MAX)) {
    throw new TrainerError('bad-input', `sweep: the seed must be an integer in [0, ${U32_MAX}], got ${opts.seed}`);
  }
  const shape = sweepShape(spec, opts.trials);
  const rng = new Rng(opts.seed);
  const trial = (index: number, pick: (a: SweepAxis) => number): Trial => {
    const hyper: Record<SweepParam, number> = { ...opts.base };
    for (const a of spec.axes) hyper[a.param] = pick(a);
    return { index, hyper };
  };

  if (shape.search === 'random') {
    return Array.from({ length: shape.count }, (_, i) => trial(i, (a) => draw(a.values, rng)));
  }
  const gridSize = shape.gridSize ?? 1;
  const points =
    shape.search === 'grid' ? Array.from({ length: gridSize }, (_, i) => i) : distinct(shape.count, gridSize, rng);
  return points.map((point, i) => {
    // Mixed-radix digits of the point, the last parameter the fastest.
    const digit = new Map<SweepAxis, number>();
    let rest = point;
    for (let k = spec.axes.length - 1; k >= 0; k--) {
      const a = spec.axes[k]!;
      const size = axisSize(a.values) ?? 1;
      digit.set(a, rest % size);
      rest = Math.floor(rest / size);
    }
    return trial(i, (a) => valueAt(a.values, digit.get(a) ?? 0));
  });
}

function valueAt(v: SweepValues, i: number): number {
  switch (v.kind) {
    case 'list':
      return v.values[i]!;
    case 'seeds':
      return v.first + i;
    case 'log':
    case 'uniform':
      throw new Error('a continuous range has no grid points'); // sweepShape makes these random searches
  }
}

function draw(v: SweepValues, rng: Rng): number {
  switch (v.kind) {
    case 'list':
      return v.values[rng.int(v.values.length)]!;
    case 'seeds':
      return v.first + uniformInt(rng, v.last - v.first + 1);
    case 'log': {
      const lo = Math.log(v.min);
      // exp(log(x)) can miss x by an ulp: clamp, so a draw never leaves the range as written.
      return clamp(Math.exp(lo + rng.next() * (Math.log(v.max) - lo)), v.min, v.max);
    }
    case 'uniform':
      return clamp(v.min + rng.next() * (v.max - v.min), v.min, v.max);
  }
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);

/** Uniform integer in [0, n): 32 random bits while they cover n, 53 past that (a grid of many seeds). */
function uniformInt(rng: Rng, n: number): number {
  if (n <= 2 ** 32) return rng.int(n);
  const u = (rng.nextU32() * 2 ** 21 + (rng.nextU32() >>> 11)) / 2 ** 53;
  return Math.floor(u * n);
}

/** `count` distinct integers of [0, n) in a seeded random order: a partial Fisher-Yates shuffle that
 *  keeps only the swapped entries, since n may be far larger than count. */
function distinct(count: number, n: number, rng: Rng): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const j = k + uniformInt(rng, n - k);
    out.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(k) ?? k);
  }
  return out;
}

// ---- Results -------------------------------------------------------------------------------------

export type TrialStatus = { readonly kind: 'ok' } | { readonly kind: 'diverged'; readonly epoch: number };

export interface TrialResult {
  readonly trial: Trial;
  /** The dev loss the trial is judged by; null when none was measured (a trial that diverged early). */
  readonly devLoss: number | null;
  /** Accuracy on the dev rows, in [0, 1]; null for regression or when not measured. */
  readonly devAccuracy: number | null;
  readonly trainLoss: number | null;
  readonly status: TrialStatus;
}

export interface RankedTrial extends TrialResult {
  /** 1 for the best. */
  readonly rank: number;
}

/** Results best first: finished trials by dev loss (lowest first), then diverged ones, each group with
 *  an unmeasured or non-finite dev loss last and ties in trial order. Ranks run 1, 2, 3, ... */
export function rankTrials<T extends TrialResult>(results: readonly T[]): (T & { readonly rank: number })[] {
  const key = (r: TrialResult) => (r.devLoss !== null && Number.isFinite(r.devLoss) ? r.devLoss : Infinity);
  const diverged = (r: TrialResult) => (r.status.kind === 'diverged' ? 1 : 0);
  return (
    [...results]
      // Infinity − Infinity is NaN, which || passes over to the trial order, as it does 0.
      .sort((a, b) => diverged(a) - diverged(b) || key(a) - key(b) || a.trial.index - b.trial.index)
      .map((r, i) => ({ ...r, rank: i + 1 }))
  );
}

/** A number in few characters: `digits` significant digits, trailing zeros dropped, exponent form
 *  below 0.01 and from 10^digits up (0.2, 0.999, 3.16e-3, 1e-4, 12.35, 1.235e4). */
export function compactNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 0.01 || a >= 10 ** digits) {
    const [mantissa = '', exponent = ''] = x.toExponential(digits - 1).split('e');
    return `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  }
  return trimZeros(x.toPrecision(digits));
}

const trimZeros = (s: string) => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);

/** A decay or keep probability in few characters, never printed as 1 when below 1 (0.9999 is not 1). */
export function compactFraction(x: number): string {
  for (let d = 3; d < 8; d++) {
    const s = compactNumber(x, d);
    if (x >= 1 || Number(s) < 1) return s;
  }
  return String(x);
}

/** The columns of the ranked table, as formatSweepTable heads them. */
export const SWEEP_COLUMNS = [
  'rank',
  'trial',
  'lr',
  'l2',
  'keep',
  'beta1',
  'beta2',
  'seed',
  'dev loss',
  'dev acc',
  'train loss',
  'status',
] as const;

/** One ranked trial's cells, in SWEEP_COLUMNS order (a table of the web app's, a line of formatSweepTable's). */
export function sweepRowCells(r: RankedTrial): string[] {
  const h = r.trial.hyper;
  const loss = (x: number | null) => (x === null ? 'n/a' : compactNumber(x, 4));
  return [
    String(r.rank),
    String(r.trial.index),
    compactNumber(h.lr),
    compactNumber(h.l2),
    compactFraction(h.keepProb),
    compactFraction(h.beta1),
    compactFraction(h.beta2),
    String(h.seed),
    loss(r.devLoss),
    r.devAccuracy === null ? 'n/a' : `${(100 * r.devAccuracy).toFixed(2)}%`,
    loss(r.trainLoss),
    r.status.kind === 'ok' ? 'ok' : `diverged at epoch ${r.status.epoch}`,
  ];
}

/** The ranked trials as a plain-text table with aligned columns (numbers right-aligned), one header
 *  line and one line per trial, in the order given. */
export function formatSweepTable(rows: readonly RankedTrial[]): string {
  const table: string[][] = [[...SWEEP_COLUMNS], ...rows.map(sweepRowCells)];
  const width = SWEEP_COLUMNS.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const last = SWEEP_COLUMNS.length - 1;
  return table
    .map((row) =>
      row
        .map((cell, c) => (c === last ? cell : cell.padStart(width[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
