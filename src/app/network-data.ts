// What the network view draws, worked out from a model's weights (pure functions, run in the worker):
// each layer's first units (at most MAX_UNITS), the weights between the units drawn, and for a 2-D
// input each drawn unit's value over a coarse grid of the input plane (TensorFlow Playground's view):
// the normalised feature for an input, the activation g(z) for a hidden unit, the class probability
// (a regression's value) for an output. The grid is a forward pass on the library's float64 reference:
// 24×24 rows of the default spiral net are about 0.6 M multiply-adds, a few ms in the worker.
import { forwardMacs, referenceActivations, type Loss, type ModelInfo, type ModelSpec, type Params } from '../index.ts';
import { boundaryGrid, type Bounds } from './predict.ts';

/** Units drawn per layer; a wider layer says "+N more". */
export const MAX_UNITS = 16;
/** Grid points per side of a unit's heatmap. */
export const NETWORK_RES = 24;
/** The most multiply-adds one update's heatmaps may cost (the grid's forward pass on the float64
 *  reference, on the worker's thread, which also answers Stop): ~4M is some 30 ms; the default spiral
 *  net needs 0.7M, a [2,1024,1024,3] net 600M (about a second: no heatmaps, the weights only). */
export const NETWORK_MAX_MACS = 4_000_000;

export interface NetworkLayer {
  /** Units of the layer. */
  readonly units: number;
  /** Units drawn: the first `shown` (units − shown are "+N more"). */
  readonly shown: number;
  /** Weights into the drawn units from the previous layer's drawn units, [shown][previous shown]
   *  (none for the inputs). */
  readonly weights: Float32Array | undefined;
  /** Each drawn unit's value at the grid's res×res points, [shown][res·res], row 0 at the top (none
   *  without a 2-D input plane). */
  readonly grids: Float32Array | undefined;
}

export interface NetworkData {
  readonly res: number;
  readonly layers: readonly NetworkLayer[];
  /** The output layer's values are probabilities in [0, 1] (classification), else values. */
  readonly probabilities: boolean;
  /** A 2-D net too large for live heatmaps (over NETWORK_MAX_MACS an update): weights only. */
  readonly tooLarge: boolean;
}

/** Units drawn of a layer of n units. */
export function shownUnits(n: number, cap = MAX_UNITS): number {
  return Math.min(n, cap);
}

/** The drawn part [rows][cols] of a row-major [.][stride] weight matrix. */
function weightBlock(w: Float32Array, stride: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) out[j * cols + i] = w[j * stride + i]!;
  return out;
}

/** Output logits [rows][n] turned into what the loss makes of them: sigmoid ('bce'), softmax ('ce'),
 *  unchanged ('mse'). */
export function outputValues(z: Float64Array, rows: number, n: number, loss: Loss): Float64Array {
  if (loss === 'mse') return z;
  const out = new Float64Array(z.length);
  if (loss === 'bce') {
    for (let i = 0; i < z.length; i++) out[i] = 1 / (1 + Math.exp(-z[i]!));
    return out;
  }
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let k = 0; k < n; k++) max = Math.max(max, z[r * n + k]!);
    let sum = 0;
    for (let k = 0; k < n; k++) sum += out[r * n + k] = Math.exp(z[r * n + k]! - max);
    for (let k = 0; k < n; k++) out[r * n + k]! /= sum;
  }
  return out;
}

/** The drawn units' columns [shown][rows] of a layer's values [rows][n]. */
function unitGrids(a: Float64Array, rows: number, n: number, shown: number): Float32Array {
  const out = new Float32Array(shown * rows);
  for (let u = 0; u < shown; u++) for (let r = 0; r < rows; r++) out[u * rows + r] = a[r * n + u]!;
  return out;
}

/** The network view of a model's weights: with `bounds` and a 2-D input, every drawn unit's heatmap over
 *  a res×res grid of the raw input plane inside them (info's normalisation applied, as predict does). */
export function networkData(
  spec: ModelSpec,
  params: Params,
  info: ModelInfo,
  bounds: Bounds | undefined,
  res = NETWORK_RES,
  cap = MAX_UNITS,
): NetworkData {
  const { sizes } = spec;
  const L = sizes.length - 1;
  const rows = res * res;
  const tooLarge = sizes[0] === 2 && forwardMacs(sizes) * rows > NETWORK_MAX_MACS;
  const plane = bounds && sizes[0] === 2 && !tooLarge;
  const a = plane ? referenceActivations({ spec, params, info }, boundaryGrid(bounds, res)) : [];
  const layers = sizes.map((n, l): NetworkLayer => {
    const shown = shownUnits(n, cap);
    const values = a[l] && l === L ? outputValues(a[l], rows, n, spec.loss) : a[l];
    return {
      units: n,
      shown,
      weights:
        l > 0 ? weightBlock(params[l - 1]!.weight, sizes[l - 1]!, shown, shownUnits(sizes[l - 1]!, cap)) : undefined,
      grids: values ? unitGrids(values, rows, n, shown) : undefined,
    };
  });
  return { res, layers, probabilities: spec.loss !== 'mse', tooLarge };
}

/** The buffers of a network view, for posting without a copy. */
export function networkTransfers(d: NetworkData): Transferable[] {
  return d.layers.flatMap((l) => [l.weights?.buffer, l.grids?.buffer].filter((b) => b !== undefined));
}
