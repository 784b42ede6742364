// A first run in seconds: with a default matmul family (matmul 'auto', nothing stored) createTrainer and
// the first fit time nothing before the first training step; where the default is only a guess the
// autotune runs once training has started and later trainers use its stored answer; 'tune' asks for it
// up front. Timing is counted at PassTimer.time, which only the autotune (and the bench) call.
import { beforeEach, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import type { AutotuneResult, TuneEntry, TuneStore } from '../../src/gpu/autotune.ts';
import { matmulDefaultMeasured, preferredMatmul } from '../../src/gpu/kernels.ts';
import { PassTimer } from '../../src/gpu/pass-timer.ts';
import { labeled } from '../../src/lib/data.ts';
import { createTrainer, type TrainerOptions } from '../../src/lib/trainer.ts';
import type { TrainEvent } from '../../src/train/loop.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

let timings = 0;
const time = PassTimer.prototype.time;
PassTimer.prototype.time = function (this: PassTimer, ...args: Parameters<PassTimer['time']>) {
  timings++;
  return time.apply(this, args);
};
beforeEach(() => void (timings = 0));

/** A store in memory that counts its saves. */
function memoryStore() {
  const saved = new Map<string, TuneEntry>();
  const store: TuneStore = {
    load: async (adapter) => saved.get(adapter),
    save: async (adapter, entry) => void saved.set(adapter, entry),
  };
  return { store, saved };
}

/** The fixture's device under another adapter name (a borrowed device's name is its adapterInfo's), so
 *  the path of an adapter whose default is a guess runs here on SwiftShader too. */
function renamed(vendor: string): GPUDevice {
  const device = gpu().device;
  const info = { vendor, architecture: 'test', device: '', description: '' };
  return new Proxy(device, {
    get: (target, key) => {
      if (key === 'adapterInfo') return info;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const spec = { inputs: 2, hidden: [16, 16], classes: 3, activation: 'relu' } as const;
const data = () => labeled(syntheticDataset('spiral', 96, 3));
const FIT = { epochs: 2, batchSize: 32, lr: 0.1, evalEvery: 1 };

/** Trains one fit, recording the events and tune reports in order and the timings seen at the first step. */
async function firstFit(options: Partial<TrainerOptions>) {
  const log: string[] = [];
  const tunes: AutotuneResult[] = [];
  let atFirstStep: number | undefined;
  const trainer = await createTrainer({
    ...spec,
    ...options,
    onTune: (r) => void (tunes.push(r), log.push(`tune ${r.source}`)),
  });
  try {
    await trainer.fit(data(), {
      ...FIT,
      onEvent: (e: TrainEvent) => {
        if (e.type === 'progress' && atFirstStep === undefined) ((atFirstStep = timings), log.push('first step'));
      },
    });
    return { log, tunes, atFirstStep, adapter: trainer.adapter };
  } finally {
    trainer.destroy();
  }
}

// Test that on the machine's adapter with nothing stored, nothing is timed before the first step, and the
// plan uses the adapter's default family; on SwiftShader (whose answer is known) nothing is timed at all.
it('times nothing before the first step on a new adapter', async () => {
  const { store, saved } = memoryStore();
  const run = await firstFit({ device: 'gpu', tuneStore: store });
  expect(run.atFirstStep).toBe(0);
  expect(run.tunes[0]).toMatchObject({ source: 'default', family: preferredMatmul(run.adapter) });
  if (matmulDefaultMeasured(run.adapter)) {
    expect(timings).toBe(0);
    expect(saved.size).toBe(0);
    expect(run.log).toEqual(['tune default', 'first step']);
  } else {
    expect(saved.get(run.adapter)?.family).toBe(run.tunes[1]?.family);
  }
});

// Test that where the default is a guess the tune runs after the first step, is stored, and the next
// trainer on that adapter uses its answer without timing anything.
it('tunes a guessed default once training has started, for later trainers', async () => {
  const { store, saved } = memoryStore();
  const device = renamed('guessed');
  const first = await firstFit({ device, tuneStore: store });
  expect(first.adapter).toBe('guessed test');
  expect(first.atFirstStep).toBe(0);
  expect(timings).toBeGreaterThan(0);
  expect(first.log.slice(0, 3)).toEqual(['tune default', 'first step', 'tune measured']);
  const tuned = saved.get('guessed test');
  expect(tuned?.family).toBe(first.tunes[1]?.family);
  timings = 0;
  const second = await firstFit({ device, tuneStore: store });
  expect(timings).toBe(0);
  expect(second.tunes).toEqual([expect.objectContaining({ source: 'cached', family: tuned?.family })]);
});

// Test that matmul 'tune' measures before the first step (the request), and a named family times nothing.
it("times up front with matmul 'tune' and never with a named family", async () => {
  const tuned = await firstFit({ device: renamed('asked'), matmul: 'tune' });
  expect(tuned.log[0]).toBe('tune measured');
  expect(tuned.atFirstStep).toBeGreaterThan(0);
  timings = 0;
  const named = await firstFit({ device: renamed('named'), matmul: 'tiled' });
  expect(named.log).toEqual(['first step']);
  expect(timings).toBe(0);
});
