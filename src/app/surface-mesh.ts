// The loss surface as triangles and a line: a size × size grid of costs (Trainer.lossSurface) turned
// into vertices (position, normal, colour) for surface.wgsl, and the run's path on it. Pure data, so
// a Node test can check it. Height and colour follow the log of the cost: a basin's floor and a
// corner ten times higher both stay visible.

/** Floats per vertex: position xyz, normal xyz, colour rgb. */
export const VERTEX_FLOATS = 9;
/** Height of the highest point; the grid spans x, z in [−1, 1]. */
export const SURFACE_HEIGHT = 0.9;

export interface SurfaceGrid {
  readonly size: number;
  readonly axis: ArrayLike<number>;
  readonly cost: ArrayLike<number>;
  readonly path: readonly { readonly alpha: number; readonly beta: number }[];
}

export interface SurfaceMesh {
  /** size² vertices of the surface, then the path's. */
  readonly vertices: Float32Array;
  /** Triangles of the surface (two a grid cell). */
  readonly indices: Uint32Array;
  /** Path vertices after the surface's (a line strip), and how many. */
  readonly pathFirst: number;
  readonly pathCount: number;
  /** Lowest and highest cost (finite values; a NaN or Inf point is drawn at the top). */
  readonly min: number;
  readonly max: number;
}

/** Heights in [0, 1]: the log of each cost between the lowest and the highest. */
export function surfaceHeights(cost: ArrayLike<number>): { h: Float32Array; min: number; max: number } {
  let [min, max] = [Infinity, -Infinity];
  for (let i = 0; i < cost.length; i++) {
    const c = cost[i]!;
    if (Number.isFinite(c)) [min, max] = [Math.min(min, c), Math.max(max, c)];
  }
  if (!Number.isFinite(min)) [min, max] = [0, 1];
  const lo = Math.log(min + 1e-6);
  const span = Math.log(max + 1e-6) - lo || 1;
  const h = Float32Array.from({ length: cost.length }, (_, i) => {
    const c = cost[i]!;
    return Number.isFinite(c) ? (Math.log(c + 1e-6) - lo) / span : 1;
  });
  return { h, min, max };
}

// Blue (low) through teal and yellow to red (high).
const RAMP = [
  [0.18, 0.2, 0.6],
  [0.1, 0.55, 0.6],
  [0.45, 0.75, 0.3],
  [0.95, 0.8, 0.2],
  [0.85, 0.25, 0.15],
] as const;

/** The ramp's colour at t in [0, 1]. */
export function rampColour(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const [a, b] = [RAMP[i]!, RAMP[i + 1]!];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/** Height of the surface at (u, v) in grid units (bilinear between the four points around it). */
function heightAt(h: Float32Array, size: number, u: number, v: number): number {
  const [j, i] = [Math.min(Math.floor(u), size - 2), Math.min(Math.floor(v), size - 2)];
  const [fu, fv] = [u - j, v - i];
  const at = (ii: number, jj: number) => h[ii * size + jj]!;
  const top = at(i, j) * (1 - fu) + at(i, j + 1) * fu;
  const bottom = at(i + 1, j) * (1 - fu) + at(i + 1, j + 1) * fu;
  return top * (1 - fv) + bottom * fv;
}

/** Vertices and triangles of the surface (x = α, z = β, both scaled to [−1, 1]; y = height), normals by
 *  central differences, and the path's points inside the grid lifted a little above it. */
export function surfaceMesh(g: SurfaceGrid): SurfaceMesh {
  const { size } = g;
  if (size < 2 || g.cost.length !== size * size)
    throw new Error(`surface mesh: ${g.cost.length} costs for a ${size}×${size} grid (at least 2×2)`);
  const { h, min, max } = surfaceHeights(g.cost);
  const range = Math.abs(g.axis[0]!);
  const step = 2 / (size - 1);
  const inside = g.path.filter((p) => Math.abs(p.alpha) <= range && Math.abs(p.beta) <= range);
  const vertices = new Float32Array((size * size + inside.length) * VERTEX_FLOATS);
  const y = (i: number, j: number) =>
    SURFACE_HEIGHT * h[Math.min(Math.max(i, 0), size - 1) * size + Math.min(Math.max(j, 0), size - 1)]!;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const dx = (y(i, j + 1) - y(i, j - 1)) / ((Math.min(j + 1, size - 1) - Math.max(j - 1, 0)) * step);
      const dz = (y(i + 1, j) - y(i - 1, j)) / ((Math.min(i + 1, size - 1) - Math.max(i - 1, 0)) * step);
      const n = Math.hypot(dx, 1, dz);
      vertices.set(
        [-1 + j * step, y(i, j), -1 + i * step, -dx / n, 1 / n, -dz / n, ...rampColour(h[i * size + j]!)],
        (i * size + j) * VERTEX_FLOATS,
      );
    }
  inside.forEach((p, k) => {
    const [u, v] = [((p.alpha / range + 1) * (size - 1)) / 2, ((p.beta / range + 1) * (size - 1)) / 2];
    const lift = SURFACE_HEIGHT * heightAt(h, size, u, v) + 0.02;
    vertices.set([p.alpha / range, lift, p.beta / range, 0, 1, 0, 1, 1, 1], (size * size + k) * VERTEX_FLOATS);
  });
  const indices = new Uint32Array((size - 1) * (size - 1) * 6);
  let o = 0;
  for (let i = 0; i + 1 < size; i++)
    for (let j = 0; j + 1 < size; j++) {
      const a = i * size + j;
      indices.set([a, a + size, a + 1, a + 1, a + size, a + size + 1], o);
      o += 6;
    }
  return { vertices, indices, pathFirst: size * size, pathCount: inside.length, min, max };
}
