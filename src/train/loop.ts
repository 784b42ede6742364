// The training loop shared by every backend (WebGPU in the browser, the CPU reference in Node):
// epochs of shuffled mini-batches, progress every N steps, test evaluation every epoch, and a final
// summary. It never waits on the GPU inside a step: the stats of steps k·N are requested at step k·N
// and awaited only at step (k+1)·N, so the queue stays full while the read-back is in flight.
import { layerTensors, type Params } from '../model.ts';
import { Rng } from '../rng.ts';
import { TrainerError } from '../errors.ts';
import type { LoopPosition, TrainState } from './checkpoint.ts';
import { SNAPSHOT_SLOTS, type Stats, type TrainBackend } from './backend.ts';
import { regressionMetrics, type RegressionScale } from './metrics.ts';

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

/** lr of epoch e (from 1): inverse lr0/(1 + rate·(e−1)) (the course's 1/(1 + decayRate·epoch)),
 *  exponential lr0·rate^(e−1), step lr0·rate^floor((e−1)/every). */
export type LrDecay =
  | { readonly kind: 'inverse'; readonly rate: number }
  | { readonly kind: 'exponential'; readonly rate: number }
  | { readonly kind: 'step'; readonly rate: number; readonly every: number };

export function learningRate(lr0: number, epoch: number, decay: LrDecay | undefined): number {
  const e = epoch - 1;
  if (!decay) return lr0;
  switch (decay.kind) {
    case 'inverse':
      return lr0 / (1 + decay.rate * e);
    case 'exponential':
      return lr0 * decay.rate ** e;
    case 'step':
      return lr0 * decay.rate ** Math.floor(e / decay.every);
  }
}

/** Pause and stop for an interactive caller (the web app): checked before every step. */
export interface LoopControl {
  /** True once the caller wants to end the run; the loop finishes with a summary of the steps done. */
  shouldStop(): boolean;
  /** Resolves when training may go on (at once unless paused); also where a caller yields to its event loop. */
  waitIfPaused(): Promise<void>;
}

/** Optional extras of a run: pause/stop control, continue from a checkpoint, be handed one every N steps. */
export interface LoopHooks {
  readonly control?: LoopControl;
  readonly resume?: LoopPosition;
  readonly checkpointEvery?: number;
  /** Called with finite parameters after every checkpointEvery-th step (the GPU queue is drained first). */
  readonly onCheckpoint?: (c: { position: LoopPosition; params: Params; state: TrainState }) => Promise<void> | void;
}

export interface Summary {
  readonly type: 'summary';
  readonly device: 'gpu' | 'cpu';
  readonly adapter: string;
  readonly epochs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
  readonly samplesPerSecond: number;
  /** Mean loss and accuracy of the final weights over the whole training split. */
  readonly loss: number;
  readonly trainAccuracy: number;
  /** Same over the test split; null when there is no test split. */
  readonly testLoss: number | null;
  readonly testAccuracy: number | null;
  /** Regression: RMSE, MAE (targets' units) and R² of the final weights over the training split, and
   *  over the test split when there is one. */
  readonly trainRmse?: number;
  readonly trainMae?: number;
  readonly trainR2?: number;
  readonly testRmse?: number;
  readonly testMae?: number;
  readonly testR2?: number;
  /** With a dev split: the epoch with the lowest dev loss, that loss, and whether early stopping ended the run. */
  readonly bestEpoch?: number;
  readonly bestDevLoss?: number;
  readonly stoppedEarly?: boolean;
}

export type TrainEvent =
  | {
      readonly type: 'start';
      readonly device: 'gpu' | 'cpu';
      readonly adapter: string;
      readonly trainRows: number;
      readonly testRows: number;
      readonly batchSize: number;
      readonly stepsPerEpoch: number;
      readonly totalSteps: number;
    }
  | {
      readonly type: 'progress';
      readonly epoch: number;
      readonly step: number;
      readonly totalSteps: number;
      readonly loss: number;
      readonly accuracy: number;
      readonly stepsPerSecond: number;
      readonly seconds: number;
      /** Regression, over the period's training rows (R² against the training split's variance). */
      readonly rmse?: number;
      readonly mae?: number;
      readonly r2?: number;
    }
  | {
      readonly type: 'epoch';
      readonly epoch: number;
      readonly epochs: number;
      readonly step: number;
      readonly testLoss: number | null;
      readonly testAccuracy: number | null;
      readonly seconds: number;
      readonly lr?: number;
      readonly devLoss?: number;
      readonly devAccuracy?: number;
      readonly testRmse?: number;
      readonly testMae?: number;
      readonly testR2?: number;
    }
  | { readonly type: 'checkpoint'; readonly step: number }
  | { readonly type: 'recovered'; readonly fromStep: number; readonly reason: string }
  /** The GPU memory a fit's plan holds, once it is built (its own buffers, counted by its arena), and
   *  whether the data is resident or streamed in shards (of shardRows rows, `shards` an epoch). */
  | {
      readonly type: 'memory';
      readonly bytes: number;
      readonly buffers: number;
      readonly largest: { readonly name: string; readonly bytes: number };
      readonly data:
        | { readonly mode: 'resident' }
        | { readonly mode: 'sharded'; readonly shardRows: number; readonly shards: number };
    }
  | Summary;

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

export async function runTraining(
  backend: TrainBackend,
  trainRows: number,
  testRows: number,
  opts: LoopOptions,
  emit: (e: TrainEvent) => void,
  hooks: LoopHooks = {},
): Promise<Summary> {
  const reg = opts.regression;
  // A regression backend's `correct` is Σ|error|, not an accuracy.
  const mean = (s: Stats) => ({
    loss: s.count > 0 ? s.lossSum / s.count : NaN,
    accuracy: s.count > 0 && !reg ? s.correct / s.count : NaN,
  });
  const batch = Math.min(opts.batchSize, trainRows);
  if (trainRows < 1) throw new Error('training split is empty');
  const devRows = opts.devRows ?? 0;
  if (opts.earlyStopping !== undefined && devRows < 1)
    throw new Error('early stopping needs a dev split (devRows > 0)');
  let best = { epoch: 0, loss: Infinity };
  let stoppedEarly = false;
  let epochsRun = 0;
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
  });
  const shuffleRng = new Rng((opts.seed ^ 0x5eed5eed) >>> 0); // its own stream: init uses Rng(seed)
  const t0 = performance.now();
  const resume = hooks.resume;
  if (resume && (resume.epoch < 1 || resume.start >= trainRows || resume.step > totalSteps)) {
    throw new Error(
      `cannot resume at step ${resume.step}, epoch ${resume.epoch}, row ${resume.start}: outside this run (${opts.epochs} epochs of ${trainRows} rows, ${totalSteps} steps)`,
    );
  }
  let step = resume?.step ?? 0;
  const firstStep = step;
  // Divergence guard. At every stats request k (step s_k) the parameters are snapshotted on the device,
  // in slot k mod 3. When the losses of steps (s_{k-1}, s_k] come back finite, the parameters after
  // s_{k-1} are known good (they produced finite losses); that check lands one period later, when slot
  // k+1 has just been written, so slots k-1 and k are still intact: three slots suffice.
  let period = 0;
  let good = { slot: 0, step };
  let previousStep = step;
  backend.snapshot(0);
  let pending: { promise: Promise<Stats>; step: number; epoch: number; from: number; period: number } | undefined;
  let lastReport = { time: t0, step };

  const report = async (p: { promise: Promise<Stats>; step: number; epoch: number; from: number; period: number }) => {
    const s = await p.promise;
    const m = mean(s);
    if (!Number.isFinite(m.loss)) {
      backend.restore(good.slot);
      throw new DivergenceError(
        `loss is ${m.loss} in steps ${p.from + 1}..${p.step} (epoch ${p.epoch}); training stopped and the ` +
          `parameters restored to those after step ${good.step}, the last known good (try a lower --lr)`,
        good.step,
      );
    }
    good = { slot: (p.period - 1) % SNAPSHOT_SLOTS, step: p.from };
    const now = performance.now();
    const rate = ((p.step - lastReport.step) / (now - lastReport.time)) * 1000;
    lastReport = { time: now, step: p.step };
    const metrics = reg && s.count > 0 ? regressionMetrics(s, reg, 'train', true) : undefined;
    emit({
      type: 'progress',
      epoch: p.epoch,
      step: p.step,
      totalSteps,
      loss: m.loss,
      accuracy: m.accuracy,
      stepsPerSecond: rate,
      seconds: (now - t0) / 1000,
      ...metrics,
    });
  };

  let stopped = false;
  for (let epoch = resume?.epoch ?? 1; epoch <= opts.epochs; epoch++) {
    epochsRun = epoch;
    const lr = learningRate(opts.lr, epoch, opts.lrDecay);
    const resuming = resume !== undefined && epoch === resume.epoch;
    if (resuming) shuffleRng.state = resume.rngState;
    const epochRngState = shuffleRng.state;
    if (opts.shuffle) backend.setOrder(shuffleRng.permutation(trainRows));
    for (let start = resuming ? resume.start : 0; start < trainRows; start += batch) {
      if (hooks.control) {
        await hooks.control.waitIfPaused();
        if ((stopped = hooks.control.shouldStop())) break;
      }
      backend.step(start, Math.min(batch, trainRows - start), lr);
      step++;
      if (hooks.onCheckpoint && hooks.checkpointEvery && step % hooks.checkpointEvery === 0) {
        const params = await backend.readParams();
        // Losses are checked a period late; never hand out parameters that are already broken.
        if (params.every((p) => layerTensors(p).every(([, t]) => t.every(Number.isFinite)))) {
          const next = start + batch;
          const position =
            next >= trainRows
              ? { step, epoch: epoch + 1, start: 0, rngState: shuffleRng.state }
              : { step, epoch, start: next, rngState: epochRngState };
          await hooks.onCheckpoint({ position, params, state: (await backend.readState?.()) ?? {} });
          emit({ type: 'checkpoint', step });
        }
      }
      const epochEnd = start + batch >= trainRows;
      if (step % opts.evalEvery === 0 || epochEnd) {
        const previous = pending;
        period++;
        const promise = backend.takeTrainStats();
        // Awaited one period later; if an earlier read-back throws first (a lost device), this one must not become an unhandled rejection.
        promise.catch(() => {});
        pending = { promise, step, epoch, from: previousStep, period };
        backend.snapshot(period % SNAPSHOT_SLOTS);
        previousStep = step;
        if (previous) await report(previous);
      }
    }
    // The evaluations below wait for the queue anyway, so settle this epoch's stats first.
    if (pending) await report(pending);
    pending = undefined;
    if (stopped) break;
    // Extra fields only when the toolbox options are used, so the main-line events stay as they were.
    const extra: { lr?: number; devLoss?: number; devAccuracy?: number } = opts.lrDecay ? { lr } : {};
    if (devRows > 0) {
      const d = mean(await backend.evaluate('dev'));
      extra.devLoss = d.loss;
      extra.devAccuracy = d.accuracy;
      if (d.loss < best.loss) best = { epoch, loss: d.loss };
    }
    if (testRows > 0) {
      const s = await backend.evaluate('test');
      const t = mean(s);
      const m = reg ? regressionMetrics(s, reg, 'test') : undefined;
      emit({
        type: 'epoch',
        epoch,
        epochs: opts.epochs,
        step,
        testLoss: t.loss,
        testAccuracy: t.accuracy,
        seconds: (performance.now() - t0) / 1000,
        ...extra,
        ...(m ? { testRmse: m.rmse, testMae: m.mae, testR2: m.r2 } : {}),
      });
    } else {
      emit({
        type: 'epoch',
        epoch,
        epochs: opts.epochs,
        step,
        testLoss: null,
        testAccuracy: null,
        seconds: (performance.now() - t0) / 1000,
        ...extra,
      });
    }
    if (opts.earlyStopping !== undefined && epoch - best.epoch >= opts.earlyStopping && epoch < opts.epochs) {
      stoppedEarly = true;
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const trStats = await backend.evaluate('train');
  const teStats = testRows > 0 ? await backend.evaluate('test') : null;
  const tr = mean(trStats);
  const te = teStats ? mean(teStats) : null;
  const trM = reg ? regressionMetrics(trStats, reg, 'train') : undefined;
  const teM = reg && teStats ? regressionMetrics(teStats, reg, 'test') : undefined;
  const summary: Summary = {
    type: 'summary',
    device: backend.device,
    adapter: backend.adapter,
    epochs: epochsRun,
    steps: step,
    seconds,
    stepsPerSecond: (step - firstStep) / seconds,
    samplesPerSecond: ((step - firstStep) * trainRows) / stepsPerEpoch / seconds,
    loss: tr.loss,
    trainAccuracy: tr.accuracy,
    testLoss: te ? te.loss : null,
    testAccuracy: te ? te.accuracy : null,
    ...(trM ? { trainRmse: trM.rmse, trainMae: trM.mae, trainR2: trM.r2 } : {}),
    ...(teM ? { testRmse: teM.rmse, testMae: teM.mae, testR2: teM.r2 } : {}),
    ...(devRows > 0 ? { bestEpoch: best.epoch, bestDevLoss: best.loss, stoppedEarly } : {}),
  };
  emit(summary);
  return summary;
}
