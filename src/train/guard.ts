// The divergence guard of a one-model run: when a period's loss comes back NaN or infinite, the
// parameters go back to the last ones known good and the run ends with a DivergenceError.
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

// At every statistics request k (step s_k) the parameters are snapshotted on the device, in slot
// k mod 3. When the losses of steps (s_{k-1}, s_k] come back finite, the parameters after s_{k-1} are
// known good (they produced finite losses); that check lands one period later, when slot k+1 has just
// been written, so slots k-1 and k are still intact: three slots suffice.
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

  /** The `index`-th period's statistics were just requested: keep the parameters they end with. */
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
}
