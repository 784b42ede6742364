// The scheduler: from a model spec and a batch size, compile every pipeline and allocate every buffer
// once, build every bind group once, then encode forward + backward + update of a training step into
// one command buffer, and submit it once every stepsPerSubmit steps (each step of a group reads its own
// uniform slot), or earlier when anything else touches the queue or the state. Nothing is allocated and
// nothing is read back inside a step; loss and accuracy accumulate on the GPU and are copied out only
// when takeTrainStats() is called.
//
// A plan can also train several models of one architecture side by side (PlanOptions.models: the
// hyperparameter search): every kernel runs all of them in the same dispatch, each model's tensors a
// fixed stride apart in model-major buffers, its own learning rate, L2, dropout seed and keep-prob, β's
// and order; what changes per step (start, t, learning rates, Adam's corrections) is one step-table
// write per submitted group. Nothing in a model's arithmetic depends on the others, so each model's
// trajectory is bit-identical to a one-model plan's (tests/browser/models.test.ts).
import {
  BN_EPSILON,
  BN_MOMENTUM,
  fromTensors,
  hasBatchNorm,
  layerActivation,
  layerCount,
  layerTensors,
  size,
  type BatchNormTensors,
  type ModelSpec,
  type Params,
} from '../model.ts';
import {
  SNAPSHOT_SLOTS,
  resolveConfig,
  type BackendInit,
  type Split,
  type SplitData,
  type Stats,
  type TrainBackend,
  type TrainConfig,
} from '../train/backend.ts';
import { BufferArena, readBuffer } from './arena.ts';
import type { TrainState } from '../train/checkpoint.ts';
import { HostCounters, type HostCounts } from './counters.ts';
import type { GpuContext } from './device.ts';
import { Dispatch, type BufferRef } from './dispatch.ts';
import {
  OPT_ID,
  modelLayout,
  modelsAlongX,
  type KernelId,
  backwardMatmul,
  forwardMatmul,
  actConstants,
  columnWorkgroups,
  elementwiseWorkgroups,
  matmulWorkgroups,
  preferredMatmul,
  rowWorkgroups,
  type MatmulFamily,
  type Workgroups,
} from './kernels.ts';
import { ReadbackPool } from './readback.ts';
import { MODEL_BYTES, StepTable, modelConstants, packModels } from './step-table.ts';
import { dataLayout, ShardStream, type DataLayout, type ShardBuffers } from './shards.ts';

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

/** Every data, parameter and activation buffer TrainingPlan.create will allocate for these sizes, by
 *  the names the plan gives them (plan.memory() lists the same names after allocation), computed
 *  before anything is allocated. Not listed: the kernels' uniform buffers and the read-back staging
 *  buffers, a few KiB. `offsetAlignment` is the device's minStorageBufferOffsetAlignment; `data` the
 *  plan's dataLayout (sharded: two shard buffers instead of the splits). */
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
  const c = resolveConfig(config);
  const N = models;
  const L = layerCount(spec);
  const bytes = (floats: number) => Math.max(16, Math.ceil(floats) * 4);
  const align = offsetAlignment / 4;
  let total = 0;
  for (let l = 0; l < L; l++) {
    const n = size(spec, l + 1);
    const tensors = [n * size(spec, l), n, ...(hasBatchNorm(spec, l) ? [n, n, n, n] : [])];
    for (const t of tensors) total += Math.ceil(t / align) * align;
  }
  const plainSgd = c.optimizer === 'sgd' && c.l2 === 0;
  const n0 = size(spec, 0);
  const out = size(spec, L);
  const list: { name: string; bytes: number }[] = [
    { name: 'params', bytes: bytes(N * total) },
    { name: 'grads', bytes: bytes(N * total) },
    ...Array.from({ length: SNAPSHOT_SLOTS }, (_, i) => ({ name: `snapshot${i}`, bytes: bytes(N * total) })),
    { name: 'models', bytes: N * MODEL_BYTES },
    { name: 'steps', bytes: stepsPerSubmit * (1 + N) * 16 },
  ];
  if (!plainSgd) list.push({ name: 'decay', bytes: bytes(total) });
  const split = (name: string, n: number) => [
    { name: `${name}.x`, bytes: bytes(n > 0 ? n * n0 : 4) },
    { name: `${name}.y`, bytes: bytes(n > 0 ? n * out : 4) },
  ];
  if (data.mode === 'resident') {
    list.push(
      ...split('train', rows.train),
      ...split('test', rows.test),
      ...(rows.dev > 0 ? split('dev', rows.dev) : []),
    );
    list.push(
      { name: 'order', bytes: bytes(N * Math.max(rows.train, 1)) },
      { name: 'identity', bytes: bytes(Math.max(rows.train, rows.test, rows.dev, 1)) },
    );
  } else {
    list.push(...split('shard0', data.shardRows), ...split('shard1', data.shardRows), {
      name: 'identity',
      bytes: bytes(data.shardRows),
    });
  }
  const batch = (n: number) => bytes(N * maxBatch * n);
  spec.sizes.forEach((n, l) => list.push({ name: `A${l}`, bytes: batch(n) }));
  spec.sizes.forEach((n, l) => {
    if (l > 0) list.push({ name: `dZ${l}`, bytes: batch(n) });
  });
  list.push(
    { name: 'Y', bytes: batch(out) },
    { name: 'rowStats', bytes: batch(2) },
    { name: 'trainStats', bytes: Math.max(16, N * 8) },
    { name: 'evalStats', bytes: Math.max(16, N * 8) },
  );
  list.push({ name: 'l2Partials', bytes: N * 64 * 4 });
  spec.sizes.forEach((n, l) => {
    if (c.keepProb < 1 && l >= 1 && l < L) list.push({ name: `Ad${l}`, bytes: batch(n) });
  });
  spec.sizes.forEach((n, l) => {
    if (l >= 1 && hasBatchNorm(spec, l - 1))
      list.push({ name: `Xhat${l}`, bytes: batch(n) }, { name: `istd${l}`, bytes: bytes(N * n) });
  });
  if (!inference && !plainSgd) {
    const stateful = c.optimizer !== 'sgd';
    const second = c.optimizer === 'rmsprop' || c.optimizer === 'adam';
    list.push(
      { name: stateful ? 'optimizer.v' : 'optimizer.v (unused)', bytes: stateful ? bytes(N * total) : 16 },
      { name: second ? 'optimizer.s' : 'optimizer.s (unused)', bytes: second ? bytes(N * total) : 16 },
    );
  }
  return list;
}

/** Where each tensor lives inside the flat parameter (and gradient) buffer, in floats. */
interface TensorSlot {
  readonly offset: number;
  readonly length: number;
}
/** A batch-normalised layer also has γ, β, running mean and running var slots. The running stats sit
 *  in the parameter buffer so that snapshots, readParams/setParams and checkpoints carry them; their
 *  gradient slots are never written (always 0), so every optimizer leaves them exactly as the BN
 *  forward kernel sets them. */
interface LayerSlots {
  readonly weight: TensorSlot;
  readonly bias: TensorSlot;
  readonly bn?: BatchNormTensors<TensorSlot>;
}

/** One kernel invocation of a step, with its uniform and grid for a row count and a uniform slot
 *  (what changes from step to step, the batch's start, t and the learning rates, is in the step
 *  table, not in the uniforms). `written` and `grids` cache, per slot, the row count the slot's
 *  uniform was last written for and its grid: a step with the row count of the last one writes no
 *  uniform and allocates nothing. */
interface Op {
  readonly d: Dispatch;
  readonly uniform: (rows: number, slot: number) => Record<string, number>;
  readonly grid: (rows: number) => Workgroups;
  readonly written: number[];
  readonly grids: Workgroups[];
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

/** A command buffer being recorded: `used` steps (or evaluation chunks) so far, step j in uniform slot j. */
interface Group {
  readonly enc: GPUCommandEncoder;
  readonly pass: GPUComputePassEncoder;
  used: number;
}

/** The data side of a plan. Resident: the splits' buffers, gathered by the order (training) or the
 *  identity (evaluation). Sharded: the two shard buffers and the ops that read each, indexed by buffer. */
type PlanData =
  | {
      readonly mode: 'resident';
      readonly order: GPUBuffer;
      readonly train: Op[];
      readonly evaluate: Record<Split, Op[]>;
    }
  | { readonly mode: 'sharded'; readonly stream: ShardStream; readonly train: Op[][]; readonly evaluate: Op[][] };

// A function, not a module constant: importing the library must not touch a GPU global (Node has none).
const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

export class TrainingPlan implements TrainBackend {
  readonly device = 'gpu' as const;
  private destroyed = false;
  private pendingRows = 0;
  /** Training steps taken (Adam's t and the dropout step of the next step are t + 1). */
  private t = 0;
  /** Optimizer moment buffers (flat, laid out like the parameters), for checkpoints. */
  private optimizerState: { name: string; buffer: GPUBuffer }[] = [];
  /** What the plan has asked of the API so far (the dispatches and the shard stream count too). */
  private hostCounters = new HostCounters();
  /** Steps recorded and not yet submitted. */
  private group: Group | undefined;
  /** Which shard buffers the open group reads (sharded data only). */
  private readonly groupReads = [false, false];
  /** Each model's learning rate of the step being recorded (reused: a step allocates nothing). */
  private readonly lrs: Float64Array;
  /** Per-model running flags (a stopped model's optimizer leaves it as it is). */
  private readonly active: boolean[];

  private constructor(
    readonly ctx: GpuContext,
    readonly spec: ModelSpec,
    private readonly arena: BufferArena,
    private readonly slots: LayerSlots[],
    private readonly paramBuffer: GPUBuffer,
    private readonly gradBuffer: GPUBuffer,
    private readonly snapshots: GPUBuffer[],
    private readonly trainStats: GPUBuffer,
    private readonly evalStats: GPUBuffer,
    private readonly readback: ReadbackPool,
    private readonly data: PlanData,
    /** The evaluation forward pass alone (input in A0, output in `output`), for forwardRows. */
    private readonly forwardOnly: Op[],
    private readonly io: { readonly input: GPUBuffer; readonly output: GPUBuffer },
    private readonly splitRows: Record<Split, number>,
    readonly maxBatch: number,
    readonly stepsPerSubmit: number,
    /** Resident or sharded (and the shard size), from dataLayout. */
    readonly layout: DataLayout,
    /** The step table's CPU mirror and GPU buffer, and the models' constants buffer. */
    private readonly table: { readonly mirror: StepTable; readonly buffer: GPUBuffer; readonly models: GPUBuffer },
    /** Floats of one model's parameters (the stride between models in every parameter-shaped buffer). */
    private readonly paramStride: number,
    /** Training rows (the stride between models' orders). */
    private readonly orderStride: number,
  ) {
    this.lrs = new Float64Array(table.mirror.models.length);
    this.active = table.mirror.models.map(() => true);
  }

  /** Models trained side by side (1 unless PlanOptions.models). */
  get models(): number {
    return this.table.mirror.models.length;
  }

  get adapter(): string {
    return this.ctx.adapterName;
  }

  /** Buffers this plan owns (constant after creation: the tests assert no per-step growth). */
  get bufferCount(): number {
    return this.arena.count;
  }

  static async create(ctx: GpuContext, init: BackendInit, options: PlanOptions = {}): Promise<TrainingPlan> {
    const { device } = ctx;
    const { spec, maxBatch } = init;
    const configs = (options.models ?? [init.config]).map((c) => resolveConfig(c));
    const config: TrainConfig = sharedConfig(configs);
    const N = configs.length;
    // Without the toolbox options the step is exactly the original one (plain sgd kernel, no extras).
    const plainSgd = config.optimizer === 'sgd' && config.l2 === 0;
    const dropout = config.keepProb < 1;
    const fuse = options.fuse ?? true;
    const familyName = options.matmul ?? preferredMatmul(ctx.adapterName);
    const L = layerCount(spec);
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`plan: batch size must be a positive integer, got ${maxBatch}`);
    const perSubmit = options.stepsPerSubmit ?? defaultStepsPerSubmit(ctx.adapterName);
    if (!Number.isInteger(perSubmit) || perSubmit < 1)
      throw new Error(`plan: stepsPerSubmit must be a positive integer, got ${perSubmit}`);
    const arena = new BufferArena(
      device,
      `plan [${spec.sizes.join(',')}] batch ${maxBatch}${N > 1 ? ` × ${N} models` : ''}`,
    );
    const counters = new HostCounters();
    const mirror = new StepTable(perSubmit, configs.map(modelConstants));
    // Every kernel reading the step table or the models' constants is handed both.
    const tableBuffers: { table?: GPUBuffer; models?: GPUBuffer } = {};
    const dispatch = (
      id: KernelId,
      constants: Record<string, number>,
      buffers: Record<string, BufferRef>,
      uniform: (rows: number, slot: number) => Record<string, number>,
    ) => Dispatch.create(arena, id, constants, { ...buffers, ...tableBuffers }, uniform(1, 0), perSubmit, counters);
    // An op over all N models (`grid` covers them all), its uniform written per slot when the row count
    // changes. Every uniform gets the model count; a matmul that tiles the models over its grid their layout.
    const op = async (
      id: KernelId,
      constants: Record<string, number>,
      buffers: Record<string, BufferRef>,
      uniform: (rows: number, slot: number) => Record<string, number>,
      grid: (rows: number) => Workgroups,
    ): Promise<Op> => {
      const all = (rows: number, slot: number) => {
        const u = uniform(rows, slot);
        if (!modelsAlongX(id)) return { ...u, s_models: N };
        const m = modelLayout(u.M!, u.N!, N);
        return { ...u, s_models: N, s_blocks: m.bx, s_rblocks: m.by, s_mx: m.mx };
      };
      return {
        d: await dispatch(id, constants, buffers, all),
        uniform: all,
        grid,
        written: new Array<number>(perSubmit).fill(-1),
        grids: new Array<Workgroups>(perSubmit),
      };
    };
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    let open = true; // both scopes are popped on every path: one left open would swallow the device's later errors
    const popScopes = async (): Promise<{ oom: GPUError | null; invalid: GPUError | null }> => {
      if (!open) return { oom: null, invalid: null };
      open = false;
      const oom = await device.popErrorScope();
      const invalid = await device.popErrorScope();
      return { oom, invalid };
    };
    try {
      // Parameters and gradients: one flat buffer each, every tensor at an offset the adapter can bind.
      const align = device.limits.minStorageBufferOffsetAlignment / 4;
      const slots: LayerSlots[] = [];
      let total = 0;
      const place = (length: number): TensorSlot => {
        const s = { offset: total, length };
        total += Math.ceil(length / align) * align;
        return s;
      };
      for (let l = 0; l < L; l++) {
        const n = size(spec, l + 1);
        const layer = { weight: place(n * size(spec, l)), bias: place(n) };
        slots.push(
          hasBatchNorm(spec, l)
            ? { ...layer, bn: { gamma: place(n), beta: place(n), mean: place(n), var: place(n) } }
            : layer,
        );
      }
      if (N > 1 && options.inference) throw new Error('plan: an inference-only plan has one model');
      const P = total; // floats between one model's parameters and the next's
      const paramBuffer = arena.create('params', N * P * 4, storage());
      const gradBuffer = arena.create('grads', N * P * 4, storage());
      const snapshots = Array.from({ length: SNAPSHOT_SLOTS }, (_, i) =>
        arena.create(`snapshot${i}`, N * P * 4, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      );
      tableBuffers.models = arena.upload('models', packModels(mirror.models));
      tableBuffers.table = arena.create('steps', mirror.bytes(perSubmit), storage());
      const table = { mirror, buffer: tableBuffers.table, models: tableBuffers.models };
      // L2 applies to weights only: decay is 1 on weight slots, 0 on biases and padding.
      const decayBuffer = plainSgd
        ? undefined
        : (() => {
            const decay = new Float32Array(total);
            for (const sl of slots) decay.fill(1, sl.weight.offset, sl.weight.offset + sl.weight.length);
            return arena.upload('decay', decay);
          })();
      // A tensor of every model: its slot in model 0, bound through the last model's copy.
      const ref = (buf: GPUBuffer, s: TensorSlot): BufferRef => ({
        buffer: buf,
        offset: s.offset * 4,
        size: ((N - 1) * P + s.length) * 4,
      });
      const slot = (l: number): LayerSlots => slots[l]!;

      // Data sets stay resident when they fit (a step gathers its rows by index), else they are streamed.
      const out = size(spec, L);
      const devData = init.dev ?? { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
      const splitRows = { train: init.train.n, test: init.test.n, dev: devData.n };
      const layout = dataLayout(spec, splitRows, maxBatch, device.limits, options.dataBudgetBytes);
      if (N > 1 && layout.mode !== 'resident')
        throw new Error(
          `plan: ${N} models need their data resident; it does not fit the data budget (streamed data serves one model)`,
        );
      const upload = (name: string, d: SplitData) => ({
        x: arena.upload(`${name}.x`, d.n > 0 ? d.x : new Float32Array(4)),
        y: arena.upload(`${name}.y`, d.n > 0 ? d.y : new Float32Array(4)),
      });
      const identity = (n: number) => new Uint32Array(Math.max(n, 1)).map((_, i) => i);
      // Each model gathers by its own order (model-major, one training split's length apart).
      const orderStride = Math.max(init.train.n, 1);
      const resident =
        layout.mode === 'resident'
          ? (() => {
              const train = upload('train', init.train);
              const test = upload('test', init.test);
              const dev = devData.n > 0 ? upload('dev', devData) : test; // no dev split: no ops, never evaluated
              const ids = identity(Math.max(init.train.n, init.test.n, devData.n));
              const orders = new Uint32Array(N * orderStride);
              for (let m = 0; m < N; m++) orders.set(ids.subarray(0, orderStride), m * orderStride);
              return {
                train,
                test,
                dev,
                order: arena.upload('order', orders),
                identity: arena.upload('identity', ids),
              };
            })()
          : undefined;
      const shardRows = layout.mode === 'sharded' ? layout.shardRows : 0;
      const shards = resident
        ? []
        : [0, 1].map((i) => ({
            x: arena.create(`shard${i}.x`, shardRows * size(spec, 0) * 4, storage()),
            y: arena.create(`shard${i}.y`, shardRows * out * 4, storage()),
          }));
      const shardIdentity = resident ? undefined : arena.upload('identity', identity(shardRows));

      // Activations A[0..L] ([batch][n_l]; A[0] is the gathered input, A[L] the output logits) and dZ[1..L],
      // one [maxBatch][n] block per model: model z's block of a layer of width n is maxBatch·n floats on.
      const perModel = (n: number) => maxBatch * n;
      const batchBuffer = (name: string, n: number) => arena.create(name, N * perModel(n) * 4, storage());
      const acts = spec.sizes.map((n, l) => batchBuffer(`A${l}`, n));
      const dz = spec.sizes.map((n, l) => (l === 0 ? undefined : batchBuffer(`dZ${l}`, n)));
      const A = (l: number) => acts[l]!;
      const dZ = (l: number) => dz[l]!;
      const yBatch = batchBuffer('Y', out);
      const rowStats = batchBuffer('rowStats', 2);
      const trainStats = arena.create('trainStats', N * 8, storage());
      const evalStats = arena.create('evalStats', N * 8, storage());
      const row = (slot: number) => mirror.row(slot);

      // ---- ops, in execution order ----
      const n0 = size(spec, 0);
      // Features into A0 and targets into Y, in one dispatch.
      const gatherOps = async (
        src: { x: GPUBuffer; y: GPUBuffer },
        index: GPUBuffer,
        sIndex: number,
      ): Promise<Op[]> => [
        await op(
          'gather',
          {},
          { src: src.x, index, dst: A(0), src_y: src.y, dst_y: yBatch },
          (rows, slot) => ({
            rows,
            cols: n0,
            row: row(slot),
            s_index: sIndex,
            s_dst: perModel(n0),
            cols_y: out,
            s_dst_y: perModel(out),
          }),
          (rows) => elementwiseWorkgroups(N * rows * (n0 + out)),
        ),
      ];

      // Dropout (training only): hidden layer l's output A(l) is kept for g' and its dropped copy Ad(l),
      // which the next layer reads, is written by dropoutForward; masks are recomputed in the backward.
      const hiddenDropped = (l: number) => dropout && l >= 1 && l < L;
      const droppedActs = spec.sizes.map((n, l) => (hiddenDropped(l) ? batchBuffer(`Ad${l}`, n) : undefined));
      const layerInput = (l: number, train: boolean) => (train && hiddenDropped(l) ? droppedActs[l]! : A(l));
      const drop = (l: number) => (rows: number, slot: number) => ({
        rows,
        cols: size(spec, l),
        layer: l,
        row: row(slot),
        s_x: perModel(size(spec, l)),
      });

      // Batch norm (hidden layer l, output A(l+1)): the training forward keeps Ẑ and 1/√(σ² + ε) for the backward.
      const bnSaved = spec.sizes.map((n, l) =>
        l >= 1 && hasBatchNorm(spec, l - 1)
          ? { xhat: batchBuffer(`Xhat${l}`, n), istd: arena.create(`istd${l}`, N * n * 4, storage()) }
          : undefined,
      );
      const bnSlots = (l: number): BatchNormTensors<TensorSlot> => {
        const b = slot(l).bn;
        if (!b) throw new Error(`plan: layer ${l} has no batch-norm slots`);
        return b;
      };
      // γ, β and the running stats are read and written through one binding of the whole parameter
      // buffer (and dγ, dβ of the gradient buffer) at their offsets: separate writable bindings of them
      // would overlap once they span several models.
      const bnUniform = (cols: number, t: BatchNormTensors<TensorSlot>) => (rows: number) => ({
        rows,
        cols,
        eps: BN_EPSILON,
        momentum: BN_MOMENTUM,
        s_x: perModel(cols),
        s_param: P,
        s_istd: cols,
        o_gamma: t.gamma.offset,
        o_beta: t.beta.offset,
        o_mean: t.mean.offset,
        o_var: t.var.offset,
      });
      // Model strides of a product's operands: `act` a [maxBatch][n] activation block, `param` a tensor of the parameter-shaped buffers.
      const act = (n: number) => perModel(n);
      const param = P;
      const mm =
        (
          M: (rows: number) => number,
          Nn: number,
          K: (rows: number) => number,
          s_a: number,
          s_b: number,
          s_c: number,
          s_x = 0,
        ) =>
        (rows: number) => ({ M: M(rows), N: Nn, K: K(rows), s_a, s_b, s_c, s_x });
      const byRows = (rows: number) => rows;

      const forwardOps = async (train: boolean): Promise<Op[]> => {
        const forward: Op[] = [];
        for (let l = 0; l < L; l++) {
          const nIn = size(spec, l);
          const nOut = size(spec, l + 1);
          // The output layer stays linear: the loss kernels take logits (sigmoid/softmax live inside them).
          const actFn = l === L - 1 ? 'linear' : layerActivation(spec, l);
          // Z = A_prev · Wᵀ: M = rows, N = out, K = in; a activations, b weights, c activations, bias parameters.
          const dims = mm(byRows, nOut, () => nIn, act(nIn), param, act(nOut), param);
          const fwd = forwardMatmul(familyName, nIn);
          const fwdMm = options.naive ? 'matmulNaive' : fwd.plain;
          const fwdNT = options.naive ? { TRANS_A: 0, TRANS_B: 1 } : fwd.constants;
          const w = ref(paramBuffer, slot(l).weight);
          const b = ref(paramBuffer, slot(l).bias);
          if (hasBatchNorm(spec, l)) {
            // Z = A_prev · Wᵀ (no bias), then batch norm + g in place on A(l+1).
            forward.push(
              await op(fwdMm, fwdNT, { a: layerInput(l, train), b: w, c: A(l + 1) }, dims, (rows) =>
                matmulWorkgroups(fwdMm, rows, nOut, N),
              ),
            );
            const tensors = { x: A(l + 1), p: paramBuffer };
            const saved = bnSaved[l + 1]!;
            forward.push(
              await op(
                train ? 'batchNormForward' : 'batchNormInference',
                actConstants(actFn),
                train ? { ...tensors, xhat: saved.xhat, istd: saved.istd } : tensors,
                bnUniform(nOut, bnSlots(l)),
                () => columnWorkgroups(N * nOut),
              ),
            );
          } else if (fuse) {
            forward.push(
              await op(
                fwd.biasAct,
                { ...fwd.constants, ...actConstants(actFn) },
                { a: layerInput(l, train), b: w, c: A(l + 1), bias: b },
                dims,
                (rows) => matmulWorkgroups(fwd.biasAct, rows, nOut, N),
              ),
            );
          } else {
            forward.push(
              await op(fwdMm, fwdNT, { a: layerInput(l, train), b: w, c: A(l + 1) }, dims, (rows) =>
                matmulWorkgroups(fwdMm, rows, nOut, N),
              ),
            );
            forward.push(
              await op(
                'biasActivation',
                actConstants(actFn),
                { x: A(l + 1), bias: b },
                (rows) => ({ rows, cols: nOut, s_x: act(nOut), s_y: param }),
                (rows) => elementwiseWorkgroups(N * rows * nOut),
              ),
            );
          }
          if (train && hiddenDropped(l + 1)) {
            forward.push(
              await op('dropoutForward', {}, { src: A(l + 1), dst: droppedActs[l + 1]! }, drop(l + 1), (rows) =>
                elementwiseWorkgroups(N * rows * nOut),
              ),
            );
          }
        }
        return forward;
      };
      const forward = await forwardOps(false);
      const inference = options.inference === true;
      const trainForward = !inference && (dropout || spec.batchNorm) ? await forwardOps(true) : forward;

      const lossId = spec.loss === 'bce' ? 'bceWithLogits' : spec.loss === 'ce' ? 'softmaxCrossEntropy' : 'mseLoss';
      // A regression model's mse kernel sums |error| where a classifier counts the rows it gets right.
      const lossConstants: Record<string, number> = lossId === 'mseLoss' && init.regression ? { REGRESSION: 1 } : {};
      const loss = await op(
        lossId,
        lossConstants,
        { z: A(L), y: yBatch, dz: dZ(L), row_stats: rowStats },
        (rows) => ({ rows, cols: out, s_rows: act(out), s_stats: maxBatch }),
        (rows) => rowWorkgroups(N * rows),
      );
      // The L2 term's 64 partial sums per model (l2_penalty.wgsl), added by the training reduce.
      const l2Partials = arena.create('l2Partials', N * 64 * 4, storage());
      const reduce = (total: GPUBuffer, l2: boolean): Promise<Op> =>
        op(
          'reduceStats',
          {},
          { row_stats: rowStats, total, l2_part: l2Partials },
          (rows) => ({ rows, s_stats: maxBatch, l2: Number(l2) }),
          () => rowWorkgroups(N),
        );

      const backward: Op[] = [];
      for (let l = inference ? -1 : L - 1; l >= 0; l--) {
        const nIn = size(spec, l);
        const nOut = size(spec, l + 1);
        const bwd = backwardMatmul(familyName, nIn, nOut);
        const dW = options.naive ? { id: 'matmulNaive' as const, constants: { TRANS_A: 1, TRANS_B: 0 } } : bwd.dW;
        // The unfused dA product (dropout, batch norm, fuse: false).
        const dA = options.naive
          ? { id: 'matmulNaive' as const, constants: { TRANS_A: 0, TRANS_B: 0 } }
          : { id: bwd.dA.plain, constants: bwd.dA.constants };
        // dW = dZᵀ · A_prev: M = out, N = in, K = rows; a, b activations, c gradients.
        backward.push(
          await op(
            dW.id,
            dW.constants,
            { a: dZ(l + 1), b: layerInput(l, true), c: ref(gradBuffer, slot(l).weight) },
            mm(() => nOut, nIn, byRows, act(nOut), act(nIn), param),
            () => matmulWorkgroups(dW.id, nOut, nIn, N),
          ),
        );
        // With batch norm the bias is not used: its gradient slot stays 0.
        if (!hasBatchNorm(spec, l)) {
          backward.push(
            await op(
              'biasGrad',
              {},
              { dz: dZ(l + 1), db: ref(gradBuffer, slot(l).bias) },
              (rows) => ({ rows, cols: nOut, s_dz: act(nOut), s_db: param }),
              () => rowWorkgroups(N * nOut),
            ),
          );
        }
        if (l === 0) continue; // no dA for the input
        // dZ_prev = (dZ · W) ⊙ g'(A_prev): M = rows, N = in, K = out; a activations, b weights, c and aux activations.
        const actFn = layerActivation(spec, l - 1);
        const dims = mm(byRows, nIn, () => nOut, act(nOut), param, act(nIn), act(nIn));
        const w = ref(paramBuffer, slot(l).weight);
        const dAOp = () =>
          op(dA.id, dA.constants, { a: dZ(l + 1), b: w, c: dZ(l) }, dims, (rows) =>
            matmulWorkgroups(dA.id, rows, nIn, N),
          );
        const gradOp = () =>
          op(
            'activationGrad',
            actConstants(actFn),
            { x: dZ(l), a: A(l) },
            (rows) => ({ rows, cols: nIn, s_x: act(nIn), s_y: act(nIn) }),
            (rows) => elementwiseWorkgroups(N * rows * nIn),
          );
        const dropOp = () =>
          op('dropoutBackward', {}, { x: dZ(l) }, drop(l), (rows) => elementwiseWorkgroups(N * rows * nIn));
        if (hasBatchNorm(spec, l - 1)) {
          // dA = dZ · W (through the dropout mask), then batch norm's backward (g' inside): dZ, dγ, dβ.
          backward.push(await dAOp());
          if (hiddenDropped(l)) backward.push(await dropOp());
          const saved = bnSaved[l]!;
          backward.push(
            await op(
              'batchNormBackward',
              actConstants(actFn),
              { x: dZ(l), a: A(l), p_in: paramBuffer, g: gradBuffer, xhat_in: saved.xhat, istd_in: saved.istd },
              bnUniform(nIn, bnSlots(l - 1)),
              () => columnWorkgroups(N * nIn),
            ),
          );
        } else if (hiddenDropped(l)) {
          // dAd = dZ · W, then through the mask (dA = dAd ⊙ mask / keepProb), then g'(A) unfused.
          backward.push(await dAOp(), await dropOp(), await gradOp());
        } else if (fuse) {
          backward.push(
            await op(
              bwd.dA.actGrad,
              { ...bwd.dA.constants, ...actConstants(actFn) },
              { a: dZ(l + 1), b: w, c: dZ(l), aux: A(l) },
              dims,
              (rows) => matmulWorkgroups(bwd.dA.actGrad, rows, nIn, N),
            ),
          );
        } else {
          backward.push(await dAOp(), await gradOp());
        }
      }
      let update: Op | undefined;
      const extras: Op[] = [];
      const stateBuffers: { name: string; buffer: GPUBuffer }[] = [];
      const flat = (slot: number) => ({ n: total, row: row(slot), s_param: P });
      if (inference) {
        // no update: step() refuses to run
      } else if (plainSgd || !decayBuffer) {
        update = await op(
          'sgdUpdate',
          {},
          { param: paramBuffer, grad: gradBuffer },
          (_rows, slot) => flat(slot),
          () => elementwiseWorkgroups(N * total),
        );
      } else {
        const stateful = config.optimizer !== 'sgd';
        const v = stateful
          ? arena.create('optimizer.v', N * P * 4, storage())
          : arena.create('optimizer.v (unused)', 16, storage());
        const sq =
          config.optimizer === 'rmsprop' || config.optimizer === 'adam'
            ? arena.create('optimizer.s', N * P * 4, storage())
            : arena.create('optimizer.s (unused)', 16, storage());
        if (stateful) {
          stateBuffers.push({ name: 'optimizer.v', buffer: v });
          if (sq.size > 16) stateBuffers.push({ name: 'optimizer.s', buffer: sq });
          const enc = device.createCommandEncoder({ label: 'optimizer state' });
          enc.clearBuffer(v);
          enc.clearBuffer(sq);
          device.queue.submit([enc.finish()]);
        }
        update = await op(
          'optimizerUpdate',
          { OPT: OPT_ID[config.optimizer] },
          { param: paramBuffer, grad: gradBuffer, v, s: sq, decay: decayBuffer },
          (_rows, slot) => flat(slot),
          () => elementwiseWorkgroups(N * total),
        );
        if (config.l2 > 0) {
          // The L2 term of the training loss, from the parameters the step starts from (its partial sums;
          // the training reduce adds them).
          extras.push(
            await op(
              'l2Penalty',
              {},
              { param: paramBuffer, decay: decayBuffer, partials: l2Partials },
              () => ({ n: total, s_param: P }),
              () => [N, 1, 1],
            ),
          );
        }
      }

      const stepOps = update
        ? [...trainForward, loss, ...extras, await reduce(trainStats, extras.length > 0), ...backward, update]
        : undefined;
      const evalReduce = await reduce(evalStats, false);
      // The ops of a step (or an evaluation chunk) reading `src` by `index` (each model its own order
      // when training, all the same rows when evaluating).
      const trainOn = async (src: { x: GPUBuffer; y: GPUBuffer }, index: GPUBuffer, sIndex: number) =>
        stepOps ? [...(await gatherOps(src, index, sIndex)), ...stepOps] : [];
      const evalOn = async (src: { x: GPUBuffer; y: GPUBuffer }, index: GPUBuffer) => [
        ...(await gatherOps(src, index, 0)),
        ...forward,
        loss,
        evalReduce,
      ];
      let data: PlanData;
      if (resident) {
        data = {
          mode: 'resident',
          order: resident.order,
          train: await trainOn(resident.train, resident.order, orderStride),
          evaluate: {
            train: await evalOn(resident.train, resident.identity),
            test: await evalOn(resident.test, resident.identity),
            dev: devData.n > 0 ? await evalOn(resident.dev, resident.identity) : [],
          },
        };
      } else {
        const train: Op[][] = [];
        const evaluate: Op[][] = [];
        for (const s of shards) {
          train.push(await trainOn(s, shardIdentity!, 0));
          evaluate.push(await evalOn(s, shardIdentity!));
        }
        data = {
          mode: 'sharded',
          train,
          evaluate,
          stream: new ShardStream(
            device.queue,
            shards as [ShardBuffers, ShardBuffers],
            shardRows,
            { train: init.train, test: init.test, dev: devData },
            { x: size(spec, 0), y: out },
            (b) => plan.release(b),
            counters,
          ),
        };
      }
      const plan: TrainingPlan = new TrainingPlan(
        ctx,
        spec,
        arena,
        slots,
        paramBuffer,
        gradBuffer,
        snapshots,
        trainStats,
        evalStats,
        new ReadbackPool(arena, N * 8),
        data,
        forward,
        { input: A(0), output: A(L) },
        splitRows,
        maxBatch,
        perSubmit,
        layout,
        table,
        P,
        orderStride,
      );
      plan.optimizerState = stateBuffers;
      plan.hostCounters = counters;
      for (let m = 0; m < N; m++) plan.setParams(init.params, m);
      const { oom, invalid } = await popScopes();
      if (oom)
        throw new Error(
          `plan for sizes [${spec.sizes.join(',')}] batch ${maxBatch}: out of GPU memory: ${oom.message}`,
        );
      if (invalid) throw new Error(`plan for sizes [${spec.sizes.join(',')}] batch ${maxBatch}: ${invalid.message}`);
      return plan;
    } catch (e) {
      await popScopes().catch(() => undefined);
      arena.destroy();
      throw e;
    }
  }

  /** Records `ops` into the open group (opening one if none), in the group's next uniform slot, with
   *  the step's values in the step table's block of that slot; submits the group once it holds
   *  stepsPerSubmit. A uniform is written only when the slot's row count changes (queue-ordered
   *  before the submit, like the table's one write per group). */
  private record(ops: readonly Op[], rows: number, start: number, label: string, t = 0, shard?: number): void {
    const g = this.group ?? this.open(label);
    const slot = g.used;
    if (shard !== undefined) this.groupReads[shard] = true;
    this.table.mirror.set(slot, start, t, rows, this.lrs);
    for (const op of ops) {
      if (op.written[slot] !== rows) {
        op.d.setUniform(op.uniform(rows, slot), slot);
        op.written[slot] = rows;
        op.grids[slot] = op.grid(rows);
      }
      op.d.encode(g.pass, op.grids[slot]!, slot);
    }
    if (++g.used === this.stepsPerSubmit) this.flush();
  }

  private open(label: string): Group {
    const enc = this.ctx.device.createCommandEncoder({ label });
    this.group = { enc, pass: enc.beginComputePass({ label }), used: 0 };
    return this.group;
  }

  /** Submits the steps recorded so far, if any. Everything else the plan does calls this first, so it
   *  is needed only by a caller that waits on the device's queue itself. */
  flush(): void {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    this.groupReads.fill(false);
    g.pass.end();
    const { mirror, buffer } = this.table;
    this.ctx.device.queue.writeBuffer(buffer, 0, mirror.u32.buffer, 0, mirror.bytes(g.used));
    this.hostCounters.bufferWrites++;
    this.ctx.device.queue.submit([g.enc.finish()]);
    this.hostCounters.submits++;
  }

  /** Before shard buffer b is written: the recorded steps that read it must be submitted first
   *  (writeBuffer lands before the submit of a group still being recorded). */
  private release(b: number): void {
    if (this.groupReads[b]) this.flush();
  }

  private check(): void {
    if (this.destroyed) throw new Error('plan: used after destroy()');
  }

  /** Before anything but a step: the pending steps must run before the queue or the state is touched. */
  private ready(): void {
    this.check();
    this.flush();
  }

  /** The order of model `model`'s next epoch (a permutation of the training rows). */
  setOrder(order: Uint32Array, model = 0): void {
    this.ready();
    this.checkModel(model);
    if (order.length !== this.splitRows.train)
      throw new Error(`plan: order has ${order.length} entries, the training split has ${this.splitRows.train} rows`);
    if (this.data.mode === 'sharded') this.data.stream.setOrder(order);
    else
      this.ctx.device.queue.writeBuffer(
        this.data.order,
        model * this.orderStride * 4,
        order.buffer,
        order.byteOffset,
        order.byteLength,
      );
  }

  private checkModel(model: number): void {
    if (!Number.isInteger(model) || model < 0 || model >= this.models)
      throw new Error(`plan: model ${model} outside 0..${this.models - 1}`);
  }

  /** One training step of every model: rows start..start+rows of each model's order, at learning
   *  rate `lr` (one number for all, or one per model). */
  step(start: number, rows: number, lr: number | ArrayLike<number>): void {
    this.check();
    if (typeof lr === 'number') this.lrs.fill(lr);
    else if (lr.length !== this.lrs.length)
      throw new Error(`plan: ${lr.length} learning rates for ${this.lrs.length} models`);
    else for (let m = 0; m < this.lrs.length; m++) this.lrs[m] = lr[m]!;
    if (this.dispatchesPerStep === 0)
      throw new Error('plan: step() on an inference-only plan (created with inference: true)');
    if (!Number.isInteger(rows) || rows < 1 || rows > this.maxBatch)
      throw new Error(`plan: step of ${rows} rows, the plan was built for 1..${this.maxBatch}`);
    if (start < 0 || start + rows > this.splitRows.train)
      throw new Error(`plan: rows ${start}..${start + rows} outside the training split of ${this.splitRows.train}`);
    this.t++;
    if (this.data.mode === 'sharded') {
      const { buffer, offset } = this.data.stream.train(start, rows);
      this.record(this.data.train[buffer]!, rows, offset, 'train steps', this.t, buffer);
    } else this.record(this.data.train, rows, start, 'train steps', this.t);
    this.pendingRows += rows;
  }

  async takeTrainStats(): Promise<Stats> {
    return (await this.takeTrainStatsAll())[0]!;
  }

  /** Each model's loss and correct sums over the steps since the last call. */
  async takeTrainStatsAll(): Promise<Stats[]> {
    this.ready();
    const count = this.pendingRows;
    this.pendingRows = 0;
    const enc = this.ctx.device.createCommandEncoder({ label: 'train stats' });
    const read = this.readback.copy(enc, this.trainStats);
    enc.clearBuffer(this.trainStats);
    this.ctx.device.queue.submit([enc.finish()]);
    return this.perModel(await read(), count);
  }

  private perModel(v: Float32Array, count: number): Stats[] {
    return Array.from({ length: this.models }, (_, m) => ({ lossSum: v[2 * m]!, correct: v[2 * m + 1]!, count }));
  }

  async evaluate(split: Split): Promise<Stats> {
    return (await this.evaluateAll(split))[0]!;
  }

  /** Each model's loss and correct sums over a split. */
  async evaluateAll(split: Split): Promise<Stats[]> {
    this.ready();
    const n = this.splitRows[split];
    const { queue } = this.ctx.device;
    const clear = this.ctx.device.createCommandEncoder({ label: 'eval clear' });
    clear.clearBuffer(this.evalStats);
    queue.submit([clear.finish()]);
    // Chunks are grouped like steps, one uniform slot each. Streamed, the split goes up a shard at a
    // time; a shard is a whole number of chunks, so every chunk has the rows it has when resident.
    const data = this.data;
    if (data.mode === 'sharded') {
      for (let first = 0; first < n; first += data.stream.shardRows) {
        const { buffer, rows: m } = data.stream.chunk(split, first);
        for (let start = 0; start < m; start += this.maxBatch) {
          this.record(
            data.evaluate[buffer]!,
            Math.min(this.maxBatch, m - start),
            start,
            `evaluate ${split}`,
            0,
            buffer,
          );
        }
      }
    } else {
      for (let start = 0; start < n; start += this.maxBatch) {
        const rows = Math.min(this.maxBatch, n - start);
        this.record(data.evaluate[split], rows, start, `evaluate ${split}`);
      }
    }
    this.flush();
    const enc = this.ctx.device.createCommandEncoder({ label: 'eval stats' });
    const read = this.readback.copy(enc, this.evalStats);
    queue.submit([enc.finish()]);
    return this.perModel(await read(), n);
  }

  /** Sets model `model`'s parameters. */
  setParams(params: Params, model = 0): void {
    this.ready();
    this.checkModel(model);
    const base = model * this.paramStride * 4;
    if (params.length !== this.slots.length)
      throw new Error(`plan: ${params.length} layers of parameters given, the model has ${this.slots.length}`);
    params.forEach((p, l) => {
      const s = this.slots[l]!;
      if ((p.bn !== undefined) !== (s.bn !== undefined))
        throw new Error(
          `plan: layers.${l}: batch-norm tensors ${p.bn ? 'given for a layer without' : 'missing for a layer with'} batch norm`,
        );
      const slots = new Map(layerTensors(s));
      for (const [kind, data] of layerTensors(p)) {
        const slot = slots.get(kind)!;
        if (data.length !== slot.length)
          throw new Error(`plan: layers.${l}.${kind} has ${data.length} values, expected ${slot.length}`);
        this.ctx.device.queue.writeBuffer(
          this.paramBuffer,
          base + slot.offset * 4,
          data.buffer,
          data.byteOffset,
          data.byteLength,
        );
      }
    });
  }

  /** Model `model`'s parameters. */
  async readParams(model = 0): Promise<Params> {
    return this.readLayers(this.paramBuffer, model);
  }

  /** Stops model `model` (or lets it run again): a stopped model's optimizer leaves its parameters
   *  and state as they are; the others are not touched. */
  setActive(model: number, active: boolean): void {
    this.ready();
    this.checkModel(model);
    this.active[model] = active;
    const packed = packModels([this.table.mirror.models[model]!], [active]);
    this.ctx.device.queue.writeBuffer(
      this.table.models,
      model * MODEL_BYTES,
      packed.buffer,
      packed.byteOffset,
      packed.byteLength,
    );
  }

  /** Whether each model is running (setActive). */
  get running(): readonly boolean[] {
    return this.active;
  }

  /** Model `model`'s parameters from snapshot `slot` (the others keep theirs). */
  restoreModel(slot: number, model: number): void {
    const from = this.snapshotBuffer(slot);
    this.checkModel(model);
    const bytes = this.paramStride * 4;
    const enc = this.ctx.device.createCommandEncoder({ label: `restore model ${model}` });
    enc.copyBufferToBuffer(from, model * bytes, this.paramBuffer, model * bytes, bytes);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** The step count and the optimizer moments: with the parameters, all a checkpoint needs to continue
   *  bit-for-bit (dropout masks and Adam's bias correction depend on the step). */
  async readState(model = 0): Promise<TrainState> {
    this.ready();
    this.checkModel(model);
    const state: TrainState = { step: Float64Array.of(this.t) };
    const bytes = this.paramStride * 4;
    for (const { name, buffer } of this.optimizerState) {
      const all = new Float32Array(await readBuffer(this.ctx.device, buffer, (model + 1) * bytes));
      state[name] = all.slice(model * this.paramStride);
    }
    return state;
  }

  writeState(state: TrainState): void {
    this.ready();
    const step = state.step;
    if (!(step instanceof Float64Array) || step.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0)
      throw new Error('plan.writeState: state.step must be one non-negative integer (F64)');
    if (this.models > 1) throw new Error('plan.writeState: a plan of several models does not resume from a checkpoint');
    for (const { name, buffer } of this.optimizerState) {
      const data = state[name];
      if (!(data instanceof Float32Array) || data.byteLength !== buffer.size) {
        throw new Error(
          `plan.writeState: ${name} missing or not ${buffer.size / 4} float32 values (was the checkpoint written with another optimizer?)`,
        );
      }
      this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    this.t = step[0]!;
  }

  snapshot(slot: number): void {
    this.copy(this.paramBuffer, this.snapshotBuffer(slot), 'snapshot');
  }

  restore(slot: number): void {
    this.copy(this.snapshotBuffer(slot), this.paramBuffer, 'restore');
  }

  private snapshotBuffer(slot: number): GPUBuffer {
    this.ready();
    const b = this.snapshots[slot];
    if (!Number.isInteger(slot) || !b)
      throw new Error(`plan: snapshot slot ${slot} outside 0..${this.snapshots.length - 1}`);
    return b;
  }

  private copy(from: GPUBuffer, to: GPUBuffer, label: string): void {
    const enc = this.ctx.device.createCommandEncoder({ label });
    enc.copyBufferToBuffer(from, 0, to, 0, from.size);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** Gradients of the last step, laid out like the parameters (dW as layers.{i}.weight, db as .bias,
   *  dγ and dβ as bn.gamma and bn.beta; bn.mean and bn.var are 0). */
  async readGrads(model = 0): Promise<Params> {
    return this.readLayers(this.gradBuffer, model);
  }

  private async readLayers(buffer: GPUBuffer, model: number): Promise<Params> {
    this.ready();
    this.checkModel(model);
    const all = new Float32Array(
      await readBuffer(this.ctx.device, buffer, (model + 1) * this.paramStride * 4),
    ).subarray(model * this.paramStride);
    return this.slots.map((s) => {
      const slots = new Map(layerTensors(s));
      return fromTensors((kind) => {
        const t = slots.get(kind)!;
        return all.slice(t.offset, t.offset + t.length);
      }, s.bn !== undefined);
    });
  }

  /** The output layer's values for caller-supplied rows x [rows][n0], in inference mode (batch norm with
   *  its running averages, no dropout): logits for 'bce' and 'ce' (sigmoid and softmax are the
   *  caller's), the linear output for 'mse'. Chunks of maxBatch rows, each written into A0, run
   *  through the evaluation forward pass and copied back. */
  async forwardRows(x: Float32Array, rows: number): Promise<Float32Array> {
    this.ready();
    const n0 = size(this.spec, 0);
    const out = size(this.spec, layerCount(this.spec));
    if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * n0)
      throw new Error(`plan.forwardRows: ${x.length} values is not ${rows} rows of ${n0} features`);
    const result = new Float32Array(rows * out);
    for (let start = 0; start < rows; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, rows - start);
      const chunk = x.subarray(start * n0, (start + n) * n0);
      this.ctx.device.queue.writeBuffer(this.io.input, 0, chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.record(this.forwardOnly, n, 0, 'forward rows');
      this.flush();
      result.set(new Float32Array(await readBuffer(this.ctx.device, this.io.output, n * out * 4)), start * out);
    }
    return result;
  }

  /** Bytes of every buffer the plan holds (its own arena's count). */
  get bytes(): number {
    return this.arena.bytes;
  }

  /** The plan's buffers by name with their sizes, in creation order. */
  memory(): { name: string; bytes: number }[] {
    return this.arena.list();
  }

  /** Cumulative dispatches, bind-group sets, buffer writes and submits (a copy; counters.ts says what counts). */
  get counters(): HostCounts {
    return this.hostCounters.snapshot();
  }

  /** Dispatches per training step (for logs and benchmarks). */
  get dispatchesPerStep(): number {
    return this.data.mode === 'sharded' ? this.data.train[0]!.length : this.data.train.length;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.group = undefined; // steps never submitted: nothing will read their results
    this.arena.destroy();
  }
}
