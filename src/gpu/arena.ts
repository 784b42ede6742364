// Owner of GPU buffers: everything a plan or a test creates goes through an arena, and destroy()
// frees it all (idempotently). Live counts are observable so tests can assert that nothing leaks.
import { GPUBufferUsage, GPUMapMode } from './flags.ts';

let liveBuffers = 0;
let liveBytes = 0;

/** Buffers alive across all arenas (created and not yet destroyed). */
export function liveBufferStats(): { buffers: number; bytes: number } {
  return { buffers: liveBuffers, bytes: liveBytes };
}

export class BufferArena {
  private readonly buffers = new Map<GPUBuffer, string>();
  constructor(
    readonly device: GPUDevice,
    readonly owner: string,
  ) {}

  /** Bytes this arena holds now (its own count: not a difference of the module-wide one, which other
   *  arenas change meanwhile). */
  get bytes(): number {
    let b = 0;
    for (const buf of this.buffers.keys()) b += buf.size;
    return b;
  }

  /** The buffers this arena holds, by label, in creation order. */
  list(): { name: string; bytes: number }[] {
    return [...this.buffers].map(([buf, name]) => ({ name, bytes: buf.size }));
  }

  create(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const limit = this.device.limits.maxBufferSize;
    const storageLimit = this.device.limits.maxStorageBufferBindingSize;
    const bytes = Math.max(16, Math.ceil(size / 4) * 4);
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    if (bytes > limit)
      throw new Error(
        `${this.owner}: buffer '${label}' needs ${bytes} bytes (${mib(bytes)}), over the adapter's maxBufferSize of ${limit} (${mib(limit)})`,
      );
    if (usage & GPUBufferUsage.STORAGE && bytes > storageLimit) {
      throw new Error(
        `${this.owner}: buffer '${label}' needs ${bytes} bytes (${mib(bytes)}), over the adapter's maxStorageBufferBindingSize of ${storageLimit} (${mib(storageLimit)})`,
      );
    }
    const buf = this.device.createBuffer({ label: `${this.owner}/${label}`, size: bytes, usage });
    this.buffers.set(buf, label);
    liveBuffers++;
    liveBytes += bytes;
    return buf;
  }

  /** A storage buffer holding `data`. */
  upload(label: string, data: Float32Array | Uint32Array, extraUsage: GPUBufferUsageFlags = 0): GPUBuffer {
    const buf = this.create(
      label,
      data.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage,
    );
    this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    return buf;
  }

  uniform(label: string, bytes = 16): GPUBuffer {
    return this.create(label, bytes, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  }

  release(buf: GPUBuffer): void {
    if (this.buffers.delete(buf)) {
      liveBuffers--;
      liveBytes -= buf.size;
      buf.destroy();
    }
  }

  get count(): number {
    return this.buffers.size;
  }

  destroy(): void {
    for (const b of [...this.buffers.keys()]) this.release(b);
  }
}

/** Copies a storage buffer's first `bytes` back to the CPU (creates and frees its own staging buffer). */
export async function readBuffer(
  device: GPUDevice,
  src: GPUBuffer,
  bytes = src.size,
  offset = 0,
): Promise<ArrayBuffer> {
  const arena = new BufferArena(device, 'readBuffer');
  try {
    const staging = arena.create('staging', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const enc = device.createCommandEncoder({ label: 'readBuffer' });
    enc.copyBufferToBuffer(src, offset, staging, 0, Math.ceil(bytes / 4) * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    return out;
  } finally {
    arena.destroy();
  }
}
