// Fuzz tests of the two readers that take user files: thousands of seeded mutations of a valid file.
// Each must either parse into a self-consistent result or throw a clean Error naming what is wrong;
// never crash with a RangeError/TypeError, never hang, never return NaN data.
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.ts';
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
  // Test that thousands of mutated CSV files each parse consistently or fail cleanly naming a line.
  it(`${CASES} mutated files`, () => {
    const rng = new Rng(7);
    const rows = Array.from({ length: 30 }, (_, r) => `${(rng.next() * 10 - 5).toFixed(3)},${rng.next().toExponential(2)},${r % 3}`);
    const good = ['x1,x2,label', ...rows].join('\n') + '\n';
    const alphabet = '0123456789,.-eE\n\r "abNaIf';
    let parsed = 0;
    for (let i = 0; i < CASES; i++) {
      const c = good.split('');
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
      try {
        const d = parseCsv(c.join(''), 'fuzz.csv');
        expect(d.x.length).toBe(d.n * d.features);
        expect(d.labels.length).toBe(d.n);
        expect(d.x.every(Number.isFinite)).toBe(true);
        expect(d.labels.every((l) => l < d.classes)).toBe(true);
        expect(d.classes).toBeGreaterThanOrEqual(2);
        parsed++;
      } catch (e) {
        expectCleanError(e, `case ${i}`);
        expect((e as Error).message).toMatch(/fuzz\.csv/);
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(parsed).toBeLessThan(CASES);
  });
});
