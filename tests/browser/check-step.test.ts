// "Check this step" checks the step the trainer trains with: on a small net inside the fused kernel's
// envelope the fused step, otherwise (or with plan 'layered') the layered plan's, each against the
// float64 reference under the one tolerance rule.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { splitDataset } from '../../src/lib/data.ts';
import type { PlanChoice } from '../../src/lib/plan-choice.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
import { assertClose, TOL } from '../../src/check.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const spiral = splitDataset(syntheticDataset('spiral', 200, 4), { testSplit: 0.2, seed: 4 });

describe('checkStep on the path the trainer takes', () => {
  const cases: [PlanChoice, 'fused' | 'layered', string, boolean][] = [
    ['auto', 'fused', 'adam', false],
    ['fused', 'fused', 'momentum', false],
    ['layered', 'layered', 'adam', false],
    ['auto', 'fused', 'adam', true],
  ];
  for (const [plan, kind, optimizer, batchNorm] of cases) {
    // Test that a step of [2,16,8,3] relu CE with L2 (and batch norm) from trained weights names the
    // path that took it and matches the reference's gradients, parameters and loss.
    const bn = batchNorm ? ' + batch norm' : '';
    it(`plan ${plan}: the ${kind} step, ${optimizer} + L2${bn}, against the reference`, async () => {
      const g = await createTrainer({
        inputs: 2,
        hidden: [16, 8],
        classes: 3,
        optimizer: optimizer as 'adam' | 'momentum',
        l2: 0.05,
        seed: 5,
        batchNorm,
        plan,
        device: gpu().device,
      });
      try {
        await g.fit(spiral.train, { epochs: 2, batchSize: 32, lr: 0.01 });
        const c = await g.checkStep(spiral.train, { lr: 0.05, rows: 40 });
        expect(c.path.kind).toBe(kind);
        expect(c.rows).toBe(40);
        expect(c.ok, JSON.stringify(c.layers)).toBe(true);
        expect(c.layers.map((l) => l.shape)).toEqual(['16x2', '8x16', '3x8']);
        expect(c.layers.map((l) => l.bn !== undefined)).toEqual([batchNorm, batchNorm, false]);
        assertClose('step loss', [c.gpuLoss], [c.cpuLoss], TOL.value);
      } finally {
        g.destroy();
      }
    });
  }
});
