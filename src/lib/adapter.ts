// The WebGPU adapter as a front end shows it before any training: its name, the buffer limits a model
// must fit, and the matmul family the autotune picks for it. A page asks once at start; the trainers
// it makes later find the tune in this page's memory (or the store) and time nothing.
import { autotuneMatmul, describeTune, type AutotuneResult, type TuneStore } from '../gpu/autotune.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { preferredMatmul, type MatmulFamily } from '../gpu/kernels.ts';
import { TrainerError, messageOf } from '../errors.ts';
import type { AdapterLimits } from './budget.ts';

/** What probeAdapter finds. `tune` settles when the autotune is over (measured or read from the store)
 *  and never rejects: a failed tune gives the adapter's default family, with the reason in its line. */
export interface AdapterProbe {
  readonly name: string;
  readonly limits: AdapterLimits;
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
    return { result, line: describeTune(result), failed: false };
  } catch (e) {
    const family = preferredMatmul(ctx.adapterName);
    return {
      result: { family, ms: { tiled: NaN, blocked: NaN, tiled8: NaN }, source: 'measured', seconds: 0 },
      line: `matmul ${family} (autotune failed: ${messageOf(e)})`,
      failed: true,
    };
  }
}

/** Requests a WebGPU device as createTrainer does, reads its adapter's name and limits, and starts the
 *  matmul autotune (kept in `tuneStore` and in this page's memory); the device is released once the tune
 *  settles. Throws TrainerError 'no-webgpu' when WebGPU or an adapter is missing. */
export async function probeAdapter(o: { readonly tuneStore?: TuneStore } = {}): Promise<AdapterProbe> {
  let ctx: GpuContext;
  try {
    ctx = await acquireDevice();
  } catch (e) {
    throw new TrainerError('no-webgpu', messageOf(e), { cause: e });
  }
  const tune = tuneOrDefault(ctx, o.tuneStore)
    .then(({ result, line }) => ({ family: result.family, line }))
    .finally(() => ctx.device.destroy());
  return { name: ctx.adapterName, limits: adapterLimits(ctx.device), tune };
}
