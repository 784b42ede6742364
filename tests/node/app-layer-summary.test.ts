// The per-layer summary (src/app/layer-summary.ts): shapes, parameters and float32 memory per layer.
import { describe, expect, it } from 'vitest';
import { paramCount, type ModelSpec } from '../../src/index.ts';
import { layerRows } from '../../src/app/layer-summary.ts';

describe('layer summary', () => {
  it('Test that every layer gets its shapes and parameters, and they add up to paramCount', () => {
    const spec: ModelSpec = { sizes: [784, 32, 16, 10], activation: 'relu', loss: 'ce', batchNorm: true };
    const rows = layerRows(spec, 64, 'adam');
    expect(rows.map((r) => [r.layer, r.output, r.tensors, r.params])).toEqual([
      ['input', '[64, 784]', '', 0],
      ['1: dense + batch norm, relu', '[64, 32]', 'W [32, 784], b [32], γ β [32] (+ running μ σ²)', 32 * 785 + 64],
      ['2: dense + batch norm, relu', '[64, 16]', 'W [16, 32], b [16], γ β [16] (+ running μ σ²)', 16 * 33 + 32],
      ['3: dense, softmax', '[64, 10]', 'W [10, 16], b [10]', 10 * 17],
    ]);
    expect(rows.reduce((a, r) => a + r.params, 0)).toBe(paramCount(spec));
  });

  it('Test that memory is float32: weights, one or two moments by optimizer, a batch of activations and gradients', () => {
    const spec: ModelSpec = { sizes: [2, 8, 1], activation: 'tanh', loss: 'bce' };
    const [input, hidden, out] = layerRows(spec, 32, 'momentum');
    expect(input).toMatchObject({ activationBytes: 4 * 32 * 2, weightBytes: 0 });
    expect(hidden).toMatchObject({ params: 24, weightBytes: 96, optimizerBytes: 96, activationBytes: 4 * 32 * 8 * 2 });
    expect(out).toMatchObject({ layer: '2: dense, sigmoid', params: 9, optimizerBytes: 36 });
    expect(layerRows(spec, 32, 'adam')[1]!.optimizerBytes).toBe(192);
    expect(layerRows(spec, 32, 'sgd')[1]!.optimizerBytes).toBe(0);
  });
});
