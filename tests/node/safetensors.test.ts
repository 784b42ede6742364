import { describe, it, expect } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  paramsFromSafetensors,
  paramsToSafetensors,
  specFromSafetensors,
} from '../../src/io/safetensors.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';

const SPEC: ModelSpec = { sizes: [3, 4, 2], activation: 'tanh', loss: 'ce' };

/** A file from a header object and a data section, built without the encoder. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function f32le(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return b;
}

describe('safetensors container', () => {
  // Test that the encoder's bytes match a file laid out by hand from the spec: u64 LE length,
  // space-padded JSON with __metadata__ first, tensors in the given order, F32 little-endian data.
  it('matches a hand-built file byte for byte', () => {
    const got = encodeSafetensors(
      [
        { name: 'b', shape: [2], data: new Float32Array([1, -2]) },
        { name: 'a', shape: [1, 1], data: new Float32Array([0.5]) },
      ],
      { k: 'v' },
    );
    const json =
      '{"__metadata__":{"k":"v"},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"a":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = [
      ...[padded.length, 0, 0, 0, 0, 0, 0, 0],
      ...new TextEncoder().encode(padded),
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
      ...[0x00, 0x00, 0x00, 0x3f], // 0.5f
    ];
    expect(padded.length).toBeLessThan(256); // the length fits in the first byte above
    expect((8 + padded.length) % 8).toBe(0);
    expect([...got]).toEqual(expected);
  });

  // Test that encode then decode returns every tensor, shape, value and metadata entry unchanged.
  it('round-trips tensors and metadata', () => {
    const data = new Float32Array([1e-30, -0, 3.25, Math.fround(Math.PI), 7, 8]);
    const bytes = encodeSafetensors(
      [
        { name: '0', shape: [2, 3], data },
        { name: 'empty', shape: [0, 5], data: new Float32Array(0) },
        { name: 'scalar', shape: [], data: new Float32Array([42]) },
      ],
      { hello: 'wörld' },
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ hello: 'wörld' });
    expect([...tensors.keys()].sort()).toEqual(['0', 'empty', 'scalar']);
    expect(tensors.get('0')).toEqual({ dtype: 'F32', shape: [2, 3], data });
    expect(tensors.get('empty')?.shape).toEqual([0, 5]);
    expect([...(tensors.get('scalar')?.data ?? [])]).toEqual([42]);
  });

  // Test that a decoder reads a file written by another writer: no metadata, tensors stored out of name order.
  it('decodes a foreign hand-built file', () => {
    const bytes = file(
      { w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, v: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      f32le([9, 1, 2]),
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect([...(tensors.get('w')?.data ?? [])]).toEqual([1, 2]);
    expect([...(tensors.get('v')?.data ?? [])]).toEqual([9]);
  });

  // Test that a decoder works on a view into a larger, unaligned buffer.
  it('decodes from an unaligned subarray', () => {
    const inner = encodeSafetensors([{ name: 'x', shape: [3], data: new Float32Array([1, 2, 3]) }], {});
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 1);
    expect([...(decodeSafetensors(outer.subarray(1, 1 + inner.length)).tensors.get('x')?.data ?? [])]).toEqual([
      1, 2, 3,
    ]);
  });

  const good = encodeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(4) }], {});
  const entry = (over: Record<string, unknown>): unknown => ({
    x: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...over },
  });
  const bad: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /truncated file: 5 bytes/],
    [
      'a file cut in the data section',
      good.subarray(0, good.length - 1),
      /x: data_offsets \[0,16\] run past the end of the 15-byte data section \(truncated file\?\)/,
    ],
    [
      'a header length past the end of the file',
      file({}, new Uint8Array(0), 1000),
      /header length 1000 runs past the end of the file \(10 bytes/,
    ],
    ['bad JSON', file('x').map((b, i) => (i === 8 ? 0x7b : b)), /header is not valid UTF-8 JSON/],
    ['a JSON array header', file([1]), /header must be a JSON object/],
    ['a non-string metadata value', file({ __metadata__: { a: 1 } }), /__metadata__\.a must be a string/],
    [
      'an unsupported dtype',
      file(entry({ dtype: 'F16', data_offsets: [0, 4] }), new Uint8Array(4)),
      /x: unsupported dtype F16, expected F32/,
    ],
    [
      'a non-integer shape',
      file(entry({ shape: [1.5] }), new Uint8Array(8)),
      /x: shape must be an array of non-negative integers, got \[1\.5\]/,
    ],
    [
      'a negative shape',
      file(entry({ shape: [-2] }), new Uint8Array(8)),
      /x: shape must be an array of non-negative integers/,
    ],
    [
      'offsets not matching the shape',
      file(entry({ shape: [3] }), new Uint8Array(8)),
      /x: data_offsets \[0,8\] span 8 bytes but F32 \[3\] needs 12/,
    ],
    [
      'reversed offsets',
      file(entry({ data_offsets: [8, 0] }), new Uint8Array(8)),
      /x: data_offsets \[8,0\] end before they begin/,
    ],
    [
      'malformed offsets',
      file(entry({ data_offsets: [0] }), new Uint8Array(8)),
      /x: data_offsets must be two non-negative integers/,
    ],
    [
      'overlapping tensors',
      file(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        new Uint8Array(12),
      ),
      /b: data_offsets \[4,12\] overlap another tensor ending at 8/,
    ],
    [
      'a gap in the data section',
      file(entry({ shape: [1], data_offsets: [4, 8] }), new Uint8Array(8)),
      /x: data_offsets \[4,8\] leave a gap after byte 0/,
    ],
    ['trailing bytes', file(entry({}), new Uint8Array(12)), /4 bytes after the last tensor are not described/],
  ];
  for (const [what, bytes, message] of bad) {
    // Test that the decoder rejects the file with a message naming the problem (and the tensor, where there is one).
    it(`rejects ${what}`, () => {
      expect(() => decodeSafetensors(bytes)).toThrow(message);
    });
  }

  // Test that the encoder refuses data whose length does not match its shape, and duplicate names.
  it('encoder validates its input', () => {
    expect(() => encodeSafetensors([{ name: 'w', shape: [2, 3], data: new Float32Array(5) }], {})).toThrow(
      /w: shape \[2,3\] holds 6 values but data has 5/,
    );
    const t = { name: 'w', shape: [1], data: new Float32Array(1) };
    expect(() => encodeSafetensors([t, t], {})).toThrow(/w: duplicate tensor name/);
  });
});

describe('model parameters as safetensors', () => {
  // Test that parameters survive a save/load round trip bit for bit, with the expected names and metadata.
  it('round-trips params and the architecture', () => {
    const params = initParams(SPEC, 7);
    const bytes = paramsToSafetensors(SPEC, params);
    expect(paramsFromSafetensors(bytes, SPEC)).toEqual(params);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']);
    expect(tensors.get('layers.0.weight')?.shape).toEqual([4, 3]);
    expect(tensors.get('layers.1.bias')?.shape).toEqual([2]);
    expect(metadata).toEqual({
      format: 'webgpu-mlp',
      architecture: '{"sizes":[3,4,2],"activation":"tanh","loss":"ce"}',
    });
    expect(specFromSafetensors(bytes)).toEqual(SPEC);
  });

  // Test that loading into a model with a different width names the tensor and both shapes.
  it('rejects a wrong shape naming the tensor', () => {
    const bytes = paramsToSafetensors({ ...SPEC, sizes: [3, 5, 2] }, initParams({ ...SPEC, sizes: [3, 5, 2] }, 1));
    expect(() => paramsFromSafetensors(bytes, SPEC)).toThrow('layers.0.weight: expected shape [4,3], file has [5,3]');
  });

  // Test that a missing tensor (a file for a shallower model) is named.
  it('rejects a missing tensor', () => {
    const shallow: ModelSpec = { ...SPEC, sizes: [3, 4] };
    const bytes = paramsToSafetensors(shallow, initParams(shallow, 1));
    expect(() => paramsFromSafetensors(bytes, SPEC)).toThrow(
      'layers.1.weight: missing from the file (expected F32 [2,4])',
    );
  });

  // Test that a wrongly named tensor is reported both as missing and, when the expected ones exist, as extra.
  it('rejects wrong and extra names', () => {
    const [l0, l1] = initParams(SPEC, 1);
    const renamed = encodeSafetensors(
      [
        { name: 'layers.0.weight', shape: [4, 3], data: l0!.weight },
        { name: 'layers.0.bias', shape: [4], data: l0!.bias },
        { name: 'layers.1.weights', shape: [2, 4], data: l1!.weight },
        { name: 'layers.1.bias', shape: [2], data: l1!.bias },
      ],
      {},
    );
    expect(() => paramsFromSafetensors(renamed, SPEC)).toThrow(/^layers\.1\.weight: missing from the file/);
    const extra = encodeSafetensors(
      [...decodeSafetensors(paramsToSafetensors(SPEC, initParams(SPEC, 1))).tensors]
        .map(([name, t]) => ({ name, ...t }))
        .concat([{ name: 'optimizer.step', dtype: 'F32', shape: [1], data: new Float32Array(1) }]),
      {},
    );
    expect(() => paramsFromSafetensors(extra, SPEC)).toThrow(/^optimizer\.step: not part of the model/);
  });

  // Test that an F64 tensor where F32 is expected fails with the tensor and both dtypes named.
  it('rejects a wrong dtype naming the tensor', () => {
    const bytes = file(
      {
        'layers.0.weight': { dtype: 'F64', shape: [4, 3], data_offsets: [0, 96] },
        'layers.0.bias': { dtype: 'F32', shape: [4], data_offsets: [96, 112] },
      },
      new Uint8Array(112),
    );
    expect(() => paramsFromSafetensors(bytes, { ...SPEC, sizes: [3, 4] })).toThrow(
      'layers.0.weight: unsupported dtype F64, expected F32',
    );
  });

  // Test that a file without our metadata has no spec, and a corrupt architecture entry is an error.
  it('specFromSafetensors reads only our own metadata', () => {
    expect(specFromSafetensors(encodeSafetensors([], {}))).toBeUndefined();
    expect(() =>
      specFromSafetensors(
        encodeSafetensors([], {
          format: 'webgpu-mlp',
          architecture: '{"sizes":[2,1],"activation":"gelu","loss":"bce"}',
        }),
      ),
    ).toThrow(/unknown activation 'gelu'/);
  });

  // Test that saving params that do not fit the spec fails with the tensor named.
  it('paramsToSafetensors checks the params against the spec', () => {
    const params = initParams(SPEC, 1);
    expect(() => paramsToSafetensors(SPEC, params.slice(0, 1))).toThrow(/model has 2 layers .* but 1 were given/);
    const wrong = [params[0]!, { weight: new Float32Array(7), bias: params[1]!.bias }];
    expect(() => paramsToSafetensors(SPEC, wrong)).toThrow(
      /layers\.1\.weight: shape \[2,4\] holds 8 values but data has 7/,
    );
  });
});
