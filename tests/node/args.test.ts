import { describe, it, expect } from 'vitest';
import { DEFAULT_TRAIN_OPTIONS, parseTrainArgs, TRAIN_USAGE } from '../../src/cli/args.ts';

describe('parseTrainArgs', () => {
  // Test that no arguments give the documented defaults.
  it('returns the defaults', () => {
    expect(parseTrainArgs([])).toEqual({
      data: { kind: 'mnist' },
      labels: undefined,
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
      sweep: undefined,
      trials: undefined,
      saveAll: undefined,
      sweepSequential: false,
      runtime: 'browser',
      browser: undefined,
    });
  });

  // Test that --runtime and --browser parse in both forms, and are refused where they mean nothing.
  it('parses --runtime and --browser', () => {
    expect(parseTrainArgs(['--runtime', 'node'])).toMatchObject({ runtime: 'node', browser: undefined });
    expect(parseTrainArgs(['--browser=chrome'])).toMatchObject({ runtime: 'browser', browser: 'chrome' });
    expect(parseTrainArgs(['--runtime=browser', '--browser', '/opt/x/chrome']).browser).toBe('/opt/x/chrome');
    expect(() => parseTrainArgs(['--runtime', 'deno'])).toThrow('--runtime');
    expect(() => parseTrainArgs(['--runtime', 'node', '--browser', 'chrome'])).toThrow(
      '--browser is for --runtime browser',
    );
    expect(() => parseTrainArgs(['--device', 'cpu', '--runtime', 'node'])).toThrow('for --device gpu');
  });

  // Test that the CSV flags parse: labels and dropped columns as lists, delimiter names, the task.
  it('parses the CSV flags', () => {
    const o = parseTrainArgs([
      '--data',
      'd.tsv',
      '--label',
      'y1, y2',
      '--drop',
      'id,0',
      '--delimiter',
      'tab',
      '--task',
      'regression',
      '--normalize-target',
    ]);
    expect(o).toMatchObject({
      data: { kind: 'csv', path: 'd.tsv' },
      label: ['y1', 'y2'],
      drop: ['id', '0'],
      delimiter: '\t',
      task: 'regression',
      normalizeTarget: true,
    });
    expect(parseTrainArgs(['--data', 'd.csv', '--delimiter', ';']).delimiter).toBe(';');
    expect(parseTrainArgs(['--data', 'd.csv', '--delimiter', '\\t']).delimiter).toBe('\t');
  });

  // Test that every flag is read, in both the "--flag value" and "--flag=value" forms.
  it('parses every flag in both forms', () => {
    const o = parseTrainArgs([
      '--data',
      'spiral',
      '--hidden=32, 16,8',
      '--activation',
      'leaky_relu',
      '--epochs=3',
      '--batch-size',
      '7',
      '--lr',
      '1e-2',
      '--seed=0',
      '--init-seed',
      '5',
      '--test-split',
      '0',
      '--no-shuffle',
      '--normalize=minmax',
      '--device',
      'cpu',
      '--init',
      'in.safetensors',
      '--save=out dir/w.safetensors',
      '--json',
      '--samples',
      '500',
      '--eval-every=1',
      '--checkpoint',
      'ck.safetensors',
      '--checkpoint-every=20',
      '--resume',
      'old.safetensors',
      '--optimizer',
      'adam',
      '--beta1=0.8',
      '--beta2',
      '0.99',
      '--l2',
      '0.7',
      '--keep-prob=0.5',
      '--lr-decay',
      'step:0.5:3',
      '--dev-split',
      '0.1',
      '--early-stopping=4',
      '--batch-norm',
      '--steps-per-submit',
      '8',
      '--matmul',
      'tiled',
      '--plan',
      'fused',
    ]);
    expect(o).toEqual({
      data: { kind: 'synthetic', name: 'spiral' },
      labels: undefined,
      hidden: [32, 16, 8],
      activation: 'leaky_relu',
      loss: 'auto',
      batchNorm: true,
      epochs: 3,
      batchSize: 7,
      lr: 0.01,
      seed: 0,
      initSeed: 5,
      testSplit: 0,
      shuffle: false,
      normalize: 'minmax',
      device: 'cpu',
      init: 'in.safetensors',
      save: 'out dir/w.safetensors',
      exportOnnx: undefined,
      json: true,
      samples: 500,
      evalEvery: 1,
      checkpoint: 'ck.safetensors',
      checkpointEvery: 20,
      resume: 'old.safetensors',
      help: false,
      optimizer: 'adam',
      beta1: 0.8,
      beta2: 0.99,
      l2: 0.7,
      keepProb: 0.5,
      lrDecay: { kind: 'step', rate: 0.5, every: 3 },
      devSplit: 0.1,
      earlyStopping: 4,
      stepsPerSubmit: 8,
      matmul: 'tiled',
      plan: 'fused',
      label: undefined,
      drop: [],
      delimiter: undefined,
      task: 'auto',
      normalizeTarget: false,
      sweep: undefined,
      trials: undefined,
      saveAll: undefined,
      sweepSequential: false,
      runtime: 'browser',
      browser: undefined,
    });
  });

  // Test that --sweep is parsed into its spec, with --trials and --save-all, and that a sweep may run
  // on the CPU reference (one trial after another).
  it('parses the sweep flags', () => {
    const o = parseTrainArgs([
      '--dev-split',
      '0.1',
      '--optimizer',
      'adam',
      '--sweep',
      'lr=log:1e-4:1e-1, l2=0,1e-4, beta2=0.99,0.999, seed=1..4',
      '--trials=20',
      '--save-all',
      'runs',
      '--device',
      'cpu',
      '--json',
    ]);
    expect(o).toMatchObject({ trials: 20, saveAll: 'runs', device: 'cpu', json: true });
    expect(o.sweep?.axes.map((a) => [a.param, a.values])).toEqual([
      ['lr', { kind: 'log', min: 1e-4, max: 0.1 }],
      ['l2', { kind: 'list', values: [0, 1e-4] }],
      ['beta2', { kind: 'list', values: [0.99, 0.999] }],
      ['seed', { kind: 'seeds', first: 1, last: 4 }],
    ]);
    // A grid needs no --trials; --trials draws some of its points, up to all of them.
    expect(parseTrainArgs(['--dev-split', '0.2', '--sweep=keep-prob=0.5,0.8,1, seed=1..3']).trials).toBeUndefined();
    expect(parseTrainArgs(['--dev-split', '0.2', '--sweep', 'keep=0.5,0.8,1, seed=1..3', '--trials', '9']).trials).toBe(
      9,
    );
    expect(
      parseTrainArgs(['--dev-split', '0.2', '--optimizer', 'momentum', '--sweep', 'beta1=0.8,0.9']).sweep?.axes,
    ).toHaveLength(1);
  });

  // Test that each learning-rate schedule is read into its typed form.
  it('parses --lr-decay schedules', () => {
    expect(parseTrainArgs(['--lr-decay', 'inverse:0.5']).lrDecay).toEqual({ kind: 'inverse', rate: 0.5 });
    expect(parseTrainArgs(['--lr-decay=exp:0.95']).lrDecay).toEqual({ kind: 'exponential', rate: 0.95 });
    expect(parseTrainArgs(['--lr-decay', 'step:0.1:10']).lrDecay).toEqual({ kind: 'step', rate: 0.1, every: 10 });
  });

  // Test that the data source distinguishes mnist, the synthetic sets, CSV, .npz and .npy paths and
  // directories (IDX files), and that --labels goes with an .npy of features only.
  it('classifies --data', () => {
    expect(parseTrainArgs(['--data', 'mnist']).data).toEqual({ kind: 'mnist' });
    expect(parseTrainArgs(['--data=xor']).data).toEqual({ kind: 'synthetic', name: 'xor' });
    expect(parseTrainArgs(['--data', 'data/iris.CSV']).data).toEqual({ kind: 'csv', path: 'data/iris.CSV' });
    expect(parseTrainArgs(['--data', 'mnist.npz']).data).toEqual({ kind: 'npz', path: 'mnist.npz' });
    expect(parseTrainArgs(['--data', 'tests']).data).toEqual({ kind: 'idx', dir: 'tests' });
    expect(parseTrainArgs(['--data', 'x.npy', '--labels', 'y.npy'])).toMatchObject({
      data: { kind: 'npy', path: 'x.npy' },
      labels: 'y.npy',
    });
  });

  // Test that an empty --hidden or "none" means no hidden layer.
  it('accepts no hidden layers', () => {
    expect(parseTrainArgs(['--hidden', '']).hidden).toEqual([]);
    expect(parseTrainArgs(['--hidden=']).hidden).toEqual([]);
    expect(parseTrainArgs(['--hidden', 'none']).hidden).toEqual([]);
  });

  // Test that --help wins over anything else on the line, even invalid flags.
  it('--help returns defaults with help set', () => {
    expect(parseTrainArgs(['--epochs', 'x', '--help'])).toEqual({ ...DEFAULT_TRAIN_OPTIONS, help: true });
    expect(parseTrainArgs(['-h']).help).toBe(true);
    expect(TRAIN_USAGE).toMatch(/--batch-size/);
  });

  // Test that the defaults object is not shared with (and so not mutated through) a result.
  it('does not alias the defaults', () => {
    parseTrainArgs([]).hidden.push(1);
    expect(DEFAULT_TRAIN_OPTIONS.hidden).toEqual([256, 128]);
  });

  const bad: [string[], string][] = [
    [['--epoch', '3'], 'unknown flag --epoch (see --help)'],
    [['train.csv'], "unexpected argument 'train.csv'"],
    [['--epochs'], '--epochs needs a value'],
    [['--epochs', '--json'], '--epochs needs a value'],
    [['--epochs', '2', '--epochs', '3'], '--epochs given more than once'],
    [['--json=yes'], "--json takes no value, got 'yes'"],
    [['--batch-norm=1'], "--batch-norm takes no value, got '1'"],
    [
      ['--data', 'cifar'],
      "--data: expected mnist, spiral, moons, circles, xor, a path ending in .csv, .tsv, .npz or .npy, or a directory of IDX files, got 'cifar'",
    ],
    [['--data', 'x.npy'], '--data x.npy holds the features only: give the labels with --labels LABELS.npy'],
    [
      ['--data', 'a.csv', '--labels', 'y.npy'],
      '--labels goes with --data FEATURES.npy (other sources hold their labels)',
    ],
    [['--data', 'x.npy', '--labels', 'y.csv'], "--labels: expected a path ending in .npy, got 'y.csv'"],
    [['--hidden', '128,0'], "--hidden: each width must be a positive integer, got '0' in '128,0'"],
    [['--hidden', '128,,64'], "--hidden: each width must be a positive integer, got '' in '128,,64'"],
    [['--hidden', '1.5'], "--hidden: each width must be a positive integer, got '1.5'"],
    [['--activation', 'linear'], "--activation: expected one of relu, sigmoid, tanh, leaky_relu, got 'linear'"],
    [['--epochs', '0'], "--epochs: expected an integer >= 1, got '0'"],
    [['--epochs', '2.5'], "--epochs: expected an integer >= 1, got '2.5'"],
    [['--batch-size', '-4'], "--batch-size: expected an integer >= 1, got '-4'"],
    [['--lr', '0'], "--lr: must be greater than 0, got '0'"],
    [['--lr', 'Infinity'], "--lr: expected a finite number, got 'Infinity'"],
    [['--lr', '0x10'], "--lr: expected a finite number, got '0x10'"],
    [['--lr='], "--lr: expected a finite number, got ''"],
    [['--seed', '-1'], "--seed: expected an integer in [0, 4294967295], got '-1'"],
    [['--seed', '4294967296'], "--seed: expected an integer in [0, 4294967295], got '4294967296'"],
    [['--test-split', '1'], "--test-split: must satisfy 0 <= value < 1, got '1'"],
    [['--test-split', 'abc'], "--test-split: expected a finite number, got 'abc'"],
    [['--normalize', 'zscore'], "--normalize: expected one of standard, minmax, none, got 'zscore'"],
    [['--device', 'webgl'], "--device: expected one of gpu, cpu, got 'webgl'"],
    [['--save='], '--save: expected a file path, got an empty string'],
    [['--samples', '0'], "--samples: expected an integer >= 1, got '0'"],
    [['--eval-every', 'ten'], "--eval-every: expected an integer >= 1, got 'ten'"],
    [['--optimizer', 'adagrad'], "--optimizer: expected one of sgd, momentum, rmsprop, adam, got 'adagrad'"],
    [['--beta1', '1'], "--beta1: must satisfy 0 <= value < 1, got '1'"],
    [['--beta2', '-0.1'], "--beta2: must satisfy 0 <= value < 1, got '-0.1'"],
    [['--l2', '-1'], "--l2: must be >= 0, got '-1'"],
    [['--keep-prob', '0'], "--keep-prob: must satisfy 0 < value <= 1, got '0'"],
    [['--keep-prob', '1.5'], "--keep-prob: must satisfy 0 < value <= 1, got '1.5'"],
    [['--lr-decay', 'cosine'], "--lr-decay: expected inverse:K, exp:R or step:R:N, got 'cosine'"],
    [['--lr-decay', 'step:0.5'], "--lr-decay: expected inverse:K, exp:R or step:R:N, got 'step:0.5'"],
    [['--lr-decay', 'exp:1.5'], "--lr-decay: the factor must satisfy 0 < value <= 1, got '1.5'"],
    [['--lr-decay', 'step:0.5:0'], "--lr-decay: expected an integer >= 1, got '0'"],
    [['--dev-split', '1'], "--dev-split: must satisfy 0 <= value < 1, got '1'"],
    [['--early-stopping', '3'], '--early-stopping needs a dev split: add --dev-split F with 0 < F < 1'],
    [['--early-stopping', '0', '--dev-split', '0.1'], "--early-stopping: expected an integer >= 1, got '0'"],
    [['--steps-per-submit', '0'], "--steps-per-submit: expected an integer in [1, 1024], got '0'"],
    [['--steps-per-submit', '2000'], "--steps-per-submit: expected an integer in [1, 1024], got '2000'"],
    [['--matmul', 'naive'], "--matmul: expected one of tiled, tiled8, blocked, auto, tune, got 'naive'"],
    [['--plan', 'kernels'], "--plan: expected one of auto, fused, layered, got 'kernels'"],
    [
      ['--data', 'd.csv', '--task', 'ranking'],
      "--task: expected one of auto, classification, regression, got 'ranking'",
    ],
    [
      ['--data', 'd.csv', '--delimiter', '"'],
      "--delimiter: expected , ; tab or another single character (not a quote), got '\"'",
    ],
    [
      ['--data', 'd.csv', '--delimiter', '::'],
      "--delimiter: expected , ; tab or another single character (not a quote), got '::'",
    ],
    [
      ['--data', 'd.csv', '--label', 'a,,b'],
      "--label: expected column names or 0-based indices separated by commas, got 'a,,b'",
    ],
    [
      ['--data', 'moons', '--label', 'y', '--normalize-target'],
      '--label, --normalize-target: for --data PATH.csv only',
    ],
    [['--trials', '10'], '--trials: for a hyperparameter search only (add --sweep SPEC)'],
    [
      ['--trials', '10', '--save-all', 'runs'],
      '--trials, --save-all: for a hyperparameter search only (add --sweep SPEC)',
    ],
    [
      ['--sweep', 'lr=0.1,0.01'],
      '--sweep ranks the trials by dev loss: add --dev-split F with 0 < F < 1 (the test split stays out of the choice)',
    ],
    [['--dev-split', '0.1', '--sweep', ''], '--sweep: empty: expected NAME=VALUES'],
    [['--dev-split', '0.1', '--sweep', 'lr=0.1,0'], "--sweep: lr must be > 0, got '0' in 'lr=0.1,0'"],
    [
      ['--dev-split', '0.1', '--sweep', 'momentum=0.9'],
      "--sweep: unknown parameter 'momentum' in 'momentum=0.9'; known: lr, l2, keep (also keep-prob, keepProb), beta1, beta2, seed",
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'lr=log:1e-4:1e-1'],
      "--sweep: 'lr=log:1e-4:1e-1' is a continuous range, so this is a random search: give the number of trials",
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'seed=1..5000'],
      '--sweep: the grid has 5000 points (seed 5000), more than 4096',
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'seed=1..4', '--trials', '5'],
      '--sweep: 5 trials asked of a grid of 4 points (seed 4)',
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'lr=log:1e-4:1e-1', '--trials', '0'],
      "--trials: expected an integer in [1, 4096], got '0'",
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'lr=log:1e-4:1e-1', '--trials', '4097'],
      "--trials: expected an integer in [1, 4096], got '4097'",
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'seed=1..4', '--save-all='],
      '--save-all: expected a file path, got an empty string',
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'seed=1..4', '--checkpoint', 'c.safetensors'],
      '--checkpoint: not with --sweep (a checkpoint holds one run)',
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'seed=1..4', '--resume', 'c.safetensors', '--checkpoint-every', '9'],
      '--checkpoint-every, --resume: not with --sweep (a checkpoint holds one run)',
    ],
    [
      ['--dev-split', '0.1', '--sweep', 'lr=0.1,0.01, beta1=0.8,0.9'],
      "--sweep: 'beta1=0.8,0.9' has no effect with --optimizer sgd (beta1 is used by momentum and adam)",
    ],
    [
      ['--dev-split', '0.1', '--optimizer', 'momentum', '--sweep', 'beta2=0.99,0.999'],
      "--sweep: 'beta2=0.99,0.999' has no effect with --optimizer momentum (beta2 is used by rmsprop and adam)",
    ],
    [
      ['--dev-split', '0.1', '--hidden', 'none', '--sweep', 'keep-prob=0.5,1'],
      "--sweep: 'keep-prob=0.5,1' has no effect without hidden layers (dropout is on hidden layers only)",
    ],
  ];
  for (const [argv, message] of bad) {
    // Test that a bad command line is rejected with a message naming the flag and the value.
    it(`rejects ${argv.join(' ')}`, () => {
      expect(() => parseTrainArgs(argv)).toThrow(message);
    });
  }
});
