// A sweep's group of trials: the shared epoch loop (epochs.ts) on a backend of N models, each with its
// own learning rate, seed and order. A model whose training loss over an epoch turns NaN or infinite
// is stopped there (setActive) without touching the others; the group ends when every model has, or
// when onEpoch asks. Every epoch measures each model's dev loss; at the end each model is evaluated on
// every split and its parameters read.
import type { Params } from '../model.ts';
import type { Stats, TrainBackend } from './backend.ts';
import { runEpochs, type Epochs } from './epochs.ts';

/** A group's epochs: statistics only at the end of each, no resume. */
export type GroupEpochs = Omit<Epochs, 'statsEvery' | 'resume'>;

export interface GroupEpoch {
  readonly epoch: number;
  /** Each model's training statistics over the epoch. */
  readonly train: readonly Stats[];
  /** Each model's statistics over the dev split after the epoch. */
  readonly dev: readonly Stats[];
  /** The epoch each model diverged in, or undefined. */
  readonly diverged: readonly (number | undefined)[];
}

export interface GroupResult {
  /** The epoch each model diverged in (its parameters those it had then), or undefined. */
  readonly diverged: readonly (number | undefined)[];
  /** Each model's statistics over each split after the last epoch (test: undefined without test rows). */
  readonly train: readonly Stats[];
  readonly dev: readonly Stats[];
  readonly test: readonly Stats[] | undefined;
  readonly params: readonly Params[];
}

/** Mean loss of some sums: NaN without rows. */
const meanLoss = (s: Stats) => (s.count > 0 ? s.lossSum / s.count : NaN);

export async function runGroup(
  backend: TrainBackend,
  run: GroupEpochs,
  testRows: number,
  onEpoch?: (e: GroupEpoch) => Promise<boolean>,
): Promise<GroupResult> {
  const diverged: (number | undefined)[] = Array.from({ length: backend.models }, () => undefined);
  let train: readonly Stats[] = [];
  await runEpochs(backend, run, {
    // With statistics only at the ends of epochs, each period is an epoch.
    onPeriod: (p) => {
      train = p.stats;
      p.stats.forEach((s, m) => {
        if (!Number.isFinite(meanLoss(s)) && diverged[m] === undefined) {
          diverged[m] = p.epoch;
          backend.setActive(m, false);
        }
      });
    },
    onEpoch: async (epoch) => {
      const dev = await backend.evaluateAll('dev');
      const stop = (await onEpoch?.({ epoch, train, dev, diverged })) === true;
      return stop || diverged.every((d) => d !== undefined);
    },
  });
  // Every final read queued before any is awaited: one wait on the GPU, not 3 + one per model.
  const [trainEnd, dev, test, params] = await Promise.all([
    backend.evaluateAll('train'),
    backend.evaluateAll('dev'),
    testRows > 0 ? backend.evaluateAll('test') : undefined,
    Promise.all(Array.from({ length: backend.models }, (_, m) => backend.readParams(m))),
  ]);
  return { diverged, train: trainEnd, dev, test, params };
}
