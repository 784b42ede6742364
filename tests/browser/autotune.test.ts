// The per-adapter matmul autotune on the adapter: measures every family's training products, keeps the
// answer, and the plan built with the tuned family trains like the float64 reference. Nothing here
// depends on which family wins (tests/node/autotune-cache.test.ts covers the cache decisions).
import { expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { autotuneMatmul, tuneKey, type TuneEntry, type TuneStore } from '../../src/gpu/autotune.ts';
import { MATMUL_FAMILIES, type MatmulFamily } from '../../src/gpu/kernels.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, type ModelSpec } from '../../src/model.ts';
import { labeled } from '../../src/lib/data.ts';
import { createTrainer } from '../../src/lib/trainer.ts';
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

// Test that training through the library's trainer with the tuned family (the CLI's and the app's
// path) ends with the reference's weights. Widths divisible by 4, so the blocked family runs its vec4 kernels.
it('the plan built with the tuned family trains like the reference', async () => {
  const data = syntheticDataset('spiral', 96, 3);
  const spec: ModelSpec = { sizes: [2, 16, 12, 3], activation: 'relu', loss: 'ce' };
  const params = initParams(spec, 5);
  const fit = { epochs: 2, batchSize: 32, lr: 0.2, seed: 9, evalEvery: 3 };
  let family: MatmulFamily | undefined;
  const gpuTrainer = await createTrainer({
    spec,
    params,
    device: 'gpu',
    tuneStore: store,
    onTune: (r) => void (family = r.family),
  });
  const cpuTrainer = await createTrainer({ spec, params, device: 'cpu' });
  try {
    const gpuSummary = await gpuTrainer.fit(labeled(data), fit);
    const cpuSummary = await cpuTrainer.fit(labeled(data), fit);
    expect(family).toBe(saved.get(gpu().adapterName)?.family);
    expect(gpuSummary.steps).toBe(cpuSummary.steps);
    const [got, want] = [await gpuTrainer.getParams(), await cpuTrainer.getParams()];
    for (let l = 0; l < layerCount(spec); l++) {
      assertClose(`layers.${l}.weight`, got[l]!.weight, want[l]!.weight, TOL.value, undefined, spec.sizes[l]!);
      assertClose(`layers.${l}.bias`, got[l]!.bias, want[l]!.bias, TOL.value);
    }
  } finally {
    gpuTrainer.destroy();
    cpuTrainer.destroy();
  }
});
