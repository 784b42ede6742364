// The `mnist` package's per-digit JSON files turned into a Dataset; shared by the Node loader
// (mnist.ts, reads the files) and the web app (fetches them), so both see the same rows in the same order.
import type { Dataset } from './dataset.ts';

export const MNIST_FEATURES = 784;
export const MNIST_CLASSES = 10;

/** The pixels of one parsed digits/{d}.json ({"data": [784·k numbers in [0, 1]]}); `where` names the file in errors. */
export function digitPixels(parsed: unknown, where: string): number[] {
  const data = typeof parsed === 'object' && parsed !== null && 'data' in parsed ? parsed.data : undefined;
  if (!Array.isArray(data)) throw new Error(`${where}: expected an object with a "data" array`);
  if (data.length % MNIST_FEATURES !== 0) {
    throw new Error(`${where}: ${data.length} values is not a whole number of ${MNIST_FEATURES}-pixel images`);
  }
  data.forEach((v: unknown, i) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new Error(
        `${where}: pixel ${i} (image ${Math.floor(i / MNIST_FEATURES)}) must be a number in [0, 1], got ${JSON.stringify(v)}`,
      );
    }
  });
  return data as number[];
}

/** All digits in file order: every image of digit 0, then digit 1, ... */
export function mnistFromDigits(perDigit: readonly ArrayLike<number>[]): Dataset {
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
