// The toolbox on the CPU reference: optimizer formulas on hand-worked numbers, dropout masks, L2 in
// the cost, and gradient checking as a user feature (every layer type passes, broken gradients fail).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dropoutForward, dropoutMask, optimizerUpdate, type OptimizerStep } from '../../src/reference/ops.ts';
import { backward, forward, lossAndGrad, trainStep, zeroState, type Params64 } from '../../src/reference/mlp.ts';
import { GRADCHECK_THRESHOLD, gradientCheckSuite, type GradFn } from '../../src/reference/gradcheck.ts';
import { resolveConfig, type SplitData } from '../../src/train/backend.ts';
import { learningRate, runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { initParams } from '../../src/init.ts';
import { HIDDEN_ACTIVATIONS, type ModelSpec } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import { ROOT } from './cli.ts';

const step = (kind: OptimizerStep['kind'], t = 1, l2 = 0): OptimizerStep => ({
  kind,
  lr: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  c1: 1 - 0.9 ** t,
  c2: 1 - 0.999 ** t,
  l2,
});
const one = (v: number) => Float64Array.of(v);

describe('optimizerUpdate: the course formulas on one number', () => {
  // Test that momentum keeps v = β1·v + (1−β1)·g and steps by lr·v.
  it('momentum', () => {
    const r = optimizerUpdate(one(1), one(0.5), one(0.2), one(0), [1], step('momentum'));
    expect(r.v[0]).toBeCloseTo(0.9 * 0.2 + 0.1 * 0.5, 15); // 0.23
    expect(r.param[0]).toBeCloseTo(1 - 0.1 * 0.23, 15);
    expect(r.s[0]).toBe(0);
  });
  // Test that RMSprop keeps s = β2·s + (1−β2)·g² and steps by lr·g/(√s + ε).
  it('rmsprop', () => {
    const r = optimizerUpdate(one(1), one(0.5), one(0), one(0.01), [1], step('rmsprop'));
    const s = 0.999 * 0.01 + 0.001 * 0.25;
    expect(r.s[0]).toBeCloseTo(s, 15);
    expect(r.param[0]).toBeCloseTo(1 - (0.1 * 0.5) / (Math.sqrt(s) + 1e-8), 14);
  });
  // Test that Adam's first step, bias-corrected, moves every parameter by about lr·sign(g).
  it('adam, first step', () => {
    const r = optimizerUpdate(
      Float64Array.of(1, 1),
      Float64Array.of(0.5, -0.003),
      new Float64Array(2),
      new Float64Array(2),
      [1, 1],
      step('adam'),
    );
    expect(r.v[0]).toBeCloseTo(0.05, 15);
    expect(r.s[0]).toBeCloseTo(0.00025, 15);
    expect(r.param[0]).toBeCloseTo(0.9, 7); // v̂ = 0.5, ŝ = 0.25: 1 − 0.1·0.5/(0.5 + ε)
    expect(r.param[1]).toBeCloseTo(1.1, 5);
  });
  // Test that Adam's bias correction at t = 10 divides by 1 − β^10.
  it('adam, t = 10', () => {
    const r = optimizerUpdate(one(0), one(0.2), one(0.1), one(0.04), [1], step('adam', 10));
    const v = 0.9 * 0.1 + 0.1 * 0.2;
    const s = 0.999 * 0.04 + 0.001 * 0.04;
    expect(r.param[0]).toBeCloseTo(-(0.1 * (v / (1 - 0.9 ** 10))) / (Math.sqrt(s / (1 - 0.999 ** 10)) + 1e-8), 14);
  });
  // Test that L2 adds (λ/m)·W to the gradient of weights (decay 1) and nothing to biases (decay 0).
  it('L2 on weights only', () => {
    const r = optimizerUpdate(
      Float64Array.of(2, 2),
      Float64Array.of(0.5, 0.5),
      new Float64Array(2),
      new Float64Array(2),
      [1, 0],
      step('sgd', 1, 0.25),
    );
    expect(Array.from(r.grad)).toEqual([0.5 + 0.25 * 2, 0.5]);
    expect(Array.from(r.param)).toEqual([2 - 0.1 * 1, 2 - 0.1 * 0.5]);
  });
});

describe('dropout masks', () => {
  // Test that a mask is a pure function of (seed, step, layer) and changes when any of them does.
  it('is reproducible and keyed by seed, step and layer', () => {
    const m = dropoutMask(50, 40, 3, 7, 1, 0.6);
    expect(dropoutMask(50, 40, 3, 7, 1, 0.6)).toEqual(m);
    for (const other of [
      dropoutMask(50, 40, 4, 7, 1, 0.6),
      dropoutMask(50, 40, 3, 8, 1, 0.6),
      dropoutMask(50, 40, 3, 7, 2, 0.6),
    ]) {
      const same = other.reduce((n, v, i) => n + (v === m[i] ? 1 : 0), 0) / m.length;
      expect(same).toBeLessThan(0.6); // independent masks agree on p² + (1−p)² = 52% of units
    }
  });
  // Test that inverted dropout keeps the expected activation: the mean of a·mask/p stays close to a's.
  it('keeps the mean (inverted dropout)', () => {
    const a = new Float64Array(100_000).fill(1);
    const d = dropoutForward(a, 1000, 100, 1, 1, 1, 0.8);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(0.2 / 0.8 / d.length));
    expect(new Set(d)).toEqual(new Set([0, 1 / 0.8]));
  });
});

describe('L2 in the training loss', () => {
  // Test that trainStep reports J + (λ/2m)·Σ‖W‖² and that SGD with L2 shrinks the weights more than without.
  it('adds the penalty to the loss and decays the weights', () => {
    const spec = { sizes: [2, 3, 1], activation: 'tanh' as const, loss: 'bce' as const };
    const p = (): Params64 => [
      { weight: Float64Array.of(1, -1, 0.5, 0.5, 2, -2), bias: new Float64Array(3) },
      { weight: Float64Array.of(1, 1, 1), bias: new Float64Array(1) },
    ];
    const x = Float64Array.of(0.1, 0.2, -0.3, 0.4);
    const y = Float64Array.of(1, 0);
    const plain = p();
    const reg = p();
    const r0 = trainStep(spec, plain, x, y, 2, 0.1, { config: resolveConfig({}), state: zeroState(plain), t: 1 });
    const r1 = trainStep(spec, reg, x, y, 2, 0.1, { config: resolveConfig({ l2: 0.4 }), state: zeroState(reg), t: 1 });
    const sumSq = 1 + 1 + 0.25 + 0.25 + 4 + 4 + 3;
    expect(r1.loss).toBeCloseTo(r0.loss + (0.4 / 4) * sumSq, 14);
    expect(reg[1]!.weight[0]).toBeCloseTo(plain[1]!.weight[0]! - 0.1 * (0.4 / 2) * 1, 14);
    expect(reg[1]!.bias[0]).toBe(plain[1]!.bias[0]); // biases are not regularised
  });
});

describe('gradient checking (npm run gradcheck)', () => {
  const suite = gradientCheckSuite();

  // Test that every supported layer type (activation × loss, L2, dropout, batch norm) is checked and passes below 1e-7.
  it('reports < 1e-7 for every layer type', () => {
    // 4 activations × 4 nets (CE, BCE, MSE, one-target MSE regression), + L2, dropout, both under CE;
    // batch norm: 4 activations × (3 losses + L2 and dropout under CE)
    expect(suite.length).toBe(4 * 4 + 4 * 3 + 4 * 4);
    for (const c of suite) {
      const hidden = c.spec.sizes.length - 2;
      expect(c.results.length).toBe(2 * (c.spec.sizes.length - 1) + (c.spec.batchNorm ? 2 * hidden : 0));
      for (const r of c.results)
        if (!(r.relDiff < GRADCHECK_THRESHOLD)) throw new Error(`${c.label} ${r.name}: ${r.relDiff} >= 1e-7`);
    }
  });

  // Test that MSE is checked with every hidden activation: on several outputs and as a regression net
  // (one target, two hidden layers), with and without batch norm, every tensor below 1e-7.
  it('covers MSE with every activation', () => {
    for (const activation of HIDDEN_ACTIVATIONS) {
      const mse = suite.filter((c) => c.spec.loss === 'mse' && c.spec.activation === activation);
      expect(mse.map((c) => c.label)).toEqual([
        `mse [3,4,2] ${activation}`,
        `mse [2,8,6,1] ${activation}`,
        `mse [3,4,2] ${activation}, batch norm`,
      ]);
      for (const c of mse)
        for (const r of c.results) expect(r.relDiff, `${c.label} ${r.name}`).toBeLessThan(GRADCHECK_THRESHOLD);
    }
  });

  // Test that a backprop that forgets the L2 term of dW is caught on the weights of the L2 cases only.
  it('catches a gradient missing the L2 term', () => {
    const noL2: GradFn = (s, p, x, y, rows, reg) => {
      const { a, inputs, bn } = forward(s, p, x, rows, reg.dropout);
      return backward(s, p, a, lossAndGrad(s, a[a.length - 1]!, y, rows).dZ, rows, {
        inputs,
        bn,
        ...(reg.dropout ? { dropout: reg.dropout } : {}),
      });
    };
    for (const c of gradientCheckSuite(1, 5, noL2)) {
      for (const r of c.results) {
        if (c.reg.l2 && r.name.endsWith('weight')) expect(r.relDiff, `${c.label} ${r.name}`).toBeGreaterThan(1e-3);
        else expect(r.relDiff, `${c.label} ${r.name}`).toBeLessThan(GRADCHECK_THRESHOLD);
      }
    }
  });

  // Test that a backprop that ignores the dropout mask on the way back is caught on the dropout cases.
  it('catches a gradient that skips the dropout mask', () => {
    const noMask: GradFn = (s, p, x, y, rows, reg) => {
      const { a, inputs, bn } = forward(s, p, x, rows, reg.dropout);
      return backward(s, p, a, lossAndGrad(s, a[a.length - 1]!, y, rows).dZ, rows, {
        inputs,
        bn,
        ...(reg.l2 ? { l2: reg.l2 } : {}),
      });
    };
    const failing = gradientCheckSuite(1, 5, noMask).filter((c) =>
      c.results.some((r) => r.relDiff >= GRADCHECK_THRESHOLD),
    );
    expect(failing.map((c) => c.label)).toEqual(suite.filter((c) => c.reg.dropout).map((c) => c.label));
  });

  // Test that the command prints a relative difference per tensor and exits 0 with PASS.
  it('command prints per-tensor figures and passes', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/raw-import.mjs', 'src/cli/gradcheck.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ce \[3,5,4,3\] relu, L2 \+ dropout\n {2}layers\.0\.weight +\d\.\d\de-\d+ {2}ok/);
    expect(r.stdout).toMatch(/PASS: 304 of 304 tensors below 1e-7/);
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './scripts/raw-import.mjs', 'src/cli/gradcheck.ts', '--rows', '0'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(bad.status).toBe(2);
  });

  // Test that a batch-norm backward fed Ẑ = 0 (so dγ = 0 and dZ loses its Ẑ·Σ(dẐ·Ẑ) term) is caught
  // in every batch-norm case, on γ always, and in no other case.
  it('catches a broken batch-norm gradient', () => {
    const naiveBn: GradFn = (s, p, x, y, rows, reg) => {
      const { a, inputs, bn } = forward(s, p, x, rows, reg.dropout);
      const broken = bn.map((c) => (c ? { ...c, xhat: new Float64Array(c.xhat.length) } : undefined));
      return backward(s, p, a, lossAndGrad(s, a[a.length - 1]!, y, rows).dZ, rows, { inputs, bn: broken, ...reg });
    };
    const failing = gradientCheckSuite(1, 5, naiveBn).filter((c) =>
      c.results.some((r) => r.relDiff >= GRADCHECK_THRESHOLD),
    );
    expect(failing.map((c) => c.label)).toEqual(suite.filter((c) => c.spec.batchNorm).map((c) => c.label));
    for (const c of gradientCheckSuite(1, 5, naiveBn).filter((k) => k.spec.batchNorm)) {
      const gamma = c.results.filter((r) => r.name.endsWith('bn_gamma'));
      for (const r of gamma) expect(r.relDiff, `${c.label} ${r.name}`).toBeGreaterThan(1e-3);
    }
  });
});

describe('training loop: learning-rate decay, dev split, early stopping', () => {
  // Test that the three schedules give the course's learning rates per epoch.
  it('learningRate schedules', () => {
    expect(learningRate(0.2, 1, { kind: 'inverse', rate: 1 })).toBe(0.2);
    expect(learningRate(0.2, 3, { kind: 'inverse', rate: 1 })).toBeCloseTo(0.2 / 3, 15);
    expect(learningRate(0.2, 3, { kind: 'exponential', rate: 0.5 })).toBeCloseTo(0.05, 15);
    expect([1, 2, 3, 4, 5].map((e) => learningRate(1, e, { kind: 'step', rate: 0.1, every: 2 }))).toEqual([
      1,
      1,
      0.1,
      0.1,
      0.1 ** 2,
    ]);
    expect(learningRate(0.2, 9, undefined)).toBe(0.2);
  });

  /** A small noisy binary problem where an over-wide net overfits its few training rows. */
  function noisy(n: number, seed: number): SplitData {
    const rng = new Rng(seed);
    const x = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = rng.normal();
      x[2 * i + 1] = rng.normal();
      y[i] = x[2 * i]! > 0 !== rng.next() < 0.3 ? 1 : 0; // 30% label noise
    }
    return { x, y, n };
  }

  // Test that the loop evaluates the dev split each epoch, stops after `patience` epochs without a new
  // best dev loss, and reports the best epoch; the events carry the decayed learning rate.
  it('stops early on the dev loss', async () => {
    const spec: ModelSpec = { sizes: [2, 32, 32, 1], activation: 'relu', loss: 'bce' };
    const [train, dev] = [noisy(40, 1), noisy(200, 2)];
    const backend = CpuBackend.create({
      spec,
      params: initParams(spec, 1),
      train,
      test: dev,
      dev,
      maxBatch: 8,
      config: { optimizer: 'adam' },
    });
    const events: TrainEvent[] = [];
    const s = await runTraining(
      backend,
      train.n,
      dev.n,
      {
        epochs: 200,
        batchSize: 8,
        lr: 0.01,
        seed: 1,
        shuffle: true,
        evalEvery: 1000,
        devRows: dev.n,
        earlyStopping: 3,
        lrDecay: { kind: 'inverse', rate: 0.01 },
      },
      (e) => events.push(e),
    );
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(s.stoppedEarly).toBe(true);
    expect(s.epochs).toBe(epochs.length);
    expect(s.epochs).toBeLessThan(200);
    const devLoss = epochs.map((e) => (e.type === 'epoch' ? e.devLoss! : NaN));
    const best = Math.min(...devLoss);
    expect(s.bestDevLoss).toBe(best);
    expect(s.bestEpoch).toBe(devLoss.indexOf(best) + 1);
    expect(s.epochs - s.bestEpoch!).toBe(3);
    // The dev loss the loop saw is the dev split's own (with test = dev here, the two must agree).
    for (const e of epochs) if (e.type === 'epoch') expect(e.devLoss).toBe(e.testLoss);
    const lr = epochs.map((e) => (e.type === 'epoch' ? e.lr : undefined));
    expect(lr[0]).toBe(0.01);
    expect(lr[4]).toBeCloseTo(0.01 / 1.04, 15);
  });

  // Test that early stopping without a dev split is refused.
  it('refuses early stopping without a dev split', async () => {
    const spec: ModelSpec = { sizes: [2, 1], activation: 'relu', loss: 'bce' };
    const d = noisy(10, 1);
    const backend = CpuBackend.create({ spec, params: initParams(spec, 1), train: d, test: d, maxBatch: 8 });
    await expect(
      runTraining(
        backend,
        10,
        10,
        { epochs: 2, batchSize: 8, lr: 0.1, seed: 1, shuffle: false, evalEvery: 1, earlyStopping: 2 },
        () => {},
      ),
    ).rejects.toThrow(/dev split/);
  });
});
