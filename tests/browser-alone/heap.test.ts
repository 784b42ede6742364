// Thousands of training steps allocate no GPU buffer and keep the JS heap flat. This project runs after
// every other one (vite.config.ts, groupOrder 2) with no other test file beside it: the heap measured is
// the renderer's, which test files running at the same time in the same browser would add to.
import { describe, expect, it } from 'vitest';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { targets } from '../../src/data/dataset.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { runTraining } from '../../src/train/loop.ts';
import { gpu, useDevice } from '../browser/fixture.ts';

useDevice();

const moons = syntheticDataset('moons', 200, 1);
const split = { x: moons.x, y: targets(moons), n: moons.n };
const spec: ModelSpec = { sizes: [2, 8, 1], activation: 'relu', loss: 'bce' };

describe('long run', () => {
  // Test that 10,000 training steps allocate no GPU buffer and leave the JS heap flat.
  it('10,000 steps: flat buffer count and heap', async () => {
    const plan = await TrainingPlan.create(gpu(), {
      spec,
      params: initParams(spec, 2),
      train: split,
      test: split,
      maxBatch: 16,
    });
    const gc = (globalThis as { gc?: () => void }).gc;
    const heap = () => {
      gc?.();
      return (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? NaN;
    };
    try {
      const opts = { batchSize: 16, lr: 0.1, seed: 1, shuffle: true, evalEvery: 100 };
      await runTraining(plan, 200, 0, { ...opts, epochs: 77 }, () => {}); // ~1,000 steps of warm-up
      const [buffers, planBuffers, heap0] = [liveBufferStats().buffers, plan.bufferCount, heap()];
      const s = await runTraining(plan, 200, 0, { ...opts, epochs: 770 }, () => {}); // 13 steps an epoch: 10,010 steps
      expect(s.steps).toBeGreaterThanOrEqual(10_000);
      expect(liveBufferStats().buffers).toBe(buffers);
      expect(plan.bufferCount).toBe(planBuffers);
      const growth = heap() - heap0;
      expect(Number.isFinite(growth), 'performance.memory with --expose-gc').toBe(true);
      // A leak of even 100 bytes a step would show as 1 MB; allow 512 KB of noise from the runtime.
      expect(growth).toBeLessThan(512 * 1024);
      expect(s.trainAccuracy).toBeGreaterThan(0.8);
    } finally {
      plan.destroy();
    }
  });
});
