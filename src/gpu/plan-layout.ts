// A training plan described as data, before anything exists on a GPU: every buffer (name, bytes, what
// fills it) and every kernel invocation (kernel, constants, bindings by buffer name, uniform and grid
// for a row count), in the order TrainingPlan.create allocates and creates them. The memory estimate
// (planMemory), the device-limit check (limits.ts) and the allocation (plan-build.ts) all read this one
// table, so they cannot disagree: llm.c's TensorSpec table, where one walk sizes every tensor and the
// report and the allocation share it. Runs in Node: no GPU call, no GPU global.
//
// Adding a buffer is one line in the buffer lists below; adding a kernel invocation is one op() call
// in the phase builder it belongs to (plan-ops.ts).
import { hasBatchNorm, layerCount, size, type BatchNormTensors, type ModelSpec } from '../model.ts';
import { SNAPSHOT_SLOTS, resolveConfig, type Split, type TrainConfig } from '../train/backend.ts';
import { preferredMatmul, type KernelId, type MatmulFamily, type Workgroups } from './kernels.ts';
import { limit, type DeviceLimits } from './limits.ts';
import {
  backwardOps,
  forwardOps,
  gatherOp,
  hiddenDropped,
  isPlainSgd,
  lossOp,
  reduceOp,
  updateOps,
} from './plan-ops.ts';
import { dataLayout, type DataLayout } from './shards.ts';
import { MODEL_BYTES, StepTable, modelConstants, packModels, type ModelConstants } from './step-table.ts';

export interface PlanOptions {
  /** Fuse bias + activation into the forward matmul and g' into the backward one (default true). */
  readonly fuse?: boolean;
  /** Matmul family (default: preferredMatmul for the adapter). */
  readonly matmul?: MatmulFamily;
  /** Use the naive one-thread-per-output matmul for every unfused product (baseline for tests). */
  readonly naive?: boolean;
  /** Training steps encoded into one command buffer before it is submitted (default:
   *  defaultStepsPerSubmit for the adapter). Results are bit-identical for every value. */
  readonly stepsPerSubmit?: number;
  /** Forward passes only (evaluate, forwardRows): no backward or update pipelines are compiled and
   *  step() throws. For prediction on a model that is not being trained. */
  readonly inference?: boolean;
  /** GPU memory for data, in bytes (default DEFAULT_DATA_BUDGET): when the splits do not fit it (or
   *  one of their buffers is past the device's limits) they are streamed in shards (shards.ts), with
   *  results bit-identical to resident data. */
  readonly dataBudgetBytes?: number;
  /** Several models of the same architecture trained side by side in the same dispatches (model =
   *  workgroup_id.z, every per-model buffer model-major): each entry is one model's configuration
   *  (its optimizer state, learning rate via step(), L2, keep-prob, β's, dropout seed); they must
   *  share the optimizer kind. Absent: one model with init.config. Each model's trajectory is
   *  bit-identical to a one-model plan with its configuration. Resident data only. */
  readonly models?: readonly Partial<TrainConfig>[];
}

/** Steps per submit for an adapter: 1 everywhere for now. On SwiftShader a step of the issue
 *  configurations takes 17 ms or more, so a submit (~0.13 ms) is under 1% of it, and K = 2..16 did not
 *  measurably change ms/step; only a 784-16-10 batch-1 step (2.7 ms) showed a trend, to 0.91× at K = 16
 *  (docs/steps-per-submit.md). Real GPUs, where a small step is well under a millisecond, are not
 *  measured yet: `npm run bench -- --engines webgpu --no-sweep --no-kernels --matmul none
 *  --steps-per-submit 1,2,4,8,16` on one decides their default. */
export function defaultStepsPerSubmit(_adapterName: string): number {
  return 1;
}

/** Rows of each split a plan holds resident. */
export interface PlanRows {
  readonly train: number;
  readonly test: number;
  readonly dev: number;
}

/** Where each tensor lives inside the flat parameter (and gradient) buffer, in floats. */
export interface TensorSlot {
  readonly offset: number;
  readonly length: number;
}
/** A batch-normalised layer also has γ, β, running mean and running var slots. The running stats sit
 *  in the parameter buffer so that snapshots, readParams/setParams and checkpoints carry them; their
 *  gradient slots are never written (always 0), so every optimizer leaves them exactly as the BN
 *  forward kernel sets them. */
export interface LayerSlots {
  readonly weight: TensorSlot;
  readonly bias: TensorSlot;
  readonly bn?: BatchNormTensors<TensorSlot>;
}

/** What a buffer holds when the plan is made: nothing yet (WebGPU zero-fills a new buffer: the
 *  optimizer's moments start at 0, activations are written before they are read), values computed
 *  from the layout, or one part of a data split. */
export type BufferFill =
  | { readonly kind: 'zero' }
  | { readonly kind: 'values'; readonly values: () => Float32Array | Uint32Array }
  | { readonly kind: 'split'; readonly split: Split; readonly part: 'x' | 'y' };

export interface BufferSpec {
  readonly name: string;
  /** As allocated: whole 32-bit words, at least 16 bytes. */
  readonly bytes: number;
  /** 'storage': bound by kernels; 'copy': only copied to and from (the snapshots). */
  readonly usage: 'storage' | 'copy';
  readonly fill: BufferFill;
}

/** A binding: a whole buffer by name, or a byte range of it (a tensor of every model in the flat
 *  parameter or gradient buffer). */
export type BindingSpec = string | { readonly buffer: string; readonly offset: number; readonly size: number };

/** One kernel invocation. `uniform` and `grid` are given the step's row count (and the uniform slot of
 *  the step within its group); `where` places it in the model for messages ("layer 1 (2 → 8), forward"). */
export interface OpSpec {
  readonly kernel: KernelId;
  readonly constants: Readonly<Record<string, number>>;
  readonly bindings: Readonly<Record<string, BindingSpec>>;
  readonly uniform: (rows: number, slot: number) => Record<string, number>;
  readonly grid: (rows: number) => Workgroups;
  readonly where: string;
}

/** The ops a step and an evaluation chunk run, in order. An op that appears in several sequences is
 *  the same object (one dispatch, one uniform buffer). Resident: one training sequence (gathering by
 *  each model's order) and one evaluation sequence per split (by the identity). Sharded: one of each
 *  per shard buffer. Inference-only plans have empty training sequences. */
export type OpSequences =
  | {
      readonly mode: 'resident';
      readonly train: readonly OpSpec[];
      readonly evaluate: Readonly<Record<Split, readonly OpSpec[]>>;
    }
  | {
      readonly mode: 'sharded';
      readonly train: readonly (readonly OpSpec[])[];
      readonly evaluate: readonly (readonly OpSpec[])[];
    };

export interface LayoutParams {
  readonly spec: ModelSpec;
  /** One resolved configuration per model (one for an ordinary plan). */
  readonly configs: readonly TrainConfig[];
  readonly maxBatch: number;
  readonly rows: PlanRows;
  readonly data: DataLayout;
  /** The device's minStorageBufferOffsetAlignment (bytes): every tensor of the flat buffers starts at one. */
  readonly offsetAlignment: number;
  readonly stepsPerSubmit: number;
  /** Forward passes only: no backward, update or training gathers. */
  readonly inference: boolean;
  /** mse as regression: the loss kernel's second statistic is Σ|error| rather than correct rows. */
  readonly regression: boolean;
  readonly fuse: boolean;
  readonly naive: boolean;
  readonly family: MatmulFamily;
  /** The device's maxComputeWorkgroupsPerDimension: grids that can choose their shape keep within it. */
  readonly maxWorkgroups: number;
}

export interface PlanLayout {
  readonly params: LayoutParams;
  /** The configuration the plan's structure is built for (sharedConfig of the models'). */
  readonly config: TrainConfig;
  readonly models: number;
  readonly slots: readonly LayerSlots[];
  /** Floats of one model's parameters: the stride between models in every parameter-shaped buffer. */
  readonly paramStride: number;
  /** Training rows: the stride between the models' orders. */
  readonly orderStride: number;
  /** Each model's constants (the step table's and the `models` buffer's). */
  readonly constants: readonly ModelConstants[];
  readonly buffers: readonly BufferSpec[];
  /** Every op, each once, in creation order. */
  readonly ops: readonly OpSpec[];
  /** The evaluation forward pass alone, input in A0 and output in A[L] (forwardRows). */
  readonly forward: readonly OpSpec[];
  readonly sequences: OpSequences;
  /** Buffers a checkpoint carries besides the parameters (the optimizer's moments). */
  readonly optimizerState: readonly string[];
}

/** The structure a plan is built for when several models share it: the first model's configuration,
 *  with dropout if any model drops out and L2 if any model has it (a model with keepProb 1 or l2 0
 *  then gets exactly its own arithmetic: masks that keep everything with scale 1, a zero L2 term). */
export function sharedConfig(configs: readonly TrainConfig[]): TrainConfig {
  const first = configs[0];
  if (!first) throw new Error('plan: no models given');
  const other = configs.find((c) => c.optimizer !== first.optimizer);
  if (other)
    throw new Error(`plan: the models of one plan share an optimizer; got ${first.optimizer} and ${other.optimizer}`);
  return { ...first, keepProb: Math.min(...configs.map((c) => c.keepProb)), l2: Math.max(...configs.map((c) => c.l2)) };
}

/** Parameter and gradient slots: one flat buffer each, every tensor at an offset the device can bind. */
export function parameterSlots(spec: ModelSpec, offsetAlignment: number): { slots: LayerSlots[]; floats: number } {
  const align = offsetAlignment / 4;
  let floats = 0;
  const place = (length: number): TensorSlot => {
    const s = { offset: floats, length };
    floats += Math.ceil(length / align) * align;
    return s;
  };
  const slots: LayerSlots[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const n = size(spec, l + 1);
    const layer = { weight: place(n * size(spec, l)), bias: place(n) };
    slots.push(
      hasBatchNorm(spec, l)
        ? { ...layer, bn: { gamma: place(n), beta: place(n), mean: place(n), var: place(n) } }
        : layer,
    );
  }
  return { slots, floats };
}

/** The whole plan for these parameters. Throws (plain Error) for a combination no plan supports. */
export function planLayout(p: LayoutParams): PlanLayout {
  const N = p.configs.length;
  const config = sharedConfig(p.configs);
  // An inference plan of N models (the fused sweep's evaluation, fused-backend.ts) is the forward ops,
  // which take the model index like the training plan's, without backward, update or moments.
  if (N > 1 && p.data.mode !== 'resident')
    throw new Error(
      `plan: ${N} models need their data resident; it does not fit the data budget (streamed data serves one model)`,
    );
  const { slots, floats } = parameterSlots(p.spec, p.offsetAlignment);
  const constants = p.configs.map(modelConstants);
  const table = new StepTable(p.stepsPerSubmit, constants);
  const c: LayoutContext = {
    ...p,
    config,
    models: N,
    layers: layerCount(p.spec),
    slots,
    paramStride: floats,
    row: (slot) => table.row(slot),
    ops: [],
  };
  const buffers = [
    ...parameterBuffers(c, constants, table.bytes(p.stepsPerSubmit)),
    ...dataBuffers(c),
    ...activationBuffers(c),
    ...optimizerBuffers(c),
  ];
  const ops = sequences(c);
  return {
    params: p,
    config,
    models: N,
    slots,
    paramStride: floats,
    orderStride: Math.max(p.rows.train, 1),
    constants,
    buffers,
    ops: c.ops,
    forward: ops.forward,
    sequences: ops.sequences,
    optimizerState: buffers.filter((b) => b.name === 'optimizer.v' || b.name === 'optimizer.s').map((b) => b.name),
  };
}

/** What the phase builders (plan-ops.ts) read, and the list they append their ops to. */
export interface LayoutContext extends LayoutParams {
  readonly config: TrainConfig;
  readonly models: number;
  readonly layers: number;
  readonly slots: readonly LayerSlots[];
  readonly paramStride: number;
  /** The step table row of a uniform slot (StepTable.row). */
  readonly row: (slot: number) => number;
  readonly ops: OpSpec[];
}

/** Bytes of a buffer of `floats` 32-bit values, as the arena allocates it. */
const bytes = (floats: number) => Math.max(16, Math.ceil(floats) * 4);
const storage = (name: string, floats: number, fill: BufferFill = { kind: 'zero' }): BufferSpec => ({
  name,
  bytes: bytes(floats),
  usage: 'storage',
  fill,
});
const values = (name: string, v: () => Float32Array | Uint32Array, length: number): BufferSpec =>
  storage(name, length, { kind: 'values', values: v });

function parameterBuffers(c: LayoutContext, constants: readonly ModelConstants[], tableBytes: number): BufferSpec[] {
  const all = c.models * c.paramStride;
  const list: BufferSpec[] = [
    storage('params', all),
    storage('grads', all),
    ...Array.from({ length: SNAPSHOT_SLOTS }, (_, i): BufferSpec => ({
      name: `snapshot${i}`,
      bytes: bytes(all),
      usage: 'copy',
      fill: { kind: 'zero' },
    })),
    values('models', () => packModels(constants), (c.models * MODEL_BYTES) / 4),
    storage('steps', tableBytes / 4),
  ];
  // L2 applies to weights only: decay is 1 on weight slots, 0 on biases and padding (one model's layout).
  if (!isPlainSgd(c.config)) {
    const decay = () => {
      const d = new Float32Array(c.paramStride);
      for (const s of c.slots) d.fill(1, s.weight.offset, s.weight.offset + s.weight.length);
      return d;
    };
    list.push(values('decay', decay, c.paramStride));
  }
  return list;
}

/** Resident: each split's x and y (a step gathers its rows by index), each model's order and the
 *  identity index. Sharded: two shard buffers used in turn and the identity of one shard. */
function dataBuffers(c: LayoutContext): BufferSpec[] {
  const n0 = size(c.spec, 0);
  const out = size(c.spec, c.layers);
  const split = (name: string, n: number, from?: Split): BufferSpec[] => [
    storage(`${name}.x`, n > 0 ? n * n0 : 4, from ? { kind: 'split', split: from, part: 'x' } : undefined),
    storage(`${name}.y`, n > 0 ? n * out : 4, from ? { kind: 'split', split: from, part: 'y' } : undefined),
  ];
  const identity = (n: number) => values('identity', () => Uint32Array.from({ length: n }, (_, i) => i), n);
  const { rows } = c;
  if (c.data.mode === 'sharded')
    return [...split('shard0', c.data.shardRows), ...split('shard1', c.data.shardRows), identity(c.data.shardRows)];
  const stride = Math.max(rows.train, 1);
  const orders = () => {
    const o = new Uint32Array(c.models * stride);
    for (let i = 0; i < o.length; i++) o[i] = i % stride;
    return o;
  };
  return [
    ...split('train', rows.train, 'train'),
    ...split('test', rows.test, 'test'),
    ...(rows.dev > 0 ? split('dev', rows.dev, 'dev') : []),
    values('order', orders, c.models * stride),
    identity(Math.max(rows.train, rows.test, rows.dev, 1)),
  ];
}

/** Activations A[0..L] ([batch][n_l]; A[0] the gathered input, A[L] the output logits), dZ[1..L], the
 *  targets Y and the statistics, one [maxBatch][n] block per model: model z's block of a layer of
 *  width n is maxBatch·n floats on. Then dropout's dropped copies and batch norm's saved Ẑ and
 *  1/√(σ² + ε), which the backward reads. */
function activationBuffers(c: LayoutContext): BufferSpec[] {
  const { spec, models: N, maxBatch } = c;
  const batch = (name: string, n: number) => storage(name, N * maxBatch * n);
  const out = size(spec, c.layers);
  return [
    ...spec.sizes.map((n, l) => batch(`A${l}`, n)),
    ...spec.sizes.flatMap((n, l) => (l > 0 ? [batch(`dZ${l}`, n)] : [])),
    batch('Y', out),
    batch('rowStats', 2),
    storage('trainStats', N * 2),
    storage('evalStats', N * 2),
    // The L2 term's 64 partial sums per model (l2_penalty.wgsl), added by the training reduce.
    storage('l2Partials', N * 64),
    ...spec.sizes.flatMap((n, l) => (hiddenDropped(c, l) ? [batch(`Ad${l}`, n)] : [])),
    ...spec.sizes.flatMap((n, l) =>
      l >= 1 && hasBatchNorm(spec, l - 1) ? [batch(`Xhat${l}`, n), storage(`istd${l}`, N * n)] : [],
    ),
  ];
}

/** The optimizer's moments (v: momentum, RMSprop's and Adam's first; s: the second), laid out like the
 *  parameters; a kernel binding without a use gets a 16-byte placeholder. */
function optimizerBuffers(c: LayoutContext): BufferSpec[] {
  const opt = c.config.optimizer;
  if (c.inference || isPlainSgd(c.config)) return [];
  const all = c.models * c.paramStride;
  return [
    opt !== 'sgd' ? storage('optimizer.v', all) : storage('optimizer.v (unused)', 4),
    opt === 'rmsprop' || opt === 'adam' ? storage('optimizer.s', all) : storage('optimizer.s (unused)', 4),
  ];
}

/** Every op in creation order: the forward passes, loss, backward, update, the reductions, then the
 *  gathers of each data source; and the sequences that run them. */
function sequences(c: LayoutContext): { forward: OpSpec[]; sequences: OpSequences } {
  const forward = forwardOps(c, false);
  const dropsOrNormalises = c.config.keepProb < 1 || c.spec.batchNorm === true;
  const trainForward = !c.inference && dropsOrNormalises ? forwardOps(c, true) : forward;
  const loss = lossOp(c);
  const backward = c.inference ? [] : backwardOps(c);
  const update = c.inference ? undefined : updateOps(c);
  const step = update
    ? [
        ...trainForward,
        loss,
        ...update.extras,
        reduceOp(c, 'trainStats', update.extras.length > 0),
        ...backward,
        update.op,
      ]
    : undefined;
  const evalReduce = reduceOp(c, 'evalStats', false);
  // The ops of a step (or an evaluation chunk) reading `src` by `index` (each model its own order
  // when training, all the same rows when evaluating).
  const trainOn = (src: string, index: string, sIndex: number) =>
    step ? [gatherOp(c, src, index, sIndex), ...step] : [];
  const evalOn = (src: string) => [gatherOp(c, src, 'identity', 0), ...forward, loss, evalReduce];
  if (c.data.mode === 'sharded') {
    const train: OpSpec[][] = [];
    const evaluate: OpSpec[][] = [];
    for (const s of ['shard0', 'shard1']) {
      train.push(trainOn(s, 'identity', 0));
      evaluate.push(evalOn(s));
    }
    return { forward, sequences: { mode: 'sharded', train, evaluate } };
  }
  const train = trainOn('train', 'order', Math.max(c.rows.train, 1));
  const evaluate = { train: evalOn('train'), test: evalOn('test'), dev: c.rows.dev > 0 ? evalOn('dev') : [] };
  return { forward, sequences: { mode: 'resident', train, evaluate } };
}

/** What a plan is made for: the model, the models' configurations, the batch and the rows. */
export interface PlanSubject {
  readonly spec: ModelSpec;
  readonly configs: readonly (Partial<TrainConfig> | undefined)[];
  readonly maxBatch: number;
  readonly rows: PlanRows;
  readonly regression?: boolean;
}

/** The layout TrainingPlan.create builds for these options on a device (its name and limits): the data
 *  resident or in shards as dataLayout decides, the adapter's matmul family and steps per submit unless
 *  the options say otherwise. Throws (plain Error) for arguments no plan takes. */
export function describePlan(
  p: PlanSubject,
  options: PlanOptions,
  device: { readonly adapterName: string; readonly limits: DeviceLimits },
): PlanLayout {
  const configs = p.configs.map((c) => resolveConfig(c));
  sharedConfig(configs); // the models must share an optimizer: said before anything else
  if (!Number.isInteger(p.maxBatch) || p.maxBatch < 1)
    throw new Error(`plan: batch size must be a positive integer, got ${p.maxBatch}`);
  const stepsPerSubmit = options.stepsPerSubmit ?? defaultStepsPerSubmit(device.adapterName);
  if (!Number.isInteger(stepsPerSubmit) || stepsPerSubmit < 1)
    throw new Error(`plan: stepsPerSubmit must be a positive integer, got ${stepsPerSubmit}`);
  return planLayout({
    spec: p.spec,
    configs,
    maxBatch: p.maxBatch,
    rows: p.rows,
    data: dataLayout(p.spec, p.rows, p.maxBatch, device.limits, options.dataBudgetBytes),
    offsetAlignment: limit(device.limits, 'minStorageBufferOffsetAlignment'),
    stepsPerSubmit,
    inference: options.inference === true,
    regression: p.regression === true,
    fuse: options.fuse ?? true,
    naive: options.naive === true,
    family: options.matmul ?? preferredMatmul(device.adapterName),
    maxWorkgroups: limit(device.limits, 'maxComputeWorkgroupsPerDimension'),
  });
}

/** Every data, parameter and activation buffer TrainingPlan.create will allocate for these sizes, by
 *  the names the plan gives them and in the order it creates them (plan.memory() lists the same names
 *  after allocation), computed before anything is allocated: the layout's buffer list. Not listed: the
 *  kernels' uniform buffers and the read-back staging buffers, a few KiB. `offsetAlignment` is the
 *  device's minStorageBufferOffsetAlignment; `data` the plan's dataLayout (sharded: two shard buffers
 *  instead of the splits). */
export function planMemory(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  maxBatch: number,
  rows: PlanRows,
  offsetAlignment = 256,
  inference = false,
  data: DataLayout = { mode: 'resident' },
  models = 1,
  stepsPerSubmit = 1,
): { name: string; bytes: number }[] {
  const layout = planLayout({
    spec,
    configs: Array.from({ length: models }, () => resolveConfig(config)),
    maxBatch,
    rows,
    data,
    offsetAlignment,
    stepsPerSubmit,
    inference,
    regression: false,
    fuse: true,
    naive: false,
    family: 'tiled', // the buffers do not depend on the kernels
    maxWorkgroups: 65535,
  });
  return layout.buffers.map(({ name, bytes }) => ({ name, bytes }));
}
