// The adapter as the page shows it, found once at start (the library's probeAdapter: name, buffer
// limits, matmul tune), and the budget every run is checked against before a trainer is made. Each
// trainer acquires its own device; this only reads the adapter.
import { checkFits, probeAdapter, type AdapterLimits, type TuneStore } from '../index.ts';
import { message, post } from './post.ts';
import { trainConfig, type Settings } from './settings.ts';
import type { Setup } from './setup.ts';
import { tuneStore } from './store.ts';

export class AppGpu {
  private limits: AdapterLimits | undefined;
  private error = 'WebGPU not initialised yet';
  private ready: Promise<void> | undefined;

  /** The app's tune cache (IndexedDB, shared by the page's tabs and Workers). A trainer reads it and
   *  never waits for the probe's tune: without an answer it starts on the adapter's default family. */
  readonly tunes: TuneStore = tuneStore;

  /** Finds the adapter and tells the page its name and limits; then, in the background, the matmul
   *  family trainers will use (read from IndexedDB, the adapter's default, or timed where that could
   *  change it), so the page can show it. A missing adapter is posted as an 'adapter' error; CPU runs
   *  still work. */
  probe(): Promise<void> {
    this.ready = probeAdapter({ tuneStore }).then(
      (p) => {
        this.limits = p.limits;
        post({ type: 'adapter', name: p.name, limits: p.limits });
        if (p.software) post({ type: 'notice', text: `Slow adapter: ${p.software}` });
        void p.tune.then((t) => post({ type: 'tune', family: t.family, line: t.line }));
      },
      (e: unknown) => {
        this.error = message(e);
        post({ type: 'error', context: 'adapter', message: this.error });
      },
    );
    return this.ready;
  }

  /** The largest buffer of the run; throws before anything is allocated when one is over the limits. */
  async budget(s: Settings, st: Setup): Promise<{ name: string; bytes: number }> {
    if (s.device === 'gpu') {
      await this.ready;
      if (!this.limits)
        throw new Error(`the GPU device is not available (${this.error}); pick the CPU reference device`);
    }
    return checkFits(st.spec, trainConfig(s), s.device, this.limits, 'the adapter', {
      batchSize: st.maxBatch,
      rows: { train: st.data.train.n, test: st.data.test.n, dev: st.data.dev?.n ?? 0 },
    });
  }
}
