// The plan's host counters (src/gpu/counters.ts), which the bench's host cost reports per step: every
// dispatch and bind-group set counted, one buffer write (the step table) and one submit per group, and
// a uniform write only when a slot's row count changes.
import { describe, expect, it } from 'vitest';
import type { HostCounts } from '../../src/gpu/counters.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import type { ModelSpec } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import type { TrainConfig } from '../../src/train/backend.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const spec: ModelSpec = { sizes: [12, 8, 3], activation: 'relu', loss: 'ce' };
const N = 32;
const BATCH = 16;

function data() {
  const rng = new Rng(4);
  const y = new Float32Array(N * 3);
  for (let r = 0; r < N; r++) y[r * 3 + rng.int(3)] = 1;
  return { x: randomArray(N * 12, rng), y, n: N };
}

const since = (a: HostCounts, b: HostCounts) => ({
  dispatches: a.dispatches - b.dispatches,
  bindGroupSets: a.bindGroupSets - b.bindGroupSets,
  bufferWrites: a.bufferWrites - b.bufferWrites,
  submits: a.submits - b.submits,
});

/** Counts of `steps` steps at a fixed start, rows and lr, after `warm` steps of the same (which write
 *  every slot's uniforms once). */
async function stepCounts(
  config: Partial<TrainConfig>,
  stepsPerSubmit: number,
  warm: number,
  steps: number,
): Promise<{ counts: HostCounts; perStep: number }> {
  const d = data();
  const plan = await TrainingPlan.create(
    gpu(),
    { spec, params: initParams(spec, 1), train: d, test: d, maxBatch: BATCH, config },
    { stepsPerSubmit, matmul: 'blocked' },
  );
  try {
    for (let i = 0; i < warm; i++) plan.step(0, BATCH, 0.1);
    plan.flush();
    const before = plan.counters;
    for (let i = 0; i < steps; i++) plan.step(0, BATCH, 0.1);
    const counts = since(plan.counters, before);
    await plan.takeTrainStats();
    return { counts, perStep: plan.dispatchesPerStep };
  } finally {
    plan.destroy();
  }
}

describe('host counters', () => {
  // Test that a steady SGD step counts its dispatches and bind-group sets, writes the step table and
  // no uniform (all unchanged), and submits once per step.
  it('sgd, one step per submit', async () => {
    const { counts, perStep } = await stepCounts({}, 1, 1, 6);
    expect(counts).toEqual({ dispatches: 6 * perStep, bindGroupSets: 6 * perStep, bufferWrites: 6, submits: 6 });
  });

  // Test that with 4 steps per submit the submits and the step-table writes are one per group, and the
  // uniforms of each slot, written by the first group, are not written again.
  it('sgd, four steps per submit', async () => {
    const { counts, perStep } = await stepCounts({}, 4, 4, 8);
    expect(counts).toEqual({ dispatches: 8 * perStep, bindGroupSets: 8 * perStep, bufferWrites: 2, submits: 2 });
  });

  // Test that Adam's bias corrections, which change every step, travel in the step table: still one
  // write per step, no uniform written.
  it('adam: its corrections in the step table, one write per step', async () => {
    const { counts } = await stepCounts({ optimizer: 'adam' }, 1, 1, 5);
    expect(counts.bufferWrites).toBe(5);
    expect(counts.submits).toBe(5);
  });

  // Test that a uniform write is counted when it happens: a step of another row count (the last,
  // partial batch of an epoch) rewrites the uniforms of its slot, once.
  it('a new row count writes the uniforms once', async () => {
    const d = data();
    const plan = await TrainingPlan.create(
      gpu(),
      { spec, params: initParams(spec, 1), train: d, test: d, maxBatch: BATCH, config: {} },
      { matmul: 'blocked' },
    );
    try {
      plan.step(0, BATCH, 0.1);
      plan.flush();
      const before = plan.counters;
      plan.step(0, 5, 0.1);
      plan.step(0, 5, 0.1);
      const counts = since(plan.counters, before);
      // Ops whose uniform depends on the row count write once (the first step), then nothing.
      expect(counts.bufferWrites).toBeGreaterThan(2);
      expect(counts.bufferWrites).toBeLessThanOrEqual(2 + plan.dispatchesPerStep);
      const again = plan.counters;
      plan.step(0, 5, 0.1);
      expect(since(plan.counters, again).bufferWrites).toBe(1);
      await plan.takeTrainStats();
    } finally {
      plan.destroy();
    }
  });

  // Test that Trainer.stepper exposes the plan's counters on the GPU and none on the CPU reference.
  it('Trainer.stepper', async () => {
    const d = data();
    const g = await createTrainer({ spec, device: gpu().device, matmul: 'blocked', plan: 'layered' });
    const c = await createTrainer({ spec, device: 'cpu' });
    try {
      const steps = await g.stepper({ x: d.x, y: d.y }, { batchSize: BATCH, lr: 0.1 });
      steps.step();
      await steps.sync();
      const before = steps.counters!();
      steps.step();
      steps.step();
      await steps.sync();
      expect(since(steps.counters!(), before).submits).toBe(2);
      expect((await c.stepper({ x: d.x, y: d.y }, { batchSize: BATCH, lr: 0.1 })).counters).toBeUndefined();
    } finally {
      g.destroy();
      c.destroy();
    }
  });
});
