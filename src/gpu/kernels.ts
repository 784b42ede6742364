// Kernel registry: one typed descriptor per WGSL entry point. Bind-group layouts, pipelines, uniform
// packing and dispatch sizes are all derived from these descriptors (tests/browser/descriptors.test.ts
// checks each one against the shader's own @binding declarations).
import activationFns from '../../shaders/activation_fns.wgsl?raw';
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import matmulVec4Wgsl from '../../shaders/matmul_vec4.wgsl?raw';
import matmulVec4KnWgsl from '../../shaders/matmul_vec4_kn.wgsl?raw';
import matmulTiled8Wgsl from '../../shaders/matmul_tiled8.wgsl?raw';
import matmulCommon from '../../shaders/matmul_common.wgsl?raw';
import matmulScalar from '../../shaders/matmul_scalar.wgsl?raw';
import activationWgsl from '../../shaders/activation.wgsl?raw';
import lossWgsl from '../../shaders/loss.wgsl?raw';
import reduceWgsl from '../../shaders/reduce.wgsl?raw';
import biasGradWgsl from '../../shaders/bias_grad.wgsl?raw';
import sgdWgsl from '../../shaders/sgd.wgsl?raw';
import gatherWgsl from '../../shaders/gather.wgsl?raw';
import optimizerWgsl from '../../shaders/optimizer.wgsl?raw';
import l2PenaltyWgsl from '../../shaders/l2_penalty.wgsl?raw';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import dropoutMaskWgsl from '../../shaders/dropout_mask.wgsl?raw';
import stepTableWgsl from '../../shaders/step_table.wgsl?raw';
import batchNormWgsl from '../../shaders/batchnorm.wgsl?raw';
import fusedStepWgsl from '../../shaders/fused_step.wgsl?raw';
import fusedStepVec4Wgsl from '../../shaders/fused_step_vec4.wgsl?raw';
import fusedStepLaneWgsl from '../../shaders/fused_step_lane.wgsl?raw';
import fusedUpdateWgsl from '../../shaders/fused_update.wgsl?raw';
import fusedEvalWgsl from '../../shaders/fused_eval.wgsl?raw';
import landscapeWgsl from '../../shaders/landscape.wgsl?raw';
import landscapeVec4Wgsl from '../../shaders/landscape_vec4.wgsl?raw';
import { LEAKY_SLOPE, type Activation } from '../model.ts';
import type { OptimizerKind } from '../train/backend.ts';
import { cpuEmulated } from './device.ts';
import { GPUShaderStage } from './flags.ts';

export type BindingKind = 'storage' | 'read-only-storage' | 'uniform';
export interface Binding {
  readonly binding: number;
  readonly name: string;
  readonly kind: BindingKind;
}
export type Workgroups = readonly [number, number, number];

export interface KernelDesc {
  /** Name of the CPU twin in src/reference/ops.ts. */
  readonly name: string;
  readonly file: string;
  readonly source: string;
  readonly entryPoint: string;
  readonly bindings: readonly Binding[];
  /** Fields of the kernel's uniform struct, in order, 32 bits each; the struct is padded to a multiple
   *  of 16 bytes. Fields named s_* are model strides (elements between one model's tensor and the
   *  next, for a plan that trains several models in one dispatch, model = workgroup_id.z); they may be
   *  left out and are then 0 (one model). */
  readonly uniform: readonly (readonly [string, 'u32' | 'f32'])[];
  /** Override constants this descriptor fixes, merged into the pipeline's (and its cache key): a matmul
   *  descriptor is one view of its family's entry point, its epilogue chosen by EPILOGUE. */
  readonly constants?: Readonly<Record<string, number>>;
  /** Bindings the entry point declares but this view never reads (another epilogue's operand), each
   *  mapped to the binding whose buffer Dispatch binds in its place: a read-only operand of the same
   *  dispatch, so the alias is legal and no placeholder buffer is made. */
  readonly unused?: Readonly<Record<string, string>>;
}

const s = (binding: number, name: string): Binding => ({ binding, name, kind: 'storage' });
const r = (binding: number, name: string): Binding => ({ binding, name, kind: 'read-only-storage' });
const u = (binding: number, name: string): Binding => ({ binding, name, kind: 'uniform' });

const withActs = (src: string) => activationFns + '\n' + src;
const withTable = (src: string) => stepTableWgsl + '\n' + src;
const withMatmulCommon = (src: string) => withActs(matmulCommon + '\n' + src);
const matmulSource = withMatmulCommon(matmulScalar + '\n' + matmulWgsl);
const matmulVec4Source = withMatmulCommon(matmulVec4Wgsl);
const matmulVec4KnSource = withMatmulCommon(matmulVec4KnWgsl);
const matmulTiled8Source = withMatmulCommon(matmulScalar + '\n' + matmulTiled8Wgsl);
const activationSource = withActs(activationWgsl);
const batchNormSource = withActs(batchNormWgsl);
const dims = [
  ['M', 'u32'],
  ['N', 'u32'],
  ['K', 'u32'],
  ['s_a', 'u32'],
  ['s_b', 'u32'],
  ['s_c', 'u32'],
  ['s_x', 'u32'],
  ['s_blocks', 'u32'],
  ['s_models', 'u32'],
  ['s_rblocks', 'u32'],
  ['s_mx', 'u32'],
] as const;
const shape = [
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['s_x', 'u32'],
  ['s_y', 'u32'],
  ['s_models', 'u32'],
] as const;
const lossShape = [
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['s_rows', 'u32'],
  ['s_stats', 'u32'],
  ['s_models', 'u32'],
] as const;
const gradShape = [
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['s_dz', 'u32'],
  ['s_db', 'u32'],
  ['s_models', 'u32'],
] as const;
// Kernels that read the step table and the models' constants (step_table.wgsl).
const TABLE = [r(14, 'table'), r(15, 'models')] as const;
const BN_UNIFORM = [
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['eps', 'f32'],
  ['momentum', 'f32'],
  ['s_x', 'u32'],
  ['s_param', 'u32'],
  ['s_istd', 'u32'],
  ['o_gamma', 'u32'],
  ['o_beta', 'u32'],
  ['o_mean', 'u32'],
  ['o_var', 'u32'],
  ['s_models', 'u32'],
] as const;
const DROP_UNIFORM = [
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['layer', 'u32'],
  ['row', 'u32'],
  ['s_x', 'u32'],
  ['s_models', 'u32'],
] as const;

// Every matmul entry point binds a, b, c and dims. All but naive also bind the operands of the epilogues
// its file offers (bias for + bias then activation, aux for × g'), whatever the view: the entry point
// reads them under an EPILOGUE branch, and a pipeline's layout must hold every binding its entry point
// names. A view's CPU twin is the reference op its epilogue computes.
const MATMUL_BINDINGS = [r(0, 'a'), r(1, 'b'), s(2, 'c'), u(3, 'dims')];
const EPILOGUE_OPERANDS = { bias: r(4, 'bias'), aux: r(5, 'aux') } as const;
type Epilogue = 'plain' | 'biasAct' | 'actGrad';
const EPILOGUES: Record<Epilogue, { id: number; name: string; reads?: keyof typeof EPILOGUE_OPERANDS }> = {
  plain: { id: 0, name: 'matmul' },
  biasAct: { id: 1, name: 'matmulBiasAct', reads: 'bias' },
  actGrad: { id: 2, name: 'matmulActGrad', reads: 'aux' },
};

/** The views of one matmul entry point whose epilogues read `operands`: view(epilogue) is its
 *  descriptor, the operands that epilogue does not read bound to `a` in their place. */
function matmulEntry(
  file: string,
  source: string,
  entryPoint: string,
  operands: readonly ('bias' | 'aux')[],
): (epilogue: Epilogue) => KernelDesc {
  return (epilogue: Epilogue): KernelDesc => {
    const e = EPILOGUES[epilogue];
    return {
      name: e.name,
      file,
      source,
      entryPoint,
      bindings: [...MATMUL_BINDINGS, ...operands.map((o) => EPILOGUE_OPERANDS[o])],
      uniform: dims,
      constants: { EPILOGUE: e.id },
      unused: Object.fromEntries(operands.filter((o) => o !== e.reads).map((o) => [o, 'a'])),
    };
  };
}
const tiled = matmulEntry('matmul.wgsl', matmulSource, 'tiled', ['bias', 'aux']);
const blocked = matmulEntry('matmul.wgsl', matmulSource, 'blocked', ['bias', 'aux']);
const tiled8 = matmulEntry('matmul_tiled8.wgsl', matmulTiled8Source, 'tiled8', ['bias', 'aux']);
const vec4NT = matmulEntry('matmul_vec4.wgsl', matmulVec4Source, 'vec4_nt', ['bias']);
const vec4TN = matmulEntry('matmul_vec4_kn.wgsl', matmulVec4KnSource, 'vec4_tn', ['aux']);
const vec4NN = matmulEntry('matmul_vec4_kn.wgsl', matmulVec4KnSource, 'vec4_nn', ['aux']);

/** A fused-step kernel (fused_step*.wgsl with the optimizer update of fused_update.wgsl, src/gpu/fused.ts):
 *  its CPU twin is the reference's whole step, trainStep in src/reference/mlp.ts. */
function fusedEntry(file: string, wgsl: string, entryPoint: string): KernelDesc {
  return {
    name: 'trainStep',
    file,
    source: withActs(withTable(fusedUpdateWgsl + '\n' + dropoutMaskWgsl + '\n' + wgsl)),
    entryPoint,
    bindings: [r(0, 'x'), r(1, 'y'), r(2, 'index'), s(3, 'state'), s(4, 'scratch'), s(5, 'stats'), u(6, 'u'), ...TABLE],
    uniform: [
      ...(['steps', 'row0', 'block_rows', 'batch', 'n', 's_index', 's_state', 's_scratch'] as const).map(
        (f) => [f, 'u32'] as const,
      ),
      ...(['s_stats', 'layers', 'params', 'models'] as const).map((f) => [f, 'u32'] as const),
      ...Array.from({ length: 16 }, (_, i) => [`d${i}`, 'u32'] as const),
    ],
  };
}

export const KERNELS = {
  matmulTiled: tiled('plain'),
  // One thread per output, plain store only: the readable baseline, with no epilogue operands.
  matmulNaive: {
    name: 'matmul',
    file: 'matmul.wgsl',
    source: matmulSource,
    entryPoint: 'naive',
    bindings: MATMUL_BINDINGS,
    uniform: dims,
  },
  matmulBiasAct: tiled('biasAct'),
  matmulActGrad: tiled('actGrad'),
  matmulBlocked: blocked('plain'),
  matmulBlockedBiasAct: blocked('biasAct'),
  matmulBlockedActGrad: blocked('actGrad'),
  // 128×128 output tile, 8×8 per thread: for GPUs with real workgroup memory (matmul_tiled8.wgsl).
  matmulTiled8: tiled8('plain'),
  matmulTiled8BiasAct: tiled8('biasAct'),
  matmulTiled8ActGrad: tiled8('actGrad'),
  // Forward (NT) product for K % 4 == 0, operands bound as vec4 arrays; no TRANS_* overrides.
  matmulVec4NT: vec4NT('plain'),
  matmulVec4NTBiasAct: vec4NT('biasAct'),
  // Backward products (B stored [K][N]) for N % 4 == 0, B, C and aux bound as vec4 arrays along N:
  // dW = dZᵀ·A_prev (TN, A read as vec4 along M, M % 4 == 0) and dA = dZ·W (NN, along K, K % 4 == 0).
  matmulVec4TN: vec4TN('plain'),
  matmulVec4NN: vec4NN('plain'),
  matmulVec4NNActGrad: vec4NN('actGrad'),
  biasActivation: {
    name: 'biasActivation',
    file: 'activation.wgsl',
    source: activationSource,
    entryPoint: 'bias_act',
    bindings: [s(0, 'x'), u(1, 'shape'), r(2, 'bias')],
    uniform: shape,
  },
  activationGrad: {
    name: 'activationGrad',
    file: 'activation.wgsl',
    source: activationSource,
    entryPoint: 'act_grad',
    bindings: [s(0, 'x'), u(1, 'shape'), r(3, 'a')],
    uniform: shape,
  },
  bceWithLogits: {
    name: 'bceWithLogits',
    file: 'loss.wgsl',
    source: lossWgsl,
    entryPoint: 'bce_logits',
    bindings: [r(0, 'z'), r(1, 'y'), s(2, 'dz'), s(3, 'row_stats'), u(4, 'shape')],
    uniform: lossShape,
  },
  softmaxCrossEntropy: {
    name: 'softmaxCrossEntropy',
    file: 'loss.wgsl',
    source: lossWgsl,
    entryPoint: 'softmax_ce',
    bindings: [r(0, 'z'), r(1, 'y'), s(2, 'dz'), s(3, 'row_stats'), u(4, 'shape')],
    uniform: lossShape,
  },
  mseLoss: {
    name: 'mseLoss',
    file: 'loss.wgsl',
    source: lossWgsl,
    entryPoint: 'mse',
    bindings: [r(0, 'z'), r(1, 'y'), s(2, 'dz'), s(3, 'row_stats'), u(4, 'shape')],
    uniform: lossShape,
  },
  reduceStats: {
    name: 'reduceStats',
    file: 'reduce.wgsl',
    source: withTable(reduceWgsl),
    entryPoint: 'reduce_stats',
    bindings: [r(0, 'row_stats'), s(1, 'total'), u(2, 'shape'), r(3, 'l2_part'), ...TABLE],
    uniform: [
      ['rows', 'u32'],
      ['s_stats', 'u32'],
      ['s_models', 'u32'],
      ['l2', 'u32'],
    ],
  },
  biasGrad: {
    name: 'biasGrad',
    file: 'bias_grad.wgsl',
    source: biasGradWgsl,
    entryPoint: 'bias_grad',
    bindings: [r(0, 'dz'), s(1, 'db'), u(2, 'shape')],
    uniform: gradShape,
  },
  sgdUpdate: {
    name: 'sgdUpdate',
    file: 'sgd.wgsl',
    source: withTable(sgdWgsl),
    entryPoint: 'sgd',
    bindings: [s(0, 'param'), r(1, 'grad'), u(2, 'step'), ...TABLE],
    uniform: [
      ['n', 'u32'],
      ['row', 'u32'],
      ['s_param', 'u32'],
      ['s_models', 'u32'],
    ],
  },
  gather: {
    name: 'gather',
    file: 'gather.wgsl',
    source: withTable(gatherWgsl),
    entryPoint: 'gather',
    bindings: [r(0, 'src'), r(1, 'index'), s(2, 'dst'), u(3, 'range'), r(4, 'src_y'), s(5, 'dst_y'), ...TABLE],
    uniform: [
      ['rows', 'u32'],
      ['cols', 'u32'],
      ['row', 'u32'],
      ['s_index', 'u32'],
      ['s_dst', 'u32'],
      ['s_models', 'u32'],
      ['cols_y', 'u32'],
      ['s_dst_y', 'u32'],
    ],
  },
  optimizerUpdate: {
    name: 'optimizerUpdate',
    file: 'optimizer.wgsl',
    source: withTable(optimizerWgsl),
    entryPoint: 'optimizer',
    bindings: [s(0, 'param'), s(1, 'grad'), s(2, 'v'), s(3, 's'), r(4, 'decay'), u(5, 'step'), ...TABLE],
    uniform: [
      ['n', 'u32'],
      ['row', 'u32'],
      ['s_param', 'u32'],
      ['s_models', 'u32'],
    ],
  },
  l2Penalty: {
    name: 'l2Penalty',
    file: 'l2_penalty.wgsl',
    source: l2PenaltyWgsl,
    entryPoint: 'l2_penalty',
    bindings: [r(0, 'param'), r(1, 'decay'), s(2, 'partials'), u(3, 'pen')],
    uniform: [
      ['n', 'u32'],
      ['s_param', 'u32'],
    ],
  },
  dropoutForward: {
    name: 'dropoutForward',
    file: 'dropout.wgsl',
    source: withTable(dropoutMaskWgsl + '\n' + dropoutWgsl),
    entryPoint: 'dropout_forward',
    bindings: [r(0, 'src'), s(1, 'dst'), u(2, 'drop'), ...TABLE],
    uniform: DROP_UNIFORM,
  },
  dropoutBackward: {
    name: 'dropoutBackward',
    file: 'dropout.wgsl',
    source: withTable(dropoutMaskWgsl + '\n' + dropoutWgsl),
    entryPoint: 'dropout_backward',
    bindings: [s(3, 'x'), u(2, 'drop'), ...TABLE],
    uniform: DROP_UNIFORM,
  },
  batchNormForward: {
    name: 'batchNormForward',
    file: 'batchnorm.wgsl',
    source: batchNormSource,
    entryPoint: 'bn_forward',
    bindings: [s(0, 'x'), u(1, 'bn'), s(2, 'p'), s(6, 'xhat'), s(7, 'istd')],
    uniform: BN_UNIFORM,
  },
  batchNormInference: {
    name: 'batchNormInference',
    file: 'batchnorm.wgsl',
    source: batchNormSource,
    entryPoint: 'bn_inference',
    bindings: [s(0, 'x'), u(1, 'bn'), s(2, 'p')],
    uniform: BN_UNIFORM,
  },
  batchNormBackward: {
    name: 'batchNormBackward',
    file: 'batchnorm.wgsl',
    source: batchNormSource,
    entryPoint: 'bn_backward',
    bindings: [s(0, 'x'), u(1, 'bn'), r(8, 'a'), r(9, 'p_in'), s(10, 'g'), r(12, 'xhat_in'), r(13, 'istd_in')],
    uniform: BN_UNIFORM,
  },
  // Whole training steps of a small net, one workgroup a model (fused_step.wgsl, src/gpu/fused.ts); its
  // CPU twin is the reference's whole step, trainStep in src/reference/mlp.ts.
  fusedStep: fusedEntry('fused_step.wgsl', fusedStepWgsl, 'fused_step'),
  // The same step with widths padded to 4 and vec4 loads (fused_step_vec4.wgsl): the fast variant.
  fusedStepVec4: fusedEntry('fused_step_vec4.wgsl', fusedStepVec4Wgsl, 'fused_step_vec4'),
  // The vec4 step with one invocation a model and no barrier (fused_step_lane.wgsl, appended to the vec4
  // kernel's source, whose functions it calls): for CPU-emulated adapters.
  fusedStepLane: fusedEntry('fused_step_lane.wgsl', fusedStepVec4Wgsl + '\n' + fusedStepLaneWgsl, 'fused_step_lane'),
  // A forward pass over a whole split, loss and accuracy sums per model, one workgroup a model, on the
  // fused step's state (fused_eval.wgsl, appended to the vec4 kernel's source; src/gpu/fused-eval.ts);
  // its CPU twin is the reference's evaluation (CpuBackend.evaluateAll: forward, then lossAndGrad).
  fusedEval: {
    ...fusedEntry('fused_eval.wgsl', fusedStepVec4Wgsl + '\n' + fusedEvalWgsl, 'fused_eval'),
    name: 'evaluate',
    // `models`: the step's dropout code, which the evaluation shares but never runs (DROPOUT false),
    // still names it.
    bindings: [r(0, 'x'), r(1, 'y'), s(3, 'state'), s(4, 'scratch'), s(5, 'stats'), u(6, 'u'), r(15, 'models')],
  },
  // The mean cost of one model at many points θ + α·d1 + β·d2, forward only, one workgroup a point
  // (landscape.wgsl, src/gpu/landscape.ts); its CPU twin is landscape in src/reference/landscape.ts.
  landscape: {
    name: 'landscape',
    file: 'landscape.wgsl',
    source: withActs(landscapeWgsl),
    entryPoint: 'landscape',
    bindings: [r(0, 'basis'), r(1, 'coords'), r(2, 'x'), r(3, 'y'), s(4, 'cost'), u(5, 'u')],
    uniform: [
      ...(['n', 'points', 'layers', 'params'] as const).map((f) => [f, 'u32'] as const),
      ...Array.from({ length: 16 }, (_, i) => [`d${i}`, 'u32'] as const),
    ],
  },
  // The same with widths padded to 4 and vec4 loads (landscape_vec4.wgsl): the fast variant, the default.
  landscapeVec4: {
    name: 'landscape',
    file: 'landscape_vec4.wgsl',
    source: withActs(landscapeVec4Wgsl),
    entryPoint: 'landscape_vec4',
    bindings: [r(0, 'basis'), r(1, 'coords'), r(2, 'x'), r(3, 'y'), s(4, 'cost'), u(5, 'u')],
    uniform: [
      ...(['n', 'points', 'layers', 'params', 'cols', 'pad0', 'pad1', 'pad2'] as const).map((f) => [f, 'u32'] as const),
      ...Array.from({ length: 16 }, (_, i) => [`d${i}`, 'u32'] as const),
    ],
  },
} as const satisfies Record<string, KernelDesc>;
export type KernelId = keyof typeof KERNELS;

/** Activation ids as the shaders' ACT override expects them (activation_fns.wgsl). */
export const ACT_ID: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3, leaky_relu: 4 };

/** Optimizer ids as optimizer.wgsl's OPT override expects them. */
export const OPT_ID: Record<OptimizerKind, number> = { sgd: 0, momentum: 1, rmsprop: 2, adam: 3 };

/** Override constants for kernels that include activation_fns.wgsl. */
export function actConstants(act: Activation): Record<string, number> {
  return { ACT: ACT_ID[act], LEAKY_SLOPE };
}

// ---- dispatch sizes, derived from shapes ----
export const MATMUL_TILE = 64;
export const MATMUL_BLOCKED_TILE = 32;
export const MATMUL_TILED8_TILE = 128;
export const MATMUL_NAIVE_TILE = 16;

/** The matmul kernels of one family: plain product, forward epilogue, backward epilogue. */
export type MatmulFamily = 'tiled' | 'blocked' | 'tiled8';
export const MATMUL_FAMILIES = {
  tiled: { plain: 'matmulTiled', biasAct: 'matmulBiasAct', actGrad: 'matmulActGrad' },
  blocked: { plain: 'matmulBlocked', biasAct: 'matmulBlockedBiasAct', actGrad: 'matmulBlockedActGrad' },
  tiled8: { plain: 'matmulTiled8', biasAct: 'matmulTiled8BiasAct', actGrad: 'matmulTiled8ActGrad' },
} as const satisfies Record<MatmulFamily, Record<string, KernelId>>;

/** Matmul family for an adapter, chosen without timing: a plan's default until a tune says otherwise.
 *  On CPU emulations of Vulkan workgroup barriers cost more than the staging saves, so they get the
 *  blocked kernels; GPUs with real shared memory get the tiled ones (not yet measured on one). */
export function preferredMatmul(adapterName: string): MatmulFamily {
  return cpuEmulated(adapterName) ? 'blocked' : 'tiled';
}

/** Whether preferredMatmul is the autotune's measured answer for this adapter, so timing could not
 *  change it: SwiftShader, where every tune so far picked blocked by 2-3× (README: blocked 17 ms,
 *  tiled8 37-41 ms, tiled 52 ms). Elsewhere the default is a guess the autotune may overturn. */
export function matmulDefaultMeasured(adapterName: string): boolean {
  return /swiftshader/i.test(adapterName);
}
/** The vec4 kernels have one orientation each (no TRANS_* overrides) and need these dimensions
 *  divisible by 4 (their vec4 operands are contiguous along them). */
const VEC4_MATMULS: Partial<
  Record<KernelId, { readonly transA: boolean; readonly transB: boolean; readonly div4: readonly ('M' | 'N' | 'K')[] }>
> = {
  matmulVec4NT: { transA: false, transB: true, div4: ['K'] },
  matmulVec4NTBiasAct: { transA: false, transB: true, div4: ['K'] },
  matmulVec4TN: { transA: true, transB: false, div4: ['M', 'N'] },
  matmulVec4NN: { transA: false, transB: false, div4: ['K', 'N'] },
  matmulVec4NNActGrad: { transA: false, transB: false, div4: ['K', 'N'] },
};

/** Override constants of a matmul kernel for an orientation: TRANS_* for matmul.wgsl, none for a vec4
 *  kernel, which throws (naming itself and the shape) when the orientation or shape is not its own. */
export function matmulConstants(
  id: KernelId,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
): Record<string, number> {
  const v = VEC4_MATMULS[id];
  if (!v) return { TRANS_A: Number(transA), TRANS_B: Number(transB) };
  const dims = { M, N, K };
  if (transA !== v.transA || transB !== v.transB || v.div4.some((d) => dims[d] % 4 !== 0)) {
    throw new Error(
      `kernel ${id}: needs transA=${v.transA} transB=${v.transB} and ${v.div4.join(', ')} divisible by 4, got transA=${transA} transB=${transB} M=${M} N=${N} K=${K}`,
    );
  }
  return {};
}

/** The forward product Z = A·Wᵀ of a family for reduction length K, with the orientation constants
 *  its kernels take. The blocked family switches to matmul_vec4.wgsl when K % 4 == 0: 1.6× faster on
 *  SwiftShader (README); the tiled families are unchanged. */
export function forwardMatmul(
  family: MatmulFamily,
  K: number,
): { plain: KernelId; biasAct: KernelId; constants: Record<string, number> } {
  if (family === 'blocked' && K % 4 === 0)
    return { plain: 'matmulVec4NT', biasAct: 'matmulVec4NTBiasAct', constants: {} };
  return { ...MATMUL_FAMILIES[family], constants: { TRANS_A: 0, TRANS_B: 1 } };
}

/** The backward products of a layer nIn → nOut, with their orientation constants: dW = dZᵀ·A_prev
 *  ([nOut][nIn], K = rows) and dA_prev = dZ·W ([rows][nIn], K = nOut; plain, or × g' fused). The
 *  blocked family switches to matmul_vec4_kn.wgsl when nIn and nOut are divisible by 4 (both kernels
 *  need both; the row count may be anything); the tiled families are unchanged. */
export function backwardMatmul(
  family: MatmulFamily,
  nIn: number,
  nOut: number,
): {
  dW: { id: KernelId; constants: Record<string, number> };
  dA: { plain: KernelId; actGrad: KernelId; constants: Record<string, number> };
} {
  if (family === 'blocked' && nIn % 4 === 0 && nOut % 4 === 0) {
    return {
      dW: { id: 'matmulVec4TN', constants: {} },
      dA: { plain: 'matmulVec4NN', actGrad: 'matmulVec4NNActGrad', constants: {} },
    };
  }
  const f = MATMUL_FAMILIES[family];
  return {
    dW: { id: f.plain, constants: { TRANS_A: 1, TRANS_B: 0 } },
    dA: { plain: f.plain, actGrad: f.actGrad, constants: { TRANS_A: 0, TRANS_B: 0 } },
  };
}
const ELEMENTWISE_WG = 256;
const MAX_WG_PER_DIM = 65535;

/** Whether a matmul kernel tiles several models over its grid (modelLayout, matmul_common.wgsl
 *  model_block): the kernels without workgroup memory; the others take the model from workgroup_id.z. */
export const modelsAlongX = (id: KernelId): boolean => id.startsWith('matmulBlocked') || id.startsWith('matmulVec4');

/** How `models` M×N products tile the grid of a kernel without workgroup memory (8×8 threads, each a
 *  4×4 block; matmul_common.wgsl model_block): each model is bx column blocks by by row blocks, mx
 *  models side by side along x — mx chosen for the fewest workgroups (ties: the fewest models along
 *  x) among the layouts whose grid keeps within `maxPerDimension` workgroups, so small products share
 *  workgroups instead of idling most of their threads. Every layout computes the same values (a thread
 *  does the same arithmetic wherever its block sits). When none fits, the one-model-along-x layout is
 *  returned and the device-limit check (limits.ts) refuses it. */
export function modelLayout(
  M: number,
  N: number,
  models: number,
  maxPerDimension = MAX_WG_PER_DIM,
): { bx: number; by: number; mx: number; grid: Workgroups } {
  const bx = Math.ceil(N / 4);
  const by = Math.ceil(M / 4);
  const layout = (mx: number) => ({
    bx,
    by,
    mx,
    grid: [Math.ceil((mx * bx) / 8), Math.ceil((Math.ceil(models / mx) * by) / 8), 1] as Workgroups,
  });
  const fits = (g: Workgroups) => g[0] <= maxPerDimension && g[1] <= maxPerDimension;
  let best: ReturnType<typeof layout> | undefined;
  for (let mx = 1; mx <= Math.max(models, 1); mx++) {
    const l = layout(mx);
    if (fits(l.grid) && (!best || l.grid[0] * l.grid[1] < best.grid[0] * best.grid[1])) best = l;
  }
  return best ?? layout(1);
}

/** The grid of an M×N product (of each of `models` models). */
export function matmulWorkgroups(
  id: KernelId,
  M: number,
  N: number,
  models = 1,
  maxPerDimension = MAX_WG_PER_DIM,
): Workgroups {
  if (modelsAlongX(id)) return modelLayout(M, N, models, maxPerDimension).grid;
  const t = id === 'matmulNaive' ? MATMUL_NAIVE_TILE : id.startsWith('matmulTiled8') ? MATMUL_TILED8_TILE : MATMUL_TILE;
  return [Math.ceil(N / t), Math.ceil(M / t), models];
}

/** 1-D work of `count` threads, `size` to a workgroup, folded into 2-D when one dimension would pass
 *  65535 workgroups: every kernel dispatched this way reads its index as gid.x + gid.y ·
 *  num_workgroups.x · size, and threads past the end find no model to work on. */
function foldedWorkgroups(count: number, size: number): Workgroups {
  const groups = Math.max(1, Math.ceil(count / size));
  if (groups <= MAX_WG_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WG_PER_DIM);
  return [Math.ceil(groups / y), y, 1];
}

/** One thread per element (activation.wgsl, dropout.wgsl, gather.wgsl, sgd.wgsl, optimizer.wgsl): 256
 *  elements per workgroup. */
export const elementwiseWorkgroups = (count: number): Workgroups => foldedWorkgroups(count, ELEMENTWISE_WG);

/** One thread per column (bias_grad.wgsl, batchnorm.wgsl): 64 columns per workgroup. */
export const columnWorkgroups = (cols: number): Workgroups => foldedWorkgroups(cols, 64);

/** One thread per row (loss.wgsl) or per model (reduce.wgsl): 64 per workgroup. */
export const rowWorkgroups = (rows: number): Workgroups => foldedWorkgroups(rows, 64);

/** One workgroup per point (landscape.wgsl), folded like the rest. */
export const pointWorkgroups = (points: number): Workgroups => foldedWorkgroups(points, 1);

// ---- pipelines, compiled once per (device, kernel, constants) ----
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();
const layoutCache = new WeakMap<GPUDevice, Map<string, GPUBindGroupLayout>>();

// Keyed by entry point: the views of one entry point have the same bindings (descriptors.test.ts).
export function bindGroupLayout(device: GPUDevice, desc: KernelDesc): GPUBindGroupLayout {
  let m = layoutCache.get(device);
  if (!m) layoutCache.set(device, (m = new Map()));
  const key = `${desc.file}:${desc.entryPoint}`;
  let layout = m.get(key);
  if (!layout) {
    layout = device.createBindGroupLayout({
      label: key,
      entries: desc.bindings.map((b) => ({
        binding: b.binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: b.kind },
      })),
    });
    m.set(key, layout);
  }
  return layout;
}

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();
function shaderModule(device: GPUDevice, desc: KernelDesc): GPUShaderModule {
  let m = moduleCache.get(device);
  if (!m) moduleCache.set(device, (m = new Map()));
  let mod = m.get(desc.file);
  if (!mod) {
    mod = device.createShaderModule({ label: desc.file, code: desc.source });
    m.set(desc.file, mod);
  }
  return mod;
}

/** The caller's override constants with the descriptor's own; a caller's value for one of those throws. */
function viewConstants(desc: KernelDesc, constants: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(desc.constants ?? {})) {
    if (k in constants && constants[k] !== v)
      throw new Error(`kernel ${desc.name} (${desc.entryPoint}): override ${k} is fixed at ${v}, got ${constants[k]}`);
  }
  return { ...constants, ...desc.constants };
}

export function pipeline(
  device: GPUDevice,
  desc: KernelDesc,
  constants: Record<string, number> = {},
): Promise<GPUComputePipeline> {
  let m = pipelineCache.get(device);
  if (!m) pipelineCache.set(device, (m = new Map()));
  const all = viewConstants(desc, constants);
  const key = `${desc.file}:${desc.entryPoint}:${JSON.stringify(all)}`;
  let p = m.get(key);
  if (!p) {
    p = device
      .createComputePipelineAsync({
        label: key,
        layout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout(device, desc)] }),
        compute: { module: shaderModule(device, desc), entryPoint: desc.entryPoint, constants: all },
      })
      .catch((e: unknown) => {
        throw new Error(
          `kernel ${desc.name} (${key}): pipeline creation failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
    m.set(key, p);
  }
  return p;
}

/** Size of a kernel's uniform buffer: its fields rounded up to whole 16-byte rows. */
export function uniformBytes(desc: KernelDesc): number {
  return Math.max(1, Math.ceil(desc.uniform.length / 4)) * 16;
}

/** The uniform of a kernel, packed from named values. */
export function packUniform(desc: KernelDesc, values: Record<string, number>): ArrayBuffer {
  const buf = new ArrayBuffer(uniformBytes(desc));
  const view = new DataView(buf);
  desc.uniform.forEach(([name, type], i) => {
    const v = values[name] ?? (name.startsWith('s_') ? 0 : undefined);
    if (v === undefined) throw new Error(`kernel ${desc.name}: uniform field '${name}' missing`);
    if (type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        throw new Error(`kernel ${desc.name}: uniform ${name} = ${v} is not a u32`);
      view.setUint32(i * 4, v, true);
    } else view.setFloat32(i * 4, v, true);
  });
  return buf;
}
