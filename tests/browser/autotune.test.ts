// The per-adapter matmul autotune on the adapter: measures every family's training products, keeps the
// answer, and the plan built with the tuned family trains like the float64 reference. Nothing here
// depends on which family wins (tests/node/autotune-cache.test.ts covers the cache decisions).
import { expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { targets } from '../../src/data/dataset.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { autotuneMatmul, tuneKey, type TuneEntry, type TuneStore } from '../../src/gpu/autotune.ts';
import { acquireDevice } from '../../src/gpu/device.ts';
import { MATMUL_FAMILIES, type MatmulFamily } from '../../src/gpu/kernels.ts';
import { trainResilient } from '../../src/gpu/recovery.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, type ModelSpec } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { runTraining } from '../../src/train/loop.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const saved = new Map<string, TuneEntry>();
const calls = { load: 0, save: 0 };
const store: TuneStore = {
  load: async (adapter) => (calls.load++, saved.get(adapter)),
  save: async (adapter, entry) => void (calls.save++, saved.set(adapter, entry)),
};

// Test that the autotune times every family, returns the fastest, saves it under the adapter's key, and
// that asking again in the page is a hit with the same answer (nothing read, measured or written).
it('measures every family, saves the fastest and answers again from memory', async () => {
  const r = await autotuneMatmul(gpu(), store);
  expect(r.source).toBe('measured');
  expect(Object.keys(r.ms).sort()).toEqual(Object.keys(MATMUL_FAMILIES).sort());
  for (const ms of Object.values(r.ms)) expect(ms).toBeGreaterThan(0);
  expect(r.ms[r.family]).toBe(Math.min(...Object.values(r.ms)));
  expect(saved.get(gpu().adapterName)).toEqual({ key: tuneKey(gpu().adapterName), family: r.family, ms: r.ms });
  expect(calls).toEqual({ load: 1, save: 1 });
  const again = await autotuneMatmul(gpu(), store);
  expect(again).toMatchObject({ family: r.family, ms: r.ms, source: 'cached' });
  expect(calls).toEqual({ load: 1, save: 1 });
});

// Test that training through trainResilient with the tuned family (the CLI's path) ends with the
// reference's weights. Widths divisible by 4, so the blocked family runs its vec4 kernels.
it('the plan built with the tuned family trains like the reference', async () => {
  const data = syntheticDataset('spiral', 96, 3);
  const split = { x: data.x, y: targets(data), n: data.n };
  const spec: ModelSpec = { sizes: [2, 16, 12, 3], activation: 'relu', loss: 'ce' };
  const init = { spec, params: initParams(spec, 5), train: split, test: split, maxBatch: 32 };
  const loop = { epochs: 2, batchSize: 32, lr: 0.2, seed: 9, shuffle: true, evalEvery: 3 };
  let family: MatmulFamily | undefined;
  const gpuRun = await trainResilient({
    init, trainRows: split.n, testRows: split.n, loop, checkpointEvery: 1000,
    acquire: acquireDevice, emit: () => {}, // a device of its own: trainResilient destroys it at the end
    planOptions: async (ctx) => ({ matmul: (family = (await autotuneMatmul(ctx, store)).family) }),
  });
  expect(family).toBe(saved.get(gpu().adapterName)?.family);
  const cpu = CpuBackend.create(init);
  const cpuSummary = await runTraining(cpu, split.n, split.n, loop, () => {});
  expect(gpuRun.summary.steps).toBe(cpuSummary.steps);
  const want = await cpu.readParams();
  cpu.destroy();
  for (let l = 0; l < layerCount(spec); l++) {
    assertClose(`layers.${l}.weight`, gpuRun.params[l]!.weight, want[l]!.weight, TOL.value, undefined, spec.sizes[l]!);
    assertClose(`layers.${l}.bias`, gpuRun.params[l]!.bias, want[l]!.bias, TOL.value);
  }
});
