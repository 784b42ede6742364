// The fused path as a TrainBackend (backend.ts's contract, driven by the one epoch loop, epochs.ts). The
// loop's step() calls are kept on the host and run as one fused dispatch per group (FusedTrainer.run:
// one step-table write, one submit); a group ends when it holds stepsPerSubmit steps or when anything
// else touches the state (statistics, snapshots, evaluations, read-backs). Each group's per-step
// statistics are copied out right after its dispatch and summed on the host when the loop takes them,
// a period late as with the layered plan. Evaluations run the fused evaluation kernel (fused-eval.ts:
// one dispatch a split, reading the weights in place); where a split is past a device limit for it,
// the layered plan's evaluation forward pass instead (an inference plan over the same splits, the
// fused parameters copied in on the GPU, no read-back). Checkpoints carry the optimizer moments in the
// layered plan's layout, so a checkpoint of either path resumes on either, bit for bit.
import type { Params } from '../model.ts';
import { fromTensors, hasBatchNorm, layerCount, layerTensors, size } from '../model.ts';
import {
  SNAPSHOT_SLOTS,
  resolveConfig,
  type BackendInit,
  type PlanPath,
  type Split,
  type Stats,
  type TrainBackend,
  type TrainConfig,
} from '../train/backend.ts';
import { stateStep, type TrainState } from '../train/checkpoint.ts';
import { BufferArena, readBuffer } from './arena.ts';
import { GPUBufferUsage } from './flags.ts';
import type { GpuContext } from './device.ts';
import { watch } from './error-watch.ts';
import { FusedEvaluation, tooLarge } from './fused-eval.ts';
import {
  BN_ORDER,
  FusedTrainer,
  fusedParamCount,
  fusedWidths,
  packParams,
  unpackParams,
  type FusedStepValues,
} from './fused.ts';
import { GroupWatch } from './group-watch.ts';
import { limit } from './limits.ts';
import { parameterSlots, type LayerSlots, type PlanOptions } from './plan-layout.ts';
import { TrainingPlan } from './plan.ts';
import { ReadbackPool } from './readback.ts';

/** Most steps in one fused dispatch when the caller names none: past ~20 the cost per step is flat
 *  (docs/fused-plan.md), and the loop's statistics requests and epoch ends cut groups shorter anyway. */
export const FUSED_GROUP_STEPS = 64;
/** Most rows in one chunk of the evaluation forward pass (its activation buffers hold this many rows). */
const EVAL_CHUNK_ROWS = 1024;

export interface FusedBackendOptions {
  /** Several models side by side (N workgroups of one dispatch), one configuration each. */
  readonly models?: readonly TrainConfig[];
  /** Most steps in one dispatch (default FUSED_GROUP_STEPS). */
  readonly stepsPerSubmit?: number;
  /** Options of the layered evaluation plan (matmul family, data budget), where it is used. */
  readonly evaluation?: PlanOptions;
  /** Evaluate with the layered plan even where the fused evaluation fits (comparisons, measurements). */
  readonly layeredEvaluation?: boolean;
}

/** How the backend evaluates: the fused kernel, or the layered plan where a split does not fit it. */
type Evaluation =
  { readonly kind: 'fused'; readonly e: FusedEvaluation } | { readonly kind: 'layered'; readonly plan: TrainingPlan };

/** A copy of floats from the fused state (padded layout) to the layered parameter layout. */
type Range = readonly [src: number, dst: number, floats: number];

/** What the fused backend is made of: the fused trainer, the evaluation, its own buffers. */
interface Parts {
  readonly ctx: GpuContext;
  readonly init: BackendInit;
  readonly configs: readonly TrainConfig[];
  readonly fused: FusedTrainer;
  readonly evaluation: Evaluation;
  readonly stepsPerSubmit: number;
}

export class FusedBackend implements TrainBackend {
  readonly device = 'gpu' as const;
  readonly path: PlanPath = { kind: 'fused' };
  readonly stepsPerSubmit: number;
  private readonly ctx: GpuContext;
  private readonly fused: FusedTrainer;
  private readonly evaluation: Evaluation;
  private readonly configs: readonly TrainConfig[];
  private readonly spec: BackendInit['spec'];
  private readonly batch: number;
  private readonly trainRows: number;
  /** Floats of one model's part of the state (params, grads, v and s each take P). */
  private readonly P: number;
  private readonly widths: number[];
  /** The layered layout of one model's parameters (checkpoints, evaluations). */
  private readonly slots: { readonly slots: LayerSlots[]; readonly floats: number };
  private readonly toEvaluation: Range[];
  private readonly arena: BufferArena;
  private readonly snapshots: GPUBuffer;
  /** A stopped model's whole state, put back after every group (setActive). */
  private readonly parked: GPUBuffer;
  private readonly running: boolean[];
  private readonly readback: ReadbackPool;
  private readonly pending: FusedStepValues[] = [];
  private pendingRows = 0;
  /** Each submitted group's statistics read-back, in order, until takeTrainStatsAll sums them. */
  private reads: { readonly values: Promise<Float32Array>; readonly steps: number }[] = [];
  /** Training steps taken (Adam's t of the next step is t + 1). */
  private t = 0;
  private destroyed = false;
  /** GPU errors of the groups (as the layered plan watches its own): read-backs throw 'gpu-error'
   *  rather than hand out what rejected work left behind. */
  private readonly watched: GroupWatch;
  /** Per model, per step of the last period taken: (lossSum, correct) of each step. */
  lastPeriod: { readonly lossSum: number; readonly correct: number }[][] = [];

  private constructor(p: Parts) {
    this.ctx = p.ctx;
    this.fused = p.fused;
    this.evaluation = p.evaluation;
    this.configs = p.configs;
    this.spec = p.init.spec;
    this.batch = p.init.maxBatch;
    this.trainRows = p.init.train.n;
    this.stepsPerSubmit = p.stepsPerSubmit;
    this.P = fusedParamCount(this.spec);
    this.widths = fusedWidths(this.spec);
    this.slots = parameterSlots(this.spec, limit(p.ctx.device.limits, 'minStorageBufferOffsetAlignment'));
    this.toEvaluation = evaluationRanges(this.spec, this.widths, this.slots.slots);
    const models = p.configs.length;
    this.arena = new BufferArena(p.ctx.device, 'fused backend');
    const usage = GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    this.snapshots = this.arena.create('snapshots', SNAPSHOT_SLOTS * models * this.P * 4, usage);
    this.parked = this.arena.create('parked', models * 4 * this.P * 4, usage);
    this.running = p.configs.map(() => true);
    this.readback = new ReadbackPool(this.arena, this.fused.buffer('stats').size);
    this.watched = new GroupWatch(p.ctx.device);
  }

  /** The fused trainer (limits checked first: TrainerError 'too-large') and the evaluation. */
  static async create(ctx: GpuContext, init: BackendInit, o: FusedBackendOptions = {}): Promise<FusedBackend> {
    const configs = o.models ?? [resolveConfig(init.config)];
    const stepsPerSubmit = o.stepsPerSubmit ?? FUSED_GROUP_STEPS;
    const fused = await FusedTrainer.create(ctx, {
      spec: init.spec,
      configs,
      batch: init.maxBatch,
      n: init.train.n,
      stepsPerSubmit,
      regression: init.regression === true,
      init: configs.map(() => init.params),
      x: init.train.x,
      y: init.train.y,
    });
    try {
      const evaluation = await createEvaluation(ctx, init, configs, fused, o);
      try {
        return new FusedBackend({ ctx, init, configs, fused, evaluation, stepsPerSubmit });
      } catch (e) {
        destroyEvaluation(evaluation);
        throw e;
      }
    } catch (e) {
      fused.destroy();
      throw e;
    }
  }

  get models(): number {
    return this.configs.length;
  }

  get adapter(): string {
    return this.ctx.adapterName;
  }

  /** The buffers the backend holds (the fused step's, the evaluation's, its own), by name. */
  memory(): { name: string; bytes: number }[] {
    const ev = this.evaluation;
    return [...this.fused.memory(), ...(ev.kind === 'fused' ? ev.e : ev.plan).memory(), ...this.arena.list()];
  }

  /** Which evaluation the backend runs: 'fused' (the kernel) or 'layered' (a split past its limits). */
  get evaluationKind(): Evaluation['kind'] {
    return this.evaluation.kind;
  }

  /** Bytes of every buffer the backend holds. */
  get bytes(): number {
    return this.memory().reduce((a, b) => a + b.bytes, 0);
  }

  /** Where the data is: always resident (sharded data never takes the fused path). */
  readonly layout = { mode: 'resident' } as const;

  /** Dispatches and submits of the fused steps so far (a copy). */
  get counters() {
    return this.fused.counters.snapshot();
  }

  private check(): void {
    if (this.destroyed) throw new Error('fused backend: used after destroy()');
  }

  private checkModel(model: number): void {
    if (!Number.isInteger(model) || model < 0 || model >= this.models)
      throw new Error(`fused backend: model ${model} outside 0..${this.models - 1}`);
  }

  /** Before anything but a step: the steps kept so far run first. */
  private ready(): void {
    this.check();
    this.flush();
  }

  setOrder(order: Uint32Array, model = 0): void {
    this.ready();
    this.checkModel(model);
    this.fused.setOrder(order, model);
  }

  step(start: number, rows: number, lr: number | ArrayLike<number>): void {
    this.check();
    const whole = Math.min(this.batch, this.trainRows - start);
    if (!Number.isInteger(start) || start < 0 || rows !== whole)
      throw new Error(
        `fused backend: a step of rows ${start}..${start + rows}; the fused kernel takes batches of ${this.batch} from the order (the last of an epoch what is left)`,
      );
    if (typeof lr !== 'number' && lr.length !== this.models)
      throw new Error(`fused backend: ${lr.length} learning rates for ${this.models} models`);
    const lrs = typeof lr === 'number' ? new Float64Array(this.models).fill(lr) : Float64Array.from(lr);
    this.pending.push({ start, t: ++this.t, lrs });
    this.pendingRows += rows;
    if (this.pending.length === this.stepsPerSubmit) this.flush();
  }

  /** Submits the steps kept so far as one dispatch followed, in the same submit, by the copy of their
   *  statistics (and a stopped model's state put back). */
  flush(): void {
    if (this.pending.length === 0) return;
    const steps = this.pending.splice(0);
    const first = steps[0]!.t;
    let read: (() => Promise<Float32Array>) | undefined;
    this.watched.beforeStep();
    try {
      this.fused.run(steps, (enc) => {
        const state = this.fused.buffer('state');
        const bytes = 4 * this.P * 4;
        this.running.forEach((on, m) => on || enc.copyBufferToBuffer(this.parked, m * bytes, state, m * bytes, bytes));
        read = this.readback.copy(enc, this.fused.buffer('stats'));
      });
    } finally {
      // Named as the layered plan names its groups: the error says which steps were rejected.
      const last = first + steps.length - 1;
      this.watched.afterGroup(last > first ? `training steps ${first}..${last}` : `training step ${first}`);
    }
    const values = read!();
    values.catch(() => {}); // awaited by takeTrainStatsAll; a run ended before then must not leave it unhandled
    this.reads.push({ values, steps: steps.length });
  }

  async takeTrainStats(): Promise<Stats> {
    return (await this.takeTrainStatsAll())[0]!;
  }

  async takeTrainStatsAll(): Promise<Stats[]> {
    this.ready();
    const reads = this.reads.splice(0);
    const count = this.pendingRows;
    this.pendingRows = 0;
    const [values] = await Promise.all([Promise.all(reads.map((r) => r.values)), this.watched.take()]);
    const K = this.stepsPerSubmit;
    this.lastPeriod = this.configs.map((_, m) =>
      reads.flatMap((r, g) =>
        Array.from({ length: r.steps }, (_, k) => {
          const o = (m * K + k) * 2;
          return { lossSum: values[g]![o]!, correct: values[g]![o + 1]! };
        }),
      ),
    );
    return this.lastPeriod.map((steps) => ({
      lossSum: steps.reduce((a, s) => a + s.lossSum, 0),
      correct: steps.reduce((a, s) => a + s.correct, 0),
      count,
    }));
  }

  async evaluate(split: Split): Promise<Stats> {
    return (await this.evaluateAll(split))[0]!;
  }

  /** One fused evaluation dispatch of every model, its sums read back with one mapAsync, watched whole
   *  as the layered plan watches its evaluations; or, on the layered fallback, every model's parameters
   *  copied into the evaluation plan (one model each), then one evaluation of all of them. */
  async evaluateAll(split: Split): Promise<Stats[]> {
    this.ready();
    const ev = this.evaluation;
    if (ev.kind === 'layered') {
      this.loadEvaluation(ev.plan);
      return ev.plan.evaluateAll(split);
    }
    let read: (() => Promise<Float32Array>) | undefined;
    const error = watch(this.ctx.device, () => (read = ev.e.record(split)));
    const [v] = await Promise.all([read!(), this.watched.take({ what: `evaluate ${split}`, error })]);
    const count = ev.e.rows(split);
    return this.configs.map((_, m) => ({ lossSum: v[2 * m]!, correct: v[2 * m + 1]!, count }));
  }

  /** Copies each model's parameters into its place in the evaluation plan's parameter buffer (model m
   *  at m × the layered parameter stride), GPU to GPU, in one submit. */
  private loadEvaluation(plan: TrainingPlan): void {
    const target = plan.parameterBuffer;
    const enc = this.ctx.device.createCommandEncoder({ label: 'fused params to evaluation' });
    const state = this.fused.buffer('state');
    for (let m = 0; m < this.models; m++) {
      const [base, to] = [m * 4 * this.P, m * this.slots.floats];
      for (const [src, dst, n] of this.toEvaluation)
        enc.copyBufferToBuffer(state, (base + src) * 4, target, (to + dst) * 4, n * 4);
    }
    this.ctx.device.queue.submit([enc.finish()]);
  }

  async readParams(model = 0): Promise<Params> {
    this.ready();
    this.checkModel(model);
    const [params] = await Promise.all([this.fused.readParams(model, 0), this.watched.take()]);
    return params;
  }

  /** Model `model`'s gradients of the last step (the kernel keeps them regularised: L2 folded in, as the
   *  layered plan's optimizer step and the reference's dW have them). */
  async readGrads(model = 0): Promise<Params> {
    this.ready();
    this.checkModel(model);
    const [grads] = await Promise.all([this.fused.readParams(model, 1), this.watched.take()]);
    return grads;
  }

  setParams(params: Params, model = 0): void {
    this.ready();
    this.checkModel(model);
    const L = layerCount(this.spec);
    if (params.length !== L)
      throw new Error(`fused backend: ${params.length} layers of parameters, the model has ${L}`);
    params.forEach((p, l) => {
      const [nIn, nOut] = [size(this.spec, l), size(this.spec, l + 1)];
      const bn = hasBatchNorm(this.spec, l);
      const shaped = layerTensors(p).every(([k, t]) => t.length === (k === 'weight' ? nIn * nOut : nOut));
      if (!shaped || (p.bn !== undefined) !== bn)
        throw new Error(
          `fused backend: layers.${l} is not a ${nOut}×${nIn} weight and ${nOut} biases${bn ? ', with γ, β, running mean and var of ' + nOut : ''}`,
        );
    });
    const packed = packParams(params, this.widths);
    this.ctx.device.queue.writeBuffer(this.fused.buffer('state'), model * 4 * this.P * 4, packed);
  }

  setActive(model: number, active: boolean): void {
    this.ready();
    this.checkModel(model);
    if (!active && this.running[model]) {
      const bytes = 4 * this.P * 4;
      this.copy('park', [[this.fused.buffer('state'), model * bytes, this.parked, model * bytes, bytes]]);
    }
    this.running[model] = active;
  }

  snapshot(slot: number): void {
    this.copy('snapshot', this.snapshotRanges(slot, 'to'));
  }

  restore(slot: number): void {
    this.copy('restore', this.snapshotRanges(slot, 'from'));
    this.watched.clear(); // a snapshot the caller knows good: rejected groups after it are undone
  }

  restoreModel(slot: number, model: number): void {
    this.checkModel(model);
    this.copy(`restore model ${model}`, [this.snapshotRanges(slot, 'from')[model]!]);
  }

  /** Each model's parameter copy between the state and snapshot slot `slot`. */
  private snapshotRanges(slot: number, way: 'to' | 'from'): [GPUBuffer, number, GPUBuffer, number, number][] {
    this.ready();
    if (!Number.isInteger(slot) || slot < 0 || slot >= SNAPSHOT_SLOTS)
      throw new Error(`fused backend: snapshot slot ${slot} outside 0..${SNAPSHOT_SLOTS - 1}`);
    const state = this.fused.buffer('state');
    const bytes = this.P * 4;
    return this.configs.map((_, m) => {
      const [s, o] = [m * 4 * bytes, (slot * this.models + m) * bytes];
      return way === 'to' ? [state, s, this.snapshots, o, bytes] : [this.snapshots, o, state, s, bytes];
    });
  }

  private copy(label: string, ranges: readonly [GPUBuffer, number, GPUBuffer, number, number][]): void {
    this.ready();
    const enc = this.ctx.device.createCommandEncoder({ label });
    for (const [from, a, to, b, n] of ranges) enc.copyBufferToBuffer(from, a, to, b, n);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  /** The moments' names in a checkpoint: the layered plan's (plan-layout.ts, optimizerBuffers). */
  private momentNames(): ('optimizer.v' | 'optimizer.s')[] {
    const opt = this.configs[0]!.optimizer;
    if (opt === 'sgd') return [];
    return opt === 'momentum' ? ['optimizer.v'] : ['optimizer.v', 'optimizer.s'];
  }

  /** The step count and the optimizer moments in the layered plan's layout. */
  async readState(model = 0): Promise<TrainState> {
    this.ready();
    this.checkModel(model);
    const step = this.t;
    const names = this.momentNames();
    const state: TrainState = { step: Float64Array.of(step) };
    if (names.length === 0) return state;
    const P = this.P;
    const bytes = readBuffer(this.ctx.device, this.fused.buffer('state'), 2 * P * 4, (model * 4 + 2) * P * 4);
    const raw = new Float32Array((await Promise.all([bytes, this.watched.take()]))[0]);
    names.forEach((name, i) => (state[name] = this.toLayered(raw.subarray(i * P, (i + 1) * P))));
    return state;
  }

  writeState(state: TrainState): void {
    this.ready();
    const step = stateStep(state, 'fused backend writeState');
    if (this.models > 1) throw new Error('fused backend writeState: a run of several models does not resume');
    const q = this.ctx.device.queue;
    this.momentNames().forEach((name, i) => {
      const data = state[name];
      if (!(data instanceof Float32Array) || data.length !== this.slots.floats)
        throw new Error(
          `fused backend writeState: ${name} missing or not ${this.slots.floats} float32 values (was the checkpoint written with another optimizer?)`,
        );
      q.writeBuffer(this.fused.buffer('state'), (2 + i) * this.P * 4, this.fromLayered(data));
    });
    this.t = step;
  }

  /** One model's tensor in the fused layout, as the layered plan lays it out (padding 0). */
  private toLayered(flat: Float32Array): Float32Array {
    const out = new Float32Array(this.slots.floats);
    unpackParams(this.spec, flat, this.widths).forEach((p, l) => {
      const s = new Map(layerTensors(this.slots.slots[l]!));
      for (const [kind, t] of layerTensors(p)) out.set(t, s.get(kind)!.offset);
    });
    return out;
  }

  private fromLayered(data: Float32Array): Float32Array {
    const at = (t: { offset: number; length: number }) => data.slice(t.offset, t.offset + t.length);
    return packParams(
      this.slots.slots.map((s) => {
        const m = new Map(layerTensors(s));
        return fromTensors((k) => at(m.get(k)!), s.bn !== undefined);
      }),
      this.widths,
    );
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pending.length = 0; // steps never submitted: nothing will read their results
    this.watched.afterGroup('dropped steps'); // its scopes are popped all the same
    this.fused.destroy();
    destroyEvaluation(this.evaluation);
    this.arena.destroy();
  }
}

/** The fused evaluation, or where it is refused ('too-large': a split past a device limit for it) or
 *  not wanted, the layered evaluation plan. */
async function createEvaluation(
  ctx: GpuContext,
  init: BackendInit,
  configs: readonly TrainConfig[],
  fused: FusedTrainer,
  o: FusedBackendOptions,
): Promise<Evaluation> {
  if (o.layeredEvaluation !== true) {
    const regression = init.regression === true;
    const m = { spec: init.spec, models: configs.length, regression, test: init.test, dev: init.dev };
    try {
      return { kind: 'fused', e: await FusedEvaluation.create(ctx, fused, m) };
    } catch (e) {
      if (!tooLarge(e)) throw e;
    }
  }
  const rows = Math.max(init.train.n, init.test.n, init.dev?.n ?? 0);
  const plan = await TrainingPlan.create(
    ctx,
    { ...init, config: configs[0]!, maxBatch: Math.min(rows, EVAL_CHUNK_ROWS) },
    // Several models: one many-model plan evaluates them all in one pass (bit-identical per model to
    // a one-model plan), instead of a copy and an evaluation each.
    { ...o.evaluation, inference: true, ...(configs.length > 1 ? { models: configs } : {}) },
  );
  return { kind: 'layered', plan };
}

function destroyEvaluation(ev: Evaluation): void {
  if (ev.kind === 'fused') ev.e.destroy();
  else ev.plan.destroy();
}

/** The copies that lay one model's fused parameters (padded widths) out as the layered plan's: a weight
 *  matrix at once when its rows are not padded, else row by row; each bias at once; then each batch-norm
 *  tensor (γ, β, running mean, running var: packParams' order, after every weight and bias). */
function evaluationRanges(spec: BackendInit['spec'], widths: readonly number[], slots: readonly LayerSlots[]): Range[] {
  const out: Range[] = [];
  let o = 0;
  for (let l = 0; l < layerCount(spec); l++) {
    const [nIn, nOut, wIn, wOut] = [size(spec, l), size(spec, l + 1), widths[l]!, widths[l + 1]!];
    const s = slots[l]!;
    if (nIn === wIn) out.push([o, s.weight.offset, nOut * nIn]);
    else for (let j = 0; j < nOut; j++) out.push([o + j * wIn, s.weight.offset + j * nIn, nIn]);
    out.push([o + wOut * wIn, s.bias.offset, nOut]);
    o += wOut * (wIn + 1);
  }
  for (let l = 0; l < layerCount(spec); l++) {
    const bn = slots[l]!.bn;
    if (!bn) continue;
    for (const t of BN_ORDER.map((k) => bn[k])) {
      out.push([o, t.offset, t.length]);
      o += widths[l + 1]!;
    }
  }
  return out;
}
