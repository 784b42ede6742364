// Device fixture for browser tests: one device per file, a validation error scope around each test,
// and a hard failure (never a skip) when the browser has no WebGPU adapter.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { acquireDevice, type GpuContext } from '../../src/gpu/device.ts';
import { liveBufferStats } from '../../src/gpu/arena.ts';
import { Rng } from '../../src/rng.ts';

let ctx: GpuContext | undefined;

export function gpu(): GpuContext {
  if (!ctx) throw new Error('no GPU context: useDevice() must be called at the top of the test file');
  return ctx;
}

export function useDevice(): void {
  let buffersBefore = 0;
  beforeAll(async () => {
    ctx = await acquireDevice(); // throws when there is no adapter: the test fails
  });
  beforeEach(() => {
    gpu().device.pushErrorScope('validation');
    buffersBefore = liveBufferStats().buffers;
  });
  afterEach(async () => {
    const err = await gpu().device.popErrorScope();
    expect(err?.message ?? null, 'WebGPU validation error during the test').toBeNull();
    expect(liveBufferStats().buffers, 'GPU buffers leaked by the test').toBe(buffersBefore);
  });
  afterAll(() => {
    ctx?.device.destroy();
    ctx = undefined;
  });
}

/** Seeded uniform values in [lo, hi). */
export function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.next();
  return a;
}

export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
