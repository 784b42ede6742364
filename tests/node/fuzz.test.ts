// Fuzz tests of the two readers that take user files: thousands of seeded mutations of a valid file.
// Each must either parse into a self-consistent result or throw a clean Error naming what is wrong;
// never crash with a RangeError/TypeError, never hang, never return NaN data.
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvRead } from '../../src/data/csv.ts';
import { initParams } from '../../src/init.ts';
import { decodeSafetensors, paramsFromSafetensors, paramsToSafetensors } from '../../src/io/safetensors.ts';
import type { ModelSpec } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';

const CASES = 3000;

/** A thrown value that is our own clear error, not an engine crash. */
function expectCleanError(e: unknown, context: string): void {
  expect(e, context).toBeInstanceOf(Error);
  const err = e as Error;
  expect(err.constructor.name, `${context}: ${err.message}`).toBe('Error');
  expect(err.message.length, context).toBeGreaterThan(10);
}

function mutateBytes(src: Uint8Array, rng: Rng): Uint8Array {
  const b = Array.from(src);
  const edits = 1 + rng.int(4);
  for (let k = 0; k < edits; k++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(6)) {
      case 0: b[at] = rng.int(256); break; // overwrite
      case 1: b.splice(at, 1 + rng.int(16)); break; // delete
      case 2: b.splice(at, 0, ...Array.from({ length: 1 + rng.int(8) }, () => rng.int(256))); break; // insert
      case 3: b.length = rng.int(b.length); break; // truncate
      case 4: b[rng.int(8)] = rng.int(256); break; // header length field
      default: { // flip a byte inside the JSON header
        const n = Number(new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true));
        const i = 8 + rng.int(Math.max(1, n));
        if (i < b.length) b[i] = '0123456789[],:{}"FUI8 -eE.'.charCodeAt(rng.int(26));
      }
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
    const files = [',', ';', '\t'].flatMap((d) => [true, false].map((quoted) => {
      const rows = Array.from({ length: 30 }, (_, r) => [(rng.next() * 10 - 5).toFixed(r % 7), r % 6 === 0 ? rng.next().toExponential(2) : (rng.next() * 100).toFixed(1),
        quoted ? (r % 4 === 0 ? '"two\nlines"' : `"n${d}${r}"`) : `n${r}`, r % 5 === 0 ? (quoted ? kinds[r % 4]! : 'cat') : String(r % 3)].join(d));
      const header = quoted ? ['x1', '"x 2"', 'note', 'label'] : ['x1', 'x 2', 'note', 'label'];
      return [header.join(d), ...rows].join(d === ';' ? '\r\n' : '\n') + '\n';
    }));
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
          case 0: c[at] = alphabet[rng.int(alphabet.length)]!; break;
          case 1: c.splice(at, 1 + rng.int(6)); break;
          case 2: c.splice(at, 0, alphabet[rng.int(alphabet.length)]!); break;
          default: c.length = rng.int(c.length);
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
