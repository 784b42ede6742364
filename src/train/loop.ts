// A fit's run of the shared epoch loop (epochs.ts) on a one-model backend (WebGPU in the browser, the
// CPU reference in Node): progress every N steps with the statistics read a period late, the
// divergence guard, checkpoints, pause and stop, dev and test evaluation every epoch, early stopping,
// and a final summary. GPU work found rejected (a read-back throws 'gpu-error' or 'too-large') ends
// the run like divergence: no event after it, the last good parameters put back.
import type { Stats, TrainBackend } from './backend.ts';
import { takeCheckpoint, type FitCheckpoint, type LoopPosition } from './checkpoint.ts';
import { runEpochs, type EpochHooks, type Period } from './epochs.ts';
import type { Summary, TrainEvent } from './events.ts';
import { DivergenceGuard, isGpuFailure } from './guard.ts';
import { regressionMetrics, type RegressionScale } from './metrics.ts';
import type { LrDecay } from './schedule.ts';

export { learningRate, type LrDecay } from './schedule.ts';
export { DivergenceError, GpuFailureError } from './guard.ts';
export type { Summary, TrainEvent } from './events.ts';

export interface LoopOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** Report progress every this many steps. */
  readonly evalEvery: number;
  /** Learning-rate schedule over epochs (absent: constant lr). */
  readonly lrDecay?: LrDecay;
  /** Rows of the backend's dev split (0 or absent: none); its loss is measured after every epoch. */
  readonly devRows?: number;
  /** Stop when the dev loss has not improved for this many epochs (needs devRows > 0). */
  readonly earlyStopping?: number;
  /** A regression model: RMSE, MAE and R² join the events (accuracy is NaN). */
  readonly regression?: RegressionScale;
}

/** Pause and stop for an interactive caller (the web app): checked before every step. */
export interface LoopControl {
  /** True once the caller wants to end the run; the loop finishes with a summary of the steps done. */
  shouldStop(): boolean;
  /** Resolves when training may go on (at once unless paused); also where a caller yields to its event loop. */
  waitIfPaused(): Promise<void>;
  /** True while paused: the loop then reports everything queued before it waits. */
  paused?(): boolean;
}

/** Optional extras of a run: pause/stop control, continue from a checkpoint, be handed one every N steps. */
export interface LoopHooks {
  readonly control?: LoopControl;
  readonly resume?: LoopPosition;
  readonly checkpointEvery?: number;
  /** Called with finite parameters and the position of every checkpointEvery-th step: read at that step,
   *  handed over a period later (no drain of the GPU queue). */
  readonly onCheckpoint?: (c: FitCheckpoint) => Promise<void> | void;
}

type Mean = (s: Stats) => { loss: number; accuracy: number };

/** Mean loss and accuracy; a regression backend's `correct` is Σ|error|, not an accuracy. */
function meanOf(regression: RegressionScale | undefined): Mean {
  return (s) => ({
    loss: s.count > 0 ? s.lossSum / s.count : NaN,
    accuracy: s.count > 0 && !regression ? s.correct / s.count : NaN,
  });
}

/** Time spent outside training steps (queuing and awaiting each epoch's evaluations), kept out of the
 *  steps-per-second figure. Kept as spans, because a rate is taken as of the time its period's
 *  statistics came in, and an epoch's end reported a period late may have run after that time. */
class Aside {
  /** Milliseconds of the spans already folded (those that ended before a time asked about). */
  private folded = 0;
  private readonly spans: { start: number; end: number }[] = [];

  add(start: number, end: number): void {
    this.spans.push({ start, end });
  }

  /** Milliseconds aside before `t` (asked about at times that never go back: a period's statistics come
   *  in after the period before's). */
  before(t: number): number {
    while (this.spans.length > 0 && this.spans[0]!.end <= t) {
      const s = this.spans.shift()!;
      this.folded += s.end - s.start;
    }
    return this.spans.reduce((a, s) => a + Math.max(0, Math.min(s.end, t) - s.start), this.folded);
  }
}

/** Emits a progress event for each period. Its steps per second are those of the run so far, evaluations
 *  left out, as of the time the period's statistics came in (counting only the steps whose statistics
 *  are in then): a rate between two readings would overstate (the last two of an epoch could settle
 *  together: tens of thousands of steps/s), and one at the time of reporting would understate (a
 *  period's statistics are reported a period late, with the next period's steps queued); this one
 *  never overstates, and is exact when the steps take all the time. */
function progressReporter(
  emit: (e: TrainEvent) => void,
  t0: number,
  aside: Aside,
  step: number,
  totalSteps: number,
  reg: RegressionScale | undefined,
): (p: Period, s: Stats, m: { loss: number; accuracy: number }) => void {
  return (p, s, m) => {
    const rate = ((p.step - step) / (p.inAt - t0 - aside.before(p.inAt))) * 1000;
    const metrics = reg && s.count > 0 ? regressionMetrics(s, reg, 'train', true) : undefined;
    emit({
      type: 'progress',
      epoch: p.epoch,
      step: p.step,
      totalSteps,
      loss: m.loss,
      accuracy: m.accuracy,
      stepsPerSecond: rate,
      seconds: (performance.now() - t0) / 1000,
      ...metrics,
    });
  };
}

/** After every epoch: the dev loss (kept for early stopping) and the test split's figures, as an
 *  'epoch' event. Resolves true when early stopping ends the run. `queue` starts the evaluations at the
 *  epoch's last step, so they share the GPU round trip of its statistics and checkpoint (they only read
 *  the parameters, so the figures are those of evaluating after the epoch). */
function epochReporter(
  backend: TrainBackend,
  opts: LoopOptions,
  testRows: number,
  emit: (e: TrainEvent) => void,
  t0: number,
) {
  const reg = opts.regression;
  const mean = meanOf(reg);
  const devRows = opts.devRows ?? 0;
  const state = { best: { epoch: 0, loss: Infinity }, stoppedEarly: false };
  // Each epoch's evaluations, queued at its last step and taken by its onEpoch, which may come after
  // the next epoch's are queued (lateEpochEnd): so they are kept by epoch.
  const queued = new Map<number, Partial<Record<'dev' | 'test', Promise<Stats>>>>();
  const start = (split: 'dev' | 'test') => {
    const p = backend.evaluate(split);
    p.catch(() => {}); // awaited in onEpoch; a run that ends before then must not leave it unhandled
    return p;
  };
  const queue = (epoch: number) => {
    queued.set(epoch, {
      ...(devRows > 0 ? { dev: start('dev') } : {}),
      ...(testRows > 0 ? { test: start('test') } : {}),
    });
  };
  const take = (epoch: number, split: 'dev' | 'test') => {
    const q = queued.get(epoch);
    const p = q?.[split] ?? backend.evaluate(split);
    if (q) delete q[split];
    if (q && !q.dev && !q.test) queued.delete(epoch);
    return p;
  };
  const onEpoch = async (epoch: number, step: number, lr: number): Promise<boolean> => {
    // Extra fields only when the toolbox options are used, so the main-line events stay as they were.
    const extra: { lr?: number; devLoss?: number; devAccuracy?: number } = opts.lrDecay ? { lr } : {};
    if (devRows > 0) {
      const d = mean(await take(epoch, 'dev'));
      extra.devLoss = d.loss;
      extra.devAccuracy = d.accuracy;
      if (d.loss < state.best.loss) state.best = { epoch, loss: d.loss };
    }
    const base = { type: 'epoch', epoch, epochs: opts.epochs, step } as const;
    if (testRows > 0) {
      const s = await take(epoch, 'test');
      const t = mean(s);
      const m = reg ? regressionMetrics(s, reg, 'test') : undefined;
      emit({
        ...base,
        testLoss: t.loss,
        testAccuracy: t.accuracy,
        seconds: (performance.now() - t0) / 1000,
        ...extra,
        ...(m ? { testRmse: m.rmse, testMae: m.mae, testR2: m.r2 } : {}),
      });
    } else {
      emit({ ...base, testLoss: null, testAccuracy: null, seconds: (performance.now() - t0) / 1000, ...extra });
    }
    const patience = opts.earlyStopping;
    if (patience !== undefined && epoch - state.best.epoch >= patience && epoch < opts.epochs)
      state.stoppedEarly = true;
    return state.stoppedEarly;
  };
  return { onEpoch, queue, state };
}

/** The summary of a run: the final weights evaluated over the training and test splits. */
async function summarize(
  backend: TrainBackend,
  run: { epochs: number; steps: number; firstStep: number; seconds: number; stepsPerEpoch: number },
  rows: { train: number; test: number; dev: number },
  reg: RegressionScale | undefined,
  dev: { best: { epoch: number; loss: number }; stoppedEarly: boolean },
): Promise<Summary> {
  const mean = meanOf(reg);
  // Both queued before either is awaited: one wait on the GPU.
  const [trStats, teStats] = await Promise.all([
    backend.evaluate('train'),
    rows.test > 0 ? backend.evaluate('test') : null,
  ]);
  const tr = mean(trStats);
  const te = teStats ? mean(teStats) : null;
  const trM = reg ? regressionMetrics(trStats, reg, 'train') : undefined;
  const teM = reg && teStats ? regressionMetrics(teStats, reg, 'test') : undefined;
  const done = run.steps - run.firstStep;
  return {
    type: 'summary',
    device: backend.device,
    adapter: backend.adapter,
    epochs: run.epochs,
    steps: run.steps,
    seconds: run.seconds,
    stepsPerSecond: done / run.seconds,
    samplesPerSecond: (done * rows.train) / run.stepsPerEpoch / run.seconds,
    loss: tr.loss,
    trainAccuracy: tr.accuracy,
    testLoss: te ? te.loss : null,
    testAccuracy: te ? te.accuracy : null,
    ...(trM ? { trainRmse: trM.rmse, trainMae: trM.mae, trainR2: trM.r2 } : {}),
    ...(teM ? { testRmse: teM.rmse, testMae: teM.mae, testR2: teM.r2 } : {}),
    ...(rows.dev > 0 ? { bestEpoch: dev.best.epoch, bestDevLoss: dev.best.loss, stoppedEarly: dev.stoppedEarly } : {}),
  };
}

/** The hooks that pause, stop and checkpoint a run, from the caller's LoopHooks. */
function callerHooks(
  backend: TrainBackend,
  hooks: LoopHooks,
  emit: (e: TrainEvent) => void,
): Pick<EpochHooks, 'stopBeforeStep' | 'afterStep'> {
  const { control, onCheckpoint, checkpointEvery: every } = hooks;
  return {
    ...(control
      ? {
          stopBeforeStep: async (finishLate: () => Promise<void>) => {
            // A pause waits with every event so far out and the latest checkpoint handed over.
            if (control.paused?.()) await finishLate();
            await control.waitIfPaused();
            return control.shouldStop();
          },
        }
      : {}),
    ...(onCheckpoint && every
      ? {
          afterStep: (step: number, position: () => LoopPosition) => {
            if (step % every !== 0) return undefined;
            // Queued now, so the copy holds the parameters and position at this step whatever is queued
            // after it; handed over (if finite) when the loop finishes it, a period late.
            const read = takeCheckpoint(backend, position());
            read.catch(() => {}); // awaited below; a run that ends before then must not leave it unhandled
            return async () => {
              const c = await read;
              if (!c) return;
              await onCheckpoint(c);
              emit({ type: 'checkpoint', step });
            };
          },
        }
      : {}),
  };
}

export async function runTraining(
  backend: TrainBackend,
  trainRows: number,
  testRows: number,
  opts: LoopOptions,
  emit: (e: TrainEvent) => void,
  hooks: LoopHooks = {},
): Promise<Summary> {
  const reg = opts.regression;
  const batch = Math.min(opts.batchSize, trainRows);
  if (trainRows < 1) throw new Error('training split is empty');
  const devRows = opts.devRows ?? 0;
  if (opts.earlyStopping !== undefined && devRows < 1)
    throw new Error('early stopping needs a dev split (devRows > 0)');
  const stepsPerEpoch = Math.ceil(trainRows / batch);
  const totalSteps = stepsPerEpoch * opts.epochs;
  emit({
    type: 'start',
    device: backend.device,
    adapter: backend.adapter,
    trainRows,
    testRows,
    batchSize: batch,
    stepsPerEpoch,
    totalSteps,
    ...(backend.path ? { plan: backend.path } : {}),
  });
  const t0 = performance.now();
  const resume = hooks.resume;
  if (resume && (resume.epoch < 1 || resume.start >= trainRows || resume.step > totalSteps)) {
    throw new Error(
      `cannot resume at step ${resume.step}, epoch ${resume.epoch}, row ${resume.start}: outside this run (${opts.epochs} epochs of ${trainRows} rows, ${totalSteps} steps)`,
    );
  }
  const firstStep = resume?.step ?? 0;
  const mean = meanOf(reg);
  const guard = new DivergenceGuard(backend, firstStep);
  const aside = new Aside();
  const progress = progressReporter(emit, t0, aside, firstStep, totalSteps, reg);
  const epochs = epochReporter(backend, opts, testRows, emit, t0);
  const epochsAndSummary = async (): Promise<Summary> => {
    const done = await runEpochs(
      backend,
      {
        trainRows,
        batch,
        epochs: opts.epochs,
        lr: [opts.lr],
        seeds: [opts.seed],
        shuffle: opts.shuffle,
        statsEvery: opts.evalEvery,
        ...(opts.lrDecay ? { lrDecay: opts.lrDecay } : {}),
        ...(resume ? { resume } : {}),
      },
      {
        ...callerHooks(backend, hooks, emit),
        onRequest: (index) => guard.requested(index),
        onPeriod: (p) => {
          const s = p.stats[0]!;
          const m = mean(s);
          guard.check(p, m.loss);
          progress(p, s, m);
        },
        queueEpochEnd: (epoch) => {
          const start = performance.now();
          epochs.queue(epoch);
          aside.add(start, performance.now());
        },
        // Only early stopping ends a run from onEpoch; without it, an epoch's end is reported a period late.
        lateEpochEnd: opts.earlyStopping === undefined,
        onEpoch: async (epoch, step, lrs) => {
          const start = performance.now();
          const stop = await epochs.onEpoch(epoch, step, lrs[0]!);
          aside.add(start, performance.now());
          return stop;
        },
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const run = { epochs: done.epoch, steps: done.step, firstStep, seconds, stepsPerEpoch };
    const rows = { train: trainRows, test: testRows, dev: devRows };
    const summary = await summarize(backend, run, rows, reg, epochs.state);
    emit(summary);
    return summary;
  };
  // Work the GPU rejected ends the run where it is found (a read-back throws): no event after it, the
  // last good parameters put back.
  try {
    return await epochsAndSummary();
  } catch (e) {
    throw isGpuFailure(e) ? guard.stop(e) : e;
  }
}
