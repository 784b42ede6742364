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
//
// What the plan holds and runs is described first, as data (plan-layout.ts, plan-ops.ts), checked
// against the device's limits (limits.ts), and only then allocated and compiled (plan-build.ts).
// Work the GPU rejects is caught by error scopes (group-watch.ts): every read-back of figures throws
// TrainerError 'gpu-error' rather than return what a dropped dispatch left behind.
import { TrainerError } from '../errors.ts';
import { fromTensors, layerCount, layerTensors, size, type ModelSpec, type Params } from '../model.ts';
import { stateStep, type TrainState } from '../train/checkpoint.ts';
import type { BackendInit, PlanPath, Split, SplitData, Stats, TrainBackend } from '../train/backend.ts';
import { BufferArena, readBuffer } from './arena.ts';
import { HostCounters, type HostCounts } from './counters.ts';
import type { GpuContext } from './device.ts';
import { watch } from './error-watch.ts';
import { GroupWatch } from './group-watch.ts';
import { checkLimits } from './limits.ts';
import { allocateBuffers, createOps, type Op } from './plan-build.ts';
import {
  describePlan,
  type LayerSlots,
  type OpSequences,
  type OpSpec,
  type PlanLayout,
  type PlanOptions,
  type PlanSubject,
} from './plan-layout.ts';
import { ReadbackPool } from './readback.ts';
import { ShardStream, type DataLayout, type ShardBuffers } from './shards.ts';
import { MODEL_BYTES, StepTable, packModels } from './step-table.ts';

export { defaultStepsPerSubmit, planMemory, sharedConfig, type PlanOptions, type PlanRows } from './plan-layout.ts';

/** A command buffer being recorded: `used` steps (or evaluation chunks) so far, step j in uniform slot j;
 *  `first` is the training step of its first (0 for evaluation chunks). */
interface Group {
  readonly enc: GPUCommandEncoder;
  readonly pass: GPUComputePassEncoder;
  readonly first: number;
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

/** What a plan is made of once its layout is allocated and its ops created. */
interface PlanParts {
  readonly ctx: GpuContext;
  readonly layout: PlanLayout;
  readonly arena: BufferArena;
  readonly buffers: ReadonlyMap<string, GPUBuffer>;
  readonly ops: ReadonlyMap<OpSpec, Op>;
  readonly counters: HostCounters;
  /** The rows behind the data buffers (streamed from here when sharded). */
  readonly splits: Readonly<Record<Split, SplitData>>;
}

/** Training steps first..first+used-1, as an error names them. */
const stepsName = (first: number, used: number) =>
  used > 1 ? `training steps ${first}..${first + used - 1}` : `training step ${first}`;

/** How the plan names itself in refusals and buffer labels: the sizes and the batch. */
const planName = (layout: PlanLayout) => {
  const { spec, maxBatch } = layout.params;
  return `plan [${spec.sizes.join(',')}] batch ${maxBatch}${layout.models > 1 ? ` × ${layout.models} models` : ''}`;
};

/** The layout TrainingPlan.create makes for these sizes and options on this device, checked against
 *  its limits: throws TrainerError 'too-large' naming the buffer or the layer, kernel, figure and limit
 *  that does not fit (plain Error for arguments no plan takes). Allocates nothing. */
export function checkPlan(ctx: GpuContext, subject: PlanSubject, options: PlanOptions = {}): PlanLayout {
  const layout = describePlan(subject, options, { adapterName: ctx.adapterName, limits: ctx.device.limits });
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const bytes = (b: number) => `${b} bytes (${mib(b)})`;
  const refused = `${planName(layout)} on ${ctx.adapterName}`;
  checkLimits(layout, ctx.device.limits, { subject: refused, adapter: 'the adapter', bytes });
  return layout;
}

export class TrainingPlan implements TrainBackend {
  readonly device = 'gpu' as const;
  /** Why the layered plan was taken (set by the engine that chose it; see plan-choice.ts). */
  path: PlanPath = { kind: 'layered' };
  readonly ctx: GpuContext;
  readonly spec: ModelSpec;
  readonly maxBatch: number;
  readonly stepsPerSubmit: number;
  /** Resident or sharded (and the shard size), from dataLayout. */
  readonly layout: DataLayout;
  private destroyed = false;
  private pendingRows = 0;
  /** Training steps taken (Adam's t and the dropout step of the next step are t + 1). */
  private t = 0;
  private readonly arena: BufferArena;
  private readonly slots: readonly LayerSlots[];
  private readonly paramBuffer: GPUBuffer;
  private readonly gradBuffer: GPUBuffer;
  private readonly snapshots: GPUBuffer[];
  private readonly trainStats: GPUBuffer;
  private readonly evalStats: GPUBuffer;
  private readonly readback: ReadbackPool;
  private readonly data: PlanData;
  /** The evaluation forward pass alone (input in A0, output in `output`), for forwardRows. */
  private readonly forwardOnly: Op[];
  private readonly io: { readonly input: GPUBuffer; readonly output: GPUBuffer };
  private readonly splitRows: Record<Split, number>;
  /** The step table's CPU mirror and GPU buffer, and the models' constants buffer. */
  private readonly table: { readonly mirror: StepTable; readonly buffer: GPUBuffer; readonly models: GPUBuffer };
  /** Floats of one model's parameters (the stride between models in every parameter-shaped buffer). */
  private readonly paramStride: number;
  /** Training rows (the stride between models' orders). */
  private readonly orderStride: number;
  /** Optimizer moment buffers (flat, laid out like the parameters), for checkpoints. */
  private readonly optimizerState: { name: string; buffer: GPUBuffer }[];
  /** What the plan has asked of the API so far (the dispatches and the shard stream count too). */
  private readonly hostCounters: HostCounters;
  /** Steps recorded and not yet submitted. */
  private group: Group | undefined;
  /** Which shard buffers the open group reads (sharded data only). */
  private readonly groupReads = [false, false];
  /** Each model's learning rate of the step being recorded (reused: a step allocates nothing). */
  private readonly lrs: Float64Array;
  /** Per-model running flags (a stopped model's optimizer leaves it as it is). */
  private readonly active: boolean[];
  /** The error scopes of watched work and their results, which every read-back takes first. */
  private readonly watched: GroupWatch;

  private constructor(parts: PlanParts) {
    const { layout, buffers } = parts;
    const { spec, maxBatch, rows } = layout.params;
    const buffer = (name: string): GPUBuffer => buffers.get(name)!; // every name below is in every layout
    this.ctx = parts.ctx;
    this.spec = spec;
    this.maxBatch = maxBatch;
    this.stepsPerSubmit = layout.params.stepsPerSubmit;
    this.layout = layout.params.data;
    this.arena = parts.arena;
    this.slots = layout.slots;
    this.paramBuffer = buffer('params');
    this.gradBuffer = buffer('grads');
    this.snapshots = layout.buffers.filter((b) => b.usage === 'copy').map((b) => buffer(b.name));
    this.trainStats = buffer('trainStats');
    this.evalStats = buffer('evalStats');
    // Statistics and evaluations share the pool: the loop keeps two periods' statistics and, with an
    // epoch's end finished a period late, two epochs' dev and test evaluations in flight.
    this.readback = new ReadbackPool(parts.arena, layout.models * 8, 6);
    this.io = { input: buffer('A0'), output: buffer(`A${layerCount(spec)}`) };
    this.splitRows = { ...rows };
    const mirror = new StepTable(this.stepsPerSubmit, layout.constants);
    this.table = { mirror, buffer: buffer('steps'), models: buffer('models') };
    this.paramStride = layout.paramStride;
    this.orderStride = layout.orderStride;
    this.optimizerState = layout.optimizerState.map((name) => ({ name, buffer: buffer(name) }));
    this.hostCounters = parts.counters;
    const run = (seq: readonly OpSpec[]) => seq.map((s) => parts.ops.get(s)!);
    this.forwardOnly = run(layout.forward);
    this.data = this.dataOf(layout.sequences, run, parts);
    this.lrs = new Float64Array(layout.models);
    this.active = layout.constants.map(() => true);
    this.watched = new GroupWatch(parts.ctx.device);
  }

  private dataOf(seq: OpSequences, run: (s: readonly OpSpec[]) => Op[], parts: PlanParts): PlanData {
    if (seq.mode === 'resident') {
      const evaluate = { train: run(seq.evaluate.train), test: run(seq.evaluate.test), dev: run(seq.evaluate.dev) };
      return { mode: 'resident', order: parts.buffers.get('order')!, train: run(seq.train), evaluate };
    }
    const shard = (i: number): ShardBuffers => ({
      x: parts.buffers.get(`shard${i}.x`)!,
      y: parts.buffers.get(`shard${i}.y`)!,
    });
    const sizes = this.spec.sizes;
    const stream = new ShardStream(
      this.ctx.device.queue,
      [shard(0), shard(1)],
      this.layout.mode === 'sharded' ? this.layout.shardRows : 0,
      parts.splits,
      { x: sizes[0]!, y: sizes[sizes.length - 1]! },
      (b) => this.release(b),
      this.hostCounters,
    );
    return { mode: 'sharded', stream, train: seq.train.map(run), evaluate: seq.evaluate.map(run) };
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

  /** Describes the plan, checks it against the device's limits (TrainerError 'too-large', before
   *  anything is allocated), then allocates its buffers, compiles its pipelines and writes each model's
   *  initial parameters. Out of GPU memory on the way is TrainerError 'too-large' too; every buffer
   *  made so far is freed on any failure. */
  static async create(ctx: GpuContext, init: BackendInit, options: PlanOptions = {}): Promise<TrainingPlan> {
    const { device } = ctx;
    const dev = init.dev ?? { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
    const splits = { train: init.train, test: init.test, dev };
    const rows = { train: init.train.n, test: init.test.n, dev: dev.n };
    const configs = options.models ?? [init.config];
    const subject = { spec: init.spec, configs, maxBatch: init.maxBatch, rows, regression: init.regression === true };
    const layout = checkPlan(ctx, subject, options);
    const name = planName(layout);
    const arena = new BufferArena(device, name);
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
      const counters = new HostCounters();
      const buffers = allocateBuffers(arena, layout, splits);
      const ops = await createOps(arena, layout, buffers, counters);
      const plan = new TrainingPlan({ ctx, layout, arena, buffers, ops, counters, splits });
      for (let m = 0; m < layout.models; m++) plan.setParams(init.params, m);
      const { oom, invalid } = await popScopes();
      if (oom) throw new TrainerError('too-large', `${name}: out of GPU memory: ${oom.message}`);
      if (invalid) throw new Error(`${name}: ${invalid.message}`);
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
    const g = this.group ?? this.open(label, t);
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

  private open(label: string, t: number): Group {
    const enc = this.ctx.device.createCommandEncoder({ label });
    this.group = { enc, pass: enc.beginComputePass({ label }), first: t, used: 0 };
    return this.group;
  }

  /** Submits the steps recorded so far, if any. Everything else the plan does calls this first, so it
   *  is needed only by a caller that waits on the device's queue itself. */
  flush(): void {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    this.groupReads.fill(false);
    try {
      g.pass.end();
      const { mirror, buffer } = this.table;
      this.ctx.device.queue.writeBuffer(buffer, 0, mirror.u32.buffer, 0, mirror.bytes(g.used));
      this.hostCounters.bufferWrites++;
      this.ctx.device.queue.submit([g.enc.finish()]); // encoding errors surface at finish, the rest here
      this.hostCounters.submits++;
    } finally {
      this.watched.afterGroup(stepsName(g.first, g.used)); // a watched group's scopes end with its submit
    }
  }

  /** Before shard buffer b is written: the recorded steps that read it must be submitted first
   *  (writeBuffer lands before the submit of a group still being recorded). */
  private release(b: number): void {
    if (this.groupReads[b]) this.flush();
  }

  private check(): void {
    if (this.destroyed) throw new Error('plan: used after destroy()');
  }

  /** Before anything but a step: the pending steps must run before the queue or the state is touched.
   *  (Scopes pushed for a step that threw before its group was recorded are popped too.) */
  private ready(): void {
    this.check();
    this.flush();
    this.watched.afterGroup(stepsName(this.t, 1));
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
    this.watched.beforeStep(); // before the shard upload and the uniform writes the step makes
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

  /** Each model's loss and correct sums over the steps since the last call. Throws TrainerError
   *  'gpu-error' (or 'too-large') when watched work submitted before it failed. */
  async takeTrainStatsAll(): Promise<Stats[]> {
    this.ready();
    const count = this.pendingRows;
    this.pendingRows = 0;
    const enc = this.ctx.device.createCommandEncoder({ label: 'train stats' });
    const read = this.readback.copy(enc, this.trainStats);
    enc.clearBuffer(this.trainStats);
    this.ctx.device.queue.submit([enc.finish()]);
    const [v] = await Promise.all([read(), this.watched.take()]);
    return this.perModel(v, count);
  }

  private perModel(v: Float32Array, count: number): Stats[] {
    return Array.from({ length: this.models }, (_, m) => ({ lossSum: v[2 * m]!, correct: v[2 * m + 1]!, count }));
  }

  async evaluate(split: Split): Promise<Stats> {
    return (await this.evaluateAll(split))[0]!;
  }

  /** Each model's loss and correct sums over a split, watched whole (its clear, chunks and copy):
   *  throws TrainerError 'gpu-error' (or 'too-large') when it or watched work before it failed. */
  async evaluateAll(split: Split): Promise<Stats[]> {
    this.ready();
    let read: (() => Promise<Float32Array>) | undefined;
    const error = watch(this.ctx.device, () => (read = this.recordEvaluation(split)));
    const [v] = await Promise.all([read!(), this.watched.take({ what: `evaluate ${split}`, error })]);
    return this.perModel(v, this.splitRows[split]);
  }

  /** Submits an evaluation of `split` and the copy of its sums; returns their read-back. */
  private recordEvaluation(split: Split): () => Promise<Float32Array> {
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
    return read;
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
   *  bit-for-bit (dropout masks and Adam's bias correction depend on the step). Throws like
   *  takeTrainStatsAll when watched work before it failed. */
  async readState(model = 0): Promise<TrainState> {
    this.ready();
    this.checkModel(model);
    const step = this.t;
    const bytes = this.paramStride * 4;
    // Every copy queued before anything is awaited: one wait on the GPU.
    const reads = this.optimizerState.map(({ buffer }) => readBuffer(this.ctx.device, buffer, (model + 1) * bytes));
    const [raw] = await Promise.all([Promise.all(reads), this.watched.take()]);
    const state: TrainState = { step: Float64Array.of(step) };
    this.optimizerState.forEach(({ name }, i) => {
      state[name] = new Float32Array(raw[i]!).slice(model * this.paramStride);
    });
    return state;
  }

  writeState(state: TrainState): void {
    this.ready();
    const step = stateStep(state, 'plan.writeState');
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
    this.t = step;
  }

  snapshot(slot: number): void {
    this.copy(this.paramBuffer, this.snapshotBuffer(slot), 'snapshot');
  }

  restore(slot: number): void {
    this.copy(this.snapshotBuffer(slot), this.paramBuffer, 'restore');
    this.watched.clear(); // a snapshot the caller knows good: rejected groups after it are undone
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

  /** Model `model`'s tensors in `buffer`; throws like takeTrainStatsAll when watched work before it
   *  failed (no parameters computed by rejected work are handed out, e.g. as a checkpoint). */
  private async readLayers(buffer: GPUBuffer, model: number): Promise<Params> {
    this.ready();
    this.checkModel(model);
    const bytes = readBuffer(this.ctx.device, buffer, (model + 1) * this.paramStride * 4);
    const [raw] = await Promise.all([bytes, this.watched.take()]);
    const all = new Float32Array(raw).subarray(model * this.paramStride);
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
   *  through the evaluation forward pass and copied back, watched whole: throws TrainerError
   *  'gpu-error' (or 'too-large') when a chunk or watched work before it failed. */
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
      const { device } = this.ctx;
      let bytes: Promise<ArrayBuffer> | undefined;
      const error = watch(device, () => {
        device.queue.writeBuffer(this.io.input, 0, chunk.buffer, chunk.byteOffset, chunk.byteLength);
        this.record(this.forwardOnly, n, 0, 'forward rows');
        this.flush();
        bytes = readBuffer(device, this.io.output, n * out * 4); // submits its copy before returning
      });
      const what = `forward rows ${start}..${start + n - 1}`;
      const [raw] = await Promise.all([bytes!, this.watched.take({ what, error })]);
      result.set(new Float32Array(raw), start * out);
    }
    return result;
  }

  /** The parameter buffer (model m at m × paramStride floats, each tensor at parameterSlots' offset),
   *  for a caller that fills it on the GPU: the fused path copies its parameters in to evaluate. */
  get parameterBuffer(): GPUBuffer {
    this.ready();
    return this.paramBuffer;
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
    this.watched.afterGroup('dropped steps'); // its scopes are popped all the same
    this.arena.destroy();
  }
}
