// The epoch loop every run shares: epochs of shuffled mini-batches for the backend's N models side by
// side, each with its own shuffling generator and learning rate. A fit is the N = 1 case (loop.ts adds
// progress, the divergence guard, checkpoints, evaluations and early stopping through the hooks); a
// sweep's group of trials the N-model case (group.ts). It never waits on the GPU inside a step: the
// statistics of period k are requested at its last step and awaited only at the end of period k + 1,
// so the queue stays full while the read-back is in flight; an epoch's end too, where onEpoch cannot
// end the run (lateEpochEnd).
import type { LoopPosition } from './checkpoint.ts';
import type { Stats, TrainBackend } from './backend.ts';
import { learningRate, shuffleRng, type LrDecay } from './schedule.ts';

/** What to run: the same epochs, batches and schedule for every model; one lr and seed per model. */
export interface Epochs {
  readonly trainRows: number;
  /** Rows per step (an epoch's last step takes what is left). */
  readonly batch: number;
  readonly epochs: number;
  /** Each model's learning rate of epoch 1 (one per backend model). */
  readonly lr: readonly number[];
  readonly lrDecay?: LrDecay;
  /** Each model's run seed, from which its shuffling generator is derived (shuffleSeed). */
  readonly seeds: readonly number[];
  readonly shuffle: boolean;
  /** Training statistics are requested every this many steps, and at the end of every epoch
   *  (absent: only there). */
  readonly statsEvery?: number;
  /** Continue a one-model run from this position. */
  readonly resume?: LoopPosition;
}

/** The statistics of the `index`-th period: steps (from, step] of epoch `epoch`, one Stats per model. */
export interface Period {
  readonly index: number;
  readonly epoch: number;
  readonly from: number;
  readonly step: number;
  readonly stats: readonly Stats[];
  /** performance.now() when the statistics came in (as the loop saw it: it is told at its next await),
   *  not when it reported them (a period later). */
  readonly inAt: number;
}

/** What a run does around the loop. Every hook is optional. */
export interface EpochHooks {
  /** Before every step: resolves true to end the run there (what was queued before is still finished:
   *  the statistics read, the last whole epoch's onEpoch; this epoch's is not called). Also where a
   *  caller waits while paused: `finishLate` finishes everything queued so far first (so a pause shows
   *  the last epoch's events and keeps its checkpoint). */
  readonly stopBeforeStep?: (finishLate: () => Promise<void>) => Promise<boolean>;
  /** After every step, with where a run continuing after it starts (model 0's generator): may queue
   *  read-backs of the state at this step (a checkpoint) and return what to do with them once they are
   *  in, which the loop runs a period late, never before the next statistics request. */
  readonly afterStep?: (step: number, position: () => LoopPosition) => Late | undefined;
  /** When the `index`-th period's statistics have been requested and the period before it settled
   *  (onPeriod), before the next step is queued. */
  readonly onRequest?: (index: number) => void;
  /** A period's statistics, once they are in (a period late); throwing ends the run. */
  readonly onPeriod?: (p: Period) => Promise<void> | void;
  /** After an epoch's last step, once its statistics are requested and before anything is awaited (the
   *  checkpoint of afterStep included): where a caller queues the epoch's evaluations, so that their
   *  read-back shares the GPU round trip of the statistics and the checkpoint. */
  readonly queueEpochEnd?: (epoch: number) => void;
  /** After each epoch's statistics are in, with the epoch's last step and learning rates: resolves true
   *  to end the run. */
  readonly onEpoch?: (epoch: number, step: number, lrs: Float64Array) => Promise<boolean>;
  /** onEpoch never ends the run (it resolves false): then an epoch's end (its statistics, onEpoch, its
   *  checkpoint) is finished a period late like any period, with the next epoch's first steps queued,
   *  so the GPU never idles for its round trip. Without it, the loop finishes an epoch's end before
   *  queueing the next one: an onEpoch that may stop the run (early stopping, a sweep's group) must not
   *  find steps queued past its epoch. */
  readonly lateEpochEnd?: boolean;
}

/** What to do once read-backs queued at some step are in (hand over a checkpoint, report a period). */
export type Late = () => Promise<void>;

export interface EpochsDone {
  /** Steps done, counting those before a resumed position. */
  readonly step: number;
  /** The last epoch begun (0 when none was). */
  readonly epoch: number;
  /** Ended by stopBeforeStep. */
  readonly stopped: boolean;
}

// Nothing inside a step waits on the GPU. Every read-back is queued at its step (statistics, the
// epoch's evaluations, a checkpoint's parameters) with what to do once it is in; those are finished in
// the order they were queued at the next statistics request, so the host waits for period k while the
// GPU has period k + 1 queued. An epoch's end is finished there too when hooks.lateEpochEnd says onEpoch
// cannot end the run (else at once, as the epoch ends), and everything is finished at the run's end.
export async function runEpochs(backend: TrainBackend, run: Epochs, hooks: EpochHooks = {}): Promise<EpochsDone> {
  const { models } = backend;
  if (run.lr.length !== models || run.seeds.length !== models)
    throw new Error(`runEpochs: ${run.lr.length} learning rates and ${run.seeds.length} seeds for ${models} models`);
  const resume = run.resume;
  if (resume && models !== 1) throw new Error(`runEpochs: only a one-model run resumes (this one has ${models})`);
  const rngs = run.seeds.map(shuffleRng);
  const lrs = new Float64Array(models);
  let step = resume?.step ?? 0;
  let periodStart = step;
  let index = 0;
  let epoch = 0;
  let stopped = false;
  let ended = false;
  const late: Late[] = [];
  const finishLate = async () => {
    for (let next = late.shift(); next; next = late.shift()) await next();
  };
  /** Requests the statistics of the period ending at this step; returns its settling. */
  const request = (e: number): Late => {
    const arrived = backend.takeTrainStatsAll().then((stats) => ({ stats, inAt: performance.now() }));
    // Awaited a period later; if an earlier read-back throws first (a lost device), this one must not
    // become an unhandled rejection.
    arrived.catch(() => {});
    const p = { index: ++index, epoch: e, from: periodStart, step };
    periodStart = step;
    return async () => hooks.onPeriod?.({ ...p, ...(await arrived) });
  };
  /** Epoch e's end (at step `at`, with these learning rates): onEpoch, which may end the run. */
  const epochEnd =
    (e: number, at: number, rates: Float64Array): Late =>
    async () => {
      if (!(await hooks.onEpoch?.(e, at, rates))) return;
      if (hooks.lateEpochEnd)
        throw new Error(`runEpochs: onEpoch ended the run after epoch ${e}, but lateEpochEnd was set`);
      ended = true;
    };
  for (let e = resume?.epoch ?? 1; e <= run.epochs && !ended; e++) {
    epoch = e;
    const resuming = resume !== undefined && e === resume.epoch;
    if (resuming) rngs[0]!.state = resume.rngState;
    const epochState = rngs[0]!.state;
    for (let m = 0; m < models; m++) lrs[m] = learningRate(run.lr[m]!, e, run.lrDecay);
    if (run.shuffle) rngs.forEach((r, m) => backend.setOrder(r.permutation(run.trainRows), m));
    for (let start = resuming ? resume.start : 0; start < run.trainRows; start += run.batch) {
      if (hooks.stopBeforeStep && (stopped = await hooks.stopBeforeStep(finishLate))) break;
      backend.step(start, Math.min(run.batch, run.trainRows - start), lrs);
      step++;
      const next = start + run.batch;
      const at = step;
      const last = next >= run.trainRows;
      // Everything read after this step is queued before anything is awaited (the statistics, the
      // epoch's evaluations, then the checkpoint's parameters), so one wait on the GPU covers them all.
      const requested = (run.statsEvery !== undefined && step % run.statsEvery === 0) || last;
      const settle = requested ? request(e) : undefined;
      if (last) hooks.queueEpochEnd?.(e);
      const handOver = hooks.afterStep?.(step, () =>
        last
          ? { step: at, epoch: e + 1, start: 0, rngState: rngs[0]!.state }
          : { step: at, epoch: e, start: next, rngState: epochState },
      );
      if (settle) {
        // The period before, a period late. Then the guard's snapshot (no step is queued in between,
        // so the state is still that at `step`): it must not overwrite a slot that settling may restore.
        await finishLate();
        hooks.onRequest?.(index);
        late.push(settle);
      }
      if (handOver) late.push(handOver);
      if (last) late.push(epochEnd(e, at, Float64Array.from(lrs)));
    }
    if (stopped) break;
    if (!hooks.lateEpochEnd) await finishLate();
  }
  await finishLate();
  return { step, epoch, stopped };
}
