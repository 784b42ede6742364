// A run's checkpoints in IndexedDB, so a reload can continue the run: written in the background, at
// most one a second, in order (docs/epoch-cost.md: a short epoch no longer waits for a write).
import { encodeCheckpoint, type FitCheckpoint, type ModelSpec } from '../index.ts';
import type { RunHistory } from './history.ts';
import { message, post } from './post.ts';
import { runRecord, type Settings } from './settings.ts';
import { saveRun, type SavedRunInfo } from './store.ts';

/** IndexedDB writes of a run's checkpoints at most this often: a reload loses at most this much
 *  training, and a short epoch no longer waits for a write (docs/epoch-cost.md). The latest checkpoint
 *  skipped is written at pause, stop and failure. */
const SAVE_EVERY_MS = 1000;

/** Stores the run's checkpoints in IndexedDB, so a reload can continue the run: at most one write every
 *  SAVE_EVERY_MS, in the background (training does not wait for it), in order. `flush` writes the latest
 *  checkpoint not yet written, `settled` does not; both resolve when every write is done. A failed write
 *  is told and the run goes on (the trainer keeps its checkpoint in memory). */
export function checkpointSaver(s: Settings, spec: ModelSpec, totalSteps: number, history: RunHistory) {
  const store = storeCheckpoint(s, spec, totalSteps, history);
  let unsaved: FitCheckpoint | undefined;
  let lastWrite = -Infinity;
  let writing = false;
  let writes: Promise<void> = Promise.resolve();
  const write = (c: FitCheckpoint) => {
    unsaved = undefined;
    lastWrite = performance.now();
    writing = true;
    writes = writes.then(() => store(c)).finally(() => (writing = false));
  };
  return {
    // While a write is in flight the checkpoint only waits as the latest unsaved one, so a write slower
    // than SAVE_EVERY_MS never queues up stale checkpoints behind it.
    onCheckpoint: (c: FitCheckpoint): void => {
      unsaved = c;
      if (!writing && performance.now() - lastWrite >= SAVE_EVERY_MS) write(c);
    },
    flush: (): Promise<void> => {
      if (unsaved) write(unsaved);
      return writes;
    },
    settled: (): Promise<void> => writes,
  };
}

/** Writes one checkpoint to IndexedDB and tells the page; a failed write is told, never thrown. */
function storeCheckpoint(s: Settings, spec: ModelSpec, totalSteps: number, history: RunHistory) {
  return async (c: FitCheckpoint): Promise<void> => {
    const bytes = encodeCheckpoint({
      spec,
      params: c.params,
      state: c.state,
      position: c.position,
      run: runRecord(s),
    });
    const info: SavedRunInfo = {
      settings: s,
      step: c.position.step,
      epoch: c.position.epoch,
      totalSteps,
      savedAt: Date.now(),
    };
    try {
      await saveRun({ ...info, bytes, history: history.points.slice() });
      post({ type: 'saved-run', info });
    } catch (e) {
      post({ type: 'error', context: 'storage', message: `checkpoint at step ${info.step} not saved: ${message(e)}` });
    }
  };
}
