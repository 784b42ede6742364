import { describe, expect, it } from 'vitest';
import { latest, niceTicks, tickDecimals, tickLabels } from '../../src/app/chart-format.ts';

describe('web app chart formats', () => {
  // Test that every tick of an axis has as many decimals as its step needs (not "0.00 / 0.500 / 1.00").
  it('writes axis ticks with one number of decimals', () => {
    expect(tickLabels([0, 0.5, 1], 0.5, false)).toEqual(['0.0', '0.5', '1.0']);
    expect(tickLabels([0, 0.25, 0.5], 0.25, false)).toEqual(['0.00', '0.25', '0.50']);
    expect(tickLabels([0.001, 0.002], 0.001, false)).toEqual(['0.001', '0.002']);
    expect(tickLabels([0, 10, 20], 10, false)).toEqual(['0', '10', '20']);
    expect(tickLabels([0, 0.2, 0.4], 0.2, true)).toEqual(['0%', '20%', '40%']);
    expect(tickLabels([0.9, 0.95, 1], 0.05, true)).toEqual(['90%', '95%', '100%']);
    expect(tickLabels([0.99, 0.995], 0.005, true)).toEqual(['99.0%', '99.5%']);
    expect(tickDecimals(0.1 + 0.2)).toBe(1); // 0.30000000000000004: floating-point noise is not a decimal
  });

  // Test that the legend's value off the chart is the series' last value, skipping the gaps.
  it('finds the latest value of a series', () => {
    expect(latest([])).toBeNull();
    expect(latest([null, null])).toBeNull();
    expect(latest([0.7, 0.5, null, 0.4, null])).toBe(0.4);
  });

  // Test that the scatter's ticks are round values inside the range, at most `count` steps apart.
  it('picks round ticks for the scatter axes', () => {
    expect(niceTicks(-0.13, 2.7, 5)).toEqual({ values: [0, 1, 2], step: 1 });
    expect(niceTicks(0, 10, 5)).toEqual({ values: [0, 2, 4, 6, 8, 10], step: 2 });
    expect(niceTicks(-3.2, -1.1, 8)).toEqual({ values: [-3, -2.5, -2, -1.5], step: 0.5 });
    expect(niceTicks(1e4, 1.9e5, 5).step).toBe(5e4);
    const { values, step } = niceTicks(0.301, 0.302, 5);
    expect(step).toBeCloseTo(2e-4, 15);
    expect(tickLabels(values, step, false)).toEqual(['0.3010', '0.3012', '0.3014', '0.3016', '0.3018', '0.3020']);
  });
});
