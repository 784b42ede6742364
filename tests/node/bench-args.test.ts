import { describe, expect, it } from 'vitest';
import { benchRequest, parseBenchArgs } from '../../src/cli/bench.ts';

describe('bench arguments', () => {
  // Test that --steps-per-submit takes a list into the request and --only keeps the matching configurations.
  it('--steps-per-submit and --only', () => {
    const req = benchRequest(parseBenchArgs(['--steps-per-submit', '1,2,16', '--only', '784-128-10 b64,12288', '--no-sweep']));
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

  // Test that bad values are refused with the flag and the value named.
  it('rejects bad values', () => {
    expect(() => parseBenchArgs(['--family', 'fast'])).toThrow("--family: expected one of tiled, tiled8, blocked, got 'fast'");
    expect(() => parseBenchArgs(['--steps-per-submit', '0,4'])).toThrow("--steps-per-submit: each value must be a positive integer, got '0' in '0,4'");
    expect(() => benchRequest(parseBenchArgs(['--only', 'nope']))).toThrow(/--only nope: no configuration matches \(names: 784-128-10 b64, /);
  });
});
