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
  /** Largest number of rows one step will use. */
  readonly maxBatch: number;
}

/** Sums over some rows: loss is the sum of per-example losses, correct the number classified right. */
export interface Stats {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
}

/** Snapshot slots a backend keeps: the divergence guard needs three (see loop.ts). */
export const SNAPSHOT_SLOTS = 3;

/** One training engine (WebGPU or the CPU reference), driven by the shared loop in loop.ts. */
export interface TrainBackend {
  readonly device: 'gpu' | 'cpu';
  /** Human-readable adapter name, e.g. "google swiftshader" or "cpu reference (float64)". */
  readonly adapter: string;
  /** Order in which training rows are visited from now on (a permutation of 0..train.n-1). */
  setOrder(order: Uint32Array): void;
  /** Enqueue one SGD step (forward, backward, update) on training rows order[start .. start+rows). */
  step(start: number, rows: number, lr: number): void;
  /** Loss and accuracy sums over the steps since the last call; resolves once those steps are done. */
  takeTrainStats(): Promise<Stats>;
  /** Loss and accuracy of the current parameters over a whole split (forward only). */
  evaluate(split: 'train' | 'test'): Promise<Stats>;
  /** Current parameters as float32. */
  readParams(): Promise<Params>;
  /** Copies the current parameters into snapshot slot 0..SNAPSHOT_SLOTS-1, queued after the steps
   *  enqueued so far (on the GPU a buffer copy: no read-back, no stall). */
  snapshot(slot: number): void;
  /** Makes the parameters those of snapshot `slot` again. */
  restore(slot: number): void;
  /** Exact state beyond the float32 parameters that a checkpoint must keep to resume bit-for-bit
   *  (none for the GPU plan; the float64 weights for the CPU reference). */
  readState?(): Promise<TrainState>;
  writeState?(state: TrainState): void;
  /** Frees everything the backend owns; idempotent. */
  destroy(): void;
}
