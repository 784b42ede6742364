// NumPy's .npy format (NEP 1): the magic "\x93NUMPY", a version (1.0: 2-byte header length; 2.0 and
// 3.0: 4-byte), a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, m), } padded
// with spaces to a '\n', then the raw values. Pure (bytes in, arrays out), so the browser can use it.
// Only what a data set needs: numeric dtypes in C order; anything else is an error naming the problem.

export type Dtype =
  'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64' | 'float32' | 'float64';

/** An n-dimensional array in C (row-major) order; 64-bit integers are held as float64 (exact up to 2^53). */
export interface NdArray {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data:
    Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
}

const KINDS: Record<string, Dtype> = {
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  u8: 'uint64',
  i8: 'int64',
  f4: 'float32',
  f8: 'float64',
};
const SUPPORTED = 'float32, float64, uint8, int8, int16, int32, int64, uint16, uint32, uint64';
/** NumPy's names for the kinds we do not read, by descr kind letter and item size. */
function dtypeName(kind: string, size: number): string | undefined {
  const bits = 8 * size;
  const names: Record<string, string> = {
    b: 'bool',
    f: `float${bits}`,
    c: `complex${bits}`,
    i: `int${bits}`,
    u: `uint${bits}`,
    O: 'object: pickled Python objects',
    U: 'unicode strings',
    S: 'byte strings',
    a: 'byte strings',
    V: 'raw bytes',
    M: 'datetime64',
    m: 'timedelta64',
  };
  return names[kind];
}

/** The number of elements of a shape; every dimension a non-negative integer. */
export const elements = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Parses a .npy file; `where` (the file, and the array in an .npz) starts every error. */
export function parseNpy(bytes: Uint8Array, where: string): NdArray {
  const fail = (m: string) => new Error(`${where}: ${m}`);
  const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw fail('not a .npy file (no \\x93NUMPY magic at the start)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw fail(`.npy format version ${major}.${bytes[7]} is not supported (1.0 to 3.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw fail('truncated header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length)
    throw fail(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, start));
  const { descr, fortran, shape } = parseHeader(header, fail);

  const order = descr[0]!;
  const code = descr.slice(1);
  const dtype = KINDS[code];
  if (!'<>|='.includes(order) || dtype === undefined) {
    const m = /^[<>|=]?([a-zA-Z])(\d*)/.exec(descr);
    const name = m ? dtypeName(m[1]!, Number(m[2])) : undefined;
    throw fail(`unsupported dtype '${descr}'${name !== undefined ? ` (${name})` : ''}; supported: ${SUPPORTED}`);
  }
  const size = Number(code[1]);
  if (order === '|' && size > 1) throw fail(`dtype '${descr}' has no byte order ('|') but ${size}-byte values`);
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw fail(
      `shape (${shape.join(', ')}) is in Fortran (column-major) order, which is not supported; save it in C order (np.ascontiguousarray)`,
    );
  }
  const count = elements(shape);
  const have = bytes.length - start;
  if (count * size !== have) {
    throw fail(
      `shape (${shape.join(', ')}) of ${descr} needs ${count * size} bytes of data, the file has ${have}${have < count * size ? ' (truncated?)' : ''}`,
    );
  }
  const little = order !== '>'; // '=' (native) is little-endian everywhere this runs
  return { dtype, shape, data: decode(bytes.subarray(start), dtype, size, count, little) };
}

function parseHeader(header: string, fail: (m: string) => Error): { descr: string; fortran: boolean; shape: number[] } {
  const h = header.trim();
  if (!h.startsWith('{') || !h.endsWith('}'))
    throw fail(`header is not a Python dict: ${JSON.stringify(h.slice(0, 80))}`);
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(h)?.[2];
  if (descr === undefined) {
    if (/['"]descr['"]\s*:\s*\[/.test(h))
      throw fail('structured dtype (a record of fields) is not supported: save one plain numeric array per key');
    throw fail(`header has no 'descr' string: ${JSON.stringify(h.slice(0, 80))}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)\b/.exec(h)?.[1];
  if (fortran === undefined)
    throw fail(`header has no 'fortran_order' True or False: ${JSON.stringify(h.slice(0, 80))}`);
  const dims = /['"]shape['"]\s*:\s*\(([^()]*)\)/.exec(h)?.[1];
  if (dims === undefined) throw fail(`header has no 'shape' tuple: ${JSON.stringify(h.slice(0, 80))}`);
  const shape = dims
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d+L?$/.test(s) || !Number.isSafeInteger(parseInt(s, 10)))
        throw fail(`shape (${dims}) has a dimension that is not a non-negative integer: '${s}'`);
      return parseInt(s, 10);
    });
  if (descr.length < 2) throw fail(`unsupported dtype '${descr}'; supported: ${SUPPORTED}`);
  return { descr, fortran: fortran === 'True', shape };
}

/** The values as a typed array of their own (a copy, so aligned). Typed arrays use the host's byte order,
 *  little-endian on every platform this runs on, so big-endian values are byte-swapped first. */
function decode(raw: Uint8Array, dtype: Dtype, size: number, count: number, little: boolean): NdArray['data'] {
  const b = raw.slice(0, count * size);
  if (!little) for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
  switch (dtype) {
    case 'uint8':
      return b;
    case 'int8':
      return new Int8Array(b.buffer);
    case 'uint16':
      return new Uint16Array(b.buffer);
    case 'int16':
      return new Int16Array(b.buffer);
    case 'uint32':
      return new Uint32Array(b.buffer);
    case 'int32':
      return new Int32Array(b.buffer);
    case 'float32':
      return new Float32Array(b.buffer);
    case 'float64':
      return new Float64Array(b.buffer);
    case 'int64':
      return Float64Array.from(new BigInt64Array(b.buffer), Number);
    case 'uint64':
      return Float64Array.from(new BigUint64Array(b.buffer), Number);
  }
}
