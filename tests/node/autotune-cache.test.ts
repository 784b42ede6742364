// The matmul autotune's cache, without a GPU: the key, when a stored entry is used or measured again,
// and the CLI's JSON file. (tests/browser/autotune.test.ts measures on the adapter.)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MATMUL_SOURCES,
  defaultTune,
  describeTune,
  knownTune,
  tuneKey,
  tuneWith,
  type TuneEntry,
  type TuneStore,
} from '../../src/gpu/autotune.ts';
import { matmulDefaultMeasured, preferredMatmul, type MatmulFamily } from '../../src/gpu/kernels.ts';
import { loadTuneEntry, saveTuneEntry } from '../../src/cli/tune-cache.ts';

const ADAPTER = 'test vendor test device';
const KEY = tuneKey(ADAPTER);
const TIMES: Record<MatmulFamily, number> = { tiled: 30, blocked: 12, tiled8: 20 };

/** A store in memory that counts its calls; `broken` makes load or save throw. */
function memoryStore(initial?: unknown, broken?: 'load' | 'save') {
  const entries = new Map<string, unknown>(initial === undefined ? [] : [[ADAPTER, initial]]);
  const calls = { load: 0, save: 0 };
  const store: TuneStore = {
    async load(adapter) {
      calls.load++;
      if (broken === 'load') throw new Error('storage unavailable');
      return entries.get(adapter);
    },
    async save(adapter, entry) {
      calls.save++;
      if (broken === 'save') throw new Error('quota exceeded');
      entries.set(adapter, entry);
    },
  };
  return { store, entries, calls };
}

/** A measurement that counts how often it ran. */
function measurer(ms: Record<MatmulFamily, number> = TIMES) {
  const m = { runs: 0, fn: async () => (m.runs++, { ...ms }) };
  return m;
}

describe('tuneKey', () => {
  // Test that the key names the adapter and changes with any matmul shader source, and only with them.
  it('changes with the adapter and the shader source', () => {
    expect(KEY).toContain(ADAPTER);
    expect(tuneKey(ADAPTER)).toBe(tuneKey(ADAPTER, MATMUL_SOURCES));
    expect(tuneKey('another adapter')).not.toBe(KEY);
    expect(MATMUL_SOURCES.length).toBe(4); // matmul.wgsl, matmul_tiled8.wgsl, matmul_vec4.wgsl, matmul_vec4_kn.wgsl (with their prefixes)
    for (let i = 0; i < MATMUL_SOURCES.length; i++) {
      const edited = MATMUL_SOURCES.map((s, j) => (j === i ? s.replace('{', '{ ') : s));
      expect(tuneKey(ADAPTER, edited), `source ${i} edited`).not.toBe(KEY);
    }
  });
});

describe('tuneWith', () => {
  // Test that an empty store leads to one measurement whose fastest family is returned and saved.
  it('measures on a miss and saves the entry', async () => {
    const { store, entries } = memoryStore();
    const m = measurer();
    const r = await tuneWith(KEY, ADAPTER, store, m.fn);
    expect(r).toMatchObject({ family: 'blocked', ms: TIMES, source: 'measured' });
    expect(m.runs).toBe(1);
    expect(entries.get(ADAPTER)).toEqual({ key: KEY, family: 'blocked', ms: TIMES });
  });

  // Test that a valid stored entry is a hit: nothing is measured or written.
  it('skips the measurement on a hit', async () => {
    const { store, calls } = memoryStore({ key: KEY, family: 'tiled', ms: { tiled: 5, blocked: 9, tiled8: 7 } });
    const m = measurer();
    const r = await tuneWith(KEY, ADAPTER, store, m.fn);
    expect(r).toMatchObject({ family: 'tiled', ms: { tiled: 5, blocked: 9, tiled8: 7 }, source: 'cached' });
    expect(m.runs).toBe(0);
    expect(calls.save).toBe(0);
  });

  const corrupt: [string, unknown][] = [
    ['not an object', 'blocked'],
    ['null', null],
    [
      'stale: another shader hash',
      { key: tuneKey(ADAPTER, ['old source']), family: 'tiled', ms: { tiled: 5, blocked: 9, tiled8: 7 } },
    ],
    ['a family missing from ms', { key: KEY, family: 'tiled', ms: { tiled: 5 } }],
    ['a time that is not a number', { key: KEY, family: 'tiled', ms: { tiled: 5, blocked: '9', tiled8: 7 } }],
    ['a NaN time', { key: KEY, family: 'tiled', ms: { tiled: 5, blocked: NaN, tiled8: 7 } }],
    ['a zero time', { key: KEY, family: 'blocked', ms: { tiled: 5, blocked: 0, tiled8: 7 } }],
    ['a family that is not the fastest', { key: KEY, family: 'tiled', ms: { tiled: 9, blocked: 5, tiled8: 7 } }],
    ['an unknown family', { key: KEY, family: 'naive', ms: { tiled: 9, blocked: 5, tiled8: 7 } }],
  ];
  for (const [what, entry] of corrupt) {
    // Test that a corrupt or stale entry is ignored, measured again and overwritten.
    it(`re-measures and rewrites an entry with ${what}`, async () => {
      const { store, entries } = memoryStore(entry);
      const m = measurer();
      const r = await tuneWith(KEY, ADAPTER, store, m.fn);
      expect(r.source).toBe('measured');
      expect(m.runs).toBe(1);
      expect(entries.get(ADAPTER)).toEqual({ key: KEY, family: 'blocked', ms: TIMES });
    });
  }

  // Test that a store that cannot be read or written costs a measurement, never the run.
  for (const broken of ['load', 'save'] as const) {
    it(`survives a store whose ${broken} throws`, async () => {
      const { store, calls } = memoryStore(
        broken === 'load' ? { key: KEY, family: 'blocked', ms: TIMES } : undefined,
        broken,
      );
      const m = measurer();
      const r = await tuneWith(KEY, ADAPTER, store, m.fn);
      expect(r).toMatchObject({ family: 'blocked', source: 'measured' });
      expect(m.runs).toBe(1);
      expect(calls[broken]).toBe(1);
    });
  }
});

describe('CLI tune cache file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tune-'));
  const entry: TuneEntry = { key: KEY, family: 'blocked', ms: TIMES };

  // Test that an entry written is read back, beside the other adapters' entries, in a directory made on demand.
  it('round-trips entries per adapter', () => {
    const path = join(dir, 'sub', 'autotune.json');
    expect(loadTuneEntry(path, ADAPTER)).toBeUndefined();
    saveTuneEntry(path, ADAPTER, entry);
    saveTuneEntry(path, 'other adapter', { ...entry, key: tuneKey('other adapter') });
    expect(loadTuneEntry(path, ADAPTER)).toMatchObject(entry);
    expect(loadTuneEntry(path, 'other adapter')).toMatchObject({ key: tuneKey('other adapter') });
  });

  // Test that a file that is not JSON, or not our layout, reads as empty and is replaced by the next save.
  const bad: [string, string][] = [
    ['truncated JSON', '{"version":1,"adapters":{"x'],
    ['an array', '[1,2]'],
    ['adapters not an object', '{"adapters":"x"}'],
  ];
  for (const [what, text] of bad) {
    it(`reads ${what} as empty and rewrites it`, () => {
      const path = join(dir, `${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(path, text);
      expect(loadTuneEntry(path, ADAPTER)).toBeUndefined();
      saveTuneEntry(path, ADAPTER, entry);
      expect(loadTuneEntry(path, ADAPTER)).toMatchObject(entry);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, adapters: { [ADAPTER]: entry } });
    });
  }
});

describe('a family without timing', () => {
  // Test that knownTune answers from a valid stored entry, and otherwise (nothing stored, a stale or
  // corrupt entry, a store that fails) says it knows nothing: it never measures and never writes.
  it('knownTune reads the store and nothing else', async () => {
    const hit = memoryStore({ key: KEY, family: 'tiled8', ms: { tiled: 5, blocked: 9, tiled8: 3 } });
    expect(await knownTune(ADAPTER, hit.store)).toMatchObject({ family: 'tiled8', source: 'cached' });
    for (const stored of [undefined, { key: 'stale', family: 'tiled', ms: TIMES }, 'corrupt']) {
      const { store, calls } = memoryStore(stored);
      expect(await knownTune(ADAPTER, store)).toBeUndefined();
      expect(calls).toEqual({ load: 1, save: 0 });
    }
    expect(await knownTune(ADAPTER, memoryStore(undefined, 'load').store)).toBeUndefined();
    expect(await knownTune(ADAPTER, undefined)).toBeUndefined();
  });

  // Test that the default is blocked on SwiftShader, where it is the measured answer (nothing to time), and
  // a guess elsewhere (tiled on a GPU) that the log line says is left to the tune.
  it('defaultTune is the known answer on SwiftShader and a guess elsewhere', () => {
    const swiftshader = 'google swiftshader';
    expect(defaultTune(swiftshader)).toMatchObject({ family: 'blocked', source: 'default', seconds: 0 });
    expect(Object.values(defaultTune(swiftshader).ms).every(Number.isNaN)).toBe(true);
    expect(matmulDefaultMeasured(swiftshader)).toBe(true);
    expect(describeTune(defaultTune(swiftshader), swiftshader)).toMatch(/^matmul blocked .*nothing timed\)$/);
    const gpu = 'nvidia hopper';
    expect(matmulDefaultMeasured(gpu)).toBe(false);
    expect(defaultTune(gpu).family).toBe(preferredMatmul(gpu));
    expect(describeTune(defaultTune(gpu), gpu)).toMatch(/autotune runs once training has started/);
  });
});
