// The steps per second a fit reports, on a clock the test drives: every step takes 10 ms and every
// evaluation 500 ms, so the true training rate is 100 steps/s. A period's statistics settle a period late
// and the last two of an epoch settle together, so a rate between two readings reported tens of thousands
// of steps/s at every epoch's end (`npm run train` printed "41666.7 steps/s"). The rate must never
// overstate, must leave evaluations out, and is exact once an epoch's steps are all in.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import type { TrainBackend } from '../../src/train/backend.ts';
import { runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { oneHotSplit } from './one-hot-split.ts';

const spec: ModelSpec = { sizes: [3, 8, 3], activation: 'relu', loss: 'ce' };

const data = oneHotSplit;

/** `inner` on a clock: `step` advances it by stepMs, `evaluate` by evalMs. */
function timed(inner: TrainBackend, clock: { ms: number }, stepMs: number, evalMs: number): TrainBackend {
  return new Proxy(inner, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      const f = (v as (...a: unknown[]) => unknown).bind(target);
      if (key === 'step')
        return (...a: unknown[]) => {
          clock.ms += stepMs;
          return f(...a);
        };
      if (key === 'evaluate')
        return (...a: unknown[]) => {
          clock.ms += evalMs;
          return f(...a);
        };
      return f;
    },
  });
}

afterEach(() => vi.restoreAllMocks());

describe('progress steps per second', () => {
  it('never overstates, leaves evaluations out, and is exact at the end of each epoch', async () => {
    const clock = { ms: 1000 };
    vi.spyOn(performance, 'now').mockImplementation(() => clock.ms);
    const train = data(80, 1); // 10 steps an epoch at batch 8; statistics at steps 5 and 10
    const test = data(16, 2);
    const init = { spec, params: initParams(spec, 5), train, test, maxBatch: 8 };
    const backend = timed(new CpuBackend(init), clock, 10, 500);
    const events: TrainEvent[] = [];
    const opts = { epochs: 3, batchSize: 8, lr: 0.1, seed: 3, shuffle: true, evalEvery: 5 };
    await runTraining(backend, train.n, test.n, opts, (e) => events.push(e));
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    expect(progress.map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30]);
    for (const e of progress) {
      expect(e.stepsPerSecond, `step ${e.step}`).toBeGreaterThan(0);
      expect(e.stepsPerSecond, `step ${e.step}`).toBeLessThanOrEqual(100 * (1 + 1e-12));
    }
    for (const e of progress.filter((e) => e.step % 10 === 0))
      expect(e.stepsPerSecond, `step ${e.step}`).toBeCloseTo(100, 9);
  });
});
