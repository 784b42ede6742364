// webgpu-mlp-trainer/node: what only Node needs, beside the main entry (src/index.ts): data sets read
// from files by path. Everything that trains, predicts and saves is in the main entry, which works in
// Node too (device 'cpu').
//
//   import { createTrainer, labeled, splitDataset } from 'webgpu-mlp-trainer';
//   import { readCsvFile } from 'webgpu-mlp-trainer/node';
//   const { dataset } = readCsvFile('iris.csv', { label: 'species' });
//
// Importing it has no side effects: no file is read until a function is called. An unreadable file is
// an error naming the path (after `flag`, the option it came from; default '--data').

export {
  /** Reads a CSV/TSV file from disk in 1 MiB chunks into a Dataset (parseCsv's rules and options), with
   *  the task decided and why. */
  readCsvFile,
  /** The header row of a CSV/TSV file on disk. */
  readCsvHeader,
} from './data/csv-file.ts';

export {
  /** An MNIST-layout directory of IDX files (train-images-idx3-ubyte, ..., each optionally .gz): its
   *  train rows and its t10k test set as given. */
  loadIdxDir,
  /** An .npz archive: x_train, y_train, x_test, y_test (Keras's mnist.npz) or x, y. */
  loadNpz,
  /** An .npz archive's bytes, read as loadNpz reads the file. */
  npzFromBytes,
  /** Features and class labels from two .npy files. */
  loadNpyPair,
  /** The feature rows of one .npy file (no labels: for predictions). */
  loadNpyRows,
} from './data/array-files.ts';

export {
  /** The 10,000 digits of the `mnist` package (which must be installed), in file order: digit 0 first,
   *  784 pixels in [0, 1]. */
  loadMnist,
} from './data/mnist.ts';

// From the main entry, types only (node.js imports nothing of it): the published node.d.ts then takes every
// type its functions use from index.d.ts instead of a copy of its own.
export type { Loaded } from './index.ts';
