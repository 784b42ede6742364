// The fused plan as data (src/gpu/fused.ts): its envelope, its sizes, and the device-limit check read
// from the same layout, in Node (no GPU call).
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../src/errors.ts';
import {
  checkFused,
  fusedLayout,
  fusedParamCount,
  fusedRefusal,
  fusedScratchCount,
  fusedVariant,
  fusedWidths,
  fusedWorkgroupSize,
  packParams,
  unpackParams,
  type FusedParams,
} from '../../src/gpu/fused.ts';
import { DEFAULT_LIMITS, type DeviceLimits } from '../../src/gpu/limits.ts';
import { workgroupShape } from '../../src/gpu/workgroup.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { resolveConfig } from '../../src/train/backend.ts';

const MOONS: ModelSpec = { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' };
const params = (spec: ModelSpec, over: Partial<FusedParams> = {}): FusedParams => ({
  spec,
  configs: [resolveConfig({})],
  batch: 32,
  n: 800,
  stepsPerSubmit: 20,
  regression: false,
  ...over,
});

function refusal(p: FusedParams, limits: DeviceLimits = DEFAULT_LIMITS): string | undefined {
  try {
    checkFused(fusedLayout(p), limits, 'the adapter');
    return undefined;
  } catch (e) {
    if (!(e instanceof TrainerError)) throw e;
    expect(e.code).toBe('too-large');
    return e.message;
  }
}

describe('fused envelope', () => {
  // Test that the nets the issue names are inside the envelope on WebGPU's default limits.
  it('takes the small nets', () => {
    for (const sizes of [
      [2, 16, 16, 1],
      [30, 16, 8, 1],
      [4, 16, 3],
      [64, 64, 64, 64, 10],
    ])
      expect(refusal(params({ ...MOONS, sizes }))).toBeUndefined();
  });

  // Test that what the kernel does not do yet, or cannot hold, is refused with the reason named.
  it('refuses what it does not hold', () => {
    expect(fusedRefusal({ ...MOONS, sizes: [65, 8, 1] }, [resolveConfig({})])).toMatch(/width 65 at sizes\[0\]/);
    expect(fusedRefusal({ ...MOONS, sizes: Array<number>(17).fill(4) }, [resolveConfig({})])).toMatch(/16 layers/);
    // Batch norm is held by the vec4 and lane kernels; the scalar one refuses it.
    expect(fusedRefusal({ ...MOONS, batchNorm: true }, [resolveConfig({})])).toBeUndefined();
    // Dropout is held (its masks are the layered plan's), a sweep mixing keep-probs too.
    expect(fusedRefusal(MOONS, [resolveConfig({ keepProb: 0.8 }), resolveConfig({})])).toBeUndefined();
    expect(fusedRefusal(MOONS, [resolveConfig({}), resolveConfig({ optimizer: 'adam' })])).toMatch(/optimizers/);
    expect(refusal(params({ ...MOONS, batchNorm: true }))).toBeUndefined();
    expect(refusal(params({ ...MOONS, batchNorm: true }, { variant: 'lane', workgroupSize: 4 }))).toBeUndefined();
    expect(refusal(params({ ...MOONS, batchNorm: true }, { variant: 'scalar' }))).toMatch(
      /^fused plan \[2,16,16,1\] batch 32: batch norm \(in the 'vec4' and 'lane' kernels, not the scalar one\)/,
    );
  });

  // Test that the device-limit check reads the fused op as data: its storage bindings, its grid.
  it('checks the op against the device limits', () => {
    expect(refusal(params(MOONS), { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: 7 })).toMatch(
      /kernel fusedStepVec4 binds 8 storage buffers.*maxStorageBuffersPerShaderStage of 7/,
    );
    const sweep = params(MOONS, { configs: Array.from({ length: 40 }, () => resolveConfig({})) });
    expect(refusal(sweep, { ...DEFAULT_LIMITS, maxComputeWorkgroupsPerDimension: 32 })).toMatch(
      /needs 40 workgroups along x/,
    );
    expect(
      refusal(params(MOONS, { n: 5_000_000 }), { ...DEFAULT_LIMITS, maxStorageBufferBindingSize: 2 ** 24 }),
    ).toMatch(/buffer 'x' needs/);
    // Batch norm's Ẑ and 1/√(σ² + ε) live in the scratch buffer (no workgroup memory), so the same check
    // sizes them: [2,16,16,1] b32 needs 10,240 scratch bytes a model, 14,464 with batch norm.
    const small = { ...DEFAULT_LIMITS, maxStorageBufferBindingSize: 12_288 };
    expect(refusal(params(MOONS), small)).toBeUndefined();
    expect(refusal(params({ ...MOONS, batchNorm: true }), small)).toMatch(
      /buffer 'scratch' needs 14.1 KiB, over .*maxStorageBufferBindingSize/,
    );
  });
});

describe('fused sizes', () => {
  // Test that the parameter and scratch counts are what the kernel's offsets walk.
  it('counts parameters and scratch', () => {
    expect(fusedParamCount(MOONS, 'scalar')).toBe(2 * 16 + 16 + 16 * 16 + 16 + 16 + 1);
    // Activations of layers 0..3 (35 a row), dZ of layers 1..3 (33 a row), (loss, correct) a row.
    expect(fusedScratchCount(MOONS, 32, 'scalar')).toBe(32 * (35 + 33 + 2));
    // vec4: widths [4,16,16,4]; a vec4 of statistics a row.
    expect(fusedWidths(MOONS)).toEqual([4, 16, 16, 4]);
    expect(fusedParamCount(MOONS)).toBe(16 * 5 + 16 * 17 + 4 * 17);
    expect(fusedScratchCount(MOONS, 32)).toBe(32 * (40 + 36 + 4));
    // Batch norm: γ, β, running mean and var of each hidden layer after the weights; its Ẑ (a row) and
    // 1/√(σ² + ε) after the statistics; no workgroup storage.
    const bn = { ...MOONS, batchNorm: true };
    expect(fusedParamCount(bn)).toBe(fusedParamCount(MOONS) + 4 * (16 + 16));
    expect(fusedScratchCount(bn, 32)).toBe(fusedScratchCount(MOONS, 32) + 33 * (16 + 16));
    expect(fusedParamCount({ ...bn, sizes: [2, 5, 1] })).toBe(fusedParamCount({ ...MOONS, sizes: [2, 5, 1] }) + 4 * 8);
    expect(fusedLayout(params(bn)).op.constants).toMatchObject({ BN: 1, BN_EPS: 1e-5, BN_MOMENTUM: 0.9 });
    expect(fusedLayout(params(MOONS)).op.constants).not.toHaveProperty('BN');
    expect(fusedLayout(params({ ...bn, sizes: [2, 1] })).op.constants).not.toHaveProperty('BN');
    expect(workgroupShape('fusedStep')).toEqual({ size: [64, 1, 1], storageBytes: 0 });
    expect(workgroupShape('fusedStepVec4')).toEqual({ size: [64, 1, 1], storageBytes: 0 });
    expect(workgroupShape('fusedStepLane')).toEqual({ size: [64, 1, 1], storageBytes: 0 });
  });

  // Test that the lane kernel is picked on a CPU-emulated adapter for 4 models or more of a small step
  // only, in workgroups of 4 (one SwiftShader subgroup), and that its grid is an invocation a model.
  it('picks the lane kernel by adapter, models and size', () => {
    const cpu = 'google swiftshader';
    expect(fusedVariant(MOONS, 32, 1, cpu)).toBe('vec4');
    expect(fusedVariant(MOONS, 32, 3, cpu)).toBe('vec4');
    expect(fusedVariant(MOONS, 32, 4, cpu)).toBe('lane');
    expect(fusedVariant(MOONS, 32, 32, cpu)).toBe('lane');
    expect(fusedVariant(MOONS, 32, 32, 'nvidia h200')).toBe('vec4');
    const cancer: ModelSpec = { sizes: [30, 16, 8, 1], activation: 'relu', loss: 'bce' };
    expect(fusedVariant(cancer, 64, 32, cpu)).toBe('vec4');
    expect(fusedWorkgroupSize(MOONS, 32, cpu, 'lane')).toBe(4);
    expect(fusedWorkgroupSize(MOONS, 32, cpu, 'vec4')).toBe(8);
    const configs = Array.from({ length: 9 }, () => resolveConfig({}));
    const lane = fusedLayout(params(MOONS, { configs, variant: 'lane', workgroupSize: 4 }));
    expect(lane.op.grid(32)).toEqual([3, 1, 1]);
    expect(lane.op.constants).toMatchObject({ WG: 4 });
    expect(fusedLayout(params(MOONS, { configs, variant: 'vec4' })).op.grid(32)).toEqual([9, 1, 1]);
  });

  // Test that packing a model's parameters for the kernel and unpacking them give them back.
  it('packs and unpacks parameters, padding zero', () => {
    const p = initParams(MOONS, 3);
    for (const variant of ['scalar', 'vec4'] as const) {
      const flat = packParams(p, fusedWidths(MOONS, variant));
      expect(flat.length).toBe(fusedParamCount(MOONS, variant));
      expect(unpackParams(MOONS, flat, fusedWidths(MOONS, variant))).toEqual(p);
    }
    // With batch norm: γ, β, running mean and var of each hidden layer after all weights and biases.
    const bn: ModelSpec = { sizes: [3, 6, 5, 2], activation: 'relu', loss: 'ce', batchNorm: true };
    const q = initParams(bn, 4);
    q[0]!.bn!.mean.fill(0.25);
    q[1]!.bn!.var.fill(2);
    for (const variant of ['scalar', 'vec4'] as const) {
      const flat = packParams(q, fusedWidths(bn, variant));
      expect(flat.length).toBe(fusedParamCount(bn, variant));
      expect(unpackParams(bn, flat, fusedWidths(bn, variant))).toEqual(q);
    }
    // vec4: weights and biases take 8·5 + 8·9 + 4·9 floats; then layer 0's γ (6 and 2 padding), β, mean.
    const packed = packParams(q, fusedWidths(bn));
    expect([...packed.subarray(148 + 16, 148 + 24)]).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0, 0]);
    // Layer 0 padded: row j holds w[j][0], w[j][1], 0, 0.
    const flat = packParams(p, fusedWidths(MOONS));
    expect([...flat.subarray(4, 8)]).toEqual([p[0]!.weight[2], p[0]!.weight[3], 0, 0]);
  });
});
