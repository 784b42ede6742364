// The training loop shared by every backend (WebGPU in the browser, the CPU reference in Node):
// epochs of shuffled mini-batches, progress every N steps, test evaluation every epoch, and a final
// summary. It never waits on the GPU inside a step: the stats of steps k·N are requested at step k·N
// and awaited only at step (k+1)·N, so the queue stays full while the read-back is in flight.
import type { Params } from '../model.ts';
import { Rng } from '../rng.ts';
import type { LoopPosition, TrainState } from './checkpoint.ts';
import { SNAPSHOT_SLOTS, type Stats, type TrainBackend } from './backend.ts';

export interface LoopOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** Report progress every this many steps. */
  readonly evalEvery: number;
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
}

export type TrainEvent =
  | { readonly type: 'start'; readonly device: 'gpu' | 'cpu'; readonly adapter: string; readonly trainRows: number; readonly testRows: number; readonly batchSize: number; readonly stepsPerEpoch: number; readonly totalSteps: number }
  | { readonly type: 'progress'; readonly epoch: number; readonly step: number; readonly totalSteps: number; readonly loss: number; readonly accuracy: number; readonly stepsPerSecond: number; readonly seconds: number }
  | { readonly type: 'epoch'; readonly epoch: number; readonly epochs: number; readonly step: number; readonly testLoss: number | null; readonly testAccuracy: number | null; readonly seconds: number }
  | { readonly type: 'checkpoint'; readonly step: number }
  | { readonly type: 'recovered'; readonly fromStep: number; readonly reason: string }
  | Summary;

/** Thrown when the loss turns NaN or Inf. Names the steps; by then the backend's parameters have been
 *  restored to the last ones known good (`goodStep`), so a caller can still save them. */
export class DivergenceError extends Error {
  constructor(message: string, readonly goodStep: number) {
    super(message);
  }
}

const mean = (s: Stats) => ({ loss: s.count > 0 ? s.lossSum / s.count : NaN, accuracy: s.count > 0 ? s.correct / s.count : NaN });

export async function runTraining(backend: TrainBackend, trainRows: number, testRows: number, opts: LoopOptions, emit: (e: TrainEvent) => void, hooks: LoopHooks = {}): Promise<Summary> {
  const batch = Math.min(opts.batchSize, trainRows);
  if (trainRows < 1) throw new Error('training split is empty');
  const stepsPerEpoch = Math.ceil(trainRows / batch);
  const totalSteps = stepsPerEpoch * opts.epochs;
  emit({ type: 'start', device: backend.device, adapter: backend.adapter, trainRows, testRows, batchSize: batch, stepsPerEpoch, totalSteps });
  const shuffleRng = new Rng((opts.seed ^ 0x5eed5eed) >>> 0); // its own stream: init uses Rng(seed)
  const t0 = performance.now();
  const resume = hooks.resume;
  if (resume && (resume.epoch < 1 || resume.start >= trainRows || resume.step > totalSteps)) {
    throw new Error(`cannot resume at step ${resume.step}, epoch ${resume.epoch}, row ${resume.start}: outside this run (${opts.epochs} epochs of ${trainRows} rows, ${totalSteps} steps)`);
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
      throw new DivergenceError(`loss is ${m.loss} in steps ${p.from + 1}..${p.step} (epoch ${p.epoch}); training stopped and the ` +
        `parameters restored to those after step ${good.step}, the last known good (try a lower --lr)`, good.step);
    }
    good = { slot: (p.period - 1) % SNAPSHOT_SLOTS, step: p.from };
    const now = performance.now();
    const rate = ((p.step - lastReport.step) / (now - lastReport.time)) * 1000;
    lastReport = { time: now, step: p.step };
    emit({ type: 'progress', epoch: p.epoch, step: p.step, totalSteps, loss: m.loss, accuracy: m.accuracy, stepsPerSecond: rate, seconds: (now - t0) / 1000 });
  };

  let stopped = false;
  for (let epoch = resume?.epoch ?? 1; epoch <= opts.epochs; epoch++) {
    const resuming = resume !== undefined && epoch === resume.epoch;
    if (resuming) shuffleRng.state = resume.rngState;
    const epochRngState = shuffleRng.state;
    if (opts.shuffle) backend.setOrder(shuffleRng.permutation(trainRows));
    for (let start = resuming ? resume.start : 0; start < trainRows; start += batch) {
      if (hooks.control) {
        await hooks.control.waitIfPaused();
        if ((stopped = hooks.control.shouldStop())) break;
      }
      backend.step(start, Math.min(batch, trainRows - start), opts.lr);
      step++;
      if (hooks.onCheckpoint && hooks.checkpointEvery && step % hooks.checkpointEvery === 0) {
        const params = await backend.readParams();
        // Losses are checked a period late; never hand out parameters that are already broken.
        if (params.every((p) => p.weight.every(Number.isFinite) && p.bias.every(Number.isFinite))) {
          const next = start + batch;
          const position = next >= trainRows ? { step, epoch: epoch + 1, start: 0, rngState: shuffleRng.state } : { step, epoch, start: next, rngState: epochRngState };
          await hooks.onCheckpoint({ position, params, state: (await backend.readState?.()) ?? {} });
          emit({ type: 'checkpoint', step });
        }
      }
      const epochEnd = start + batch >= trainRows;
      if (step % opts.evalEvery === 0 || epochEnd) {
        const previous = pending;
        period++;
        pending = { promise: backend.takeTrainStats(), step, epoch, from: previousStep, period };
        backend.snapshot(period % SNAPSHOT_SLOTS);
        previousStep = step;
        if (previous) await report(previous);
      }
    }
    // The test evaluation below waits for the queue anyway, so settle this epoch's stats first.
    if (pending) await report(pending);
    pending = undefined;
    if (stopped) break;
    if (testRows > 0) {
      const t = mean(await backend.evaluate('test'));
      emit({ type: 'epoch', epoch, epochs: opts.epochs, step, testLoss: t.loss, testAccuracy: t.accuracy, seconds: (performance.now() - t0) / 1000 });
    } else {
      emit({ type: 'epoch', epoch, epochs: opts.epochs, step, testLoss: null, testAccuracy: null, seconds: (performance.now() - t0) / 1000 });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const tr = mean(await backend.evaluate('train'));
  const te = testRows > 0 ? mean(await backend.evaluate('test')) : null;
  const summary: Summary = {
    type: 'summary', device: backend.device, adapter: backend.adapter, epochs: opts.epochs, steps: step, seconds,
    stepsPerSecond: (step - firstStep) / seconds, samplesPerSecond: ((step - firstStep) * trainRows) / stepsPerEpoch / seconds,
    loss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te ? te.loss : null, testAccuracy: te ? te.accuracy : null,
  };
  emit(summary);
  return summary;
}
