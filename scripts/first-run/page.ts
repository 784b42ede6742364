// The page half of scripts/first-run.ts: one first run in this page or in a module Worker (?where=,
// ?matmul=), handed to the Node side through the functions it exposed.
import type { MatmulChoice } from '../../src/index.ts';
import { firstRun, type FirstRun } from './measure.ts';

const hooks = window as unknown as Window & {
  __firstRunDone(r: FirstRun): void;
  __firstRunError(m: string): void;
};

function inWorker(matmul: MatmulChoice): Promise<FirstRun> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<FirstRun>((resolve, reject) => {
    worker.onmessage = (m: MessageEvent<{ ok?: FirstRun; error?: string }>) =>
      m.data.ok ? resolve(m.data.ok) : reject(new Error(m.data.error));
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    worker.postMessage(matmul);
  }).finally(() => worker.terminate());
}

const q = new URLSearchParams(location.search);
const matmul = (q.get('matmul') ?? 'auto') as MatmulChoice;
(q.get('where') === 'worker' ? inWorker(matmul) : firstRun('page', matmul)).then(
  (r) => void hooks.__firstRunDone(r),
  (e: unknown) => void hooks.__firstRunError(e instanceof Error ? e.message : String(e)),
);
