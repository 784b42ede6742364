// Asynchronous read-back of small result buffers (loss and accuracy sums). Each request copies into
// its own mappable staging buffer, taken from a pool, so a request never waits for an earlier one and
// never stalls the queue: the trainer keeps submitting steps while the map is pending.
import type { BufferArena } from './arena.ts';
import { GPUBufferUsage, GPUMapMode } from './flags.ts';

export class ReadbackPool {
  private readonly free: GPUBuffer[] = [];
  /** `preallocate` staging buffers are made up front (as many as the training loop keeps in flight:
   *  two periods' statistics, and evaluations where they share the pool), so steady-state training
   *  allocates nothing; the pool grows only if more overlap. */
  constructor(
    private readonly arena: BufferArena,
    private readonly bytes: number,
    preallocate = 2,
  ) {
    for (let i = 0; i < preallocate; i++) this.free.push(this.make());
  }

  private make(): GPUBuffer {
    return this.arena.create('readback', this.bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /** Encodes a copy of `src` into a staging buffer; call the returned function after submitting `enc`. */
  copy(enc: GPUCommandEncoder, src: GPUBuffer): () => Promise<Float32Array> {
    const staging = this.free.pop() ?? this.make();
    enc.copyBufferToBuffer(src, 0, staging, 0, this.bytes);
    return async () => {
      await staging.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      this.free.push(staging);
      return out;
    };
  }
}
