// destroy() during a run: the run stops and rejects with TrainerError 'destroyed' (device 'cpu'; the GPU
// side, where destroying the device must not look like a lost one, is in tests/browser/destroy.test.ts).
import { describe, expect, it } from 'vitest';
import { createTrainer, labeled, splitDataset, toyDataset, TrainerError } from '../../src/index.ts';
import type { Trial } from '../../src/lib/sweep.ts';

const data = () => splitDataset(toyDataset('moons', 400, 1), { testSplit: 0.2, seed: 1 });
const options = { inputs: 2, hidden: [16], classes: 2, device: 'cpu' as const, optimizer: 'adam' as const };

/** What a promise rejects with, and how many milliseconds after destroy() was called. */
async function outcome(p: Promise<unknown>, destroyedAt: () => number): Promise<{ error: unknown; ms: number }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - destroyedAt() };
}

describe('destroy() during a run', () => {
  // Test that destroy() during a CPU fit ends it promptly with TrainerError 'destroyed' (not the
  // backend's plain "used after destroy()" error), and that the trainer is then refused as destroyed.
  it('rejects a running fit with code destroyed', async () => {
    const d = data();
    const t = await createTrainer(options);
    let second!: () => void;
    const secondEpoch = new Promise<void>((r) => (second = r));
    let epochs = 0;
    const run = t.fit(labeled(d.train), {
      epochs: 5000,
      batchSize: 64,
      lr: 0.01,
      test: labeled(d.test),
      onEvent: (e) => {
        if (e.type === 'epoch' && ++epochs === 2) second();
      },
    });
    await secondEpoch; // the fit is running: its loop gives the event loop a turn between steps
    const at = performance.now();
    t.destroy();
    const { error, ms } = await outcome(run, () => at);
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).code).toBe('destroyed');
    expect(ms).toBeLessThan(2000);
    expect(t.busy).toBe(false);
    await expect(t.evaluate(labeled(d.test))).rejects.toMatchObject({ code: 'destroyed' });
  });

  // Test that destroy() during a CPU fitSweep ends it (at the end of the epoch running) with 'destroyed'.
  it('rejects a running fitSweep with code destroyed', async () => {
    const d = data();
    const t = await createTrainer(options);
    const hyper = { lr: 0.01, l2: 0, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1 };
    const trials: Trial[] = [0, 1, 2].map((index) => ({ index, hyper: { ...hyper, seed: index + 1 } }));
    let epochs = 0;
    let at = Infinity;
    const run = t.fitSweep(labeled(d.train), trials, {
      epochs: 5000,
      batchSize: 64,
      dev: labeled(d.test),
      onProgress: () => {
        if (++epochs !== 2) return;
        at = performance.now();
        t.destroy();
      },
    });
    const { error, ms } = await outcome(run, () => at);
    expect((error as TrainerError).code).toBe('destroyed');
    expect(ms).toBeLessThan(2000);
    expect(epochs).toBeLessThan(4);
  });
});
