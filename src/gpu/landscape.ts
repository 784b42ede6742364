// The loss landscape on the GPU: the mean cost of one model at many points θ + α·d1 + β·d2 in one
// dispatch (one workgroup a point; 41×41 = 1,681 for the app's surface): landscape.wgsl, the readable
// baseline, or landscape_vec4.wgsl (widths padded to 4, vec4 loads: the default, faster). Described as
// data like the fused plan (fused.ts): its buffers and its one op, which the device-limit check
// (limits.ts) reads before anything is allocated. Forward only, no training state: each call allocates,
// dispatches, reads the costs back and frees everything.
import { TrainerError } from '../errors.ts';
import { hasBatchNorm, layerCount, type ModelSpec, type Params } from '../model.ts';
import { BufferArena, readBuffer } from './arena.ts';
import type { GpuContext } from './device.ts';
import { Dispatch } from './dispatch.ts';
import { throwIfFailed, watch } from './error-watch.ts';
import { fusedWidths, packParams } from './fused.ts';
import { actConstants, pointWorkgroups } from './kernels.ts';
import { checkOneOp, type DeviceLimits } from './limits.ts';
import type { BufferSpec, OpSpec } from './plan-layout.ts';

/** Widest layer (inputs included) the kernel takes: a row's activations are private arrays of 64. */
export const LANDSCAPE_MAX_WIDTH = 64;
/** Most parameters (weights and biases) of a model: a point's weights sit in 15 KiB of workgroup memory. */
export const LANDSCAPE_MAX_PARAMS = 3840;
/** The uniform holds 16 widths n_0..n_L. */
export const LANDSCAPE_MAX_LAYERS = 15;
const LOSS_ID = { bce: 0, ce: 1, mse: 2 } as const;

/** The kernels: 'scalar' (landscape.wgsl) and 'vec4' (landscape_vec4.wgsl, widths padded to 4; the default). */
export type LandscapeVariant = 'scalar' | 'vec4';
const KERNEL = { scalar: 'landscape', vec4: 'landscapeVec4' } as const;

/** Layer widths as a variant lays them out (fused.ts's padding: to multiples of 4 for 'vec4'). */
export const landscapeWidths = (spec: ModelSpec, variant: LandscapeVariant = 'vec4'): number[] =>
  fusedWidths(spec, variant);

/** Parameters of a model as a kernel lays them out (per layer weights [out][in] then bias, padded widths). */
export function landscapeParamCount(spec: ModelSpec, variant: LandscapeVariant = 'vec4'): number {
  const w = landscapeWidths(spec, variant);
  let p = 0;
  for (let l = 0; l + 1 < w.length; l++) p += w[l + 1]! * (w[l]! + 1);
  return p;
}

/** Why a model is outside the kernel's envelope, or undefined when it is inside. */
export function landscapeRefusal(spec: ModelSpec): string | undefined {
  const L = layerCount(spec);
  if (L > LANDSCAPE_MAX_LAYERS) return `${L} layers, over the landscape kernel's ${LANDSCAPE_MAX_LAYERS}`;
  const wide = spec.sizes.findIndex((n) => n > LANDSCAPE_MAX_WIDTH);
  if (wide >= 0)
    return `width ${spec.sizes[wide]} at sizes[${wide}], over the landscape kernel's ${LANDSCAPE_MAX_WIDTH}`;
  const P = landscapeParamCount(spec);
  if (P > LANDSCAPE_MAX_PARAMS)
    return `${P} parameters (widths padded to 4), over the landscape kernel's ${LANDSCAPE_MAX_PARAMS}`;
  for (let l = 0; l < L; l++) if (hasBatchNorm(spec, l)) return 'batch norm (not in the landscape kernel)';
  return undefined;
}

export interface LandscapeParams {
  readonly spec: ModelSpec;
  /** Rows of x and y. */
  readonly n: number;
  /** Points (α, β). */
  readonly points: number;
  /** Default 'vec4'. */
  readonly variant?: LandscapeVariant;
}

export interface LandscapeLayout {
  readonly params: LandscapeParams;
  readonly buffers: readonly Omit<BufferSpec, 'fill'>[];
  readonly op: OpSpec;
}

/** The landscape as data: its buffers and its one op. */
export function landscapeLayout(p: LandscapeParams): LandscapeLayout {
  const { spec, n, points } = p;
  const variant = p.variant ?? 'vec4';
  const widths = landscapeWidths(spec, variant);
  const P = landscapeParamCount(spec, variant);
  const cols = spec.sizes[spec.sizes.length - 1]!;
  const buf = (name: string, floats: number): Omit<BufferSpec, 'fill'> => ({
    name,
    bytes: Math.max(16, floats * 4),
    usage: 'storage',
  });
  const buffers = [
    buf('basis', 3 * P),
    buf('coords', 2 * points),
    buf('x', n * widths[0]!),
    buf('y', n * cols),
    buf('cost', points),
  ];
  const dims = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`d${i}`, widths[i] ?? 0]));
  const op: OpSpec = {
    kernel: KERNEL[variant],
    constants: { ...actConstants(spec.activation), LOSS: LOSS_ID[spec.loss] },
    bindings: Object.fromEntries(buffers.map((b) => [b.name, b.name])),
    uniform: () => ({ n, points, layers: layerCount(spec), params: P, cols, pad0: 0, pad1: 0, pad2: 0, ...dims }),
    grid: () => pointWorkgroups(points),
    where: `landscape${variant === 'vec4' ? ' vec4' : ''} [${spec.sizes.join(',')}] × ${points} points over ${n} rows`,
  };
  return { params: p, buffers, op };
}

/** Throws TrainerError 'too-large' (outside the envelope, or past a device limit) for a layout. */
export function checkLandscape(layout: LandscapeLayout, limits: DeviceLimits, adapter: string): void {
  const { spec, n, points } = layout.params;
  const subject = `landscape [${spec.sizes.join(',')}]`;
  const why = landscapeRefusal(spec);
  if (why) throw new TrainerError('too-large', `${subject}: ${why}`);
  if (n < 1 || points < 1)
    throw new TrainerError('bad-input', `${subject}: ${n} rows and ${points} points, expected at least 1 of each`);
  checkOneOp(layout, n, limits, subject, adapter);
}

export interface LandscapeInput {
  readonly spec: ModelSpec;
  /** The plane: its centre θ and its directions. */
  readonly theta: Params;
  readonly d1: Params;
  readonly d2: Params;
  /** (α, β) per point. */
  readonly coords: Float32Array;
  /** Rows [n][n_0] (normalised as the model sees them) and targets [n][n_L] (one-hot, 0/1 or values). */
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
  /** Default 'vec4'. */
  readonly variant?: LandscapeVariant;
}

/** Rows of `cols` values each, widened to `width` with zeros (the vec4 kernel's padded inputs). */
function padRows(x: Float32Array, n: number, cols: number, width: number): Float32Array {
  if (width === cols) return x;
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) out.set(x.subarray(r * cols, (r + 1) * cols), r * width);
  return out;
}

/** The mean cost at every point, computed by one dispatch; GPU errors are thrown naming the kernel. */
export async function landscapeCosts(ctx: GpuContext, input: LandscapeInput): Promise<Float32Array> {
  const { spec, n } = input;
  const variant = input.variant ?? 'vec4';
  const points = input.coords.length / 2;
  const layout = landscapeLayout({ spec, n, points, variant });
  checkLandscape(layout, ctx.device.limits, ctx.adapterName);
  const [n0, cols] = [spec.sizes[0]!, spec.sizes[layerCount(spec)]!];
  for (const [name, got, want] of [
    ['x', input.x.length, n * n0],
    ['y', input.y.length, n * cols],
  ] as const)
    if (got !== want)
      throw new TrainerError('bad-input', `${layout.op.where}: ${name} has ${got} floats, expected ${want}`);
  const widths = landscapeWidths(spec, variant);
  const P = landscapeParamCount(spec, variant);
  const basis = new Float32Array(3 * P);
  [input.theta, input.d1, input.d2].forEach((p, k) => basis.set(packParams(p, widths), k * P));
  const data: Record<string, Float32Array> = {
    basis,
    coords: input.coords,
    x: padRows(input.x, n, n0, widths[0]!),
    y: input.y,
    cost: new Float32Array(points),
  };
  const device = ctx.device;
  const arena = new BufferArena(device, 'landscape');
  try {
    const buffers = Object.fromEntries(layout.buffers.map((b) => [b.name, arena.upload(b.name, data[b.name]!)]));
    const op = layout.op;
    const dispatch = await Dispatch.create(arena, op.kernel, { ...op.constants }, buffers, op.uniform(n, 0));
    const error = await watch(device, () => {
      const enc = device.createCommandEncoder({ label: 'landscape' });
      const pass = enc.beginComputePass({ label: 'landscape' });
      dispatch.encode(pass, op.grid(n));
      pass.end();
      device.queue.submit([enc.finish()]);
    });
    throwIfFailed(error, `kernel ${op.kernel} (${op.where})`);
    return new Float32Array(await readBuffer(device, buffers.cost!, points * 4));
  } finally {
    arena.destroy();
  }
}
