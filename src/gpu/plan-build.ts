// A plan's GPU objects, made from its layout (plan-layout.ts): one walk over the buffer list allocates
// every buffer through the arena and fills it, one walk over the op list compiles each pipeline and
// builds each bind group (a Dispatch per op, with one uniform copy per step of a submitted group).
// Nothing is decided here: what exists, how big, bound to what, is the layout's.
import type { SplitData, Split } from '../train/backend.ts';
import type { BufferArena } from './arena.ts';
import type { HostCounters } from './counters.ts';
import { Dispatch, type BufferRef } from './dispatch.ts';
import type { Workgroups } from './kernels.ts';
import type { BufferSpec, OpSpec, PlanLayout } from './plan-layout.ts';
import { GPUBufferUsage } from './flags.ts';

/** One kernel invocation of a step, with its uniform and grid for a row count and a uniform slot
 *  (what changes from step to step, the batch's start, t and the learning rates, is in the step
 *  table, not in the uniforms). `written` and `grids` cache, per slot, the row count the slot's
 *  uniform was last written for and its grid: a step with the row count of the last one writes no
 *  uniform and allocates nothing. */
export interface Op {
  readonly d: Dispatch;
  readonly uniform: (rows: number, slot: number) => Record<string, number>;
  readonly grid: (rows: number) => Workgroups;
  readonly written: number[];
  readonly grids: Workgroups[];
}

// Functions, not module constants: importing the library must not touch a GPU global (Node has none).
const usage = (b: BufferSpec) =>
  b.usage === 'storage'
    ? GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC
    : GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Allocates the layout's buffers in its order and writes what each holds at the start. */
export function allocateBuffers(
  arena: BufferArena,
  layout: PlanLayout,
  splits: Readonly<Record<Split, SplitData>>,
): Map<string, GPUBuffer> {
  const { queue } = arena.device;
  const buffers = new Map<string, GPUBuffer>();
  for (const b of layout.buffers) {
    const buffer = arena.create(b.name, b.bytes, usage(b));
    buffers.set(b.name, buffer);
    const data = contents(b, layout, splits);
    if (data && data.length > 0) queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }
  return buffers;
}

function contents(
  b: BufferSpec,
  layout: PlanLayout,
  splits: Readonly<Record<Split, SplitData>>,
): Float32Array | Uint32Array | undefined {
  const { fill } = b;
  if (fill.kind === 'zero') return undefined;
  if (fill.kind === 'values') return fill.values();
  const d = splits[fill.split];
  const sizes = layout.params.spec.sizes;
  const cols = fill.part === 'x' ? sizes[0]! : sizes[sizes.length - 1]!;
  const all = d[fill.part];
  if (all.length < d.n * cols)
    throw new Error(`plan: ${fill.split}.${fill.part} has ${all.length} values, fewer than ${d.n} rows × ${cols}`);
  return all.subarray(0, d.n * cols);
}

/** A Dispatch for every op of the layout, in its order. */
export async function createOps(
  arena: BufferArena,
  layout: PlanLayout,
  buffers: ReadonlyMap<string, GPUBuffer>,
  counters: HostCounters,
): Promise<Map<OpSpec, Op>> {
  const slots = layout.params.stepsPerSubmit;
  const buffer = (name: string): GPUBuffer => {
    const b = buffers.get(name);
    if (!b) throw new Error(`plan: no buffer '${name}' in the layout`);
    return b;
  };
  const ops = new Map<OpSpec, Op>();
  for (const spec of layout.ops) {
    const bound: Record<string, BufferRef> = {};
    for (const [name, ref] of Object.entries(spec.bindings))
      bound[name] = typeof ref === 'string' ? buffer(ref) : { ...ref, buffer: buffer(ref.buffer) };
    const d = await Dispatch.create(arena, spec.kernel, spec.constants, bound, spec.uniform(1, 0), slots, counters);
    ops.set(spec, {
      d,
      uniform: spec.uniform,
      grid: spec.grid,
      written: new Array<number>(slots).fill(-1),
      grids: new Array<Workgroups>(slots),
    });
  }
  return ops;
}
