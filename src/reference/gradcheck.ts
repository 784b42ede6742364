// Gradient checking as in the course: backprop gradients against central differences of the cost,
// one relative difference per tensor.

import { initParams } from '../init.ts';
import { HIDDEN_ACTIVATIONS, layerCount, tensorName, type ModelSpec, type TensorKind } from '../model.ts';
import { Rng } from '../rng.ts';
import { backpropGrads, cost, toParams64, type Grads, type Params64, type Regularization } from './mlp.ts';

export interface GradCheckResult {
  readonly layer: number;
  readonly name: string;
  /** ‖g − g̃‖₂ / (‖g‖₂ + ‖g̃‖₂); 0 when both are zero. */
  readonly relDiff: number;
}

/** How the gradients under test are computed; the default is the reference's backprop. Tests pass a
 *  deliberately broken one to show that the check catches it. */
export type GradFn = (
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  reg: Regularization,
) => Grads;

/** Compares each tensor's gradient with (J(θ+ε) − J(θ−ε)) / 2ε, one parameter at a time.
 *  params are perturbed in place and restored exactly. Cost: two forward passes per parameter.
 *  reg adds L2 to the cost and/or fixes a dropout mask (the cost stays deterministic). */
export function gradientCheck(
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  eps = 1e-6,
  grads: GradFn = backpropGrads,
  reg: Regularization = {},
): GradCheckResult[] {
  const g = grads(spec, params, x, y, rows, reg);
  const results: GradCheckResult[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const p = params[l]!;
    // Every learnable tensor: weight, bias, and γ, β of a batch-normalised layer (its running stats
    // are not parameters of the cost).
    const tensors: [TensorKind, Float64Array, Float64Array | undefined][] = [
      ['weight', p.weight, g.dW[l]],
      ['bias', p.bias, g.db[l]],
    ];
    if (p.bn) tensors.push(['bn_gamma', p.bn.gamma, g.bn?.[l]?.dGamma], ['bn_beta', p.bn.beta, g.bn?.[l]?.dBeta]);
    for (const [kind, theta, grad] of tensors) {
      const analytic = grad ?? new Float64Array(theta.length); // a missing gradient counts as zero (and fails)
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

// ---- the user-facing check (`npm run gradcheck`, and importable by the app: no Node APIs here) ----

/** The course's threshold: a correct backprop in float64 gives a relative difference below 1e-7. */
export const GRADCHECK_THRESHOLD = 1e-7;

export interface GradCheckCase {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly reg: Regularization;
  readonly results: GradCheckResult[];
}

/** Every supported layer type: each hidden activation under each output loss (MSE twice: on several
 *  outputs, and as a one-target regression net with two hidden layers), then L2, dropout and both, then
 *  batch norm (each hidden activation, alone and with L2 + dropout).
 *  Small random problems (rows examples), so the whole sweep takes well under a second. */
export function gradientCheckSuite(seed = 1, rows = 5, grads: GradFn = backpropGrads): GradCheckCase[] {
  const nets: [number[], ModelSpec['loss']][] = [
    [[3, 5, 4, 3], 'ce'],
    [[4, 6, 5, 1], 'bce'],
    [[3, 4, 2], 'mse'],
    [[2, 8, 6, 1], 'mse'],
  ];
  const regs: [string, Regularization][] = [
    ['', {}],
    [', L2 λ=0.7', { l2: 0.7 }],
    [', dropout keep=0.7', { dropout: { keepProb: 0.7, seed, step: 1 } }],
    [', L2 + dropout', { l2: 0.7, dropout: { keepProb: 0.7, seed, step: 2 } }],
  ];
  const cases: GradCheckCase[] = [];
  for (const [sizes, loss] of nets) {
    for (const activation of HIDDEN_ACTIVATIONS) {
      for (const [regLabel, reg] of regs) {
        if (regLabel !== '' && loss !== 'ce') continue; // regularisation is independent of the loss: one loss is enough
        const spec: ModelSpec = { sizes, activation, loss };
        const { params, x, y } = smallProblem(spec, rows, seed);
        cases.push({
          label: `${loss} [${sizes.join(',')}] ${activation}${regLabel}`,
          spec,
          reg,
          results: gradientCheck(spec, params, x, y, rows, 1e-6, grads, reg),
        });
      }
    }
  }
  const bnNets: [number[], ModelSpec['loss'], string, Regularization][] = [
    [[3, 5, 4, 3], 'ce', '', {}],
    [[4, 6, 5, 1], 'bce', '', {}],
    [[3, 4, 2], 'mse', '', {}],
    [[3, 5, 4, 3], 'ce', ', L2 + dropout', { l2: 0.7, dropout: { keepProb: 0.7, seed, step: 3 } }],
  ];
  for (const [sizes, loss, regLabel, reg] of bnNets) {
    for (const activation of HIDDEN_ACTIVATIONS) {
      const spec: ModelSpec = { sizes, activation, loss, batchNorm: true };
      const { params, x, y } = smallProblem(spec, rows, seed);
      cases.push({
        label: `${loss} [${sizes.join(',')}] ${activation}, batch norm${regLabel}`,
        spec,
        reg,
        results: gradientCheck(spec, params, x, y, rows, 1e-6, grads, reg),
      });
    }
  }
  return cases;
}

/** Seeded inputs and targets for a spec, weights from the model's init, biases small random; batch
 *  norm's γ near 1 and β near 0, random too (at exactly 1 and 0 a γ/β mix-up would go unseen). */
function smallProblem(
  spec: ModelSpec,
  rows: number,
  seed: number,
): { params: Params64; x: Float64Array; y: Float64Array } {
  const rng = new Rng(seed + 1000);
  const params = toParams64(initParams(spec, seed));
  for (const p of params) for (let i = 0; i < p.bias.length; i++) p.bias[i] = rng.normal() * 0.1;
  for (const p of params) {
    if (!p.bn) continue;
    for (let i = 0; i < p.bn.gamma.length; i++) p.bn.gamma[i] = 1 + rng.normal() * 0.3;
    for (let i = 0; i < p.bn.beta.length; i++) p.bn.beta[i] = rng.normal() * 0.3;
  }
  const nIn = spec.sizes[0]!;
  const nOut = spec.sizes[spec.sizes.length - 1]!;
  const x = Float64Array.from({ length: rows * nIn }, () => rng.normal());
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    if (spec.loss === 'ce') y[r * nOut + rng.int(nOut)] = 1;
    else if (spec.loss === 'bce') y[r] = rng.int(2);
    else for (let j = 0; j < nOut; j++) y[r * nOut + j] = rng.normal();
  }
  return { params, x, y };
}
