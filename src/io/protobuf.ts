// The few protobuf wire-format writers an ONNX file needs (https://protobuf.dev/programming-guides/encoding/).
// A message is the concatenation of its fields; each field is a tag (field number << 3 | wire type)
// followed by its value: a varint (wire type 0), a length-prefixed byte string (2: strings, bytes,
// nested messages and packed arrays) or four little-endian bytes (5: float). Written by hand because a
// generated encoder for onnx.proto would be a larger dependency than the whole exporter.
import { TrainerError } from '../errors.ts';

const VARINT = 0;
const LEN = 2;
const I32 = 5;

/** Base-128 varint, 7 bits a byte, low first. Negative int64 values take ten bytes (two's complement),
 *  as protobuf writes them. */
function varint(v: number | bigint): number[] {
  if (typeof v === 'number' && !Number.isSafeInteger(v))
    throw new TrainerError('bad-input', `protobuf: ${v} is not an integer a varint can hold exactly`);
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

function tag(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

/** Concatenates fields (or any byte strings) into one message. */
export function message(...fields: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
  let p = 0;
  for (const f of fields) {
    out.set(f, p);
    p += f.length;
  }
  return out;
}

/** An integer field (int32, int64, enum). */
export function intField(field: number, v: number): Uint8Array {
  return Uint8Array.from([...tag(field, VARINT), ...varint(v)]);
}

/** A bytes field, or a nested message given as its encoded bytes. */
export function bytesField(field: number, bytes: Uint8Array): Uint8Array {
  return message(Uint8Array.from([...tag(field, LEN), ...varint(bytes.length)]), bytes);
}

export function stringField(field: number, s: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(s));
}

/** A nested message field from its fields. */
export function messageField(field: number, ...fields: readonly Uint8Array[]): Uint8Array {
  return bytesField(field, message(...fields));
}

export function floatField(field: number, v: number): Uint8Array {
  const out = new Uint8Array([...tag(field, I32), 0, 0, 0, 0]);
  new DataView(out.buffer).setFloat32(out.length - 4, v, true);
  return out;
}
