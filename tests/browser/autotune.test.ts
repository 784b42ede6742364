// The per-adapter matmul autotune: measures every family, picks the fastest, asks only once.
import { expect, it } from 'vitest';
import { autotuneMatmul } from '../../src/gpu/autotune.ts';
import { MATMUL_FAMILIES } from '../../src/gpu/kernels.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

// Test that the autotune times every matmul family, returns the fastest, and caches the answer per adapter.
it('autotuneMatmul picks the fastest family and caches it', async () => {
  const r = await autotuneMatmul(gpu());
  expect(Object.keys(r.ms).sort()).toEqual(Object.keys(MATMUL_FAMILIES).sort());
  for (const ms of Object.values(r.ms)) expect(ms).toBeGreaterThan(0);
  expect(r.ms[r.family]).toBe(Math.min(...Object.values(r.ms)));
  expect(await autotuneMatmul(gpu())).toBe(r);
});
