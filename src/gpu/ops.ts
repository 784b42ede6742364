// Standalone GPU twins of the reference ops (src/reference/ops.ts): same names, the device first, then
// the reference's arguments. Each call uploads, dispatches once and reads back: for tests and kernel
// benchmarks, not for training (the plan keeps everything resident).
import { BN_EPSILON, BN_MOMENTUM, type Activation } from '../model.ts';
import type { OptimizerStep } from '../reference/ops.ts';
import { BufferArena, readBuffer } from './arena.ts';
import { Dispatch, type BufferRef } from './dispatch.ts';
import { packModels, type ModelConstants } from './step-table.ts';
import {
  MATMUL_FAMILIES,
  OPT_ID,
  actConstants,
  matmulConstants,
  columnWorkgroups,
  elementwiseWorkgroups,
  matmulWorkgroups,
  rowWorkgroups,
  type KernelId,
  type MatmulFamily,
  type Workgroups,
} from './kernels.ts';
import { GPUBufferUsage } from './flags.ts';

async function runOnce(
  device: GPUDevice,
  id: KernelId,
  constants: Record<string, number>,
  inputs: Record<string, Float32Array | Uint32Array>,
  outputs: Record<string, number>,
  uniform: Record<string, number>,
  workgroups: Workgroups,
): Promise<Record<string, Float32Array>> {
  const arena = new BufferArena(device, `ops.${id}`);
  try {
    const buffers: Record<string, BufferRef> = {};
    for (const [name, data] of Object.entries(inputs)) buffers[name] = arena.upload(name, data);
    for (const [name, floats] of Object.entries(outputs)) {
      if (!buffers[name])
        buffers[name] = arena.create(name, floats * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    }
    device.pushErrorScope('validation');
    const d = await Dispatch.create(arena, id, constants, buffers, uniform);
    const enc = device.createCommandEncoder({ label: id });
    const pass = enc.beginComputePass();
    d.encode(pass, workgroups);
    pass.end();
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) throw new Error(`kernel ${id}: ${err.message}`);
    const result: Record<string, Float32Array> = {};
    for (const [name, floats] of Object.entries(outputs)) {
      const b = buffers[name] as GPUBuffer;
      result[name] = new Float32Array(await readBuffer(device, b, floats * 4));
    }
    return result;
  } finally {
    arena.destroy();
  }
}

/** The `models` array of one model (step_table.wgsl), defaults for the fields a kernel does not read. */
const oneModel = (m: Partial<ModelConstants> = {}): Uint32Array =>
  packModels([{ beta1: 0, beta2: 0, eps: 0, l2: 0, keepProb: 1, dropoutSeed: 0, ...m }]);
/** A one-block step table: (start, t) and the model's (lr, c1, c2, l2/m), as the kernels read them. */
function oneStep(start: number, t: number, lr = 0, c1 = 0, c2 = 0, l2 = 0): Uint32Array {
  const u = new Uint32Array(8);
  u[0] = start;
  u[1] = t;
  new Float32Array(u.buffer, 16).set([lr, c1, c2, l2]);
  return u;
}

const first = (r: Record<string, Float32Array>, name: string): Float32Array => {
  const v = r[name];
  if (!v) throw new Error(`missing output ${name}`);
  return v;
};

export type MatmulVariant =
  'matmulTiled' | 'matmulTiled8' | 'matmulBlocked' | 'matmulNaive' | 'matmulVec4NT' | 'matmulVec4TN' | 'matmulVec4NN';

/** C[M][N] = op(A)·op(B) (see matmul.wgsl). */
export async function matmul(
  device: GPUDevice,
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  variant: MatmulVariant = 'matmulTiled',
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    variant,
    matmulConstants(variant, M, N, K, transA, transB),
    { a, b },
    { c: M * N },
    { M, N, K },
    matmulWorkgroups(variant, M, N),
  );
  return first(out, 'c');
}

/** g(op(A)·op(B) + bias): the fused forward epilogue ('vec4NT': matmul_vec4.wgsl, A·Bᵀ with K % 4 == 0). */
export async function matmulBiasAct(
  device: GPUDevice,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  act: Activation,
  family: MatmulFamily | 'vec4NT' = 'tiled',
): Promise<Float32Array> {
  const id = family === 'vec4NT' ? 'matmulVec4NTBiasAct' : MATMUL_FAMILIES[family].biasAct;
  const out = await runOnce(
    device,
    id,
    { ...matmulConstants(id, M, N, K, transA, transB), ...actConstants(act) },
    { a, b, bias },
    { c: M * N },
    { M, N, K },
    matmulWorkgroups(id, M, N),
  );
  return first(out, 'c');
}

/** (op(A)·op(B)) ⊙ g'(aux), g' through the activation's output: the fused backward epilogue ('vec4NN':
 *  matmul_vec4_kn.wgsl, A·B with K % 4 == 0 and N % 4 == 0). */
export async function matmulActGrad(
  device: GPUDevice,
  a: Float32Array,
  b: Float32Array,
  aux: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  act: Activation,
  family: MatmulFamily | 'vec4NN' = 'tiled',
): Promise<Float32Array> {
  const id = family === 'vec4NN' ? 'matmulVec4NNActGrad' : MATMUL_FAMILIES[family].actGrad;
  const out = await runOnce(
    device,
    id,
    { ...matmulConstants(id, M, N, K, transA, transB), ...actConstants(act) },
    { a, b, aux },
    { c: M * N },
    { M, N, K },
    matmulWorkgroups(id, M, N),
  );
  return first(out, 'c');
}

export async function biasActivation(
  device: GPUDevice,
  z: Float32Array,
  bias: Float32Array,
  rows: number,
  cols: number,
  act: Activation,
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'biasActivation',
    actConstants(act),
    { x: z, bias },
    { x: rows * cols },
    { rows, cols },
    elementwiseWorkgroups(rows * cols),
  );
  return first(out, 'x');
}

export async function activationGrad(
  device: GPUDevice,
  dA: Float32Array,
  a: Float32Array,
  act: Activation,
): Promise<Float32Array> {
  const n = dA.length;
  const out = await runOnce(
    device,
    'activationGrad',
    actConstants(act),
    { x: dA, a },
    { x: n },
    { rows: 1, cols: n },
    elementwiseWorkgroups(n),
  );
  return first(out, 'x');
}

export interface LossResult {
  readonly rowLoss: Float32Array;
  readonly dZ: Float32Array;
  readonly correct: Float32Array;
}

async function loss(
  device: GPUDevice,
  id: 'bceWithLogits' | 'softmaxCrossEntropy' | 'mseLoss',
  z: Float32Array,
  y: Float32Array,
  rows: number,
  cols: number,
  constants: Record<string, number> = {},
): Promise<LossResult> {
  const out = await runOnce(
    device,
    id,
    constants,
    { z, y },
    { dz: rows * cols, row_stats: rows * 2 },
    { rows, cols },
    rowWorkgroups(rows),
  );
  const stats = first(out, 'row_stats');
  return {
    rowLoss: stats.filter((_, i) => i % 2 === 0),
    dZ: first(out, 'dz'),
    correct: stats.filter((_, i) => i % 2 === 1),
  };
}
export const bceWithLogits = (device: GPUDevice, z: Float32Array, y: Float32Array, rows: number) =>
  loss(device, 'bceWithLogits', z, y, rows, 1);
export const softmaxCrossEntropy = (device: GPUDevice, z: Float32Array, y: Float32Array, rows: number, cols: number) =>
  loss(device, 'softmaxCrossEntropy', z, y, rows, cols);
export const mseLoss = (
  device: GPUDevice,
  a: Float32Array,
  y: Float32Array,
  rows: number,
  cols: number,
  regression = false,
) => loss(device, 'mseLoss', a, y, rows, cols, regression ? { REGRESSION: 1 } : {});

/** Sums (loss, correct) pairs [rows][2] into one pair. */
export async function reduceStats(device: GPUDevice, rowStats: Float32Array, rows: number): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'reduceStats',
    {},
    {
      row_stats: rowStats,
      total: new Float32Array(2),
      l2_part: new Float32Array(64),
      table: oneStep(0, 0),
      models: oneModel(),
    },
    { total: 2 },
    { rows, l2: 0 },
    [1, 1, 1],
  );
  return first(out, 'total');
}

export async function biasGrad(device: GPUDevice, dZ: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  const out = await runOnce(device, 'biasGrad', {}, { dz: dZ }, { db: cols }, { rows, cols }, rowWorkgroups(cols));
  return first(out, 'db');
}

export async function sgdUpdate(
  device: GPUDevice,
  param: Float32Array,
  grad: Float32Array,
  lr: number,
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'sgdUpdate',
    {},
    { param, grad, table: oneStep(0, 1, lr), models: oneModel() },
    { param: param.length },
    { n: param.length, row: 0 },
    elementwiseWorkgroups(param.length),
  );
  return first(out, 'param');
}

/** Rows start..start+rows of `index` gathered from src (cols a row) and from srcY (colsY a row; 0 for none). */
export async function gather(
  device: GPUDevice,
  src: Float32Array,
  index: Uint32Array,
  start: number,
  rows: number,
  cols: number,
  srcY: Float32Array = new Float32Array(4),
  colsY = 0,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const out = await runOnce(
    device,
    'gather',
    {},
    { src, index, src_y: srcY, table: oneStep(start, 0), models: oneModel() },
    { dst: rows * cols, dst_y: Math.max(rows * colsY, 4) },
    { rows, cols, row: 0, cols_y: colsY },
    elementwiseWorkgroups(rows * (cols + colsY)),
  );
  return { x: first(out, 'dst'), y: first(out, 'dst_y').subarray(0, rows * colsY) };
}

/** One optimizer step over a flat buffer (optimizer.wgsl); returns the new param, the regularised
 *  gradient, v and s. */
export async function optimizerUpdate(
  device: GPUDevice,
  param: Float32Array,
  grad: Float32Array,
  v: Float32Array,
  s: Float32Array,
  decay: Float32Array,
  h: OptimizerStep,
): Promise<{ param: Float32Array; grad: Float32Array; v: Float32Array; s: Float32Array }> {
  const n = param.length;
  const out = await runOnce(
    device,
    'optimizerUpdate',
    { OPT: OPT_ID[h.kind] },
    {
      param,
      grad,
      v,
      s,
      decay,
      table: oneStep(0, 1, h.lr, h.c1, h.c2, h.l2),
      models: oneModel({ beta1: h.beta1, beta2: h.beta2, eps: h.eps }),
    },
    { param: n, grad: n, v: n, s: n },
    { n, row: 0 },
    elementwiseWorkgroups(n),
  );
  return { param: first(out, 'param'), grad: first(out, 'grad'), v: first(out, 'v'), s: first(out, 's') };
}

/** (λ/2)·Σ decay·param², added to a zero total (l2_penalty.wgsl). */
export async function l2Penalty(
  device: GPUDevice,
  param: Float32Array,
  decay: Float32Array,
  halfLambda: number,
): Promise<number> {
  // The penalty's 64 partial sums, then reduce.wgsl's l2 term over zero rows: the two kernels of a step.
  const partials = first(
    await runOnce(device, 'l2Penalty', {}, { param, decay }, { partials: 64 }, { n: param.length }, [1, 1, 1]),
    'partials',
  );
  const out = await runOnce(
    device,
    'reduceStats',
    {},
    {
      row_stats: new Float32Array(2),
      total: new Float32Array(2),
      l2_part: partials,
      table: oneStep(0, 0),
      models: oneModel({ l2: 2 * halfLambda }),
    },
    { total: 2 },
    { rows: 0, l2: 1 },
    [1, 1, 1],
  );
  return first(out, 'total')[0]!;
}

const dropInputs = (seed: number, step: number, keepProb: number) => ({
  table: oneStep(0, step),
  models: oneModel({ dropoutSeed: seed, keepProb }),
});

export async function dropoutForward(
  device: GPUDevice,
  a: Float32Array,
  rows: number,
  cols: number,
  seed: number,
  step: number,
  layer: number,
  keepProb: number,
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'dropoutForward',
    {},
    { src: a, ...dropInputs(seed, step, keepProb) },
    { dst: rows * cols },
    { rows, cols, layer, row: 0 },
    elementwiseWorkgroups(rows * cols),
  );
  return first(out, 'dst');
}

export async function dropoutBackward(
  device: GPUDevice,
  dA: Float32Array,
  rows: number,
  cols: number,
  seed: number,
  step: number,
  layer: number,
  keepProb: number,
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'dropoutBackward',
    {},
    { x: dA, ...dropInputs(seed, step, keepProb) },
    { x: rows * cols },
    { rows, cols, layer, row: 0 },
    elementwiseWorkgroups(rows * cols),
  );
  return first(out, 'x');
}

/** The kernels' view of γ, β and the running stats: one parameter buffer, [γ | β | mean | var]. */
const bnUniform = (rows: number, cols: number) => ({
  rows,
  cols,
  eps: BN_EPSILON,
  momentum: BN_MOMENTUM,
  o_gamma: 0,
  o_beta: cols,
  o_mean: 2 * cols,
  o_var: 3 * cols,
});
const bnParams = (...t: Float32Array[]) => {
  const p = new Float32Array(t.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of t) {
    p.set(x, o);
    o += x.length;
  }
  return p;
};

/** Training-mode batch norm + activation (batchnorm.wgsl bn_forward): A, Ẑ, istd and the moved running stats. */
export async function batchNormForward(
  device: GPUDevice,
  z: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runMean: Float32Array,
  runVar: Float32Array,
  rows: number,
  cols: number,
  act: Activation,
): Promise<{ a: Float32Array; xhat: Float32Array; istd: Float32Array; runMean: Float32Array; runVar: Float32Array }> {
  const out = await runOnce(
    device,
    'batchNormForward',
    actConstants(act),
    { x: z, p: bnParams(gamma, beta, runMean, runVar) },
    { x: rows * cols, xhat: rows * cols, istd: cols, p: 4 * cols },
    bnUniform(rows, cols),
    columnWorkgroups(cols),
  );
  const p = first(out, 'p');
  return {
    a: first(out, 'x'),
    xhat: first(out, 'xhat'),
    istd: first(out, 'istd'),
    runMean: p.slice(2 * cols, 3 * cols),
    runVar: p.slice(3 * cols),
  };
}

/** Inference-mode batch norm + activation with the running stats (bn_inference). */
export async function batchNormInference(
  device: GPUDevice,
  z: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  runMean: Float32Array,
  runVar: Float32Array,
  rows: number,
  cols: number,
  act: Activation,
): Promise<Float32Array> {
  const out = await runOnce(
    device,
    'batchNormInference',
    actConstants(act),
    { x: z, p: bnParams(gamma, beta, runMean, runVar) },
    { x: rows * cols },
    bnUniform(rows, cols),
    columnWorkgroups(cols),
  );
  return first(out, 'x');
}

/** Backward of batchNormForward (bn_backward): dZ, dγ, dβ. */
export async function batchNormBackward(
  device: GPUDevice,
  dA: Float32Array,
  a: Float32Array,
  xhat: Float32Array,
  gamma: Float32Array,
  istd: Float32Array,
  rows: number,
  cols: number,
  act: Activation,
): Promise<{ dZ: Float32Array; dGamma: Float32Array; dBeta: Float32Array }> {
  const zeros = new Float32Array(cols);
  const out = await runOnce(
    device,
    'batchNormBackward',
    actConstants(act),
    { x: dA, a, xhat_in: xhat, p_in: bnParams(gamma, zeros, zeros, zeros), istd_in: istd },
    { x: rows * cols, g: 4 * cols },
    bnUniform(rows, cols),
    columnWorkgroups(cols),
  );
  const g = first(out, 'g');
  return { dZ: first(out, 'x'), dGamma: g.slice(0, cols), dBeta: g.slice(cols, 2 * cols) };
}
