// The loss landscape kernel (shaders/landscape.wgsl) against its float64 twin: the GPU forms each
// point's weights θ + α·d1 + β·d2 itself; the reference forms them in float64 from the same θ, d1, d2
// (src/reference/landscape.ts) and runs its own forward pass and loss, so the two paths share nothing
// but the inputs. Compared under the one tolerance rule (TOL.value).
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { initParams } from '../../src/init.ts';
import { landscapeCosts } from '../../src/gpu/landscape.ts';
import { lossSurface, surfaceAxis, surfaceCoords, surfaceDirections } from '../../src/lib/landscape.ts';
import { toyDataset } from '../../src/lib/data.ts';
import type { ModelSpec, Params } from '../../src/model.ts';
import { landscape } from '../../src/reference/landscape.ts';
import { toParams64 } from '../../src/reference/mlp.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

/** Initial weights with every bias away from zero (a trained model's biases are not zero). */
function weights(spec: ModelSpec, seed: number): Params {
  const rng = new Rng(seed + 100);
  const p = initParams(spec, seed);
  for (const l of p) l.bias.forEach((_, i) => (l.bias[i] = rng.next() - 0.5));
  return p;
}

/** The reference's cost at the given (α, β) of a surface, weights formed in float64. */
function referenceAt(
  spec: ModelSpec,
  theta: Params,
  d1: Params,
  d2: Params,
  coords: number[],
  x: Float32Array,
  y: Float32Array,
  n: number,
) {
  const [t, u, v] = [theta, d1, d2].map(toParams64);
  return landscape(spec, t!, u!, v!, coords, Float64Array.from(x), Float64Array.from(y), n);
}

describe('loss landscape', () => {
  // Test that points of the 41×41 landscape of the app's default spiral net (1000 rows, hidden 32,32 relu,
  // three classes: softmax CE) equal the reference's cost at those weights: the centre, the four corners
  // and inner points.
  it('spiral [2,32,32,3]: centre, corners and inner points of the 41×41 grid match the reference', async () => {
    const spec: ModelSpec = { sizes: [2, 32, 32, 3], activation: 'relu', loss: 'ce' };
    const data = toyDataset('spiral', 1000, 1);
    expect(data.classes).toBe(3);
    const y = new Float32Array(data.n * 3);
    data.labels.forEach((c, r) => (y[r * 3 + c] = 1));
    const theta = weights(spec, 3);
    const s = await lossSurface(gpu(), spec, theta, { x: data.x, y, n: data.n });
    expect(s.size).toBe(41);
    expect(s.cost.length).toBe(41 * 41);
    const picks: [number, number][] = [
      [20, 20],
      [0, 0],
      [0, 40],
      [40, 0],
      [40, 40],
      [7, 33],
      [29, 12],
    ];
    const coords = picks.flatMap(([i, j]) => [s.axis[j]!, s.axis[i]!]);
    expect(coords.slice(0, 2)).toEqual([0, 0]);
    const expected = referenceAt(spec, theta, s.d1, s.d2, coords, data.x, y, data.n);
    const actual = picks.map(([i, j]) => s.cost[i * 41 + j]!);
    assertClose('spiral landscape', actual, expected, TOL.value);
    // The picture is not flat: a corner costs more than the centre for these weights.
    expect(Math.max(...actual.slice(1, 5))).toBeGreaterThan(actual[0]!);
  });

  // Test every loss and hidden activation at every point of a small grid on both kernels, with widths 1,
  // 3, 5 and 7 (padded to 4 and 8 by the vec4 kernel), the widest (64), and a row count not a multiple
  // of the workgroup (65 = 64 + 1).
  const cases: { label: string; spec: ModelSpec; n: number }[] = [
    { label: 'ce 3 classes tanh', spec: { sizes: [4, 7, 3], activation: 'tanh', loss: 'ce' }, n: 65 },
    { label: 'mse 2 targets sigmoid', spec: { sizes: [3, 5, 1, 2], activation: 'sigmoid', loss: 'mse' }, n: 37 },
    { label: 'bce leaky_relu width 64', spec: { sizes: [64, 8, 1], activation: 'leaky_relu', loss: 'bce' }, n: 1 },
    { label: 'bce no hidden layer', spec: { sizes: [2, 1], activation: 'relu', loss: 'bce' }, n: 64 },
  ];
  for (const c of cases)
    for (const variant of ['scalar', 'vec4'] as const) {
      it(`${c.label}, ${variant}: every point of a 5×5 grid matches the reference`, async () => {
        const rng = new Rng(9);
        const { spec, n } = c;
        const k = spec.sizes[spec.sizes.length - 1]!;
        const x = randomArray(n * spec.sizes[0]!, rng);
        const y = new Float32Array(n * k);
        for (let r = 0; r < n; r++) {
          if (spec.loss === 'mse') for (let j = 0; j < k; j++) y[r * k + j] = rng.next() * 2 - 1;
          else if (spec.loss === 'ce') y[r * k + rng.int(k)] = 1;
          else y[r] = rng.int(2);
        }
        const theta = weights(spec, 5);
        const [d1, d2] = surfaceDirections(spec, theta, 2);
        const coords = surfaceCoords(surfaceAxis(5, 0.8));
        const cost = await landscapeCosts(gpu(), { spec, theta, d1, d2, coords, x, y, n, variant });
        assertClose(`${c.label} ${variant}`, cost, referenceAt(spec, theta, d1, d2, [...coords], x, y, n), TOL.value);
      });
    }
});
