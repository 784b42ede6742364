// The epoch loop every run shares: epochs of shuffled mini-batches for the backend's N models side by
// side, each with its own shuffling generator and learning rate. A fit is the N = 1 case (loop.ts adds
// progress, the divergence guard, checkpoints, evaluations and early stopping through the hooks); a
// sweep's group of trials the N-model case (group.ts). It never waits on the GPU inside a step: the
// statistics of period k are requested at its last step and awaited only at the end of period k + 1
// (or of the epoch), so the queue stays full while the read-back is in flight.
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
}

/** What a run does around the loop. Every hook is optional. */
export interface EpochHooks {
  /** Before every step: resolves true to end the run there (the epoch's statistics are still read,
   *  onEpoch is not called). Also where a caller waits while paused. */
  readonly stopBeforeStep?: () => Promise<boolean>;
  /** After every step, with where a run continuing after it starts (model 0's generator). */
  readonly afterStep?: (step: number, position: () => LoopPosition) => Promise<void>;
  /** When the `index`-th period's statistics have been requested and the period before it settled
   *  (onPeriod), before the next step is queued. */
  readonly onRequest?: (index: number) => void;
  /** A period's statistics, once they are in (a period late); throwing ends the run. */
  readonly onPeriod?: (p: Period) => Promise<void> | void;
  /** After an epoch's last step, once its statistics are requested and before anything is awaited (the
   *  checkpoint of afterStep included): where a caller queues the epoch's evaluations, so that their
   *  read-back shares the GPU round trip of the statistics and the checkpoint. */
  readonly queueEpochEnd?: (epoch: number) => void;
  /** After each epoch's statistics are in, with the epoch's learning rates: resolves true to end the run. */
  readonly onEpoch?: (epoch: number, step: number, lrs: Float64Array) => Promise<boolean>;
}

export interface EpochsDone {
  /** Steps done, counting those before a resumed position. */
  readonly step: number;
  /** The last epoch begun (0 when none was). */
  readonly epoch: number;
  /** Ended by stopBeforeStep. */
  readonly stopped: boolean;
}

interface Pending {
  readonly promise: Promise<Stats[]>;
  readonly index: number;
  readonly epoch: number;
  readonly from: number;
  readonly step: number;
}

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
  let pending: Pending | undefined;
  let epoch = 0;
  let stopped = false;
  const settle = async (p: Pending) => {
    const stats = await p.promise;
    await hooks.onPeriod?.({ index: p.index, epoch: p.epoch, from: p.from, step: p.step, stats });
  };
  for (let e = resume?.epoch ?? 1; e <= run.epochs; e++) {
    epoch = e;
    const resuming = resume !== undefined && e === resume.epoch;
    if (resuming) rngs[0]!.state = resume.rngState;
    const epochState = rngs[0]!.state;
    for (let m = 0; m < models; m++) lrs[m] = learningRate(run.lr[m]!, e, run.lrDecay);
    if (run.shuffle) rngs.forEach((r, m) => backend.setOrder(r.permutation(run.trainRows), m));
    for (let start = resuming ? resume.start : 0; start < run.trainRows; start += run.batch) {
      if (hooks.stopBeforeStep && (stopped = await hooks.stopBeforeStep())) break;
      backend.step(start, Math.min(run.batch, run.trainRows - start), lrs);
      step++;
      const next = start + run.batch;
      const at = step;
      const last = next >= run.trainRows;
      // Everything read after this step is queued before anything is awaited (the statistics, the
      // epoch's evaluations, then the checkpoint's parameters), so one wait on the GPU covers them all.
      const requested = (run.statsEvery !== undefined && step % run.statsEvery === 0) || last;
      const earlier = requested ? pending : undefined;
      if (requested) {
        const promise = backend.takeTrainStatsAll();
        // Awaited a period later; if an earlier read-back throws first (a lost device), this one must
        // not become an unhandled rejection.
        promise.catch(() => {});
        pending = { promise, index: ++index, epoch: e, from: periodStart, step };
        periodStart = step;
      }
      if (last) hooks.queueEpochEnd?.(e);
      await hooks.afterStep?.(step, () =>
        last
          ? { step: at, epoch: e + 1, start: 0, rngState: rngs[0]!.state }
          : { step: at, epoch: e, start: next, rngState: epochState },
      );
      if (requested) {
        if (earlier) await settle(earlier);
        // After the earlier period is settled (no step is queued in between, so the state is still
        // that at `step`): the guard's snapshot must not overwrite a slot that settling may restore.
        hooks.onRequest?.(index);
      }
    }
    // What follows an epoch waits for the queue anyway, so settle its statistics first.
    if (pending) await settle(pending);
    pending = undefined;
    if (stopped) break;
    if (await hooks.onEpoch?.(e, step, lrs)) break;
  }
  return { step, epoch, stopped };
}
