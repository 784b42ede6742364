import type { ModelSpec, Params } from '../model.ts';
import type { TrainState } from './checkpoint.ts';

/** Rows of a split in the layout every backend reads: x [n][features], y [n][outputs] (targets()). */
export interface SplitData {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

export interface BackendInit {
  readonly spec: ModelSpec;
  /** Starting weights (copied; the caller keeps ownership). */
  readonly params: Params;
  readonly train: SplitData;
  /** May have n = 0 (no test split). */
  readonly test: SplitData;
  /** Dev split for early stopping (held out of train); absent or n = 0 for none. */
  readonly dev?: SplitData;
  /** Largest number of rows one step will use. */
  readonly maxBatch: number;
  /** Optimizer and regularisation; missing fields take DEFAULT_TRAIN_CONFIG (plain SGD, none). */
  readonly config?: Partial<TrainConfig>;
  /** A regression model ('mse'): Stats.correct is then the sum of absolute errors (MAE's numerator). */
  readonly regression?: boolean;
}

export type OptimizerKind = 'sgd' | 'momentum' | 'rmsprop' | 'adam';
export const OPTIMIZERS: readonly OptimizerKind[] = ['sgd', 'momentum', 'rmsprop', 'adam'];

/** How a step updates the parameters (the course's formulas, t = step number from 1):
 *  momentum  v = β1·v + (1−β1)·g                       θ −= lr·v
 *  rmsprop   s = β2·s + (1−β2)·g²                      θ −= lr·g / (√s + ε)
 *  adam      v, s as above; v̂ = v/(1−β1^t), ŝ = s/(1−β2^t)   θ −= lr·v̂ / (√ŝ + ε)
 *  l2        J += (λ/2m)·Σ‖W‖², dW += (λ/m)·W (weights only, never biases)
 *  keepProb  inverted dropout on every hidden layer's output (1 = off), masks from a counter-based
 *            hash of (dropoutSeed, step, layer, row, col) so the CPU reference reproduces them exactly. */
export interface TrainConfig {
  readonly optimizer: OptimizerKind;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly l2: number;
  readonly keepProb: number;
  readonly dropoutSeed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  optimizer: 'sgd',
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  l2: 0,
  keepProb: 1,
  dropoutSeed: 0,
};

/** The full config, with defaults filled in and every value checked. */
export function resolveConfig(c: Partial<TrainConfig> | undefined): TrainConfig {
  const r: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...c };
  if (!OPTIMIZERS.includes(r.optimizer)) throw new Error(`unknown optimizer '${r.optimizer}'`);
  for (const k of ['beta1', 'beta2'] as const)
    if (!(r[k] >= 0 && r[k] < 1)) throw new Error(`${k} must be in [0, 1), got ${r[k]}`);
  if (!(r.epsilon > 0)) throw new Error(`epsilon must be > 0, got ${r.epsilon}`);
  if (!(r.l2 >= 0 && Number.isFinite(r.l2))) throw new Error(`l2 must be a finite number >= 0, got ${r.l2}`);
  if (!(r.keepProb > 0 && r.keepProb <= 1)) throw new Error(`keepProb must be in (0, 1], got ${r.keepProb}`);
  if (!Number.isInteger(r.dropoutSeed) || r.dropoutSeed < 0 || r.dropoutSeed > 0xffffffff)
    throw new Error(`dropoutSeed must be a u32, got ${r.dropoutSeed}`);
  return r;
}

/** Bias corrections of Adam at step t (from 1): 1 − β^t. */
export function biasCorrection(beta: number, t: number): number {
  return 1 - beta ** t;
}

/** Dropout keeps a unit when the top 24 bits of its hash are below this integer threshold, so the
 *  decision is exact integer arithmetic on both paths (no float rounding of keepProb can differ). */
export function dropoutThreshold(keepProb: number): number {
  return Math.round(keepProb * 2 ** 24);
}

/** Sums over some rows: loss is the sum of per-example losses, correct the number classified right
 *  (for a regression backend, BackendInit.regression: the sum of absolute errors over every output). */
export interface Stats {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
}

/** Snapshot slots a backend keeps: the divergence guard needs three (see loop.ts). */
export const SNAPSHOT_SLOTS = 3;
export type Split = 'train' | 'test' | 'dev';

/** Which GPU path a backend takes: the fused small-net kernel (src/gpu/fused.ts), or the layered plan
 *  (src/gpu/plan.ts), with the reason when the fused one was not taken. */
export interface PlanPath {
  readonly kind: 'fused' | 'layered';
  readonly reason?: string;
}

/** One training engine (WebGPU or the CPU reference) holding `models` models of one architecture,
 *  trained side by side (each its own parameters, optimizer state, configuration and order; they step
 *  together). Driven by the shared epoch loop in epochs.ts; a fit is the one-model case. */
export interface TrainBackend {
  readonly device: 'gpu' | 'cpu';
  /** Human-readable adapter name, e.g. "google swiftshader" or "cpu reference (float64)". */
  readonly adapter: string;
  /** Models trained side by side (1 unless the backend was built with several configurations). */
  readonly models: number;
  /** On the GPU, the path taken (absent on the CPU reference). */
  readonly path?: PlanPath;
  /** Order in which model `model` (default 0) visits the training rows from now on (a permutation of
   *  0..train.n-1). */
  setOrder(order: Uint32Array, model?: number): void;
  /** Enqueue one SGD step (forward, backward, update) of every running model on training rows
   *  order[start .. start+rows) of its own order, at learning rate lr (one for all, or one per model). */
  step(start: number, rows: number, lr: number | ArrayLike<number>): void;
  /** Model 0's takeTrainStatsAll. */
  takeTrainStats(): Promise<Stats>;
  /** Each model's loss and accuracy sums over the steps since the last call; resolves once those steps
   *  are done. */
  takeTrainStatsAll(): Promise<Stats[]>;
  /** Model 0's evaluateAll. */
  evaluate(split: Split): Promise<Stats>;
  /** Each model's loss and accuracy over a whole split (forward only; no dropout, and the data loss
   *  only: the L2 term is part of the training loss, not of an evaluation). */
  evaluateAll(split: Split): Promise<Stats[]>;
  /** Model `model`'s (default 0) current parameters as float32. */
  readParams(model?: number): Promise<Params>;
  /** On the GPU: model `model`'s (default 0) gradients of the last step, laid out like the parameters
   *  (what "check this step" compares with the reference). */
  readGrads?(model?: number): Promise<Params>;
  /** Replaces model `model`'s (default 0) parameters. */
  setParams(params: Params, model?: number): void;
  /** Stops model `model` (or lets it run again): a stopped model's steps leave its parameters and
   *  optimizer state as they are; the other models are not touched. */
  setActive(model: number, active: boolean): void;
  /** Copies every model's current parameters into snapshot slot 0..SNAPSHOT_SLOTS-1, queued after the
   *  steps enqueued so far (on the GPU a buffer copy: no read-back, no stall). */
  snapshot(slot: number): void;
  /** Makes every model's parameters those of snapshot `slot` again. */
  restore(slot: number): void;
  /** Makes model `model`'s parameters those of snapshot `slot` again (the others keep theirs). */
  restoreModel(slot: number, model: number): void;
  /** Exact state beyond model `model`'s float32 parameters that a checkpoint must keep to resume
   *  bit-for-bit (the step count and optimizer moments; the CPU reference's float64 weights). */
  readState?(model?: number): Promise<TrainState>;
  /** Restores a one-model backend from readState's result. */
  writeState?(state: TrainState): void;
  /** Frees everything the backend owns; idempotent. */
  destroy(): void;
}
