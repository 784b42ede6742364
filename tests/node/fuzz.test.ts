// Fuzz tests of the readers that take user files (safetensors, CSV, IDX, .npz): thousands of seeded
// mutations of a valid file.
// Each must either parse into a self-consistent result or throw a clean Error naming what is wrong;
// never crash with a RangeError/TypeError, never hang, never return NaN data.
import { describe, expect, it } from 'vitest';
import { npzFromBytes } from '../../src/node.ts';
import { idxSource, npyPairSource } from '../../src/data/arrays.ts';
import { CsvReader, type CsvRead } from '../../src/data/csv.ts';
import type { Dataset, GivenSplit } from '../../src/data/dataset.ts';
import { initParams } from '../../src/init.ts';
import { decodeSafetensors, paramsFromSafetensors, paramsToSafetensors } from '../../src/io/safetensors.ts';
import type { ModelSpec } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import { idxFile, npy, npzFile } from './array-files.ts';

const CASES = 3000;

/** A thrown value that is our own clear error, not an engine crash. */
function expectCleanError(e: unknown, context: string): void {
  expect(e, context).toBeInstanceOf(Error);
  const err = e as Error;
  // Ours: a plain Error or a TrainerError (never a TypeError, RangeError or the like from the engine).
  expect(['Error', 'TrainerError'], `${context}: ${err.message}`).toContain(err.constructor.name);
  expect(err.message.length, context).toBeGreaterThan(10);
}

/** A byte of the safetensors JSON header set to a character that JSON or the header's values use. */
function safetensorsHeader(src: Uint8Array, b: number[], rng: Rng): void {
  const n = Number(new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true));
  const i = 8 + rng.int(Math.max(1, n));
  if (i < b.length) b[i] = '0123456789[],:{}"FUI8 -eE.'.charCodeAt(rng.int(26));
}

/** Edits: overwrite, delete, insert, truncate, a byte of the first 8, and a format-specific edit of its
 *  header (`header`, safetensors' JSON by default). */
function mutateBytes(
  src: Uint8Array,
  rng: Rng,
  header: (src: Uint8Array, b: number[], rng: Rng) => void = safetensorsHeader,
): Uint8Array {
  const b = Array.from(src);
  const edits = 1 + rng.int(4);
  for (let k = 0; k < edits; k++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(6)) {
      case 0:
        b[at] = rng.int(256);
        break; // overwrite
      case 1:
        b.splice(at, 1 + rng.int(16));
        break; // delete
      case 2:
        b.splice(at, 0, ...Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)));
        break; // insert
      case 3:
        b.length = rng.int(b.length);
        break; // truncate
      case 4:
        b[rng.int(8)] = rng.int(256);
        break; // header length field
      default:
        header(src, b, rng);
    }
  }
  return Uint8Array.from(b);
}

describe('fuzz: safetensors reader', () => {
  // Test that thousands of mutated model files each load or fail cleanly, quickly.
  it(`${CASES} mutated files`, () => {
    const spec: ModelSpec = { sizes: [3, 4, 2], activation: 'relu', loss: 'ce' };
    const good = paramsToSafetensors(spec, initParams(spec, 1));
    const rng = new Rng(2024);
    let loaded = 0;
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) {
      const bytes = mutateBytes(good, rng);
      try {
        decodeSafetensors(bytes);
        const p = paramsFromSafetensors(bytes, spec);
        expect(p[0]!.weight.length).toBe(12);
        loaded++;
      } catch (e) {
        expectCleanError(e, `case ${i}`);
      }
    }
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(loaded).toBeLessThan(CASES); // the mutations do break files
  });
});

describe('fuzz: CSV reader', () => {
  // Test that thousands of mutated CSV files (RFC 4180 quoting with delimiters, doubled quotes and line
  // breaks inside fields, and files without quotes; ',', ';' and tab; LF and CRLF) each parse
  // consistently or fail cleanly naming the file; that each gives the same result, or the same error,
  // with every window through papaparse (the quote-free scan off); and that every tenth one does when
  // read in random pieces, as a stream is.
  it(`${CASES} mutated files`, () => {
    const rng = new Rng(7);
    const alphabet = '0123456789,;\t.-eE\n\r "abNaIf';
    const kinds = ['cat', 'dog', '"bird, small"', '"say ""hi"""'];
    const files = [',', ';', '\t'].flatMap((d) =>
      [true, false].map((quoted) => {
        const rows = Array.from({ length: 30 }, (_, r) =>
          [
            (rng.next() * 10 - 5).toFixed(r % 7),
            r % 6 === 0 ? rng.next().toExponential(2) : (rng.next() * 100).toFixed(1),
            quoted ? (r % 4 === 0 ? '"two\nlines"' : `"n${d}${r}"`) : `n${r}`,
            r % 5 === 0 ? (quoted ? kinds[r % 4]! : 'cat') : String(r % 3),
          ].join(d),
        );
        const header = quoted ? ['x1', '"x 2"', 'note', 'label'] : ['x1', 'x 2', 'note', 'label'];
        return [header.join(d), ...rows].join(d === ';' ? '\r\n' : '\n') + '\n';
      }),
    );
    const check = (text: string, pieces?: number, scan = true): unknown => {
      try {
        const r = new CsvReader('fuzz.csv', { drop: ['note'] }, undefined, scan);
        for (let i = 0; i < text.length; i += pieces ?? text.length) r.push(text.slice(i, i + (pieces ?? text.length)));
        return r.end();
      } catch (e) {
        return e;
      }
    };
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const c = files[i % files.length]!.split('');
      const edits = 1 + rng.int(4);
      for (let k = 0; k < edits; k++) {
        const at = rng.int(c.length + 1);
        switch (rng.int(4)) {
          case 0:
            c[at] = alphabet[rng.int(alphabet.length)]!;
            break;
          case 1:
            c.splice(at, 1 + rng.int(6));
            break;
          case 2:
            c.splice(at, 0, alphabet[rng.int(alphabet.length)]!);
            break;
          default:
            c.length = rng.int(c.length);
        }
      }
      const text = c.join('');
      const r = check(text);
      if (r instanceof Error || !(r instanceof Object)) {
        expectCleanError(r, `case ${i}`);
        expect((r as Error).message).toMatch(/fuzz\.csv/);
      } else {
        const { dataset: d } = r as CsvRead;
        expect(d.x.length).toBe(d.n * d.features);
        expect(d.x.every(Number.isFinite)).toBe(true);
        if (d.y) {
          expect(d.y.length).toBe(d.n * (d.targetNames?.length ?? 0));
          expect(d.y.every(Number.isFinite)).toBe(true);
        } else {
          expect(d.labels.length).toBe(d.n);
          expect(d.labels.every((l) => l < d.classes)).toBe(true);
          expect(d.classes).toBeGreaterThanOrEqual(2);
          if (d.classNames) expect(d.classNames.length).toBe(d.classes);
        }
        parsed++;
      }
      expect(check(text, undefined, false), `case ${i} through papaparse only`).toEqual(r);
      if (i % 10 === 0) expect(check(text, 1 + rng.int(40)), `case ${i} read in pieces`).toEqual(r);
    }
    expect(parsed).toBeGreaterThan(0);
    expect(parsed).toBeLessThan(CASES);
  });
});

/** A self-consistent data set: whole rows, finite features, labels below its class count. */
function expectConsistent(d: Dataset, context: string): void {
  expect(d.x.length, context).toBe(d.n * d.features);
  expect(d.labels.length, context).toBe(d.n);
  expect(d.x.every(Number.isFinite), context).toBe(true);
  expect(
    d.labels.every((l) => l < d.classes),
    context,
  ).toBe(true);
  expect(d.classes, context).toBeGreaterThanOrEqual(2);
}

function expectConsistentSource(data: Dataset | GivenSplit, context: string): void {
  if (!('train' in data)) return expectConsistent(data, context);
  expectConsistent(data.train, context);
  expectConsistent(data.test, context);
  expect(data.test.features, context).toBe(data.train.features);
  expect(data.test.classes, context).toBe(data.train.classes);
}

/** A byte in one of the headers (a magic number or a field near it) set to a value that sizes and codes use. */
const nearMarkers = (markers: number[][], span: number) => (src: Uint8Array, b: number[], rng: Rng) => {
  const at: number[] = [];
  for (let i = 0; i < src.length; i++) if (markers.some((m) => m.every((x, k) => src[i + k] === x))) at.push(i);
  const i = (at[rng.int(at.length)] ?? 0) + rng.int(span);
  if (i < b.length) b[i] = [0, 1, 2, 3, 8, 0x7f, 0x80, 0xff, rng.int(256)][rng.int(9)]!;
};

describe('fuzz: IDX reader', () => {
  // Test that thousands of MNIST-layout directories with one mutated file each load consistently or fail
  // cleanly, naming the file.
  it(`${CASES} mutated files`, () => {
    const rng = new Rng(11);
    const names = ['train-images', 'train-labels', 't10k-images', 't10k-labels'] as const;
    const good = [
      idxFile(
        [30, 3, 3],
        Uint8Array.from({ length: 270 }, () => rng.int(256)),
      ),
      idxFile(
        [30],
        Uint8Array.from({ length: 30 }, (_, i) => i % 3),
      ),
      idxFile(
        [8, 3, 3],
        Uint8Array.from({ length: 72 }, () => rng.int(256)),
      ),
      idxFile(
        [8],
        Uint8Array.from({ length: 8 }, (_, i) => i % 3),
      ),
    ];
    const header = (src: Uint8Array, b: number[], r: Rng) => nearMarkers([[0, 0, 8]], 16)(src, b, r);
    let loaded = 0;
    for (let i = 0; i < CASES; i++) {
      const files = good.slice();
      const which = rng.int(4);
      files[which] = mutateBytes(good[which]!, rng, header);
      const f = (k: number) => ({ bytes: files[k]!, where: `fuzz/${names[k]}` });
      try {
        const r = idxSource('fuzz', { trainImages: f(0), trainLabels: f(1), testImages: f(2), testLabels: f(3) });
        expectConsistentSource(r.data, `case ${i}`);
        expect('train' in r.data && r.data.train.x.every((v) => v >= 0 && v <= 1)).toBe(true);
        loaded++;
      } catch (e) {
        expectCleanError(e, `case ${i}`);
        expect((e as Error).message).toMatch(/^fuzz\/(train|t10k)-/);
      }
    }
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(CASES);
  });
});

describe('fuzz: .npz reader', () => {
  // Test that thousands of mutated .npz archives (stored and deflated) load consistently or fail cleanly,
  // naming the file: zip structures, .npy headers and compressed data all damaged.
  it(`${CASES} mutated files`, () => {
    const rng = new Rng(13);
    const arrays = {
      x_train: npy(
        '<f4',
        [20, 3],
        Array.from({ length: 60 }, () => rng.next() * 4 - 2),
      ),
      y_train: npy(
        '<i8',
        [20],
        Array.from({ length: 20 }, (_, i) => i % 3),
      ),
      x_test: npy(
        '<f4',
        [6, 3],
        Array.from({ length: 18 }, () => rng.next()),
      ),
      y_test: npy('|u1', [6], [0, 1, 2, 0, 1, 2]),
    };
    const good = [npzFile(arrays, 'stored'), npzFile(arrays, 'deflated')];
    const header = nearMarkers(
      [
        [0x50, 0x4b],
        [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59],
      ],
      64,
    ); // 'PK' records, \x93NUMPY headers
    let loaded = 0;
    const t0 = performance.now();
    for (let i = 0; i < CASES; i++) {
      const bytes = mutateBytes(good[i % 2]!, rng, header);
      try {
        expectConsistentSource(npzFromBytes(bytes, 'fuzz.npz').data, `case ${i}`);
        loaded++;
      } catch (e) {
        expectCleanError(e, `case ${i}`);
        expect((e as Error).message).toMatch(/^fuzz\.npz/);
      }
    }
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(CASES);
  });
});

describe('fuzz: .npy reader', () => {
  // Test that thousands of mutated .npy pairs (features, labels) load consistently or fail cleanly, naming
  // the file: most edits land in the Python-dict header (descr, fortran_order, shape).
  it(`${CASES} mutated files`, () => {
    const rng = new Rng(17);
    const good = [
      npy(
        '<f8',
        [12, 2, 2],
        Array.from({ length: 48 }, () => rng.next()),
      ),
      npy(
        '>i4',
        [12],
        Array.from({ length: 12 }, (_, i) => i % 4),
      ),
    ];
    const header = (src: Uint8Array, b: number[], r: Rng) => {
      const i = 10 + r.int(src[8]! + 256 * src[9]!);
      b[i] = "0123456789(), :'<>|=fiucbOTrueFalse{}".charCodeAt(r.int(37));
    };
    let loaded = 0;
    for (let i = 0; i < CASES; i++) {
      const files = good.slice();
      const which = rng.int(2);
      files[which] = mutateBytes(
        good[which]!,
        rng,
        rng.int(2) === 0 ? header : (src, b, r) => nearMarkers([[0x93]], 10)(src, b, r),
      );
      try {
        expectConsistentSource(
          npyPairSource({ bytes: files[0]!, where: 'fuzz-x.npy' }, { bytes: files[1]!, where: 'fuzz-y.npy' }).data,
          `case ${i}`,
        );
        loaded++;
      } catch (e) {
        expectCleanError(e, `case ${i}`);
        expect((e as Error).message).toMatch(/^fuzz-[xy]\.npy/);
      }
    }
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(CASES);
  });
});
