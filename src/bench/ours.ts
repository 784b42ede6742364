// Our two engines under the bench's timing discipline, driven through the library as any user drives
// it (createTrainer and its stepper): the WebGPU plan (one submit per stepsPerSubmit steps, synchronised
// only at the end of a block) and the float64 CPU reference. Plus single matmul kernels, timed with
// timestamp-query where the device has it, and the fused step of small nets (FusedTrainer): those use
// the kernels directly (src/gpu), below the library.
import { BufferArena } from '../gpu/arena.ts';
import type { GpuContext } from '../gpu/device.ts';
import { Dispatch } from '../gpu/dispatch.ts';
import { FusedTrainer, type FusedStepValues } from '../gpu/fused.ts';
import { resolveConfig } from '../train/backend.ts';
import { PassTimer } from '../gpu/pass-timer.ts';
import { matmulConstants, matmulWorkgroups, type KernelId } from '../gpu/kernels.ts';
import {
  createTrainer,
  initParams,
  type MatmulFamily,
  type ModelSpec,
  type Params,
  type TrainerOptions,
} from '../index.ts';
import { Rng } from '../rng.ts';
import { LR } from './configs.ts';
import { sampleMedian, type Stepper } from './timing.ts';
import { GPUBufferUsage } from '../gpu/flags.ts';

/** Rows in the output layer's layout: features x, targets y. */
interface Rows {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** What every engine times: an architecture, its initial weights and one full batch of training rows
 *  (no test rows), in the shape the CPU reference's backend takes too. */
export interface BenchInit {
  readonly spec: ModelSpec;
  readonly params: Params;
  readonly train: Rows;
  readonly test: Rows;
  readonly maxBatch: number;
}

/** A full batch of synthetic data: uniform inputs, one-hot (or 0/1) targets. */
export function benchInit(spec: ModelSpec, batch: number, seed = 1): BenchInit {
  const rng = new Rng(seed);
  const nIn = spec.sizes[0]!;
  const nOut = spec.sizes.at(-1)!;
  const x = new Float32Array(batch * nIn).map(() => rng.next());
  const y = new Float32Array(batch * nOut);
  for (let r = 0; r < batch; r++) {
    if (nOut === 1) y[r] = rng.int(2);
    else y[r * nOut + rng.int(nOut)] = 1;
  }
  return {
    spec,
    params: initParams(spec, seed),
    train: { x, y, n: batch },
    test: { x: new Float32Array(0), y: new Float32Array(0), n: 0 },
    maxBatch: batch,
  };
}

/** Our WebGPU engine, through the library as any user would drive it (a trainer on the bench's device). */
export async function webgpuStepper(
  ctx: GpuContext,
  init: BenchInit,
  options: { matmul: MatmulFamily; stepsPerSubmit: number },
): Promise<Stepper> {
  // The layered plan, as this engine has always been measured ('auto' would take the fused path for
  // a small net; the fused step is its own engine).
  return libraryStepper(init, { device: ctx.device, plan: 'layered', ...options });
}

/** The float64 reference, through the library too. */
export function cpuReferenceStepper(init: BenchInit): Promise<Stepper> {
  return libraryStepper(init, { device: 'cpu' });
}

async function libraryStepper(
  init: BenchInit,
  options: Pick<TrainerOptions, 'device' | 'matmul' | 'stepsPerSubmit' | 'plan'>,
): Promise<Stepper> {
  const trainer = await createTrainer({ spec: init.spec, params: init.params, ...options });
  try {
    const steps = await trainer.stepper({ x: init.train.x, y: init.train.y }, { batchSize: init.maxBatch, lr: LR });
    const counters = steps.counters;
    return {
      step: () => steps.step(),
      sync: () => steps.sync(),
      destroy: () => trainer.destroy(),
      ...(counters ? { counters: () => counters() } : {}),
    };
  } catch (e) {
    trainer.destroy();
    throw e;
  }
}

/** Steps per dispatch of the fused engine: a moons epoch is 25 steps of 32 rows; from ~20 on, the
 *  dispatch's fixed cost is a few percent of the step (docs/fused-plan.md). */
export const FUSED_STEPS_PER_DISPATCH = 20;

/** The fused step (whole steps in one dispatch, src/gpu/fused.ts) on the same weights, data and
 *  learning rate (plain SGD): step() queues a step and submits the queue as one dispatch every
 *  FUSED_STEPS_PER_DISPATCH steps; sync() submits what is queued and waits for the queue. */
export async function fusedStepper(
  ctx: GpuContext,
  init: BenchInit,
  stepsPerDispatch = FUSED_STEPS_PER_DISPATCH,
): Promise<Stepper> {
  const { spec, train } = init;
  const fused = await FusedTrainer.create(ctx, {
    spec,
    configs: [resolveConfig({})],
    batch: init.maxBatch,
    n: train.n,
    stepsPerSubmit: stepsPerDispatch,
    regression: false,
    init: [init.params],
    x: train.x,
    y: train.y,
  });
  let queued: FusedStepValues[] = [];
  let t = 0;
  const flush = () => {
    if (queued.length > 0) fused.run(queued);
    queued = [];
  };
  return {
    step: () => {
      queued.push({ start: 0, t: ++t, lrs: [LR] });
      if (queued.length === stepsPerDispatch) flush();
    },
    sync: async () => {
      flush();
      await ctx.device.queue.onSubmittedWorkDone();
    },
    destroy: () => fused.destroy(),
    counters: () => fused.counters.snapshot(),
  };
}

export interface KernelTime {
  readonly ms: number;
  readonly timer: 'timestamp-query' | 'wall';
  readonly repeats: number;
}

/** Median time of one dispatch of `d`: each sample is one pass of n dispatches (n chosen so a sample
 *  takes ~targetMs), GPU time from timestamp-query when the device has it, else wall time to
 *  onSubmittedWorkDone. The first dispatch, timed apart, is warm-up. */
export async function timeDispatch(
  ctx: GpuContext,
  arena: BufferArena,
  d: Dispatch,
  grid: readonly [number, number, number],
  samples = 3,
  targetMs = 300,
): Promise<KernelTime> {
  const timer = new PassTimer(ctx, arena);
  const run = async (n: number): Promise<number> =>
    (await timer.time('bench kernel', (pass) => {
      for (let i = 0; i < n; i++) d.encode(pass, grid);
    })) / n;
  try {
    return { ...(await sampleMedian(run, samples, targetMs)), timer: timer.timer };
  } finally {
    timer.destroy();
  }
}

/** Time one matmul kernel C[M][N] = op(A)·op(B) on random operands. */
export async function timeMatmul(
  ctx: GpuContext,
  id: KernelId,
  M: number,
  N: number,
  K: number,
  transA = false,
  transB = false,
  constants: Record<string, number> = {},
): Promise<KernelTime> {
  const arena = new BufferArena(ctx.device, `bench ${id}`);
  try {
    const rng = new Rng(M + N + K);
    const a = arena.upload(
      'a',
      new Float32Array(M * K).map(() => rng.next() - 0.5),
    );
    const b = arena.upload(
      'b',
      new Float32Array(K * N).map(() => rng.next() - 0.5),
    );
    const c = arena.create('c', M * N * 4, GPUBufferUsage.STORAGE);
    const extra: Record<string, GPUBuffer> = {};
    for (const name of ['bias', 'aux'])
      extra[name] = arena.create(name, Math.max(M * N, N) * 4, GPUBufferUsage.STORAGE);
    const d = await Dispatch.create(
      arena,
      id,
      { ...matmulConstants(id, M, N, K, transA, transB), ...constants },
      { a, b, c, ...extra },
      { M, N, K },
    );
    return await timeDispatch(ctx, arena, d, matmulWorkgroups(id, M, N));
  } finally {
    arena.destroy();
  }
}
