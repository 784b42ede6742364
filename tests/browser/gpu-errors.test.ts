// GPU errors stop the run: a real validation error injected into a plan's watched work (an invalid
// command buffer submitted beside the plan's, which makes WebGPU reject the whole submit: the plan's
// steps are dropped, as a dispatch past a limit would be) ends a fit, a sweep, an evaluation or a
// prediction with TrainerError 'gpu-error', never with a figure computed from the rejected work; a fit
// keeps the last good weights. The error is caught by the plan's own scopes, so the fixture's scope
// (which fails a test on any validation error) sees none, and the scope stack stays balanced.
import { describe, expect, it } from 'vitest';
import { targets } from '../../src/data/dataset.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { TrainerError } from '../../src/errors.ts';
import { throwIfFailed } from '../../src/gpu/error-watch.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import { labeled } from '../../src/lib/data.ts';
import { decodeModel } from '../../src/lib/model-file.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import type { FitCheckpoint } from '../../src/train/checkpoint.ts';
import { GpuFailureError, runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const moons = syntheticDataset('moons', 200, 1);
const split = { x: moons.x, y: targets(moons), n: moons.n };
const spec: ModelSpec = { sizes: [2, 8, 1], activation: 'relu', loss: 'bce' };
const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));

/** A command buffer WebGPU rejects: a compute pass that dispatches without a pipeline. */
function invalidCommands(device: GPUDevice): GPUCommandBuffer {
  const enc = device.createCommandEncoder({ label: 'injected error' });
  const pass = enc.beginComputePass();
  pass.dispatchWorkgroups(1);
  pass.end();
  return enc.finish();
}

/** Wraps the device's error scopes and queue.submit: once armed, the next `n` submits made while a
 *  plan's scopes are pushed (the depth above the one at installation) carry an invalid command buffer
 *  beside their own, so the whole submit is rejected with a validation error inside those scopes. */
function injector(device: GPUDevice) {
  const { queue } = device;
  const push = device.pushErrorScope.bind(device);
  const pop = device.popErrorScope.bind(device);
  const submit = queue.submit.bind(queue);
  const state = { depth: 0, armed: 0, injected: 0 };
  device.pushErrorScope = (filter) => {
    state.depth++;
    push(filter);
  };
  device.popErrorScope = () => {
    state.depth--;
    return pop();
  };
  queue.submit = (buffers) => {
    if (state.armed > 0 && state.depth > 0) {
      state.armed--;
      state.injected++;
      return submit([...buffers, invalidCommands(device)]);
    }
    return submit(buffers);
  };
  return {
    state,
    arm: (n = 1) => void (state.armed = n),
    remove: () => {
      delete (device as { pushErrorScope?: unknown }).pushErrorScope;
      delete (device as { popErrorScope?: unknown }).popErrorScope;
      delete (queue as { submit?: unknown }).submit;
    },
  };
}

/** The step a 'gpu-error' names as rejected ("training step 16: the GPU rejected the work"). */
const rejectedStep = (e: Error) =>
  Number(/training steps? (\d+)(\.\.\d+)?: the GPU rejected the work/.exec(e.message)?.[1]);

describe('GPU errors', () => {
  // Test that a validation error in a watched training group (the first after a statistics request:
  // step 11, the first of epoch 2) stops runTraining with 'gpu-error': the statistics of its period
  // (requested at step 15) hold the failure, and the checkpoint at step 16, read while they are still
  // in flight, fails with it too instead of handing out parameters computed after the rejected step;
  // no progress event for the rejected steps, no summary, the parameters those of the last good step
  // (bit for bit those of a clean run there), and the scope stack balanced.
  it('a rejected training group stops runTraining with the last good parameters', async () => {
    const device = gpu().device;
    const params = initParams(spec, 1);
    const init = { spec, params, train: split, test: split, maxBatch: 20 };
    const opts = { epochs: 4, batchSize: 20, lr: 0.5, seed: 1, shuffle: true, evalEvery: 5 };
    // A clean run's parameters after every fifth step, where the guard's snapshots are.
    const after = new Map<number, Params>([[0, params]]);
    const clean = await TrainingPlan.create(gpu(), init);
    try {
      const hooks = {
        checkpointEvery: 5,
        onCheckpoint: (c: FitCheckpoint) => void after.set(c.position.step, c.params),
      };
      await runTraining(clean, 200, 0, opts, () => {}, hooks);
    } finally {
      clean.destroy();
    }
    const plan = await TrainingPlan.create(gpu(), init);
    const inject = injector(device);
    try {
      const events: TrainEvent[] = [];
      const checkpoints: number[] = [];
      const hooks = { checkpointEvery: 8, onCheckpoint: (c: FitCheckpoint) => void checkpoints.push(c.position.step) };
      const emit = (e: TrainEvent) => {
        events.push(e);
        // Step 5's progress comes at step 10's statistics request (a period late), before step 11 is
        // queued: the next watched group is step 11's.
        if (e.type === 'progress' && e.step === 5) inject.arm();
      };
      const err = await runTraining(plan, 200, 0, opts, emit, hooks).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(GpuFailureError);
      const e = err as GpuFailureError;
      expect(e.code).toBe('gpu-error');
      expect(inject.state.injected).toBe(1);
      expect(rejectedStep(e)).toBe(11);
      expect(e.message).toMatch(/restored to those after step 5, the last known good/);
      expect(events.flatMap((x) => (x.type === 'progress' ? [x.step] : []))).toEqual([5, 10]);
      expect(checkpoints).toEqual([8]);
      expect(events.some((x) => x.type === 'summary')).toBe(false);
      const restored = await plan.readParams();
      expect(e.goodStep).toBe(5);
      expect(bits(restored)).toEqual(bits(after.get(5)!));
      expect(inject.state.depth).toBe(0);
    } finally {
      inject.remove();
      plan.destroy();
    }
  });

  // Test that a fit through createTrainer on the caller's device rejects with 'gpu-error' once an
  // error is injected after some steps (three steps per submit: steps 11..13 rejected, found by the
  // checkpoint at step 15, which is not handed out), without a summary; the trainer's parameters
  // (getParams, save) are then those of the checkpoint at the last good step, and the next fit on the
  // same device trains normally.
  for (const plan of ['layered', 'fused'] as const)
    it(`a fit through the trainer rejects and keeps the last good weights (${plan})`, async () => {
      const device = gpu().device;
      const data = labeled(moons);
      const trainer = await createTrainer({
        spec,
        params: initParams(spec, 2),
        device,
        matmul: 'blocked',
        stepsPerSubmit: 3,
        plan,
      });
      const inject = injector(device);
      try {
        const events: TrainEvent[] = [];
        const after = new Map<number, Params>();
        const fit = { epochs: 3, batchSize: 20, lr: 0.5, evalEvery: 5, checkpointEvery: 5 };
        const err = await trainer
          .fit(data, {
            ...fit,
            onEvent: (e) => {
              events.push(e);
              // Step 5's progress comes at step 10's request, before step 11: the next watched group is 11..13.
              if (e.type === 'progress' && e.step === 5) inject.arm();
            },
            onCheckpoint: (c) => void after.set(c.position.step, c.params),
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(TrainerError);
        const e = err as GpuFailureError;
        expect(e.code).toBe('gpu-error');
        expect(inject.state.injected).toBe(1);
        expect(events.some((x) => x.type === 'summary' || x.type === 'recovered')).toBe(false);
        expect(e.message).toMatch(/^training steps 11\.\.13: the GPU rejected the work/);
        expect(events.flatMap((x) => (x.type === 'progress' ? [x.step] : []))).toEqual([5, 10]);
        expect(events.flatMap((x) => (x.type === 'checkpoint' ? [x.step] : []))).toEqual([5, 10]);
        expect(e.goodStep).toBe(5);
        const good = after.get(5)!;
        expect(bits(await trainer.getParams())).toEqual(bits(good));
        expect(bits(decodeModel(await trainer.save()).params)).toEqual(bits(good));
        expect(inject.state.depth).toBe(0);
        const summary = await trainer.fit(data, { epochs: 2, batchSize: 20, lr: 0.5 });
        expect(summary.trainAccuracy).toBeGreaterThan(0.75);
      } finally {
        inject.remove();
        trainer.destroy();
      }
    });

  // Test that an error injected into an evaluation, and into a prediction, rejects the call with
  // 'gpu-error' (not a figure from the rejected work), and that the same calls afterwards give the
  // figures they gave before.
  it('evaluate and predict reject a rejected pass', async () => {
    const device = gpu().device;
    const data = labeled(moons);
    const trainer = await createTrainer({ spec, params: initParams(spec, 3), device, matmul: 'blocked' });
    const inject = injector(device);
    try {
      await trainer.fit(data, { epochs: 2, batchSize: 20, lr: 0.5 });
      const evaluation = await trainer.evaluate(data);
      const prediction = await trainer.predict(moons.x);
      inject.arm();
      await expect(trainer.evaluate(data)).rejects.toMatchObject({ code: 'gpu-error', message: /evaluate train/ });
      inject.arm();
      await expect(trainer.predict(moons.x)).rejects.toMatchObject({ code: 'gpu-error', message: /forward rows/ });
      expect(inject.state.injected).toBe(2);
      expect(await trainer.evaluate(data)).toEqual(evaluation);
      expect(await trainer.predict(moons.x)).toEqual(prediction);
      expect(inject.state.depth).toBe(0);
    } finally {
      inject.remove();
      trainer.destroy();
    }
  });

  // Test that a sweep whose group's watched work is rejected (the first group of epoch 2) rejects with
  // 'gpu-error'.
  it('a sweep rejects', async () => {
    const device = gpu().device;
    const data = labeled(moons);
    const trainer = await createTrainer({ spec, device, matmul: 'blocked' });
    const inject = injector(device);
    try {
      const trials = [0.1, 0.3].map((lr, index) => ({
        index,
        hyper: { lr, l2: 0, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1 + index },
      }));
      const run = trainer.fitSweep(data, trials, {
        epochs: 3,
        batchSize: 20,
        dev: data,
        onProgress: (p) => {
          if (p.epoch === 1) inject.arm();
        },
      });
      await expect(run).rejects.toMatchObject({ code: 'gpu-error' });
      expect(inject.state.injected).toBe(1);
      expect(inject.state.depth).toBe(0);
    } finally {
      inject.remove();
      trainer.destroy();
    }
  });

  // Test that a plan destroyed with a watched group open (several steps per submit) pops its scopes.
  it('destroy with a watched group open leaves the scope stack balanced', async () => {
    const device = gpu().device;
    const inject = injector(device);
    const plan = await TrainingPlan.create(
      gpu(),
      { spec, params: initParams(spec, 1), train: split, test: split, maxBatch: 20 },
      { stepsPerSubmit: 4 },
    );
    try {
      expect(inject.state.depth).toBe(0);
      plan.step(0, 20, 0.1);
      expect(inject.state.depth).toBe(2); // the first group of the plan is watched
      plan.destroy();
      expect(inject.state.depth).toBe(0);
    } finally {
      inject.remove();
      plan.destroy();
    }
  });

  // Test that out of memory is 'too-large' and any other GPU error 'gpu-error', each naming the work.
  it('maps GPU errors to codes', () => {
    expect(() => throwIfFailed(null, 'x')).not.toThrow();
    expect(() => throwIfFailed(new GPUOutOfMemoryError('oom'), 'training step 3')).toThrow(
      expect.objectContaining({
        code: 'too-large',
        message: expect.stringMatching(/^training step 3: .*out of memory/),
      }),
    );
    expect(() => throwIfFailed(new GPUValidationError('bad'), 'evaluate test')).toThrow(
      expect.objectContaining({ code: 'gpu-error', message: expect.stringMatching(/^evaluate test: .*rejected/) }),
    );
  });
});
