// Streamed data: a plan whose data does not fit its budget trains from two shard buffers written from
// the CPU. Every number must be bit-identical to the resident plan's: losses, evaluations (of the
// training split too, in chunks), checkpoints and final weights, for any shard size and steps per submit.
import { describe, expect, it } from 'vitest';
import { planMemory, TrainingPlan } from '../../src/gpu/plan.ts';
import { dataLayout } from '../../src/gpu/shards.ts';
import { initParams } from '../../src/init.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import type { Stats, TrainConfig } from '../../src/train/backend.ts';
import { runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const N = 100; // 7 steps an epoch: 6 of 16 rows and a partial 4
const TEST = 30;
const BATCH = 16;

function dataset(spec: ModelSpec, n: number, seed: number) {
  const rng = new Rng(seed);
  const out = spec.sizes[spec.sizes.length - 1]!;
  const x = randomArray(n * spec.sizes[0]!, rng);
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) y[r * out + rng.int(out)] = 1;
  return { x, y, n };
}

/** Every float as its bit pattern, so that "equal" means bit-identical. */
const bits = (p: Params): number[][] =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const f32bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const statBits = (s: Stats) => [f32bits(s.lossSum), s.correct, s.count];

/** A budget that gives shards of `batches` batches: both shard buffers, whole batches of x and y. */
const budgetFor = (spec: ModelSpec, batches: number) =>
  2 * batches * BATCH * (spec.sizes[0]! + spec.sizes[spec.sizes.length - 1]!) * 4;

/** 3 shuffled epochs through the training loop with a test split, stats every 3 steps, a checkpoint
 *  every 5 steps that also evaluates the training split (mid-epoch, so the shard being trained on is
 *  overwritten and must come back), then the final weights and evaluations. */
async function run(spec: ModelSpec, config: Partial<TrainConfig>, stepsPerSubmit: number, dataBudgetBytes?: number) {
  const [train, test] = [dataset(spec, N, 11), dataset(spec, TEST, 12)];
  const plan = await TrainingPlan.create(
    gpu(),
    { spec, params: initParams(spec, 3), train, test, maxBatch: BATCH, config },
    { stepsPerSubmit, matmul: 'blocked', ...(dataBudgetBytes !== undefined ? { dataBudgetBytes } : {}) },
  );
  try {
    const seen: unknown[] = [];
    const events: TrainEvent[] = [];
    await runTraining(
      plan,
      N,
      TEST,
      { epochs: 3, batchSize: BATCH, lr: 0.05, seed: 2, shuffle: true, evalEvery: 3 },
      (e) => events.push(e),
      {
        checkpointEvery: 5,
        onCheckpoint: async (c) =>
          void seen.push(['checkpoint', c.position.step, bits(c.params), statBits(await plan.evaluate('train'))]),
      },
    );
    for (const e of events) {
      if (e.type === 'progress') seen.push(['progress', e.step, f32bits(e.loss), e.accuracy]);
      if (e.type === 'epoch') seen.push(['epoch', e.step, e.testLoss, e.testAccuracy]);
      if (e.type === 'summary') seen.push(['summary', e.loss, e.trainAccuracy, e.testLoss, e.testAccuracy]);
    }
    seen.push(['params', bits(await plan.readParams())], ['grads', bits(await plan.readGrads())]);
    seen.push(['train', statBits(await plan.evaluate('train'))], ['test', statBits(await plan.evaluate('test'))]);
    return { seen, layout: plan.layout };
  } finally {
    plan.destroy();
  }
}

describe('training data streamed in shards', () => {
  const configs: [string, ModelSpec, Partial<TrainConfig>][] = [
    ['plain sgd', { sizes: [12, 10, 8, 4], activation: 'relu', loss: 'ce' }, {}],
    [
      'adam + L2 + dropout + batch norm',
      { sizes: [12, 10, 8, 4], activation: 'relu', loss: 'ce', batchNorm: true },
      { optimizer: 'adam', l2: 0.2, keepProb: 0.7, dropoutSeed: 4 },
    ],
  ];
  for (const [label, spec, config] of configs) {
    // Test that shards of 1, 2 and 3 batches (7, 4 and 3 shards an epoch: 3 does not divide the
    // epoch's 7 steps, and the last step is partial), at 1 and 3 steps per submit, give the resident
    // plan's losses, test and train evaluations, checkpoints, gradients and weights, bit for bit.
    it(`${label}: bit-identical to resident data`, async () => {
      const resident = await run(spec, config, 1);
      expect(resident.layout).toEqual({ mode: 'resident' });
      expect(resident.seen.length).toBeGreaterThan(15);
      for (const k of [1, 3]) {
        for (const batches of [1, 2, 3]) {
          const sharded = await run(spec, config, k, budgetFor(spec, batches));
          expect(sharded.layout, `${batches} batches`).toEqual({ mode: 'sharded', shardRows: batches * BATCH });
          expect(sharded.seen, `shards of ${batches} batches, ${k} steps per submit`).toEqual(resident.seen);
        }
      }
    });
  }

  // Test that planMemory, before allocation, lists the sharded plan's buffers: two shard buffers of x
  // and y instead of the splits, no order buffer, an identity index of one shard.
  it('planMemory lists the shard buffers', async () => {
    const spec: ModelSpec = { sizes: [12, 10, 4], activation: 'relu', loss: 'ce' };
    const budget = budgetFor(spec, 2);
    const layout = dataLayout(spec, { train: N, test: TEST, dev: 0 }, BATCH, gpu().device.limits, budget);
    expect(layout).toEqual({ mode: 'sharded', shardRows: 32 });
    const plan = await TrainingPlan.create(
      gpu(),
      { spec, params: initParams(spec, 1), train: dataset(spec, N, 1), test: dataset(spec, TEST, 2), maxBatch: BATCH },
      { dataBudgetBytes: budget },
    );
    try {
      const estimate = planMemory(
        spec,
        {},
        BATCH,
        { train: N, test: TEST, dev: 0 },
        gpu().device.limits.minStorageBufferOffsetAlignment,
        false,
        layout,
      );
      const actual = plan.memory();
      const byName = new Map(actual.map((b) => [b.name, b.bytes]));
      for (const b of estimate) expect(byName.get(b.name), `buffer ${b.name}`).toBe(b.bytes);
      const listed = new Set(estimate.map((b) => b.name));
      for (const b of actual.filter((b) => !listed.has(b.name))) expect(b.name).toMatch(/\.uniform$|^readback$/);
      expect(byName.get('shard1.x')).toBe(32 * 12 * 4);
      expect([...byName.keys()].filter((n) => /^(train|test|order)(\.|$)/.test(n))).toEqual([]);
    } finally {
      plan.destroy();
    }
  });

  // Test that the library's trainer with gpuDataBudget reports sharded data in its 'memory' event and
  // ends with the weights and train/test evaluations of a trainer without it.
  it('createTrainer({ gpuDataBudget }): same fit as resident', async () => {
    const spec: ModelSpec = { sizes: [12, 10, 4], activation: 'relu', loss: 'ce' };
    const { x, y } = dataset(spec, N, 5);
    const labels = Uint32Array.from({ length: N }, (_, r) => y.subarray(r * 4, r * 4 + 4).indexOf(1));
    const train = { x: x.subarray(0, 80 * 12), labels: labels.subarray(0, 80) };
    const test = { x: x.subarray(80 * 12), labels: labels.subarray(80) };
    const fit = async (gpuDataBudget?: number) => {
      const t = await createTrainer({
        spec,
        seed: 4,
        optimizer: 'momentum',
        device: gpu().device,
        matmul: 'blocked',
        plan: 'layered', // resident and sharded on the same path (sharded data is never fused)
        ...(gpuDataBudget ? { gpuDataBudget } : {}),
      });
      try {
        const memory: TrainEvent[] = [];
        await t.fit(train, {
          epochs: 2,
          batchSize: 8,
          lr: 0.1,
          test,
          onEvent: (e) => void (e.type === 'memory' && memory.push(e)),
        });
        return {
          memory,
          params: bits(await t.getParams()),
          train: await t.evaluate(train),
          test: await t.evaluate(test),
        };
      } finally {
        t.destroy();
      }
    };
    const resident = await fit();
    const sharded = await fit(1000); // 1000 / 2 / (8 rows × 64 bytes): one batch a shard
    expect(resident.memory[0]).toMatchObject({ data: { mode: 'resident' } });
    expect(sharded.memory[0]).toMatchObject({ data: { mode: 'sharded', shardRows: 8, shards: 10 } });
    expect(sharded.params).toEqual(resident.params);
    expect([sharded.train, sharded.test]).toEqual([resident.train, resident.test]);
  });
});
