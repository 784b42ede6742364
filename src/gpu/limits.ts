// A plan checked against the device's limits before anything is allocated. WebGPU answers a dispatch
// past a limit with a validation error and does not run it; nobody reads that error inside a training
// step, so the step would go on from buffers nothing wrote and print numbers computed from nothing.
// Every buffer and every op of the layout (plan-layout.ts) is compared with the limits here instead,
// and what does not fit is refused with TrainerError 'too-large' naming the buffer or the layer, the
// kernel, the figure and the limit. The grids that can be split already are by the layout: every
// one-thread-per-element, -row or -column kernel folds its 1-D range into 2-D (kernels.ts
// foldedWorkgroups), and the blocked and vec4 matmuls pick a tiling of the models that fits. A matmul's
// tiles along one dimension of its output cannot be split without changing the kernel, and are refused.
import { TrainerError } from '../errors.ts';
import { KERNELS, uniformBytes, type KernelId } from './kernels.ts';
import type { BufferSpec, OpSpec, PlanLayout } from './plan-layout.ts';
import { workgroupShape } from './workgroup.ts';

/** The limits a plan is checked against. GPUSupportedLimits has them all; a field left out is taken
 *  at WebGPU's default (what every adapter supports and a device gets unless it asks for more). */
export interface DeviceLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly minStorageBufferOffsetAlignment?: number;
  readonly minUniformBufferOffsetAlignment?: number;
  readonly maxUniformBufferBindingSize?: number;
  readonly maxStorageBuffersPerShaderStage?: number;
  readonly maxUniformBuffersPerShaderStage?: number;
  readonly maxBindingsPerBindGroup?: number;
  readonly maxComputeWorkgroupsPerDimension?: number;
  readonly maxComputeInvocationsPerWorkgroup?: number;
  readonly maxComputeWorkgroupSizeX?: number;
  readonly maxComputeWorkgroupSizeY?: number;
  readonly maxComputeWorkgroupSizeZ?: number;
  readonly maxComputeWorkgroupStorageSize?: number;
}

/** WebGPU's default limits (the specification's table). */
export const DEFAULT_LIMITS: Required<DeviceLimits> = {
  maxBufferSize: 268435456,
  maxStorageBufferBindingSize: 134217728,
  minStorageBufferOffsetAlignment: 256,
  minUniformBufferOffsetAlignment: 256,
  maxUniformBufferBindingSize: 65536,
  maxStorageBuffersPerShaderStage: 8,
  maxUniformBuffersPerShaderStage: 12,
  maxBindingsPerBindGroup: 1000,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupStorageSize: 16384,
};

/** A limit of `limits`, or WebGPU's default when it is left out. Read field by field: a
 *  GPUSupportedLimits has its fields as getters, which spreading the object would not copy. */
export function limit(limits: DeviceLimits, name: keyof DeviceLimits): number {
  return limits[name] ?? DEFAULT_LIMITS[name];
}

/** How a refusal is worded: what is refused ("plan [2,8,1] batch 32"), whose limits ("the adapter",
 *  "google swiftshader") and how bytes are written. */
export interface LimitWording {
  readonly subject: string;
  readonly adapter: string;
  readonly bytes: (n: number) => string;
}

export function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = b / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Throws TrainerError 'too-large' for the first buffer or op of the layout past a limit. */
export function checkLimits(layout: PlanLayout, limits: DeviceLimits, wording: LimitWording): void {
  checkBuffers(layout.buffers, limits, wording);
  checkOps(layout.ops, layout.params.stepsPerSubmit, layout.params.maxBatch, limits, wording);
}

/** Throws TrainerError 'too-large' for the first buffer of a one-kernel layout past a limit, then for
 *  its op (one uniform slot, its grid at `rows` rows); the message names `subject` and the adapter. */
export function checkOneOp(
  layout: { readonly buffers: readonly Pick<BufferSpec, 'name' | 'bytes' | 'usage'>[]; readonly op: OpSpec },
  rows: number,
  limits: DeviceLimits,
  subject: string,
  adapter: string,
): void {
  const wording = { subject, adapter, bytes: formatBytes };
  checkBuffers(layout.buffers, limits, wording);
  checkOps([layout.op], 1, rows, limits, wording);
}

/** Throws TrainerError 'too-large' for the first op whose kernel (bindings, workgroup shape and
 *  memory, uniform for `slots` steps per submit) or grid at `maxBatch` rows is past a limit. */
export function checkOps(
  ops: readonly OpSpec[],
  slots: number,
  maxBatch: number,
  limits: DeviceLimits,
  wording: LimitWording,
): void {
  const refuse: Refuse = (text, name, max, unit = String) => {
    throw new TrainerError(
      'too-large',
      `${wording.subject}: ${text}, over ${wording.adapter}'s ${name} of ${unit(max)}`,
    );
  };
  const kernels = new Set<KernelId>();
  for (const op of ops) {
    if (!kernels.has(op.kernel)) {
      kernels.add(op.kernel);
      checkKernel(op, slots, limits, wording.bytes, refuse);
    }
    checkGrid(op, maxBatch, limits, refuse);
  }
}

/** Refuses: `text` says what needs how much ("buffer 'A1' needs 1.19 GiB"), `name` the limit. */
type Refuse = (text: string, name: keyof DeviceLimits, max: number, unit?: (n: number) => string) => never;

/** Throws TrainerError 'too-large' for the first buffer past maxBufferSize or, for a storage buffer,
 *  which kernels bind whole or a tensor at a time, past maxStorageBufferBindingSize (the smaller of the
 *  two limits is named). */
export function checkBuffers(
  buffers: readonly Pick<BufferSpec, 'name' | 'bytes' | 'usage'>[],
  limits: DeviceLimits,
  wording: LimitWording,
): void {
  const maxBuffer = limit(limits, 'maxBufferSize');
  const maxBinding = limit(limits, 'maxStorageBufferBindingSize');
  for (const b of buffers) {
    const name = b.usage === 'storage' && maxBinding < maxBuffer ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    const max = name === 'maxBufferSize' ? maxBuffer : maxBinding;
    if (b.bytes > max)
      throw new TrainerError(
        'too-large',
        `${wording.subject}: buffer '${b.name}' needs ${wording.bytes(b.bytes)}, over ${wording.adapter}'s ${name} of ${wording.bytes(max)}`,
      );
  }
}

/** What the kernel itself asks of the device, the same at every size: bindings, workgroup shape and
 *  memory, and its uniform (one copy per step of a submitted group). */
function checkKernel(
  op: OpSpec,
  slots: number,
  limits: DeviceLimits,
  bytes: (n: number) => string,
  refuse: Refuse,
): void {
  const desc = KERNELS[op.kernel];
  const check = (figure: number, name: keyof DeviceLimits, text: string, unit?: (n: number) => string) => {
    const max = limit(limits, name);
    if (figure > max) refuse(`${op.where}: kernel ${op.kernel} ${text}`, name, max, unit);
  };
  const storage = desc.bindings.filter((b) => b.kind !== 'uniform').length;
  const uniforms = desc.bindings.length - storage;
  const slotsNeeded = Math.max(...desc.bindings.map((b) => b.binding)) + 1; // bindings are numbered from 0
  check(storage, 'maxStorageBuffersPerShaderStage', `binds ${storage} storage buffers`);
  check(uniforms, 'maxUniformBuffersPerShaderStage', `binds ${uniforms} uniform buffers`);
  check(slotsNeeded, 'maxBindingsPerBindGroup', `numbers its bindings up to ${slotsNeeded - 1}`);
  const { size, storageBytes } = workgroupShape(op.kernel);
  const names = ['maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ'] as const;
  size.forEach((n, i) => check(n, names[i]!, `has a workgroup size of ${n} along ${'xyz'[i]}`));
  const invocations = size[0] * size[1] * size[2];
  check(invocations, 'maxComputeInvocationsPerWorkgroup', `runs ${invocations} invocations per workgroup`);
  const memory = `declares ${bytes(storageBytes)} of workgroup memory`;
  check(storageBytes, 'maxComputeWorkgroupStorageSize', memory, bytes);
  const uniform = uniformBytes(desc);
  check(uniform, 'maxUniformBufferBindingSize', `has a uniform of ${bytes(uniform)}`, bytes);
  const align = limit(limits, 'minUniformBufferOffsetAlignment');
  const all = Math.ceil(uniform / align) * align * (slots - 1) + uniform;
  check(all, 'maxBufferSize', `needs a uniform buffer of ${bytes(all)} for ${slots} steps per submit`, bytes);
}

/** The grid at the largest row count the op will see: a step and an evaluation chunk have at most
 *  maxBatch rows, and what fits at maxBatch fits at fewer (every grid grows with the rows but the
 *  matmuls' model tiling, which picks a layout that fits whenever one does, and the layout that fits
 *  at maxBatch fits at fewer rows too). */
function checkGrid(op: OpSpec, maxBatch: number, limits: DeviceLimits, refuse: Refuse): void {
  const max = limit(limits, 'maxComputeWorkgroupsPerDimension');
  op.grid(maxBatch).forEach((n, i) => {
    if (n > max)
      refuse(
        `${op.where}: kernel ${op.kernel} needs ${n} workgroups along ${'xyz'[i]}`,
        'maxComputeWorkgroupsPerDimension',
        max,
      );
  });
}
