// safetensors files (https://github.com/huggingface/safetensors), F32 (models) and F64 (the CPU
// reference's exact state in checkpoints), for browser and Node
// alike: Uint8Array, DataView and TextEncoder/TextDecoder, no Buffer.
//
// Layout: [u64 LE header length N][N bytes of JSON, space-padded][data section]. The JSON maps each
// tensor name to {dtype, shape, data_offsets: [begin, end)} relative to the data section, plus an
// optional "__metadata__" string map. Like the reference implementation, the decoder requires the
// tensors to tile the data section exactly: no overlaps, no gaps, no trailing bytes.
import {
  fromTensors,
  hasBatchNorm,
  layerCount,
  layerKinds,
  layerTensors,
  tensorName,
  tensorShape,
  validateSpec,
  type Activation,
  type Loss,
  type ModelSpec,
  type Params,
  type TensorKind,
} from '../model.ts';

export type Dtype = 'F32' | 'F64';
export interface TensorIn {
  readonly name: string;
  readonly shape: readonly number[];
  /** Float32Array is stored as F32, Float64Array as F64. */
  readonly data: Float32Array | Float64Array;
}
export interface TensorOut {
  readonly dtype: Dtype;
  readonly shape: number[];
  readonly data: Float32Array | Float64Array;
}
export interface Safetensors {
  readonly tensors: Map<string, TensorOut>;
  readonly metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const F32_BYTES = 4;
const BYTES: Record<Dtype, number> = { F32: 4, F64: 8 };
const dtypeOf = (data: Float32Array | Float64Array): Dtype => (data instanceof Float64Array ? 'F64' : 'F32');
/** Same cap as the reference implementation: a larger header is a corrupt or hostile file. */
const MAX_HEADER_BYTES = 100_000_000;

/** Serialises `tensors` (F32 or F64 by their array type), little-endian, in the given order. */
export function encodeSafetensors(tensors: readonly TensorIn[], metadata: Record<string, string>): Uint8Array {
  const entries: string[] = [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`];
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '' || t.name === METADATA_KEY) throw new Error(`invalid tensor name '${t.name}'`);
    if (seen.has(t.name)) throw new Error(`${t.name}: duplicate tensor name`);
    seen.add(t.name);
    const count = elementCount(t.name, t.shape);
    if (count !== t.data.length) {
      throw new Error(`${t.name}: shape [${t.shape.join(',')}] holds ${count} values but data has ${t.data.length}`);
    }
    const dtype = dtypeOf(t.data);
    const end = offset + count * BYTES[dtype];
    // Built by hand: JSON.stringify of an object would move integer-like names ("0") to the front.
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  let header = new TextEncoder().encode(`{${entries.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }

  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let p = 8 + header.length;
  for (const t of tensors) {
    const f64 = t.data instanceof Float64Array;
    for (const v of t.data) {
      if (f64) view.setFloat64(p, v, true);
      else view.setFloat32(p, v, true);
      p += f64 ? 8 : F32_BYTES;
    }
  }
  return out;
}

/** Parses and validates a whole file; every tensor must be F32 or F64. */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  const { entries, metadata, dataStart } = readHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, TensorOut>();
  for (const e of entries) {
    const step = BYTES[e.dtype];
    const data =
      e.dtype === 'F64' ? new Float64Array((e.end - e.begin) / step) : new Float32Array((e.end - e.begin) / step);
    for (let i = 0, p = dataStart + e.begin; i < data.length; i++, p += step)
      data[i] = e.dtype === 'F64' ? view.getFloat64(p, true) : view.getFloat32(p, true);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function readHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8)
    throw new Error(`safetensors: truncated file: ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new Error(
      `safetensors: header length ${n} runs past the end of the file (${bytes.length} bytes; truncated?)`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new Error(`safetensors: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const dataStart = 8 + Number(n);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(json)) throw new Error('safetensors: header must be a JSON object');

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isObject(value)) throw new Error(`safetensors: ${METADATA_KEY} must be an object of strings`);
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          throw new Error(`safetensors: ${METADATA_KEY}.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(readEntry(name, value));
  }

  // The tensors must tile [0, dataLength) exactly.
  const dataLength = bytes.length - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.end > dataLength) {
      throw new Error(
        `${e.name}: data_offsets [${e.begin},${e.end}] run past the end of the ${dataLength}-byte data section (truncated file?)`,
      );
    }
    if (e.begin < at)
      throw new Error(`${e.name}: data_offsets [${e.begin},${e.end}] overlap another tensor ending at ${at}`);
    if (e.begin > at)
      throw new Error(`${e.name}: data_offsets [${e.begin},${e.end}] leave a gap after byte ${at} of the data section`);
    at = e.end;
  }
  if (at !== dataLength)
    throw new Error(`safetensors: ${dataLength - at} bytes after the last tensor are not described by the header`);
  return { entries, metadata, dataStart };
}

function readEntry(name: string, value: unknown): Entry {
  if (!isObject(value)) throw new Error(`${name}: header entry must be an object, got ${JSON.stringify(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw new Error(`${name}: dtype must be a string, got ${JSON.stringify(dtype)}`);
  if (dtype !== 'F32' && dtype !== 'F64') throw new Error(`${name}: unsupported dtype ${dtype}, expected F32`);
  if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${name}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o): o is number => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw new Error(`${name}: data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new Error(`${name}: data_offsets [${begin},${end}] end before they begin`);
  const bytes = elementCount(name, shape) * BYTES[dtype];
  if (end - begin !== bytes) {
    throw new Error(
      `${name}: data_offsets [${begin},${end}] span ${end - begin} bytes but ${dtype} [${shape.join(',')}] needs ${bytes}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function elementCount(name: string, shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new Error(`${name}: shape [${shape.join(',')}] has a dimension that is not a non-negative integer`);
    n *= d;
  }
  return n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- The model's parameters as a safetensors file ----

export const FORMAT = 'webgpu-mlp';

/** layers.{i}.weight F32 [out,in] and layers.{i}.bias F32 [out] (with batch norm also
 *  layers.{i}.bn_gamma, bn_beta, bn_mean, bn_var F32 [out] per hidden layer), with the architecture in
 *  the metadata ("batchNorm": true only for such a model, so other files are byte-for-byte as before). */
export function paramsToSafetensors(
  spec: ModelSpec,
  params: Params,
  extraMetadata: Record<string, string> = {},
): Uint8Array {
  validateSpec(spec);
  if (params.length !== layerCount(spec)) {
    throw new Error(
      `model has ${layerCount(spec)} layers (sizes [${spec.sizes.join(',')}]) but ${params.length} were given`,
    );
  }
  const tensors = params.flatMap((p, l) => {
    if ((p.bn !== undefined) !== hasBatchNorm(spec, l))
      throw new Error(
        `${tensorName(l, 'bn_gamma')}: batch-norm tensors ${p.bn ? 'given for a layer without' : 'missing for a layer with'} batch norm`,
      );
    return layerTensors(p).map(([kind, data]) => ({
      name: tensorName(l, kind),
      shape: tensorShape(spec, l, kind),
      data,
    }));
  });
  const architecture = JSON.stringify({
    sizes: spec.sizes,
    activation: spec.activation,
    loss: spec.loss,
    ...(spec.batchNorm ? { batchNorm: true } : {}),
  });
  return encodeSafetensors(tensors, { format: FORMAT, architecture, ...extraMetadata });
}

/** Reads parameters for `spec`: every tensor present, F32, exactly the expected shape, nothing else. */
export function paramsFromSafetensors(bytes: Uint8Array, spec: ModelSpec): Params {
  validateSpec(spec);
  const { tensors } = decodeSafetensors(bytes);
  const expected = new Set<string>();
  const params: Params = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const get = (kind: TensorKind): Float32Array => {
      const name = tensorName(l, kind);
      const shape = tensorShape(spec, l, kind);
      expected.add(name);
      const t = tensors.get(name);
      if (t === undefined) throw new Error(`${name}: missing from the file (expected F32 [${shape.join(',')}])`);
      if (t.dtype !== 'F32' || !(t.data instanceof Float32Array))
        throw new Error(`${name}: unsupported dtype ${t.dtype}, expected F32`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${name}: expected shape [${shape.join(',')}], file has [${t.shape.join(',')}]`);
      }
      return t.data;
    };
    layerKinds(spec, l).forEach(get); // in file order, so the first missing tensor is named
    params.push(fromTensors(get, hasBatchNorm(spec, l)));
  }
  const extra = [...tensors.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw new Error(
      `${extra.join(', ')}: not part of the model (sizes [${spec.sizes.join(',')}] expects ${[...expected].join(', ')})`,
    );
  }
  return params;
}

/** The architecture stored by paramsToSafetensors, or undefined for a file that is not ours. */
export function specFromSafetensors(bytes: Uint8Array): ModelSpec | undefined {
  return specFromMetadata(readHeader(bytes).metadata);
}

/** The file's metadata map (header only; the tensors are not read). */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readHeader(bytes).metadata;
}

function specFromMetadata(metadata: Record<string, string>): ModelSpec | undefined {
  if (metadata.format !== FORMAT || metadata.architecture === undefined) return undefined;
  let arch: unknown;
  try {
    arch = JSON.parse(metadata.architecture);
  } catch (e) {
    throw new Error(
      `safetensors: metadata "architecture" is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (
    !isObject(arch) ||
    !Array.isArray(arch.sizes) ||
    typeof arch.activation !== 'string' ||
    typeof arch.loss !== 'string'
  ) {
    throw new Error(
      `safetensors: metadata "architecture" must be {sizes, activation, loss}, got ${metadata.architecture}`,
    );
  }
  const spec: ModelSpec = {
    sizes: arch.sizes.map((s: unknown) => (typeof s === 'number' ? s : NaN)),
    activation: arch.activation as Activation,
    loss: arch.loss as Loss,
    ...(arch.batchNorm === true ? { batchNorm: true } : {}),
  };
  validateSpec(spec); // rejects unknown activation/loss names and bad sizes
  return spec;
}
