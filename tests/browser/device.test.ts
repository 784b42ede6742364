import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device.ts';

describe('device', () => {
  // Test that the browser exposes a WebGPU adapter and a device can be made (a missing adapter fails here).
  it('acquires an adapter and a device', async () => {
    const ctx = await acquireDevice();
    expect(ctx.adapterName.length).toBeGreaterThan(0);
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
    console.log(`adapter: ${ctx.adapterName}; features: ${ctx.features.join(',') || 'none'}`);
    ctx.device.destroy();
  });
});
