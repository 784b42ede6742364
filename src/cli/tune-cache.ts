// The CLI's matmul tune cache: a small JSON file on the Node side (the headless browser starts with a
// fresh profile every run, so it keeps nothing). One entry per adapter; the page validates entries
// (src/gpu/autotune.ts), so a corrupt file only costs a re-measurement and is rewritten.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TuneEntry } from '../index.ts';

/** node_modules/.cache/webgpu-mlp/autotune.json in the repository, or $WEBGPU_MLP_TUNE_CACHE. */
export function tuneCachePath(): string {
  return (
    process.env.WEBGPU_MLP_TUNE_CACHE ||
    fileURLToPath(new URL('../../node_modules/.cache/webgpu-mlp/autotune.json', import.meta.url))
  );
}

/** The file's entries by adapter; empty when it is missing or not what we write. */
function readEntries(path: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const adapters = typeof doc === 'object' && doc !== null ? (doc as { adapters?: unknown }).adapters : undefined;
    return typeof adapters === 'object' && adapters !== null && !Array.isArray(adapters)
      ? { ...(adapters as Record<string, unknown>) }
      : {};
  } catch {
    return {};
  }
}

export function loadTuneEntry(path: string, adapter: string): unknown {
  return readEntries(path)[adapter];
}

/** Replaces the adapter's entry, keeping the others; written then renamed, so a reader never sees half a file. */
export function saveTuneEntry(path: string, adapter: string, entry: TuneEntry): void {
  const adapters = { ...readEntries(path), [adapter]: { ...entry, measuredAt: new Date().toISOString() } };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ version: 1, adapters }, null, 2) + '\n');
  renameSync(tmp, path);
}
