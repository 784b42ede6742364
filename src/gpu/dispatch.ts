// A ready-to-encode kernel invocation: pipeline, bind group (built from the descriptor's bindings)
// and its own uniform buffer. Created once when a plan is built; per step only the uniform may change.
// With several slots the uniform buffer holds one copy per slot, each with its own bind group, so one
// command buffer can run the kernel several times with different values (several steps per submit).
import { BufferArena } from './arena.ts';
import { HostCounters } from './counters.ts';
import {
  KERNELS,
  bindGroupLayout,
  packUniform,
  pipeline,
  uniformBytes,
  type KernelDesc,
  type KernelId,
  type Workgroups,
} from './kernels.ts';

export type BufferRef = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

export class Dispatch {
  /** Last values written to each slot (a write is skipped when unchanged). */
  private readonly last: string[];
  private constructor(
    readonly id: KernelId,
    private readonly device: GPUDevice,
    private readonly pipe: GPUComputePipeline,
    private readonly bindGroups: GPUBindGroup[],
    private readonly uniformBuffer: GPUBuffer,
    private readonly stride: number,
    private readonly counters: HostCounters,
  ) {
    this.last = bindGroups.map(() => '');
  }

  get slots(): number {
    return this.bindGroups.length;
  }

  static async create(
    arena: BufferArena,
    id: KernelId,
    constants: Record<string, number>,
    buffers: Record<string, BufferRef>,
    uniform: Record<string, number>,
    slots = 1,
    counters = new HostCounters(),
  ): Promise<Dispatch> {
    const desc: KernelDesc = KERNELS[id];
    const device = arena.device;
    if (!Number.isInteger(slots) || slots < 1)
      throw new Error(`kernel ${desc.name}: uniform slots must be a positive integer, got ${slots}`);
    const pipe = await pipeline(device, desc, constants);
    // One buffer for every slot; each slot starts at an offset a uniform binding may start at.
    const bytes = uniformBytes(desc);
    const align = device.limits.minUniformBufferOffsetAlignment;
    const stride = Math.ceil(bytes / align) * align;
    const ubuf = arena.uniform(`${desc.name}.uniform`, stride * (slots - 1) + bytes);
    const layout = bindGroupLayout(device, desc);
    const bindGroups = Array.from({ length: slots }, (_, slot) => {
      const entries: GPUBindGroupEntry[] = desc.bindings.map((b) => {
        if (b.kind === 'uniform')
          return { binding: b.binding, resource: { buffer: ubuf, offset: slot * stride, size: bytes } };
        // A binding this view never reads gets the buffer of the binding its descriptor names.
        const name = desc.unused?.[b.name] ?? b.name;
        const ref = buffers[name];
        if (!ref) throw new Error(`kernel ${desc.name} (${desc.entryPoint}): no buffer given for binding '${name}'`);
        // A plain GPUBuffer has no `buffer` field (no global GPUBuffer class to test against: Dawn in Node has none).
        return { binding: b.binding, resource: 'buffer' in ref ? ref : { buffer: ref } };
      });
      return device.createBindGroup({
        label: `${desc.name}.${desc.entryPoint}${slots > 1 ? ` slot ${slot}` : ''}`,
        layout,
        entries,
      });
    });
    const d = new Dispatch(id, device, pipe, bindGroups, ubuf, stride, counters);
    for (let slot = 0; slot < slots; slot++) d.setUniform(uniform, slot);
    return d;
  }

  /** Writes the uniform of one slot (queue-ordered, so earlier submitted work still sees the old
   *  values); skipped if unchanged. */
  setUniform(values: Record<string, number>, slot = 0): void {
    this.checkSlot(slot);
    const key = JSON.stringify(values);
    if (key === this.last[slot]) return;
    this.last[slot] = key;
    this.counters.bufferWrites++;
    this.device.queue.writeBuffer(this.uniformBuffer, slot * this.stride, packUniform(KERNELS[this.id], values));
  }

  /** Records the kernel, reading the uniform of `slot`. */
  encode(pass: GPUComputePassEncoder, workgroups: Workgroups, slot = 0): void {
    this.checkSlot(slot); // before recording anything
    pass.setPipeline(this.pipe);
    pass.setBindGroup(0, this.bindGroups[slot]!);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    this.counters.bindGroupSets++;
    this.counters.dispatches++;
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.bindGroups.length)
      throw new Error(`kernel ${KERNELS[this.id].name}: uniform slot ${slot} outside 0..${this.bindGroups.length - 1}`);
  }
}
