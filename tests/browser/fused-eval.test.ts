// The fused evaluation (shaders/fused_eval.wgsl, src/gpu/fused-eval.ts) against the float64 CPU
// reference's evaluation (CpuBackend.evaluateAll) for BCE, CE and MSE (classification and regression),
// several activations, batch norm, splits that are not a multiple of the chunk; a sweep's models each getting
// their solo run's bits; the limit check's refusal.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { FusedBackend } from '../../src/gpu/fused-backend.ts';
import { checkFusedEval, fusedEvalLayout } from '../../src/gpu/fused-eval.ts';
import { TrainerError } from '../../src/errors.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { resolveConfig, type BackendInit, type Split, type Stats } from '../../src/train/backend.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

/** n rows for `spec`: inputs in [-1, 1); one-hot classes (CE), 0/1 labels (BCE, one-output MSE) or
 *  real targets (regression). */
function split(spec: ModelSpec, n: number, rng: Rng, regression = false) {
  const [nIn, nOut] = [spec.sizes[0]!, spec.sizes[spec.sizes.length - 1]!];
  const y = new Float32Array(n * nOut);
  for (let r = 0; r < n; r++) {
    if (regression) for (let j = 0; j < nOut; j++) y[r * nOut + j] = 2 * rng.next() - 1;
    else if (nOut === 1) y[r] = rng.next() < 0.5 ? 0 : 1;
    else y[r * nOut + Math.floor(rng.next() * nOut)] = 1;
  }
  return { x: randomArray(n * nIn, rng), y, n };
}

interface Case {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly regression?: boolean;
  /** Rows of train, test and dev. */
  readonly rows: readonly [number, number, number];
}

const CASES: Case[] = [
  // 300 test rows: a whole chunk of 256 and 44 more.
  {
    label: 'moons-like [2,16,16,1] tanh BCE',
    spec: { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' },
    rows: [100, 300, 37],
  },
  // 513 rows: two whole chunks and one row (a block of four rows clamped to one).
  { label: '[5,12,3] relu CE', spec: { sizes: [5, 12, 3], activation: 'relu', loss: 'ce' }, rows: [70, 513, 0] },
  {
    label: '[4,10,7,4] sigmoid CE',
    spec: { sizes: [4, 10, 7, 4], activation: 'sigmoid', loss: 'ce' },
    rows: [64, 255, 3],
  },
  {
    label: '[3,9,2] leaky_relu MSE (classification)',
    spec: { sizes: [3, 9, 2], activation: 'leaky_relu', loss: 'mse' },
    rows: [50, 257, 0],
  },
  {
    label: '[6,8,8,3] tanh MSE regression',
    spec: { sizes: [6, 8, 8, 3], activation: 'tanh', loss: 'mse' },
    regression: true,
    rows: [90, 301, 17],
  },
  // Batch norm: inference with the running averages the fused steps moved (and γ, β they trained).
  {
    label: '[4,10,7,4] relu CE, batch norm',
    spec: { sizes: [4, 10, 7, 4], activation: 'relu', loss: 'ce', batchNorm: true },
    rows: [64, 300, 3],
  },
  {
    label: '[6,8,8,3] tanh MSE regression, batch norm',
    spec: { sizes: [6, 8, 8, 3], activation: 'tanh', loss: 'mse', batchNorm: true },
    regression: true,
    rows: [90, 257, 17],
  },
];

function init(c: Case, seed: number, batch = 16): BackendInit {
  const rng = new Rng(seed);
  const [train, test, dev] = c.rows.map((n) => split(c.spec, n, rng, c.regression === true));
  return {
    spec: c.spec,
    params: initParams(c.spec, seed),
    train: train!,
    test: test!,
    dev: dev!,
    maxBatch: batch,
    regression: c.regression === true,
  };
}

const SPLITS: Split[] = ['train', 'test', 'dev'];

describe('fused evaluation', () => {
  for (const c of CASES) {
    // Test that each split's loss sum and correct count (Σ|error| for regression) after a few fused steps
    // equal the float64 reference's evaluation of the same float32 parameters.
    it(`equals the float64 reference: ${c.label}`, async () => {
      const i = init(c, 7);
      const fused = await FusedBackend.create(gpu(), i, { models: [resolveConfig({ optimizer: 'adam' })] });
      try {
        expect(fused.evaluationKind).toBe('fused');
        for (let s = 0; s + 16 <= i.train.n; s += 16) fused.step(s, 16, 0.05);
        const gpuStats = await Promise.all(SPLITS.map((s) => fused.evaluate(s)));
        const cpu = CpuBackend.create({ ...i, params: await fused.readParams() });
        for (const [k, s] of SPLITS.entries()) {
          const [got, want] = [gpuStats[k]!, await cpu.evaluate(s)];
          expect(got.count, `${s} count`).toBe(want.count);
          assertClose(`${s} loss sum`, [got.lossSum], [want.lossSum], TOL.value);
          if (c.regression) assertClose(`${s} Σ|error|`, [got.correct], [want.correct], TOL.value);
          else expect(got.correct, `${s} correct`).toBe(want.correct);
        }
        cpu.destroy();
      } finally {
        fused.destroy();
      }
    });
  }

  // Test that a sweep's evaluation gives each model exactly what its solo run's gives (bit-identical),
  // with 1, 3 and 5 models side by side (5: the lane training kernel on a CPU-emulated adapter).
  it("a sweep's models evaluate as their solo runs, bit for bit", async () => {
    const c = CASES[0]!;
    const lrs = [0.5, 0.05, 0.2, 0.9, 0.01];
    const configs = lrs.map((_, m) => resolveConfig({ optimizer: 'momentum', l2: 0.01 * m }));
    const run = async (models: number[]): Promise<Stats[][]> => {
      const i = init(c, 11, 32);
      const b = await FusedBackend.create(gpu(), i, { models: models.map((m) => configs[m]!) });
      try {
        models.forEach((m, k) => b.setParams(initParams(c.spec, 20 + m), k));
        for (let s = 0; s < i.train.n; s += 32)
          b.step(
            s,
            Math.min(32, i.train.n - s),
            models.map((m) => lrs[m]!),
          );
        return await Promise.all(SPLITS.map((s) => b.evaluateAll(s)));
      } finally {
        b.destroy();
      }
    };
    for (const group of [
      [0, 1, 2],
      [0, 1, 2, 3, 4],
    ]) {
      const together = await run(group);
      for (const [k, m] of group.entries()) {
        const alone = await run([m]);
        SPLITS.forEach((s, j) => expect(together[j]![k], `model ${m} ${s}`).toEqual(alone[j]![0]));
      }
    }
  });

  // Test that a split past a device limit is refused with TrainerError 'too-large' naming the buffer
  // (the fused backend then keeps the layered evaluation).
  it('refuses a split past maxStorageBufferBindingSize', () => {
    const spec: ModelSpec = { sizes: [64, 8, 1], activation: 'relu', loss: 'bce' };
    const layout = fusedEvalLayout({
      spec,
      models: 1,
      rows: { train: 100, test: 5000, dev: 0 },
      regression: false,
      workgroupSize: 8,
    });
    const limits = { maxBufferSize: 1 << 30, maxStorageBufferBindingSize: 1 << 20 };
    expect(() => checkFusedEval(layout, limits, 'a small adapter')).toThrow(TrainerError);
    expect(() => checkFusedEval(layout, limits, 'a small adapter')).toThrow(/buffer 'test.x'/);
  });
});
