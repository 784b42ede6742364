// The events of a fit, in order: start, memory (GPU), progress every N steps, epoch, checkpoint,
// recovered (after a lost device), and the summary at the end.
import type { PlanPath } from './backend.ts';
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
  /** Regression: RMSE, MAE and R² of the final weights over the training split, and over the test split
   *  when there is one, pooled over the targets as evaluate()'s `pooled`: in the target's units with one
   *  target, of the standardised values with several standardised ones (evaluate gives each target's
   *  in its units). */
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
      /** Set when the adapter is a software one: what it is, that training will be slow, what to try. */
      readonly software?: string;
      readonly trainRows: number;
      readonly testRows: number;
      readonly batchSize: number;
      readonly stepsPerEpoch: number;
      readonly totalSteps: number;
      /** On the GPU, the path taken: the fused kernel, or the layered plan with the reason. */
      readonly plan?: PlanPath;
    }
  | {
      readonly type: 'progress';
      readonly epoch: number;
      readonly step: number;
      readonly totalSteps: number;
      readonly loss: number;
      readonly accuracy: number;
      /** Steps per second of the run so far, evaluations left out (never more than the steps whose
       *  statistics are in over the time they took). */
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
