// Trust: divergence stops training and keeps the last good weights; models past the adapter's limits
// fail with the limit named. (The 10,000-step heap test is in tests/browser-alone/, run with nothing beside it.)
import { describe, expect, it } from 'vitest';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { targets } from '../../src/data/dataset.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { DivergenceError, runTraining } from '../../src/train/loop.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const moons = syntheticDataset('moons', 200, 1);
const split = { x: moons.x, y: targets(moons), n: moons.n };
const spec: ModelSpec = { sizes: [2, 8, 1], activation: 'relu', loss: 'bce' };

describe('trust', () => {
  // Test that a NaN/Inf loss stops training with the steps named and the parameters restored to the last good ones.
  it('divergence guard restores the last good weights', async () => {
    const params = initParams(spec, 1);
    const plan = await TrainingPlan.create(gpu(), { spec, params, train: split, test: split, maxBatch: 20 });
    try {
      const run = runTraining(
        plan,
        200,
        0,
        { epochs: 5, batchSize: 20, lr: 1e12, seed: 1, shuffle: true, evalEvery: 10 },
        () => {},
      );
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DivergenceError);
      expect((err as DivergenceError).message).toMatch(/loss is (NaN|Infinity|-Infinity) in steps \d+\.\.\d+/);
      const good = (err as DivergenceError).goodStep;
      const restored = await plan.readParams();
      for (const l of restored) expect([...l.weight, ...l.bias].every(Number.isFinite)).toBe(true);
      // With lr 1e12 the first period is already off the rails, so the last good weights are the initial ones.
      expect(good).toBe(0);
      expect(restored[0]!.weight).toEqual(params[0]!.weight);
      expect(restored[1]!.bias).toEqual(params[1]!.bias);
    } finally {
      plan.destroy();
    }
  });

  // Test that a model past the adapter's buffer limits fails at plan creation naming the limit and the sizes.
  it('a layer past the adapter limits is refused with the limit named', async () => {
    const limit = gpu().device.limits.maxStorageBufferBindingSize;
    const wide = Math.ceil(limit / 4 / 1000) + 1; // a [wide, 1000] weight needs more than the limit
    const big: ModelSpec = { sizes: [1000, wide, 2], activation: 'relu', loss: 'ce' };
    const tiny = { x: new Float32Array(1000), y: new Float32Array(2), n: 1 };
    const params = [{ weight: new Float32Array(0), bias: new Float32Array(0) }]; // never reached
    const before = liveBufferStats().buffers;
    await expect(
      TrainingPlan.create(gpu(), { spec: big, params, train: tiny, test: tiny, maxBatch: 1 }),
    ).rejects.toThrow(
      new RegExp(
        `plan \\[1000,${wide},2\\].*needs \\d+ bytes .*over the adapter's (maxBufferSize|maxStorageBufferBindingSize) of \\d+`,
      ),
    );
    expect(liveBufferStats().buffers).toBe(before); // nothing left behind by the failed plan
  });
});
