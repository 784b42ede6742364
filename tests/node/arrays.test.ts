// The array readers (IDX, .npy, .npz) on files written by the tests' own writers (array-files.ts) and by
// NumPy itself: values, shapes, byte orders, compression, and a clear error for each thing we do not read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIdxDir, loadNpyPair, loadNpz } from '../../src/node.ts';
import type { Dataset, GivenSplit } from '../../src/data/dataset.ts';
import { parseIdx } from '../../src/io/idx.ts';
import { parseNpy } from '../../src/io/npy.ts';
import { idxFile, npy, npyFile, npzFile, writeIdxDir } from './array-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'arrays-'));
const file = (name: string, bytes: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const given = (d: Dataset | GivenSplit): GivenSplit => {
  if (!('train' in d)) throw new Error('expected a given train/test split');
  return d;
};

/** Archives written by NumPy 2.4.6 (local headers with zip64 extras and 0xffffffff sizes):
 *  x = np.array([[[0,255],[128,1]],[[2,3],[4,5]],[[250,251],[252,253]],[[9,8],[7,6]]], np.uint8),
 *  y = np.array([0,1,2,1]), xt = np.array([[[10,20],[30,40]],[[50,60],[70,80]]], np.uint8), yt = np.array([2,0]);
 *  np.savez(f, x_train=x, y_train=y, x_test=xt, y_test=yt), and the same with np.savez_compressed. */
const NUMPY = {
  savez:
    'UEsDBC0AAAAAAAAAIQCfeYMT//////////8LABQAeF90cmFpbi5ucHkBABAAkAAAAAAAAACQAAAAAAAAAJNOVU1QWQEAdgB7J2Rl' +
    'c2NyJzogJ3x1MScsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICg0LCAyLCAyKSwgfSAgICAgICAgICAgICAgICAg' +
    'ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAP+AAQIDBAX6+/z9CQgHBlBLAwQtAAAAAAAAACEAvsT/k///' +
    '////////CwAUAHlfdHJhaW4ubnB5AQAQAKAAAAAAAAAAoAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJh' +
    'bl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoNCwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg' +
    'ICAgICAgICAgICAgICAgICAgCgAAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAEAAAAAAAAAUEsDBC0AAAAAAAAAIQAF4VIo////////' +
    '//8KABQAeF90ZXN0Lm5weQEAEACIAAAAAAAAAIgAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3Jk' +
    'ZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg' +
    'ICAgICAgICAgICAgIAoKFB4oMjxGUFBLAwQtAAAAAAAAACEAg0/xgv//////////CgAUAHlfdGVzdC5ucHkBABAAkAAAAAAAAACQ' +
    'AAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCksIH0g' +
    'ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAgAAAAAAAAAAAAAAAAAA' +
    'AFBLAQItAy0AAAAAAAAAIQCfeYMTkAAAAJAAAAALAAAAAAAAAAAAAACAAQAAAAB4X3RyYWluLm5weVBLAQItAy0AAAAAAAAAIQC+' +
    'xP+ToAAAAKAAAAALAAAAAAAAAAAAAACAAc0AAAB5X3RyYWluLm5weVBLAQItAy0AAAAAAAAAIQAF4VIoiAAAAIgAAAAKAAAAAAAA' +
    'AAAAAACAAaoBAAB4X3Rlc3QubnB5UEsBAi0DLQAAAAAAAAAhAINP8YKQAAAAkAAAAAoAAAAAAAAAAAAAAIABbgIAAHlfdGVzdC5u' +
    'cHlQSwUGAAAAAAQABADiAAAAOgMAAAAA',
  savez_compressed:
    'UEsDBC0AAAAIAAAAIQCfeYMT//////////8LABQAeF90cmFpbi5ucHkBABAAkAAAAAAAAABYAAAAAAAAAJvsF+obEMnIUMZQrZ6S' +
    'WpxcpG6loF5Taqiuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GiY6CkZApKmjUKtAHuBi+N/AyMTMwvrr95+/nBzsbABQ' +
    'SwMELQAAAAgAAAAhAL7E/5P//////////wsAFAB5X3RyYWluLm5weQEAEACgAAAAAAAAAEwAAAAAAAAAm+wX6hsQychQxlCtnpJa' +
    'nFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkaJjqaOgq1ChQALgYoYITSTGh8AFBLAwQtAAAACAAAACEA' +
    'BeFSKP//////////CgAUAHhfdGVzdC5ucHkBABAAiAAAAAAAAABPAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loF5Taqiuo6Ce' +
    'll9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CiCkqaNQq0Ae4OISkdMwsnELAABQSwMELQAAAAgAAAAhAINP8YL/////////' +
    '/woAFAB5X3Rlc3QubnB5AQAQAJAAAAAAAAAASAAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2mhrqOgnpZfVFKUmBefX5SS' +
    'ChJ3S8wpTgWKF2ckFqQC+RpGOpo6CrUKFAAuJgZUAABQSwECLQMtAAAACAAAACEAn3mDE1gAAACQAAAACwAAAAAAAAAAAAAAgAEA' +
    'AAAAeF90cmFpbi5ucHlQSwECLQMtAAAACAAAACEAvsT/k0wAAACgAAAACwAAAAAAAAAAAAAAgAGVAAAAeV90cmFpbi5ucHlQSwEC' +
    'LQMtAAAACAAAACEABeFSKE8AAACIAAAACgAAAAAAAAAAAAAAgAEeAQAAeF90ZXN0Lm5weVBLAQItAy0AAAAIAAAAIQCDT/GCSAAA' +
    'AJAAAAAKAAAAAAAAAAAAAACAAakBAAB5X3Rlc3QubnB5UEsFBgAAAAAEAAQA4gAAAC0CAAAAAA==',
};

describe('IDX', () => {
  // Test that an IDX file's big-endian dimensions and unsigned bytes are read as they are.
  it('reads the header and the bytes', () => {
    const a = parseIdx(
      idxFile(
        [2, 2, 3],
        Uint8Array.from({ length: 12 }, (_, i) => 20 * i),
      ),
      'img',
      3,
    );
    expect(a).toEqual({ dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => 20 * i) });
    expect(parseIdx(idxFile([300], new Uint8Array(300).fill(7)), 'lab', 1).shape).toEqual([300]);
  });

  // Test that a wrong magic, a short header, truncated data and extra bytes each name the file and the problem.
  it('rejects what is not the expected IDX file', () => {
    const good = idxFile([2, 2, 2], new Uint8Array(8));
    expect(() => parseIdx(good, 'labels', 1)).toThrow(
      'labels: magic number 0x00000803 (IDX, unsigned byte, 3 dimensions), expected 0x00000801 (IDX, unsigned bytes, 1 dimension: labels)',
    );
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0]), 'gz', 3)).toThrow(
      'gz: magic number 0x1f8b0800, expected 0x00000803',
    );
    expect(() => parseIdx(idxFile([2, 2, 2], new Uint8Array(8), 0x0d03), 'f', 3)).toThrow(
      'f: magic number 0x00000d03 (IDX, float32, 3 dimensions), expected 0x00000803',
    );
    expect(() => parseIdx(good.subarray(0, 10), 'short', 3)).toThrow(
      'short: 10 bytes, too short for the 16-byte header of 3 dimensions (truncated?)',
    );
    expect(() => parseIdx(good.subarray(0, 20), 'cut', 3)).toThrow(
      'cut: header says 2×2×2 = 8 bytes of data, the file has 4 (truncated?)',
    );
    expect(() => parseIdx(Uint8Array.from([...good, 1]), 'long', 3)).toThrow(
      'long: header says 2×2×2 = 8 bytes of data, the file has 9 (extra bytes at the end)',
    );
  });

  // Test that an MNIST-layout directory gives its train and t10k files as the two sets, pixels k/255,
  // the same whether the files are gzipped or not (or spelled train-images.idx3-ubyte).
  it('reads an MNIST-layout directory, gzipped or not', () => {
    const rows = (n: number, seed: number): Dataset => {
      const x = Float32Array.from({ length: n * 4 }, (_, i) => ((i * 37 + seed) % 256) / 255);
      return { name: 't', n, features: 4, classes: 3, x, labels: Uint32Array.from({ length: n }, (_, i) => i % 3) };
    };
    const [train, test] = [rows(30, 1), rows(7, 2)];
    writeIdxDir(join(dir, 'gz'), train, test, 2, true);
    writeIdxDir(join(dir, 'plain'), train, test, 2, false);
    const a = loadIdxDir(join(dir, 'gz'));
    const b = loadIdxDir(join(dir, 'plain'));
    expect(a.notes).toEqual(['uint8 values scaled to [0, 1] (÷ 255)']);
    const ga = given(a.data);
    expect(ga.train).toMatchObject({ n: 30, features: 4, classes: 3, x: train.x, labels: train.labels });
    expect(ga.test).toMatchObject({ n: 7, features: 4, classes: 3, x: test.x, labels: test.labels });
    expect(given(b.data).train.x).toEqual(ga.train.x);
    expect(given(b.data).test.labels).toEqual(ga.test.labels);
  });
});

describe('npy', () => {
  const cases: [string, number[]][] = [
    ['u1', [0, 1, 128, 255]],
    ['i1', [-128, -1, 0, 127]],
    ['u2', [0, 1, 300, 65535]],
    ['i2', [-32768, -2, 7, 32767]],
    ['u4', [0, 1, 70000, 4294967295]],
    ['i4', [-2147483648, -3, 5, 2147483647]],
    ['u8', [0, 1, 2 ** 40, 2 ** 53]],
    ['i8', [-(2 ** 53), -4, 9, 2 ** 53]],
    ['f4', [-1.5, 0, Math.fround(3.25e10), Math.fround(0.1)]],
    ['f8', [-1.5, 0, 1e300, 0.1]],
  ];
  for (const [code, values] of cases) {
    // Test that this dtype reads the same values from little- and big-endian files.
    it(`reads ${code} in both byte orders`, () => {
      for (const order of code.endsWith('1') ? ['|', '<', '>'] : ['<', '>']) {
        const a = parseNpy(npy(`${order}${code}`, [2, 2], values), `${order}${code}.npy`);
        expect(a.shape).toEqual([2, 2]);
        expect(Array.from(a.data)).toEqual(values);
      }
    });
  }

  // Test that format version 2.0 (4-byte header length) and 1-D shapes "(n,)" read; and a file from NumPy.
  it('reads version 2.0, 1-D shapes and a file NumPy wrote', () => {
    expect(parseNpy(npy('<i4', [3], [1, 2, 3], { version: 2 }), 'v2.npy')).toEqual({
      dtype: 'int32',
      shape: [3],
      data: Int32Array.from([1, 2, 3]),
    });
    // np.save(f, np.array([[1.5, -2.25, 3e10]], dtype='>f8'))
    const numpy = Buffer.from(
      'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/+AAAAAAAAMACAAAAAAAAQhvwjrAAAAA=',
      'base64',
    );
    expect(parseNpy(new Uint8Array(numpy), 'be.npy')).toEqual({
      dtype: 'float64',
      shape: [1, 3],
      data: Float64Array.from([1.5, -2.25, 3e10]),
    });
  });

  // Test that what we do not read is an error naming the file and the problem.
  it('rejects other dtypes, Fortran order, structured arrays and damaged files', () => {
    const raw = (descr: string, bytes = 8) => npyFile(descr, [2], new Uint8Array(bytes));
    expect(() => parseNpy(raw('<f2', 4), 'h.npy')).toThrow(
      "h.npy: unsupported dtype '<f2' (float16); supported: float32, float64, uint8, int8, int16, int32, int64, uint16, uint32, uint64",
    );
    expect(() => parseNpy(raw('<c8', 16), 'c.npy')).toThrow("c.npy: unsupported dtype '<c8' (complex64)");
    expect(() => parseNpy(raw('|O'), 'o.npy')).toThrow(
      "o.npy: unsupported dtype '|O' (object: pickled Python objects)",
    );
    expect(() => parseNpy(raw('|b1', 2), 'b.npy')).toThrow("b.npy: unsupported dtype '|b1' (bool)");
    expect(() => parseNpy(raw('<U3', 24), 'u.npy')).toThrow("u.npy: unsupported dtype '<U3' (unicode strings)");
    expect(() => parseNpy(npy('<f4', [2, 3], [1, 2, 3, 4, 5, 6], { fortran: true }), 'f.npy')).toThrow(
      'f.npy: shape (2, 3) is in Fortran (column-major) order, which is not supported; save it in C order (np.ascontiguousarray)',
    );
    expect(parseNpy(npy('<f4', [1, 3], [1, 2, 3], { fortran: true }), 'row.npy').data).toEqual(
      Float32Array.from([1, 2, 3]),
    ); // one row: the same bytes
    const structured = new TextEncoder().encode(
      "\x00{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n",
    );
    expect(() =>
      parseNpy(
        Uint8Array.from([0x93, 78, 85, 77, 80, 89, 1, 0, structured.length - 1, 0, ...structured.subarray(1)]),
        's.npy',
      ),
    ).toThrow('s.npy: structured dtype');
    const good = npy('<f8', [2, 2], [1, 2, 3, 4]);
    expect(() => parseNpy(good.subarray(0, good.length - 3), 't.npy')).toThrow(
      't.npy: shape (2, 2) of <f8 needs 32 bytes of data, the file has 29 (truncated?)',
    );
    expect(() => parseNpy(good.subarray(0, 40), 'h.npy')).toThrow(
      'h.npy: header length 118 runs past the end of the file (40 bytes; truncated?)',
    );
    expect(() => parseNpy(new TextEncoder().encode('x,y\n1,2\n'), 'csv.npy')).toThrow(
      'csv.npy: not a .npy file (no \\x93NUMPY magic at the start)',
    );
  });
});

describe('npz and npy pairs', () => {
  const arrays = {
    x_train: npy('<f4', [6, 2], [0, 1, 1, 0, 2, 2, 3, 1, 0.5, 0.5, 1, 3]),
    y_train: npy('<i8', [6], [0, 1, 2, 0, 1, 2]),
    x_test: npy('<f4', [2, 2], [9, 9, 8, 8]),
    y_test: npy('|u1', [2, 1], [2, 2]),
  };

  // Test that stored and deflated archives give the same arrays, and the Keras layout its own test set.
  it('reads stored and deflated archives, the Keras layout as a given split', () => {
    const [s, d] = (['stored', 'deflated'] as const).map((m) => loadNpz(file(`k-${m}.npz`, npzFile(arrays, m))));
    const g = given(s!.data);
    expect(given(d!.data).train.x).toEqual(g.train.x);
    expect(given(d!.data).test.labels).toEqual(g.test.labels);
    expect(s!.notes).toEqual([]); // float32: used as it is
    expect(g.train).toMatchObject({ n: 6, features: 2, classes: 3, labels: Uint32Array.from([0, 1, 2, 0, 1, 2]) });
    expect(g.test).toMatchObject({
      n: 2,
      features: 2,
      classes: 3,
      x: Float32Array.from([9, 9, 8, 8]),
      labels: Uint32Array.from([2, 2]),
    });
  });

  // Test that archives NumPy wrote (np.savez and np.savez_compressed) read, uint8 images scaled to [0, 1].
  it('reads what NumPy writes', () => {
    for (const [how, b64] of Object.entries(NUMPY)) {
      const r = loadNpz(file(`${how}.npz`, new Uint8Array(Buffer.from(b64, 'base64'))));
      const g = given(r.data);
      expect(r.notes).toEqual(['uint8 values scaled to [0, 1] (÷ 255)']);
      expect(g.train).toMatchObject({ n: 4, features: 4, classes: 3, labels: Uint32Array.from([0, 1, 2, 1]) });
      expect(Array.from(g.train.x.subarray(0, 4))).toEqual([0, 1, 128 / 255, 1 / 255].map(Math.fround));
      expect(g.test).toMatchObject({ n: 2, labels: Uint32Array.from([2, 0]) });
      expect(g.test.x[7]).toBe(Math.fround(80 / 255));
    }
  });

  // Test that x, y (and a pair of .npy files) are rows for the usual split.
  it('reads x, y and .npy pairs as rows to split', () => {
    const r = loadNpz(file('xy.npz', npzFile({ x: arrays.x_train, y: arrays.y_train }, 'deflated')));
    expect('train' in r.data).toBe(false);
    expect(r.data).toMatchObject({ n: 6, features: 2, classes: 3 });
    const p = loadNpyPair(
      file('x.npy', npy('>f8', [6, 2], [0, 1, 1, 0, 2, 2, 3, 1, 0.5, 0.5, 1, 3])),
      file('y.npy', npy('>u2', [6], [0, 1, 2, 0, 1, 2])),
    );
    expect(p.data).toMatchObject({
      n: 6,
      features: 2,
      classes: 3,
      x: (r.data as Dataset).x,
      labels: (r.data as Dataset).labels,
    });
  });

  // Test that labels follow the CSV rules and shapes and classes are checked, each error naming the array.
  it('checks labels and shapes', () => {
    const load = (a: Record<string, Uint8Array>) => () =>
      loadNpz(file('bad.npz', npzFile({ ...arrays, ...a }, 'stored')));
    expect(load({ y_train: npy('<f8', [6], [0, 1, 2, 0, 1.5, 2]) })).toThrow(
      /bad\.npz, array "y_train", row 4: label must be a non-negative integer, got 1\.5/,
    );
    expect(load({ y_train: npy('<i4', [6], [1, 2, 3, 1, 2, 3]) })).toThrow(
      /bad\.npz, array "y_train": labels must be 0\.\.k-1 with every class present; the largest label is 3 but no row has label 0 \(1-based labels\?\)/,
    );
    expect(load({ y_train: npy('<f4', [6, 3], new Array(18).fill(0)) })).toThrow(
      /array "y_train": shape \(6, 3\): expected one integer class per row, shape \(n,\) or \(n, 1\) \(one-hot labels\? store their argmax\)/,
    );
    expect(load({ y_train: npy('<i8', [5], [0, 1, 2, 0, 1]) })).toThrow(
      /array "y_train": 5 labels for the 6 rows of .*bad\.npz, array "x_train"/,
    );
    expect(load({ y_test: npy('<i8', [2], [0, 3]) })).toThrow(
      /array "y_test", row 1: label 3 is not one of the training labels' classes 0\.\.2/,
    );
    expect(load({ x_test: npy('<f4', [2, 3], [1, 2, 3, 4, 5, 6]) })).toThrow(
      /array "x_test": shape \(2, 3\), 3 features a row; the training rows .* have 2/,
    );
    expect(load({ x_test: npy('|u1', [2, 2], [1, 2, 3, 4]) })).toThrow(
      /array "x_test": dtype uint8, but the training rows .* are float32/,
    );
    expect(load({ x_train: npy('<f8', [6, 2], [0, 1, 1, 0, 2, 2, 3, 1, 0.5, NaN, 1, 3]) })).toThrow(
      /array "x_train", row 4, feature 1: value must be finite, got NaN/,
    );
    expect(load({ x_train: npy('<f8', [6, 2], [0, 1, 1, 0, 2, 2, 3, 1e300, 0.5, 1, 1, 3]) })).toThrow(
      /array "x_train", row 3, feature 1: value 1e\+300 does not fit in float32/,
    );
    expect(load({ x_train: npy('<f4', [6], [0, 1, 2, 3, 4, 5]) })).toThrow(
      /array "x_train": shape \(6,\): expected rows of features \[n\]\[features\], or images/,
    );
  });

  // Test that a damaged archive or member is named, never read as wrong numbers.
  it('rejects damaged archives', () => {
    const good = npzFile(arrays, 'stored');
    const flipped = good.slice();
    flipped[200] = 255 - flipped[200]!; // inside x_train's data
    expect(() => loadNpz(file('crc.npz', flipped))).toThrow(/crc\.npz: member 'x_train\.npy' fails its CRC-32 check/);
    expect(() => loadNpz(file('cut.npz', good.subarray(0, good.length - 30)))).toThrow(
      /cut\.npz: not a zip archive \(no end-of-central-directory record; truncated\?\)/,
    );
    const deflated = npzFile(arrays, 'deflated');
    const junk = deflated.slice();
    junk.fill(0xff, 60, 70);
    expect(() => loadNpz(file('junk.npz', junk))).toThrow(
      /junk\.npz: member 'x_train\.npy': (damaged deflate data|.*fails its CRC-32 check|has \d+ bytes)/,
    );
    expect(() =>
      loadNpz(file('keys.npz', npzFile({ images: arrays.x_train, labels: arrays.y_train }, 'stored'))),
    ).toThrow(
      /keys\.npz: expected arrays x_train, y_train, x_test, y_test \(the Keras mnist\.npz layout\) or x, y; the file has images, labels/,
    );
  });
});
