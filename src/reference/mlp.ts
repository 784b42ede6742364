// The whole L-layer network in float64, built only from ops.ts: the yardstick the GPU is measured against.
// Layout and equations as in model.ts; the cost is the mean loss over the batch.

import {
  fromTensors,
  hasBatchNorm,
  layerActivation,
  layerCount,
  layerTensors,
  size,
  type Activation,
  type BatchNormTensors,
  type ModelSpec,
  type Params,
  type TensorKind,
} from '../model.ts';
import type { TrainConfig } from '../train/backend.ts';
import {
  activationGrad,
  batchNormBackward,
  batchNormForward,
  batchNormInference,
  biasActivation,
  biasGrad,
  bceWithLogits,
  dropoutBackward,
  dropoutForward,
  l2Penalty,
  matmul,
  mseLoss,
  optimizerUpdate,
  sgdUpdate,
  softmaxCrossEntropy,
  type LossResult,
} from './ops.ts';

/** Float64 parameters, same layout as Params: weight [out][in], bias [out], bn for batch norm. */
export type Params64 = { weight: Float64Array; bias: Float64Array; bn?: BatchNormTensors<Float64Array> }[];

/** Gradients of the mean cost, named and laid out like the parameters; bn[l] = dγ, dβ of a
 *  batch-normalised layer l (absent without batch norm). */
export interface Grads {
  readonly dW: Float64Array[];
  readonly db: Float64Array[];
  readonly bn?: ({ readonly dGamma: Float64Array; readonly dBeta: Float64Array } | undefined)[];
}

/** Each layer's tensors mapped through f (a copy or a conversion), structure kept. */
export function mapLayers<A, B>(
  p: readonly { weight: A; bias: A; bn?: BatchNormTensors<A> }[],
  f: (a: A, kind: TensorKind) => B,
): { weight: B; bias: B; bn?: BatchNormTensors<B> }[] {
  return p.map((l) => {
    const m = new Map(layerTensors(l));
    return fromTensors((k) => f(m.get(k)!, k), l.bn !== undefined);
  });
}

export function toParams64(p: Params): Params64 {
  return mapLayers(p, (t) => Float64Array.from(t));
}

export function toParams32(p: Params64): Params {
  return mapLayers(p, (t) => Float32Array.from(t));
}

/** What a training-mode batch-norm layer keeps for its backward and its running-average update. */
export interface BatchNormCache {
  readonly xhat: Float64Array;
  readonly istd: Float64Array;
  readonly runMean: Float64Array;
  readonly runVar: Float64Array;
}

/** Activation the forward pass applies after layer l. The output layer stays linear: for 'bce' and 'ce'
 *  the loss applies sigmoid/softmax itself (from logits, which is stable), and 'mse' is linear anyway. */
function forwardActivation(spec: ModelSpec, l: number): Activation {
  return l === layerCount(spec) - 1 ? 'linear' : layerActivation(spec, l);
}

/** Inverted dropout on the hidden layers' outputs A[1..L-1] at one training step (see dropout.wgsl). */
export interface Dropout {
  readonly keepProb: number;
  readonly seed: number;
  readonly step: number;
}

/** Forward pass over x[rows][n0]. a[0] = x, a[l+1] = output of layer l; the last entry is the output
 *  layer's Z (logits for 'bce'/'ce', the prediction for 'mse'). With dropout, `inputs[l]` is what layer
 *  l reads: a[l] with the mask applied for hidden l (a keeps the undropped values, which g' needs);
 *  without, inputs is a. Batch-normalised layers use the batch's statistics in mode 'train' (bn[l]
 *  holds what their backward needs and the moved running averages; params are not changed) and the
 *  running averages in mode 'eval' (evaluation and prediction). */
export function forward(
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  rows: number,
  dropout?: Dropout,
  mode: 'train' | 'eval' = 'train',
): { a: Float64Array[]; inputs: Float64Array[]; bn: (BatchNormCache | undefined)[] } {
  const a: Float64Array[] = [x];
  const inputs: Float64Array[] = [x];
  const bn: (BatchNormCache | undefined)[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const nIn = size(spec, l);
    const nOut = size(spec, l + 1);
    const p = params[l]!;
    const z = matmul(inputs[l]!, p.weight, rows, nOut, nIn, false, true); // A_prev · Wᵀ
    let out: Float64Array;
    if (hasBatchNorm(spec, l)) {
      const t = bnOf(p, l);
      if (mode === 'eval')
        out = batchNormInference(z, t.gamma, t.beta, t.mean, t.var, rows, nOut, forwardActivation(spec, l));
      else {
        const r = batchNormForward(z, t.gamma, t.beta, t.mean, t.var, rows, nOut, forwardActivation(spec, l));
        out = r.a;
        bn[l] = r;
      }
    } else out = biasActivation(z, p.bias, rows, nOut, forwardActivation(spec, l));
    a.push(out);
    const hidden = l + 1 < layerCount(spec);
    inputs.push(
      dropout && hidden ? dropoutForward(out, rows, nOut, dropout.seed, dropout.step, l + 1, dropout.keepProb) : out,
    );
  }
  return { a, inputs, bn };
}

function bnOf(p: Params64[number], l: number): BatchNormTensors<Float64Array> {
  if (!p.bn) throw new Error(`layers.${l}: the spec has batch norm but the parameters have no bn_* tensors`);
  return p.bn;
}

/** (λ/2m)·Σ‖W‖² over the weights of every layer (biases are not regularised). */
export function l2Cost(params: Params64, l2: number, rows: number): number {
  let s = 0;
  for (const p of params) for (const w of p.weight) s += w * w;
  return (l2 / (2 * rows)) * s;
}

/** Loss of the output layer's Z (see forward) against targets y[rows][n_L]; `regression` makes mse's
 *  second statistic Σ|error| (mseLoss). */
export function lossAndGrad(
  spec: ModelSpec,
  zOut: Float64Array,
  y: Float64Array,
  rows: number,
  regression = false,
): LossResult {
  const cols = size(spec, layerCount(spec));
  switch (spec.loss) {
    case 'bce':
      if (cols !== 1) throw new Error(`loss 'bce' needs one output unit, got ${cols}`);
      return bceWithLogits(zOut, y, rows);
    case 'ce':
      return softmaxCrossEntropy(zOut, y, rows, cols);
    case 'mse':
      return mseLoss(zOut, y, rows, cols, regression);
  }
}

/** Backward pass from dZout = d(mean cost)/dZ of the output layer (as lossAndGrad returns it),
 *  given acts = forward(...).a. With dropout, pass forward's `inputs` and the same Dropout: dW then
 *  uses the dropped inputs and dA goes back through the mask. l2 > 0 adds (λ/m)·W to every dW. With
 *  batch norm pass forward's `bn` caches: g' is then applied inside batchNormBackward, and db = 0
 *  (the bias is not used). */
export function backward(
  spec: ModelSpec,
  params: Params64,
  acts: Float64Array[],
  dZout: Float64Array,
  rows: number,
  reg: { inputs?: Float64Array[]; dropout?: Dropout; l2?: number; bn?: (BatchNormCache | undefined)[] } = {},
): Grads {
  const inputs = reg.inputs ?? acts;
  const L = layerCount(spec);
  const dW: Float64Array[] = new Array<Float64Array>(L);
  const db: Float64Array[] = new Array<Float64Array>(L);
  const bnGrads: ({ dGamma: Float64Array; dBeta: Float64Array } | undefined)[] = new Array<undefined>(L);
  let dZ = dZout;
  for (let l = L - 1; l >= 0; l--) {
    const nIn = size(spec, l);
    const nOut = size(spec, l + 1);
    const aPrev = acts[l]!;
    const g = matmul(dZ, inputs[l]!, nOut, nIn, rows, true, false); // dZᵀ · A_prev (as the layer read it)
    const lambda = reg.l2 ?? 0;
    const w = params[l]!.weight;
    dW[l] = lambda > 0 ? g.map((v, i) => v + (lambda / rows) * w[i]!) : g;
    db[l] = hasBatchNorm(spec, l) ? new Float64Array(nOut) : biasGrad(dZ, rows, nOut);
    if (l > 0) {
      let dAPrev = matmul(dZ, params[l]!.weight, rows, nIn, nOut, false, false); // dZ · W
      const d = reg.dropout;
      if (d) dAPrev = dropoutBackward(dAPrev, rows, nIn, d.seed, d.step, l, d.keepProb);
      if (hasBatchNorm(spec, l - 1)) {
        const cache = reg.bn?.[l - 1];
        if (!cache) throw new Error(`backward: layer ${l - 1} has batch norm but no forward cache was given`);
        const r = batchNormBackward(
          dAPrev,
          aPrev,
          cache.xhat,
          bnOf(params[l - 1]!, l - 1).gamma,
          cache.istd,
          rows,
          nIn,
          forwardActivation(spec, l - 1),
        );
        dZ = r.dZ;
        bnGrads[l - 1] = { dGamma: r.dGamma, dBeta: r.dBeta };
      } else dZ = activationGrad(dAPrev, aPrev, forwardActivation(spec, l - 1));
    }
  }
  return spec.batchNorm ? { dW, db, bn: bnGrads } : { dW, db };
}

/** Regularisation of the cost: L2 strength λ and a fixed dropout mask (a given step), so the cost
 *  stays a deterministic function of the parameters and can be differentiated numerically. */
export interface Regularization {
  readonly l2?: number;
  readonly dropout?: Dropout;
}

/** Gradients of the mean cost (with its regularisation) by backpropagation (forward, loss, backward). */
export function backpropGrads(
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  reg: Regularization = {},
): Grads {
  const { a, inputs, bn } = forward(spec, params, x, rows, reg.dropout);
  const loss = lossAndGrad(spec, a[a.length - 1]!, y, rows);
  return backward(spec, params, a, loss.dZ, rows, { inputs, bn, ...reg });
}

/** Optimizer state: first and second moments, laid out like the parameters. */
export interface OptimizerState {
  readonly v: Params64;
  readonly s: Params64;
}

export function zeroState(params: Params64): OptimizerState {
  const zeros = () => mapLayers(params, (t) => new Float64Array(t.length));
  return { v: zeros(), s: zeros() };
}

/** Sets each batch-normalised layer's running mean and var to those its training forward computed. */
function updateRunning(params: Params64, bn: (BatchNormCache | undefined)[]): void {
  bn.forEach((c, l) => {
    const t = params[l]?.bn;
    if (!c || !t) return;
    t.mean.set(c.runMean);
    t.var.set(c.runVar);
  });
}

/** (parameter, its gradient) pairs a step updates, as [kind, param, grad]: weight, bias, then γ, β. */
function updates(p: Params64[number], grads: Grads, l: number): [TensorKind, Float64Array, Float64Array][] {
  const out: [TensorKind, Float64Array, Float64Array][] = [
    ['weight', p.weight, grads.dW[l]!],
    ['bias', p.bias, grads.db[l]!],
  ];
  const g = grads.bn?.[l];
  if (p.bn && g) out.push(['bn_gamma', p.bn.gamma, g.dGamma], ['bn_beta', p.bn.beta, g.dBeta]);
  return out;
}

/** What trainStep needs beyond plain SGD: the config, the optimizer state (updated in place) and the
 *  step number t, counted from 1 (Adam's bias correction; dropout masks use it too). */
export interface StepOptions {
  readonly config: TrainConfig;
  readonly state: OptimizerState;
  readonly t: number;
}

/** One SGD step on x[rows][n0], y[rows][n_L]. Updates params IN PLACE (each weight and bias array is
 *  overwritten, the arrays themselves are kept). Returns the mean loss and the number classified right
 *  (with `regression`, the sum of absolute errors), both measured before the update, and the gradients
 *  that were applied. */
export function trainStep(
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  lr: number,
  opt?: StepOptions,
  regression = false,
): { loss: number; correct: number; grads: Grads } {
  if (!opt) {
    const { a, bn } = forward(spec, params, x, rows);
    const out = lossAndGrad(spec, a[a.length - 1]!, y, rows, regression);
    const grads = backward(spec, params, a, out.dZ, rows, { bn });
    for (let l = 0; l < params.length; l++)
      for (const [, p, g] of updates(params[l]!, grads, l)) p.set(sgdUpdate(p, g, lr));
    updateRunning(params, bn);
    return { loss: sum(out.rowLoss) / rows, correct: sum(out.correct), grads };
  }
  // With the toolbox: dropout in the forward pass, L2 folded into the update (optimizerUpdate adds
  // (λ/m)·W to dW, as optimizer.wgsl does), the L2 term added to the loss before the update.
  const c = opt.config;
  const dropout = c.keepProb < 1 ? { keepProb: c.keepProb, seed: c.dropoutSeed, step: opt.t } : undefined;
  const { a, inputs, bn } = forward(spec, params, x, rows, dropout);
  const out = lossAndGrad(spec, a[a.length - 1]!, y, rows, regression);
  const data = backward(spec, params, a, out.dZ, rows, { inputs, bn, ...(dropout ? { dropout } : {}) });
  let penalty = 0;
  const h = {
    kind: c.optimizer,
    lr,
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.epsilon,
    c1: 1 - c.beta1 ** opt.t,
    c2: 1 - c.beta2 ** opt.t,
    l2: c.l2 / rows,
  };
  const applied = mapLayers(params, (t) => new Float64Array(t.length)); // the regularised gradients
  for (let l = 0; l < params.length; l++) {
    const p = params[l]!;
    const ones = new Float64Array(p.weight.length).fill(1);
    penalty += l2Penalty(p.weight, ones, c.l2 / 2);
    const [v, s, g] = [
      new Map(layerTensors(opt.state.v[l]!)),
      new Map(layerTensors(opt.state.s[l]!)),
      new Map(layerTensors(applied[l]!)),
    ];
    for (const [kind, param, grad] of updates(p, data, l)) {
      const decay = kind === 'weight' ? ones : new Float64Array(param.length); // L2 on weights only
      const r = optimizerUpdate(param, grad, v.get(kind)!, s.get(kind)!, decay, h);
      param.set(r.param);
      v.get(kind)!.set(r.v);
      s.get(kind)!.set(r.s);
      g.get(kind)!.set(r.grad);
    }
  }
  updateRunning(params, bn);
  const grads: Grads = { dW: applied.map((t) => t.weight), db: applied.map((t) => t.bias) };
  return {
    loss: sum(out.rowLoss) / rows + penalty / rows,
    correct: sum(out.correct),
    grads: spec.batchNorm
      ? { ...grads, bn: applied.map((t) => (t.bn ? { dGamma: t.bn.gamma, dBeta: t.bn.beta } : undefined)) }
      : grads,
  };
}

/** Mean loss J over the batch, plus (λ/2m)·Σ‖W‖² with L2 (what the gradient check differentiates). */
export function cost(
  spec: ModelSpec,
  params: Params64,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  reg: Regularization = {},
): number {
  const { a } = forward(spec, params, x, rows, reg.dropout);
  const j = sum(lossAndGrad(spec, a[a.length - 1]!, y, rows).rowLoss) / rows;
  return reg.l2 ? j + l2Cost(params, reg.l2, rows) : j;
}

export function sum(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s;
}
