// The library's trainer on the GPU: predictions from the GPU forward pass equal the float64 reference's
// (probabilities and classes), a saved model reloads with the same predictions, normalisation is applied
// to raw rows, the memory estimate matches the plan's buffers, and a failed plan leaves the device's
// error scopes as they were.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { TrainingPlan, planMemory } from '../../src/gpu/plan.ts';
import { splitDataset } from '../../src/lib/data.ts';
import { decodeModel } from '../../src/lib/model-file.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { TrainConfig } from '../../src/train/backend.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const spiral = splitDataset(syntheticDataset('spiral', 300, 2), { testSplit: 0.2, seed: 2 });
// Shifted and scaled far from the unit square, so a missing normalisation would show.
const raw = (x: Float32Array) => x.map((v, i) => (i % 2 === 0 ? 100 + 50 * v : -3 + 0.01 * v));
const train = { x: raw(spiral.train.x), labels: spiral.train.labels };
const test = { x: raw(spiral.test.x), labels: spiral.test.labels };

describe('library trainer on the GPU', () => {
  for (const batchNorm of [false, true]) {
    // Test that after a fit with standard normalisation the GPU's predictions of raw rows equal the CPU
    // reference's from the same weights, and a saved and reloaded model predicts exactly the same.
    it(`predict: GPU forward pass vs the float64 reference, save and reload (batch norm: ${batchNorm})`, async () => {
      const o = {
        inputs: 2,
        hidden: [16, 12],
        classes: 3,
        batchNorm,
        normalize: 'standard' as const,
        optimizer: 'adam' as const,
        seed: 3,
        matmul: 'blocked' as const,
      };
      const g = await createTrainer({ ...o, device: gpu().device });
      try {
        const s = await g.fit(train, { epochs: 8, batchSize: 32, lr: 0.01, test });
        expect(s.testAccuracy).toBeGreaterThan(0.6);
        expect(g.info.normalization?.method).toBe('standard');
        const p = await g.predict(test.x);
        const c = await createTrainer({ model: await g.model(), device: 'cpu' });
        const q = await c.predict(test.x);
        assertClose('probabilities', p.values, q.values, TOL.value, undefined, 3);
        expect(p.classes).toEqual(q.classes);
        // evaluate agrees with the fit's own final test figures (the GPU loss kernels either way).
        const e = await g.evaluate(test);
        expect(e.accuracy).toBeCloseTo(s.testAccuracy!, 10);
        const again = await createTrainer({
          model: decodeModel(await g.save()),
          device: gpu().device,
          matmul: 'blocked',
        });
        expect((await again.predict(test.x)).values).toEqual(p.values);
        expect(again.info).toEqual(g.info);
        again.destroy();
        c.destroy();
      } finally {
        g.destroy();
      }
    });
  }

  // Test that a regression trainer (one standardised target, in units far from 0..1) fits y = sin(x1) +
  // 0.5·x2² on the GPU, its check-this-step passes, evaluate's RMSE, MAE and R² equal the float64
  // reference's from the same weights (and the fit's final test figures), and predictions are in y's units.
  it("regression: fit, checkStep, evaluate and predict in the targets' units", async () => {
    const rng = new Rng(9);
    const rows = (n: number) => {
      const x = new Float32Array(2 * n);
      const y = new Float32Array(n);
      for (let r = 0; r < n; r++) {
        x[2 * r] = rng.next() * 6 - 3;
        x[2 * r + 1] = rng.next() * 4 - 2;
        y[r] = 100 + 10 * (Math.sin(x[2 * r]!) + 0.5 * x[2 * r + 1]! ** 2); // units: mean ~117, spread ~10
      }
      return { x, y };
    };
    const [train, test] = [rows(600), rows(150)];
    const g = await createTrainer({
      inputs: 2,
      hidden: [16, 16],
      outputs: 1,
      activation: 'tanh',
      normalize: 'standard',
      normalizeTarget: true,
      optimizer: 'adam',
      seed: 2,
      device: gpu().device,
      matmul: 'blocked',
    });
    try {
      expect(g.regression).toBe(true);
      const s = await g.fit(train, { epochs: 25, batchSize: 32, lr: 0.01, test });
      expect(s.testR2).toBeGreaterThan(0.9);
      expect(g.info.targetNormalization?.shift[0]).toBeGreaterThan(100);
      const check = await g.checkStep(train, { lr: 0.01, rows: 32 });
      expect(check.ok, JSON.stringify(check.layers)).toBe(true);
      const e = await g.evaluate(test);
      expect(e.r2).toBeCloseTo(s.testR2!, 5);
      const c = await createTrainer({ model: await g.model(), device: 'cpu' });
      const ce = await c.evaluate(test);
      assertClose('rmse, mae, r2', [e.rmse!, e.mae!, e.r2!], [ce.rmse!, ce.mae!, ce.r2!], TOL.value);
      const [p, q] = [await g.predict(test.x), await c.predict(test.x)];
      assertClose('predictions', p.values, q.values, TOL.value);
      const err = p.values.reduce((a, v, i) => a + Math.abs(v - test.y[i]!), 0) / test.y.length;
      expect(err).toBeCloseTo(e.mae!, 3); // MAE from the GPU's sums = mean |prediction − y| in y's units
      c.destroy();
    } finally {
      g.destroy();
    }
  });

  // Test that planMemory, computed before anything is allocated, lists exactly the plan's data,
  // parameter and activation buffers, and that the rest are only uniforms and read-back buffers.
  const configs: [string, ModelSpec, Partial<TrainConfig>, { train: number; test: number; dev: number }][] = [
    ['sgd', { sizes: [5, 7, 3], activation: 'relu', loss: 'ce' }, {}, { train: 50, test: 20, dev: 0 }],
    [
      'adam + l2 + dropout + batch norm + dev',
      { sizes: [4, 9, 6, 1], activation: 'tanh', loss: 'bce', batchNorm: true },
      { optimizer: 'adam', l2: 0.1, keepProb: 0.8 },
      { train: 40, test: 0, dev: 10 },
    ],
    [
      'momentum',
      { sizes: [3, 2], activation: 'relu', loss: 'mse' },
      { optimizer: 'momentum' },
      { train: 9, test: 3, dev: 0 },
    ],
  ];
  for (const [label, spec, config, rows] of configs) {
    it(`planMemory matches the plan's buffers (${label})`, async () => {
      const n0 = spec.sizes[0]!;
      const out = spec.sizes[spec.sizes.length - 1]!;
      const split = (n: number) => ({ x: new Float32Array(n * n0), y: new Float32Array(n * out), n });
      const plan = await TrainingPlan.create(gpu(), {
        spec,
        params: initParams(spec, 1),
        train: split(rows.train),
        test: split(rows.test),
        dev: split(rows.dev),
        maxBatch: 8,
        config,
      });
      try {
        const actual = plan.memory();
        const estimate = planMemory(spec, config, 8, rows, gpu().device.limits.minStorageBufferOffsetAlignment);
        const byName = new Map(actual.map((b) => [b.name, b.bytes]));
        for (const b of estimate) expect(byName.get(b.name), `buffer ${b.name}`).toBe(b.bytes);
        const listed = new Set(estimate.map((b) => b.name));
        const rest = actual.filter((b) => !listed.has(b.name));
        for (const b of rest) expect(b.name).toMatch(/\.uniform$|^readback$/);
        expect(plan.bytes).toBe(actual.reduce((a, b) => a + b.bytes, 0));
      } finally {
        plan.destroy();
      }
    });
  }

  // Test that a plan that fails at creation pops the error scopes it pushed: a validation error made
  // afterwards lands in the scope the caller (here the fixture) had open before, not in a leftover one.
  it('a failed plan leaves the error scopes balanced', async () => {
    const { device } = gpu();
    const spec: ModelSpec = { sizes: [2, 3], activation: 'relu', loss: 'ce' };
    const bad = [{ weight: new Float32Array(5), bias: new Float32Array(3) }]; // wrong length: setParams throws inside create
    await expect(
      TrainingPlan.create(gpu(), {
        spec,
        params: bad,
        train: { x: new Float32Array(2), y: new Float32Array(3), n: 1 },
        test: { x: new Float32Array(0), y: new Float32Array(0), n: 0 },
        maxBatch: 1,
      }),
    ).rejects.toThrow(/layers\.0\.weight has 5 values, expected 6/);
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE }); // invalid usage combination
    const err = await device.popErrorScope(); // the fixture's validation scope, if the plan popped its two
    expect(err?.message ?? '', 'the validation error went to a scope the failed plan left open').not.toBe('');
    device.pushErrorScope('validation'); // for the fixture's own pop after the test
  });
});
