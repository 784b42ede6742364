// The fused path for small nets: whole training steps, several per dispatch, one workgroup per model
// (shaders/fused_step.wgsl; design, envelope and figures in docs/fused-plan.md). Described as data like
// the layered plan (plan-layout.ts): a list of buffers and one op per submitted group, which the
// device-limit check (limits.ts) reads before anything is allocated and the builder below allocates.
import { TrainerError } from '../errors.ts';
import {
  BN_EPSILON,
  BN_MOMENTUM,
  forwardMacs,
  hasBatchNorm,
  layerCount,
  size,
  type BatchNormTensors,
  type ModelSpec,
  type Params,
} from '../model.ts';
import type { TrainConfig } from '../train/backend.ts';
import { BufferArena, readBuffer } from './arena.ts';
import { HostCounters } from './counters.ts';
import { Dispatch } from './dispatch.ts';
import { cpuEmulated, type GpuContext } from './device.ts';
import { OPT_ID, actConstants } from './kernels.ts';
import { checkOneOp, type DeviceLimits } from './limits.ts';
import type { BufferSpec, OpSpec } from './plan-layout.ts';
import { MODEL_BYTES, StepTable, modelConstants, packModels } from './step-table.ts';
import { GPUBufferUsage } from './flags.ts';

/** Widest layer (inputs included) the fused path takes: a row's thread does Σ n_l·n_{l+1}
 *  multiply-adds a step, and a 64×64 layer's 4160 parameters over 64 threads are 65 sums each. */
export const FUSED_MAX_WIDTH = 64;
/** The kernel's uniform holds 16 widths n_0..n_L. */
export const FUSED_MAX_LAYERS = 15;
/** The fused kernels' LOSS override (as loss.wgsl's entry points). */
export const LOSS_ID = { bce: 0, ce: 1, mse: 2 } as const;

/** Why a configuration is outside the fused envelope, or undefined when it is inside. */
export function fusedRefusal(spec: ModelSpec, configs: readonly TrainConfig[]): string | undefined {
  const L = layerCount(spec);
  if (L > FUSED_MAX_LAYERS) return `${L} layers, over the fused kernel's ${FUSED_MAX_LAYERS}`;
  const wide = spec.sizes.findIndex((n) => n > FUSED_MAX_WIDTH);
  if (wide >= 0) return `width ${spec.sizes[wide]} at sizes[${wide}], over the fused kernel's ${FUSED_MAX_WIDTH}`;
  const kinds = new Set(configs.map((c) => c.optimizer));
  if (kinds.size > 1) return `models with different optimizers (${[...kinds].join(', ')})`;
  return undefined;
}

/** The kernels of the fused step: 'scalar' (fused_step.wgsl, the readable baseline), 'vec4'
 *  (fused_step_vec4.wgsl: widths padded to multiples of 4, vec4 loads; the default) and 'lane'
 *  (fused_step_lane.wgsl: the vec4 step with one invocation a model and no barrier; the vec4 layout). */
export type FusedVariant = 'scalar' | 'vec4' | 'lane';
const FUSED_KERNEL = { scalar: 'fusedStep', vec4: 'fusedStepVec4', lane: 'fusedStepLane' } as const;

/** Whether a variant pads widths to multiples of 4 and binds vec4 arrays (the vec4 layout). */
const padded = (variant: FusedVariant): boolean => variant !== 'scalar';

/** Layer widths as a variant lays them out: padded to multiples of 4 for 'vec4' and 'lane'. */
export function fusedWidths(spec: ModelSpec, variant: FusedVariant = 'vec4'): number[] {
  return spec.sizes.map((n) => (padded(variant) ? Math.ceil(n / 4) * 4 : n));
}

/** Padded widths of the batch-normalised layers' outputs (hidden layers 1..L-1 when spec.batchNorm). */
const bnWidths = (spec: ModelSpec, w: readonly number[]): number[] =>
  w.slice(1, -1).filter((_, l) => hasBatchNorm(spec, l));

/** Floats of one model's parameters (weights [out][in] then bias, layer by layer, padded widths), then
 *  with batch norm each hidden layer's γ, β, running mean and running var. */
export function fusedParamCount(spec: ModelSpec, variant: FusedVariant = 'vec4'): number {
  const w = fusedWidths(spec, variant);
  let p = 0;
  for (let l = 0; l + 1 < w.length; l++) p += w[l + 1]! * (w[l]! + 1);
  return p + 4 * bnWidths(spec, w).reduce((a, n) => a + n, 0);
}

/** Floats of one model's scratch: activations of layers 0..L and dZ of 1..L for `batch` rows, then
 *  the rows' (loss, correct) pairs (a vec4 each for 'vec4'), then with batch norm each hidden layer's
 *  Ẑ for `batch` rows and its 1/√(σ² + ε). */
export function fusedScratchCount(spec: ModelSpec, batch: number, variant: FusedVariant = 'vec4'): number {
  const w = fusedWidths(spec, variant);
  const widths = w.reduce((a, n) => a + n, 0);
  const bn = bnWidths(spec, w).reduce((a, n) => a + (batch + 1) * n, 0);
  return batch * (widths + widths - w[0]! + (padded(variant) ? 4 : 2)) + bn;
}

/** The fused kernels' batch-norm overrides (fused_step_vec4.wgsl) for a spec: none without batch norm. */
export const bnConstants = (spec: ModelSpec): Record<string, number> =>
  layerCount(spec) > 1 && spec.batchNorm === true ? { BN: 1, BN_EPS: BN_EPSILON, BN_MOMENTUM } : {};

/** Multiply-adds of a step (batch × Σ n_l·n_{l+1} on padded widths) up to which a CPU-emulated adapter
 *  gets the vec4 kernel's small workgroup. */
export const FUSED_SMALL_WORK = 1 << 17;

/** Invocations of the vec4 kernel's workgroup (its WG override; at most the shader's default 64). On a
 *  CPU emulation of Vulkan (SwiftShader) a workgroup's 4-wide subgroups run as coroutines switched at
 *  every barrier, and spread over the cores: for a small step the switches cost more than the
 *  spreading gains, so 8 invocations (moons b32 ~1.4×, [30,16,8,1] b64 ~2.7× faster than 64); for a
 *  big one 64 (the envelope's edge [64,64,64,10] b64: 2× faster than 8). Figures and the threshold's
 *  measured points: docs/fused-plan.md. Elsewhere (GPUs) 64. Results are the same for every value. */
export function fusedWorkgroupSize(
  spec: ModelSpec,
  batch: number,
  adapterName: string,
  variant: FusedVariant = 'vec4',
): number {
  if (!cpuEmulated(adapterName)) return 64;
  if (variant === 'lane') return FUSED_LANE_WORKGROUP;
  return batch * forwardMacs(fusedWidths(spec, 'vec4')) <= FUSED_SMALL_WORK ? 8 : 64;
}

/** Models side by side from which a CPU-emulated adapter trains them with the lane kernel. Against the
 *  vec4 kernel on moons (docs/fused-plan.md): 0.44× at 2 models and 1.5× at 4 under load, 0.63× at 4
 *  and 1.14× at 32 on a quiet machine; results are the same bits either way. */
export const FUSED_LANE_MIN_MODELS = 4;
/** Multiply-adds of a step (batch × Σ n_l·n_{l+1} on padded widths) up to which the lane kernel serves a
 *  CPU-emulated adapter: one invocation does a model's whole step, so its cost grows with the step's
 *  work where the vec4 kernel's spreads it. Measured points (docs/fused-plan.md): moons b32 12k (lane
 *  1.5× the vec4 kernel at 4 models, 1.25–1.8× at 32), [30,16,8,1] b64
 *  43k (lane = vec4 at 8 models, both 0.77× the layered plan), the edge [64,64,64,10] b64 573k (lane 5×
 *  slower alone). */
export const FUSED_LANE_MAX_WORK = 1 << 14;
/** The lane kernel's workgroup on a CPU-emulated adapter: one SwiftShader subgroup, 4 lanes = 4 models
 *  (1 a workgroup leaves 3 of its 4 lanes idle: 4× slower at 32 models). */
export const FUSED_LANE_WORKGROUP = 4;

/** The fused kernel for `models` side by side on an adapter, from the adapter, the step's size and the
 *  model count only (never a timing). On a CPU emulation of Vulkan a workgroup's barriers switch its subgroups'
 *  coroutines, and a second workgroup in the dispatch puts them on the worker threads' schedule: one
 *  vec4 model costs ~0.3 ms a moons step alone, but ~0.45 ms a model-step from 2 models on, more than
 *  the layered plan's many-model dispatches. The lane kernel (no barrier, 4 models a subgroup) costs
 *  ~0.8–0.9 ms for 1 to 4 models and ~0.27 ms a model-step at 32 (docs/fused-plan.md, "The lane
 *  kernel"), for a small step (laneSized). GPUs keep the workgroup kernel. */
export function fusedVariant(spec: ModelSpec, batch: number, models: number, adapterName: string): FusedVariant {
  return models >= FUSED_LANE_MIN_MODELS && laneSized(spec, batch, adapterName) ? 'lane' : 'vec4';
}

/** Whether the lane kernel serves this net and batch on this adapter (a CPU-emulated one, a step of at
 *  most FUSED_LANE_MAX_WORK), for 4 models or more. */
export function laneSized(spec: ModelSpec, batch: number, adapterName: string): boolean {
  return cpuEmulated(adapterName) && batch * forwardMacs(fusedWidths(spec, 'vec4')) <= FUSED_LANE_MAX_WORK;
}

export interface FusedParams {
  readonly spec: ModelSpec;
  readonly configs: readonly TrainConfig[];
  readonly batch: number;
  /** Rows of the resident training split. */
  readonly n: number;
  readonly stepsPerSubmit: number;
  readonly regression: boolean;
  /** Default 'vec4' (FusedTrainer.create picks fusedVariant). */
  readonly variant?: FusedVariant;
  /** The vec4 or lane kernel's workgroup size (default 64; FusedTrainer.create picks fusedWorkgroupSize). */
  readonly workgroupSize?: number;
}

export interface FusedLayout {
  readonly params: FusedParams;
  readonly buffers: readonly Omit<BufferSpec, 'fill'>[];
  readonly op: OpSpec;
}

/** A storage buffer of the fused kernels' layouts (the step's, the evaluation's): `floats` floats. */
export const fusedBuffer = (name: string, floats: number): Omit<BufferSpec, 'fill'> => ({
  name,
  bytes: Math.max(16, floats * 4),
  usage: 'storage',
});

/** The uniform's layer widths d0..d15 (0 past the last layer), as the fused kernels read them. */
export const fusedDims = (spec: ModelSpec): Record<string, number> =>
  Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`d${i}`, spec.sizes[i] ?? 0]));

/** A fused layout's buffers created in `arena`, by name (storage, copied to and from). */
export function createFusedBuffers(
  arena: BufferArena,
  buffers: readonly Pick<BufferSpec, 'name' | 'bytes'>[],
): Record<string, GPUBuffer> {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  return Object.fromEntries(buffers.map((b) => [b.name, arena.create(b.name, b.bytes, usage)]));
}

/** The fused plan as data: its buffers and its one op (steps = the group's length, set per run). */
export function fusedLayout(p: FusedParams): FusedLayout {
  const { spec, configs, batch, n } = p;
  const models = configs.length;
  const variant = p.variant ?? 'vec4';
  const P = fusedParamCount(spec, variant);
  const S = fusedScratchCount(spec, batch, variant);
  const unit = padded(variant) ? 4 : 1; // the kernel's strides count vec4s or floats
  const wg = p.workgroupSize ?? 64;
  if (!Number.isInteger(wg) || wg < 1 || wg > 64)
    throw new Error(
      `fused: workgroupSize ${wg}, expected 1..64 (the vec4 kernel's default, which the limit check reads)`,
    );
  const table = new StepTable(p.stepsPerSubmit, configs.map(modelConstants));
  const buf = fusedBuffer;
  const buffers = [
    buf('x', n * spec.sizes[0]!),
    buf('y', n * spec.sizes[spec.sizes.length - 1]!),
    buf('index', models * n),
    buf('state', models * 4 * P),
    buf('scratch', models * S),
    buf('stats', models * p.stepsPerSubmit * 2),
    buf('table', table.bytes(p.stepsPerSubmit) / 4),
    buf('models', (models * MODEL_BYTES) / 4),
  ];
  const dims = fusedDims(spec);
  const op: OpSpec = {
    kernel: FUSED_KERNEL[variant],
    constants: {
      ...actConstants(spec.activation),
      LOSS: LOSS_ID[spec.loss],
      REGRESSION: Number(p.regression),
      OPT: OPT_ID[configs[0]!.optimizer],
      // Dropout's masks when any model drops units (a model with keepProb 1 keeps every unit, factor 1).
      DROPOUT: Number(configs.some((c) => c.keepProb < 1)),
      ...bnConstants(spec),
      ...(padded(variant) ? { WG: wg } : {}),
    },
    bindings: Object.fromEntries(buffers.map((b) => [b.name, b.name])),
    uniform: (steps) => ({
      steps,
      row0: 0,
      block_rows: table.blockRows,
      batch,
      n,
      s_index: n,
      s_state: (4 * P) / unit,
      s_scratch: S / unit,
      s_stats: p.stepsPerSubmit,
      layers: layerCount(spec),
      params: P / unit,
      models,
      ...dims,
    }),
    // A workgroup a model; the lane kernel: an invocation a model.
    grid: () => [variant === 'lane' ? Math.ceil(models / wg) : models, 1, 1],
    where: `fused [${spec.sizes.join(',')}] batch ${batch} × ${models} model${models > 1 ? 's' : ''}`,
  };
  return { params: p, buffers, op };
}

/** Throws TrainerError 'too-large' (outside the envelope, or past a device limit) for a layout. */
export function checkFused(layout: FusedLayout, limits: DeviceLimits, adapter: string): void {
  const { spec, configs } = layout.params;
  const subject = `fused plan [${spec.sizes.join(',')}] batch ${layout.params.batch}`;
  const why =
    fusedRefusal(spec, configs) ??
    (layout.params.variant === 'scalar' && bnConstants(spec).BN
      ? "batch norm (in the 'vec4' and 'lane' kernels, not the scalar one)"
      : undefined);
  if (why) throw new TrainerError('too-large', `${subject}: ${why}`);
  checkOneOp(layout, layout.params.batch, limits, subject, adapter);
}

/** One step of a group: the batch's first row in the order, t (from 1) and each model's lr. */
export interface FusedStepValues {
  readonly start: number;
  readonly t: number;
  readonly lrs: ArrayLike<number>;
}

export interface FusedInit extends FusedParams {
  /** One model's initial parameters per config. */
  readonly init: readonly Params[];
  readonly x: Float32Array;
  readonly y: Float32Array;
}

/** Per model, per step of the last group: (loss sum over the rows plus the L2 term, correct). */
export type FusedStats = { readonly lossSum: number; readonly correct: number }[][];

/** The fused plan on a device: buffers, the one dispatch, and read-back of what a test compares. */
export class FusedTrainer {
  private readonly table: StepTable;
  private lastSteps = 0;

  private constructor(
    private readonly ctx: GpuContext,
    readonly layout: FusedLayout,
    private readonly arena: BufferArena,
    private readonly buffers: Readonly<Record<string, GPUBuffer>>,
    private readonly dispatch: Dispatch,
    readonly counters: HostCounters,
  ) {
    const p = layout.params;
    this.table = new StepTable(p.stepsPerSubmit, p.configs.map(modelConstants));
  }

  static async create(ctx: GpuContext, init: FusedInit): Promise<FusedTrainer> {
    const variant = init.variant ?? fusedVariant(init.spec, init.batch, init.configs.length, ctx.adapterName);
    const layout = fusedLayout({
      ...init,
      variant,
      workgroupSize: init.workgroupSize ?? fusedWorkgroupSize(init.spec, init.batch, ctx.adapterName, variant),
    });
    checkFused(layout, ctx.device.limits, ctx.adapterName);
    const arena = new BufferArena(ctx.device, 'fused');
    try {
      const buffers = createFusedBuffers(arena, layout.buffers);
      const q = ctx.device.queue;
      q.writeBuffer(buffers.x!, 0, init.x);
      q.writeBuffer(buffers.y!, 0, init.y);
      q.writeBuffer(buffers.models!, 0, packModels(init.configs.map(modelConstants)));
      const widths = fusedWidths(init.spec, variant);
      const P = fusedParamCount(init.spec, variant);
      init.init.forEach((params, m) => q.writeBuffer(buffers.state!, m * 4 * P * 4, packParams(params, widths)));
      const op = layout.op;
      const counters = new HostCounters();
      const dispatch = await Dispatch.create(
        arena,
        op.kernel,
        { ...op.constants },
        buffers,
        op.uniform(1, 0),
        1,
        counters,
      );
      const t = new FusedTrainer(ctx, layout, arena, buffers, dispatch, counters);
      for (let m = 0; m < init.configs.length; m++)
        t.setOrder(
          Uint32Array.from({ length: init.n }, (_, i) => i),
          m,
        );
      return t;
    } catch (e) {
      arena.destroy();
      throw e;
    }
  }

  /** Model m's order of the training rows (a step's batch is rows start.. of it). */
  setOrder(order: Uint32Array, model = 0): void {
    const n = this.layout.params.n;
    if (order.length !== n) throw new Error(`fused: order has ${order.length} rows, the split ${n}`);
    this.ctx.device.queue.writeBuffer(this.buffers.index!, model * n * 4, order);
  }

  /** Encodes and submits one dispatch running `steps` (at most stepsPerSubmit) back to back. */
  run(steps: readonly FusedStepValues[], after?: (enc: GPUCommandEncoder) => void): void {
    const p = this.layout.params;
    if (steps.length < 1 || steps.length > p.stepsPerSubmit)
      throw new Error(`fused: ${steps.length} steps in one group, expected 1..${p.stepsPerSubmit}`);
    steps.forEach((s, k) => this.table.set(k, s.start, s.t, Math.min(p.batch, p.n - s.start), s.lrs));
    const q = this.ctx.device.queue;
    q.writeBuffer(this.buffers.table!, 0, this.table.u32, 0, this.table.bytes(steps.length) / 4);
    this.counters.bufferWrites++;
    this.dispatch.setUniform(this.layout.op.uniform(steps.length, 0));
    const enc = this.ctx.device.createCommandEncoder({ label: 'fused group' });
    const pass = enc.beginComputePass({ label: 'fused group' });
    this.dispatch.encode(pass, this.layout.op.grid(p.batch));
    pass.end();
    after?.(enc); // the caller's copies of the group's results, in the same submit
    q.submit([enc.finish()]);
    this.counters.submits++;
    this.lastSteps = steps.length;
  }

  /** The last group's per-step statistics of every model. */
  async readStats(): Promise<FusedStats> {
    const p = this.layout.params;
    const f = new Float32Array(await readBuffer(this.ctx.device, this.buffers.stats!));
    return p.configs.map((_, m) =>
      Array.from({ length: this.lastSteps }, (_, k) => {
        const o = (m * p.stepsPerSubmit + k) * 2;
        return { lossSum: f[o]!, correct: f[o + 1]! };
      }),
    );
  }

  /** Model m's parameters (part 0 of its state) or the gradients its last step applied (part 1). */
  async readParams(model = 0, part: 0 | 1 = 0): Promise<Params> {
    const { spec, variant } = this.layout.params;
    const P = fusedParamCount(spec, variant);
    const bytes = await readBuffer(this.ctx.device, this.buffers.state!, P * 4, (model * 4 + part) * P * 4);
    return unpackParams(spec, new Float32Array(bytes), fusedWidths(spec, variant));
  }

  /** The buffers this trainer holds by name with their sizes, in creation order. */
  memory(): { name: string; bytes: number }[] {
    return this.arena.list();
  }

  /** The layout's buffer `name` (state, stats, …): the fused backend (fused-backend.ts) copies the
   *  state for snapshots and evaluations and reads the stats of each group. */
  buffer(name: string): GPUBuffer {
    const b = this.buffers[name];
    if (!b) throw new Error(`fused: no buffer '${name}' (the layout has ${Object.keys(this.buffers).join(', ')})`);
    return b;
  }

  destroy(): void {
    this.arena.destroy();
  }
}

/** The batch-norm tensors in a fused parameter layout, in order: γ, β, running mean, running var. */
export const BN_ORDER = ['gamma', 'beta', 'mean', 'var'] as const;

/** A model's parameters as the kernel lays them out for layer widths `widths` (the spec's, or padded:
 *  the padding is zero): per layer, weights [out][in] then bias; then each batch-normalised layer's γ,
 *  β, running mean and running var (widths[l + 1] floats each). */
export function packParams(params: Params, widths: readonly number[]): Float32Array {
  const wb = widths.slice(1).reduce((a, n, l) => a + n * (widths[l]! + 1), 0);
  const bnFloats = params.reduce((a, p, l) => a + (p.bn ? 4 * widths[l + 1]! : 0), 0);
  const out = new Float32Array(wb + bnFloats);
  let o = 0;
  let ob = wb;
  params.forEach((layer, l) => {
    const [nIn, nOut] = [layer.weight.length / layer.bias.length, layer.bias.length];
    const [wIn, wOut] = [widths[l]!, widths[l + 1]!];
    for (let j = 0; j < nOut; j++) out.set(layer.weight.subarray(j * nIn, (j + 1) * nIn), o + j * wIn);
    out.set(layer.bias, o + wOut * wIn);
    o += wOut * (wIn + 1);
    const bn = layer.bn;
    if (!bn) return;
    for (const k of BN_ORDER) {
      out.set(bn[k], ob);
      ob += wOut;
    }
  });
  return out;
}

/** The spec's parameters out of the kernel's layout for `widths` (packParams reversed). */
export function unpackParams(spec: ModelSpec, flat: Float32Array, widths: readonly number[] = spec.sizes): Params {
  const out: Params = [];
  let o = 0;
  let ob = widths.slice(1).reduce((a, n, l) => a + n * (widths[l]! + 1), 0);
  for (let l = 0; l < layerCount(spec); l++) {
    const [nIn, nOut, wIn, wOut] = [size(spec, l), size(spec, l + 1), widths[l]!, widths[l + 1]!];
    const weight = new Float32Array(nOut * nIn);
    for (let j = 0; j < nOut; j++) weight.set(flat.subarray(o + j * wIn, o + j * wIn + nIn), j * nIn);
    const layer = { weight, bias: flat.slice(o + wOut * wIn, o + wOut * wIn + nOut) };
    o += wOut * (wIn + 1);
    if (!hasBatchNorm(spec, l)) {
      out.push(layer);
      continue;
    }
    const take = (): Float32Array => {
      const t = flat.slice(ob, ob + nOut);
      ob += wOut;
      return t;
    };
    const [gamma, beta, mean, v] = [take(), take(), take(), take()];
    const bn: BatchNormTensors<Float32Array> = { gamma, beta, mean, var: v };
    out.push({ ...layer, bn });
  }
  return out;
}
