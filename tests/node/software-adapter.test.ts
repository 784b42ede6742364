// The software-adapter notice from an adapter's info alone: by name (SwiftShader, Mesa's llvmpipe and
// lavapipe), by isFallbackAdapter (on the info or, in older browsers, on the adapter) or by a CPU type;
// a hardware adapter gets none.
import { describe, expect, it } from 'vitest';
import { softwareAdapter } from '../../src/gpu/device.ts';

const info = (o: Record<string, unknown>) =>
  ({ vendor: '', architecture: '', device: '', description: '', ...o }) as unknown as GPUAdapterInfo;

describe('softwareAdapter', () => {
  // Test that each kind of software adapter is named with what it is and what to try, and a GPU is not.
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader' }, false, 'SwiftShader'],
    [{ vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, false, "Mesa's CPU renderer"],
    [
      { vendor: 'microsoft', description: 'Microsoft Basic Render Driver', isFallbackAdapter: true },
      false,
      'a fallback adapter',
    ],
    [{ vendor: 'someone' }, true, 'a fallback adapter'],
    [{ vendor: 'someone', type: 'CPU' }, false, 'a CPU adapter'],
  ] as const)('names %j (adapter fallback %s) as %s', (fields, fallback, what) => {
    const notice = softwareAdapter(info(fields), fallback);
    expect(notice).toContain(`is a software one (${what}`);
    expect(notice).toContain('training runs on the CPU');
    expect(notice).toContain('To use the GPU');
  });

  it.each([
    { vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false },
    { vendor: 'apple', architecture: 'metal-3' },
    { vendor: 'intel', architecture: 'gen-12lp', type: 'integrated GPU' },
  ])('gives no notice for the hardware adapter %j', (fields) => {
    expect(softwareAdapter(info(fields))).toBeUndefined();
  });
});
