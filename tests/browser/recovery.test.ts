// Device loss: destroy the trainer's WebGPU device mid-training; the library must get a new device,
// resume from its last checkpoint and end with exactly the weights of an uninterrupted run.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { labeled } from '../../src/lib/data.ts';
import { TrainerError } from '../../src/errors.ts';
import { createTrainer, type FitCheckpoint } from '../../src/lib/trainer.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { TrainEvent } from '../../src/train/loop.ts';
import { useDevice } from './fixture.ts';

useDevice();

const data = labeled(syntheticDataset('spiral', 240, 3));
const spec: ModelSpec = { sizes: [2, 16, 16, 3], activation: 'tanh', loss: 'ce' };
const params = initParams(spec, 5);
const fit = { epochs: 40, batchSize: 32, lr: 0.3, seed: 9, evalEvery: 25, test: data }; // 8 steps an epoch, 320 steps

describe('device loss', () => {
  // Test that a device destroyed mid-run is replaced, training resumes from the last checkpoint, and the
  // final weights are bit-identical to an uninterrupted run (from scratch and from that checkpoint), also
  // when the interrupted run records 3 steps per submit and the uninterrupted ones 1.
  for (const stepsPerSubmit of [1, 3])
    it(`recovers from device.destroy() and ends with the uninterrupted result (steps per submit: ${stepsPerSubmit})`, async () => {
      const events: TrainEvent[] = [];
      const checkpoints: FitCheckpoint[] = [];
      const trainer = await createTrainer({ spec, params, device: 'gpu', stepsPerSubmit });
      const first = trainer.gpuDevice!;
      let killed = false;
      const summary = await trainer.fit(data, {
        ...fit,
        checkpointEvery: 50,
        onEvent: (e) => {
          events.push(e);
          if (!killed && e.type === 'progress' && e.step >= 175) {
            killed = true;
            first.destroy(); // the loss, mid-training
          }
        },
        onCheckpoint: (c) => void checkpoints.push(c),
      });
      const got = await trainer.getParams();
      expect(killed).toBe(true);
      expect(trainer.gpuDevice).not.toBe(first);
      expect(events.filter((e) => e.type === 'recovered')).toMatchObject([{ type: 'recovered', fromStep: 150 }]);
      expect(summary.steps).toBe(320);
      trainer.destroy();

      // Uninterrupted, from scratch, and from the checkpoint the recovery used.
      const plain = await createTrainer({ spec, params, device: 'gpu', stepsPerSubmit: 1 });
      try {
        await plain.fit(data, fit);
        expect(got).toEqual(await plain.getParams());
        const cp = checkpoints.find((c) => c.position.step === 150)!;
        await plain.fit(data, { ...fit, resume: cp });
        expect(got).toEqual(await plain.getParams());
      } finally {
        plain.destroy();
      }
    });

  // Test that a device the caller owns is never replaced: its loss ends the fit with a 'device-lost'
  // TrainerError that says to resume from the last checkpoint.
  it("a caller's device lost mid-run ends the fit with a device-lost error", async () => {
    const { acquireDevice } = await import('../../src/gpu/device.ts');
    const ctx = await acquireDevice();
    const trainer = await createTrainer({ spec, params, device: ctx.device, matmul: 'blocked' });
    const run = trainer.fit(data, {
      ...fit,
      epochs: 10,
      onEvent: (e) => {
        if (e.type === 'progress' && e.step >= 25) ctx.device.destroy();
      },
    });
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('device-lost');
    expect((err as TrainerError).message).toMatch(/it is the caller's.*resume/);
    expect(trainer.gpuDevice, 'the trainer replaced a device it does not own').toBe(ctx.device);
    trainer.destroy();
  });
});
