// Data sets from arrays (IDX files, .npy, .npz): n rows of features (2-D, or images [n][h][w] and
// [n][h][w][c] flattened to rows), uint8 values scaled to [0, 1] as image data is, and integer class
// labels by the CSV rules. Pure: array-files.ts (Node: node:fs, node:zlib) and web-files.ts (a page or
// Worker: File objects, DecompressionStream) read and decompress the files.
import { parseIdx } from '../io/idx.ts';
import { elements, parseNpy, type NdArray } from '../io/npy.ts';
import { classCount, parseLabel } from './labels.ts';
import type { Dataset, GivenSplit } from './dataset.ts';

/** An array and how errors name it (its file, and its key in an .npz). */
export interface Named {
  readonly array: NdArray;
  readonly where: string;
}

/** What a source of arrays gives: rows to split, or train and test rows as given; notes say how the
 *  values were read (the CLI prints them). */
export interface Loaded {
  readonly data: Dataset | GivenSplit;
  readonly notes: readonly string[];
}

const SCALED = 'uint8 values scaled to [0, 1] (÷ 255)';

const shapeOf = (a: NdArray) => `(${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;

/** Feature rows [n][features] as float32; uint8 values are scaled to [0, 1] (÷ 255). */
export function featureRows(x: Named): { x: Float32Array; n: number; features: number; scaled: boolean } {
  const { shape, dtype, data } = x.array;
  if (shape.length < 2 || shape.length > 4) {
    throw new Error(
      `${x.where}: shape ${shapeOf(x.array)}: expected rows of features [n][features], or images [n][h][w] or [n][h][w][c]`,
    );
  }
  const n = shape[0]!;
  const features = elements(shape.slice(1));
  if (n === 0 || features === 0)
    throw new Error(`${x.where}: shape ${shapeOf(x.array)} has no ${n === 0 ? 'rows' : 'features'}`);
  const out = new Float32Array(data.length);
  const scaled = dtype === 'uint8';
  if (scaled) for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  else {
    out.set(data);
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) {
        const v = data[i]!;
        const at = `${x.where}, row ${Math.floor(i / features)}, feature ${i % features}`;
        throw new Error(
          Number.isFinite(v) ? `${at}: value ${v} does not fit in float32` : `${at}: value must be finite, got ${v}`,
        );
      }
    }
  }
  return { x: out, n, features, scaled };
}

/** One class label per row ((n,) or (n, 1)), integers 0..k−1; `classes` (the training set's k) when
 *  these are test labels, which need not have every class. */
function labelsOf(y: Named, n: number, rows: string, classes?: number): { labels: Uint32Array; classes: number } {
  const { shape, data } = y.array;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new Error(
      `${y.where}: shape ${shapeOf(y.array)}: expected one integer class per row, shape (n,) or (n, 1)${shape.length === 2 ? ' (one-hot labels? store their argmax)' : ''}`,
    );
  }
  if (shape[0] !== n) throw new Error(`${y.where}: ${shape[0]} labels for the ${n} ${rows}`);
  const labels = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const l = parseLabel(data[i]!, `${y.where}, row ${i}`);
    if (classes !== undefined && l >= classes)
      throw new Error(`${y.where}, row ${i}: label ${l} is not one of the training labels' classes 0..${classes - 1}`);
    labels[i] = l;
  }
  return { labels, classes: classes ?? classCount(labels, y.where, 'the labels') };
}

/** A data set from features x and labels y (rows of x, one label each). */
export function arrayDataset(name: string, x: Named, y: Named, classes?: number): { data: Dataset; scaled: boolean } {
  const f = featureRows(x);
  const l = labelsOf(y, f.n, `rows of ${x.where}`, classes);
  return {
    data: { name, n: f.n, features: f.features, classes: l.classes, x: f.x, labels: l.labels },
    scaled: f.scaled,
  };
}

/** Training and test sets given apart: the classes come from the training labels, the test rows must
 *  have the same features and dtype. */
export function givenSplit(name: string, train: { x: Named; y: Named }, test: { x: Named; y: Named }): Loaded {
  const tr = arrayDataset(name, train.x, train.y);
  const te = arrayDataset(name, test.x, test.y, tr.data.classes);
  if (te.data.features !== tr.data.features) {
    throw new Error(
      `${test.x.where}: shape ${shapeOf(test.x.array)}, ${te.data.features} features a row; the training rows (${train.x.where}, shape ${shapeOf(train.x.array)}) have ${tr.data.features}`,
    );
  }
  if (te.scaled !== tr.scaled) {
    throw new Error(
      `${test.x.where}: dtype ${test.x.array.dtype}, but the training rows (${train.x.where}) are ${train.x.array.dtype}: uint8 is scaled to [0, 1] and other dtypes are not, so give both the same dtype`,
    );
  }
  return { data: { train: tr.data, test: te.data }, notes: tr.scaled ? [SCALED] : [] };
}

/** The four IDX files of MNIST's layout (gunzipped), each with its name for errors. */
export interface IdxFiles {
  readonly trainImages: { bytes: Uint8Array; where: string };
  readonly trainLabels: { bytes: Uint8Array; where: string };
  readonly testImages: { bytes: Uint8Array; where: string };
  readonly testLabels: { bytes: Uint8Array; where: string };
}

/** MNIST's file names, by role. */
export const IDX_NAMES: Readonly<Record<keyof IdxFiles, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** The names an IDX file goes by: MNIST's, or with a dot before idxN-ubyte as re-packaged copies spell
 *  it (train-images.idx3-ubyte), each optionally gzipped (.gz). */
export function idxSpellings(name: string): string[] {
  const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1');
  return [name, `${name}.gz`, dotted, `${dotted}.gz`];
}

/** Which of the four IDX files a file is, from its name (any spelling; no folder); undefined if none. */
export function idxRole(fileName: string): keyof IdxFiles | undefined {
  return (Object.keys(IDX_NAMES) as (keyof IdxFiles)[]).find((role) =>
    idxSpellings(IDX_NAMES[role]).includes(fileName),
  );
}

/** gzip's magic bytes 1f 8b. */
export const isGzip = (bytes: Uint8Array): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** MNIST, Fashion-MNIST or KMNIST from its IDX files: the train files for training, the t10k files
 *  as the test set. */
export function idxSource(name: string, f: IdxFiles): Loaded {
  const read = (file: { bytes: Uint8Array; where: string }, dims: 1 | 3): Named => ({
    array: parseIdx(file.bytes, file.where, dims),
    where: file.where,
  });
  const part = (images: IdxFiles['trainImages'], labels: IdxFiles['trainLabels']) => {
    const x = read(images, 3);
    const y = read(labels, 1);
    if (y.array.shape[0] !== x.array.shape[0])
      throw new Error(
        `${labels.where}: ${y.array.shape[0]} labels for the ${x.array.shape[0]} images in ${images.where}`,
      );
    return { x, y };
  };
  return givenSplit(name, part(f.trainImages, f.trainLabels), part(f.testImages, f.testLabels));
}

/** Features and labels from a pair of .npy files: rows for the usual split. */
export function npyPairSource(
  x: { bytes: Uint8Array; where: string },
  y: { bytes: Uint8Array; where: string },
): Loaded {
  const d = arrayDataset(
    x.where,
    { array: parseNpy(x.bytes, x.where), where: x.where },
    { array: parseNpy(y.bytes, y.where), where: y.where },
  );
  return { data: d.data, notes: d.scaled ? [SCALED] : [] };
}

/** An .npz (its members by name, read on demand): x_train, y_train, x_test, y_test (the Keras mnist.npz
 *  layout; the test set used as given) or x, y (rows for the usual split). */
export function npzSource(name: string, members: readonly string[], read: (member: string) => Uint8Array): Loaded {
  const keys = members.filter((m) => m.endsWith('.npy')).map((m) => m.slice(0, -4));
  const array = (key: string): Named => {
    const where = `${name}, array "${key}"`;
    return { array: parseNpy(read(`${key}.npy`), where), where };
  };
  if (['x_train', 'y_train', 'x_test', 'y_test'].every((k) => keys.includes(k))) {
    return givenSplit(name, { x: array('x_train'), y: array('y_train') }, { x: array('x_test'), y: array('y_test') });
  }
  if (keys.includes('x') && keys.includes('y')) {
    const d = arrayDataset(name, array('x'), array('y'));
    return { data: d.data, notes: d.scaled ? [SCALED] : [] };
  }
  throw new Error(
    `${name}: expected arrays x_train, y_train, x_test, y_test (the Keras mnist.npz layout) or x, y; the file has ${keys.length > 0 ? keys.join(', ') : 'no .npy members'}`,
  );
}
