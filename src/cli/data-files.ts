// The array data sources of --data, read from disk: an MNIST-layout directory of IDX files (each
// optionally gzipped), an .npz archive, a pair of .npy files. Node's zlib decompresses; the parsing is
// the pure src/data/arrays.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { readInput } from './common.ts';
import { messageOf } from '../errors.ts';
import {
  featureRows,
  IDX_NAMES,
  idxSource,
  idxSpellings,
  isGzip,
  npyPairSource,
  npzSource,
  type IdxFiles,
  type Loaded,
} from '../data/arrays.ts';
import { parseNpy } from '../io/npy.ts';
import { checked, zipEntries } from '../io/zip.ts';

/** A file's bytes, gunzipped when they start with gzip's magic 1f 8b. */
function readMaybeGzip(path: string, flag: string): Uint8Array {
  const bytes = readInput(path, flag);
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    throw new Error(`${path}: damaged gzip data (${messageOf(e)})`);
  }
}

/** An MNIST-layout directory: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 *  t10k-labels-idx1-ubyte, each optionally .gz. */
export function loadIdxDir(dir: string): Loaded {
  const file = (role: keyof IdxFiles) => {
    const name = IDX_NAMES[role];
    const path = idxSpellings(name)
      .map((f) => join(dir, f))
      .find((p) => existsSync(p));
    if (path === undefined)
      throw new Error(
        `${dir}: no ${name} or ${name}.gz (an MNIST-layout directory holds ${Object.values(IDX_NAMES).join(', ')})`,
      );
    return { bytes: readMaybeGzip(path, '--data'), where: path };
  };
  return idxSource(dir, {
    trainImages: file('trainImages'),
    trainLabels: file('trainLabels'),
    testImages: file('testImages'),
    testLabels: file('testLabels'),
  });
}

/** An .npz archive (np.savez or np.savez_compressed). */
export const loadNpz = (path: string): Loaded => npzFromBytes(readInput(path, '--data'), path);

/** An .npz archive's bytes; `where` (the file) starts every error. */
export function npzFromBytes(bytes: Uint8Array, where: string): Loaded {
  const entries = new Map(zipEntries(bytes, where).map((e) => [e.name, e]));
  return npzSource(where, [...entries.keys()], (member) => {
    const e = entries.get(member)!;
    if (e.method === 'stored') return checked(e, e.raw, where);
    let data: Uint8Array;
    try {
      // Never more than the directory promises: a damaged size cannot make it allocate without bound.
      data = new Uint8Array(inflateRawSync(e.raw, { maxOutputLength: Math.max(1, e.size) }));
    } catch (err) {
      throw new Error(`${where}: member '${member}': damaged deflate data (${messageOf(err)})`);
    }
    return checked(e, data, where);
  });
}

/** Features and labels from two .npy files. */
export function loadNpyPair(x: string, y: string): Loaded {
  return npyPairSource({ bytes: readInput(x, '--data'), where: x }, { bytes: readInput(y, '--labels'), where: y });
}

/** Feature rows of one .npy file (no labels: predictions only). */
export function loadNpyRows(path: string): Float32Array {
  return featureRows({ array: parseNpy(readInput(path, '--data'), path), where: path }).x;
}
