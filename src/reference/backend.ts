// The CPU reference behind the same TrainBackend interface as the GPU engine, so the shared loop can
// drive either and their runs can be compared step by step.

import { layerCount, layerTensors, size, tensorName, type ModelSpec, type Params } from '../model.ts';
import type { TrainState } from '../train/checkpoint.ts';
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

export class CpuBackend implements TrainBackend {
  readonly device = 'cpu' as const;
  readonly adapter = 'cpu reference (float64)';

  private readonly spec: ModelSpec;
  private readonly params: Params64;
  private readonly train: SplitData;
  private readonly test: SplitData;
  private readonly dev: SplitData;
  private readonly maxBatch: number;
  private order: Uint32Array;
  private readonly config: TrainConfig;
  private readonly plainSgd: boolean;
  private readonly regression: boolean;
  private readonly state: OptimizerState;
  /** Steps taken so far (the next step is t + 1). */
  private t = 0;
  private lossSum = 0;
  private correct = 0;
  private count = 0;
  private destroyed = false;
  private readonly snapshots: (Params64 | undefined)[] = [];

  static create(init: BackendInit): CpuBackend {
    return new CpuBackend(init);
  }

  constructor(init: BackendInit) {
    if (init.params.length !== layerCount(init.spec))
      throw new Error(`CpuBackend: ${init.params.length} parameter layers for a ${layerCount(init.spec)}-layer spec`);
    if (!Number.isInteger(init.maxBatch) || init.maxBatch < 1)
      throw new Error(`CpuBackend: maxBatch must be a positive integer, got ${init.maxBatch}`);
    this.spec = init.spec;
    this.params = toParams64(init.params); // a float64 copy: the caller keeps its arrays
    this.train = init.train;
    this.test = init.test;
    this.dev = init.dev ?? { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
    this.maxBatch = init.maxBatch;
    this.order = identity(init.train.n);
    this.config = resolveConfig(init.config);
    this.plainSgd = this.config.optimizer === 'sgd' && this.config.l2 === 0 && this.config.keepProb === 1;
    this.regression = init.regression === true;
    this.state = zeroState(this.params);
  }

  setOrder(order: Uint32Array): void {
    this.live();
    if (order.length !== this.train.n)
      throw new Error(`CpuBackend.setOrder: order has ${order.length} entries, the train split ${this.train.n} rows`);
    this.order = new Uint32Array(order);
  }

  step(start: number, rows: number, lr: number): void {
    this.live();
    if (rows < 1 || rows > this.maxBatch)
      throw new Error(`CpuBackend.step: ${rows} rows, must be 1..maxBatch (${this.maxBatch})`);
    const x = gather(this.train.x, this.order, start, rows, this.inputs());
    const y = gather(this.train.y, this.order, start, rows, this.outputs());
    this.t++;
    const r = this.plainSgd
      ? trainStep(this.spec, this.params, x, y, rows, lr, undefined, this.regression)
      : trainStep(
          this.spec,
          this.params,
          x,
          y,
          rows,
          lr,
          { config: this.config, state: this.state, t: this.t },
          this.regression,
        );
    this.lossSum += r.loss * rows;
    this.correct += r.correct;
    this.count += rows;
  }

  takeTrainStats(): Promise<Stats> {
    this.live();
    const stats: Stats = { lossSum: this.lossSum, correct: this.correct, count: this.count };
    this.lossSum = 0;
    this.correct = 0;
    this.count = 0;
    return Promise.resolve(stats);
  }

  evaluate(split: Split): Promise<Stats> {
    this.live();
    const data = split === 'train' ? this.train : split === 'dev' ? this.dev : this.test;
    const nIn = this.inputs();
    const nOut = this.outputs();
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < data.n; start += this.maxBatch) {
      const rows = Math.min(this.maxBatch, data.n - start);
      const x = Float64Array.from(data.x.subarray(start * nIn, (start + rows) * nIn));
      const y = Float64Array.from(data.y.subarray(start * nOut, (start + rows) * nOut));
      const { a } = forward(this.spec, this.params, x, rows, undefined, 'eval'); // batch norm: running stats
      const out = lossAndGrad(this.spec, a[a.length - 1]!, y, rows, this.regression);
      lossSum += sum(out.rowLoss);
      correct += sum(out.correct);
    }
    return Promise.resolve({ lossSum, correct, count: data.n });
  }

  readParams(): Promise<Params> {
    this.live();
    return Promise.resolve(toParams32(this.params));
  }

  /** The float64 weights (with batch norm's γ, β and running stats) and optimizer moments, exactly,
   *  and the step count: a checkpoint of the reference must not round them to float32. */
  readState(): Promise<TrainState> {
    this.live();
    const state: TrainState = { step: Float64Array.of(this.t) };
    for (const [prefix, params] of this.stateTensors()) {
      params.forEach((p, l) => {
        for (const [kind, data] of layerTensors(p)) state[`${prefix}${tensorName(l, kind)}`] = new Float64Array(data);
      });
    }
    return Promise.resolve(state);
  }

  writeState(state: TrainState): void {
    this.live();
    const step = state.step;
    if (!(step instanceof Float64Array) || step.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0)
      throw new Error('CpuBackend.writeState: state.step must be one non-negative integer (F64)');
    for (const [prefix, params] of this.stateTensors()) {
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
    this.t = step[0]!;
  }

  /** Exact state tensors by name prefix: the weights, then the optimizer moments. */
  private stateTensors(): [string, Params64][] {
    return [
      ['f64.', this.params],
      ['f64.optimizer.v.', this.state.v],
      ['f64.optimizer.s.', this.state.s],
    ];
  }

  snapshot(slot: number): void {
    this.live();
    checkSlot(slot);
    this.snapshots[slot] = mapLayers(this.params, (t) => new Float64Array(t));
  }

  restore(slot: number): void {
    this.live();
    const snap = this.snapshots[checkSlot(slot)];
    if (!snap) throw new Error(`CpuBackend.restore: snapshot slot ${slot} is empty`);
    snap.forEach((p, l) => {
      const dst = new Map(layerTensors(this.params[l]!));
      for (const [kind, data] of layerTensors(p)) dst.get(kind)!.set(data);
    });
  }

  destroy(): void {
    this.destroyed = true;
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
