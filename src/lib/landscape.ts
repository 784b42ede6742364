// The loss surface around a model's weights θ (Li et al. 2018, "Visualizing the Loss Landscape of Neural
// Nets"): J(θ + α·d1 + β·d2) over a square grid of (α, β), along two random directions d1, d2 drawn
// Gaussian and then filter-normalised: each row of each weight matrix (one output unit's incoming
// weights, a "filter" of a dense layer) rescaled to the norm of θ's same row, so every unit is moved in
// proportion to its own scale and the picture does not depend on how the weights happen to be scaled.
// The biases are zero in both directions (the paper's choice for biases and batch norm: they stay at
// θ's values over the whole plane). The cost is the mean data loss (no L2 term) over the rows given.
// On a GPU trainer every point is one workgroup of one dispatch (src/gpu/landscape.ts, the vec4 kernel); on the CPU the
// float64 reference computes it (src/reference/landscape.ts).
import { TrainerError } from '../errors.ts';
import type { GpuContext } from '../gpu/device.ts';
import { landscapeCosts } from '../gpu/landscape.ts';
import { layerCount, type ModelSpec, type Params } from '../model.ts';
import { landscape } from '../reference/landscape.ts';
import { toParams64 } from '../reference/mlp.ts';
import { Rng } from '../rng.ts';
import type { SplitData } from '../train/backend.ts';

/** What Trainer.lossSurface takes. */
export interface SurfaceOptions {
  /** Points per side of the square grid (default 41: 1,681 points). */
  readonly size?: number;
  /** α and β run over [−range, range] (default 1: one filter norm each way). */
  readonly range?: number;
  /** Seed of the two random directions (default 1). */
  readonly seed?: number;
  /** Earlier weights of the same model (checkpoints of its run, oldest first) to project onto the plane. */
  readonly path?: readonly Params[];
}

/** The cost over a plane through the weights θ. */
export interface LossSurface {
  /** Points per side. */
  readonly size: number;
  /** The grid's coordinates along each axis, from −range to range. */
  readonly axis: Float64Array;
  /** size × size mean costs: cost[i·size + j] at α = axis[j], β = axis[i]. */
  readonly cost: Float32Array;
  /** The directions (same shapes as the parameters, biases zero). */
  readonly d1: Params;
  readonly d2: Params;
  /** Each of `path`'s weights as (α, β): its least-squares projection onto the plane. */
  readonly path: readonly { readonly alpha: number; readonly beta: number }[];
  /** 'gpu' (one dispatch) or 'cpu' (the float64 reference). */
  readonly device: 'gpu' | 'cpu';
}

/** `direction` rescaled filter by filter to `params`: row j of each weight matrix to the norm of
 *  params' row j (a zero row stays zero), biases set to zero. */
export function filterNormalize(direction: Params, params: Params): Params {
  return direction.map((layer, l) => {
    const theta = params[l]!;
    const nOut = layer.bias.length;
    const nIn = layer.weight.length / nOut;
    const weight = new Float32Array(layer.weight.length);
    for (let j = 0; j < nOut; j++) {
      const norm = (t: Float32Array) => Math.hypot(...t.subarray(j * nIn, (j + 1) * nIn));
      const d = norm(layer.weight);
      const scale = d > 0 ? norm(theta.weight) / d : 0;
      for (let i = j * nIn; i < (j + 1) * nIn; i++) weight[i] = layer.weight[i]! * scale;
    }
    return { weight, bias: new Float32Array(nOut) };
  });
}

/** Two filter-normalised Gaussian directions for `params`, from one seeded generator. */
export function surfaceDirections(spec: ModelSpec, params: Params, seed = 1): [Params, Params] {
  const rng = new Rng(seed);
  const draw = (): Params =>
    params.map((p) => ({
      weight: Float32Array.from(p.weight, () => rng.normal()),
      bias: new Float32Array(p.bias.length),
    }));
  if (params.length !== layerCount(spec))
    throw new TrainerError(
      'model-mismatch',
      `surfaceDirections: ${params.length} layers, the model has ${layerCount(spec)}`,
    );
  const d1 = filterNormalize(draw(), params);
  return [d1, filterNormalize(draw(), params)];
}

/** (α, β) minimising ‖p − θ − α·d1 − β·d2‖² over every tensor (the 2×2 normal equations, in float64). */
export function projectOntoPlane(theta: Params, d1: Params, d2: Params, p: Params): { alpha: number; beta: number } {
  let [a11, a12, a22, b1, b2] = [0, 0, 0, 0, 0];
  theta.forEach((layer, l) => {
    for (const k of ['weight', 'bias'] as const) {
      const [t, u, v, q] = [layer[k], d1[l]![k], d2[l]![k], p[l]![k]];
      for (let i = 0; i < t.length; i++) {
        const r = q[i]! - t[i]!;
        a11 += u[i]! * u[i]!;
        a12 += u[i]! * v[i]!;
        a22 += v[i]! * v[i]!;
        b1 += u[i]! * r;
        b2 += v[i]! * r;
      }
    }
  });
  const det = a11 * a22 - a12 * a12;
  if (!(det > 0)) return { alpha: 0, beta: 0 }; // directions zero or parallel: no plane to project on
  return { alpha: (a22 * b1 - a12 * b2) / det, beta: (a11 * b2 - a12 * b1) / det };
}

/** The grid's axis: `size` values from −range to range. */
export function surfaceAxis(size: number, range: number): Float64Array {
  return Float64Array.from({ length: size }, (_, i) => (size === 1 ? 0 : -range + (2 * range * i) / (size - 1)));
}

/** (α, β) of every point, row by row (β along rows, α along columns), as the kernel reads them. */
export function surfaceCoords(axis: Float64Array): Float32Array {
  const n = axis.length;
  const out = new Float32Array(2 * n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      out[2 * (i * n + j)] = axis[j]!;
      out[2 * (i * n + j) + 1] = axis[i]!;
    }
  return out;
}

/** The surface around `params` over `rows` (normalised as the model sees them), on the GPU of `ctx`
 *  or, without one, on the float64 reference. */
export async function lossSurface(
  ctx: GpuContext | undefined,
  spec: ModelSpec,
  params: Params,
  rows: SplitData,
  o: SurfaceOptions = {},
): Promise<LossSurface> {
  const size = o.size ?? 41;
  const range = o.range ?? 1;
  if (!Number.isInteger(size) || size < 1 || size > 1024)
    throw new TrainerError('bad-input', `lossSurface: size ${size}, expected an integer in 1..1024`);
  if (!(range > 0 && Number.isFinite(range)))
    throw new TrainerError('bad-input', `lossSurface: range ${range}, expected a positive number`);
  if (rows.n < 1) throw new TrainerError('bad-input', 'lossSurface: no rows');
  const [d1, d2] = surfaceDirections(spec, params, o.seed ?? 1);
  const axis = surfaceAxis(size, range);
  const coords = surfaceCoords(axis);
  const path = (o.path ?? []).map((p) => projectOntoPlane(params, d1, d2, p));
  if (!ctx) {
    const [x, y] = [Float64Array.from(rows.x), Float64Array.from(rows.y)];
    const cost = landscape(spec, toParams64(params), toParams64(d1), toParams64(d2), coords, x, y, rows.n);
    return { size, axis, cost: Float32Array.from(cost), d1, d2, path, device: 'cpu' };
  }
  const cost = await landscapeCosts(ctx, { spec, theta: params, d1, d2, coords, x: rows.x, y: rows.y, n: rows.n });
  return { size, axis, cost, d1, d2, path, device: 'gpu' };
}
