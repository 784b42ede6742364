// The WebGPU adapter as a front end shows it before any training: its name, the buffer limits a model
// must fit, and the matmul family its trainers will use. A page asks once at start; the tune is timed
// only where it could change the default, and its answer reaches later trainers through this page's
// memory or the store.
import {
  autotuneMatmul,
  defaultTune,
  describeTune,
  untimedTune,
  type AutotuneResult,
  type TuneStore,
} from '../gpu/autotune.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import type { MatmulFamily } from '../gpu/kernels.ts';
import { TrainerError, messageOf } from '../errors.ts';
import type { AdapterLimits } from './budget.ts';

/** What probeAdapter finds. `tune` settles with the family trainers will use and never rejects: a
 *  known tune, the adapter's default where timing could not change it, else the autotune's answer (a
 *  failed one gives the default, with the reason in its line). */
export interface AdapterProbe {
  readonly name: string;
  readonly limits: AdapterLimits;
  /** Set when the adapter is a software one (SwiftShader, a fallback or CPU adapter): what it is, that
   *  training will be slow, and what to try; a front end shows it before training. */
  readonly software?: string;
  readonly tune: Promise<{ readonly family: MatmulFamily; readonly line: string }>;
}

/** The buffer limits of a device that a model's buffers are checked against. */
export function adapterLimits(device: GPUDevice): AdapterLimits {
  return {
    maxBufferSize: device.limits.maxBufferSize,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  };
}

/** The adapter's matmul tune and its log line (describeTune's); a failed tune is the adapter's default
 *  family (NaN times) with a line that says why: it never stops training. */
export async function tuneOrDefault(
  ctx: GpuContext,
  store: TuneStore | undefined,
): Promise<{ result: AutotuneResult; line: string; failed: boolean }> {
  try {
    const result = await autotuneMatmul(ctx, store);
    return { result, line: describeTune(result, ctx.adapterName), failed: false };
  } catch (e) {
    const result: AutotuneResult = { ...defaultTune(ctx.adapterName), source: 'measured' };
    return {
      result,
      line: `matmul ${result.family} (autotune failed: ${messageOf(e)})`,
      failed: true,
    };
  }
}

/** The family trainers on this adapter will use, timing only where that could change it: a known tune
 *  (this page's or the store's), else the default on an adapter whose answer is known, else the tune. */
async function probeTune(
  ctx: GpuContext,
  store: TuneStore | undefined,
): Promise<{ family: MatmulFamily; line: string }> {
  const adapter = ctx.adapterName;
  const { result, guess } = await untimedTune(adapter, store);
  if (!guess) return { family: result.family, line: describeTune(result, adapter) };
  const { result: tuned, line } = await tuneOrDefault(ctx, store);
  return { family: tuned.family, line };
}

/** Requests a WebGPU device as createTrainer does, reads its adapter's name and limits, and starts
 *  finding the matmul family (probeTune: timed only where that could change it, then kept in
 *  `tuneStore` and in this page's memory); the device is released once that settles. Throws
 *  TrainerError 'no-webgpu' when WebGPU or an adapter is missing. */
export async function probeAdapter(o: { readonly tuneStore?: TuneStore } = {}): Promise<AdapterProbe> {
  let ctx: GpuContext;
  try {
    ctx = await acquireDevice();
  } catch (e) {
    throw new TrainerError('no-webgpu', messageOf(e), { cause: e });
  }
  const tune = probeTune(ctx, o.tuneStore).finally(() => ctx.device.destroy());
  return {
    name: ctx.adapterName,
    limits: adapterLimits(ctx.device),
    ...(ctx.software ? { software: ctx.software } : {}),
    tune,
  };
}
