// Device loss: destroy the WebGPU device mid-training; the trainer must get a new device, resume from its
// last checkpoint and end with exactly the weights of an uninterrupted run.
import { describe, expect, it } from 'vitest';
import { targets } from '../../src/data/dataset.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { acquireDevice, type GpuContext } from '../../src/gpu/device.ts';
import { trainResilient } from '../../src/gpu/recovery.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec, Params } from '../../src/model.ts';
import type { LoopPosition } from '../../src/train/checkpoint.ts';
import { runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { useDevice } from './fixture.ts';

useDevice();

const data = syntheticDataset('spiral', 240, 3);
const split = { x: data.x, y: targets(data), n: data.n };
const spec: ModelSpec = { sizes: [2, 16, 16, 3], activation: 'tanh', loss: 'ce' };
const init = { spec, params: initParams(spec, 5), train: split, test: split, maxBatch: 32 };
const loop = { epochs: 40, batchSize: 32, lr: 0.3, seed: 9, shuffle: true, evalEvery: 25 }; // 8 steps an epoch, 320 steps

describe('device loss', () => {
  // Test that a device destroyed mid-run is replaced, training resumes from the last checkpoint, and the
  // final weights are bit-identical to an uninterrupted run (from scratch and from that checkpoint), also
  // when the resilient run records 3 steps per submit and the uninterrupted ones 1.
  for (const stepsPerSubmit of [1, 3]) it(`recovers from device.destroy() and ends with the uninterrupted result (steps per submit: ${stepsPerSubmit})`, async () => {
    const contexts: GpuContext[] = [];
    const events: TrainEvent[] = [];
    const checkpoints: { position: LoopPosition; params: Params }[] = [];
    let killed = false;
    const result = await trainResilient({
      init, trainRows: split.n, testRows: split.n, loop, checkpointEvery: 50, planOptions: { stepsPerSubmit },
      acquire: async () => {
        const ctx = await acquireDevice();
        contexts.push(ctx);
        return ctx;
      },
      emit: (e) => {
        events.push(e);
        if (!killed && e.type === 'progress' && e.step >= 175) {
          killed = true;
          contexts[0]!.device.destroy(); // the loss, mid-training
        }
      },
      onCheckpoint: (c) => void checkpoints.push(c),
    });
    expect(killed).toBe(true);
    expect(result.recoveries).toBe(1);
    expect(contexts.length).toBe(2);
    const recovered = events.find((e) => e.type === 'recovered');
    expect(recovered).toMatchObject({ type: 'recovered', fromStep: 150 });
    expect(result.summary.steps).toBe(320);

    // Uninterrupted, from scratch.
    const ctx = await acquireDevice();
    try {
      const plan = await TrainingPlan.create(ctx, init, { stepsPerSubmit: 1 });
      await runTraining(plan, split.n, split.n, loop, () => {});
      expect(result.params).toEqual(await plan.readParams());
      plan.destroy();
      // Uninterrupted from the checkpoint the recovery used.
      const cp = checkpoints.find((c) => c.position.step === 150)!;
      const fromCp = await TrainingPlan.create(ctx, { ...init, params: cp.params }, { stepsPerSubmit: 1 });
      await runTraining(fromCp, split.n, split.n, loop, () => {}, { resume: cp.position });
      expect(result.params).toEqual(await fromCp.readParams());
      fromCp.destroy();
    } finally {
      ctx.device.destroy();
    }
  });
});
