// The training loop shared by every backend (WebGPU in the browser, the CPU reference in Node):
// epochs of shuffled mini-batches, progress every N steps, test evaluation every epoch, and a final
// summary. It never waits on the GPU inside a step: the stats of steps k·N are requested at step k·N
// and awaited only at step (k+1)·N, so the queue stays full while the read-back is in flight.
import { Rng } from '../rng.ts';
import type { Stats, TrainBackend } from './backend.ts';

export interface LoopOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** Report progress every this many steps. */
  readonly evalEvery: number;
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
  | Summary;

/** Optional hooks for an interactive caller (the web app): checked before every step. */
export interface LoopControl {
  /** True once the caller wants to end the run; the loop finishes with a summary of the steps done. */
  shouldStop(): boolean;
  /** Resolves when training may go on (at once unless paused); also where a caller yields to its event loop. */
  waitIfPaused(): Promise<void>;
}

/** Thrown when the loss turns NaN or Inf; names the step. */
export class DivergenceError extends Error {}

const mean = (s: Stats) => ({ loss: s.count > 0 ? s.lossSum / s.count : NaN, accuracy: s.count > 0 ? s.correct / s.count : NaN });

export async function runTraining(backend: TrainBackend, trainRows: number, testRows: number, opts: LoopOptions, emit: (e: TrainEvent) => void, control?: LoopControl): Promise<Summary> {
  const batch = Math.min(opts.batchSize, trainRows);
  if (trainRows < 1) throw new Error('training split is empty');
  const stepsPerEpoch = Math.ceil(trainRows / batch);
  const totalSteps = stepsPerEpoch * opts.epochs;
  emit({ type: 'start', device: backend.device, adapter: backend.adapter, trainRows, testRows, batchSize: batch, stepsPerEpoch, totalSteps });
  const shuffleRng = new Rng((opts.seed ^ 0x5eed5eed) >>> 0); // its own stream: init uses Rng(seed)
  const t0 = performance.now();
  let step = 0;
  let pending: { promise: Promise<Stats>; step: number; epoch: number } | undefined;
  let lastReport = { time: t0, step: 0 };

  const report = async (p: { promise: Promise<Stats>; step: number; epoch: number }) => {
    const s = await p.promise;
    const m = mean(s);
    if (!Number.isFinite(m.loss)) throw new DivergenceError(`loss is ${m.loss} at step ${p.step} (epoch ${p.epoch}); stopping (lower --lr?)`);
    const now = performance.now();
    const rate = ((p.step - lastReport.step) / (now - lastReport.time)) * 1000;
    lastReport = { time: now, step: p.step };
    emit({ type: 'progress', epoch: p.epoch, step: p.step, totalSteps, loss: m.loss, accuracy: m.accuracy, stepsPerSecond: rate, seconds: (now - t0) / 1000 });
  };

  let stopped = false;
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    if (opts.shuffle) backend.setOrder(shuffleRng.permutation(trainRows));
    for (let start = 0; start < trainRows; start += batch) {
      if (control) {
        await control.waitIfPaused();
        if ((stopped = control.shouldStop())) break;
      }
      backend.step(start, Math.min(batch, trainRows - start), opts.lr);
      step++;
      if (step % opts.evalEvery === 0 || step === totalSteps) {
        const previous = pending;
        pending = { promise: backend.takeTrainStats(), step, epoch };
        if (previous) await report(previous);
      }
    }
    if (stopped) break;
    if (testRows > 0) {
      const t = mean(await backend.evaluate('test'));
      emit({ type: 'epoch', epoch, epochs: opts.epochs, step, testLoss: t.loss, testAccuracy: t.accuracy, seconds: (performance.now() - t0) / 1000 });
    } else {
      emit({ type: 'epoch', epoch, epochs: opts.epochs, step, testLoss: null, testAccuracy: null, seconds: (performance.now() - t0) / 1000 });
    }
  }
  if (pending) await report(pending);
  const seconds = (performance.now() - t0) / 1000;
  const tr = mean(await backend.evaluate('train'));
  const te = testRows > 0 ? mean(await backend.evaluate('test')) : null;
  const summary: Summary = {
    type: 'summary', device: backend.device, adapter: backend.adapter, epochs: opts.epochs, steps: step, seconds,
    stepsPerSecond: step / seconds, samplesPerSecond: (step * trainRows) / stepsPerEpoch / seconds,
    loss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te ? te.loss : null, testAccuracy: te ? te.accuracy : null,
  };
  emit(summary);
  return summary;
}
