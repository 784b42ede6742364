// The CPU reference behind the same TrainBackend interface as the GPU engine, so the shared loop can
// drive either and their runs can be compared step by step. Several models (CpuOptions.models) are
// the one-model arithmetic in a loop: each model has its own float64 parameters, optimizer state,
// configuration and order, as each model of a multi-model TrainingPlan does.

import { layerCount, layerTensors, size, tensorName, type ModelSpec, type Params } from '../model.ts';
import { stateStep, type TrainState } from '../train/checkpoint.ts';
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
import {
  forward,
  lossAndGrad,
  mapLayers,
  sum,
  toParams32,
  toParams64,
  trainStep,
  zeroState,
  type OptimizerState,
  type Params64,
} from './mlp.ts';
import { gather } from './ops.ts';

export interface CpuOptions {
  /** Several models trained side by side, one configuration each (as PlanOptions.models); every model
   *  starts from init.params (setParams changes that). Absent: one model with init.config. */
  readonly models?: readonly Partial<TrainConfig>[];
}

/** One model of the backend: everything a step of it reads or writes. */
interface CpuModel {
  readonly config: TrainConfig;
  /** Plain SGD takes the reference's shortest path (no optimizer state, no dropout, no L2). */
  readonly plainSgd: boolean;
  readonly params: Params64;
  readonly state: OptimizerState;
  order: Uint32Array;
  active: boolean;
  lossSum: number;
  correct: number;
}

export class CpuBackend implements TrainBackend {
  readonly device = 'cpu' as const;
  readonly adapter = 'cpu reference (float64)';

  private readonly spec: ModelSpec;
  private readonly train: SplitData;
  private readonly test: SplitData;
  private readonly dev: SplitData;
  private readonly maxBatch: number;
  private readonly regression: boolean;
  private readonly list: CpuModel[];
  /** Steps taken so far (the next step is t + 1); the models step together. */
  private t = 0;
  /** Rows stepped since the last takeTrainStats. */
  private count = 0;
  private destroyed = false;
  /** Per slot, every model's parameters. */
  private readonly snapshots: (Params64[] | undefined)[] = [];

  static create(init: BackendInit, options: CpuOptions = {}): CpuBackend {
    return new CpuBackend(init, options);
  }

  constructor(init: BackendInit, options: CpuOptions = {}) {
    if (init.params.length !== layerCount(init.spec))
      throw new Error(`CpuBackend: ${init.params.length} parameter layers for a ${layerCount(init.spec)}-layer spec`);
    if (!Number.isInteger(init.maxBatch) || init.maxBatch < 1)
      throw new Error(`CpuBackend: maxBatch must be a positive integer, got ${init.maxBatch}`);
    const configs = options.models ?? [init.config];
    if (configs.length < 1) throw new Error('CpuBackend: no models given');
    this.spec = init.spec;
    this.train = init.train;
    this.test = init.test;
    this.dev = init.dev ?? { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
    this.maxBatch = init.maxBatch;
    this.regression = init.regression === true;
    this.list = configs.map((c) => {
      const config = resolveConfig(c);
      const params = toParams64(init.params); // a float64 copy: the caller keeps its arrays
      return {
        config,
        plainSgd: config.optimizer === 'sgd' && config.l2 === 0 && config.keepProb === 1,
        params,
        state: zeroState(params),
        order: identity(init.train.n),
        active: true,
        lossSum: 0,
        correct: 0,
      };
    });
  }

  get models(): number {
    return this.list.length;
  }

  setOrder(order: Uint32Array, model = 0): void {
    const m = this.model(model);
    if (order.length !== this.train.n)
      throw new Error(`CpuBackend.setOrder: order has ${order.length} entries, the train split ${this.train.n} rows`);
    m.order = new Uint32Array(order);
  }

  step(start: number, rows: number, lr: number | ArrayLike<number>): void {
    this.live();
    if (rows < 1 || rows > this.maxBatch)
      throw new Error(`CpuBackend.step: ${rows} rows, must be 1..maxBatch (${this.maxBatch})`);
    if (typeof lr !== 'number' && lr.length !== this.list.length)
      throw new Error(`CpuBackend.step: ${lr.length} learning rates for ${this.list.length} models`);
    this.t++;
    this.list.forEach((m, i) => {
      if (m.active) this.stepModel(m, start, rows, typeof lr === 'number' ? lr : lr[i]!);
    });
    this.count += rows;
  }

  private stepModel(m: CpuModel, start: number, rows: number, lr: number): void {
    const x = gather(this.train.x, m.order, start, rows, this.inputs());
    const y = gather(this.train.y, m.order, start, rows, this.outputs());
    const opt = m.plainSgd ? undefined : { config: m.config, state: m.state, t: this.t };
    const r = trainStep(this.spec, m.params, x, y, rows, lr, opt, this.regression);
    m.lossSum += r.loss * rows;
    m.correct += r.correct;
  }

  async takeTrainStats(): Promise<Stats> {
    return (await this.takeTrainStatsAll())[0]!;
  }

  takeTrainStatsAll(): Promise<Stats[]> {
    this.live();
    const stats = this.list.map((m) => ({ lossSum: m.lossSum, correct: m.correct, count: this.count }));
    for (const m of this.list) m.lossSum = m.correct = 0;
    this.count = 0;
    return Promise.resolve(stats);
  }

  async evaluate(split: Split): Promise<Stats> {
    return (await this.evaluateAll(split))[0]!;
  }

  evaluateAll(split: Split): Promise<Stats[]> {
    this.live();
    const data = split === 'train' ? this.train : split === 'dev' ? this.dev : this.test;
    return Promise.resolve(this.list.map((m) => this.evaluateModel(m, data)));
  }

  private evaluateModel(m: CpuModel, data: SplitData): Stats {
    const nIn = this.inputs();
    const nOut = this.outputs();
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.n; start += this.maxBatch) {
      const rows = Math.min(this.maxBatch, data.n - start);
      const x = Float64Array.from(data.x.subarray(start * nIn, (start + rows) * nIn));
      const y = Float64Array.from(data.y.subarray(start * nOut, (start + rows) * nOut));
      const { a } = forward(this.spec, m.params, x, rows, undefined, 'eval'); // batch norm: running stats
      const out = lossAndGrad(this.spec, a[a.length - 1]!, y, rows, this.regression);
      lossSum += sum(out.rowLoss);
      correct += sum(out.correct);
    }
    return { lossSum, correct, count: data.n };
  }

  readParams(model = 0): Promise<Params> {
    return Promise.resolve(toParams32(this.model(model).params));
  }

  setParams(params: Params, model = 0): void {
    const m = this.model(model);
    if (params.length !== m.params.length)
      throw new Error(`CpuBackend.setParams: ${params.length} layers given, the model has ${m.params.length}`);
    copyInto(m.params, toParams64(params), 'CpuBackend.setParams');
  }

  setActive(model: number, active: boolean): void {
    this.model(model).active = active;
  }

  /** Model `model`'s float64 weights (with batch norm's γ, β and running stats) and optimizer moments,
   *  exactly, and the step count: a checkpoint of the reference must not round them to float32. */
  readState(model = 0): Promise<TrainState> {
    const m = this.model(model);
    const state: TrainState = { step: Float64Array.of(this.t) };
    for (const [prefix, params] of stateTensors(m)) {
      params.forEach((p, l) => {
        for (const [kind, data] of layerTensors(p)) state[`${prefix}${tensorName(l, kind)}`] = new Float64Array(data);
      });
    }
    return Promise.resolve(state);
  }

  writeState(state: TrainState): void {
    this.live();
    if (this.list.length > 1) throw new Error('CpuBackend.writeState: a backend of several models does not resume');
    const step = stateStep(state, 'CpuBackend.writeState');
    for (const [prefix, params] of stateTensors(this.list[0]!)) {
      params.forEach((p, l) => {
        for (const [kind, dst] of layerTensors(p)) {
          const name = `${prefix}${tensorName(l, kind)}`;
          const src = state[name];
          if (!(src instanceof Float64Array) || src.length !== dst.length) {
            throw new Error(`CpuBackend.writeState: ${name} missing or not ${dst.length} float64 values`);
          }
          dst.set(src);
        }
      });
    }
    this.t = step;
  }

  snapshot(slot: number): void {
    this.live();
    checkSlot(slot);
    this.snapshots[slot] = this.list.map((m) => mapLayers(m.params, (t) => new Float64Array(t)));
  }

  restore(slot: number): void {
    for (let m = 0; m < this.list.length; m++) this.restoreModel(slot, m);
  }

  restoreModel(slot: number, model: number): void {
    const m = this.model(model);
    const snap = this.snapshots[checkSlot(slot)];
    if (!snap) throw new Error(`CpuBackend.restore: snapshot slot ${slot} is empty`);
    copyInto(m.params, snap[model]!, 'CpuBackend.restore');
  }

  destroy(): void {
    this.destroyed = true;
  }

  private model(model: number): CpuModel {
    this.live();
    const m = this.list[model];
    if (!Number.isInteger(model) || !m)
      throw new Error(`CpuBackend: model ${model} outside 0..${this.list.length - 1}`);
    return m;
  }

  private inputs(): number {
    return size(this.spec, 0);
  }

  private outputs(): number {
    return size(this.spec, layerCount(this.spec));
  }

  private live(): void {
    if (this.destroyed) throw new Error('CpuBackend used after destroy()');
  }
}

/** Exact state tensors of a model by name prefix: the weights, then the optimizer moments. */
function stateTensors(m: CpuModel): [string, Params64][] {
  return [
    ['f64.', m.params],
    ['f64.optimizer.v.', m.state.v],
    ['f64.optimizer.s.', m.state.s],
  ];
}

/** Copies every tensor of `src` into the same tensor of `dst`, checking that the shapes agree. */
function copyInto(dst: Params64, src: Params64, what: string): void {
  src.forEach((p, l) => {
    const into = new Map(layerTensors(dst[l]!));
    const from = layerTensors(p);
    if (from.length !== into.size)
      throw new Error(`${what}: layers.${l} has ${from.length} tensors, the model ${into.size} (batch norm?)`);
    for (const [kind, data] of from) {
      const d = into.get(kind);
      if (!d || d.length !== data.length)
        throw new Error(`${what}: layers.${l}.${kind} has ${data.length} values, expected ${d?.length ?? 0}`);
      d.set(data);
    }
  });
}

function checkSlot(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SNAPSHOT_SLOTS)
    throw new Error(`snapshot slot ${slot} outside 0..${SNAPSHOT_SLOTS - 1}`);
  return slot;
}

function identity(n: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return p;
}
