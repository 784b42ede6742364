// Whether a model fits where it is to run, checked before anything is allocated: a buffer or a kernel
// past the adapter's limits gets a message naming it, its size and the limit, instead of a failed
// allocation deep in the plan, a dispatch the device silently drops (or a JS RangeError from a giant
// Float32Array of weights). The GPU check is the plan's own (gpu/limits.ts over gpu/plan-layout.ts).
import { MATMUL_FAMILIES, preferredMatmul, type MatmulFamily } from '../gpu/kernels.ts';
import { checkBuffers, checkLimits, formatBytes, type DeviceLimits as AdapterLimits } from '../gpu/limits.ts';
import { describePlan, planMemory, type PlanLayout, type PlanRows } from '../gpu/plan-layout.ts';
import { dataLayout } from '../gpu/shards.ts';
import { paramCount, type ModelSpec } from '../model.ts';
import type { TrainConfig } from '../train/backend.ts';
import { TrainerError } from '../errors.ts';

export { formatBytes };

// The adapter's limits (a GPUSupportedLimits has them all); fields left out are taken at WebGPU's
// defaults. The plan's own interface under its public name, not an alias of it, so the published
// declarations name no type a user cannot import.
export type { AdapterLimits };

/** Most parameters the float64 CPU reference (and the float32 copies around it) is asked to hold. */
export const CPU_MAX_PARAMS = 50_000_000;

/** Bytes of host memory a model needs per parameter, on each device: on the GPU path the float32
 *  weights are held a few times over (the starting weights, the trainer's copy, a read-back); the CPU
 *  reference holds float64 weights, gradients, two optimizer moments and three snapshots, and float32
 *  copies. */
const HOST_BYTES_PER_PARAM = { gpu: 3 * 4, cpu: 7 * 8 + 2 * 4 } as const;

/** Throws TrainerError 'too-large' when the model's weights alone would take more than half of
 *  `hostMemory` bytes (the machine's memory: os.totalmem() in Node), before any of them is made: a
 *  model that could never train stops with one line instead of growing the process until the machine
 *  swaps. Returns the bytes it estimated. */
export function checkHostMemory(spec: ModelSpec, device: 'gpu' | 'cpu', hostMemory: number): number {
  const n = paramCount(spec);
  const bytes = n * HOST_BYTES_PER_PARAM[device];
  if (bytes > hostMemory / 2) {
    throw new TrainerError(
      'too-large',
      `layer sizes [${spec.sizes.join(',')}]: ${n.toLocaleString('en')} parameters need about ${formatBytes(bytes)} of host memory ` +
        `${device === 'gpu' ? 'for their float32 copies' : 'in the float64 CPU reference'}, over half of this machine's ${formatBytes(hostMemory)}`,
    );
  }
  return bytes;
}

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
  const batch = clampBatch(batchSize, rows);
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

const clampBatch = (batchSize: number, rows: PlanRows) => Math.min(batchSize, Math.max(rows.train, 1));

/** What checkFits checks a run for: its batch and rows, the data budget, and the matmul family when
 *  it is known (absent: the run is refused only when no family's plan fits, since the trainer picks
 *  the family by timing them after this check; the plan checks its own family again when it is made). */
export interface FitRun {
  readonly batchSize: number;
  readonly rows: PlanRows;
  readonly dataBudget?: number;
  readonly matmul?: MatmulFamily;
}

/** Throws TrainerError 'too-large' naming the first buffer or kernel over a limit; returns the largest
 *  buffer. Without a run only the parameter buffer is checked (what must fit before weights are made).
 *  With one, the training plan for it is described and checked as TrainingPlan.create checks it (every
 *  buffer, every kernel's bindings, workgroup and grid). Data past the limits or `dataBudget` (bytes;
 *  default DEFAULT_DATA_BUDGET) is streamed in shards, so only the shard buffers are checked then. */
export function checkFits(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  device: 'gpu' | 'cpu',
  limits: AdapterLimits | undefined,
  adapter: string,
  run?: FitRun,
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
  const wording = { subject: run ? `${arch}, batch ${run.batchSize}` : arch, adapter, bytes: formatBytes };
  if (!run) {
    const params = { name: 'params', bytes: n * 4, usage: 'storage' as const };
    checkBuffers([params], limits, wording);
    return { name: params.name, bytes: params.bytes };
  }
  const layout = fittingLayout(spec, config, limits, adapter, run, (l) => checkLimits(l, limits, wording));
  const largest = layout.buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: 'none', bytes: 0 });
  return { name: largest.name, bytes: largest.bytes };
}

/** The first plan for the run (its family, or each family, the adapter's preferred first) that `check`
 *  lets through; the preferred family's refusal when none does. */
function fittingLayout(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  limits: AdapterLimits,
  adapter: string,
  run: FitRun,
  check: (layout: PlanLayout) => void,
): PlanLayout {
  const preferred = preferredMatmul(adapter);
  const families = run.matmul
    ? [run.matmul]
    : [preferred, ...(Object.keys(MATMUL_FAMILIES) as MatmulFamily[]).filter((f) => f !== preferred)];
  const subject = { spec, configs: [config], maxBatch: clampBatch(run.batchSize, run.rows), rows: run.rows };
  let refusal: unknown;
  for (const matmul of families) {
    const options = { matmul, ...(run.dataBudget !== undefined ? { dataBudgetBytes: run.dataBudget } : {}) };
    const layout = describePlan(subject, options, { adapterName: adapter, limits });
    try {
      check(layout);
      return layout;
    } catch (e) {
      if (!(e instanceof TrainerError)) throw e;
      refusal ??= e;
    }
  }
  throw refusal;
}
