// The fused step (shaders/fused_step.wgsl) against the float64 reference, step by step, as the golden
// test does for the layered plan: K steps run in one dispatch, every step's loss is compared, and
// after each dispatch the gradients its last step applied and every parameter, by name. With K = 1
// that is every gradient at every step. Several models in one dispatch are each compared with their
// own reference run and must be bit-identical to their solo fused runs.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { FusedTrainer, type FusedInit, type FusedVariant } from '../../src/gpu/fused.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, layerTensors, tensorName, type ModelSpec, type Params } from '../../src/model.ts';
import { toParams64, trainStep, zeroState, type OptimizerState, type Params64 } from '../../src/reference/mlp.ts';
import { gather } from '../../src/reference/ops.ts';
import { resolveConfig, type TrainConfig } from '../../src/train/backend.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

interface Case {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly n: number;
  readonly batch: number;
  readonly steps: number;
  /** Steps per dispatch. */
  readonly k: number;
  /** One entry per model trained side by side in the dispatch. */
  readonly models: readonly { readonly lr: number; readonly config?: Partial<TrainConfig>; readonly seed?: number }[];
  readonly regression?: boolean;
  readonly variant?: FusedVariant;
  /** The kernel's workgroup size (default: FusedTrainer.create's pick for the adapter). */
  readonly workgroupSize?: number;
}

const MOONS: ModelSpec = { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' };
const CANCER: ModelSpec = { sizes: [30, 16, 8, 1], activation: 'relu', loss: 'bce' };
const CASES: Case[] = [
  // 100 rows in batches of 32: the fourth step is a partial batch of 4, the fifth starts the next epoch.
  {
    label: 'moons [2,16,16,1] tanh BCE b32, one step a dispatch',
    spec: MOONS,
    n: 100,
    batch: 32,
    steps: 7,
    k: 1,
    models: [{ lr: 0.5 }],
  },
  {
    label: 'moons [2,16,16,1] tanh BCE b32, 4 steps a dispatch',
    spec: MOONS,
    n: 100,
    batch: 32,
    steps: 12,
    k: 4,
    models: [{ lr: 0.5 }],
  },
  // Full batch: every step the same 64 rows.
  { label: '[30,16,8,1] relu BCE full batch', spec: CANCER, n: 64, batch: 64, steps: 5, k: 1, models: [{ lr: 0.1 }] },
  {
    label: '[30,16,8,1] relu BCE b64 of 150, 5 steps a dispatch',
    spec: CANCER,
    n: 150,
    batch: 64,
    steps: 10,
    k: 5,
    models: [{ lr: 0.1 }],
  },
  // More rows than the workgroup's 64 threads: each thread takes several rows.
  {
    label: '[4,16,3] relu CE b100, rows past the workgroup',
    spec: { sizes: [4, 16, 3], activation: 'relu', loss: 'ce' },
    n: 130,
    batch: 100,
    steps: 4,
    k: 2,
    models: [{ lr: 0.2 }],
  },
  {
    label: '[4,16,3] sigmoid CE b16, 3 steps a dispatch',
    spec: { sizes: [4, 16, 3], activation: 'sigmoid', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 6,
    k: 3,
    models: [{ lr: 0.3 }],
  },
  {
    label: 'regression [3,12,12,2] leaky_relu MSE',
    spec: { sizes: [3, 12, 12, 2], activation: 'leaky_relu', loss: 'mse' },
    n: 50,
    batch: 20,
    steps: 6,
    k: 3,
    models: [{ lr: 0.02 }],
    regression: true,
  },
  {
    label: 'one layer [5,3] MSE classification',
    spec: { sizes: [5, 3], activation: 'relu', loss: 'mse' },
    n: 30,
    batch: 10,
    steps: 4,
    k: 2,
    models: [{ lr: 0.3 }],
  },
  {
    label: 'adam + L2, [30,16,8,1] relu BCE',
    spec: CANCER,
    n: 100,
    batch: 32,
    steps: 8,
    k: 4,
    models: [{ lr: 0.01, config: { optimizer: 'adam', l2: 0.5 } }],
  },
  {
    label: 'momentum + L2, moons',
    spec: MOONS,
    n: 100,
    batch: 32,
    steps: 6,
    k: 3,
    models: [{ lr: 0.1, config: { optimizer: 'momentum', l2: 0.2 } }],
  },
  {
    label: 'rmsprop, [4,16,3] tanh CE',
    spec: { sizes: [4, 16, 3], activation: 'tanh', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 6,
    k: 2,
    models: [{ lr: 0.01, config: { optimizer: 'rmsprop' } }],
  },
  // A deep and a widest net at the envelope's edge.
  {
    label: 'deep [8,10,10,10,10,10,10,2] tanh CE',
    spec: { sizes: [8, 10, 10, 10, 10, 10, 10, 2], activation: 'tanh', loss: 'ce' },
    n: 40,
    batch: 16,
    steps: 4,
    k: 2,
    models: [{ lr: 0.1 }],
  },
  {
    label: 'envelope edge [64,64,64,10] relu CE',
    spec: { sizes: [64, 64, 64, 10], activation: 'relu', loss: 'ce' },
    n: 80,
    batch: 40,
    steps: 3,
    k: 3,
    models: [{ lr: 0.05 }],
  },
  // Dropout (dropout_mask.wgsl, the reference's dropoutMask): 90 rows in batches of 32, so the last batch
  // of 26 rows ends in a block of four with two clamped rows (the vec4 kernel's repeated places).
  {
    label: 'dropout 0.8, moons [2,16,16,1] tanh BCE b32',
    spec: MOONS,
    n: 90,
    batch: 32,
    steps: 6,
    k: 3,
    models: [{ lr: 0.5, config: { keepProb: 0.8, dropoutSeed: 3 } }],
  },
  {
    label: 'dropout 0.6 + adam + L2, deep [5,10,7,10,3] relu CE b18',
    spec: { sizes: [5, 10, 7, 10, 3], activation: 'relu', loss: 'ce' },
    n: 50,
    batch: 18,
    steps: 6,
    k: 2,
    models: [{ lr: 0.01, config: { optimizer: 'adam', l2: 0.2, keepProb: 0.6, dropoutSeed: 9 } }],
  },
  // Three models in one dispatch (a sweep): lr × L2 on Adam.
  {
    label: 'three models side by side, adam',
    spec: MOONS,
    n: 100,
    batch: 32,
    steps: 6,
    k: 3,
    models: [
      { lr: 0.01, config: { optimizer: 'adam' } },
      { lr: 0.03, config: { optimizer: 'adam', l2: 0.3 } },
      { lr: 0.003, config: { optimizer: 'adam', beta1: 0.8 } },
    ],
  },
  // Three models with dropout, one keeping every unit: each equals its solo run (with no dropout at all).
  {
    label: 'three models side by side, dropout 0.7 / none / 0.5',
    spec: MOONS,
    n: 100,
    batch: 30,
    steps: 6,
    k: 3,
    models: [
      { lr: 0.3, config: { keepProb: 0.7, dropoutSeed: 1 } },
      { lr: 0.3 },
      { lr: 0.1, config: { keepProb: 0.5, dropoutSeed: 2 } },
    ],
  },
  // Batch norm on every hidden layer (μ, σ² over the step's rows; γ, β trained; running averages moved):
  // partial batches (100 rows in 32s: a last batch of 4, not a multiple of 4 rows in 30s), dropout,
  // every optimizer, the three losses.
  {
    label: 'batch norm, moons [2,16,16,1] tanh BCE b32',
    spec: { ...MOONS, batchNorm: true },
    n: 100,
    batch: 32,
    steps: 6,
    k: 3,
    models: [{ lr: 0.5 }],
  },
  {
    label: 'batch norm + adam + L2, [30,16,8,1] relu BCE b30',
    spec: { ...CANCER, batchNorm: true },
    n: 100,
    batch: 30,
    steps: 8,
    k: 4,
    models: [{ lr: 0.01, config: { optimizer: 'adam', l2: 0.5 } }],
  },
  {
    label: 'batch norm + dropout 0.7 + momentum, [5,10,7,10,3] sigmoid CE b18',
    spec: { sizes: [5, 10, 7, 10, 3], activation: 'sigmoid', loss: 'ce', batchNorm: true },
    n: 50,
    batch: 18,
    steps: 6,
    k: 2,
    models: [{ lr: 0.1, config: { optimizer: 'momentum', keepProb: 0.7, dropoutSeed: 5 } }],
  },
  // lr 0.001: at 0.01 the layered plan (golden.test.ts's data and seeds are these) has the same float32
  // layers.1.weight as this kernel after step 2, 4.9e-5 off the float64 reference at a weight of 0.28:
  // RMSprop divides by √s, so the gradients' float32 error becomes an error of lr's size in the weights,
  // which this test's value check after every dispatch (golden checks the last step only) rejects.
  {
    label: 'batch norm + rmsprop, regression [3,12,12,2] leaky_relu MSE b21',
    spec: { sizes: [3, 12, 12, 2], activation: 'leaky_relu', loss: 'mse', batchNorm: true },
    n: 50,
    batch: 21,
    steps: 6,
    k: 3,
    models: [{ lr: 0.001, config: { optimizer: 'rmsprop' } }],
    regression: true,
  },
  {
    label: 'batch norm, three models side by side, adam / dropout 0.6 / sgd',
    spec: { ...MOONS, batchNorm: true },
    n: 100,
    batch: 30,
    steps: 6,
    k: 3,
    models: [
      { lr: 0.01, config: { optimizer: 'adam' } },
      { lr: 0.03, config: { optimizer: 'adam', keepProb: 0.6, dropoutSeed: 4 } },
      { lr: 0.003, config: { optimizer: 'adam', l2: 0.3 } },
    ],
  },
];

function data(spec: ModelSpec, n: number, rng: Rng, regression = false): { x: Float32Array; y: Float32Array } {
  const out = spec.sizes[spec.sizes.length - 1]!;
  const x = randomArray(n * spec.sizes[0]!, rng);
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) {
    if (regression) for (let j = 0; j < out; j++) y[r * out + j] = 3 * rng.normal() + 1;
    else if (spec.loss === 'mse') for (let j = 0; j < out; j++) y[r * out + j] = rng.next();
    else if (out === 1) y[r] = rng.int(2);
    else y[r * out + rng.int(out)] = 1;
  }
  return { x, y };
}

/** A model's float64 reference run, stepped alongside the GPU. */
interface RefModel {
  readonly params: Params64;
  readonly state: OptimizerState;
  readonly lr: number;
  readonly config?: TrainConfig;
}

function fusedInit(c: Case, x: Float32Array, y: Float32Array, models: Case['models']): FusedInit {
  return {
    variant: c.variant,
    ...(c.workgroupSize ? { workgroupSize: c.workgroupSize } : {}),
    spec: c.spec,
    configs: models.map((m) => resolveConfig(m.config ?? {})),
    batch: c.batch,
    n: c.n,
    stepsPerSubmit: c.k,
    regression: c.regression === true,
    init: models.map((model, m) => initParams(c.spec, model.seed ?? 7 + m)),
    x,
    y,
  };
}

/** Runs the case's steps in groups of k; returns each model's final parameters. */
async function runCase(c: Case, check: boolean): Promise<Params[]> {
  const rng = new Rng(42);
  const { x, y } = data(c.spec, c.n, rng, c.regression);
  const order = rng.permutation(c.n);
  const init = fusedInit(c, x, y, c.models);
  const refs: RefModel[] = c.models.map((m, i) => {
    const params = toParams64(init.init[i]!);
    return { params, state: zeroState(params), lr: m.lr, ...(m.config ? { config: init.configs[i]! } : {}) };
  });
  const plan = await FusedTrainer.create(gpu(), init);
  try {
    c.models.forEach((_, m) => plan.setOrder(order, m));
    const buffers = liveBufferStats().buffers;
    const [inputs, outputs] = [c.spec.sizes[0]!, c.spec.sizes[c.spec.sizes.length - 1]!];
    let start = 0;
    for (let step = 0; step < c.steps; step += c.k) {
      const group = Array.from({ length: Math.min(c.k, c.steps - step) }, (_, i) => {
        const s = { start, t: step + i + 1, lrs: c.models.map((m) => m.lr), rows: Math.min(c.batch, c.n - start) };
        start = start + s.rows >= c.n ? 0 : start + s.rows;
        return s;
      });
      plan.run(group);
      if (!check) continue;
      const stats = await plan.readStats();
      for (const [m, ref] of refs.entries()) {
        let expected: ReturnType<typeof trainStep> | undefined;
        for (const [i, s] of group.entries()) {
          const bx = gather(x, order, s.start, s.rows, inputs);
          const by = gather(y, order, s.start, s.rows, outputs);
          const opt = ref.config ? { config: ref.config, state: ref.state, t: s.t } : undefined;
          expected = trainStep(c.spec, ref.params, bx, by, s.rows, ref.lr, opt, c.regression === true);
          const got = stats[m]![i]!;
          const at = `model ${m} step ${step + i}`;
          assertClose(`${at} loss`, [got.lossSum / s.rows], [expected.loss], TOL.value);
          if (c.regression) assertClose(`${at} abs error sum`, [got.correct], [expected.correct], TOL.value);
        }
        const at = `model ${m} step ${step + group.length - 1}`;
        const [grads, params] = [await plan.readParams(m, 1), await plan.readParams(m, 0)];
        for (let l = 0; l < layerCount(c.spec); l++) {
          const cols = c.spec.sizes[l]!;
          // Gradients by name: dW, db, and with batch norm dγ, dβ (the running averages have none).
          const g = expected!.grads;
          const want = { weight: g.dW[l]!, bias: g.db[l]!, bn_gamma: g.bn?.[l]?.dGamma, bn_beta: g.bn?.[l]?.dBeta };
          for (const [kind, got] of layerTensors(grads[l]!)) {
            if (kind === 'bn_mean' || kind === 'bn_var') continue;
            const w = want[kind];
            expect(w, `${at} ${tensorName(l, kind)} grad in the reference`).toBeDefined();
            assertClose(
              `${at} ${tensorName(l, kind)} grad`,
              got,
              w!,
              TOL.grad,
              undefined,
              kind === 'weight' ? cols : undefined,
            );
          }
          // Every parameter by name, batch norm's γ, β and running mean and var included.
          const ours = new Map(layerTensors(ref.params[l]!));
          const names = layerTensors(params[l]!).map(([k]) => k);
          expect(names, `${at} layers.${l} tensors`).toEqual([...ours.keys()]);
          for (const [kind, got] of layerTensors(params[l]!))
            assertClose(
              `${at} ${tensorName(l, kind)}`,
              got,
              ours.get(kind)!,
              TOL.value,
              undefined,
              kind === 'weight' ? cols : undefined,
            );
        }
      }
    }
    expect(liveBufferStats().buffers, 'buffers allocated inside steps').toBe(buffers);
    expect(plan.counters.dispatches, 'one dispatch a group').toBe(Math.ceil(c.steps / c.k));
    return await Promise.all(c.models.map((_, m) => plan.readParams(m)));
  } finally {
    plan.destroy();
  }
}

describe('fused step vs CPU reference, step by step', () => {
  // Batch norm runs in the vec4 and lane kernels only (the scalar one refuses it: a test below).
  const variants = (c: Case) =>
    c.spec.batchNorm ? (['vec4', 'lane'] as const) : (['scalar', 'vec4', 'lane'] as const);
  for (const c of CASES.flatMap((c) => variants(c).map((variant) => ({ ...c, variant })))) {
    // Test that K fused steps a dispatch agree with the reference in every step's loss, and after each
    // dispatch in the last step's gradients and every parameter.
    it(`${c.variant}: ${c.label}`, async () => {
      const together = await runCase(c, true);
      // Test that each model of the side-by-side run is bit-identical to its solo fused run.
      if (c.models.length > 1)
        for (const [m, model] of c.models.entries()) {
          const [solo] = await runCase({ ...c, models: [{ ...model, seed: model.seed ?? 7 + m }] }, false);
          expect(solo, `model ${m} solo`).toEqual(together[m]);
        }
    });
  }
});

describe('lane kernel', () => {
  const labels = [
    'moons [2,16,16,1] tanh BCE b32, 4',
    '[4,16,3] relu CE b100',
    'regression',
    'deep',
    'three models side by side, adam',
    'dropout 0.6',
    'three models side by side, dropout',
    'batch norm + dropout 0.7',
    'batch norm, three models',
  ];
  for (const c of labels.map((l) => CASES.find((c) => c.label.startsWith(l))!)) {
    // Test that the lane kernel (one invocation a model, fused_step_lane.wgsl) computes the vec4 kernel's
    // parameters bit for bit, whatever its workgroup size: 1, 2 (three models over two workgroups, the
    // last partial) and the adapter's pick. So a sweep's trials on the lane kernel equal their solo
    // fits on the vec4 kernel.
    it(`equals the vec4 kernel bit for bit: ${c.label}`, async () => {
      const vec4 = await runCase({ ...c, variant: 'vec4' }, false);
      for (const workgroupSize of [undefined, 1, 2])
        expect(
          await runCase({ ...c, variant: 'lane', ...(workgroupSize ? { workgroupSize } : {}) }, false),
          `lane@${workgroupSize ?? 'pick'}`,
        ).toEqual(vec4);
    });
  }
});

describe('batch norm in the fused kernels', () => {
  // Test that the scalar kernel refuses a batch-normalised net before allocating anything ('too-large',
  // naming the kernels that take it), while the vec4 kernel takes the same net.
  it('is refused by the scalar kernel, taken by the vec4 one', async () => {
    const c = CASES.find((c) => c.label.startsWith('batch norm, moons'))!;
    const { x, y } = data(c.spec, c.n, new Rng(1));
    const before = liveBufferStats().buffers;
    await expect(FusedTrainer.create(gpu(), fusedInit({ ...c, variant: 'scalar' }, x, y, c.models))).rejects.toThrow(
      /batch norm \(in the 'vec4' and 'lane' kernels/,
    );
    expect(liveBufferStats().buffers).toBe(before);
  });
});
