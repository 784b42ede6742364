// A regression model with several standardised targets on the GPU: evaluate's per-target figures (from
// the GPU's forward pass) are in each target's units and equal the float64 reference's from the same
// weights; the pooled ones are named standardised.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

describe('several targets on the GPU, each in its units', () => {
  // Test that with targets of scales 1 and 1000 the GPU's evaluate gives per-target RMSE, MAE and R²
  // equal to the CPU reference's for the same model, the large target's RMSE in its own units.
  it('two standardised targets, scales 1 and 1000: GPU vs reference', async () => {
    const rng = new Rng(4);
    const n = 300;
    const x = Float32Array.from({ length: 2 * n }, () => rng.next() * 2 - 1);
    const y = new Float32Array(2 * n);
    for (let r = 0; r < n; r++) {
      const [a, b] = [x[2 * r]!, x[2 * r + 1]!];
      y[2 * r] = Math.sin(2 * a) + 0.5 * b;
      y[2 * r + 1] = 5000 + 1000 * (a * b - 0.3 * a) + 50 * rng.normal();
    }
    const g = await createTrainer({
      inputs: 2,
      hidden: [16],
      outputs: 2,
      normalizeTarget: true,
      optimizer: 'adam',
      seed: 3,
      device: gpu().device,
      matmul: 'blocked',
    });
    try {
      await g.fit({ x, y }, { epochs: 5, batchSize: 32, lr: 0.01 });
      const e = await g.evaluate({ x, y });
      const c = await createTrainer({ model: await g.model(), device: 'cpu' });
      const ce = await c.evaluate({ x, y });
      c.destroy();
      const flat = (t: typeof e.targets) => t!.flatMap((m) => [m.rmse, m.mae, m.r2]);
      assertClose('per-target rmse, mae, r2', flat(e.targets), flat(ce.targets), TOL.value);
      expect(e.targets![1]!.rmse).toBeGreaterThan(50);
      expect(e.pooled?.units).toBe('standardised');
      expect(e.rmse).toBeUndefined();
    } finally {
      g.destroy();
    }
  });
});
