// Array data sets read from disk in Node: an MNIST-layout directory of IDX files (each optionally
// gzipped), an .npz archive, a pair of .npy files. Node's zlib decompresses; the parsing is the pure
// arrays.ts (web-files.ts reads the same formats from File objects in a page). An unreadable file is an
// error naming `flag` (the command-line flag or option it came from) and the path.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';
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
} from './arrays.ts';
import { parseNpy } from '../io/npy.ts';
import { checked, zipEntries } from '../io/zip.ts';

/** The file's bytes; a missing or unreadable file is an error naming the flag and the path. */
function readInput(path: string, flag: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

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
export function loadIdxDir(dir: string, flag = '--data'): Loaded {
  const file = (role: keyof IdxFiles) => {
    const name = IDX_NAMES[role];
    const path = idxSpellings(name)
      .map((f) => join(dir, f))
      .find((p) => existsSync(p));
    if (path === undefined)
      throw new Error(
        `${dir}: no ${name} or ${name}.gz (an MNIST-layout directory holds ${Object.values(IDX_NAMES).join(', ')})`,
      );
    return { bytes: readMaybeGzip(path, flag), where: path };
  };
  return idxSource(dir, {
    trainImages: file('trainImages'),
    trainLabels: file('trainLabels'),
    testImages: file('testImages'),
    testLabels: file('testLabels'),
  });
}

/** An .npz archive (np.savez or np.savez_compressed). */
export const loadNpz = (path: string, flag = '--data'): Loaded => npzFromBytes(readInput(path, flag), path);

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
export function loadNpyPair(x: string, y: string, flags: readonly [string, string] = ['--data', '--labels']): Loaded {
  return npyPairSource({ bytes: readInput(x, flags[0]), where: x }, { bytes: readInput(y, flags[1]), where: y });
}

/** Feature rows of one .npy file (no labels: predictions only). */
export function loadNpyRows(path: string, flag = '--data'): Float32Array {
  return featureRows({ array: parseNpy(readInput(path, flag), path), where: path }).x;
}
