// Gradient checking as in the course: backprop gradients against central differences of the cost,
// one relative difference per tensor.

import { layerCount, tensorName, type ModelSpec } from '../model.ts';
import { backpropGrads, cost, type Grads, type Params64, type Regularization } from './mlp.ts';

export interface GradCheckResult {
  readonly layer: number;
  readonly name: string;
  /** ‖g − g̃‖₂ / (‖g‖₂ + ‖g̃‖₂); 0 when both are zero. */
  readonly relDiff: number;
}

/** How the gradients under test are computed; the default is the reference's backprop. Tests pass a
 *  deliberately broken one to show that the check catches it. */
export type GradFn = (spec: ModelSpec, params: Params64, x: Float64Array, y: Float64Array, rows: number, reg: Regularization) => Grads;

/** Compares each tensor's gradient with (J(θ+ε) − J(θ−ε)) / 2ε, one parameter at a time.
 *  params are perturbed in place and restored exactly. Cost: two forward passes per parameter.
 *  reg adds L2 to the cost and/or fixes a dropout mask (the cost stays deterministic). */
export function gradientCheck(spec: ModelSpec, params: Params64, x: Float64Array, y: Float64Array, rows: number, eps = 1e-6, grads: GradFn = backpropGrads, reg: Regularization = {}): GradCheckResult[] {
  const g = grads(spec, params, x, y, rows, reg);
  const results: GradCheckResult[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const p = params[l]!;
    for (const kind of ['weight', 'bias'] as const) {
      const theta = kind === 'weight' ? p.weight : p.bias;
      const analytic = kind === 'weight' ? g.dW[l]! : g.db[l]!;
      const numeric = new Float64Array(theta.length);
      for (let i = 0; i < theta.length; i++) {
        const orig = theta[i]!;
        theta[i] = orig + eps;
        const plus = cost(spec, params, x, y, rows, reg);
        theta[i] = orig - eps;
        const minus = cost(spec, params, x, y, rows, reg);
        theta[i] = orig;
        numeric[i] = (plus - minus) / (2 * eps);
      }
      results.push({ layer: l, name: tensorName(l, kind), relDiff: relativeDifference(analytic, numeric) });
    }
  }
  return results;
}

/** ‖a − b‖₂ / (‖a‖₂ + ‖b‖₂), the course's measure; 0 when both vectors are zero. */
export function relativeDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new Error(`relativeDifference: lengths ${a.length} and ${b.length} differ`);
  let diff = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  const denom = Math.sqrt(na) + Math.sqrt(nb);
  return denom === 0 ? 0 : Math.sqrt(diff) / denom;
}
