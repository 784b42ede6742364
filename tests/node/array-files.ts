// Writers for the array file formats the data loaders read (IDX, .npy, .npz), so the tests can make
// files of every kind, good and bad, without NumPy. Written from the formats, not from our readers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { Dataset } from '../../src/data/dataset.ts';
import { crc32 } from '../../src/io/zip.ts';

/** An IDX file: magic (0, 0, type, dims), big-endian uint32 dims, then the bytes. */
export function idxFile(shape: readonly number[], data: Uint8Array, magic = 0x800 + shape.length): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, false);
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

const SIZES: Record<string, number> = { u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, u8: 8, i8: 8, f4: 4, f8: 8 };

/** The values of `descr` ('<f4', '>i8', '|u1', ...) as raw bytes in the byte order it says. */
export function encodeValues(descr: string, values: ArrayLike<number>): Uint8Array {
  const code = descr.slice(1);
  const size = SIZES[code]!;
  const little = descr[0] !== '>';
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const at = i * size;
    switch (code) {
      case 'u1':
        v.setUint8(at, x);
        break;
      case 'i1':
        v.setInt8(at, x);
        break;
      case 'u2':
        v.setUint16(at, x, little);
        break;
      case 'i2':
        v.setInt16(at, x, little);
        break;
      case 'u4':
        v.setUint32(at, x, little);
        break;
      case 'i4':
        v.setInt32(at, x, little);
        break;
      case 'u8':
        v.setBigUint64(at, BigInt(x), little);
        break;
      case 'i8':
        v.setBigInt64(at, BigInt(x), little);
        break;
      case 'f4':
        v.setFloat32(at, x, little);
        break;
      case 'f8':
        v.setFloat64(at, x, little);
        break;
    }
  }
  return out;
}

/** A .npy file as np.save writes it: magic, version, header length, the dict padded with spaces to a
 *  '\n' so the data starts on a multiple of 64 bytes, then the data. */
export function npyFile(
  descr: string,
  shape: readonly number[],
  data: Uint8Array,
  o: { fortran?: boolean; version?: 1 | 2 } = {},
): Uint8Array {
  const version = o.version ?? 1;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let dict = `{'descr': '${descr}', 'fortran_order': ${o.fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const prefix = version === 1 ? 10 : 12;
  dict += ' '.repeat(63 - ((prefix + dict.length) % 64)) + '\n';
  const header = new TextEncoder().encode(dict);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(data, prefix + header.length);
  return out;
}

/** A .npy of `values` with the given descr and shape. */
export const npy = (
  descr: string,
  shape: readonly number[],
  values: ArrayLike<number>,
  o: { fortran?: boolean; version?: 1 | 2 } = {},
): Uint8Array => npyFile(descr, shape, encodeValues(descr, values), o);

/** A zip archive of the members, stored (np.savez) or deflated (np.savez_compressed). */
export function zipFile(
  members: readonly { name: string; data: Uint8Array }[],
  method: 'stored' | 'deflated',
): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const packed = method === 'stored' ? m.data : new Uint8Array(deflateRawSync(m.data));
    const crc = crc32(m.data);
    const local = new Uint8Array(30 + name.length + packed.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method === 'stored' ? 0 : 8, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, m.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(packed, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method === 'stored' ? 0 : 8, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, m.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An .npz of named .npy files. */
export const npzFile = (arrays: Record<string, Uint8Array>, method: 'stored' | 'deflated'): Uint8Array =>
  zipFile(
    Object.entries(arrays).map(([k, data]) => ({ name: `${k}.npy`, data })),
    method,
  );

/** A Dataset's pixels in [0, 1] as the uint8 values they came from (checked by the caller). */
export const pixelBytes = (d: Dataset): Uint8Array => Uint8Array.from(d.x, (v) => Math.round(v * 255));

/** The four MNIST-layout IDX files of images [n][side][side] in `dir`, gzipped or not. */
export function writeIdxDir(dir: string, train: Dataset, test: Dataset, side: number, gz: boolean): void {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, bytes: Uint8Array) =>
    writeFileSync(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  put('train-images-idx3-ubyte', idxFile([train.n, side, side], pixelBytes(train)));
  put('train-labels-idx1-ubyte', idxFile([train.n], Uint8Array.from(train.labels)));
  put('t10k-images-idx3-ubyte', idxFile([test.n, side, side], pixelBytes(test)));
  put('t10k-labels-idx1-ubyte', idxFile([test.n], Uint8Array.from(test.labels)));
}

/** Keras's mnist.npz layout: x_train [n][side][side] uint8 (or the float32 values), y_train uint8, and the same for test. */
export function kerasNpz(
  train: Dataset,
  test: Dataset,
  side: number,
  pixels: 'uint8' | 'float32',
  method: 'stored' | 'deflated',
): Uint8Array {
  const x = (d: Dataset) =>
    pixels === 'uint8' ? npyFile('|u1', [d.n, side, side], pixelBytes(d)) : npy('<f4', [d.n, side, side], d.x);
  return npzFile(
    {
      x_train: x(train),
      y_train: npyFile('|u1', [train.n], Uint8Array.from(train.labels)),
      x_test: x(test),
      y_test: npyFile('|u1', [test.n], Uint8Array.from(test.labels)),
    },
    method,
  );
}
