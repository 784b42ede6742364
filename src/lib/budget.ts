// Whether a model fits where it is to run, checked before anything is allocated: a buffer past the
// adapter's limits gets a message naming the buffer, its size and the limit, instead of a failed
// allocation deep in the plan (or a JS RangeError from a giant Float32Array of weights).
import { planMemory, type PlanRows } from '../gpu/plan.ts';
import { dataLayout } from '../gpu/shards.ts';
import { paramCount, type ModelSpec } from '../model.ts';
import type { TrainConfig } from '../train/backend.ts';
import { TrainerError } from '../errors.ts';

export interface AdapterLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly minStorageBufferOffsetAlignment?: number;
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

/** Most parameters the float64 CPU reference (and the float32 copies around it) is asked to hold. */
export const CPU_MAX_PARAMS = 50_000_000;

/** The buffers a training plan for these rows will allocate (planMemory, with the data resident or in
 *  shards as dataLayout decides for these limits; without limits, resident), the batch clamped to the rows. */
export function planBuffers(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  batchSize: number,
  rows: PlanRows,
  limits: AdapterLimits | undefined,
  dataBudget?: number,
): { name: string; bytes: number }[] {
  const batch = Math.min(batchSize, Math.max(rows.train, 1));
  return planMemory(
    spec,
    config,
    batch,
    rows,
    limits?.minStorageBufferOffsetAlignment ?? 256,
    false,
    limits ? dataLayout(spec, rows, batch, limits, dataBudget) : undefined,
  );
}

/** Throws TrainerError 'too-large' naming the first buffer over a limit; returns the largest buffer.
 *  Without rows only the parameter buffers are checked (what must fit before weights are made). Data
 *  past the limits or `dataBudget` (bytes; default DEFAULT_DATA_BUDGET) is streamed in shards, so only
 *  the shard buffers are checked then. */
export function checkFits(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  device: 'gpu' | 'cpu',
  limits: AdapterLimits | undefined,
  adapter: string,
  run?: { readonly batchSize: number; readonly rows: PlanRows; readonly dataBudget?: number },
): { name: string; bytes: number } {
  const arch = `layer sizes [${spec.sizes.join(',')}]`;
  const n = paramCount(spec);
  if (device === 'cpu') {
    if (n > CPU_MAX_PARAMS)
      throw new TrainerError(
        'too-large',
        `${arch}: ${n.toLocaleString('en')} parameters, more than the CPU reference takes (${CPU_MAX_PARAMS.toLocaleString('en')})`,
      );
    return { name: 'params (float64)', bytes: n * 8 };
  }
  if (!limits) throw new TrainerError('no-webgpu', 'no WebGPU adapter: use the CPU reference device');
  const buffers = run
    ? planBuffers(spec, config, run.batchSize, run.rows, limits, run.dataBudget)
    : [{ name: 'params', bytes: n * 4 }];
  let largest = { name: 'none', bytes: 0 };
  const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  for (const b of buffers) {
    if (b.bytes > largest.bytes) largest = b;
    if (b.bytes > limit) {
      const which = limit === limits.maxStorageBufferBindingSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      throw new TrainerError(
        'too-large',
        `${arch}${run ? `, batch ${run.batchSize}` : ''}: buffer '${b.name}' needs ${formatBytes(b.bytes)}, over ${adapter}'s ${which} of ${formatBytes(limit)}`,
      );
    }
  }
  return largest;
}
