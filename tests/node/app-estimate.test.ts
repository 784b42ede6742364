// The page's estimate of a run's time before it starts (src/app/estimate.ts), against what SwiftShader
// measured: the default spiral run ~4.5 s (220 steps/s), a step of 32 rows at hidden 1024,1024 ~0.6 s.
import { describe, expect, it } from 'vitest';
import { estimateLine, estimateSeconds, measuredRate, PRIOR_RATE } from '../../src/app/estimate.ts';
import { DEFAULTS } from '../../src/app/settings.ts';

const spiral = { inputs: 2, outputs: 3, rows: DEFAULTS.samples };

describe('the app run estimate', () => {
  // Test that the default run is estimated at seconds and not warned about, and hidden 1024,1024 for
  // 40 epochs at minutes, with a warning that says Stop ends it.
  it('Test that the estimate warns about runs of minutes only', () => {
    const fast = estimateSeconds(DEFAULTS, spiral, PRIOR_RATE.swiftshader);
    expect(fast).toBeGreaterThan(3);
    expect(fast).toBeLessThan(10);
    expect(estimateLine(fast, 'google swiftshader', false)).toBe('');
    const big = estimateSeconds({ ...DEFAULTS, hidden: [1024, 1024] }, spiral, PRIOR_RATE.swiftshader);
    expect(big / 1000).toBeGreaterThan(0.5); // 1000 steps of ~0.6 s
    expect(big / 1000).toBeLessThan(0.7);
    expect(estimateLine(big, 'google swiftshader', false)).toMatch(
      /^This run should take about 11 min on google swiftshader \(estimated from its size\); Stop ends it/,
    );
  });

  // Test that a run's rate is measured only when its arithmetic outweighs the per-step overhead.
  it('Test that a measured rate comes from large runs only', () => {
    expect(measuredRate(3 * 32 * 1184, 220)).toBeUndefined(); // the default run: overhead
    const r = measuredRate(3 * 32 * 1_054_720, 1 / 0.6)!;
    expect(r / PRIOR_RATE.swiftshader).toBeGreaterThan(0.9);
    expect(r / PRIOR_RATE.swiftshader).toBeLessThan(1.1);
  });
});
