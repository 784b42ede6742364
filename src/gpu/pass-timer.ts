// Times compute passes: GPU time from timestamp-query where the device has it, else wall time from
// submit to onSubmittedWorkDone. Shared by the matmul autotune and the benchmark.
import type { BufferArena } from './arena.ts';
import type { GpuContext } from './device.ts';
import { GPUBufferUsage, GPUMapMode } from './flags.ts';

export class PassTimer {
  readonly timer: 'timestamp-query' | 'wall';
  private readonly qs: GPUQuerySet | undefined;
  private readonly resolve: GPUBuffer | undefined;
  private readonly read: GPUBuffer | undefined;

  /** Its buffers belong to `arena`; destroy() frees the query set. */
  constructor(
    private readonly ctx: GpuContext,
    arena: BufferArena,
  ) {
    const ts = ctx.features.includes('timestamp-query');
    this.timer = ts ? 'timestamp-query' : 'wall';
    this.qs = ts ? ctx.device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
    this.resolve = ts
      ? arena.create('timer.resolve', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC)
      : undefined;
    this.read = ts ? arena.create('timer.read', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST) : undefined;
  }

  /** Milliseconds of one compute pass whose dispatches `body` encodes. */
  async time(label: string, body: (pass: GPUComputePassEncoder) => void): Promise<number> {
    const { device } = this.ctx;
    const { qs, resolve, read } = this;
    const enc = device.createCommandEncoder({ label });
    const pass = enc.beginComputePass(
      qs
        ? { label, timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }
        : { label },
    );
    body(pass);
    pass.end();
    if (qs && resolve && read) {
      enc.resolveQuerySet(qs, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    const t = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t;
    if (!read) return wall;
    await read.mapAsync(GPUMapMode.READ);
    const [t0, t1] = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    return Number(t1! - t0!) / 1e6;
  }

  destroy(): void {
    this.qs?.destroy();
  }
}
