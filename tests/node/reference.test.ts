import { describe, it, expect } from 'vitest';
import {
  HIDDEN_ACTIVATIONS,
  LEAKY_SLOPE,
  layerCount,
  size,
  type Activation,
  type Loss,
  type ModelSpec,
} from '../../src/model.ts';
import { initParams } from '../../src/init.ts';
import { Rng } from '../../src/rng.ts';
import type { SplitData } from '../../src/train/backend.ts';
import {
  activationForward,
  activationGrad,
  bceWithLogits,
  biasActivation,
  biasGrad,
  gather,
  matmul,
  mseLoss,
  sgdUpdate,
  softmaxCrossEntropy,
  type LossResult,
} from '../../src/reference/ops.ts';
import {
  backward,
  cost,
  forward,
  lossAndGrad,
  sum,
  toParams32,
  toParams64,
  trainStep,
  type Params64,
} from '../../src/reference/mlp.ts';
import { gradientCheck, type GradFn } from '../../src/reference/gradcheck.ts';
import { CpuBackend } from '../../src/reference/backend.ts';

const f64 = (v: number[]): Float64Array => Float64Array.from(v);

function expectClose(actual: Float64Array, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tol))
      throw new Error(`index ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${tol})`);
  }
}

function randomMatrix(rng: Rng, n: number, scale = 1): Float64Array {
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.normal() * scale;
  return m;
}

describe('ops: matmul', () => {
  // A = [[1,2,3],[4,5,6]] (2×3), B = [[7,8],[9,10],[11,12]] (3×2): A·B = [[58,64],[139,154]].
  const A = f64([1, 2, 3, 4, 5, 6]);
  const At = f64([1, 4, 2, 5, 3, 6]); // A stored transposed, [3][2]
  const B = f64([7, 8, 9, 10, 11, 12]);
  const Bt = f64([7, 9, 11, 8, 10, 12]); // B stored transposed, [2][3]
  const AB = [58, 64, 139, 154];

  // Test that matmul with no transposes computes A·B.
  it('computes A·B', () => {
    expectClose(matmul(A, B, 2, 2, 3, false, false), AB, 0);
  });

  // Test that transA reads A stored [K][M] (the dW = dZᵀ·A_prev orientation).
  it('computes Aᵀ·B with transA', () => {
    expectClose(matmul(At, B, 2, 2, 3, true, false), AB, 0);
  });

  // Test that transB reads B stored [N][K] (the Z = A_prev·Wᵀ orientation).
  it('computes A·Bᵀ with transB', () => {
    expectClose(matmul(A, Bt, 2, 2, 3, false, true), AB, 0);
  });

  // Test that a non-square 3×1 · 1×2 outer product comes out [3][2].
  it('handles K = 1', () => {
    expectClose(matmul(f64([1, 2, 3]), f64([4, 5]), 3, 2, 1, false, false), [4, 5, 8, 10, 12, 15], 0);
  });

  // Test that a wrong-sized operand is rejected with the shape in the message.
  it('rejects mismatched shapes', () => {
    expect(() => matmul(A, B, 2, 2, 2, false, false)).toThrow(/M\*K/);
  });
});

describe('ops: activations', () => {
  // Points away from 0 so relu/leaky_relu are differentiable at every one of them.
  const z = f64([-3, -1.2, -0.4, 0.3, 0.9, 2.5]);

  // Test that each activation gives the textbook values.
  it('computes g(z)', () => {
    expectClose(activationForward(z, 'relu'), [0, 0, 0, 0.3, 0.9, 2.5], 0);
    expectClose(
      activationForward(z, 'leaky_relu'),
      [-3 * LEAKY_SLOPE, -1.2 * LEAKY_SLOPE, -0.4 * LEAKY_SLOPE, 0.3, 0.9, 2.5],
      1e-15,
    );
    expectClose(activationForward(z, 'linear'), z, 0);
    expectClose(activationForward(z, 'tanh'), Array.from(z, Math.tanh), 1e-15);
    expectClose(
      activationForward(z, 'sigmoid'),
      Array.from(z, (v) => 1 / (1 + Math.exp(-v))),
      1e-15,
    );
    expectClose(activationForward(f64([-1000, 1000]), 'sigmoid'), [0, 1], 0);
  });

  // Test that activationGrad, fed the output a = g(z), matches a central difference of activationForward.
  it.each([...HIDDEN_ACTIVATIONS, 'linear' as const])('%s gradient matches finite differences', (act: Activation) => {
    const h = 1e-6;
    const dA = f64([0.5, -1, 2, 1.5, -0.7, 1]);
    const a = activationForward(z, act);
    const dZ = activationGrad(dA, a, act);
    const plus = activationForward(
      z.map((v) => v + h),
      act,
    );
    const minus = activationForward(
      z.map((v) => v - h),
      act,
    );
    const numeric = z.map((_, i) => (dA[i]! * (plus[i]! - minus[i]!)) / (2 * h));
    expectClose(dZ, numeric, 1e-8);
  });

  // Test that biasActivation broadcasts b over the rows before applying g.
  it('adds the bias to every row', () => {
    const zz = f64([1, -2, 3, -4]); // [2][2]
    expectClose(biasActivation(zz, f64([0.5, 3]), 2, 2, 'relu'), [1.5, 1, 3.5, 0], 0);
  });
});

describe('ops: losses', () => {
  const rows = 4;
  const cols = 3;

  /** Central differences of the mean loss with respect to every element of z. */
  function numericGrad(fn: (z: Float64Array) => LossResult, z: Float64Array): Float64Array {
    const h = 1e-6;
    const g = new Float64Array(z.length);
    for (let i = 0; i < z.length; i++) {
      const zp = new Float64Array(z);
      const zm = new Float64Array(z);
      zp[i] = z[i]! + h;
      zm[i] = z[i]! - h;
      g[i] = (sum(fn(zp).rowLoss) / rows - sum(fn(zm).rowLoss) / rows) / (2 * h);
    }
    return g;
  }

  // Test that bceWithLogits' dZ is the gradient of its mean loss, and its values and accuracy are right.
  it('bceWithLogits', () => {
    const z = f64([-2, 0.5, 3, -0.1]);
    const y = f64([0, 0, 1, 1]);
    const fn = (zz: Float64Array): LossResult => bceWithLogits(zz, y, rows);
    const r = fn(z);
    expectClose(r.dZ, numericGrad(fn, z), 1e-9);
    expectClose(
      r.rowLoss,
      [Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(0.5)), Math.log1p(Math.exp(-3)), Math.log1p(Math.exp(0.1))],
      1e-15,
    );
    expectClose(r.correct, [1, 0, 1, 0], 0);
    expectClose(bceWithLogits(f64([0]), f64([1]), 1).rowLoss, [Math.LN2], 1e-16);
  });

  // Test that softmaxCrossEntropy's dZ is the gradient of its mean loss, and argmax ties take the first index.
  it('softmaxCrossEntropy', () => {
    const z = f64([1, 2, 0.5, -1, 0.3, 0.2, 0, 0, 0, 2, -3, 1]);
    const y = f64([0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const fn = (zz: Float64Array): LossResult => softmaxCrossEntropy(zz, y, rows, cols);
    const r = fn(z);
    expectClose(r.dZ, numericGrad(fn, z), 1e-9);
    expectClose(r.rowLoss.subarray(2, 3), [Math.log(3)], 1e-15); // uniform logits
    expectClose(r.correct, [1, 0, 0, 0], 0); // row 2 ties → index 0, target 1
  });

  // Test that mseLoss' dZ is the gradient of its mean loss, which is the mean over all elements.
  it('mseLoss', () => {
    const a = f64([0.1, 0.9, 0.2, 1, -0.5, 0.3, 0.2, 0.2, 0.7, 0, 0.1, 0.4]);
    const y = f64([0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0]);
    const fn = (aa: Float64Array): LossResult => mseLoss(aa, y, rows, cols);
    const r = fn(a);
    expectClose(r.dZ, numericGrad(fn, a), 1e-9);
    let sq = 0;
    for (let i = 0; i < a.length; i++) sq += (a[i]! - y[i]!) ** 2;
    expect(sum(r.rowLoss) / rows).toBeCloseTo(sq / a.length, 15);
    expectClose(r.correct, [1, 1, 1, 0], 0);
    expectClose(mseLoss(f64([0.7, 0.2]), f64([1, 1]), 2, 1).correct, [1, 0], 0);
    // A regression model's second statistic is the row's Σ|a − y| (loss.wgsl's REGRESSION), the rest unchanged.
    const reg = mseLoss(a, y, rows, cols, true);
    expectClose(reg.correct, [0.1 + 0.1 + 0.2, 0 + 0.5 + 0.3, 0.2 + 0.2 + 0.3, 0 + 0.9 + 0.4], 1e-15);
    expectClose(reg.rowLoss, r.rowLoss, 0);
    expectClose(reg.dZ, r.dZ, 0);
  });

  // Test that huge logits neither overflow nor produce NaN, and give the right limits.
  it('stays finite for logits of ±1000', () => {
    const b = bceWithLogits(f64([1000, -1000, 1000, -1000]), f64([1, 0, 0, 1]), 4);
    for (const v of [...b.rowLoss, ...b.dZ]) expect(Number.isFinite(v)).toBe(true);
    expectClose(b.rowLoss, [0, 0, 1000, 1000], 0);
    expectClose(b.dZ, [0, 0, 0.25, -0.25], 0);
    const s = softmaxCrossEntropy(f64([1000, -1000, 0, -1000, 1000, 1000]), f64([1, 0, 0, 1, 0, 0]), 2, 3);
    for (const v of [...s.rowLoss, ...s.dZ]) expect(Number.isFinite(v)).toBe(true);
    expectClose(s.rowLoss, [0, 2000 + Math.LN2], 1e-12);
  });
});

describe('ops: reductions, update, gather', () => {
  // Test that biasGrad sums dZ over the rows.
  it('biasGrad sums columns', () => {
    expectClose(biasGrad(f64([1, 2, 3, 4, 5, 6]), 3, 2), [9, 12], 0);
  });

  // Test that sgdUpdate returns param − lr·grad and leaves its inputs alone.
  it('sgdUpdate', () => {
    const p = f64([1, 2]);
    expectClose(sgdUpdate(p, f64([10, -4]), 0.5), [-4, 4], 0);
    expectClose(p, [1, 2], 0);
  });

  // Test that gather picks rows index[start..start+rows) from a float32 source.
  it('gather', () => {
    const src = Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]);
    expectClose(gather(src, Uint32Array.from([3, 0, 2, 1]), 1, 2, 2), [0, 1, 20, 21], 0);
    expect(() => gather(src, Uint32Array.from([0, 1]), 1, 2, 2)).toThrow(/out of range/);
  });
});

/** A small problem for the gradient check: random inputs, targets suited to the loss, random biases. */
function problem(
  sizes: number[],
  activation: Activation,
  loss: Loss,
  rows: number,
  seed: number,
): { spec: ModelSpec; params: Params64; x: Float64Array; y: Float64Array } {
  const spec: ModelSpec = { sizes, activation, loss };
  const rng = new Rng(seed + 1000);
  const params = toParams64(initParams(spec, seed));
  for (const p of params) for (let i = 0; i < p.bias.length; i++) p.bias[i] = rng.normal() * 0.1;
  const nIn = size(spec, 0);
  const nOut = size(spec, layerCount(spec));
  const x = randomMatrix(rng, rows * nIn);
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    if (loss === 'ce') y[r * nOut + rng.int(nOut)] = 1;
    else if (loss === 'bce') y[r] = rng.int(2);
    else for (let j = 0; j < nOut; j++) y[r * nOut + j] = rng.normal();
  }
  return { spec, params, x, y };
}

/** Smallest |Z| over the hidden layers: relu and leaky_relu have a kink at 0, so a finite difference
 *  that straddles it is meaningless; the check asserts the data keep every Z well away from it. */
function minHiddenAbsZ(spec: ModelSpec, params: Params64, x: Float64Array, rows: number): number {
  const { a } = forward(spec, params, x, rows);
  let min = Infinity;
  for (let l = 0; l < layerCount(spec) - 1; l++) {
    const p = params[l]!;
    const z = biasActivation(
      matmul(a[l]!, p.weight, rows, size(spec, l + 1), size(spec, l), false, true),
      p.bias,
      rows,
      size(spec, l + 1),
      'linear',
    );
    for (const v of z) min = Math.min(min, Math.abs(v));
  }
  return min;
}

describe('reference network: gradient check', () => {
  const cases: [number[], Loss][] = [
    [[3, 5, 4, 2], 'ce'],
    [[4, 6, 1], 'bce'],
    [[3, 4, 2], 'mse'],
  ];
  const rows = 5;
  for (const [sizes, loss] of cases) {
    for (const act of HIDDEN_ACTIVATIONS) {
      // Test that backprop agrees with central differences on every tensor (relative difference < 1e-7).
      it(`${loss} [${sizes.join(',')}] ${act}`, () => {
        const { spec, params, x, y } = problem(sizes, act, loss, rows, 7);
        expect(minHiddenAbsZ(spec, params, x, rows)).toBeGreaterThan(1e-4);
        const results = gradientCheck(spec, params, x, y, rows);
        expect(results.map((r) => r.name)).toEqual(
          sizes.slice(1).flatMap((_, l) => [`layers.${l}.weight`, `layers.${l}.bias`]),
        );
        for (const r of results) {
          if (!(r.relDiff < 1e-7)) throw new Error(`${r.name}: relative difference ${r.relDiff} >= 1e-7`);
        }
      });
    }
  }

  // Test that a backward pass whose gradients are 1% too large is caught.
  it('catches gradients scaled by 1.01', () => {
    const { spec, params, x, y } = problem([3, 5, 4, 2], 'tanh', 'ce', rows, 7);
    const scaled: GradFn = (s, p, xx, yy, n) => {
      const { a } = forward(s, p, xx, n);
      const g = backward(s, p, a, lossAndGrad(s, a[a.length - 1]!, yy, n).dZ, n);
      return { dW: g.dW.map((d) => d.map((v) => v * 1.01)), db: g.db.map((d) => d.map((v) => v * 1.01)) };
    };
    for (const r of gradientCheck(spec, params, x, y, rows, 1e-6, scaled)) expect(r.relDiff).toBeGreaterThan(1e-3);
  });

  // Test that a backward pass that forgets g'(Z) in the hidden layers is caught on those layers' tensors.
  it('catches a missing activation derivative', () => {
    const { spec, params, x, y } = problem([3, 5, 4, 2], 'sigmoid', 'ce', rows, 7);
    const noDerivative: GradFn = (s, p, xx, yy, n) => {
      const { a } = forward(s, p, xx, n);
      return backward({ ...s, activation: 'linear' }, p, a, lossAndGrad(s, a[a.length - 1]!, yy, n).dZ, n);
    };
    const results = gradientCheck(spec, params, x, y, rows, 1e-6, noDerivative);
    // The output layer's gradients do not go through g', so only layers 0 and 1 are wrong.
    for (const r of results) {
      if (r.layer < 2) expect(r.relDiff, r.name).toBeGreaterThan(1e-3);
      else expect(r.relDiff, r.name).toBeLessThan(1e-7);
    }
  });
});

describe('reference network: training', () => {
  // Test that trainStep changes the parameters in place by −lr·grad and reports the pre-update loss.
  it('trainStep updates in place', () => {
    const { spec, params, x, y } = problem([3, 4, 2], 'tanh', 'ce', 4, 3);
    const before = params.map((p) => ({ weight: new Float64Array(p.weight), bias: new Float64Array(p.bias) }));
    const weightArray = params[0]!.weight;
    const j0 = cost(spec, params, x, y, 4);
    const r = trainStep(spec, params, x, y, 4, 0.1);
    expect(r.loss).toBeCloseTo(j0, 14);
    expect(params[0]!.weight).toBe(weightArray);
    for (let l = 0; l < params.length; l++) {
      expectClose(
        params[l]!.weight,
        before[l]!.weight.map((v, i) => v - 0.1 * r.grads.dW[l]![i]!),
        1e-15,
      );
      expectClose(
        params[l]!.bias,
        before[l]!.bias.map((v, i) => v - 0.1 * r.grads.db[l]![i]!),
        1e-15,
      );
    }
    expect(cost(spec, params, x, y, 4)).toBeLessThan(j0);
  });

  // Test that CpuBackend trains a tiny linearly separable problem: loss falls and accuracy reaches 100%.
  it('CpuBackend learns a separable problem', async () => {
    const n = 64;
    const rng = new Rng(11);
    const x = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const label = i % 2;
      x[i * 2] = (label ? 1.5 : -1.5) + rng.normal() * 0.3;
      x[i * 2 + 1] = rng.normal();
      y[i] = label;
    }
    const train: SplitData = { x, y, n };
    const test: SplitData = { x: new Float32Array(0), y: new Float32Array(0), n: 0 };
    const spec: ModelSpec = { sizes: [2, 4, 1], activation: 'tanh', loss: 'bce' };
    const init = initParams(spec, 5);
    const backend = CpuBackend.create({ spec, params: init, train, test, maxBatch: 16 });
    expect(backend.device).toBe('cpu');
    expect(backend.adapter).toBe('cpu reference (float64)');

    // evaluate goes through the split in chunks of maxBatch; the sum matches the cost of all rows at once.
    const first = await backend.evaluate('train');
    expect(first.count).toBe(n);
    expect(first.lossSum / n).toBeCloseTo(
      cost(spec, toParams64(init), Float64Array.from(x), Float64Array.from(y), n),
      12,
    );

    for (let epoch = 0; epoch < 30; epoch++) {
      backend.setOrder(new Rng(epoch).permutation(n));
      for (let start = 0; start < n; start += 16) backend.step(start, 16, 0.5);
      const stats = await backend.takeTrainStats();
      expect(stats.count).toBe(n);
    }
    expect(await backend.takeTrainStats()).toEqual({ lossSum: 0, correct: 0, count: 0 });

    const last = await backend.evaluate('train');
    expect(last.lossSum / n).toBeLessThan((first.lossSum / n) * 0.5);
    expect(last.correct).toBe(n);
    expect(await backend.evaluate('test')).toEqual({ lossSum: 0, correct: 0, count: 0 });

    const p = await backend.readParams();
    expect(p[0]!.weight).toBeInstanceOf(Float32Array);
    expect(p[0]!.weight).not.toEqual(init[0]!.weight); // trained...
    expect(init).toEqual(initParams(spec, 5)); // ...on a copy: the caller's arrays are untouched
    backend.destroy();
    backend.destroy();
    expect(() => backend.step(0, 1, 0.1)).toThrow(/destroy/);
  });

  // Test that a step's stats equal trainStep on the same gathered rows, following the order set.
  it('CpuBackend.step follows the order and reports lossSum = mean × rows', async () => {
    const { spec, params, x, y } = problem([3, 4, 2], 'relu', 'ce', 6, 9);
    const train: SplitData = { x: Float32Array.from(x), y: Float32Array.from(y), n: 6 };
    const backend = new CpuBackend({ spec, params: toParams32(params), train, test: train, maxBatch: 3 });
    const order = Uint32Array.from([5, 3, 1, 0, 2, 4]);
    backend.setOrder(order);
    backend.step(1, 3, 0.1);
    const stats = await backend.takeTrainStats();

    const ref = toParams64(toParams32(params));
    const r = trainStep(spec, ref, gather(train.x, order, 1, 3, 3), gather(train.y, order, 1, 3, 2), 3, 0.1);
    expect(stats.count).toBe(3);
    expect(stats.lossSum).toBeCloseTo(r.loss * 3, 14);
    expect(stats.correct).toBe(r.correct);
    expectClose(Float64Array.from((await backend.readParams())[1]!.weight), toParams32(ref)[1]!.weight, 0);
    expect(() => backend.step(0, 4, 0.1)).toThrow(/maxBatch/);

    // Before setOrder the order is the identity.
    const fresh = new CpuBackend({ spec, params: toParams32(params), train, test: train, maxBatch: 3 });
    fresh.step(2, 3, 0.1);
    const ref2 = toParams64(toParams32(params));
    const r2 = trainStep(
      spec,
      ref2,
      Float64Array.from(train.x.subarray(6, 15)),
      Float64Array.from(train.y.subarray(4, 10)),
      3,
      0.1,
    );
    expect((await fresh.takeTrainStats()).lossSum).toBeCloseTo(r2.loss * 3, 14);
  });
});
