// IDX, the file format of MNIST, Fashion-MNIST and KMNIST: a 4-byte magic number (two zero bytes, the
// type code, 0x08 for unsigned bytes, and the number of dimensions), one big-endian uint32 per
// dimension, then the values in C order. Pure (bytes in, array out; gunzip them first), so the browser
// can use it with DecompressionStream.
import { elements, type NdArray } from './npy.ts';

const TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Parses an IDX file of unsigned bytes with `dims` dimensions: magic 0x00000803 for images
 *  [n][rows][cols], 0x00000801 for labels [n]. `where` (the file) starts every error. */
export function parseIdx(bytes: Uint8Array, where: string, dims: 1 | 3): NdArray {
  const fail = (m: string) => new Error(`${where}: ${m}`);
  const want = `0x0000080${dims} (IDX, unsigned bytes, ${dims} dimension${dims > 1 ? 's' : ''}: ${dims === 3 ? 'images' : 'labels'})`;
  if (bytes.length < 4)
    throw fail(`${bytes.length} bytes, too short for an IDX header (truncated?); expected magic ${want}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== 0x800 + dims) {
    const type = TYPES[bytes[2]!];
    const seen =
      bytes[0] === 0 && bytes[1] === 0 && type !== undefined ? ` (IDX, ${type}, ${bytes[3]} dimensions)` : '';
    throw fail(`magic number 0x${magic.toString(16).padStart(8, '0')}${seen}, expected ${want}`);
  }
  const start = 4 + 4 * dims;
  if (bytes.length < start)
    throw fail(`${bytes.length} bytes, too short for the ${start}-byte header of ${dims} dimensions (truncated?)`);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = elements(shape);
  const have = bytes.length - start;
  if (have !== count) {
    throw fail(
      `header says ${shape.join('×')} = ${count} bytes of data, the file has ${have}${have < count ? ' (truncated?)' : ' (extra bytes at the end)'}`,
    );
  }
  return { dtype: 'uint8', shape, data: bytes.slice(start) };
}
