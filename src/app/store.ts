// The app's checkpoint of the current run, in IndexedDB (the worker writes, the page never does).
// Each checkpoint is a new record; one readwrite transaction puts it, points 'latest' at it and deletes
// the one before. IndexedDB commits a transaction entirely or not at all, so a page closed mid-write
// leaves the previous checkpoint as 'latest', never a half-written one.
import type { TuneEntry, TuneStore } from '../index.ts';
import type { ChartPoint } from './history.ts';
import type { Settings } from './settings.ts';

const DB = 'webgpu-mlp-trainer';
const RECORDS = 'checkpoints';
const META = 'meta';
const LATEST = 'latest';

/** What the page shows about a saved run, without the bytes. */
export interface SavedRunInfo {
  readonly settings: Settings;
  readonly step: number;
  readonly epoch: number;
  readonly totalSteps: number;
  readonly savedAt: number;
}

export interface SavedRun extends SavedRunInfo {
  /** encodeCheckpoint bytes: weights, optimizer state, step, position, shuffling RNG state. */
  readonly bytes: Uint8Array;
  /** The run's chart points so far (absent in runs saved before they were kept). */
  readonly history?: readonly ChartPoint[];
}

interface Pointer {
  readonly id: number;
  readonly info: SavedRunInfo;
  readonly history?: readonly ChartPoint[];
}

const done = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB ${DB}: ${req.error?.message ?? 'request failed'}`));
  });

const committed = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(new Error(`IndexedDB ${DB}: ${tx.error?.message ?? 'transaction failed'}`));
    tx.onabort = () =>
      reject(new Error(`IndexedDB ${DB}: transaction aborted (${tx.error?.message ?? 'no reason given'})`));
  });

let opened: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opened ??= (() => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(RECORDS, { autoIncrement: true });
      req.result.createObjectStore(META);
    };
    return done(req);
  })();
  opened.catch(() => (opened = undefined));
  return opened;
}

/** Stores a checkpoint and makes it the latest, atomically. */
export async function saveRun(run: SavedRun): Promise<void> {
  const db = await open();
  const tx = db.transaction([RECORDS, META], 'readwrite');
  const ok = committed(tx);
  const records = tx.objectStore(RECORDS);
  const meta = tx.objectStore(META);
  const previous = done(meta.get(LATEST) as IDBRequest<Pointer | undefined>);
  const id = await done(records.add(run.bytes));
  const old = await previous;
  const { bytes: _bytes, history, ...info } = run;
  meta.put({ id: Number(id), info, ...(history ? { history } : {}) } satisfies Pointer, LATEST);
  if (old) records.delete(old.id);
  await ok;
}

/** The latest checkpoint's description, or undefined when there is none. */
export async function latestRunInfo(): Promise<SavedRunInfo | undefined> {
  const db = await open();
  const tx = db.transaction(META, 'readonly');
  return (await done(tx.objectStore(META).get(LATEST) as IDBRequest<Pointer | undefined>))?.info;
}

/** The latest checkpoint with its bytes. */
export async function latestRun(): Promise<SavedRun | undefined> {
  const db = await open();
  const tx = db.transaction([RECORDS, META], 'readonly');
  const pointer = await done(tx.objectStore(META).get(LATEST) as IDBRequest<Pointer | undefined>);
  if (!pointer) return undefined;
  const bytes = await done(tx.objectStore(RECORDS).get(pointer.id) as IDBRequest<Uint8Array | undefined>);
  if (!(bytes instanceof Uint8Array))
    throw new Error(
      `IndexedDB ${DB}: the latest checkpoint (record ${pointer.id}, step ${pointer.info.step}) is missing its bytes`,
    );
  return { ...pointer.info, bytes, ...(pointer.history ? { history: pointer.history } : {}) };
}

/** Forgets the saved run (a finished run needs no resume). */
export async function clearRuns(): Promise<void> {
  const db = await open();
  const tx = db.transaction([RECORDS, META], 'readwrite');
  const ok = committed(tx);
  tx.objectStore(RECORDS).clear();
  tx.objectStore(META).delete(LATEST);
  await ok;
}

/** The matmul autotune's entries, one per adapter, beside the checkpoint pointer in META (no schema
 *  change); src/gpu/autotune.ts validates what it reads. */
export const tuneStore: TuneStore = {
  async load(adapter: string): Promise<unknown> {
    const db = await open();
    return done(db.transaction(META, 'readonly').objectStore(META).get(`tune:${adapter}`));
  },
  async save(adapter: string, entry: TuneEntry): Promise<void> {
    const db = await open();
    const tx = db.transaction(META, 'readwrite');
    const ok = committed(tx);
    tx.objectStore(META).put(entry, `tune:${adapter}`);
    await ok;
  },
};
