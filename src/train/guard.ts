// The divergence guard of a one-model run: when a period's loss comes back NaN or infinite, the
// parameters go back to the last ones known good and the run ends with a DivergenceError; when the GPU
// rejected work of the run (a read-back threw 'gpu-error' or 'too-large'), likewise, with a
// GpuFailureError.
import { TrainerError } from '../errors.ts';
import { SNAPSHOT_SLOTS, type TrainBackend } from './backend.ts';
import type { Period } from './epochs.ts';

/** Thrown when the loss turns NaN or Inf. Names the steps; by then the backend's parameters have been
 *  restored to the last ones known good (`goodStep`), so a caller can still save them. */
export class DivergenceError extends TrainerError {
  constructor(
    message: string,
    readonly goodStep: number,
  ) {
    super('diverged', message);
  }
}

/** Thrown when the GPU rejected work of the run (TrainerError 'gpu-error', or 'too-large' when it ran
 *  out of memory): nothing computed from that work is reported, and by then the backend's parameters
 *  have been restored to the last ones known good (`goodStep`), so a caller can still save them. */
export class GpuFailureError extends TrainerError {
  constructor(
    code: 'gpu-error' | 'too-large',
    message: string,
    readonly goodStep: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A failure of GPU work the run cannot go on from (what the plan's read-backs throw). */
export const isGpuFailure = (e: unknown): e is TrainerError & { readonly code: 'gpu-error' | 'too-large' } =>
  e instanceof TrainerError && !(e instanceof GpuFailureError) && (e.code === 'gpu-error' || e.code === 'too-large');

// At every statistics request k (step s_k) the parameters are snapshotted on the device, in slot
// k mod 3, once the period before it (k - 1) is settled. When the losses of steps (s_{k-1}, s_k] come
// back finite, the parameters after s_{k-1} are known good (they produced finite losses); that check
// lands as request k + 1 is made, before its snapshot: slot k - 2 holds the good parameters until then,
// slots k - 1 and k the candidates, so three slots suffice, and a failed check always finds the good
// slot intact. (Snapshotting before settling would overwrite slot k - 2 = k + 1 just before a failed
// check restores it.)
//
// A failure of GPU work puts back the same last good parameters: they were computed before every
// watched group whose result has not come back clean yet (plan.ts watches the first group after each
// read-back), so they are good as far as anything has been checked.
export class DivergenceGuard {
  private good: { readonly slot: number; readonly step: number };

  /** Starts guarding `backend` at step `step` (its parameters now are the first known good). */
  constructor(
    private readonly backend: TrainBackend,
    step: number,
  ) {
    this.good = { slot: 0, step };
    backend.snapshot(0);
  }

  /** The `index`-th period's statistics were requested (and the period before settled): keep the
   *  parameters they end with. */
  requested(index: number): void {
    this.backend.snapshot(index % SNAPSHOT_SLOTS);
  }

  /** Period p's mean loss is in: if finite, the parameters it started from are good; if not, they
   *  are restored and the run ends. */
  check(p: Period, loss: number): void {
    if (!Number.isFinite(loss)) {
      this.backend.restore(this.good.slot);
      throw new DivergenceError(
        `loss is ${loss} in steps ${p.from + 1}..${p.step} (epoch ${p.epoch}); training stopped and the ` +
          `parameters restored to those after step ${this.good.step}, the last known good (try a lower learning rate, lr)`,
        this.good.step,
      );
    }
    this.good = { slot: (p.index - 1) % SNAPSHOT_SLOTS, step: p.from };
  }

  /** The GPU rejected work of the run (`e`, from a read-back): restores the last good parameters and
   *  returns the error that ends the run, with the same code. */
  stop(e: TrainerError & { readonly code: 'gpu-error' | 'too-large' }): GpuFailureError {
    this.backend.restore(this.good.slot);
    return new GpuFailureError(
      e.code,
      `${e.message}; training stopped and the parameters restored to those after step ${this.good.step}, the last known good`,
      this.good.step,
      { cause: e },
    );
  }
}
