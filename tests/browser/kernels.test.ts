// Every kernel against its CPU twin in src/reference/ops.ts, over random values and edge shapes.
import { describe, expect, it } from 'vitest';
import * as gpuOps from '../../src/gpu/ops.ts';
import * as ref from '../../src/reference/ops.ts';
import { assertClose, F32_EPS, TOL } from '../../src/check.ts';
import { MATMUL_TILE, MATMUL_TILED8_TILE, backwardMatmul, forwardMatmul } from '../../src/gpu/kernels.ts';
import type { Activation } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import { f64, gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const T = MATMUL_TILE;
// [M, N, K]: 1, tile-1, tile, tile+1, non-square, tall and skinny, long reduction.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [T - 1, T - 1, T - 1],
  [T, T, T],
  [T + 1, T + 1, T + 1],
  [37, 91, 13],
  [3, 5, 300],
  [1000, 3, 7],
  [2, 130, 1],
  [129, 10, 784],
];
// The tiled8 kernel's own edges (128-wide tile, K step 8) on top of SHAPES: tile-1, tile, tile+1,
// K off the K step, one row or column past a tile, non-square across several tiles.
const T8 = MATMUL_TILED8_TILE;
const TILED8_SHAPES: [number, number, number][] = [
  ...SHAPES,
  [T8 - 1, T8 - 1, T8 - 1],
  [T8, T8, T8],
  [T8 + 1, T8 + 1, T8 + 1],
  [7, 7, 7],
  [T8 + 1, 2 * T8 + 3, 9],
  [3 * T8 - 1, 5, 17],
  [2, 300, 260],
];
const ORIENTATIONS: [boolean, boolean, string][] = [
  [false, true, 'A·Bᵀ (forward)'],
  [true, false, 'Aᵀ·B (dW)'],
  [false, false, 'A·B (dA)'],
];
const ACTS: Activation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'leaky_relu'];

/** Per-element rounding bound of a float32 dot product of length K: K·u·(|A|·|B|). */
function dotBound(
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  tA: boolean,
  tB: boolean,
): Float64Array {
  const abs = ref.matmul(f64(a).map(Math.abs), f64(b).map(Math.abs), M, N, K, tA, tB);
  return abs.map((v) => (K + 2) * F32_EPS * v);
}

describe('matmul', () => {
  for (const variant of ['matmulTiled', 'matmulBlocked', 'matmulNaive', 'matmulTiled8'] as const) {
    for (const [tA, tB, label] of ORIENTATIONS) {
      for (const [M, N, K] of variant === 'matmulTiled8' ? TILED8_SHAPES : SHAPES) {
        // Test that the matmul kernel matches the reference for this orientation and shape.
        it(`${variant} ${label} M=${M} N=${N} K=${K}`, async () => {
          const rng = new Rng(M * 1000 + N * 10 + K);
          const a = randomArray(M * K, rng);
          const b = randomArray(K * N, rng);
          const c = await gpuOps.matmul(gpu().device, a, b, M, N, K, tA, tB, variant);
          const expected = ref.matmul(f64(a), f64(b), M, N, K, tA, tB);
          assertClose(`matmul C[${M}x${N}]`, c, expected, TOL.value, dotBound(a, b, M, N, K, tA, tB), N);
        });
      }
    }
  }
});

describe('fused matmul epilogues', () => {
  for (const act of ACTS)
    for (const family of ['tiled', 'blocked', 'tiled8'] as const) {
      // Shapes off the family's output tile (the tiled8 tile is twice the others').
      const tile = family === 'tiled8' ? T8 : T;
      // Test that the forward epilogue g(A·Wᵀ + b) matches matmul then biasActivation in the reference.
      it(`matmulBiasAct ${family} ${act}`, async () => {
        const [M, N, K] = [tile + 3, 2 * tile - 5, 50];
        const rng = new Rng(7);
        const a = randomArray(M * K, rng);
        const w = randomArray(N * K, rng);
        const bias = randomArray(N, rng);
        const out = await gpuOps.matmulBiasAct(gpu().device, a, w, bias, M, N, K, false, true, act, family);
        const expected = ref.biasActivation(ref.matmul(f64(a), f64(w), M, N, K, false, true), f64(bias), M, N, act);
        // The activations are 1-Lipschitz, so the dot-product bound carries through unchanged.
        assertClose(`matmulBiasAct ${act}`, out, expected, TOL.value, dotBound(a, w, M, N, K, false, true), N);
      });
      // Test that the backward epilogue (dZ·W) ⊙ g'(A_prev) matches matmul then activationGrad in the reference.
      it(`matmulActGrad ${family} ${act}`, async () => {
        const [M, N, K] = [tile + 1, tile - 1, 33];
        const rng = new Rng(11);
        const dz = randomArray(M * K, rng);
        const w = randomArray(K * N, rng);
        const aPrev = f64(randomArray(M * N, rng, -2, 2)).map(
          (z) => ref.activationForward(Float64Array.of(z), act)[0]!,
        );
        const aux = Float32Array.from(aPrev);
        const out = await gpuOps.matmulActGrad(gpu().device, dz, w, aux, M, N, K, false, false, act, family);
        const expected = ref.activationGrad(ref.matmul(f64(dz), f64(w), M, N, K, false, false), f64(aux), act);
        // g' <= 1 for every activation here, so the dot-product bound carries through.
        assertClose(`matmulActGrad ${act}`, out, expected, TOL.grad, dotBound(dz, w, M, N, K, false, false), N);
      });
    }
});

// The vec4 forward kernel (matmul_vec4.wgsl) needs K % 4 == 0: the shapes above that qualify, plus M
// and N off the 4×4 block and the 32×32 workgroup tile.
const VEC4_SHAPES: [number, number, number][] = [
  ...SHAPES.filter(([, , K]) => K % 4 === 0),
  [63, 65, 64],
  [1, 1, 4],
  [5, 3, 8],
  [33, 31, 256],
];

describe('vec4 forward matmul', () => {
  for (const [M, N, K] of VEC4_SHAPES) {
    // Test that the vec4 A·Bᵀ kernel matches the reference for this shape.
    it(`matmulVec4NT A·Bᵀ M=${M} N=${N} K=${K}`, async () => {
      const rng = new Rng(M * 1000 + N * 10 + K);
      const a = randomArray(M * K, rng);
      const b = randomArray(N * K, rng);
      const c = await gpuOps.matmul(gpu().device, a, b, M, N, K, false, true, 'matmulVec4NT');
      assertClose(
        `matmulVec4NT C[${M}x${N}]`,
        c,
        ref.matmul(f64(a), f64(b), M, N, K, false, true),
        TOL.value,
        dotBound(a, b, M, N, K, false, true),
        N,
      );
    });
    for (const act of ACTS) {
      // Test that the vec4 fused forward g(A·Wᵀ + b) matches matmul then biasActivation in the reference.
      it(`matmulBiasAct vec4NT ${act} M=${M} N=${N} K=${K}`, async () => {
        const rng = new Rng(M + N + K);
        const a = randomArray(M * K, rng);
        const w = randomArray(N * K, rng);
        const bias = randomArray(N, rng);
        const out = await gpuOps.matmulBiasAct(gpu().device, a, w, bias, M, N, K, false, true, act, 'vec4NT');
        const expected = ref.biasActivation(ref.matmul(f64(a), f64(w), M, N, K, false, true), f64(bias), M, N, act);
        // The activations are 1-Lipschitz, so the dot-product bound carries through unchanged.
        assertClose(`matmulBiasAct vec4NT ${act}`, out, expected, TOL.value, dotBound(a, w, M, N, K, false, true), N);
      });
    }
  }
  // Test that the plan's forward product is the vec4 kernel exactly for the blocked family with K % 4 == 0.
  it('forwardMatmul picks vec4 for blocked with K % 4 == 0 only', () => {
    expect(forwardMatmul('blocked', 784)).toEqual({
      plain: 'matmulVec4NT',
      biasAct: 'matmulVec4NTBiasAct',
      constants: {},
    });
    expect(forwardMatmul('blocked', 13).plain).toBe('matmulBlocked');
    expect(forwardMatmul('tiled', 784).biasAct).toBe('matmulBiasAct');
    expect(forwardMatmul('tiled8', 784)).toMatchObject({
      plain: 'matmulTiled8',
      biasAct: 'matmulTiled8BiasAct',
      constants: { TRANS_A: 0, TRANS_B: 1 },
    });
  });
  // Test that the vec4 kernel refuses an orientation or K it cannot do, naming the kernel and shape.
  it('matmulVec4NT rejects K % 4 != 0 and other orientations', async () => {
    const a = new Float32Array(6);
    await expect(gpuOps.matmul(gpu().device, a, a, 2, 2, 3, false, true, 'matmulVec4NT')).rejects.toThrow(
      /matmulVec4NT.*K=3/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 2, 2, 4, false, false, 'matmulVec4NT')).rejects.toThrow(
      /matmulVec4NT/,
    );
  });
});

// The vec4 backward kernels (matmul_vec4_kn.wgsl), B stored [K][N] with N % 4 == 0. dW = Aᵀ·B also needs
// M % 4 == 0 and takes any K (its loop steps K by 4, then the rest); dA = A·B needs K % 4 == 0 and takes
// any M. Shapes: 1, 3, 4, 5, 31, 32, 33, 64, 65 where free, multiples of 4 on and off the 32×32
// workgroup tile where required, tall and skinny, long reductions.
const VEC4_TN_SHAPES: [number, number, number][] = [
  [4, 4, 1],
  [4, 4, 3],
  [4, 8, 4],
  [8, 4, 5],
  [32, 32, 31],
  [32, 32, 32],
  [32, 32, 33],
  [64, 64, 64],
  [36, 68, 65],
  [4, 784, 64],
  [256, 4, 17],
  [28, 100, 1000],
  [128, 256, 64],
];
const VEC4_NN_SHAPES: [number, number, number][] = [
  [1, 4, 4],
  [3, 8, 4],
  [4, 4, 8],
  [5, 32, 32],
  [31, 36, 64],
  [32, 32, 32],
  [33, 64, 68],
  [64, 64, 64],
  [65, 68, 36],
  [1000, 4, 8],
  [2, 256, 128],
  [65, 784, 12],
  [17, 12, 1000],
];

describe('vec4 backward matmuls', () => {
  for (const [M, N, K] of VEC4_TN_SHAPES) {
    // Test that the vec4 Aᵀ·B (dW) kernel matches the reference for this shape.
    it(`matmulVec4TN Aᵀ·B M=${M} N=${N} K=${K}`, async () => {
      const rng = new Rng(M * 1000 + N * 10 + K);
      const a = randomArray(K * M, rng);
      const b = randomArray(K * N, rng);
      const c = await gpuOps.matmul(gpu().device, a, b, M, N, K, true, false, 'matmulVec4TN');
      assertClose(
        `matmulVec4TN C[${M}x${N}]`,
        c,
        ref.matmul(f64(a), f64(b), M, N, K, true, false),
        TOL.value,
        dotBound(a, b, M, N, K, true, false),
        N,
      );
    });
  }
  for (const [M, N, K] of VEC4_NN_SHAPES) {
    // Test that the vec4 A·B (dA) kernel matches the reference for this shape.
    it(`matmulVec4NN A·B M=${M} N=${N} K=${K}`, async () => {
      const rng = new Rng(M * 1000 + N * 10 + K);
      const a = randomArray(M * K, rng);
      const b = randomArray(K * N, rng);
      const c = await gpuOps.matmul(gpu().device, a, b, M, N, K, false, false, 'matmulVec4NN');
      assertClose(
        `matmulVec4NN C[${M}x${N}]`,
        c,
        ref.matmul(f64(a), f64(b), M, N, K, false, false),
        TOL.value,
        dotBound(a, b, M, N, K, false, false),
        N,
      );
    });
  }
  for (const act of ACTS)
    for (const [M, N, K] of [
      [1, 4, 4],
      [33, 36, 64],
      [65, 784, 12],
    ] as const) {
      // Test that the vec4 backward epilogue (dZ·W) ⊙ g'(A_prev) matches matmul then activationGrad in the reference.
      it(`matmulActGrad vec4NN ${act} M=${M} N=${N} K=${K}`, async () => {
        const rng = new Rng(M + N + K);
        const dz = randomArray(M * K, rng);
        const w = randomArray(K * N, rng);
        const aux = Float32Array.from(ref.activationForward(f64(randomArray(M * N, rng, -2, 2)), act));
        const out = await gpuOps.matmulActGrad(gpu().device, dz, w, aux, M, N, K, false, false, act, 'vec4NN');
        const expected = ref.activationGrad(ref.matmul(f64(dz), f64(w), M, N, K, false, false), f64(aux), act);
        // g' <= 1 for every activation here, so the dot-product bound carries through.
        assertClose(`matmulActGrad vec4NN ${act}`, out, expected, TOL.grad, dotBound(dz, w, M, N, K, false, false), N);
      });
    }
  // Test that the plan's backward products are the vec4 kernels exactly for the blocked family with both widths % 4 == 0.
  it('backwardMatmul picks vec4 for blocked with nIn and nOut % 4 == 0 only', () => {
    expect(backwardMatmul('blocked', 784, 256)).toEqual({
      dW: { id: 'matmulVec4TN', constants: {} },
      dA: { plain: 'matmulVec4NN', actGrad: 'matmulVec4NNActGrad', constants: {} },
    });
    expect(backwardMatmul('blocked', 128, 10)).toEqual({
      dW: { id: 'matmulBlocked', constants: { TRANS_A: 1, TRANS_B: 0 } },
      dA: { plain: 'matmulBlocked', actGrad: 'matmulBlockedActGrad', constants: { TRANS_A: 0, TRANS_B: 0 } },
    });
    expect(backwardMatmul('blocked', 2, 64).dW.id).toBe('matmulBlocked');
    expect(backwardMatmul('tiled', 784, 256).dA.actGrad).toBe('matmulActGrad');
    expect(backwardMatmul('tiled8', 784, 256)).toEqual({
      dW: { id: 'matmulTiled8', constants: { TRANS_A: 1, TRANS_B: 0 } },
      dA: { plain: 'matmulTiled8', actGrad: 'matmulTiled8ActGrad', constants: { TRANS_A: 0, TRANS_B: 0 } },
    });
  });
  // Test that the vec4 backward kernels refuse an orientation or shape they cannot do, naming the kernel and shape.
  it('matmulVec4TN and matmulVec4NN reject shapes off their multiples of 4 and other orientations', async () => {
    const a = new Float32Array(64);
    await expect(gpuOps.matmul(gpu().device, a, a, 4, 6, 4, true, false, 'matmulVec4TN')).rejects.toThrow(
      /matmulVec4TN.*N=6/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 3, 4, 4, true, false, 'matmulVec4TN')).rejects.toThrow(
      /matmulVec4TN.*M=3/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 4, 4, 4, false, false, 'matmulVec4TN')).rejects.toThrow(
      /matmulVec4TN/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 4, 4, 5, false, false, 'matmulVec4NN')).rejects.toThrow(
      /matmulVec4NN.*K=5/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 4, 2, 4, false, false, 'matmulVec4NN')).rejects.toThrow(
      /matmulVec4NN.*N=2/,
    );
    await expect(gpuOps.matmul(gpu().device, a, a, 4, 4, 4, false, true, 'matmulVec4NN')).rejects.toThrow(
      /matmulVec4NN/,
    );
  });
});

describe('activations', () => {
  for (const act of ACTS) {
    // Test that bias + activation forward matches the reference, including large |z| where naive formulas overflow.
    it(`biasActivation ${act}`, async () => {
      const [rows, cols] = [77, 13];
      const rng = new Rng(3);
      const z = randomArray(rows * cols, rng, -6, 6);
      z[0] = 100;
      z[1] = -100;
      z[2] = 0;
      z[3] = 1e-8;
      z[4] = -1e-8;
      const bias = randomArray(cols, rng);
      bias[0] = 0;
      bias[1] = 0;
      bias[2] = 0;
      bias[3] = 0;
      bias[4] = 0;
      const out = await gpuOps.biasActivation(gpu().device, z, bias, rows, cols, act);
      assertClose(
        `biasActivation ${act}`,
        out,
        ref.biasActivation(f64(z), f64(bias), rows, cols, act),
        TOL.value,
        undefined,
        cols,
      );
    });
    // Test that the activation gradient through the stored output matches the reference.
    it(`activationGrad ${act}`, async () => {
      const n = 1000;
      const rng = new Rng(5);
      const dA = randomArray(n, rng);
      const a = Float32Array.from(ref.activationForward(f64(randomArray(n, rng, -4, 4)), act));
      const out = await gpuOps.activationGrad(gpu().device, dA, a, act);
      assertClose(`activationGrad ${act}`, out, ref.activationGrad(f64(dA), f64(a), act), TOL.grad);
    });
  }
});

/** One-hot rows for random labels. */
function oneHot(rows: number, cols: number, rng: Rng): Float32Array {
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) y[r * cols + rng.int(cols)] = 1;
  return y;
}

describe('losses', () => {
  for (const rows of [1, 63, 64, 65, 300]) {
    // Test that sigmoid + BCE from logits matches the reference, with logits of ±100 that break a naive form.
    it(`bceWithLogits rows=${rows}`, async () => {
      const rng = new Rng(rows);
      const z = randomArray(rows, rng, -8, 8);
      if (rows > 2) {
        z[0] = 100;
        z[1] = -100;
      }
      const y = Float32Array.from({ length: rows }, () => rng.int(2));
      const g = await gpuOps.bceWithLogits(gpu().device, z, y, rows);
      const e = ref.bceWithLogits(f64(z), f64(y), rows);
      assertClose('bce rowLoss', g.rowLoss, e.rowLoss, TOL.value);
      assertClose('bce dZ', g.dZ, e.dZ, TOL.grad);
      assertClose('bce correct', g.correct, e.correct, { atol: 0, rtol: 0 });
    });
    // Test that softmax + categorical CE matches the reference, including logits far from 0.
    it(`softmaxCrossEntropy rows=${rows}`, async () => {
      const cols = 10;
      const rng = new Rng(rows + 1);
      const z = randomArray(rows * cols, rng, -5, 5);
      z[0] = 500;
      z[cols + 1] = -500;
      const y = oneHot(rows, cols, rng);
      const g = await gpuOps.softmaxCrossEntropy(gpu().device, z, y, rows, cols);
      const e = ref.softmaxCrossEntropy(f64(z), f64(y), rows, cols);
      // The row loss is a difference of terms up to |z| = 500; float32 keeps ~500·u absolute of it.
      assertClose('ce rowLoss', g.rowLoss, e.rowLoss, {
        atol: TOL.value.atol + 500 * 4 * F32_EPS,
        rtol: TOL.value.rtol,
      });
      assertClose('ce dZ', g.dZ, e.dZ, TOL.grad, undefined, cols);
      assertClose('ce correct', g.correct, e.correct, { atol: 0, rtol: 0 });
    });
    // Test that MSE matches the reference for one and several outputs.
    it(`mseLoss rows=${rows}`, async () => {
      for (const cols of [1, 3]) {
        const rng = new Rng(rows + cols);
        const a = randomArray(rows * cols, rng, -2, 2);
        const y = randomArray(rows * cols, rng, 0, 1);
        const g = await gpuOps.mseLoss(gpu().device, a, y, rows, cols);
        const e = ref.mseLoss(f64(a), f64(y), rows, cols);
        assertClose('mse rowLoss', g.rowLoss, e.rowLoss, TOL.value);
        assertClose('mse dZ', g.dZ, e.dZ, TOL.grad, undefined, cols);
        assertClose('mse correct', g.correct, e.correct, { atol: 0, rtol: 0 });
      }
    });
    // Test that the regression variant (REGRESSION override) gives each row's Σ|error| as its second
    // statistic, with the same loss and dZ.
    it(`mseLoss regression rows=${rows}`, async () => {
      for (const cols of [1, 3]) {
        const rng = new Rng(rows + cols + 7);
        const a = randomArray(rows * cols, rng, -20, 20);
        const y = randomArray(rows * cols, rng, -20, 20);
        const g = await gpuOps.mseLoss(gpu().device, a, y, rows, cols, true);
        const e = ref.mseLoss(f64(a), f64(y), rows, cols, true);
        assertClose('mse rowLoss', g.rowLoss, e.rowLoss, TOL.value);
        assertClose('mse dZ', g.dZ, e.dZ, TOL.grad, undefined, cols);
        assertClose('mse abs error sum', g.correct, e.correct, TOL.value);
      }
    });
  }
});

describe('reductions and updates', () => {
  for (const rows of [1, 255, 256, 257, 1000]) {
    // Test that the (loss, correct) reduction sums every row, across the workgroup-size boundary.
    it(`reduceStats rows=${rows}`, async () => {
      const rng = new Rng(rows);
      const stats = new Float32Array(rows * 2).map((_, i) => (i % 2 === 0 ? 3 * rng.next() : rng.int(2)));
      const out = await gpuOps.reduceStats(gpu().device, stats, rows);
      const loss = stats.filter((_, i) => i % 2 === 0);
      const correct = stats.filter((_, i) => i % 2 === 1);
      const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
      // A float32 sum of `rows` terms: rounding bound rows·u·Σ|x|.
      assertClose('reduceStats', out, [sum(loss), sum(correct)], TOL.value, [rows * F32_EPS * sum(loss), 0]);
    });
  }
  for (const [rows, cols] of [
    [1, 1],
    [64, 10],
    [513, 3],
    [7, 300],
  ] as const) {
    // Test that the bias gradient is the column sum of dZ.
    it(`biasGrad ${rows}x${cols}`, async () => {
      const rng = new Rng(rows * cols);
      const dz = randomArray(rows * cols, rng);
      const out = await gpuOps.biasGrad(gpu().device, dz, rows, cols);
      const colAbs = ref.biasGrad(f64(dz).map(Math.abs), rows, cols);
      assertClose(
        'biasGrad',
        out,
        ref.biasGrad(f64(dz), rows, cols),
        TOL.grad,
        colAbs.map((v) => rows * F32_EPS * v),
      );
    });
  }
  // Test that the SGD update over one flat buffer matches param - lr·grad everywhere.
  it('sgdUpdate', async () => {
    const rng = new Rng(9);
    const n = 70_001;
    const p = randomArray(n, rng);
    const g = randomArray(n, rng);
    const out = await gpuOps.sgdUpdate(gpu().device, p, g, 0.05);
    assertClose('sgdUpdate', out, ref.sgdUpdate(f64(p), f64(g), 0.05), TOL.value);
  });
  // Test that the batch gather copies rows index[start..start+rows) exactly: features alone, and
  // features and targets in one dispatch (each of their row widths).
  it('gather', async () => {
    const rng = new Rng(10);
    const [n, cols] = [50, 7];
    const src = randomArray(n * cols, rng);
    const index = rng.permutation(n);
    const out = await gpuOps.gather(gpu().device, src, index, 13, 20, cols);
    assertClose('gather', out.x, ref.gather(src, index, 13, 20, cols), { atol: 0, rtol: 0 }, undefined, cols);
    expect(out.y.length).toBe(0);
    for (const colsY of [1, 3, 10]) {
      const srcY = randomArray(n * colsY, rng);
      const both = await gpuOps.gather(gpu().device, src, index, 5, 33, cols, srcY, colsY);
      assertClose(
        `gather x (targets of ${colsY})`,
        both.x,
        ref.gather(src, index, 5, 33, cols),
        { atol: 0, rtol: 0 },
        undefined,
        cols,
      );
      assertClose(
        `gather y (${colsY} a row)`,
        both.y,
        ref.gather(srcY, index, 5, 33, colsY),
        { atol: 0, rtol: 0 },
        undefined,
        colsY,
      );
    }
  });
});

describe('optimizer, L2 and dropout kernels', () => {
  const OPTS = ['sgd', 'momentum', 'rmsprop', 'adam'] as const;
  for (const kind of OPTS)
    for (const t of [1, 10]) {
      // Test that the fused optimizer step matches its twin in param, regularised gradient, v and s.
      it(`optimizerUpdate ${kind} t=${t}`, async () => {
        const rng = new Rng(17 + t);
        const n = 70_001; // not a multiple of the workgroup size
        const param = randomArray(n, rng);
        const grad = randomArray(n, rng, -0.1, 0.1);
        const v = randomArray(n, rng, -0.05, 0.05);
        const s = randomArray(n, rng, 0, 0.01);
        const decay = new Float32Array(n).map((_, i) => (i % 3 === 0 ? 0 : 1)); // biases and padding: no L2
        // Untouched padding: zero gradient and state must stay exactly zero (no 0/0 in rmsprop or adam).
        for (let i = 0; i < 8; i++) {
          grad[i] = 0;
          v[i] = 0;
          s[i] = 0;
        }
        const h = {
          kind,
          lr: 0.01,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          c1: 1 - 0.9 ** t,
          c2: 1 - 0.999 ** t,
          l2: 0.7 / 64,
        };
        const got = await gpuOps.optimizerUpdate(gpu().device, param, grad, v, s, decay, h);
        const want = ref.optimizerUpdate(f64(param), f64(grad), f64(v), f64(s), decay, h);
        for (const k of ['param', 'grad', 'v', 's'] as const) assertClose(`${kind} ${k}`, got[k], want[k], TOL.value);
      });
    }

  // Test that the L2 penalty sums decay·param² over every element, across the workgroup boundary.
  it('l2Penalty', async () => {
    const rng = new Rng(21);
    for (const n of [1, 255, 257, 100_003]) {
      const param = randomArray(n, rng);
      const decay = new Float32Array(n).map((_, i) => (i % 5 === 4 ? 0 : 1));
      const got = await gpuOps.l2Penalty(gpu().device, param, decay, 0.35);
      const want = ref.l2Penalty(f64(param), decay, 0.35);
      // A float32 sum of n non-negative terms: rounding bound n·u·Σ, as for reduceStats.
      assertClose(`l2Penalty n=${n}`, [got], [want], TOL.value, [n * F32_EPS * want]);
    }
  });

  for (const keepProb of [0.5, 0.8, 1]) {
    // Test that the dropout mask is the reference's exactly (same units dropped), scaled by 1/keepProb.
    it(`dropoutForward/Backward keepProb=${keepProb}`, async () => {
      const [rows, cols] = [333, 301];
      const rng = new Rng(23);
      const a = randomArray(rows * cols, rng, 0.1, 2); // nonzero, so a zero output means a dropped unit
      for (const [seed, step, layer] of [
        [0, 1, 1],
        [7, 1, 1],
        [7, 2, 1],
        [7, 2, 3],
      ] as const) {
        const fwd = await gpuOps.dropoutForward(gpu().device, a, rows, cols, seed, step, layer, keepProb);
        const want = ref.dropoutForward(f64(a), rows, cols, seed, step, layer, keepProb);
        const mask = ref.dropoutMask(rows, cols, seed, step, layer, keepProb);
        assertClose(
          'dropout mask',
          Float32Array.from(fwd, (v) => (v !== 0 ? 1 : 0)),
          mask,
          { atol: 0, rtol: 0 },
          undefined,
          cols,
        );
        assertClose('dropoutForward', fwd, want, TOL.value, undefined, cols);
        const back = await gpuOps.dropoutBackward(gpu().device, a, rows, cols, seed, step, layer, keepProb);
        assertClose(
          'dropoutBackward',
          back,
          ref.dropoutBackward(f64(a), rows, cols, seed, step, layer, keepProb),
          TOL.value,
          undefined,
          cols,
        );
        // About keepProb of the units are kept: 100k Bernoulli draws, 5 standard deviations.
        const kept = mask.reduce((x, m) => x + m, 0) / mask.length;
        const sd = Math.sqrt((keepProb * (1 - keepProb)) / mask.length);
        if (Math.abs(kept - keepProb) > 5 * sd + 1e-12)
          throw new Error(`kept ${kept}, expected ${keepProb} ± ${5 * sd}`);
      }
    });
  }
});

describe('batch norm kernels', () => {
  // [rows, cols]: one row (σ² = 0: Ẑ = 0), a column block edge (63, 64, 65 columns), tall and skinny.
  const BN_SHAPES: [number, number][] = [
    [1, 3],
    [5, 63],
    [16, 64],
    [9, 65],
    [300, 2],
  ];
  for (const act of ACTS)
    for (const [rows, cols] of BN_SHAPES) {
      // Test that the training forward (statistics, normalise, scale/shift, g, running stats), the
      // inference forward and the backward (dZ, dγ, dβ) match their CPU twins.
      it(`batchNorm ${act} ${rows}x${cols}`, async () => {
        const rng = new Rng(rows * 100 + cols);
        const z = randomArray(rows * cols, rng, -3, 3);
        const gamma = randomArray(cols, rng, 0.5, 1.5);
        const beta = randomArray(cols, rng, -0.5, 0.5);
        const mean = randomArray(cols, rng, -0.5, 0.5);
        const variance = randomArray(cols, rng, 0.5, 2);
        const dev = gpu().device;
        const g = await gpuOps.batchNormForward(dev, z, gamma, beta, mean, variance, rows, cols, act);
        const e = ref.batchNormForward(f64(z), f64(gamma), f64(beta), f64(mean), f64(variance), rows, cols, act);
        // Ẑ amplifies the rounding of Z − μ by istd = 1/√(σ² + ε): up to ~300 for one row (σ² = 0), so
        // allow u·(|Z| + |μ|)·istd·rows per element on top of the value tolerance.
        const zBound = (scale: number) =>
          Float64Array.from(z, (v, i) => scale * F32_EPS * (Math.abs(v) + 3) * e.istd[i % cols]! * (rows + 4));
        assertClose(`batchNormForward ${act} Ẑ`, g.xhat, e.xhat, TOL.value, zBound(1), cols);
        assertClose(`batchNormForward ${act} A`, g.a, e.a, TOL.value, zBound(2), cols);
        assertClose(`batchNormForward istd`, g.istd, e.istd, TOL.value);
        assertClose(`batchNormForward running mean`, g.runMean, e.runMean, TOL.value);
        assertClose(`batchNormForward running var`, g.runVar, e.runVar, TOL.value);
        const inf = await gpuOps.batchNormInference(dev, z, gamma, beta, mean, variance, rows, cols, act);
        assertClose(
          `batchNormInference ${act}`,
          inf,
          ref.batchNormInference(f64(z), f64(gamma), f64(beta), f64(mean), f64(variance), rows, cols, act),
          TOL.value,
          undefined,
          cols,
        );
        // Backward from the twin's own forward values (as float32), so only the backward is under test.
        const [a, xhat, istd] = [Float32Array.from(e.a), Float32Array.from(e.xhat), Float32Array.from(e.istd)];
        const dA = randomArray(rows * cols, rng);
        const gb = await gpuOps.batchNormBackward(dev, dA, a, xhat, gamma, istd, rows, cols, act);
        const eb = ref.batchNormBackward(f64(dA), f64(a), f64(xhat), f64(gamma), f64(istd), rows, cols, act);
        // Column sums of rows terms: rounding bound rows·u·Σ|terms| (|g'|, |Ẑ|-weighted), scaled by istd·γ for dZ.
        const colAbs = ref.biasGrad(
          f64(dA).map((v, i) => Math.abs(v) * (1 + Math.abs(xhat[i]!))),
          rows,
          cols,
        );
        const sumBound = Float64Array.from(colAbs, (v) => (rows + 2) * F32_EPS * v);
        assertClose(`batchNormBackward ${act} dγ`, gb.dGamma, eb.dGamma, TOL.grad, sumBound);
        assertClose(`batchNormBackward ${act} dβ`, gb.dBeta, eb.dBeta, TOL.grad, sumBound);
        const dzBound = Float64Array.from(
          dA,
          (_, i) => (3 * sumBound[i % cols]! * istd[i % cols]! * gamma[i % cols]! * (1 + Math.abs(xhat[i]!))) / rows,
        );
        assertClose(`batchNormBackward ${act} dZ`, gb.dZ, eb.dZ, TOL.grad, dzBound, cols);
      });
    }
});
