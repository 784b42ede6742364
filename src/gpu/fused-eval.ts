// The fused path's evaluation (shaders/fused_eval.wgsl): one dispatch a split, one workgroup a model,
// reading each model's weights from the fused step's own state buffer (nothing copied into another
// plan), the test and dev rows uploaded once beside the training rows the fused trainer already holds;
// every model's (loss, correct) sums come back with one copy and one mapAsync. The summation order
// (rows of a chunk in order, then chunk sums in order; the same for any model count) is written down in
// the shader and in docs/fused-plan.md. Described as data like the fused step (fused.ts): its buffers
// and one op, which checkFusedEval compares with the device limits before anything is allocated; a
// split that does not fit is refused with TrainerError 'too-large', and the fused backend then keeps
// the layered evaluation (fused-backend.ts).
import { TrainerError } from '../errors.ts';
import { forwardMacs, layerCount, type ModelSpec } from '../model.ts';
import type { Split, SplitData } from '../train/backend.ts';
import { BufferArena } from './arena.ts';
import { cpuEmulated, type GpuContext } from './device.ts';
import { Dispatch } from './dispatch.ts';
import {
  LOSS_ID,
  bnConstants,
  createFusedBuffers,
  fusedBuffer,
  fusedDims,
  fusedParamCount,
  fusedScratchCount,
  fusedWidths,
  type FusedTrainer,
} from './fused.ts';
import { actConstants } from './kernels.ts';
import { checkOneOp, type DeviceLimits } from './limits.ts';
import type { BufferSpec, OpSpec } from './plan-layout.ts';
import { ReadbackPool } from './readback.ts';

/** Rows of one chunk (the kernel's u.batch): each model's scratch holds a chunk's activations and two
 *  chunks' row statistics. */
export const FUSED_EVAL_CHUNK = 256;

/** Floats of one model's scratch: the step's layout for a batch of a chunk (activations, dZ, a vec4 of
 *  statistics a row), then a second chunk of row statistics (the kernel alternates the two). Batch norm
 *  adds nothing: inference reads the running averages, no Ẑ is kept. */
export function fusedEvalScratchCount(spec: ModelSpec): number {
  return fusedScratchCount({ ...spec, batchNorm: false }, FUSED_EVAL_CHUNK, 'vec4') + 4 * FUSED_EVAL_CHUNK;
}

/** Multiply-adds of a chunk (EVAL_CHUNK × Σ n_l·n_{l+1} on padded widths) up to which a CPU-emulated
 *  adapter gets 8 invocations a workgroup rather than 64 (the training step's reasoning, fused.ts
 *  fusedWorkgroupSize: on SwiftShader a barrier switches the subgroups' coroutines). Results are the
 *  same for every value. */
export const FUSED_EVAL_SMALL_WORK = 1 << 17;

/** The evaluation kernel's workgroup size on an adapter (64 on GPUs; never depends on the model count,
 *  although the sums do not depend on it either). */
export function fusedEvalWorkgroupSize(spec: ModelSpec, adapterName: string): number {
  if (!cpuEmulated(adapterName)) return 64;
  return FUSED_EVAL_CHUNK * forwardMacs(fusedWidths(spec, 'vec4')) <= FUSED_EVAL_SMALL_WORK ? 8 : 64;
}

export interface FusedEvalParams {
  readonly spec: ModelSpec;
  readonly models: number;
  /** Rows of each split (0 for none). */
  readonly rows: Readonly<Record<Split, number>>;
  readonly regression: boolean;
  readonly workgroupSize: number;
}

export interface FusedEvalLayout {
  readonly params: FusedEvalParams;
  /** The evaluation's own buffers (the training rows and the state are the fused trainer's). */
  readonly buffers: readonly Omit<BufferSpec, 'fill'>[];
  /** The op of one split (its uniform: `rows` = the split's rows). */
  readonly op: OpSpec;
}

/** The evaluation as data: the test and dev rows, each model's scratch for a chunk, the sums. */
export function fusedEvalLayout(p: FusedEvalParams): FusedEvalLayout {
  const { spec, models } = p;
  const P = fusedParamCount(spec, 'vec4');
  const S = fusedEvalScratchCount(spec);
  const buf = fusedBuffer;
  const [nIn, nOut] = [spec.sizes[0]!, spec.sizes[spec.sizes.length - 1]!];
  const buffers = [
    ...(['test', 'dev'] as const).flatMap((s) => [buf(`${s}.x`, p.rows[s] * nIn), buf(`${s}.y`, p.rows[s] * nOut)]),
    buf('eval.scratch', models * S),
    buf('eval.stats', models * 2),
  ];
  const op: OpSpec = {
    kernel: 'fusedEval',
    constants: {
      ...actConstants(spec.activation),
      LOSS: LOSS_ID[spec.loss],
      REGRESSION: Number(p.regression),
      WG: p.workgroupSize,
      ...bnConstants(spec),
    },
    bindings: { x: 'x', y: 'y', state: 'state', scratch: 'eval.scratch', stats: 'eval.stats', models: 'models' },
    // The step's uniform: steps, row0 and block_rows (the step table) are not read here.
    uniform: (rows) => ({
      steps: 0,
      row0: 0,
      block_rows: 0,
      batch: FUSED_EVAL_CHUNK,
      n: rows,
      s_state: P, // 4P floats a model: P vec4s
      s_scratch: S / 4,
      s_stats: 1,
      layers: layerCount(spec),
      params: P / 4,
      models,
      ...fusedDims(spec),
    }),
    grid: () => [models, 1, 1],
    where: `fused evaluation [${spec.sizes.join(',')}] × ${models} model${models > 1 ? 's' : ''}`,
  };
  return { params: p, buffers, op };
}

/** Throws TrainerError 'too-large' when a buffer or the kernel is past a device limit. */
export function checkFusedEval(layout: FusedEvalLayout, limits: DeviceLimits, adapter: string): void {
  const subject = `fused evaluation [${layout.params.spec.sizes.join(',')}]`;
  checkOneOp(layout, FUSED_EVAL_CHUNK, limits, subject, adapter);
}

export interface FusedEvalInit {
  readonly spec: ModelSpec;
  readonly models: number;
  readonly regression: boolean;
  readonly test: SplitData;
  readonly dev?: SplitData;
  /** Default fusedEvalWorkgroupSize's pick for the adapter. */
  readonly workgroupSize?: number;
}

/** The evaluation on a device: its buffers and one dispatch a split. */
export class FusedEvaluation {
  private constructor(
    private readonly ctx: GpuContext,
    readonly layout: FusedEvalLayout,
    private readonly arena: BufferArena,
    private readonly dispatches: Readonly<Record<Split, Dispatch>>,
    private readonly stats: GPUBuffer,
    private readonly readback: ReadbackPool,
  ) {}

  /** Checks the limits first (TrainerError 'too-large'), then uploads the test and dev rows. The
   *  training rows and the weights are the fused trainer's, which must use the vec4 layout. */
  static async create(ctx: GpuContext, fused: FusedTrainer, init: FusedEvalInit): Promise<FusedEvaluation> {
    const trained = fused.layout.params;
    if (trained.variant === 'scalar')
      throw new Error("fused evaluation: reads the vec4 layout, not the scalar kernel's ('vec4' or 'lane')");
    const dev = init.dev ?? { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
    const rows = { train: trained.n, test: init.test.n, dev: dev.n };
    const layout = fusedEvalLayout({
      spec: init.spec,
      models: init.models,
      rows,
      regression: init.regression,
      workgroupSize: init.workgroupSize ?? fusedEvalWorkgroupSize(init.spec, ctx.adapterName),
    });
    checkFusedEval(layout, ctx.device.limits, ctx.adapterName);
    const arena = new BufferArena(ctx.device, 'fused evaluation');
    try {
      const own = createFusedBuffers(arena, layout.buffers);
      const q = ctx.device.queue;
      for (const [s, d] of [['test', init.test] as const, ['dev', dev] as const]) {
        if (d.n === 0) continue;
        q.writeBuffer(own[`${s}.x`]!, 0, d.x);
        q.writeBuffer(own[`${s}.y`]!, 0, d.y);
      }
      const op = layout.op;
      const state = fused.buffer('state');
      const common = {
        state,
        scratch: own['eval.scratch']!,
        stats: own['eval.stats']!,
        models: fused.buffer('models'),
      };
      const make = (x: GPUBuffer, y: GPUBuffer, n: number) =>
        Dispatch.create(arena, op.kernel, { ...op.constants }, { ...common, x, y }, op.uniform(n, 0));
      const [train, test, devD] = await Promise.all([
        make(fused.buffer('x'), fused.buffer('y'), rows.train),
        make(own['test.x']!, own['test.y']!, rows.test),
        make(own['dev.x']!, own['dev.y']!, rows.dev),
      ]);
      const stats = own['eval.stats']!;
      const readback = new ReadbackPool(arena, stats.size);
      return new FusedEvaluation(ctx, layout, arena, { train: train!, test: test!, dev: devD! }, stats, readback);
    } catch (e) {
      arena.destroy();
      throw e;
    }
  }

  /** Rows of a split. */
  rows(split: Split): number {
    return this.layout.params.rows[split];
  }

  /** Encodes and submits the evaluation of `split` and the copy of its sums (one submit); the
   *  returned function reads them back: per model (loss sum, correct or Σ|error|), 2 floats each. */
  record(split: Split): () => Promise<Float32Array> {
    const enc = this.ctx.device.createCommandEncoder({ label: `fused evaluate ${split}` });
    const pass = enc.beginComputePass({ label: `fused evaluate ${split}` });
    this.dispatches[split].encode(pass, this.layout.op.grid(FUSED_EVAL_CHUNK));
    pass.end();
    const read = this.readback.copy(enc, this.stats);
    this.ctx.device.queue.submit([enc.finish()]);
    return read;
  }

  /** The buffers this evaluation holds by name with their sizes, in creation order. */
  memory(): { name: string; bytes: number }[] {
    return this.arena.list();
  }

  destroy(): void {
    this.arena.destroy();
  }
}

/** TrainerError 'too-large' from creating a FusedEvaluation: a split past a limit, which the layered
 *  evaluation (which chunks and may stream its rows) can still take. */
export const tooLarge = (e: unknown): boolean => e instanceof TrainerError && e.code === 'too-large';
