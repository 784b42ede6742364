// The live steps per second and time left, from wall time over a window of steps. Progress read-backs
// arrive in bursts (a period's statistics settle a period late, several settle together when the queue
// drains), so a rate between two readings swings from a tenth to a hundred times the real one. Readings
// that come together are one reading (the newest: its steps are the most up to date), and the rate is
// taken over the last WINDOW seconds of readings, so a burst's lag is a small part of the time measured,
// and over at least an epoch's steps, so an epoch's evaluation counts as much as it takes.
// Pure: the caller gives the clock (a progress event's `seconds`), so a test can drive it.

/** Seconds of readings the rate is taken over. */
const WINDOW = 3;
/** No rate until the readings span this many seconds (a little under one, since the first burst is taken
 *  at its newest reading): over less, one burst's lag is too large a part. */
const MIN_SPAN = 0.8;
/** Readings closer than this are one burst. */
const BURST = 0.05;

interface Reading {
  t: number;
  step: number;
  /** When the burst this reading ends began. */
  readonly from: number;
}

export class RateEstimator {
  private readings: Reading[] = [];

  /** `epochSteps`: the window spans at least this many steps (an epoch, with its evaluation). */
  constructor(private readonly epochSteps = 0) {}

  /** Forgets every reading: a new run, a resume after a pause (the pause is not training time), a
   *  restart from a checkpoint. */
  reset(): void {
    this.readings = [];
  }

  /** A reading: `step` steps done at `seconds` on the run's clock. A step count that goes back (the run
   *  went back to a checkpoint) or a clock that does starts over. */
  add(step: number, seconds: number): void {
    const last = this.readings.at(-1);
    if (last && (step < last.step || seconds < last.t)) this.reset();
    const r = this.readings;
    const burst = r.at(-1);
    if (burst && seconds - burst.from < BURST) {
      burst.t = seconds; // the same burst: keep its newest reading
      burst.step = step;
    } else r.push({ t: seconds, step, from: seconds });
    // Keep one reading at or before the window's start, so the window spans WINDOW seconds and an
    // epoch's steps once it can.
    while (r.length > 2 && r[1]!.t <= seconds - WINDOW && r[1]!.step <= step - this.epochSteps) r.shift();
  }

  /** Steps per second over the window; undefined until the readings span MIN_SPAN seconds. */
  get rate(): number | undefined {
    const first = this.readings[0];
    const last = this.readings.at(-1);
    if (!first || !last || last.t - first.t < MIN_SPAN) return undefined;
    return (last.step - first.step) / (last.t - first.t);
  }

  /** Seconds until `totalSteps`, at the window's rate; undefined while there is no rate. */
  secondsLeft(totalSteps: number): number | undefined {
    const rate = this.rate;
    const last = this.readings.at(-1);
    if (rate === undefined || !last || rate <= 0) return undefined;
    return Math.max(0, totalSteps - last.step) / rate;
  }
}
