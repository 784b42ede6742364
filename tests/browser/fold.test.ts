// The one-thread-per-row and one-thread-per-column kernels past 65535 workgroups along x: their grid is
// folded into 2-D (kernels.ts foldedWorkgroups) and the kernel reads its index back from both
// dimensions, so a layer wider (or a batch taller) than 65535 × 64 is computed whole, not dropped.
import { describe, expect, it } from 'vitest';
import { assertClose, F32_EPS, TOL } from '../../src/check.ts';
import { columnWorkgroups, rowWorkgroups } from '../../src/gpu/kernels.ts';
import * as gpuOps from '../../src/gpu/ops.ts';
import * as ref from '../../src/reference/ops.ts';
import { Rng } from '../../src/rng.ts';
import { f64, gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

/** Just past one row of 65535 workgroups of 64 threads, and not a whole number of them. */
const WIDE = 65535 * 64 + 100;

describe('folded grids', () => {
  // Test that the grids of WIDE threads fold into two rows of workgroups.
  it('fold past 65535 workgroups', () => {
    expect(columnWorkgroups(WIDE)).toEqual([32769, 2, 1]); // 65537 workgroups in two rows
    expect(rowWorkgroups(WIDE)).toEqual([32769, 2, 1]);
    expect(columnWorkgroups(65535 * 64)).toEqual([65535, 1, 1]);
  });

  // Test that the bias gradient of a layer WIDE columns wide is every column's sum, the last ones too.
  it(`biasGrad 3x${WIDE}`, async () => {
    const rows = 3;
    const dz = randomArray(rows * WIDE, new Rng(1));
    const out = await gpuOps.biasGrad(gpu().device, dz, rows, WIDE);
    const bound = ref.biasGrad(f64(dz).map(Math.abs), rows, WIDE).map((v) => rows * F32_EPS * v);
    assertClose('biasGrad', out, ref.biasGrad(f64(dz), rows, WIDE), TOL.grad, bound);
  });

  // Test that the BCE loss of WIDE rows gives every row its loss, gradient and correct flag.
  it(`bceWithLogits rows=${WIDE}`, async () => {
    const rng = new Rng(2);
    const z = randomArray(WIDE, rng, -8, 8);
    const y = Float32Array.from({ length: WIDE }, () => rng.int(2));
    const g = await gpuOps.bceWithLogits(gpu().device, z, y, WIDE);
    const e = ref.bceWithLogits(f64(z), f64(y), WIDE);
    assertClose('bce rowLoss', g.rowLoss, e.rowLoss, TOL.value);
    assertClose('bce dZ', g.dZ, e.dZ, TOL.grad);
    assertClose('bce correct', g.correct, e.correct, { atol: 0, rtol: 0 });
  });

  // Test that batch norm over WIDE columns (training forward, inference, backward) matches its twin in
  // every column; two rows, so σ² and the normalised values are not trivial.
  it(`batchNorm 2x${WIDE}`, async () => {
    const [rows, cols] = [2, WIDE];
    const rng = new Rng(3);
    const z = randomArray(rows * cols, rng, -3, 3);
    const gamma = randomArray(cols, rng, 0.5, 1.5);
    const beta = randomArray(cols, rng, -0.5, 0.5);
    const mean = randomArray(cols, rng, -0.5, 0.5);
    const variance = randomArray(cols, rng, 0.5, 2);
    const dev = gpu().device;
    const g = await gpuOps.batchNormForward(dev, z, gamma, beta, mean, variance, rows, cols, 'tanh');
    const e = ref.batchNormForward(f64(z), f64(gamma), f64(beta), f64(mean), f64(variance), rows, cols, 'tanh');
    // As in kernels.test.ts: Ẑ amplifies the rounding of Z − μ by istd.
    const zBound = (scale: number) =>
      Float64Array.from(z, (v, i) => scale * F32_EPS * (Math.abs(v) + 3) * e.istd[i % cols]! * (rows + 4));
    assertClose('batchNormForward Ẑ', g.xhat, e.xhat, TOL.value, zBound(1), cols);
    assertClose('batchNormForward A', g.a, e.a, TOL.value, zBound(2), cols);
    assertClose('batchNormForward running mean', g.runMean, e.runMean, TOL.value);
    const inf = await gpuOps.batchNormInference(dev, z, gamma, beta, mean, variance, rows, cols, 'tanh');
    const einf = ref.batchNormInference(f64(z), f64(gamma), f64(beta), f64(mean), f64(variance), rows, cols, 'tanh');
    assertClose('batchNormInference', inf, einf, TOL.value, undefined, cols);
    const [a, xhat, istd] = [Float32Array.from(e.a), Float32Array.from(e.xhat), Float32Array.from(e.istd)];
    const dA = randomArray(rows * cols, rng);
    const gb = await gpuOps.batchNormBackward(dev, dA, a, xhat, gamma, istd, rows, cols, 'tanh');
    const eb = ref.batchNormBackward(f64(dA), f64(a), f64(xhat), f64(gamma), f64(istd), rows, cols, 'tanh');
    const colAbs = ref.biasGrad(
      f64(dA).map((v, i) => Math.abs(v) * (1 + Math.abs(xhat[i]!))),
      rows,
      cols,
    );
    const sumBound = Float64Array.from(colAbs, (v) => (rows + 2) * F32_EPS * v);
    assertClose('batchNormBackward dβ', gb.dBeta, eb.dBeta, TOL.grad, sumBound);
    const dzBound = Float64Array.from(
      dA,
      (_, i) => (3 * sumBound[i % cols]! * istd[i % cols]! * gamma[i % cols]! * (1 + Math.abs(xhat[i]!))) / rows,
    );
    assertClose('batchNormBackward dZ', gb.dZ, eb.dZ, TOL.grad, dzBound, cols);
  });
});
