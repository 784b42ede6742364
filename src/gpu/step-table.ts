// The CPU side of shaders/step_table.wgsl: each model's constants (`models`, written when a plan is
// built) and the per-step values of a group of steps (`table`), packed exactly as the kernels read
// them. The table is a mirror in CPU memory: a step writes its slot's block into the mirror (plain
// typed-array stores, nothing allocated) and the plan uploads the blocks of a whole group with one
// writeBuffer just before the group's submit.
import { biasCorrection, dropoutThreshold, type TrainConfig } from '../train/backend.ts';

/** A model's constants, from its training configuration. */
export interface ModelConstants {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly l2: number;
  readonly keepProb: number;
  readonly dropoutSeed: number;
}

export const modelConstants = (c: TrainConfig): ModelConstants => ({
  beta1: c.beta1,
  beta2: c.beta2,
  eps: c.epsilon,
  l2: c.l2,
  keepProb: c.keepProb,
  dropoutSeed: c.dropoutSeed,
});

/** Bytes of one `Model` struct (8 × 32 bits). */
export const MODEL_BYTES = 32;

/** The `models` array: beta1, beta2, eps, λ/2 (f32), seed, threshold (u32), 1/keepProb (f32), running (u32). */
export function packModels(
  models: readonly ModelConstants[],
  active: readonly boolean[] = models.map(() => true),
): Uint32Array {
  const buf = new ArrayBuffer(models.length * MODEL_BYTES);
  const f = new Float32Array(buf);
  const u = new Uint32Array(buf);
  models.forEach((m, i) => {
    const o = i * 8;
    f[o] = m.beta1;
    f[o + 1] = m.beta2;
    f[o + 2] = m.eps;
    f[o + 3] = m.l2 / 2;
    u[o + 4] = m.dropoutSeed;
    u[o + 5] = dropoutThreshold(m.keepProb);
    f[o + 6] = 1 / m.keepProb;
    u[o + 7] = active[i] ? 1 : 0;
  });
  return u;
}

/** The step table of a plan: `slots` blocks (one per step of a group) of 1 + models vec4 rows. */
export class StepTable {
  readonly u32: Uint32Array;
  private readonly f32: Float32Array;
  /** vec4 rows per block. */
  readonly blockRows: number;

  constructor(
    readonly slots: number,
    readonly models: readonly ModelConstants[],
  ) {
    this.blockRows = 1 + models.length;
    this.u32 = new Uint32Array(slots * this.blockRows * 4);
    this.f32 = new Float32Array(this.u32.buffer);
  }

  /** The block row of a slot (the `row` field of the kernels' uniforms). */
  row(slot: number): number {
    return slot * this.blockRows;
  }

  /** A step's values in slot `slot`: the batch's first row, the step number t (from 1; 0 outside
   *  training), and each model's learning rate (lrs[m]) with Adam's corrections and λ/m for `rows`. */
  set(slot: number, start: number, t: number, rows: number, lrs: ArrayLike<number>): void {
    const o = this.row(slot) * 4;
    this.u32[o] = start;
    this.u32[o + 1] = t;
    const tc = Math.max(t, 1);
    for (let m = 0; m < this.models.length; m++) {
      const c = this.models[m]!;
      const p = o + 4 + m * 4;
      this.f32[p] = lrs[m]!;
      this.f32[p + 1] = biasCorrection(c.beta1, tc);
      this.f32[p + 2] = biasCorrection(c.beta2, tc);
      this.f32[p + 3] = c.l2 / rows;
    }
  }

  /** Bytes of the first `slots` blocks (what a group of that many steps reads). */
  bytes(slots: number): number {
    return slots * this.blockRows * 16;
  }
}
