// The kernel invocations of a plan, phase by phase (gather, forward, loss, reductions, backward,
// update), as plain descriptions over the layout's context (plan-layout.ts): which kernel, with which
// override constants, bound to which buffers by name, with what uniform and grid for a row count.
// Every op runs all N models in one dispatch (each model's tensors a fixed stride apart, `grid`
// covering them all); nothing here touches a GPU.
import { BN_EPSILON, BN_MOMENTUM, hasBatchNorm, layerActivation, size, type BatchNormTensors } from '../model.ts';
import {
  OPT_ID,
  actConstants,
  backwardMatmul,
  columnWorkgroups,
  elementwiseWorkgroups,
  forwardMatmul,
  matmulWorkgroups,
  modelLayout,
  modelsAlongX,
  rowWorkgroups,
  type KernelId,
  type Workgroups,
} from './kernels.ts';
import type { BindingSpec, LayoutContext, OpSpec, TensorSlot } from './plan-layout.ts';
import type { TrainConfig } from '../train/backend.ts';

type Uniform = (rows: number, slot: number) => Record<string, number>;

/** Plain SGD without L2: the sgd kernel, no decay mask, no optimizer state. */
export const isPlainSgd = (c: TrainConfig): boolean => c.optimizer === 'sgd' && c.l2 === 0;

/** Hidden layer l's output is dropped in training (its dropped copy Ad{l} is what the next layer reads). */
export const hiddenDropped = (c: LayoutContext, l: number): boolean => c.config.keepProb < 1 && l >= 1 && l < c.layers;

/** Appends an op to the context's list. Every uniform gets the model count; a matmul that tiles the
 *  models over its grid also gets their layout (modelLayout, kept within the device's grid limit, with
 *  the grid computed from the same call). Kernels reading the step table and the models' constants
 *  find them under `table` and `models`. */
function op(
  c: LayoutContext,
  where: string,
  kernel: KernelId,
  constants: Record<string, number>,
  bindings: Record<string, BindingSpec>,
  uniform: Uniform,
  grid: (rows: number) => Workgroups,
): OpSpec {
  const N = c.models;
  const all: Uniform = (rows, slot) => {
    const u = uniform(rows, slot);
    if (!modelsAlongX(kernel)) return { ...u, s_models: N };
    const m = modelLayout(u.M!, u.N!, N, c.maxWorkgroups);
    return { ...u, s_models: N, s_blocks: m.bx, s_rblocks: m.by, s_mx: m.mx };
  };
  const spec: OpSpec = {
    kernel,
    constants,
    bindings: { ...bindings, table: 'steps', models: 'models' },
    uniform: all,
    grid,
    where,
  };
  c.ops.push(spec);
  return spec;
}

/** A tensor of every model: its slot in model 0, bound through the last model's copy. */
function ref(c: LayoutContext, buffer: string, s: TensorSlot): BindingSpec {
  return { buffer, offset: s.offset * 4, size: ((c.models - 1) * c.paramStride + s.length) * 4 };
}

/** Model stride of a [maxBatch][n] activation block. */
const act = (c: LayoutContext, n: number) => c.maxBatch * n;

/** Hidden layer l's input to the next product: its dropped copy in training, A(l) otherwise. */
const layerInput = (c: LayoutContext, l: number, train: boolean) => (train && hiddenDropped(c, l) ? `Ad${l}` : `A${l}`);

const layerName = (c: LayoutContext, l: number) => `layer ${l + 1} (${size(c.spec, l)} → ${size(c.spec, l + 1)})`;

/** A product's uniform: M×N output, reduction K, and the model strides of a, b, c (and aux/bias). */
const mm =
  (
    M: (rows: number) => number,
    N: number,
    K: (rows: number) => number,
    s_a: number,
    s_b: number,
    s_c: number,
    s_x = 0,
  ) =>
  (rows: number) => ({ M: M(rows), N, K: K(rows), s_a, s_b, s_c, s_x });
const byRows = (rows: number) => rows;

/** Features into A0 and targets into Y, in one dispatch, from split (or shard) `src` by `index`. */
export function gatherOp(c: LayoutContext, src: string, index: string, sIndex: number): OpSpec {
  const n0 = size(c.spec, 0);
  const out = size(c.spec, c.layers);
  return op(
    c,
    `gather (${src})`,
    'gather',
    {},
    { src: `${src}.x`, index, dst: 'A0', src_y: `${src}.y`, dst_y: 'Y' },
    (rows, slot) => ({
      rows,
      cols: n0,
      row: c.row(slot),
      s_index: sIndex,
      s_dst: act(c, n0),
      cols_y: out,
      s_dst_y: act(c, out),
    }),
    (rows) => elementwiseWorkgroups(c.models * rows * (n0 + out)),
  );
}

/** Dropout's uniform for hidden layer l (its masks are recomputed from the step and the seed). */
const drop = (c: LayoutContext, l: number) => (rows: number, slot: number) => ({
  rows,
  cols: size(c.spec, l),
  layer: l,
  row: c.row(slot),
  s_x: act(c, size(c.spec, l)),
});

/** Batch norm's uniform for layer l's output (width `cols`). γ, β and the running stats are read and
 *  written through one binding of the whole parameter buffer (and dγ, dβ of the gradient buffer) at
 *  their offsets: separate writable bindings of them would overlap once they span several models. */
function bnUniform(c: LayoutContext, l: number) {
  const t: BatchNormTensors<TensorSlot> | undefined = c.slots[l]!.bn;
  if (!t) throw new Error(`plan: layer ${l} has no batch-norm slots`);
  const cols = size(c.spec, l + 1);
  return (rows: number) => ({
    rows,
    cols,
    eps: BN_EPSILON,
    momentum: BN_MOMENTUM,
    s_x: act(c, cols),
    s_param: c.paramStride,
    s_istd: cols,
    o_gamma: t.gamma.offset,
    o_beta: t.beta.offset,
    o_mean: t.mean.offset,
    o_var: t.var.offset,
  });
}

/** The forward pass, for training (dropout masks, batch statistics) or evaluation. */
export function forwardOps(c: LayoutContext, train: boolean): OpSpec[] {
  const ops: OpSpec[] = [];
  for (let l = 0; l < c.layers; l++) ops.push(...forwardLayer(c, l, train));
  return ops;
}

/** Layer l: Z = A_prev · Wᵀ (M = rows, N = out, K = in), then bias and activation (fused into the
 *  product, or a kernel of their own), or batch norm and activation; then dropout in training. */
function forwardLayer(c: LayoutContext, l: number, train: boolean): OpSpec[] {
  const { spec, models: N, paramStride: P } = c;
  const nIn = size(spec, l);
  const nOut = size(spec, l + 1);
  const where = `${layerName(c, l)}, forward`;
  // The output layer stays linear: the loss kernels take logits (sigmoid/softmax live inside them).
  const actFn = l === c.layers - 1 ? 'linear' : layerActivation(spec, l);
  const dims = mm(byRows, nOut, () => nIn, act(c, nIn), P, act(c, nOut), P);
  const fwd = forwardMatmul(c.family, nIn);
  const plain = c.naive ? 'matmulNaive' : fwd.plain;
  const plainConstants = c.naive ? { TRANS_A: 0, TRANS_B: 1 } : fwd.constants;
  const io = { a: layerInput(c, l, train), b: ref(c, 'params', c.slots[l]!.weight), c: `A${l + 1}` };
  const bias = ref(c, 'params', c.slots[l]!.bias);
  const product = (id: KernelId, constants: Record<string, number>, extra: Record<string, BindingSpec> = {}) =>
    op(c, where, id, constants, { ...io, ...extra }, dims, (rows) =>
      matmulWorkgroups(id, rows, nOut, N, c.maxWorkgroups),
    );
  const ops: OpSpec[] = [];
  if (hasBatchNorm(spec, l)) {
    // Z = A_prev · Wᵀ (no bias), then batch norm + g in place on A(l+1); the training forward keeps Ẑ
    // and 1/√(σ² + ε) for the backward.
    const x = { x: `A${l + 1}`, p: 'params' };
    ops.push(
      product(plain, plainConstants),
      op(
        c,
        where,
        train ? 'batchNormForward' : 'batchNormInference',
        actConstants(actFn),
        train ? { ...x, xhat: `Xhat${l + 1}`, istd: `istd${l + 1}` } : x,
        bnUniform(c, l),
        () => columnWorkgroups(N * nOut),
      ),
    );
  } else if (c.fuse) {
    ops.push(product(fwd.biasAct, { ...fwd.constants, ...actConstants(actFn) }, { bias }));
  } else {
    ops.push(
      product(plain, plainConstants),
      op(
        c,
        where,
        'biasActivation',
        actConstants(actFn),
        { x: `A${l + 1}`, bias },
        (rows) => ({ rows, cols: nOut, s_x: act(c, nOut), s_y: P }),
        (rows) => elementwiseWorkgroups(N * rows * nOut),
      ),
    );
  }
  if (train && hiddenDropped(c, l + 1)) {
    ops.push(
      op(c, where, 'dropoutForward', {}, { src: `A${l + 1}`, dst: `Ad${l + 1}` }, drop(c, l + 1), (rows) =>
        elementwiseWorkgroups(N * rows * nOut),
      ),
    );
  }
  return ops;
}

/** The output layer's loss from the logits A[L]: dZ[L] and each row's (loss, correct) pair. A
 *  regression model's mse kernel sums |error| where a classifier counts the rows it gets right. */
export function lossOp(c: LayoutContext): OpSpec {
  const { spec } = c;
  const out = size(spec, c.layers);
  const id = spec.loss === 'bce' ? 'bceWithLogits' : spec.loss === 'ce' ? 'softmaxCrossEntropy' : 'mseLoss';
  return op(
    c,
    `loss (${spec.loss})`,
    id,
    id === 'mseLoss' && c.regression ? { REGRESSION: 1 } : {},
    { z: `A${c.layers}`, y: 'Y', dz: `dZ${c.layers}`, row_stats: 'rowStats' },
    (rows) => ({ rows, cols: out, s_rows: act(c, out), s_stats: c.maxBatch }),
    (rows) => rowWorkgroups(c.models * rows),
  );
}

/** Adds the rows' statistics to `total` (and, with `l2`, the L2 term's partial sums). */
export function reduceOp(c: LayoutContext, total: 'trainStats' | 'evalStats', l2: boolean): OpSpec {
  return op(
    c,
    'statistics',
    'reduceStats',
    {},
    { row_stats: 'rowStats', total, l2_part: 'l2Partials' },
    (rows) => ({ rows, s_stats: c.maxBatch, l2: Number(l2) }),
    () => rowWorkgroups(c.models),
  );
}

/** The backward pass, last layer first. */
export function backwardOps(c: LayoutContext): OpSpec[] {
  const ops: OpSpec[] = [];
  for (let l = c.layers - 1; l >= 0; l--) ops.push(...backwardLayer(c, l));
  return ops;
}

/** Layer l: dW = dZᵀ · A_prev (M = out, N = in, K = rows), db = column sums of dZ (none with batch norm,
 *  whose bias gradient slot stays 0), and for every layer but the first dZ_prev = (dZ · W) ⊙ g'(A_prev)
 *  (M = rows, N = in, K = out), through dropout's mask and batch norm's backward where they apply. */
function backwardLayer(c: LayoutContext, l: number): OpSpec[] {
  const { spec, models: N, paramStride: P } = c;
  const nIn = size(spec, l);
  const nOut = size(spec, l + 1);
  const where = `${layerName(c, l)}, backward`;
  const bwd = backwardMatmul(c.family, nIn, nOut);
  const dW = c.naive ? { id: 'matmulNaive' as const, constants: { TRANS_A: 1, TRANS_B: 0 } } : bwd.dW;
  const ops = [
    op(
      c,
      where,
      dW.id,
      dW.constants,
      { a: `dZ${l + 1}`, b: layerInput(c, l, true), c: ref(c, 'grads', c.slots[l]!.weight) },
      mm(() => nOut, nIn, byRows, act(c, nOut), act(c, nIn), P),
      () => matmulWorkgroups(dW.id, nOut, nIn, N, c.maxWorkgroups),
    ),
  ];
  if (!hasBatchNorm(spec, l)) {
    ops.push(
      op(
        c,
        where,
        'biasGrad',
        {},
        { dz: `dZ${l + 1}`, db: ref(c, 'grads', c.slots[l]!.bias) },
        (rows) => ({ rows, cols: nOut, s_dz: act(c, nOut), s_db: P }),
        () => rowWorkgroups(N * nOut),
      ),
    );
  }
  if (l > 0) ops.push(...inputGradient(c, l, where));
  return ops;
}

/** dZ(l) from dZ(l+1): the product dZ · W (plain, or with g' fused), dropout's mask, and g' or batch
 *  norm's backward (g' inside), as the layer has them. */
function inputGradient(c: LayoutContext, l: number, where: string): OpSpec[] {
  const { spec, models: N, paramStride: P } = c;
  const nIn = size(spec, l);
  const nOut = size(spec, l + 1);
  const actFn = layerActivation(spec, l - 1);
  const bwd = backwardMatmul(c.family, nIn, nOut);
  const dA = c.naive
    ? { id: 'matmulNaive' as const, constants: { TRANS_A: 0, TRANS_B: 0 } }
    : { id: bwd.dA.plain, constants: bwd.dA.constants };
  const dims = mm(byRows, nIn, () => nOut, act(c, nOut), P, act(c, nIn), act(c, nIn));
  const io = { a: `dZ${l + 1}`, b: ref(c, 'params', c.slots[l]!.weight), c: `dZ${l}` };
  const grid = (id: KernelId) => (rows: number) => matmulWorkgroups(id, rows, nIn, N, c.maxWorkgroups);
  const product = () => op(c, where, dA.id, dA.constants, io, dims, grid(dA.id));
  const elementwise = (rows: number) => elementwiseWorkgroups(N * rows * nIn);
  const gPrime = () =>
    op(
      c,
      where,
      'activationGrad',
      actConstants(actFn),
      { x: `dZ${l}`, a: `A${l}` },
      (rows) => ({ rows, cols: nIn, s_x: act(c, nIn), s_y: act(c, nIn) }),
      elementwise,
    );
  const mask = () => op(c, where, 'dropoutBackward', {}, { x: `dZ${l}` }, drop(c, l), elementwise);
  if (hasBatchNorm(spec, l - 1)) {
    const ops = [product()];
    if (hiddenDropped(c, l)) ops.push(mask());
    const saved = { p_in: 'params', g: 'grads', xhat_in: `Xhat${l}`, istd_in: `istd${l}` };
    ops.push(
      op(
        c,
        where,
        'batchNormBackward',
        actConstants(actFn),
        { x: `dZ${l}`, a: `A${l}`, ...saved },
        bnUniform(c, l - 1),
        () => columnWorkgroups(N * nIn),
      ),
    );
    return ops;
  }
  // dAd = dZ · W, then through the mask (dA = dAd ⊙ mask / keepProb), then g'(A) unfused.
  if (hiddenDropped(c, l)) return [product(), mask(), gPrime()];
  if (!c.fuse) return [product(), gPrime()];
  const fused = bwd.dA.actGrad;
  return [
    op(c, where, fused, { ...bwd.dA.constants, ...actConstants(actFn) }, { ...io, aux: `A${l}` }, dims, grid(fused)),
  ];
}

/** The update of every parameter at once (sgd, or the optimizer kernel with its moments and L2 decay),
 *  and with L2 the extra op that computes the loss's L2 term from the parameters the step starts from
 *  (its partial sums; the training reduce adds them). */
export function updateOps(c: LayoutContext): { op: OpSpec; extras: OpSpec[] } {
  const { models: N, paramStride: P } = c;
  const flat = (_rows: number, slot: number) => ({ n: P, row: c.row(slot), s_param: P });
  const grid = () => elementwiseWorkgroups(N * P);
  if (isPlainSgd(c.config)) {
    return { op: op(c, 'update', 'sgdUpdate', {}, { param: 'params', grad: 'grads' }, flat, grid), extras: [] };
  }
  const opt = c.config.optimizer;
  const v = opt !== 'sgd' ? 'optimizer.v' : 'optimizer.v (unused)';
  const s = opt === 'rmsprop' || opt === 'adam' ? 'optimizer.s' : 'optimizer.s (unused)';
  const update = op(
    c,
    'update',
    'optimizerUpdate',
    { OPT: OPT_ID[opt] },
    { param: 'params', grad: 'grads', v, s, decay: 'decay' },
    flat,
    grid,
  );
  const extras =
    c.config.l2 > 0
      ? [
          op(
            c,
            'L2 penalty',
            'l2Penalty',
            {},
            { param: 'params', decay: 'decay', partials: 'l2Partials' },
            () => ({ n: P, s_param: P }),
            () => [N, 1, 1],
          ),
        ]
      : [];
  return { op: update, extras };
}
