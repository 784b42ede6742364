// Several models in one plan (PlanOptions.models): every kernel runs all models in the same dispatch
// (model = workgroup_id.z, per-model buffers model-major). Each model's trajectory must be
// bit-identical to training it alone with a one-model plan of its own configuration — same orders,
// learning rates, initial weights and steps — for every optimizer path, L2, dropout (with different
// seeds and keep-probs per model, including one that keeps everything), batch norm, and shapes that
// end inside a matmul tile; and a model that diverges must not disturb the others. The one-model
// plan itself is checked against the float64 CPU reference in golden.test.ts, so this carries the
// batched kernels back to their CPU twins.
import { describe, expect, it } from 'vitest';
import { TrainingPlan, type PlanOptions } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import type { Stats, TrainConfig } from '../../src/train/backend.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const ROWS = 37; // batches of 8: 4 full and a partial 5
const BATCH = 8;
const EPOCHS = 2;

function dataset(spec: ModelSpec, seed: number) {
  const rng = new Rng(seed);
  const out = spec.sizes[spec.sizes.length - 1]!;
  const x = randomArray(ROWS * spec.sizes[0]!, rng);
  const y = new Float32Array(ROWS * out);
  for (let r = 0; r < ROWS; r++) {
    if (out === 1) y[r] = rng.next() < 0.5 ? 0 : 1;
    else y[r * out + rng.int(out)] = 1;
  }
  return { x, y, n: ROWS };
}

const bits = (p: Params): number[][] =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const f32 = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const statBits = (s: Stats) => [f32(s.lossSum), f32(s.correct), s.count];

interface Run {
  readonly params: number[][][];
  readonly grads: number[][][];
  readonly stats: number[][][];
  readonly evals: number[][][];
}

/** Trains `configs.length` models for EPOCHS epochs: in one plan (together) or one plan each.
 *  Model m starts from initParams(seed 10 + m), shuffles with its own Rng and uses lr0[m] / epoch. */
async function train(
  spec: ModelSpec,
  configs: Partial<TrainConfig>[],
  lr0: number[],
  together: boolean,
  options: PlanOptions = {},
): Promise<Run> {
  const data = dataset(spec, 7);
  const test = dataset(spec, 8);
  const M = configs.length;
  const init = (m: number) => ({
    spec,
    params: initParams(spec, 10 + m),
    train: data,
    test,
    maxBatch: BATCH,
    config: configs[m],
  });
  const plans = together
    ? [await TrainingPlan.create(gpu(), init(0), { ...options, models: configs })]
    : await Promise.all(configs.map((_, m) => TrainingPlan.create(gpu(), init(m), options)));
  const run: Run = { params: [], grads: [], stats: configs.map(() => []), evals: configs.map(() => []) };
  try {
    if (together) for (let m = 1; m < M; m++) plans[0]!.setParams(initParams(spec, 10 + m), m);
    const rngs = configs.map((_, m) => new Rng(100 + m));
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      const orders = rngs.map((r) => r.permutation(ROWS));
      const lrs = lr0.map((lr) => lr / epoch);
      if (together) orders.forEach((o, m) => plans[0]!.setOrder(o, m));
      else orders.forEach((o, m) => plans[m]!.setOrder(o));
      for (let start = 0; start < ROWS; start += BATCH) {
        const rows = Math.min(BATCH, ROWS - start);
        if (together) plans[0]!.step(start, rows, lrs);
        else plans.forEach((p, m) => p.step(start, rows, lrs[m]!));
      }
      const stats = together
        ? await plans[0]!.takeTrainStatsAll()
        : await Promise.all(plans.map((p) => p.takeTrainStats()));
      const evals = together
        ? await plans[0]!.evaluateAll('test')
        : await Promise.all(plans.map((p) => p.evaluate('test')));
      stats.forEach((s, m) => run.stats[m]!.push(statBits(s)));
      evals.forEach((s, m) => run.evals[m]!.push(statBits(s)));
    }
    for (let m = 0; m < M; m++) {
      const p = together ? plans[0]! : plans[m]!;
      const i = together ? m : 0;
      run.params.push(bits(await p.readParams(i)));
      run.grads.push(bits(await p.readGrads(i)));
    }
  } finally {
    for (const p of plans) p.destroy();
  }
  return run;
}

async function expectSameAsAlone(
  spec: ModelSpec,
  configs: Partial<TrainConfig>[],
  lr0: number[],
  options: PlanOptions = {},
) {
  const together = await train(spec, configs, lr0, true, options);
  const alone = await train(spec, configs, lr0, false, options);
  for (let m = 0; m < configs.length; m++) {
    expect(together.stats[m], `model ${m}: training loss and accuracy`).toEqual(alone.stats[m]);
    expect(together.evals[m], `model ${m}: test loss and accuracy`).toEqual(alone.evals[m]);
    expect(together.grads[m], `model ${m}: last gradients`).toEqual(alone.grads[m]);
    expect(together.params[m], `model ${m}: final parameters`).toEqual(alone.params[m]);
  }
  // The models really differ from each other (a test of N copies of one model would prove little).
  if (configs.length > 1) expect(together.params[0]).not.toEqual(together.params[1]);
}

describe('several models in one plan, each bit-identical to its run alone', () => {
  const mlp: ModelSpec = { sizes: [6, 12, 8, 3], activation: 'relu', loss: 'ce' };
  it('one model (the model dimension at 1)', () => expectSameAsAlone(mlp, [{}], [0.3]));
  it('sgd, 2 models, different learning rates', () => expectSameAsAlone(mlp, [{}, {}], [0.3, 0.05]));
  it('adam with L2, 3 models (an odd count), different L2 and β', () =>
    expectSameAsAlone(
      mlp,
      [
        { optimizer: 'adam', l2: 0.01 },
        { optimizer: 'adam', l2: 0 },
        { optimizer: 'adam', l2: 0.1, beta1: 0.8, beta2: 0.99 },
      ],
      [0.01, 0.003, 0.02],
    ));
  it('momentum and rmsprop', async () => {
    await expectSameAsAlone(mlp, [{ optimizer: 'momentum' }, { optimizer: 'momentum', beta1: 0.5 }], [0.1, 0.2]);
    await expectSameAsAlone(mlp, [{ optimizer: 'rmsprop' }, { optimizer: 'rmsprop', beta2: 0.9 }], [0.01, 0.001]);
  });
  it('dropout with each model its own seed and keep-prob (one keeps everything)', () =>
    expectSameAsAlone(
      mlp,
      [{ keepProb: 0.8, dropoutSeed: 1 }, { keepProb: 0.5, dropoutSeed: 2 }, { keepProb: 1 }],
      [0.2, 0.2, 0.2],
    ));
  it('batch norm with adam and dropout, bce', () =>
    expectSameAsAlone(
      { sizes: [5, 9, 7, 1], activation: 'tanh', loss: 'bce', batchNorm: true },
      [
        { optimizer: 'adam', keepProb: 0.9, dropoutSeed: 4 },
        { optimizer: 'adam', l2: 0.05, keepProb: 0.7, dropoutSeed: 5 },
      ],
      [0.01, 0.005],
    ));
  // Widths past a matmul tile edge (blocked: 32, tiled: 64, tiled8: 128) and divisible by 4 (the vec4 kernels), mse.
  for (const matmul of ['blocked', 'tiled', 'tiled8'] as const) {
    it(`tile edges, ${matmul} matmuls, 3 models`, () =>
      expectSameAsAlone(
        { sizes: [36, 68, 132, 4], activation: 'sigmoid', loss: 'mse' },
        [{}, { l2: 0.01 }, {}],
        [0.5, 0.1, 0.9],
        { matmul },
      ));
  }
  it('several steps per submit', () =>
    expectSameAsAlone(mlp, [{ optimizer: 'adam' }, { optimizer: 'adam', l2: 0.01 }], [0.01, 0.02], {
      stepsPerSubmit: 3,
    }));
});

describe('a model that diverges', () => {
  // Model 1's learning rate blows it up; stopped (setActive false) once its loss is seen to be
  // non-finite, it keeps the parameters it had, and models 0 and 2 end exactly as they do alone.
  it('is stopped and reported without disturbing the others', async () => {
    const spec: ModelSpec = { sizes: [6, 12, 8, 3], activation: 'relu', loss: 'ce' };
    const data = dataset(spec, 7);
    const configs: Partial<TrainConfig>[] = [{ optimizer: 'adam' }, { optimizer: 'adam' }, { optimizer: 'adam' }];
    const lrs = [0.01, 1e30, 0.02];
    const plan = await TrainingPlan.create(
      gpu(),
      { spec, params: initParams(spec, 10), train: data, test: data, maxBatch: BATCH, config: configs[0] },
      { models: configs },
    );
    const alone = await Promise.all(
      [0, 2].map((m) =>
        TrainingPlan.create(gpu(), {
          spec,
          params: initParams(spec, 10 + m),
          train: data,
          test: data,
          maxBatch: BATCH,
          config: configs[m],
        }),
      ),
    );
    try {
      plan.setParams(initParams(spec, 11), 1);
      plan.setParams(initParams(spec, 12), 2);
      let frozen: number[][] | undefined;
      for (let epoch = 1; epoch <= 3; epoch++) {
        for (let start = 0; start < ROWS; start += BATCH) {
          const rows = Math.min(BATCH, ROWS - start);
          plan.step(start, rows, lrs);
          alone[0]!.step(start, rows, lrs[0]!);
          alone[1]!.step(start, rows, lrs[2]!);
        }
        const stats = await plan.takeTrainStatsAll();
        if (!Number.isFinite(stats[1]!.lossSum) && plan.running[1]) {
          plan.setActive(1, false);
          frozen = bits(await plan.readParams(1));
        }
        expect(Number.isFinite(stats[0]!.lossSum) && Number.isFinite(stats[2]!.lossSum)).toBe(true);
      }
      expect(plan.running).toEqual([true, false, true]);
      expect(frozen, 'model 1 diverged').toBeDefined();
      expect(bits(await plan.readParams(1)), 'a stopped model is left as it was').toEqual(frozen);
      expect(bits(await plan.readParams(0))).toEqual(bits(await alone[0]!.readParams()));
      expect(bits(await plan.readParams(2))).toEqual(bits(await alone[1]!.readParams()));
    } finally {
      plan.destroy();
      for (const p of alone) p.destroy();
    }
  });
});
