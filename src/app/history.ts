// A run's chart points, kept by the worker beside its checkpoints in IndexedDB, so a page reloaded
// mid-run shows the curves from before the reload when it resumes (the loss and accuracy charts would
// otherwise start at the checkpoint's step).
import type { TrainEvent } from '../index.ts';

/** One point of the loss and accuracy charts: a progress event's training figures, or an epoch's test
 *  figures (null where the point has none; accuracy null for regression). */
export interface ChartPoint {
  readonly step: number;
  /** The chart's x: epochs, fractional between epoch ends. */
  readonly x: number;
  readonly loss: number | null;
  readonly accuracy: number | null;
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
}

const finite = (v: number | null | undefined): number | null => (v != null && Number.isFinite(v) ? v : null);

/** The points of a run so far; a resumed run starts from the saved points up to its checkpoint's step
 *  (later ones were made by steps the resumed run does again). */
export class RunHistory {
  readonly points: ChartPoint[];

  constructor(
    private readonly stepsPerEpoch: number,
    saved: readonly ChartPoint[] = [],
    upToStep = Infinity,
  ) {
    this.points = saved.filter((p) => p.step <= upToStep);
  }

  /** Adds the chart point of a progress or epoch event; other events add nothing. */
  add(e: TrainEvent): void {
    const x = e.type === 'progress' || e.type === 'epoch' ? e.step / this.stepsPerEpoch : 0;
    if (e.type === 'progress')
      this.points.push({
        step: e.step,
        x,
        loss: finite(e.loss),
        accuracy: finite(e.accuracy),
        testLoss: null,
        testAccuracy: null,
      });
    else if (e.type === 'epoch' && e.testLoss !== null)
      this.points.push({
        step: e.step,
        x,
        loss: null,
        accuracy: null,
        testLoss: finite(e.testLoss),
        testAccuracy: finite(e.testAccuracy),
      });
  }
}
