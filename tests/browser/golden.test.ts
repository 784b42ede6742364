// End-to-end golden test (llm.c's test_gpt2 in spirit): the same model, weights, data and batch order
// trained for several steps on the WebGPU plan and on the float64 CPU reference; the loss is compared
// at every step, every gradient by name at every step, and every parameter by name at the end.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { TrainingPlan, type PlanOptions } from '../../src/gpu/plan.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, layerTensors, tensorName, type ModelSpec } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { toParams64, trainStep, zeroState } from '../../src/reference/mlp.ts';
import { resolveConfig, type TrainConfig } from '../../src/train/backend.ts';
import { gather } from '../../src/reference/ops.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

interface Case {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly n: number;
  readonly batch: number;
  readonly steps: number;
  readonly lr: number;
  readonly options: PlanOptions;
  /** Optimizer and regularisation (absent: plain SGD, the original step). */
  readonly config?: Partial<TrainConfig>;
  /** A regression model: real-valued targets, and the loss's second statistic is Σ|error| (compared too). */
  readonly regression?: boolean;
}

const CASES: Case[] = [
  {
    label: 'relu softmax-CE, fused, blocked',
    spec: { sizes: [20, 16, 12, 5], activation: 'relu', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.1,
    options: { matmul: 'blocked' },
  },
  {
    label: 'relu softmax-CE, fused, tiled',
    spec: { sizes: [20, 16, 12, 5], activation: 'relu', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.1,
    options: { matmul: 'tiled' },
  },
  {
    label: 'relu softmax-CE, fused, tiled8',
    spec: { sizes: [20, 16, 12, 5], activation: 'relu', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.1,
    options: { matmul: 'tiled8' },
  },
  // Widths and batch past tiled8's 128-wide tile, so every product has a partial second tile.
  {
    label: 'leaky_relu CE, fused, tiled8 past its tile',
    spec: { sizes: [130, 129, 3], activation: 'leaky_relu', loss: 'ce' },
    n: 150,
    batch: 140,
    steps: 3,
    lr: 0.05,
    options: { matmul: 'tiled8' },
  },
  // K = 36 and 8 take the vec4 forward kernels (blocked family, K % 4 == 0), K = 13 the scalar ones;
  // batch 17 over 50 rows leaves M off the 4×4 block and a partial last batch.
  {
    label: 'relu CE, fused, blocked with vec4 forward beside scalar',
    spec: { sizes: [36, 13, 8, 3], activation: 'relu', loss: 'ce' },
    n: 50,
    batch: 17,
    steps: 6,
    lr: 0.1,
    options: { matmul: 'blocked' },
  },
  {
    label: 'sigmoid MSE, unfused, blocked with vec4 forward beside scalar',
    spec: { sizes: [36, 13, 8, 3], activation: 'sigmoid', loss: 'mse' },
    n: 50,
    batch: 17,
    steps: 6,
    lr: 0.3,
    options: { fuse: false, matmul: 'blocked' },
  },
  {
    label: 'tanh sigmoid-BCE, unfused naive',
    spec: { sizes: [6, 10, 1], activation: 'tanh', loss: 'bce' },
    n: 30,
    batch: 30,
    steps: 5,
    lr: 0.5,
    options: { fuse: false, naive: true },
  },
  {
    label: 'sigmoid MSE, unfused tiled',
    spec: { sizes: [5, 7, 3], activation: 'sigmoid', loss: 'mse' },
    n: 25,
    batch: 10,
    steps: 6,
    lr: 0.3,
    options: { fuse: false, matmul: 'tiled' },
  },
  {
    label: 'leaky_relu CE, wide tiles',
    spec: { sizes: [70, 65, 3], activation: 'leaky_relu', loss: 'ce' },
    n: 100,
    batch: 64,
    steps: 4,
    lr: 0.05,
    options: {},
  },
  // The toolbox: Adam with L2 and dropout on both hidden layers, fused and unfused paths.
  {
    label: 'adam + L2 + dropout, relu CE, fused blocked',
    spec: { sizes: [20, 16, 12, 5], activation: 'relu', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.01,
    options: { matmul: 'blocked' },
    config: { optimizer: 'adam', l2: 0.7, keepProb: 0.8, dropoutSeed: 3 },
  },
  {
    label: 'adam + L2 + dropout, tanh BCE, unfused naive',
    spec: { sizes: [6, 10, 8, 1], activation: 'tanh', loss: 'bce' },
    n: 30,
    batch: 30,
    steps: 5,
    lr: 0.02,
    options: { fuse: false, naive: true },
    config: { optimizer: 'adam', beta1: 0.8, beta2: 0.99, l2: 0.1, keepProb: 0.5, dropoutSeed: 9 },
  },
  {
    label: 'momentum + L2, sigmoid MSE, tiled',
    spec: { sizes: [5, 7, 3], activation: 'sigmoid', loss: 'mse' },
    n: 25,
    batch: 10,
    steps: 6,
    lr: 0.3,
    options: { matmul: 'tiled' },
    config: { optimizer: 'momentum', l2: 0.05 },
  },
  {
    label: 'rmsprop + dropout, leaky_relu CE',
    spec: { sizes: [70, 65, 3], activation: 'leaky_relu', loss: 'ce' },
    n: 100,
    batch: 64,
    steps: 4,
    lr: 0.001,
    options: {},
    config: { optimizer: 'rmsprop', keepProb: 0.9, dropoutSeed: 1 },
  },
  {
    label: 'sgd + L2',
    spec: { sizes: [8, 9, 4], activation: 'relu', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 5,
    lr: 0.1,
    options: {},
    config: { optimizer: 'sgd', l2: 1 },
  },
  // Batch norm on every hidden layer: plain SGD (the original step otherwise), then Adam, with and without L2 + dropout.
  {
    label: 'batch norm, relu CE, sgd, blocked',
    spec: { sizes: [20, 16, 12, 5], activation: 'relu', loss: 'ce', batchNorm: true },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.1,
    options: { matmul: 'blocked' },
  },
  {
    label: 'batch norm, tanh BCE, sgd, unfused naive',
    spec: { sizes: [6, 10, 8, 1], activation: 'tanh', loss: 'bce', batchNorm: true },
    n: 30,
    batch: 30,
    steps: 5,
    lr: 0.5,
    options: { fuse: false, naive: true },
  },
  {
    label: 'adam + batch norm, leaky_relu CE, tiled',
    spec: { sizes: [20, 16, 12, 5], activation: 'leaky_relu', loss: 'ce', batchNorm: true },
    n: 40,
    batch: 16,
    steps: 7,
    lr: 0.01,
    options: { matmul: 'tiled' },
    config: { optimizer: 'adam' },
  },
  {
    label: 'adam + batch norm + L2 + dropout, sigmoid MSE',
    spec: { sizes: [5, 9, 7, 3], activation: 'sigmoid', loss: 'mse', batchNorm: true },
    n: 25,
    batch: 10,
    steps: 6,
    lr: 0.02,
    options: {},
    config: { optimizer: 'adam', l2: 0.3, keepProb: 0.8, dropoutSeed: 4 },
  },
  // Regression (one target, as y = sin(x1) + 0.5·x2² is learnt, and several): every hidden activation,
  // the mse kernel's REGRESSION variant, whose Σ|error| per step is compared as well.
  {
    label: 'regression: tanh, one target, sgd, blocked',
    spec: { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'mse' },
    n: 50,
    batch: 16,
    steps: 7,
    lr: 0.05,
    options: { matmul: 'blocked' },
    regression: true,
  },
  {
    label: 'regression: relu, two targets, adam, tiled',
    spec: { sizes: [5, 12, 2], activation: 'relu', loss: 'mse' },
    n: 40,
    batch: 16,
    steps: 6,
    lr: 0.01,
    options: { matmul: 'tiled' },
    config: { optimizer: 'adam' },
    regression: true,
  },
  {
    label: 'regression: sigmoid, one target, unfused naive, partial batch',
    spec: { sizes: [3, 7, 1], activation: 'sigmoid', loss: 'mse' },
    n: 23,
    batch: 10,
    steps: 5,
    lr: 0.1,
    options: { fuse: false, naive: true },
    regression: true,
  },
  {
    label: 'regression: leaky_relu + batch norm, momentum + L2',
    spec: { sizes: [4, 10, 8, 1], activation: 'leaky_relu', loss: 'mse', batchNorm: true },
    n: 40,
    batch: 16,
    steps: 6,
    lr: 0.02,
    options: {},
    config: { optimizer: 'momentum', l2: 0.1 },
    regression: true,
  },
];

function data(spec: ModelSpec, n: number, rng: Rng, regression = false): { x: Float32Array; y: Float32Array } {
  const out = spec.sizes[spec.sizes.length - 1]!;
  const x = randomArray(n * spec.sizes[0]!, rng);
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) {
    if (regression)
      for (let j = 0; j < out; j++) y[r * out + j] = 3 * rng.normal() + 1; // real values, off zero
    else if (spec.loss === 'mse') for (let j = 0; j < out; j++) y[r * out + j] = rng.next();
    else if (out === 1) y[r] = rng.int(2);
    else y[r * out + rng.int(out)] = 1;
  }
  return { x, y };
}

describe('golden: WebGPU plan vs CPU reference, step by step', () => {
  for (const c of CASES) {
    // Test that N training steps agree with the reference in loss, every gradient and every final parameter.
    it(c.label, async () => {
      const rng = new Rng(42);
      const { x, y } = data(c.spec, c.n, rng, c.regression);
      const params = initParams(c.spec, 7);
      const plan = await TrainingPlan.create(
        gpu(),
        {
          spec: c.spec,
          params,
          train: { x, y, n: c.n },
          test: { x, y, n: c.n },
          maxBatch: c.batch,
          config: c.config,
          regression: c.regression === true,
        },
        c.options,
      );
      try {
        const ref = toParams64(params);
        const state = zeroState(ref);
        const order = rng.permutation(c.n);
        plan.setOrder(order);
        const buffers = liveBufferStats().buffers;
        const [inputs, outputs] = [c.spec.sizes[0]!, c.spec.sizes[c.spec.sizes.length - 1]!];
        let start = 0;
        for (let step = 0; step < c.steps; step++) {
          const rows = Math.min(c.batch, c.n - start); // includes a partial last batch
          plan.step(start, rows, c.lr);
          const opt = c.config ? { config: resolveConfig(c.config), state, t: step + 1 } : undefined;
          const expected = trainStep(
            c.spec,
            ref,
            gather(x, order, start, rows, inputs),
            gather(y, order, start, rows, outputs),
            rows,
            c.lr,
            opt,
            c.regression === true,
          );
          const got = await plan.takeTrainStats();
          expect(got.count).toBe(rows);
          assertClose(`step ${step} loss`, [got.lossSum / rows], [expected.loss], TOL.value);
          // Regression: Σ|error| of the batch, MAE's numerator, from the mse kernel's REGRESSION variant.
          if (c.regression) assertClose(`step ${step} abs error sum`, [got.correct], [expected.correct], TOL.value);
          const grads = await plan.readGrads();
          for (let l = 0; l < layerCount(c.spec); l++) {
            assertClose(
              `step ${step} ${tensorName(l, 'weight')} grad`,
              grads[l]!.weight,
              expected.grads.dW[l]!,
              TOL.grad,
              undefined,
              c.spec.sizes[l]!,
            );
            assertClose(`step ${step} ${tensorName(l, 'bias')} grad`, grads[l]!.bias, expected.grads.db[l]!, TOL.grad);
            const bn = expected.grads.bn?.[l];
            expect(grads[l]!.bn !== undefined, `${tensorName(l, 'bn_gamma')} grad present`).toBe(bn !== undefined);
            if (bn) {
              assertClose(`step ${step} ${tensorName(l, 'bn_gamma')} grad`, grads[l]!.bn!.gamma, bn.dGamma, TOL.grad);
              assertClose(`step ${step} ${tensorName(l, 'bn_beta')} grad`, grads[l]!.bn!.beta, bn.dBeta, TOL.grad);
            }
          }
          start = start + rows >= c.n ? 0 : start + rows;
        }
        const final = await plan.readParams();
        for (let l = 0; l < layerCount(c.spec); l++) {
          // Every tensor by name: weight, bias, and with batch norm γ, β and the running mean and var.
          const want = new Map(layerTensors(ref[l]!));
          const got = layerTensors(final[l]!);
          expect(got.map(([k]) => k)).toEqual([...want.keys()]);
          for (const [kind, data] of got)
            assertClose(
              tensorName(l, kind),
              data,
              want.get(kind)!,
              TOL.value,
              undefined,
              kind === 'weight' ? c.spec.sizes[l]! : 1,
            );
        }
        expect(liveBufferStats().buffers, 'buffers allocated inside steps').toBe(buffers);
      } finally {
        plan.destroy();
      }
    });
  }

  // Test that whole-split evaluation on the GPU matches the CPU reference backend (loss and accuracy, or
  // for regression the sum of absolute errors), and with batch norm, after a few training steps, that
  // both use the running averages.
  for (const [batchNorm, regression] of [
    [false, false],
    [true, false],
    [false, true],
  ] as const)
    it(`evaluate matches the CPU reference${batchNorm ? ' (batch norm, inference mode)' : ''}${regression ? ' (regression)' : ''}`, async () => {
      const spec: ModelSpec = {
        sizes: [8, 12, 4],
        activation: 'relu',
        loss: regression ? 'mse' : 'ce',
        ...(batchNorm ? { batchNorm } : {}),
      };
      const rng = new Rng(3);
      const { x, y } = data(spec, 150, rng, regression);
      const init = {
        spec,
        params: initParams(spec, 1),
        train: { x, y, n: 150 },
        test: { x: x.subarray(0, 8 * 70), y: y.subarray(0, 4 * 70), n: 70 },
        maxBatch: 32,
        regression,
      };
      const plan = await TrainingPlan.create(gpu(), init);
      const cpu = CpuBackend.create(init);
      try {
        if (batchNorm) for (const b of [plan, cpu]) for (let i = 0; i < 3; i++) b.step(i * 32, 32, 0.1);
        for (const split of ['train', 'test'] as const) {
          const [g, e] = [await plan.evaluate(split), await cpu.evaluate(split)];
          expect(g.count).toBe(e.count);
          assertClose(`${split} loss sum`, [g.lossSum], [e.lossSum], TOL.value);
          if (regression) assertClose(`${split} abs error sum`, [g.correct], [e.correct], TOL.value);
          else expect(g.correct).toBe(e.correct);
        }
      } finally {
        plan.destroy();
        cpu.destroy();
      }
    });

  // Test that a plan refuses a step larger than the batch it was built for, naming both numbers.
  it('rejects a step over the planned batch', async () => {
    const spec: ModelSpec = { sizes: [2, 3, 1], activation: 'relu', loss: 'bce' };
    const d = { x: new Float32Array(20), y: new Float32Array(10), n: 10 };
    const plan = await TrainingPlan.create(gpu(), {
      spec,
      params: initParams(spec, 1),
      train: d,
      test: d,
      maxBatch: 4,
    });
    try {
      expect(() => plan.step(0, 5, 0.1)).toThrow(/5 rows.*1\.\.4/);
    } finally {
      plan.destroy();
    }
  });
});
