// What the benchmark runs: the configurations of issue #6, the sweeps (width, depth, batch) that
// locate the crossover against the CPU reference, and the FLOP count every GFLOP/s figure uses.
import type { ModelSpec } from '../index.ts';

export interface BenchConfig {
  readonly name: string;
  readonly spec: ModelSpec;
  readonly batch: number;
  /** 'issue': timed on every engine; 'small': every engine and our fused step (issue 19); the sweeps
   *  time our WebGPU plan against the CPU reference only. */
  readonly group: 'issue' | 'small' | 'width' | 'depth' | 'batch';
  /** Timed steps per block (default: as many as fit in the block time); the biggest model needs 1. */
  readonly steps?: number;
}

const mlp = (sizes: number[], loss: ModelSpec['loss'] = 'ce'): ModelSpec => ({ sizes, activation: 'relu', loss });

/** Learning rate of every engine's timed steps: small enough that no configuration diverges while it is timed. */
export const LR = 1e-3;

export const ISSUE_CONFIGS: readonly BenchConfig[] = [
  { name: '784-128-10 b64', spec: mlp([784, 128, 10]), batch: 64, group: 'issue' },
  { name: '784-512-512-10 b256', spec: mlp([784, 512, 512, 10]), batch: 256, group: 'issue' },
  { name: '784-2048x3-10 b512', spec: mlp([784, 2048, 2048, 2048, 10]), batch: 512, group: 'issue', steps: 1 },
  // The course's cat classifier: 64×64×3 images, full batch of 209, sigmoid output with BCE.
  { name: '12288-20-7-5-1 b209', spec: mlp([12288, 20, 7, 5, 1], 'bce'), batch: 209, group: 'issue' },
];

/** Small networks inside the fused step's envelope (src/gpu/fused.ts, issue 19), the shapes of the
 *  toy sets and tabular CSVs: moons, a breast-cancer-like net, an iris-like one, and the envelope's
 *  edge (every width 64, the widest the fused kernel takes). Synthetic data of those shapes, one full
 *  batch, as for the other configurations. */
export const SMALL_CONFIGS: readonly BenchConfig[] = [
  {
    name: 'moons 2-16-16-1 b32',
    spec: { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' },
    batch: 32,
    group: 'small',
  },
  { name: 'cancer 30-16-8-1 b64', spec: mlp([30, 16, 8, 1], 'bce'), batch: 64, group: 'small' },
  { name: 'iris 4-16-3 b16', spec: mlp([4, 16, 3]), batch: 16, group: 'small' },
  { name: 'edge 64-64-64-10 b64', spec: mlp([64, 64, 64, 10]), batch: 64, group: 'small' },
];

/** Sweeps around 784-W-W-10 batch 64: width, depth and batch size, one axis at a time. */
export function sweepConfigs(): BenchConfig[] {
  const out: BenchConfig[] = [];
  for (const w of [16, 64, 256, 1024])
    out.push({ name: `width ${w}`, spec: mlp([784, w, w, 10]), batch: 64, group: 'width' });
  for (const d of [1, 2, 4, 8])
    out.push({ name: `depth ${d}`, spec: mlp([784, ...Array<number>(d).fill(256), 10]), batch: 64, group: 'depth' });
  for (const b of [1, 16, 64, 256, 1024])
    out.push({ name: `batch ${b}`, spec: mlp([784, 256, 256, 10]), batch: b, group: 'batch' });
  return out;
}

/** One configuration from the command line (--hidden, --batch-size). */
export function customConfig(hidden: number[], batch: number, inputs = 784, outputs = 10): BenchConfig {
  const sizes = [inputs, ...hidden, outputs];
  return { name: `${sizes.join('-')} b${batch}`, spec: mlp(sizes), batch, group: 'issue' };
}

/** Multiply-adds ×2 of one training step: forward A·Wᵀ per layer, dW = dZᵀ·A per layer, and
 *  dA = dZ·W for every layer but the first (the input needs no gradient). Elementwise work, the loss
 *  and the update are O(batch·width) and left out, as every GFLOP/s figure here does. */
export function stepFlops(spec: ModelSpec, batch: number): number {
  let f = 0;
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const mk = 2 * batch * spec.sizes[l]! * spec.sizes[l + 1]!;
    f += l === 0 ? 2 * mk : 3 * mk;
  }
  return f;
}
