// The loss landscape's CPU twin (shaders/landscape.wgsl): the mean cost at points θ + α·d1 + β·d2, the
// weights formed and the forward pass run in float64 by the reference's own cost (mlp.ts), independent
// of the GPU path.
import type { ModelSpec } from '../model.ts';
import { cost, type Params64 } from './mlp.ts';

/** θ + α·d1 + β·d2 tensor by tensor, in float64. */
export function planePoint(theta: Params64, d1: Params64, d2: Params64, alpha: number, beta: number): Params64 {
  const mix = (t: Float64Array, a: Float64Array, b: Float64Array) => t.map((v, i) => v + alpha * a[i]! + beta * b[i]!);
  return theta.map((layer, l) => ({
    weight: mix(layer.weight, d1[l]!.weight, d2[l]!.weight),
    bias: mix(layer.bias, d1[l]!.bias, d2[l]!.bias),
  }));
}

/** The mean cost J (no L2 term) over x [rows][n_0] against y at each point (α, β) of coords. */
export function landscape(
  spec: ModelSpec,
  theta: Params64,
  d1: Params64,
  d2: Params64,
  coords: ArrayLike<number>,
  x: Float64Array,
  y: Float64Array,
  rows: number,
): Float64Array {
  const out = new Float64Array(coords.length / 2);
  for (let p = 0; p < out.length; p++)
    out[p] = cost(spec, planePoint(theta, d1, d2, coords[2 * p]!, coords[2 * p + 1]!), x, y, rows);
  return out;
}
