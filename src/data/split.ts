import { Rng } from '../rng.ts';
import { subset, type Dataset } from './dataset.ts';
import { TrainerError } from '../errors.ts';

/** Seeded random split: the first round(n * testFraction) rows of a permutation are the test set,
 *  the rest (in permuted order) the training set. testFraction 0 gives an empty test set. */
export function trainTestSplit(d: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new TrainerError('bad-input', `test fraction must be in [0, 1), got ${testFraction}`);
  }
  const order = new Rng(seed).permutation(d.n);
  const nTest = Math.round(d.n * testFraction);
  if (nTest === d.n) {
    throw new TrainerError(
      'bad-input',
      `test fraction ${testFraction} of ${d.n} rows in '${d.name}' leaves no training rows`,
    );
  }
  return { train: subset(d, order.subarray(nTest)), test: subset(d, order.subarray(0, nTest)) };
}
