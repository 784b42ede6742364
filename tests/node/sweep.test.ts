// The sweep spec of a hyperparameter search: parsing (every form, the aliases, the errors), the trial
// list (grid order, distinct grid samples, random draws from a seed, log-uniform draws), and the
// ranked result table.
import { describe, expect, it } from 'vitest';
import {
  compactNumber,
  expandTrials,
  formatSweepTable,
  MAX_TRIALS,
  parseSweepSpec,
  rankTrials,
  sweepShape,
  type Hyperparameters,
  type SweepSpec,
  type Trial,
  type TrialResult,
} from '../../src/lib/sweep.ts';
import { TrainerError } from '../../src/errors.ts';

const base: Hyperparameters = { lr: 0.2, l2: 0, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1 };
const expand = (spec: string, trials?: number, seed = 1) => expandTrials(parseSweepSpec(spec), { trials, seed, base });
const column = (trials: readonly Trial[], k: keyof Hyperparameters) => trials.map((t) => t.hyper[k]);
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('parseSweepSpec', () => {
  // Test that the example of the issue parses into a log range, a list and a seed range, in order.
  it('parses a log range, a list and a seed range', () => {
    expect(parseSweepSpec('lr=log:1e-4:1e-1, l2=0,1e-4,1e-3, seed=1..4')).toEqual({
      axes: [
        { param: 'lr', values: { kind: 'log', min: 1e-4, max: 0.1 }, text: 'lr=log:1e-4:1e-1' },
        { param: 'l2', values: { kind: 'list', values: [0, 1e-4, 1e-3] }, text: 'l2=0,1e-4,1e-3' },
        { param: 'seed', values: { kind: 'seeds', first: 1, last: 4 }, text: 'seed=1..4' },
      ],
    });
  });

  // Test that uniform: and its alias lin: give a uniform range, and a single value a one-item list.
  it('parses uniform ranges and single values', () => {
    expect(parseSweepSpec('beta1=uniform:0.8:0.95').axes[0]?.values).toEqual({ kind: 'uniform', min: 0.8, max: 0.95 });
    expect(parseSweepSpec('beta2=lin:0.9:0.999').axes[0]?.values).toEqual({ kind: 'uniform', min: 0.9, max: 0.999 });
    expect(parseSweepSpec('l2=log:1e-5:1e-2').axes[0]?.values).toEqual({ kind: 'log', min: 1e-5, max: 1e-2 });
    expect(parseSweepSpec('lr=0.05').axes[0]?.values).toEqual({ kind: 'list', values: [0.05] });
    expect(parseSweepSpec('seed=7..7').axes[0]?.values).toEqual({ kind: 'seeds', first: 7, last: 7 });
    expect(parseSweepSpec('seed=3,1,2').axes[0]?.values).toEqual({ kind: 'list', values: [3, 1, 2] });
  });

  // Test that spaces around names, '=', ':', '..' and commas are ignored, and case in names and range kinds.
  it('ignores whitespace and case', () => {
    const spec = parseSweepSpec('  LR = LOG : 1e-4 : .1 ,\tl2 = 0 ,  1E-4 , seed = 1 .. 3 , Beta1=Uniform:0.5:0.9 ');
    expect(spec.axes.map((a) => [a.param, a.values])).toEqual([
      ['lr', { kind: 'log', min: 1e-4, max: 0.1 }],
      ['l2', { kind: 'list', values: [0, 1e-4] }],
      ['seed', { kind: 'seeds', first: 1, last: 3 }],
      ['beta1', { kind: 'uniform', min: 0.5, max: 0.9 }],
    ]);
    expect(spec.axes.map((a) => a.text)).toEqual([
      'LR = LOG : 1e-4 : .1',
      'l2 = 0 ,  1E-4',
      'seed = 1 .. 3',
      'Beta1=Uniform:0.5:0.9',
    ]);
  });

  // Test that keep, keep-prob, keepProb and keep_prob all name the keep probability.
  it('accepts the keep-prob aliases', () => {
    for (const name of ['keep', 'keep-prob', 'keepProb', 'keep_prob', 'KEEP']) {
      expect(parseSweepSpec(`${name}=0.5,1`).axes[0]).toMatchObject({
        param: 'keepProb',
        values: { kind: 'list', values: [0.5, 1] },
      });
    }
  });

  // Test that each parameter's edge values are accepted (lr > 0, l2 >= 0, keep in (0, 1], betas in [0, 1), seeds to 2^32 − 1).
  it('accepts the edges of each range', () => {
    expect(() => parseSweepSpec('lr=1e-12, l2=0, keep=1, beta1=0, beta2=0.9999999, seed=0,4294967295')).not.toThrow();
    expect(() => parseSweepSpec('seed=4294967290..4294967295')).not.toThrow();
  });

  const known = 'known: lr, l2, keep (also keep-prob, keepProb), beta1, beta2, seed';
  const bad: [string, string][] = [
    ['', "sweep spec: empty: expected NAME=VALUES, e.g. 'lr=log:1e-4:1e-1, l2=0,1e-4,1e-3, seed=1..4'"],
    ['   ', 'sweep spec: empty'],
    [', lr=0.1', "sweep spec: ', lr=0.1' starts with a comma"],
    ['0.1, lr=0.2', "sweep spec: '0.1' comes before any NAME=: expected NAME=VALUES, e.g. 'lr=0.1'"],
    ['momentum=0.9', `sweep spec: unknown parameter 'momentum' in 'momentum=0.9'; ${known}`],
    ['lr=0.1, dropout=0.5', `sweep spec: unknown parameter 'dropout' in 'dropout=0.5'; ${known}`],
    ['=0.1', `sweep spec: '=0.1' has no parameter name; ${known}`],
    ['lr=0.1, l2=0, lr=0.2', "sweep spec: 'lr=0.2' gives lr a second time (first in 'lr=0.1')"],
    ['keep=0.5, keep-prob=0.8', "sweep spec: 'keep-prob=0.8' gives keep a second time (first in 'keep=0.5')"],
    ['lr=', "sweep spec: no value in 'lr='"],
    ['lr=0.1,,0.2', "sweep spec: empty value in 'lr=0.1,,0.2'"],
    ['lr=0.1,', "sweep spec: empty value in 'lr=0.1,'"],
    ['lr=abc', "sweep spec: 'abc' in 'lr=abc' is not a number"],
    ['l2=0,1e-4,1e', "sweep spec: '1e' in 'l2=0,1e-4,1e' is not a number"],
    ['lr=0x10', "sweep spec: '0x10' in 'lr=0x10' is not a number"],
    ['lr=Infinity', "sweep spec: 'Infinity' in 'lr=Infinity' is not a number"],
    ['lr=1e999', "sweep spec: '1e999' in 'lr=1e999' is not a number"],
    ['lr=0.1=0.2', "sweep spec: '0.1=0.2' in 'lr=0.1=0.2' is not a number"],
    ['lr=0.1,0.01,1e-1', "sweep spec: '1e-1' in 'lr=0.1,0.01,1e-1' repeats the value 0.1"],
    ['lr=0', "sweep spec: lr must be > 0, got '0' in 'lr=0'"],
    ['lr=0.1,-0.1', "sweep spec: lr must be > 0, got '-0.1' in 'lr=0.1,-0.1'"],
    ['l2=-1e-4', "sweep spec: l2 must be >= 0, got '-1e-4' in 'l2=-1e-4'"],
    ['keep=0', "sweep spec: keep must satisfy 0 < keep <= 1, got '0' in 'keep=0'"],
    ['keep-prob=0.5,1.5', "sweep spec: keep must satisfy 0 < keep <= 1, got '1.5' in 'keep-prob=0.5,1.5'"],
    ['beta1=1', "sweep spec: beta1 must satisfy 0 <= beta1 < 1, got '1' in 'beta1=1'"],
    ['beta2=-0.1', "sweep spec: beta2 must satisfy 0 <= beta2 < 1, got '-0.1' in 'beta2=-0.1'"],
    ['seed=1.5', "sweep spec: seed must be an integer in [0, 4294967295], got '1.5' in 'seed=1.5'"],
    ['seed=-1', "sweep spec: seed must be an integer in [0, 4294967295], got '-1' in 'seed=-1'"],
    [
      'seed=4294967296',
      "sweep spec: seed must be an integer in [0, 4294967295], got '4294967296' in 'seed=4294967296'",
    ],
    [
      'seed=0..4294967296',
      "sweep spec: seed must be an integer in [0, 4294967295], got '4294967296' in 'seed=0..4294967296'",
    ],
    ['seed=1,1', "sweep spec: '1' in 'seed=1,1' repeats the value 1"],
    ['seed=4..1', "sweep spec: '4..1' in 'seed=4..1': expected FIRST..LAST with FIRST <= LAST"],
    ['seed=1..', "sweep spec: seed must be an integer in [0, 4294967295], got '' in 'seed=1..'"],
    [
      'seed=1..4,9',
      "sweep spec: '1..4' in 'seed=1..4,9' is a range, which stands alone: write one range, or a list of numbers",
    ],
    [
      'seed=log:1:100',
      "sweep spec: 'log:1:100' in 'seed=log:1:100': seed takes integers, a list (1,2,3) or a range FIRST..LAST",
    ],
    [
      'lr=1..4',
      "sweep spec: '1..4' in 'lr=1..4': FIRST..LAST ranges are for seed; for lr write log:MIN:MAX or uniform:MIN:MAX",
    ],
    ['lr=log:1e-4:1e-1,0.5', "sweep spec: 'log:1e-4:1e-1' in 'lr=log:1e-4:1e-1,0.5' is a range, which stands alone"],
    ['lr=0.5,log:1e-4:1e-1', "sweep spec: 'log:1e-4:1e-1' in 'lr=0.5,log:1e-4:1e-1' is a range, which stands alone"],
    [
      'lr=exp:1e-4:1e-1',
      "sweep spec: unknown range 'exp:1e-4:1e-1' in 'lr=exp:1e-4:1e-1': expected log:MIN:MAX or uniform:MIN:MAX",
    ],
    [
      'lr=1e-4:1e-1',
      "sweep spec: unknown range '1e-4:1e-1' in 'lr=1e-4:1e-1': expected log:MIN:MAX or uniform:MIN:MAX",
    ],
    ['lr=log:1e-4', "sweep spec: 'log:1e-4' in 'lr=log:1e-4': expected log:MIN:MAX"],
    ['lr=log:1e-4:1e-2:1', "sweep spec: 'log:1e-4:1e-2:1' in 'lr=log:1e-4:1e-2:1': expected log:MIN:MAX"],
    ['lr=log:1e-1:1e-4', "sweep spec: 'log:1e-1:1e-4' in 'lr=log:1e-1:1e-4': expected log:MIN:MAX with 0 < MIN < MAX"],
    ['lr=log:0.1:0.1', "sweep spec: 'log:0.1:0.1' in 'lr=log:0.1:0.1': expected log:MIN:MAX with 0 < MIN < MAX"],
    ['l2=log:0:1e-3', "sweep spec: 'log:0:1e-3' in 'l2=log:0:1e-3': expected log:MIN:MAX with 0 < MIN < MAX"],
    ['lr=log:0:1', "sweep spec: lr must be > 0, got '0' in 'lr=log:0:1'"],
    ['lr=log:x:1', "sweep spec: 'x' in 'lr=log:x:1' is not a number"],
    [
      'l2=uniform:1e-3:0',
      "sweep spec: 'uniform:1e-3:0' in 'l2=uniform:1e-3:0': expected uniform:MIN:MAX with MIN < MAX",
    ],
    ['keep=uniform:0.5:1.2', "sweep spec: keep must satisfy 0 < keep <= 1, got '1.2' in 'keep=uniform:0.5:1.2'"],
    ['beta1=lin:0.9:1', "sweep spec: beta1 must satisfy 0 <= beta1 < 1, got '1' in 'beta1=lin:0.9:1'"],
  ];
  for (const [spec, message] of bad) {
    // Test that a bad spec is a TrainerError ('bad-input') whose message quotes the part at fault.
    it(`rejects ${JSON.stringify(spec)}`, () => {
      let caught: unknown;
      try {
        parseSweepSpec(spec);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TrainerError);
      expect((caught as TrainerError).code).toBe('bad-input');
      expect((caught as TrainerError).message).toContain(message);
    });
  }

  // Test that the caller can name the input (the CLI names its flag).
  it('names the input as the caller asks', () => {
    expect(() => parseSweepSpec('lr=0', '--sweep')).toThrow("--sweep: lr must be > 0, got '0' in 'lr=0'");
  });
});

describe('expandTrials: grid search', () => {
  // Test that lists and seed ranges without a count give the cartesian product, the last parameter
  // fastest, indexed from 0, the other parameters at their base values.
  it('runs the whole grid in order', () => {
    const trials = expand('l2=0,1e-4, keep=0.5,0.8,1, seed=3..4');
    expect(trials).toHaveLength(12);
    expect(trials.map((t) => t.index)).toEqual([...Array(12).keys()]);
    expect(trials.map((t) => [t.hyper.l2, t.hyper.keepProb, t.hyper.seed])).toEqual([
      [0, 0.5, 3],
      [0, 0.5, 4],
      [0, 0.8, 3],
      [0, 0.8, 4],
      [0, 1, 3],
      [0, 1, 4],
      [1e-4, 0.5, 3],
      [1e-4, 0.5, 4],
      [1e-4, 0.8, 3],
      [1e-4, 0.8, 4],
      [1e-4, 1, 3],
      [1e-4, 1, 4],
    ]);
    for (const t of trials) expect(t.hyper).toMatchObject({ lr: 0.2, beta1: 0.9, beta2: 0.999 });
    expect(sweepShape(parseSweepSpec('l2=0,1e-4, keep=0.5,0.8,1, seed=3..4'), undefined)).toEqual({
      search: 'grid',
      count: 12,
      gridSize: 12,
    });
  });

  // Test that the grid ignores the draw seed, and that spec order sets the order of the grid.
  it('is the same grid for any seed, in spec order', () => {
    expect(expand('lr=0.1,0.01, seed=1..2', undefined, 1)).toEqual(expand('lr=0.1,0.01, seed=1..2', undefined, 99));
    expect(expand('seed=1..2, lr=0.1,0.01').map((t) => [t.hyper.seed, t.hyper.lr])).toEqual([
      [1, 0.1],
      [1, 0.01],
      [2, 0.1],
      [2, 0.01],
    ]);
  });

  // Test that a count below the grid's size draws that many distinct grid points, reproducibly.
  it('draws distinct grid points with a count', () => {
    const spec = 'lr=0.3,0.1,0.03,0.01, l2=0,1e-4,1e-3, seed=1..5';
    const grid = expand(spec).map((t) => JSON.stringify(t.hyper));
    const drawn = expand(spec, 20, 7);
    expect(drawn.map((t) => t.index)).toEqual([...Array(20).keys()]);
    const keys = drawn.map((t) => JSON.stringify(t.hyper));
    expect(new Set(keys).size).toBe(20);
    for (const k of keys) expect(grid).toContain(k);
    expect(expand(spec, 20, 7)).toEqual(drawn);
    expect(expand(spec, 20, 8)).not.toEqual(drawn);
    expect(sweepShape(parseSweepSpec(spec), 20)).toEqual({ search: 'grid-sample', count: 20, gridSize: 60 });
  });

  // Test that every point is drawn once when the count is one less than the grid, and that a count
  // equal to the grid's size is the whole grid in grid order.
  it('covers the grid', () => {
    const drawn = expand('seed=0..9', 9, 3).map((t) => t.hyper.seed);
    expect(new Set(drawn).size).toBe(9);
    expect(expand('l2=0,1e-3, seed=1..3', 6, 5)).toEqual(expand('l2=0,1e-3, seed=1..3'));
  });

  // Test that a grid of many seeds (more than 2^32 points) is sampled without trouble.
  it('samples a huge grid', () => {
    const trials = expand('lr=0.1,0.01, seed=0..4294967295', 50, 1);
    expect(new Set(trials.map((t) => `${t.hyper.lr}/${t.hyper.seed}`)).size).toBe(50);
    for (const t of trials)
      expect(Number.isInteger(t.hyper.seed) && t.hyper.seed >= 0 && t.hyper.seed <= 0xffffffff).toBe(true);
  });
});

describe('expandTrials: random search', () => {
  const spec = 'lr=log:1e-4:1e-1, l2=0,1e-4,1e-3, beta1=uniform:0.8:0.95, seed=1..4';

  // Test that the draws are a function of the seed: the same seed, the same trials; another, others.
  it('is reproducible from the seed', () => {
    const a = expand(spec, 30, 5);
    expect(a).toHaveLength(30);
    expect(a.map((t) => t.index)).toEqual([...Array(30).keys()]);
    expect(expand(spec, 30, 5)).toEqual(a);
    expect(expand(spec, 30, 6)).not.toEqual(a);
    // A longer sweep from the same seed begins with the shorter one.
    expect(expand(spec, 40, 5).slice(0, 30)).toEqual(a);
    expect(sweepShape(parseSweepSpec(spec), 30)).toEqual({ search: 'random', count: 30, gridSize: undefined });
  });

  // Test that every draw lies in its range, lists give their own values, seeds their integers, and the
  // unswept parameters keep their base values.
  it('draws within the ranges', () => {
    const trials = expand(spec, 2000, 11);
    for (const t of trials) {
      expect(t.hyper.lr).toBeGreaterThanOrEqual(1e-4);
      expect(t.hyper.lr).toBeLessThanOrEqual(0.1);
      expect(t.hyper.beta1).toBeGreaterThanOrEqual(0.8);
      expect(t.hyper.beta1).toBeLessThanOrEqual(0.95);
      expect(t.hyper).toMatchObject({ keepProb: 1, beta2: 0.999 });
    }
    expect(new Set(column(trials, 'l2'))).toEqual(new Set([0, 1e-4, 1e-3]));
    expect(new Set(column(trials, 'seed'))).toEqual(new Set([1, 2, 3, 4]));
    // Lists and seed ranges are drawn uniformly: each of 4 seeds about 500 times of 2000.
    for (const s of [1, 2, 3, 4])
      expect(Math.abs(column(trials, 'seed').filter((x) => x === s).length - 500)).toBeLessThan(90);
  });

  // Test that log: draws are log-uniform (median at the geometric mean, a decade in each third of
  // the range) and uniform: draws uniform (median at the midpoint).
  it('draws log-uniformly and uniformly', () => {
    const trials = expand('lr=log:1e-4:1e-1, beta2=uniform:0.9:0.99', MAX_TRIALS, 2);
    const lr = column(trials, 'lr');
    expect(Math.abs(Math.log10(median(lr)) - Math.log10(Math.sqrt(1e-4 * 0.1)))).toBeLessThan(0.1); // 3.16e-3
    for (const [lo, hi] of [
      [1e-4, 1e-3],
      [1e-3, 1e-2],
      [1e-2, 1e-1],
    ] as const) {
      expect(lr.filter((x) => x >= lo && x < hi).length / lr.length).toBeCloseTo(1 / 3, 1);
    }
    expect(median(column(trials, 'beta2'))).toBeCloseTo(0.945, 2);
  });

  // Test that a grid-only spec with a count and a mixed spec take the count, and that a log range
  // with equal draws stays inside its range as written (exp(log(x)) may miss x by an ulp).
  it('takes any count up to the cap', () => {
    expect(expand('lr=log:1e-4:1e-1', 1)).toHaveLength(1);
    expect(expand('lr=log:1e-4:1e-1', MAX_TRIALS)).toHaveLength(MAX_TRIALS);
    for (const t of expand('lr=log:0.3:0.30000000000000004', 200))
      expect(t.hyper.lr === 0.3 || t.hyper.lr === 0.30000000000000004).toBe(true);
  });

  const bad: [string, number | undefined, number, string][] = [
    [
      'lr=log:1e-4:1e-1, seed=1..4',
      undefined,
      1,
      "sweep: 'lr=log:1e-4:1e-1' is a continuous range, so this is a random search: give the number of trials",
    ],
    [
      'seed=1..5000',
      undefined,
      1,
      'sweep: the grid has 5000 points (seed 5000), more than 4096: narrow it, or give a number of trials to draw some of its points',
    ],
    ['lr=0.1,0.01, seed=1..3000', undefined, 1, 'sweep: the grid has 6000 points (lr 2 × seed 3000), more than 4096'],
    [
      'lr=0.1,0.01, seed=1..3',
      7,
      1,
      'sweep: 7 trials asked of a grid of 6 points (lr 2 × seed 3): ask for at most 6, or leave the count out for the whole grid',
    ],
    ['lr=log:1e-4:1e-1', 0, 1, 'sweep: the number of trials must be an integer in [1, 4096], got 0'],
    ['lr=log:1e-4:1e-1', 4097, 1, 'sweep: the number of trials must be an integer in [1, 4096], got 4097'],
    ['lr=log:1e-4:1e-1', 2.5, 1, 'sweep: the number of trials must be an integer in [1, 4096], got 2.5'],
    ['lr=log:1e-4:1e-1', 10, -1, 'sweep: the seed must be an integer in [0, 4294967295], got -1'],
    ['lr=log:1e-4:1e-1', 10, 2 ** 32, 'sweep: the seed must be an integer in [0, 4294967295], got 4294967296'],
  ];
  for (const [spec, trials, seed, message] of bad) {
    // Test that a sweep that cannot be expanded is a TrainerError ('bad-input') that says why.
    it(`rejects ${spec} with trials ${trials} and seed ${seed}`, () => {
      expect(() => expand(spec, trials, seed)).toThrow(message);
      expect(() => expand(spec, trials, seed)).toThrow(TrainerError);
    });
  }

  // Test that a spec built by hand with no parameters is one trial at the base values.
  it('expands an empty spec to the base', () => {
    const empty: SweepSpec = { axes: [] };
    expect(expandTrials(empty, { seed: 1, base })).toEqual([{ index: 0, hyper: base }]);
  });
});

describe('rankTrials and formatSweepTable', () => {
  const trial = (index: number, h: Partial<Hyperparameters> = {}): Trial => ({ index, hyper: { ...base, ...h } });
  const ok = { kind: 'ok' } as const;
  const results: TrialResult[] = [
    { trial: trial(0, { lr: 3.2e-3, l2: 1e-4 }), devLoss: 0.4123, devAccuracy: 0.8512, trainLoss: 0.3811, status: ok },
    {
      trial: trial(1, { lr: 0.1, seed: 2 }),
      devLoss: null,
      devAccuracy: null,
      trainLoss: null,
      status: { kind: 'diverged', epoch: 2 },
    },
    {
      trial: trial(2, { lr: 0.031623, keepProb: 0.8 }),
      devLoss: 0.2051,
      devAccuracy: 0.9378,
      trainLoss: 0.1502,
      status: ok,
    },
    { trial: trial(3, { lr: 1e-4, beta2: 0.9999 }), devLoss: 0.4123, devAccuracy: 0.85, trainLoss: 0.4, status: ok },
    {
      trial: trial(4, { lr: 0.05 }),
      devLoss: 0.9,
      devAccuracy: 0.7,
      trainLoss: 1.2,
      status: { kind: 'diverged', epoch: 5 },
    },
    { trial: trial(5, { lr: 0.01 }), devLoss: NaN, devAccuracy: null, trainLoss: 2.3, status: ok },
  ];

  // Test that trials rank by dev loss, ties in trial order, unmeasured losses after measured ones, and
  // diverged trials last whatever their dev loss.
  it('ranks by dev loss, diverged last', () => {
    const ranked = rankTrials(results);
    expect(ranked.map((r) => [r.rank, r.trial.index])).toEqual([
      [1, 2],
      [2, 0],
      [3, 3],
      [4, 5],
      [5, 4],
      [6, 1],
    ]);
    expect(results.map((r) => r.trial.index)).toEqual([0, 1, 2, 3, 4, 5]); // the input is left as it was
    expect(rankTrials([])).toEqual([]);
  });

  // Test that the table aligns its columns, prints numbers compactly and says how each trial ended.
  it('formats an aligned table', () => {
    expect(formatSweepTable(rankTrials(results))).toBe(
      [
        'rank  trial      lr    l2  keep  beta1   beta2  seed  dev loss  dev acc  train loss  status',
        '   1      2  0.0316     0   0.8    0.9   0.999     1    0.2051   93.78%      0.1502  ok',
        '   2      0  3.2e-3  1e-4     1    0.9   0.999     1    0.4123   85.12%      0.3811  ok',
        '   3      3    1e-4     0     1    0.9  0.9999     1    0.4123   85.00%         0.4  ok',
        '   4      5    0.01     0     1    0.9   0.999     1       NaN      n/a         2.3  ok',
        '   5      4    0.05     0     1    0.9   0.999     1       0.9   70.00%         1.2  diverged at epoch 5',
        '   6      1     0.1     0     1    0.9   0.999     2       n/a      n/a         n/a  diverged at epoch 2',
      ].join('\n'),
    );
    expect(formatSweepTable([])).toBe(
      'rank  trial  lr  l2  keep  beta1  beta2  seed  dev loss  dev acc  train loss  status',
    );
  });

  // Test that numbers are printed in few characters, in exponent form when small or large.
  it('prints numbers compactly', () => {
    const cases: [number, number, string][] = [
      [0, 3, '0'],
      [0.2, 3, '0.2'],
      [0.999, 3, '0.999'],
      [3.2e-3, 3, '3.2e-3'],
      [0.0031623, 3, '3.16e-3'],
      [1e-4, 3, '1e-4'],
      [0.01, 3, '0.01'],
      [0.031623, 3, '0.0316'],
      [12.345, 4, '12.35'],
      [12345, 4, '1.235e4'],
      [100, 3, '100'],
      [-0.05, 3, '-0.05'],
      [NaN, 3, 'NaN'],
      [Infinity, 4, 'Infinity'],
    ];
    for (const [x, digits, s] of cases) expect(compactNumber(x, digits)).toBe(s);
  });
});
