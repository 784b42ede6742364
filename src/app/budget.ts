// What a run will allocate, checked against the adapter's limits before anything is allocated, so a
// model that cannot fit gets a message naming the buffer, its size and the limit instead of a failed
// allocation deep inside the plan (or a JS RangeError from a giant Float32Array).
import { layerCount, paramCount, size, type ModelSpec } from '../model.ts';

export interface AdapterLimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

export interface PlannedBuffer {
  readonly name: string;
  readonly bytes: number;
}

/** The largest buffers TrainingPlan.create makes (params and grads alignment padding ignored). */
export function planBuffers(spec: ModelSpec, maxBatch: number, trainRows: number, testRows: number): PlannedBuffer[] {
  const f32 = 4;
  const nIn = size(spec, 0);
  const nOut = size(spec, layerCount(spec));
  const params = paramCount(spec) * f32;
  return [
    { name: 'params', bytes: params },
    { name: 'grads', bytes: params },
    { name: 'train.x', bytes: trainRows * nIn * f32 },
    { name: 'train.y', bytes: trainRows * nOut * f32 },
    { name: 'test.x', bytes: testRows * nIn * f32 },
    { name: 'test.y', bytes: testRows * nOut * f32 },
    ...spec.sizes.map((n, l) => ({ name: `A${l} (batch ${maxBatch} x ${n})`, bytes: maxBatch * n * f32 })),
    ...spec.sizes.slice(1).map((n, l) => ({ name: `dZ${l + 1} (batch ${maxBatch} x ${n})`, bytes: maxBatch * n * f32 })),
  ];
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

/** Throws a message naming the first buffer over a limit; returns the largest buffer otherwise. */
export function checkBudget(spec: ModelSpec, maxBatch: number, trainRows: number, testRows: number, device: 'gpu' | 'cpu', limits: AdapterLimits | undefined, adapter: string): PlannedBuffer {
  const arch = `layer sizes [${spec.sizes.join(',')}]`;
  if (device === 'cpu') {
    const n = paramCount(spec);
    if (n > CPU_MAX_PARAMS) throw new Error(`${arch}: ${n.toLocaleString('en')} parameters, more than the CPU reference takes (${CPU_MAX_PARAMS.toLocaleString('en')})`);
    return { name: 'params (float64)', bytes: n * 8 };
  }
  if (!limits) throw new Error('no WebGPU adapter: pick the CPU reference device');
  let largest: PlannedBuffer = { name: 'none', bytes: 0 };
  for (const b of planBuffers(spec, maxBatch, trainRows, testRows)) {
    if (b.bytes > largest.bytes) largest = b;
    const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (b.bytes > limit) {
      const which = limit === limits.maxStorageBufferBindingSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      throw new Error(`${arch}, batch ${maxBatch}: buffer '${b.name}' needs ${formatBytes(b.bytes)}, over ${adapter}'s ${which} of ${formatBytes(limit)}`);
    }
  }
  return largest;
}
