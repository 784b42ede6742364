// A ready-to-encode kernel invocation: pipeline, bind group (built from the descriptor's bindings)
// and its own uniform buffer. Created once when a plan is built; per step only the uniform may change.
import { BufferArena } from './arena.ts';
import { KERNELS, bindGroupLayout, packUniform, pipeline, uniformBytes, type KernelId, type Workgroups } from './kernels.ts';

export type BufferRef = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

export class Dispatch {
  private last = '';
  private constructor(
    readonly id: KernelId,
    private readonly device: GPUDevice,
    private readonly pipe: GPUComputePipeline,
    private readonly bindGroup: GPUBindGroup,
    private readonly uniformBuffer: GPUBuffer,
  ) {}

  static async create(
    arena: BufferArena,
    id: KernelId,
    constants: Record<string, number>,
    buffers: Record<string, BufferRef>,
    uniform: Record<string, number>,
  ): Promise<Dispatch> {
    const desc = KERNELS[id];
    const device = arena.device;
    const pipe = await pipeline(device, desc, constants);
    const ubuf = arena.uniform(`${desc.name}.uniform`, uniformBytes(desc));
    const entries: GPUBindGroupEntry[] = desc.bindings.map((b) => {
      if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: ubuf } };
      const ref = buffers[b.name];
      if (!ref) throw new Error(`kernel ${desc.name} (${desc.entryPoint}): no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource: ref instanceof GPUBuffer ? { buffer: ref } : ref };
    });
    const bindGroup = device.createBindGroup({ label: `${desc.name}.${desc.entryPoint}`, layout: bindGroupLayout(device, desc), entries });
    const d = new Dispatch(id, device, pipe, bindGroup, ubuf);
    d.setUniform(uniform);
    return d;
  }

  /** Writes the uniform (queue-ordered, so earlier submitted work still sees the old values); skipped if unchanged. */
  setUniform(values: Record<string, number>): void {
    const key = JSON.stringify(values);
    if (key === this.last) return;
    this.last = key;
    this.device.queue.writeBuffer(this.uniformBuffer, 0, packUniform(KERNELS[this.id], values));
  }

  encode(pass: GPUComputePassEncoder, workgroups: Workgroups): void {
    pass.setPipeline(this.pipe);
    pass.setBindGroup(0, this.bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
  }
}
