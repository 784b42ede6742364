// The views' cost bounds (src/app/view-data.ts): a large model's boundary grid is coarser, and a view
// refresh from a checkpoint on the float64 reference (on the training's own thread) only runs when cheap.
import { describe, expect, it } from 'vitest';
import { boundaryRes, midRunAffordable, type View } from '../../src/app/view-data.ts';
import type { ModelSpec } from '../../src/index.ts';

const spec = (hidden: number[]): ModelSpec => ({ sizes: [2, ...hidden, 3], activation: 'relu', loss: 'ce' });

const points = (res: number): View => ({
  view: {
    kind: 'points',
    x: new Float32Array(0),
    labels: new Uint8Array(0),
    testFrom: 0,
    classes: 3,
    bounds: { x0: -1, x1: 1, y0: -1, y1: 1 },
    res,
  },
  rows: undefined,
});

describe('the app view costs', () => {
  // Test that the default spiral net keeps its 64×64 boundary, refreshed mid-run, and hidden 1024,1024
  // gets 16×16 with no mid-run refresh (which held Stop for seconds).
  it('Test that large models get a coarser grid and no mid-run refresh on the reference', () => {
    expect(boundaryRes(spec([32, 32]))).toBe(64);
    expect(midRunAffordable(spec([32, 32]), points(64))).toBe(true);
    expect(boundaryRes(spec([1024, 1024]))).toBe(16);
    expect(midRunAffordable(spec([1024, 1024]), points(16))).toBe(false);
    expect(boundaryRes(spec([512, 512]))).toBe(33);
  });
});
