// The whole L-layer network in float64, built only from ops.ts: the yardstick the GPU is measured against.
// Layout and equations as in model.ts; the cost is the mean loss over the batch.

import { layerActivation, layerCount, size, type Activation, type ModelSpec, type Params } from '../model.ts';
import { activationGrad, biasActivation, biasGrad, bceWithLogits, matmul, mseLoss, sgdUpdate, softmaxCrossEntropy, type LossResult } from './ops.ts';

/** Float64 parameters, same layout as Params: weight [out][in], bias [out]. */
export type Params64 = { weight: Float64Array; bias: Float64Array }[];

/** Gradients of the mean cost, named and laid out like the parameters. */
export interface Grads {
  readonly dW: Float64Array[];
  readonly db: Float64Array[];
}

export function toParams64(p: Params): Params64 {
  return p.map((l) => ({ weight: Float64Array.from(l.weight), bias: Float64Array.from(l.bias) }));
}

export function toParams32(p: Params64): Params {
  return p.map((l) => ({ weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) }));
}

/** Activation the forward pass applies after layer l. The output layer stays linear: for 'bce' and 'ce'
 *  the loss applies sigmoid/softmax itself (from logits, which is stable), and 'mse' is linear anyway. */
function forwardActivation(spec: ModelSpec, l: number): Activation {
  return l === layerCount(spec) - 1 ? 'linear' : layerActivation(spec, l);
}

/** Forward pass over x[rows][n0]. a[0] = x, a[l+1] = output of layer l; the last entry is the output
 *  layer's Z (logits for 'bce'/'ce', the prediction for 'mse'). */
export function forward(spec: ModelSpec, params: Params64, x: Float64Array, rows: number): { a: Float64Array[] } {
  const a: Float64Array[] = [x];
  for (let l = 0; l < layerCount(spec); l++) {
    const nIn = size(spec, l);
    const nOut = size(spec, l + 1);
    const p = params[l]!;
    const z = matmul(a[l]!, p.weight, rows, nOut, nIn, false, true); // A_prev · Wᵀ
    a.push(biasActivation(z, p.bias, rows, nOut, forwardActivation(spec, l)));
  }
  return { a };
}

/** Loss of the output layer's Z (see forward) against targets y[rows][n_L]. */
export function lossAndGrad(spec: ModelSpec, zOut: Float64Array, y: Float64Array, rows: number): LossResult {
  const cols = size(spec, layerCount(spec));
  switch (spec.loss) {
    case 'bce':
      if (cols !== 1) throw new Error(`loss 'bce' needs one output unit, got ${cols}`);
      return bceWithLogits(zOut, y, rows);
    case 'ce':
      return softmaxCrossEntropy(zOut, y, rows, cols);
    case 'mse':
      return mseLoss(zOut, y, rows, cols);
  }
}

/** Backward pass from dZout = d(mean cost)/dZ of the output layer (as lossAndGrad returns it),
 *  given acts = forward(...).a. */
export function backward(spec: ModelSpec, params: Params64, acts: Float64Array[], dZout: Float64Array, rows: number): Grads {
  const L = layerCount(spec);
  const dW: Float64Array[] = new Array<Float64Array>(L);
  const db: Float64Array[] = new Array<Float64Array>(L);
  let dZ = dZout;
  for (let l = L - 1; l >= 0; l--) {
    const nIn = size(spec, l);
    const nOut = size(spec, l + 1);
    const aPrev = acts[l]!;
    dW[l] = matmul(dZ, aPrev, nOut, nIn, rows, true, false); // dZᵀ · A_prev
    db[l] = biasGrad(dZ, rows, nOut);
    if (l > 0) {
      const dAPrev = matmul(dZ, params[l]!.weight, rows, nIn, nOut, false, false); // dZ · W
      dZ = activationGrad(dAPrev, aPrev, forwardActivation(spec, l - 1));
    }
  }
  return { dW, db };
}

/** Gradients of the mean cost by backpropagation (forward, loss, backward). */
export function backpropGrads(spec: ModelSpec, params: Params64, x: Float64Array, y: Float64Array, rows: number): Grads {
  const { a } = forward(spec, params, x, rows);
  const loss = lossAndGrad(spec, a[a.length - 1]!, y, rows);
  return backward(spec, params, a, loss.dZ, rows);
}

/** One SGD step on x[rows][n0], y[rows][n_L]. Updates params IN PLACE (each weight and bias array is
 *  overwritten, the arrays themselves are kept). Returns the mean loss and the number classified right,
 *  both measured before the update, and the gradients that were applied. */
export function trainStep(spec: ModelSpec, params: Params64, x: Float64Array, y: Float64Array, rows: number, lr: number): { loss: number; correct: number; grads: Grads } {
  const { a } = forward(spec, params, x, rows);
  const out = lossAndGrad(spec, a[a.length - 1]!, y, rows);
  const grads = backward(spec, params, a, out.dZ, rows);
  for (let l = 0; l < params.length; l++) {
    const p = params[l]!;
    p.weight.set(sgdUpdate(p.weight, grads.dW[l]!, lr));
    p.bias.set(sgdUpdate(p.bias, grads.db[l]!, lr));
  }
  return { loss: sum(out.rowLoss) / rows, correct: sum(out.correct), grads };
}

/** Mean loss J over the batch (what the gradient check differentiates). */
export function cost(spec: ModelSpec, params: Params64, x: Float64Array, y: Float64Array, rows: number): number {
  const { a } = forward(spec, params, x, rows);
  return sum(lossAndGrad(spec, a[a.length - 1]!, y, rows).rowLoss) / rows;
}

export function sum(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}
