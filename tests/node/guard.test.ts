// The runs a fit must stop, on the float64 CPU reference with a backend that fails on cue: a loss that
// turns NaN in a later period, and GPU work rejected (TrainerError 'gpu-error' from a read-back). Either
// way the run ends with the parameters of the last known good step, no event after the failure reports
// figures, and no summary is emitted.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../src/errors.ts';
import { initParams } from '../../src/init.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import type { Stats, TrainBackend } from '../../src/train/backend.ts';
import { DivergenceError, GpuFailureError, runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { oneHotSplit } from './one-hot-split.ts';

const spec: ModelSpec = { sizes: [3, 8, 3], activation: 'relu', loss: 'ce' };

const data = oneHotSplit;

const train = data(37, 1); // 5 steps an epoch at batch 8
const test = data(11, 2);
const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const gpuError = () => new TrainerError('gpu-error', 'training steps: the GPU rejected the work (injected)');

/** `inner`, whose `n`-th call of `method` gives `fail`'s result instead of its own. */
function failing<K extends 'takeTrainStatsAll' | 'evaluate' | 'readParams'>(
  inner: TrainBackend,
  method: K,
  n: number,
  fail: (real: ReturnType<TrainBackend[K]>) => ReturnType<TrainBackend[K]>,
): TrainBackend {
  let calls = 0;
  return new Proxy(inner, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      if (key !== method) return v.bind(target);
      return (...args: unknown[]) => {
        const real = (v as (...a: unknown[]) => ReturnType<TrainBackend[K]>).apply(target, args);
        return ++calls === n ? fail(real) : real;
      };
    },
  });
}

/** Runs 3 epochs (statistics every 2 steps: at steps 2, 4, 5 | 6, 8, 10 | 12, 14, 15) with a
 *  checkpoint after every step; resolves with the error, the events and each step's parameters. */
async function run(backend: TrainBackend) {
  const events: TrainEvent[] = [];
  const after = new Map<number, Params>([[0, await backend.readParams()]]);
  const opts = { epochs: 3, batchSize: 8, lr: 0.1, seed: 3, shuffle: true, evalEvery: 2 };
  const err = await runTraining(backend, train.n, test.n, opts, (e) => events.push(e), {
    checkpointEvery: 1,
    onCheckpoint: (c) => void after.set(c.position.step, c.params),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, events, after, params: await backend.readParams() };
}

const cpu = () => CpuBackend.create({ spec, params: initParams(spec, 4), train, test, maxBatch: 8 });

describe('a run that must stop', () => {
  // Test that a loss turning NaN in a later period (steps 7..8, found as step 10's statistics are
  // requested) restores the parameters after step 5, the last known good, bit for bit: the snapshot of
  // the good step is still intact when the failed check lands.
  it('restores the last good parameters when the loss diverges late', async () => {
    const nan = (p: Promise<Stats[]>) => p.then((s) => s.map((x) => ({ ...x, lossSum: NaN })));
    const r = await run(failing(cpu(), 'takeTrainStatsAll', 5, nan));
    expect(r.err).toBeInstanceOf(DivergenceError);
    const good = (r.err as DivergenceError).goodStep;
    expect(good).toBe(5);
    expect(bits(r.params)).toEqual(bits(r.after.get(good)!));
    expect(r.events.some((e) => e.type === 'summary')).toBe(false);
  });

  // Test that a read-back of training statistics rejected with 'gpu-error' (steps 7..8) stops the run
  // with that code, no progress event for those steps and no summary, and the parameters of the last
  // good step put back.
  it('stops on a GPU error in the training statistics', async () => {
    const r = await run(failing(cpu(), 'takeTrainStatsAll', 5, (p) => p.then(() => Promise.reject(gpuError()))));
    expect(r.err).toBeInstanceOf(GpuFailureError);
    const err = r.err as GpuFailureError;
    expect(err.code).toBe('gpu-error');
    expect(err.message).toMatch(/injected.*restored to those after step 5/);
    expect(bits(r.params)).toEqual(bits(r.after.get(err.goodStep)!));
    const progress = r.events.flatMap((e) => (e.type === 'progress' ? [e.step] : []));
    expect(progress).toEqual([2, 4, 5, 6]);
    expect(r.events.some((e) => e.type === 'summary')).toBe(false);
  });

  // Test that a rejected evaluation (the test split after epoch 2) stops the run before its epoch
  // event, with the parameters of the last good step put back.
  it('stops on a GPU error in an evaluation', async () => {
    const r = await run(failing(cpu(), 'evaluate', 2, (p) => p.then(() => Promise.reject(gpuError()))));
    const err = r.err as GpuFailureError;
    expect(err).toBeInstanceOf(GpuFailureError);
    expect(bits(r.params)).toEqual(bits(r.after.get(err.goodStep)!));
    expect(r.events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.epoch)).toEqual([1]);
    expect(r.events.some((e) => e.type === 'summary')).toBe(false);
  });

  // Test that a checkpoint whose parameters come back rejected stops the run: no checkpoint handed out
  // for that step, the parameters of the last good step put back.
  it('stops on a GPU error in a checkpoint read', async () => {
    // readParams' first call is run()'s own (step 0), then one per step: the 7th is step 6's checkpoint.
    const r = await run(failing(cpu(), 'readParams', 7, (p) => p.then(() => Promise.reject(gpuError()))));
    const err = r.err as GpuFailureError;
    expect(err).toBeInstanceOf(GpuFailureError);
    expect([...r.after.keys()]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(bits(r.params)).toEqual(bits(r.after.get(err.goodStep)!));
    expect(r.events.filter((e) => e.type === 'checkpoint').length).toBe(5);
  });
});
