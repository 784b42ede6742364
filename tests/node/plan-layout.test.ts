// The plan described as data (src/gpu/plan-layout.ts), in Node: its buffer list against planMemory as
// it was written by hand before the layout existed, the ops' bindings against the buffer list, the
// workgroup shapes read from the WGSL, and the device-limit check (src/gpu/limits.ts), one test per
// limit, on SwiftShader's own figures.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../src/errors.ts';
import { KERNELS, modelLayout, type KernelDesc, type KernelId, type MatmulFamily } from '../../src/gpu/kernels.ts';
import { checkLimits, formatBytes, type DeviceLimits } from '../../src/gpu/limits.ts';
import {
  describePlan,
  planMemory,
  type PlanLayout,
  type PlanOptions,
  type PlanRows,
} from '../../src/gpu/plan-layout.ts';
import type { DataLayout } from '../../src/gpu/shards.ts';
import { MODEL_BYTES } from '../../src/gpu/step-table.ts';
import { workgroupShape } from '../../src/gpu/workgroup.ts';
import { checkFits } from '../../src/lib/budget.ts';
import { hasBatchNorm, layerCount, size, type ModelSpec } from '../../src/model.ts';
import { SNAPSHOT_SLOTS, resolveConfig, type TrainConfig } from '../../src/train/backend.ts';

/** google swiftshader's limits, as Chromium reports them on this machine (printed once by a browser test). */
const SWIFTSHADER: Required<DeviceLimits> = {
  maxBufferSize: 1073741824,
  maxStorageBufferBindingSize: 1073741824,
  minStorageBufferOffsetAlignment: 256,
  minUniformBufferOffsetAlignment: 256,
  maxUniformBufferBindingSize: 65536,
  maxStorageBuffersPerShaderStage: 10,
  maxUniformBuffersPerShaderStage: 12,
  maxBindingsPerBindGroup: 1000,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupStorageSize: 16384,
};
const ADAPTER = 'google swiftshader';

/** planMemory as it was before the plan became a layout (written by hand beside TrainingPlan.create,
 *  kept in step by a browser test): the oracle for the layout's buffer list. */
function planMemoryBefore(
  spec: ModelSpec,
  config: Partial<TrainConfig> | undefined,
  maxBatch: number,
  rows: PlanRows,
  offsetAlignment = 256,
  inference = false,
  data: DataLayout = { mode: 'resident' },
  models = 1,
  stepsPerSubmit = 1,
): { name: string; bytes: number }[] {
  const c = resolveConfig(config);
  const N = models;
  const L = layerCount(spec);
  const bytes = (floats: number) => Math.max(16, Math.ceil(floats) * 4);
  const align = offsetAlignment / 4;
  let total = 0;
  for (let l = 0; l < L; l++) {
    const n = size(spec, l + 1);
    const tensors = [n * size(spec, l), n, ...(hasBatchNorm(spec, l) ? [n, n, n, n] : [])];
    for (const t of tensors) total += Math.ceil(t / align) * align;
  }
  const plainSgd = c.optimizer === 'sgd' && c.l2 === 0;
  const n0 = size(spec, 0);
  const out = size(spec, L);
  const list: { name: string; bytes: number }[] = [
    { name: 'params', bytes: bytes(N * total) },
    { name: 'grads', bytes: bytes(N * total) },
    ...Array.from({ length: SNAPSHOT_SLOTS }, (_, i) => ({ name: `snapshot${i}`, bytes: bytes(N * total) })),
    { name: 'models', bytes: N * MODEL_BYTES },
    { name: 'steps', bytes: stepsPerSubmit * (1 + N) * 16 },
  ];
  if (!plainSgd) list.push({ name: 'decay', bytes: bytes(total) });
  const split = (name: string, n: number) => [
    { name: `${name}.x`, bytes: bytes(n > 0 ? n * n0 : 4) },
    { name: `${name}.y`, bytes: bytes(n > 0 ? n * out : 4) },
  ];
  if (data.mode === 'resident') {
    list.push(
      ...split('train', rows.train),
      ...split('test', rows.test),
      ...(rows.dev > 0 ? split('dev', rows.dev) : []),
    );
    list.push(
      { name: 'order', bytes: bytes(N * Math.max(rows.train, 1)) },
      { name: 'identity', bytes: bytes(Math.max(rows.train, rows.test, rows.dev, 1)) },
    );
  } else {
    list.push(...split('shard0', data.shardRows), ...split('shard1', data.shardRows), {
      name: 'identity',
      bytes: bytes(data.shardRows),
    });
  }
  const batch = (n: number) => bytes(N * maxBatch * n);
  spec.sizes.forEach((n, l) => list.push({ name: `A${l}`, bytes: batch(n) }));
  spec.sizes.forEach((n, l) => {
    if (l > 0) list.push({ name: `dZ${l}`, bytes: batch(n) });
  });
  list.push(
    { name: 'Y', bytes: batch(out) },
    { name: 'rowStats', bytes: batch(2) },
    { name: 'trainStats', bytes: Math.max(16, N * 8) },
    { name: 'evalStats', bytes: Math.max(16, N * 8) },
  );
  list.push({ name: 'l2Partials', bytes: N * 64 * 4 });
  spec.sizes.forEach((n, l) => {
    if (c.keepProb < 1 && l >= 1 && l < L) list.push({ name: `Ad${l}`, bytes: batch(n) });
  });
  spec.sizes.forEach((n, l) => {
    if (l >= 1 && hasBatchNorm(spec, l - 1))
      list.push({ name: `Xhat${l}`, bytes: batch(n) }, { name: `istd${l}`, bytes: bytes(N * n) });
  });
  if (!inference && !plainSgd) {
    const stateful = c.optimizer !== 'sgd';
    const second = c.optimizer === 'rmsprop' || c.optimizer === 'adam';
    list.push(
      { name: stateful ? 'optimizer.v' : 'optimizer.v (unused)', bytes: stateful ? bytes(N * total) : 16 },
      { name: second ? 'optimizer.s' : 'optimizer.s (unused)', bytes: second ? bytes(N * total) : 16 },
    );
  }
  return list;
}

type MemoryArgs = Parameters<typeof planMemory>;
const relu = (sizes: number[], loss: ModelSpec['loss'] = 'ce'): ModelSpec => ({ sizes, activation: 'relu', loss });
const rows = (train: number, test: number, dev = 0): PlanRows => ({ train, test, dev });

const MEMORY_CASES: [string, MemoryArgs][] = [
  ['sgd', [relu([5, 7, 3]), {}, 8, rows(50, 20)]],
  ['adam + l2', [relu([4, 9, 6, 1], 'bce'), { optimizer: 'adam', l2: 0.1 }, 16, rows(40, 10)]],
  ['momentum, sgd + l2', [relu([3, 2], 'mse'), { optimizer: 'momentum' }, 4, rows(9, 3)]],
  ['sgd + l2 (unused moments)', [relu([3, 5, 2]), { l2: 0.5 }, 4, rows(9, 3)]],
  ['rmsprop + dropout + dev', [relu([6, 10, 8, 3]), { optimizer: 'rmsprop', keepProb: 0.8 }, 10, rows(30, 0, 7)]],
  [
    'batch norm + dropout + adam',
    [
      { sizes: [4, 9, 6, 1], activation: 'tanh', loss: 'bce', batchNorm: true },
      { optimizer: 'adam', keepProb: 0.5 },
      8,
      rows(40, 0, 10),
    ],
  ],
  ['sharded', [relu([12, 10, 4]), {}, 16, rows(200, 50), 256, false, { mode: 'sharded', shardRows: 32 }]],
  [
    '3 models, adam, 4 steps per submit',
    [relu([8, 12, 4]), { optimizer: 'adam' }, 16, rows(50, 21), 256, false, undefined, 3, 4],
  ],
  ['inference', [relu([8, 12, 4]), { optimizer: 'adam' }, 16, rows(50, 21), 256, true]],
  ['alignment 64, wide', [relu([784, 300, 10]), {}, 64, rows(1000, 100), 64]],
];

describe('planLayout buffers', () => {
  for (const [label, args] of MEMORY_CASES) {
    // Test that the layout's buffer list is, name by name, size by size and in order, what planMemory
    // listed before the layout existed.
    it(`equal the hand-written planMemory (${label})`, () => {
      expect(planMemory(...args)).toEqual(planMemoryBefore(...args));
    });
  }
});

/** A layout as TrainingPlan.create describes it on a device with these limits. */
function layout(
  spec: ModelSpec,
  maxBatch: number,
  options: PlanOptions & { config?: Partial<TrainConfig> } = {},
  limits: DeviceLimits = SWIFTSHADER,
): PlanLayout {
  return describePlan({ spec, configs: [options.config], maxBatch, rows: rows(maxBatch, maxBatch) }, options, {
    adapterName: ADAPTER,
    limits,
  });
}

describe('planLayout ops', () => {
  const specs: [string, ModelSpec, PlanOptions & { config?: Partial<TrainConfig> }][] = [
    ['blocked sgd', relu([20, 16, 12, 5]), { matmul: 'blocked' }],
    [
      'adam, L2, dropout, batch norm',
      { sizes: [5, 9, 7, 3], activation: 'sigmoid', loss: 'mse', batchNorm: true },
      { config: { optimizer: 'adam', l2: 0.3, keepProb: 0.8 } },
    ],
    ['unfused naive', relu([6, 10, 8, 1], 'bce'), { fuse: false, naive: true, config: { optimizer: 'momentum' } }],
    ['tiled8, 3 models', relu([8, 12, 4]), { matmul: 'tiled8', models: [{}, { keepProb: 0.5 }, { l2: 0.1 }] }],
    ['inference', relu([8, 12, 4]), { inference: true }],
  ];
  for (const [label, spec, options] of specs) {
    // Test that every op binds each storage binding its kernel declares to a buffer of the layout, every
    // range inside its buffer at an aligned offset, and that every storage buffer is bound by some op.
    it(`bind the layout's buffers (${label})`, () => {
      const l = layout(spec, 8, options);
      const bytes = new Map(l.buffers.map((b) => [b.name, b.bytes]));
      const bound = new Set<string>();
      for (const op of l.ops) {
        const desc: KernelDesc = KERNELS[op.kernel];
        for (const b of desc.bindings) {
          if (b.kind === 'uniform') continue;
          // A binding the kernel's view never reads is bound to the buffer it names instead (Dispatch).
          const ref = op.bindings[desc.unused?.[b.name] ?? b.name];
          expect(ref, `${op.where}: ${op.kernel} binding ${b.name}`).toBeDefined();
          const r = typeof ref === 'string' ? { buffer: ref, offset: 0, size: bytes.get(ref)! } : ref!;
          expect(bytes.has(r.buffer), `${op.kernel}.${b.name} → ${r.buffer}`).toBe(true);
          expect(r.offset % 256).toBe(0);
          expect(r.offset + r.size).toBeLessThanOrEqual(bytes.get(r.buffer)!);
          bound.add(r.buffer);
        }
      }
      if (options.inference) return; // no training ops: the gradients, order and training statistics stay unbound
      for (const b of l.buffers) if (b.usage === 'storage') expect(bound.has(b.name), `${b.name} bound`).toBe(true);
    });
  }

  // Test that a step's sequence runs gather, forward, loss, reduce, backward and update in that order,
  // and an evaluation chunk gather, forward, loss, reduce, sharing the forward and loss ops with it.
  it('sequence a step and an evaluation chunk', () => {
    const l = layout(relu([4, 8, 3]), 8, { matmul: 'tiled' });
    if (l.sequences.mode !== 'resident') throw new Error('expected resident data');
    const kernels = (ops: readonly { kernel: KernelId }[]) => ops.map((o) => o.kernel);
    expect(kernels(l.sequences.train)).toEqual([
      'gather',
      'matmulBiasAct',
      'matmulBiasAct',
      'softmaxCrossEntropy',
      'reduceStats',
      'matmulTiled',
      'biasGrad',
      'matmulActGrad',
      'matmulTiled',
      'biasGrad',
      'sgdUpdate',
    ]);
    expect(kernels(l.sequences.evaluate.test)).toEqual([
      'gather',
      'matmulBiasAct',
      'matmulBiasAct',
      'softmaxCrossEntropy',
      'reduceStats',
    ]);
    expect(l.sequences.evaluate.test[1]).toBe(l.sequences.train[1]); // one dispatch, two sequences
    expect(l.sequences.evaluate.dev).toEqual([]);
    expect(l.forward).toEqual(l.sequences.evaluate.test.slice(1, 3));
  });
});

describe('workgroup shapes from the WGSL', () => {
  // Test that every kernel's @workgroup_size and workgroup memory are read from its source.
  it('are read for every kernel', () => {
    for (const id of Object.keys(KERNELS) as KernelId[]) {
      const { size: s } = workgroupShape(id);
      expect(s[0] * s[1] * s[2], id).toBeGreaterThan(0);
    }
    expect(workgroupShape('matmulTiled')).toEqual({ size: [16, 16, 1], storageBytes: 8192 });
    expect(workgroupShape('matmulTiled8BiasAct')).toEqual({ size: [16, 16, 1], storageBytes: 8192 });
    expect(workgroupShape('matmulVec4NT')).toEqual({ size: [8, 8, 1], storageBytes: 0 });
    expect(workgroupShape('gather')).toEqual({ size: [256, 1, 1], storageBytes: 0 });
    expect(workgroupShape('biasGrad')).toEqual({ size: [64, 1, 1], storageBytes: 0 });
  });
});

/** The refusal of a layout on these limits (undefined when it fits). */
function refusal(l: PlanLayout, limits: DeviceLimits = SWIFTSHADER): TrainerError | undefined {
  try {
    checkLimits(l, limits, { subject: 'plan', adapter: ADAPTER, bytes: formatBytes });
    return undefined;
  } catch (e) {
    if (!(e instanceof TrainerError)) throw e;
    return e;
  }
}

function refused(l: PlanLayout, limits: DeviceLimits, message: string | RegExp): void {
  const e = refusal(l, limits);
  expect(e?.code).toBe('too-large');
  if (typeof message === 'string') expect(e?.message).toBe(message);
  else expect(e?.message).toMatch(message);
}

describe('device limits, checked on the layout before anything is allocated', () => {
  const wide = relu([2, 3_000_000, 1], 'bce');

  // Test that a grid past maxComputeWorkgroupsPerDimension (the 3,000,000-unit layer whose dropped
  // dispatch trained nothing) is refused naming the layer, the kernel, the figure and the limit.
  it('maxComputeWorkgroupsPerDimension', () => {
    refused(
      layout(wide, 32, { matmul: 'blocked' }),
      SWIFTSHADER,
      "plan: layer 1 (2 → 3000000), forward: kernel matmulBlockedBiasAct needs 93750 workgroups along x, over google swiftshader's maxComputeWorkgroupsPerDimension of 65535",
    );
    // A matmul's tiles along one dimension cannot be folded: tiled8's 128-wide tiles of a 9,000,000-wide
    // layer, where the one-thread-per-column kernels fold.
    refused(
      layout(relu([2, 9_000_000, 1], 'bce'), 1, { matmul: 'tiled8' }),
      SWIFTSHADER,
      "plan: layer 1 (2 → 9000000), forward: kernel matmulTiled8BiasAct needs 70313 workgroups along x, over google swiftshader's maxComputeWorkgroupsPerDimension of 65535",
    );
  });

  // Test that grids that can fold are folded rather than refused: the unfused bias + activation of a
  // 1,048,576-wide layer (33,554,432 elements) runs as a 2-D grid within the limit, so does the bias
  // gradient of a 5,000,000-wide one (78,125 workgroups of 64 columns), and the models of a blocked
  // product keep their grid within the limit when a tiling that does exists.
  it('folds what can be folded', () => {
    const columns = layout(relu([2, 5_000_000, 1], 'bce'), 1, { matmul: 'tiled8' });
    expect(refusal(columns)).toBeUndefined();
    const biasGrads = columns.ops.filter((o) => o.kernel === 'biasGrad').map((o) => o.grid(1));
    expect(biasGrads).toContainEqual([39063, 2, 1]);
    const l = layout(relu([16, 1_048_576, 1], 'bce'), 32, { matmul: 'tiled', fuse: false });
    expect(refusal(l)).toBeUndefined();
    const bias = l.ops.find((o) => o.kernel === 'biasActivation')!;
    const [x, y] = bias.grid(32);
    expect(y).toBeGreaterThan(1);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y * 256).toBeGreaterThanOrEqual(32 * 1_048_576);
    expect(modelLayout(7, 36, 13).grid).toEqual([5, 1, 1]); // the fewest workgroups
    expect(modelLayout(7, 36, 13, 4)).toEqual({ bx: 9, by: 2, mx: 2, grid: [3, 2, 1] }); // the fewest that fit
  });

  // Test that a kernel whose workgroup memory is past maxComputeWorkgroupStorageSize is refused.
  it('maxComputeWorkgroupStorageSize', () => {
    refused(
      layout(relu([4, 8, 3]), 8, { matmul: 'tiled' }),
      { ...SWIFTSHADER, maxComputeWorkgroupStorageSize: 4096 },
      "plan: layer 1 (4 → 8), forward: kernel matmulBiasAct declares 8.00 KiB of workgroup memory, over google swiftshader's maxComputeWorkgroupStorageSize of 4.00 KiB",
    );
  });

  // Test that a kernel with more invocations per workgroup than maxComputeInvocationsPerWorkgroup is refused.
  it('maxComputeInvocationsPerWorkgroup', () => {
    refused(
      layout(relu([4, 8, 3]), 8, { matmul: 'tiled' }),
      { ...SWIFTSHADER, maxComputeInvocationsPerWorkgroup: 128 },
      "plan: layer 1 (4 → 8), forward: kernel matmulBiasAct runs 256 invocations per workgroup, over google swiftshader's maxComputeInvocationsPerWorkgroup of 128",
    );
  });

  // Test that a workgroup wider than maxComputeWorkgroupSizeX is refused.
  it('maxComputeWorkgroupSizeX', () => {
    refused(
      layout(relu([4, 8, 3]), 8, { matmul: 'blocked' }),
      { ...SWIFTSHADER, maxComputeWorkgroupSizeX: 128 },
      "plan: update: kernel sgdUpdate has a workgroup size of 256 along x, over google swiftshader's maxComputeWorkgroupSizeX of 128",
    );
  });

  // Test that a buffer past maxStorageBufferBindingSize (below maxBufferSize) is refused naming it.
  it('maxStorageBufferBindingSize', () => {
    refused(
      layout(relu([2, 1_048_576, 1], 'bce'), 64),
      { ...SWIFTSHADER, maxStorageBufferBindingSize: 128 * 2 ** 20 },
      "plan: buffer 'A1' needs 256.0 MiB, over google swiftshader's maxStorageBufferBindingSize of 128.0 MiB",
    );
  });

  // Test that a buffer past maxBufferSize is refused naming it.
  it('maxBufferSize', () => {
    refused(
      layout(relu([2, 8_388_608, 1], 'bce'), 64),
      SWIFTSHADER,
      "plan: buffer 'A1' needs 2.00 GiB, over google swiftshader's maxBufferSize of 1.00 GiB",
    );
    // The uniform buffer of a kernel, one copy per step of a submitted group.
    refused(
      layout(relu([4, 8, 3]), 8, { matmul: 'blocked', stepsPerSubmit: 2 ** 22 + 1 }),
      SWIFTSHADER,
      /kernel \w+ needs a uniform buffer of 1\.00 GiB for 4194305 steps per submit, over google swiftshader's maxBufferSize of 1\.00 GiB/,
    );
  });

  // Test that a kernel binding more storage buffers than maxStorageBuffersPerShaderStage is refused.
  it('maxStorageBuffersPerShaderStage', () => {
    refused(
      layout(relu([4, 8, 3]), 8, { matmul: 'blocked' }),
      { ...SWIFTSHADER, maxStorageBuffersPerShaderStage: 6 },
      "plan: gather (train): kernel gather binds 7 storage buffers, over google swiftshader's maxStorageBuffersPerShaderStage of 6",
    );
  });

  // Test that uniform bindings past maxUniformBufferBindingSize or maxUniformBuffersPerShaderStage, and
  // binding numbers past maxBindingsPerBindGroup, are refused.
  it('uniform bindings and binding numbers', () => {
    const l = layout(relu([4, 8, 3]), 8, { matmul: 'blocked' });
    refused(
      l,
      { ...SWIFTSHADER, maxUniformBufferBindingSize: 32 },
      /kernel matmul\w+ has a uniform of 48 B, over .*maxUniformBufferBindingSize of 32 B/,
    );
    refused(
      l,
      { ...SWIFTSHADER, maxUniformBuffersPerShaderStage: 0 },
      /binds 1 uniform buffers, over .*maxUniformBuffersPerShaderStage of 0/,
    );
    refused(
      l,
      { ...SWIFTSHADER, maxBindingsPerBindGroup: 10 },
      "plan: update: kernel sgdUpdate numbers its bindings up to 15, over google swiftshader's maxBindingsPerBindGroup of 10",
    );
  });

  // Test that SwiftShader's real limits take every family at the widths the README trains.
  it('lets ordinary plans through', () => {
    for (const matmul of ['tiled', 'blocked', 'tiled8'] as MatmulFamily[])
      expect(refusal(layout(relu([784, 128, 64, 10]), 64, { matmul, config: { optimizer: 'adam' } }))).toBeUndefined();
  });
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('checkFits', () => {
  const run = (batchSize: number, matmul?: MatmulFamily) => ({
    batchSize,
    rows: rows(200, 50),
    ...(matmul ? { matmul } : {}),
  });

  // Test that checkFits refuses what the plan would, naming the adapter, and, when the trainer has not
  // picked the matmul family yet, lets a model through that some family can run.
  it('runs the plan check', () => {
    const wide = relu([2, 3_000_000, 1], 'bce');
    expect(() => checkFits(wide, {}, 'gpu', SWIFTSHADER, ADAPTER, run(32, 'blocked'))).toThrow(
      "layer sizes [2,3000000,1], batch 32: layer 1 (2 → 3000000), forward: kernel matmulBlockedBiasAct needs 93750 workgroups along x, over google swiftshader's maxComputeWorkgroupsPerDimension of 65535",
    );
    expect(checkFits(wide, {}, 'gpu', SWIFTSHADER, ADAPTER, run(32))).toEqual({
      name: 'A1',
      bytes: 32 * 3_000_000 * 4,
    });
    const e = thrown(() => checkFits(relu([2, 9_000_000, 1], 'bce'), {}, 'gpu', SWIFTSHADER, ADAPTER, run(1)));
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe('too-large');
    expect((e as TrainerError).message).toMatch(/kernel matmulBlockedBiasAct needs 281250 workgroups along x/); // the adapter's preferred family
  });
});
