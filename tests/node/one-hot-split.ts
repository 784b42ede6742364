// A small classification split for the loop tests: n rows of 3 normal features, each with one of 3
// classes one-hot, from a seeded generator.
import { Rng } from '../../src/rng.ts';
import type { SplitData } from '../../src/train/backend.ts';

export function oneHotSplit(n: number, seed: number): SplitData {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * 3 }, () => rng.normal());
  const y = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) y[r * 3 + rng.int(3)] = 1;
  return { x, y, n };
}
