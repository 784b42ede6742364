// The loss surface's mesh (src/app/surface-mesh.ts): heights by log cost, normals, triangles and the
// path on top, checked as data (the e2e test checks that the page draws it).
import { describe, expect, it } from 'vitest';
import { SURFACE_HEIGHT, surfaceHeights, surfaceMesh, VERTEX_FLOATS } from '../../src/app/surface-mesh.ts';

const axis = [-1, -0.5, 0, 0.5, 1];
const bowl = Array.from({ length: 25 }, (_, p) => 0.1 + axis[p % 5]! ** 2 + axis[Math.floor(p / 5)]! ** 2);

describe('surface mesh', () => {
  // Test that heights run from 0 at the lowest cost to 1 at the highest, on a log scale, and that a
  // NaN point is drawn at the top rather than breaking the scale.
  it('log heights in [0, 1], NaN at the top', () => {
    const { h, min, max } = surfaceHeights([1, 10, 100, NaN]);
    expect([min, max]).toEqual([1, 100]);
    expect(h[0]).toBeCloseTo(0, 6);
    expect(h[1]).toBeCloseTo(0.5, 4);
    expect(h[2]).toBeCloseTo(1, 6);
    expect(h[3]).toBe(1);
  });

  // Test that a 5×5 grid makes 25 vertices with unit normals (straight up where the surface is flat,
  // tilted uphill-away on a slope), 32 triangles over them, and the path's points inside the grid.
  it('vertices, normals, triangles and the path', () => {
    const path = [
      { alpha: 0.8, beta: 0.8 },
      { alpha: 0, beta: 0 },
      { alpha: 3, beta: 0 }, // outside the plane's range: dropped
    ];
    const m = surfaceMesh({ size: 5, axis, cost: bowl, path });
    expect(m.indices.length).toBe(4 * 4 * 6);
    expect(Math.max(...m.indices)).toBe(24);
    expect(m.pathFirst).toBe(25);
    expect(m.pathCount).toBe(2);
    expect(m.vertices.length).toBe(27 * VERTEX_FLOATS);
    for (let v = 0; v < 25; v++) {
      const n = m.vertices.subarray(v * VERTEX_FLOATS + 3, v * VERTEX_FLOATS + 6);
      expect(Math.hypot(...n)).toBeCloseTo(1, 5);
    }
    const centre = m.vertices.subarray(12 * VERTEX_FLOATS, 13 * VERTEX_FLOATS);
    expect([...centre.subarray(0, 6)].map((x) => +x.toFixed(5))).toEqual([0, 0, 0, 0, 1, 0]); // the bowl's bottom
    const right = m.vertices.subarray(14 * VERTEX_FLOATS + 3, 14 * VERTEX_FLOATS + 6);
    expect(right[0]).toBeLessThan(0); // the slope rises with x: its normal leans back to −x
    const corner = m.vertices[24 * VERTEX_FLOATS + 1]!;
    expect(corner).toBeCloseTo(SURFACE_HEIGHT, 5);
    const onPath = m.vertices.subarray(26 * VERTEX_FLOATS, 27 * VERTEX_FLOATS);
    expect([onPath[0], onPath[2]]).toEqual([0, 0]);
    expect(onPath[1]).toBeGreaterThan(0); // lifted above the bottom
  });

  // Test that a grid whose costs do not fill it is refused, naming the sizes.
  it('refuses a grid of the wrong size', () => {
    expect(() => surfaceMesh({ size: 5, axis, cost: [1, 2, 3], path: [] })).toThrow(/3 costs for a 5×5 grid/);
  });
});
