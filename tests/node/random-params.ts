// Model parameters for the export tests (ONNX, PyTorch): every tensor away from its initial value.
import { initParams } from '../../src/init.ts';
import type { InputNormalization, ModelSpec, Params } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';

/** Parameters with every tensor away from its initial value: biases and batch norm's γ, β, running
 *  mean and variance drawn at random (a batch-normalised layer's bias too, which must be ignored). */
export function randomParams(spec: ModelSpec, seed: number): Params {
  const rng = new Rng(seed + 1000);
  const uniform = (t: Float32Array, lo: number, hi: number): void =>
    t.forEach((_, i) => (t[i] = lo + (hi - lo) * rng.next()));
  const params = initParams(spec, seed);
  for (const p of params) {
    uniform(p.bias, -0.5, 0.5);
    if (p.bn) {
      uniform(p.bn.gamma, -1.5, 1.5);
      uniform(p.bn.beta, -0.5, 0.5);
      uniform(p.bn.mean, -1, 1);
      uniform(p.bn.var, 0.1, 3);
    }
  }
  return params;
}

/** Rows of float32-exact features, so the runtime and the reference read the same numbers. */
export function randomRows(rows: number, n0: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * n0 }, () => 2 * rng.normal() + 0.5);
}

/** An input normalisation with shifts and scales away from 0 and 1. */
export function randomNormalization(
  method: InputNormalization['method'],
  n0: number,
  seed: number,
): InputNormalization {
  const rng = new Rng(seed + 2000);
  return {
    method,
    shift: Array.from({ length: n0 }, () => rng.normal()),
    scale: Array.from({ length: n0 }, () => 0.5 + 2.5 * rng.next()),
  };
}
