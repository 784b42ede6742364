// Batch normalisation on the CPU reference: the twins on hand-checkable numbers, training vs inference
// mode, the running averages, the bias left alone, model files and the reference's exact state.
import { describe, expect, it } from 'vitest';
import { BN_EPSILON, BN_MOMENTUM, paramCount, type ModelSpec } from '../../src/model.ts';
import { initParams } from '../../src/init.ts';
import {
  decodeSafetensors,
  paramsFromSafetensors,
  paramsToSafetensors,
  specFromSafetensors,
} from '../../src/io/safetensors.ts';
import { batchNormBackward, batchNormForward, batchNormInference } from '../../src/reference/ops.ts';
import { forward, toParams64, trainStep, zeroState } from '../../src/reference/mlp.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { resolveConfig } from '../../src/train/backend.ts';
import { Rng } from '../../src/rng.ts';

const f64 = (v: number[]): Float64Array => Float64Array.from(v);
const spec: ModelSpec = { sizes: [3, 5, 4, 2], activation: 'tanh', loss: 'ce', batchNorm: true };

describe('batch norm twins', () => {
  // Test that with γ = 1, β = 0 and a linear g every column comes out with mean 0 and variance σ²/(σ²+ε).
  it('batchNormForward standardises each column over the batch', () => {
    const z = f64([1, 10, 2, 20, 3, 30, 6, 40]); // 4 rows × 2 cols
    const r = batchNormForward(z, f64([1, 1]), f64([0, 0]), f64([0, 0]), f64([1, 1]), 4, 2, 'linear');
    for (const j of [0, 1]) {
      const col = [0, 1, 2, 3].map((i) => r.a[i * 2 + j]!);
      const mean = col.reduce((s, v) => s + v, 0) / 4;
      expect(mean).toBeCloseTo(0, 14);
      const zc = [0, 1, 2, 3].map((i) => z[i * 2 + j]!);
      const mu = zc.reduce((s, v) => s + v, 0) / 4;
      const v = zc.reduce((s, x) => s + (x - mu) ** 2, 0) / 4; // biased
      expect(col.reduce((s, x) => s + x * x, 0) / 4).toBeCloseTo(v / (v + BN_EPSILON), 14);
      expect(r.runMean[j]).toBeCloseTo((1 - BN_MOMENTUM) * mu, 14);
      expect(r.runVar[j]).toBeCloseTo(BN_MOMENTUM + (1 - BN_MOMENTUM) * v, 12);
    }
    expect(Array.from(r.xhat)).toEqual(Array.from(r.a)); // linear, γ = 1, β = 0: A = Ẑ
  });
  // Test that inference mode uses the given running stats, not the batch's, with γ and β applied.
  it('batchNormInference uses the running stats', () => {
    const a = batchNormInference(f64([3, 5]), f64([2]), f64([1]), f64([1]), f64([4 - BN_EPSILON]), 2, 1, 'linear');
    expect(Array.from(a)).toEqual([(2 * (3 - 1)) / 2 + 1, (2 * (5 - 1)) / 2 + 1]);
  });
  // Test that the backward matches finite differences of Σ c·A over every input, γ and β.
  it('batchNormBackward matches finite differences', () => {
    const rng = new Rng(5);
    const [rows, cols] = [6, 3];
    const z = Float64Array.from({ length: rows * cols }, () => rng.normal());
    const gamma = Float64Array.from({ length: cols }, () => 1 + rng.normal() * 0.3);
    const beta = Float64Array.from({ length: cols }, () => rng.normal() * 0.3);
    const c = Float64Array.from({ length: rows * cols }, () => rng.normal()); // dJ/dA for J = Σ c·A
    const run = [new Float64Array(cols), new Float64Array(cols).fill(1)] as const;
    const J = () =>
      batchNormForward(z, gamma, beta, run[0], run[1], rows, cols, 'sigmoid').a.reduce((s, v, i) => s + v * c[i]!, 0);
    const f = batchNormForward(z, gamma, beta, run[0], run[1], rows, cols, 'sigmoid');
    const g = batchNormBackward(c, f.a, f.xhat, gamma, f.istd, rows, cols, 'sigmoid');
    const eps = 1e-6;
    for (const [theta, grad] of [
      [z, g.dZ],
      [gamma, g.dGamma],
      [beta, g.dBeta],
    ] as const) {
      for (let i = 0; i < theta.length; i++) {
        const o = theta[i]!;
        theta[i] = o + eps;
        const p = J();
        theta[i] = o - eps;
        const m = J();
        theta[i] = o;
        expect(grad[i]).toBeCloseTo((p - m) / (2 * eps), 7);
      }
    }
  });
});

describe('batch norm in the reference network', () => {
  const rng = new Rng(3);
  const rows = 8;
  const x = Float64Array.from({ length: rows * 3 }, () => rng.normal());
  const y = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) y[r * 2 + rng.int(2)] = 1;

  // Test that init gives γ = 1, β = 0, mean 0, var 1 on hidden layers only, and paramCount counts γ and β.
  it('initialises the batch-norm tensors', () => {
    const p = initParams(spec, 1);
    expect(p.map((l) => l.bn !== undefined)).toEqual([true, true, false]);
    expect(Array.from(p[0]!.bn!.gamma)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(p[1]!.bn!.var)).toEqual([1, 1, 1, 1]);
    expect(p[0]!.weight).toEqual(initParams({ ...spec, batchNorm: false }, 1)[0]!.weight);
    expect(paramCount(spec)).toBe(paramCount({ ...spec, batchNorm: false }) + 2 * (5 + 4));
  });

  // Test that a training step moves γ, β and the running stats, leaves the bias at zero (its gradient
  // is 0), and that 'eval' mode then differs from 'train' mode.
  it('trainStep updates γ, β and the running stats, never the bias', () => {
    for (const opt of [undefined, 'adam'] as const) {
      const p = toParams64(initParams(spec, 1));
      const state = zeroState(p);
      const r = trainStep(
        spec,
        p,
        x,
        y,
        rows,
        0.1,
        opt ? { config: resolveConfig({ optimizer: opt, l2: 0.5 }), state, t: 1 } : undefined,
      );
      expect(r.grads.bn?.[0]?.dGamma.length).toBe(5);
      expect(Array.from(r.grads.db[0]!)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(p[0]!.bias)).toEqual([0, 0, 0, 0, 0]);
      expect(p[0]!.bn!.gamma.some((v) => v !== 1)).toBe(true);
      expect(p[1]!.bn!.beta.some((v) => v !== 0)).toBe(true);
      expect(p[0]!.bn!.mean.some((v) => v !== 0)).toBe(true);
      expect(p[0]!.bn!.var.some((v) => v !== 1)).toBe(true);
      const out = (mode: 'train' | 'eval') => forward(spec, p, x, rows, undefined, mode).a.at(-1)!;
      expect(Array.from(out('eval'))).not.toEqual(Array.from(out('train')));
    }
  });

  // Test that the running averages after many steps on one batch converge to that batch's statistics,
  // so eval mode and train mode agree on it.
  it('running averages converge to the batch statistics', () => {
    const p = toParams64(initParams(spec, 1));
    for (let i = 0; i < 400; i++) {
      const { bn } = forward(spec, p, x, rows);
      for (const [l, c] of bn.entries())
        if (c) {
          p[l]!.bn!.mean.set(c.runMean);
          p[l]!.bn!.var.set(c.runVar);
        }
    }
    const a = (mode: 'train' | 'eval') => forward(spec, p, x, rows, undefined, mode).a.at(-1)!;
    const [t, e] = [a('train'), a('eval')];
    for (let i = 0; i < t.length; i++) expect(e[i]).toBeCloseTo(t[i]!, 9);
  });

  // Test that a batch-norm model file round-trips every tensor and the flag, and a plain one is unchanged.
  it('safetensors: bn tensors and the architecture flag', () => {
    const p = initParams(spec, 2);
    p[0]!.bn!.mean[1] = 0.25;
    const bytes = paramsToSafetensors(spec, p);
    const names = [...decodeSafetensors(bytes).tensors.keys()];
    expect(names).toContain('layers.1.bn_var');
    expect(names.filter((n) => n.startsWith('layers.2.'))).toEqual(['layers.2.weight', 'layers.2.bias']);
    expect(specFromSafetensors(bytes)).toEqual(spec);
    expect(paramsFromSafetensors(bytes, spec)).toEqual(p);
    expect(() => paramsFromSafetensors(bytes, { ...spec, batchNorm: false })).toThrow(
      /layers\.0\.bn_gamma.*not part of the model/,
    );
    const plain = { ...spec, batchNorm: undefined };
    const plainBytes = paramsToSafetensors(plain, initParams(plain, 2));
    expect(decodeSafetensors(plainBytes).metadata.architecture).toBe(
      '{"sizes":[3,5,4,2],"activation":"tanh","loss":"ce"}',
    );
    expect(() => paramsFromSafetensors(plainBytes, spec)).toThrow(/layers\.0\.bn_gamma: missing from the file/);
  });

  // Test that CpuBackend evaluates with the running stats and keeps them (float64) in its exact state.
  it('CpuBackend: evaluate in inference mode, running stats in readState/writeState', async () => {
    const data = { x: Float32Array.from(x), y: Float32Array.from(y), n: rows };
    const init = {
      spec,
      params: initParams(spec, 1),
      train: data,
      test: data,
      maxBatch: 4,
      config: { optimizer: 'adam' as const },
    };
    const a = CpuBackend.create(init);
    a.step(0, 4, 0.05);
    a.step(4, 4, 0.05);
    const state = await a.readState();
    expect(state['f64.layers.0.bn_mean']).toBeInstanceOf(Float64Array);
    expect(state['f64.optimizer.v.layers.1.bn_gamma']).toBeInstanceOf(Float64Array);
    const b = CpuBackend.create({ ...init, params: await a.readParams() });
    b.writeState(state);
    expect(await b.evaluate('test')).toEqual(await a.evaluate('test'));
    a.step(0, 4, 0.05);
    b.step(0, 4, 0.05);
    expect(await b.readState()).toEqual(await a.readState());
    // Inference mode is per example: evaluating in chunks of 1 row gives what chunks of 8 give.
    const params = await a.readParams();
    const [one, eight] = [1, 8].map((maxBatch) => CpuBackend.create({ ...init, params, maxBatch }));
    one!.writeState(await a.readState());
    eight!.writeState(await a.readState());
    expect((await one!.evaluate('test')).lossSum).toBeCloseTo((await eight!.evaluate('test')).lossSum, 12);
  });
});
