// A GpuSession: trainers that share one device and its compiled kernels. The mechanism that lets the
// web app compile a plan before Start (Trainer.prepare) and train again without compiling: counted
// pipeline creations, not timings. And a device lost under a session's trainer is replaced by the session.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { labeled } from '../../src/lib/data.ts';
import { openGpu, type GpuSession } from '../../src/lib/gpu-session.ts';
import { createTrainer, type TrainerOptions } from '../../src/lib/trainer.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { TrainEvent } from '../../src/train/loop.ts';

const train = labeled(syntheticDataset('spiral', 160, 3));
const test = labeled(syntheticDataset('spiral', 40, 4));
const spec: ModelSpec = { sizes: [2, 16, 16, 3], activation: 'relu', loss: 'ce' };
const options: TrainerOptions = { spec, params: initParams(spec, 5), optimizer: 'adam', plan: 'auto' };
const fit = { epochs: 4, batchSize: 32, lr: 0.01, seed: 9, evalEvery: 5, test }; // 5 steps an epoch

/** Counts the pipelines created on the session's device from now on (both entry points). */
function countPipelines(session: GpuSession): () => number {
  const d = session.device;
  let n = 0;
  const [sync, async] = [d.createComputePipeline.bind(d), d.createComputePipelineAsync.bind(d)];
  d.createComputePipeline = (desc) => (n++, sync(desc));
  d.createComputePipelineAsync = (desc) => (n++, async(desc));
  return () => n;
}

describe('GpuSession', () => {
  // Test that Trainer.prepare compiles every kernel a fit of that shape uses, and with predictRows
  // predict's: the fit after it and a predict, and a second trainer's on the same session, create no
  // pipeline (a fresh session's fit does); a trainer's destroy leaves the session's device alive.
  it('a fit after prepare, and a later trainer on the session, compile nothing', async () => {
    const session = await openGpu();
    try {
      const created = countPipelines(session);
      const warm = await createTrainer({ ...options, device: session });
      await warm.prepare({ batchSize: fit.batchSize, rows: { train: 160, test: 40, dev: 0 }, predictRows: 40 });
      warm.destroy();
      const compiled = created();
      expect(compiled).toBeGreaterThan(0);

      for (const run of [1, 2]) {
        const t = await createTrainer({ ...options, device: session });
        const events: TrainEvent[] = [];
        const summary = await t.fit(train, { ...fit, onEvent: (e) => events.push(e) });
        expect(summary.steps, `run ${run}`).toBe(20);
        expect(
          events.find((e) => e.type === 'start'),
          `run ${run}`,
        ).toMatchObject({ plan: { kind: 'fused' } });
        expect(created(), `pipelines created by run ${run}`).toBe(compiled);
        // predict's layered forward pass, compiled by prepare's predictRows (the fit evaluated fused).
        expect((await t.predict(test.x)).rows).toBe(40);
        expect(created(), `pipelines created by predict after run ${run}`).toBe(compiled);
        t.destroy();
      }
      // Still usable: the trainers' destroy left the device to the session.
      const t = await createTrainer({ ...options, device: session });
      await t.fit(train, fit);
      t.destroy();
      expect(created()).toBe(compiled);
    } finally {
      session.destroy();
    }
    // The count sees compiling: without prepare, a fresh session's first fit compiles as many.
    const cold = await openGpu();
    try {
      const created = countPipelines(cold);
      const t = await createTrainer({ ...options, device: cold });
      await t.fit(train, fit);
      t.destroy();
      expect(created()).toBeGreaterThan(0);
    } finally {
      cold.destroy();
    }
  });

  // Test that a device lost mid-fit under a session's trainer is replaced by the session (the trainer
  // resumes from its last checkpoint handed over, and ends with the uninterrupted run's weights), the
  // session then holds the new device for its next trainer, and destroy() destroys it. The loss comes at
  // step 35's statistics, reported a period late: the checkpoint of step 40, read before it while the
  // next steps were queued, may still be handed over, so the resume is from 30 or 40.
  it('recovers from device.destroy() through the session', async () => {
    const session = await openGpu();
    const first = session.device;
    const long = { ...fit, epochs: 12, checkpointEvery: 10 }; // 60 steps
    const t = await createTrainer({ ...options, device: session });
    let killed = false;
    const events: TrainEvent[] = [];
    const handed: number[] = [];
    let lastHanded: number | undefined;
    const summary = await t.fit(train, {
      ...long,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'recovered') lastHanded = handed.at(-1);
        if (!killed && e.type === 'progress' && e.step >= 35) {
          killed = true;
          first.destroy();
        }
      },
      onCheckpoint: (c) => void handed.push(c.position.step),
    });
    const got = await t.getParams();
    t.destroy();
    expect(killed).toBe(true);
    expect(summary.steps).toBe(60);
    const recovered = events.filter((e) => e.type === 'recovered');
    expect(recovered).toMatchObject([{ fromStep: lastHanded }]);
    expect([30, 40]).toContain(lastHanded);
    expect(session.device).not.toBe(first);

    const again = await createTrainer({ ...options, device: session });
    expect(again.gpuDevice).toBe(session.device);
    await again.fit(train, long);
    expect(await again.getParams()).toEqual(got);
    again.destroy();

    const last = session.device;
    session.destroy();
    const lost = await last.lost;
    expect(lost.reason).toBe('destroyed');
    await expect(createTrainer({ ...options, device: session })).rejects.toMatchObject({ code: 'destroyed' });
  });
});
