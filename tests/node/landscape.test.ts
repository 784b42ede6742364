// The loss surface's host side: the filter normalisation of its directions (Li et al. 2018), the
// projection of a run's weights onto the plane, the grid, the CPU path, and the landscape kernel's
// envelope and device limits, each refused before anything is allocated, naming the kernel.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../src/errors.ts';
import { pointWorkgroups } from '../../src/gpu/kernels.ts';
import { checkLandscape, landscapeLayout } from '../../src/gpu/landscape.ts';
import { DEFAULT_LIMITS } from '../../src/gpu/limits.ts';
import { initParams } from '../../src/init.ts';
import {
  filterNormalize,
  lossSurface,
  projectOntoPlane,
  surfaceAxis,
  surfaceCoords,
  surfaceDirections,
} from '../../src/lib/landscape.ts';
import type { ModelSpec, Params } from '../../src/model.ts';
import { cost, toParams64 } from '../../src/reference/mlp.ts';
import { planePoint } from '../../src/reference/landscape.ts';
import { Rng } from '../../src/rng.ts';

const SPEC: ModelSpec = { sizes: [2, 32, 32, 3], activation: 'relu', loss: 'ce' };

const rowNorm = (w: Float32Array, j: number, nIn: number) => Math.hypot(...w.subarray(j * nIn, (j + 1) * nIn));

describe('filter normalisation', () => {
  // Test that every row of every weight matrix of a direction has the norm of the weights' same row, points
  // the way the Gaussian draw did (a positive multiple of it), and that the biases are zero.
  it('scales each filter (row of W) to the norm of the weights’ row; biases zero', () => {
    const theta = initParams(SPEC, 4);
    theta[1]!.weight.fill(0, 0, 32); // a zero row of θ gives a zero row of the direction
    const rng = new Rng(7);
    const raw: Params = theta.map((l) => ({
      weight: Float32Array.from(l.weight, () => rng.normal()),
      bias: Float32Array.from(l.bias, () => 1),
    }));
    const d = filterNormalize(raw, theta);
    d.forEach((layer, l) => {
      const nOut = layer.bias.length;
      const nIn = layer.weight.length / nOut;
      expect([...layer.bias]).toEqual(new Array(nOut).fill(0));
      for (let j = 0; j < nOut; j++) {
        const want = rowNorm(theta[l]!.weight, j, nIn);
        expect(rowNorm(layer.weight, j, nIn)).toBeCloseTo(want, 5);
        const ratio = want / rowNorm(raw[l]!.weight, j, nIn);
        for (let i = j * nIn; i < (j + 1) * nIn; i++)
          expect(layer.weight[i]).toBeCloseTo(raw[l]!.weight[i]! * ratio, 6);
      }
    });
    expect(rowNorm(d[1]!.weight, 0, 32)).toBe(0);
  });

  // Test that the two directions are seeded (the same seed, the same directions), differ from each other,
  // and are filter-normalised.
  it('surfaceDirections: seeded, two different directions, both normalised', () => {
    const theta = initParams(SPEC, 1);
    const [a1, a2] = surfaceDirections(SPEC, theta, 3);
    const [b1] = surfaceDirections(SPEC, theta, 3);
    const [c1] = surfaceDirections(SPEC, theta, 4);
    expect(a1[0]!.weight).toEqual(b1[0]!.weight);
    expect(a1[0]!.weight).not.toEqual(c1[0]!.weight);
    expect(a1[0]!.weight).not.toEqual(a2[0]!.weight);
    for (const d of [a1, a2])
      for (let j = 0; j < 32; j++)
        expect(rowNorm(d[1]!.weight, j, 32)).toBeCloseTo(rowNorm(theta[1]!.weight, j, 32), 5);
  });
});

describe('projection onto the plane', () => {
  // Test that weights on the plane project to their own (α, β), and that a point off the plane projects
  // to its nearest one (the residual is orthogonal to both directions).
  it('recovers (α, β) of θ + α·d1 + β·d2, and least squares off the plane', () => {
    const theta = initParams(SPEC, 2);
    const [d1, d2] = surfaceDirections(SPEC, theta, 5);
    const on = planePoint(toParams64(theta), toParams64(d1), toParams64(d2), 0.3, -0.7);
    const asParams = (p: typeof on): Params =>
      p.map((l) => ({ weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) }));
    const got = projectOntoPlane(theta, d1, d2, asParams(on));
    expect(got.alpha).toBeCloseTo(0.3, 5);
    expect(got.beta).toBeCloseTo(-0.7, 5);
    const off = asParams(on);
    off[0]!.bias[0] = 5; // the directions' biases are zero: this moves the point off the plane only
    const p = projectOntoPlane(theta, d1, d2, off);
    expect(p.alpha).toBeCloseTo(0.3, 5);
    expect(p.beta).toBeCloseTo(-0.7, 5);
  });
});

describe('grid', () => {
  // Test that the axis runs from −range to range through 0 (an odd size has the centre), and that the
  // coordinates run α along a row and β down the rows.
  it('41 points from −1 to 1, α along rows', () => {
    const axis = surfaceAxis(41, 1);
    expect([axis[0], axis[20], axis[40]]).toEqual([-1, 0, 1]);
    const c = surfaceCoords(surfaceAxis(3, 2));
    expect([...c.subarray(0, 6)]).toEqual([-2, -2, 0, -2, 2, -2]);
    expect([...c.subarray(6, 8)]).toEqual([-2, 0]);
  });

  // Test that one workgroup per point folds into 2-D past 65535 and covers every point.
  it('pointWorkgroups folds past 65535 points', () => {
    expect(pointWorkgroups(1681)).toEqual([1681, 1, 1]);
    const [x, y] = pointWorkgroups(65537);
    expect(y).toBe(2);
    expect(x! * y!).toBeGreaterThanOrEqual(65537);
    expect(x).toBeLessThanOrEqual(65535);
  });
});

describe('CPU path', () => {
  // Test that without a GPU the surface is the reference's, its centre the model's own cost.
  it('the centre of the grid is the cost at θ', async () => {
    const spec: ModelSpec = { sizes: [2, 4, 1], activation: 'tanh', loss: 'bce' };
    const theta = initParams(spec, 1);
    const x = Float32Array.from([0.5, -1, 2, 0.25, -0.3, 0.1]);
    const y = Float32Array.from([1, 0, 1]);
    const s = await lossSurface(undefined, spec, theta, { x, y, n: 3 }, { size: 3, path: [theta] });
    expect(s.device).toBe('cpu');
    expect(s.cost[4]).toBeCloseTo(cost(spec, toParams64(theta), Float64Array.from(x), Float64Array.from(y), 3), 6);
    expect(s.path).toEqual([{ alpha: 0, beta: 0 }]);
  });
});

describe('landscape kernel limits', () => {
  const refused = (spec: ModelSpec, limits = DEFAULT_LIMITS, n = 1000, points = 1681) => {
    try {
      checkLandscape(landscapeLayout({ spec, n, points }), limits, 'test adapter');
    } catch (e) {
      expect(e).toBeInstanceOf(TrainerError);
      expect((e as TrainerError).code).toBe('too-large');
      return (e as Error).message;
    }
    return undefined;
  };
  // Test that the app's spiral net fits WebGPU's default limits, and that a model outside the envelope or a
  // device below the kernel's needs is refused naming the kernel, the figure and the limit.
  it('accepts the spiral net; refuses width, parameters, batch norm and a small device', () => {
    expect(refused(SPEC)).toBeUndefined();
    expect(refused({ ...SPEC, sizes: [2, 65, 1] })).toMatch(/width 65 at sizes\[1\], over the landscape kernel's 64/);
    expect(refused({ ...SPEC, sizes: [2, 64, 64, 1] })).toMatch(
      /4740 parameters \(widths padded to 4\), over the landscape kernel's 3840/,
    );
    expect(refused({ ...SPEC, batchNorm: true })).toMatch(/batch norm/);
    const small = { ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 8192 };
    expect(refused(SPEC, small)).toMatch(
      /kernel landscapeVec4 declares .* of workgroup memory.*maxComputeWorkgroupStorageSize/,
    );
    const tiny = { ...DEFAULT_LIMITS, maxStorageBufferBindingSize: 1024 };
    expect(refused(SPEC, tiny)).toMatch(
      /buffer 'basis' needs 15.8 KiB, over test adapter's maxStorageBufferBindingSize/,
    );
  });
});
