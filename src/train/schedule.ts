// What a run derives from its settings, written once for every loop (fit, a sweep's trials): the
// shuffling generator's seed and the learning rate of each epoch.
import { Rng } from '../rng.ts';

/** The seed of a run's shuffling generator: its own stream, apart from the initial weights' Rng(seed),
 *  so a trial of a sweep seeded s shuffles exactly as a fit seeded s. */
export function shuffleSeed(seed: number): number {
  return (seed ^ 0x5eed5eed) >>> 0;
}

/** The shuffling generator of a run seeded `seed`. */
export function shuffleRng(seed: number): Rng {
  return new Rng(shuffleSeed(seed));
}

/** lr of epoch e (from 1): inverse lr0/(1 + rate·(e−1)) (the course's 1/(1 + decayRate·epoch)),
 *  exponential lr0·rate^(e−1), step lr0·rate^floor((e−1)/every). */
export type LrDecay =
  | { readonly kind: 'inverse'; readonly rate: number }
  | { readonly kind: 'exponential'; readonly rate: number }
  | { readonly kind: 'step'; readonly rate: number; readonly every: number };

export function learningRate(lr0: number, epoch: number, decay: LrDecay | undefined): number {
  const e = epoch - 1;
  if (!decay) return lr0;
  switch (decay.kind) {
    case 'inverse':
      return lr0 / (1 + decay.rate * e);
    case 'exponential':
      return lr0 * decay.rate ** e;
    case 'step':
      return lr0 * decay.rate ** Math.floor(e / decay.every);
  }
}
