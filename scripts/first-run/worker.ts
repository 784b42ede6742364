// The Worker half of scripts/first-run.ts: one first run, posted back to the page.
import type { MatmulChoice } from '../../src/index.ts';
import { firstRun } from './measure.ts';

self.onmessage = (m: MessageEvent<MatmulChoice>) => {
  firstRun('worker', m.data).then(
    (r) => self.postMessage({ ok: r }),
    (e: unknown) => self.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
};
