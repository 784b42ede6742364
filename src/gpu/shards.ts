// Data sets too big to keep on the GPU: the rows stay in JS memory (where the caller has them anyway)
// and go to the GPU a shard at a time. A training shard is the rows the next steps will read, gathered
// on the CPU in the order they will be read, so that on the GPU a step gathers them with the identity
// index: the same gather kernel, the same values in A0 and Y, the same arithmetic after it, so the
// weights are bit-identical to the resident path's. Two shard buffers are used in turn (double
// buffering): the next shard is written into the buffer the current steps do not read, so its copy
// never waits for them, and the CPU (which runs ahead of the GPU) writes it while they still run.
// queue.writeBuffer is queue-ordered, so a write lands after every step submitted before it; the plan
// submits the steps it has recorded and not submitted that read a buffer before that buffer is written.
import { layerCount, size, type ModelSpec } from '../model.ts';
import { HostCounters } from './counters.ts';
import type { Split, SplitData } from '../train/backend.ts';

/** Data bytes (x and y of every split) kept resident on the GPU by default. WebGPU does not say how
 *  much memory a device has, and maxBufferSize bounds one allocation, not the total, so the default is
 *  a fixed amount: well under what any WebGPU GPU has, and above MNIST's 60,000 training digits (188 MB). */
export const DEFAULT_DATA_BUDGET = 512 * 2 ** 20;

/** Where a plan keeps its data: every split resident, or every split streamed through two buffers of
 *  shardRows rows (a whole number of batches). */
export type DataLayout = { readonly mode: 'resident' } | { readonly mode: 'sharded'; readonly shardRows: number };

export interface BufferLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

/** Resident when every split's x and y each fit one storage buffer and all of them together fit
 *  `budget` bytes; sharded otherwise, with shards of as many whole batches as let both shard buffers
 *  fit the budget (at least one batch, at most the largest split, each buffer under the limits). */
export function dataLayout(
  spec: ModelSpec,
  rows: { readonly train: number; readonly test: number; readonly dev: number },
  maxBatch: number,
  limits: BufferLimits,
  budget = DEFAULT_DATA_BUDGET,
): DataLayout {
  if (!(budget > 0) || !Number.isFinite(budget))
    throw new Error(`data budget must be a positive number of bytes, got ${budget}`);
  const cols = size(spec, 0) + size(spec, layerCount(spec));
  const widest = Math.max(size(spec, 0), size(spec, layerCount(spec))) * 4;
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const splits = [rows.train, rows.test, rows.dev];
  const bytes = splits.reduce((a, n) => a + n * cols * 4, 0);
  if (bytes <= budget && splits.every((n) => n * widest <= limit)) return { mode: 'resident' };
  const batches = Math.min(
    Math.floor(budget / 2 / (maxBatch * cols * 4)),
    Math.floor(limit / (maxBatch * widest)),
    Math.ceil(Math.max(...splits) / maxBatch),
  );
  return { mode: 'sharded', shardRows: Math.max(1, batches) * maxBatch };
}

export interface ShardBuffers {
  readonly x: GPUBuffer;
  readonly y: GPUBuffer;
}

/** What a shard buffer holds: rows start..end of a split, in the training order of `version` (-1:
 *  in the split's own order, for evaluation). */
interface Held {
  readonly split: Split;
  readonly version: number;
  readonly start: number;
  readonly end: number;
}

/** The CPU side of streaming: the rows, the training order, what each shard buffer holds, and the
 *  uploads. `release(b)` is called before buffer b is overwritten (the plan submits the recorded steps
 *  that read it). */
export class ShardStream {
  private order: Uint32Array;
  private version = 0;
  private readonly held: (Held | undefined)[] = [undefined, undefined];
  /** The buffer the latest step or chunk reads: the next upload goes to the other one. */
  private reading = 1;
  private readonly stage: { x: Float32Array; y: Float32Array };

  constructor(
    private readonly queue: GPUQueue,
    readonly buffers: readonly [ShardBuffers, ShardBuffers],
    readonly shardRows: number,
    private readonly splits: Readonly<Record<Split, SplitData>>,
    private readonly cols: { readonly x: number; readonly y: number },
    private readonly release: (buffer: number) => void,
    private readonly counters = new HostCounters(),
  ) {
    this.order = Uint32Array.from({ length: splits.train.n }, (_, i) => i);
    this.stage = { x: new Float32Array(shardRows * cols.x), y: new Float32Array(shardRows * cols.y) };
  }

  /** The training order from now on (copied). */
  setOrder(order: Uint32Array): void {
    this.order = order.slice();
    this.version++;
  }

  /** The buffer holding training rows order[start..start+rows) and the first one's row in it; when
   *  neither does, the shard order[start..start+shardRows) is gathered and written first. */
  train(start: number, rows: number): { buffer: number; offset: number } {
    for (let b = 0; b < 2; b++) {
      const h = this.held[b];
      if (h && h.version === this.version && h.split === 'train' && h.start <= start && start + rows <= h.end) {
        this.reading = b;
        return { buffer: b, offset: start - h.start };
      }
    }
    const { x, y } = this.splits.train;
    const end = Math.min(start + this.shardRows, this.order.length);
    const nx = this.cols.x;
    const ny = this.cols.y;
    for (let r = 0; r < end - start; r++) {
      const i = this.order[start + r]!;
      this.stage.x.set(x.subarray(i * nx, (i + 1) * nx), r * nx);
      this.stage.y.set(y.subarray(i * ny, (i + 1) * ny), r * ny);
    }
    const b = this.write(this.stage.x, this.stage.y, end - start);
    this.held[b] = { split: 'train', version: this.version, start, end };
    return { buffer: b, offset: 0 };
  }

  /** Writes rows start..start+shardRows of a split (its own order) for evaluation; returns the buffer
   *  and the number of rows. */
  chunk(split: Split, start: number): { buffer: number; rows: number } {
    const d = this.splits[split];
    const end = Math.min(start + this.shardRows, d.n);
    const b = this.write(d.x.subarray(start * this.cols.x), d.y.subarray(start * this.cols.y), end - start);
    this.held[b] = { split, version: -1, start, end };
    return { buffer: b, rows: end - start };
  }

  private write(x: Float32Array, y: Float32Array, rows: number): number {
    const b = 1 - this.reading;
    this.release(b);
    const buf = this.buffers[b]!;
    this.queue.writeBuffer(buf.x, 0, x.buffer, x.byteOffset, rows * this.cols.x * 4);
    this.queue.writeBuffer(buf.y, 0, y.buffer, y.byteOffset, rows * this.cols.y * 4);
    this.counters.bufferWrites += 2;
    this.reading = b;
    return b;
  }
}
