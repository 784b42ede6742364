// The plan allocates what its layout lists: plan.memory() is planMemory's list, name for name, size for
// size and in the same order, followed only by the kernels' uniforms and the read-back buffers.
import { describe, expect, it } from 'vitest';
import { TrainingPlan, planMemory, type PlanOptions } from '../../src/gpu/plan.ts';
import { dataLayout } from '../../src/gpu/shards.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { TrainConfig } from '../../src/train/backend.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const CASES: [string, ModelSpec, Partial<TrainConfig>, PlanOptions, { train: number; test: number; dev: number }][] = [
  ['sgd', { sizes: [5, 7, 3], activation: 'relu', loss: 'ce' }, {}, {}, { train: 50, test: 20, dev: 0 }],
  [
    'adam + l2 + dropout + batch norm + dev',
    { sizes: [4, 9, 6, 1], activation: 'tanh', loss: 'bce', batchNorm: true },
    { optimizer: 'adam', l2: 0.1, keepProb: 0.8 },
    {},
    { train: 40, test: 0, dev: 10 },
  ],
  [
    'sharded',
    { sizes: [12, 10, 4], activation: 'relu', loss: 'ce' },
    {},
    { dataBudgetBytes: 2 * 32 * 16 * 4 },
    { train: 100, test: 30, dev: 0 },
  ],
];

describe('plan buffers', () => {
  for (const [label, spec, config, options, rows] of CASES) {
    // Test that the plan creates the layout's buffers in the layout's order, and nothing else but
    // uniforms and read-back buffers.
    it(`are planMemory's, in order (${label})`, async () => {
      const n0 = spec.sizes[0]!;
      const out = spec.sizes[spec.sizes.length - 1]!;
      const split = (n: number) => ({ x: new Float32Array(n * n0), y: new Float32Array(n * out), n });
      const plan = await TrainingPlan.create(
        gpu(),
        {
          spec,
          params: initParams(spec, 1),
          train: split(rows.train),
          test: split(rows.test),
          dev: split(rows.dev),
          maxBatch: 8,
          config,
        },
        options,
      );
      try {
        const { limits } = gpu().device;
        const data = dataLayout(spec, rows, 8, limits, options.dataBudgetBytes);
        const estimate = planMemory(spec, config, 8, rows, limits.minStorageBufferOffsetAlignment, false, data);
        const actual = plan.memory();
        expect(actual.slice(0, estimate.length)).toEqual(estimate);
        for (const b of actual.slice(estimate.length)) expect(b.name).toMatch(/\.uniform$|^readback$/);
      } finally {
        plan.destroy();
      }
    });
  }
});
