// The network view's data (src/app/network-data.ts): each drawn unit's heatmap is that unit's output
// over the input plane, checked against g(w·x + b) worked out by hand for a tiny net, through one and
// two hidden layers, with the input normalisation; and a wide layer is capped at MAX_UNITS.
import { describe, expect, it } from 'vitest';
import type { ModelSpec, Params } from '../../src/index.ts';
import { MAX_UNITS, NETWORK_MAX_MACS, NETWORK_RES, networkData, shownUnits } from '../../src/app/network-data.ts';
import { boundaryGrid } from '../../src/app/predict.ts';

const layer = (weight: number[], bias: number[]) => ({
  weight: Float32Array.from(weight),
  bias: Float32Array.from(bias),
});
const f32 = Math.fround;
const tanh = (z: number) => Math.tanh(z);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const bounds = { x0: -1, x1: 3, y0: -2, y1: 2 };
const RES = 5;

describe('network view data', () => {
  // Test that at every grid point a hidden-1 unit is tanh(w·x' + b), a hidden-2 unit is tanh of its
  // weights over hidden 1, and the output the sigmoid of the logit, where x' is the normalised point.
  it('gives each unit g(w·x + b) at each grid point of a 2-3-2-1 tanh net', () => {
    const spec: ModelSpec = { sizes: [2, 3, 2, 1], activation: 'tanh', loss: 'bce' };
    const W1 = [0.5, -1, 0.25, 2, -0.75, 0.1];
    const b1 = [0.1, -0.2, 0.3];
    const W2 = [1, -0.5, 0.25, -1.5, 0.75, 2];
    const b2 = [0.05, -0.1];
    const W3 = [1.25, -0.8];
    const b3 = [0.2];
    const params: Params = [layer(W1, b1), layer(W2, b2), layer(W3, b3)];
    const info = { normalization: { method: 'standard' as const, shift: [1, 0.5], scale: [2, 0.5] } };
    const d = networkData(spec, params, info, bounds, RES);
    expect(d.res).toBe(RES);
    expect(d.probabilities).toBe(true);
    expect(d.layers.map((l) => [l.units, l.shown])).toEqual([
      [2, 2],
      [3, 3],
      [2, 2],
      [1, 1],
    ]);
    const grid = boundaryGrid(bounds, RES);
    const R = RES * RES;
    for (let r = 0; r < R; r++) {
      const x = [(grid[2 * r]! - 1) / 2, (grid[2 * r + 1]! - 0.5) / 0.5].map(f32);
      const h1 = [0, 1, 2].map((j) => tanh(f32(W1[2 * j]!) * x[0]! + f32(W1[2 * j + 1]!) * x[1]! + f32(b1[j]!)));
      const h2 = [0, 1].map((j) =>
        tanh(f32(W2[3 * j]!) * h1[0]! + f32(W2[3 * j + 1]!) * h1[1]! + f32(W2[3 * j + 2]!) * h1[2]! + f32(b2[j]!)),
      );
      const out = sigmoid(f32(W3[0]!) * h2[0]! + f32(W3[1]!) * h2[1]! + f32(b3[0]!));
      const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThan(1e-6);
      for (let i = 0; i < 2; i++) close(d.layers[0]!.grids![i * R + r]!, x[i]!);
      for (let j = 0; j < 3; j++) close(d.layers[1]!.grids![j * R + r]!, h1[j]!);
      for (let j = 0; j < 2; j++) close(d.layers[2]!.grids![j * R + r]!, h2[j]!);
      close(d.layers[3]!.grids![r]!, out);
    }
    // The lines drawn are the weights themselves, [unit][previous unit].
    expect([...d.layers[2]!.weights!]).toEqual(W2.map(f32));
    expect(d.layers[0]!.weights).toBeUndefined();
  });

  // Test that relu hidden units are max(0, w·x + b) and softmax outputs sum to 1 at every point.
  it('gives relu units and softmax probabilities', () => {
    const spec: ModelSpec = { sizes: [2, 2, 3], activation: 'relu', loss: 'ce' };
    const params: Params = [layer([1, -1, -2, 0.5], [0.25, -0.5]), layer([1, 0, -1, 0.5, 2, 0], [0, 0.1, -0.1])];
    const d = networkData(spec, params, {}, bounds, RES);
    const grid = boundaryGrid(bounds, RES);
    const R = RES * RES;
    for (let r = 0; r < R; r++) {
      const [x, y] = [grid[2 * r]!, grid[2 * r + 1]!];
      expect(d.layers[1]!.grids![r]).toBeCloseTo(Math.max(0, x - y + 0.25), 6);
      expect(d.layers[1]!.grids![R + r]).toBeCloseTo(Math.max(0, -2 * x + 0.5 * y - 0.5), 6);
      const sum = [0, 1, 2].reduce((s, k) => s + d.layers[2]!.grids![k * R + r]!, 0);
      expect(sum).toBeCloseTo(1, 6);
    }
  });

  // Test that a layer wider than MAX_UNITS draws its first MAX_UNITS units (grids and weights sized to
  // them), and that without a 2-D plane there are weights but no heatmaps.
  it('caps wide layers and draws no heatmaps without a 2-D plane', () => {
    expect(shownUnits(MAX_UNITS + 7)).toBe(MAX_UNITS);
    expect(shownUnits(3)).toBe(3);
    const n = 40;
    const spec: ModelSpec = { sizes: [2, n, n, 1], activation: 'relu', loss: 'bce' };
    const seq = (k: number) => Array.from({ length: k }, (_, i) => (i % 7) - 3);
    const params: Params = [layer(seq(n * 2), seq(n)), layer(seq(n * n), seq(n)), layer(seq(n), [0])];
    const d = networkData(spec, params, {}, bounds, RES);
    expect(d.layers.map((l) => [l.units, l.shown])).toEqual([
      [2, 2],
      [n, MAX_UNITS],
      [n, MAX_UNITS],
      [1, 1],
    ]);
    expect(d.layers[1]!.grids!.length).toBe(MAX_UNITS * RES * RES);
    expect(d.layers[2]!.weights!.length).toBe(MAX_UNITS * MAX_UNITS);
    expect(d.layers[2]!.weights![1 * MAX_UNITS + 2]).toBe(params[1]!.weight[1 * n + 2]); // row j, column i
    expect(d.layers[3]!.weights!.length).toBe(MAX_UNITS);
    const flat = networkData(
      { ...spec, sizes: [5, n, 1] },
      [layer(seq(n * 5), seq(n)), layer(seq(n), [0])],
      {},
      bounds,
    );
    expect(flat.layers.every((l) => l.grids === undefined)).toBe(true);
    expect(flat.layers[1]!.weights!.length).toBe(MAX_UNITS * 5);
  });

  // Test that a 2-D net whose grid forward pass would hold the worker's thread (Stop is answered there)
  // gets its weights but no heatmaps, and one just under the bound gets them.
  it('draws weights only for a net over NETWORK_MAX_MACS an update', () => {
    const seq = (k: number) => Array.from({ length: k }, (_, i) => ((i % 5) - 2) / 10);
    const net = (n: number): [ModelSpec, Params] => [
      { sizes: [2, n, n, 3], activation: 'relu', loss: 'ce' },
      [layer(seq(2 * n), seq(n)), layer(seq(n * n), seq(n)), layer(seq(3 * n), seq(3))],
    ];
    const macs = (n: number) => (2 * n + n * n + 3 * n) * NETWORK_RES * NETWORK_RES;
    expect(macs(80)).toBeLessThanOrEqual(NETWORK_MAX_MACS);
    expect(macs(96)).toBeGreaterThan(NETWORK_MAX_MACS);
    const small = networkData(...net(80), {}, bounds);
    expect(small.tooLarge).toBe(false);
    expect(small.layers[2]!.grids!.length).toBe(MAX_UNITS * NETWORK_RES * NETWORK_RES);
    const large = networkData(...net(96), {}, bounds);
    expect(large.tooLarge).toBe(true);
    expect(large.layers.every((l) => l.grids === undefined)).toBe(true);
    expect(large.layers[2]!.weights!.length).toBe(MAX_UNITS * MAX_UNITS);
  });
});
