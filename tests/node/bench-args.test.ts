import { describe, expect, it } from 'vitest';
import { benchRequest, parseBenchArgs } from '../../src/cli/bench.ts';

describe('bench arguments', () => {
  // Test that --steps-per-submit takes a list into the request and --only keeps the matching configurations.
  it('--steps-per-submit and --only', () => {
    const req = benchRequest(
      parseBenchArgs(['--steps-per-submit', '1,2,16', '--only', '784-128-10 b64,12288', '--no-sweep']),
    );
    expect(req.stepsPerSubmit).toEqual([1, 2, 16]);
    expect(req.configs.map((c) => c.name)).toEqual(['784-128-10 b64', '12288-20-7-5-1 b209']);
    expect(benchRequest(parseBenchArgs([])).stepsPerSubmit).toBeUndefined();
  });

  // Test that --family forces our matmul family into the request and is absent (the autotune decides) by default.
  it('--family', () => {
    expect(benchRequest(parseBenchArgs(['--family', 'tiled8'])).family).toBe('tiled8');
    expect(benchRequest(parseBenchArgs(['--family=blocked'])).family).toBe('blocked');
    expect(benchRequest(parseBenchArgs([])).family).toBeUndefined();
  });

  // Test that the host cost is measured by default when our engine is timed, --host-only keeps only it
  // (no engine timings, sweeps, kernels), and --host-steps asks for the long run.
  it('host cost flags', () => {
    expect(benchRequest(parseBenchArgs([])).hostCost).toEqual({ blocks: 9, blockSteps: 50, blockMs: 5000 });
    expect(benchRequest(parseBenchArgs(['--no-host-cost'])).hostCost).toBeUndefined();
    expect(benchRequest(parseBenchArgs(['--engines', 'tfjs-wasm'])).hostCost).toBeUndefined();
    const only = benchRequest(
      parseBenchArgs(['--host-only', '--host-steps', '10000', '--host-blocks', '7', '--host-block', '20']),
    );
    expect(only.hostCost).toEqual({ blocks: 7, blockSteps: 20, blockMs: 5000, flatSteps: 10000 });
    expect(only.engines).toEqual([]);
    expect(only.configs.map((c) => c.group)).toEqual(['issue', 'issue', 'issue', 'issue']);
    expect(only.matmulSizes).toEqual([]);
    expect(only.kernels).toBe(false);
    expect(() => parseBenchArgs(['--host-only', '--no-host-cost'])).toThrow(
      '--host-only and --no-host-cost ask for opposite things',
    );
    expect(() => parseBenchArgs(['--host-steps', '100', '--engines', 'cpu-reference'])).toThrow(
      '--host-steps measures our webgpu engine',
    );
  });

  // Test that --small keeps only the four small networks (no sweeps, kernels or matmuls) and that the
  // default run adds them after the issue configurations, while --host-only keeps the issue ones alone.
  it('--small', () => {
    const small = benchRequest(parseBenchArgs(['--small']));
    expect(small.configs.map((c) => c.name)).toEqual([
      'moons 2-16-16-1 b32',
      'cancer 30-16-8-1 b64',
      'iris 4-16-3 b16',
      'edge 64-64-64-10 b64',
    ]);
    expect(small.engines).toContain('webgpu-fused');
    expect(small.matmulSizes).toEqual([]);
    expect(small.kernels).toBe(false);
    expect(
      benchRequest(parseBenchArgs([]))
        .configs.map((c) => c.group)
        .slice(0, 8),
    ).toEqual([...Array<string>(4).fill('issue'), ...Array<string>(4).fill('small')]);
    expect(benchRequest(parseBenchArgs(['--small', '--host-only'])).configs).toHaveLength(4);
    expect(() => parseBenchArgs(['--small', '--hidden', '64'])).toThrow('--small and --hidden');
  });

  // Test that bad values are refused with the flag and the value named.
  it('rejects bad values', () => {
    expect(() => parseBenchArgs(['--family', 'fast'])).toThrow(
      "--family: expected one of tiled, tiled8, blocked, got 'fast'",
    );
    expect(() => parseBenchArgs(['--steps-per-submit', '0,4'])).toThrow(
      "--steps-per-submit: each value must be a positive integer, got '0' in '0,4'",
    );
    expect(() => benchRequest(parseBenchArgs(['--only', 'nope']))).toThrow(
      /--only nope: no configuration matches \(names: 784-128-10 b64, /,
    );
  });
});
