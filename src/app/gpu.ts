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
  /** Settles when the page's first autotune is over (measured or read from IndexedDB). */
  private tuned: Promise<void> = Promise.resolve();

  /** The app's tune cache for the trainers: a trainer's tune waits for the one started at start, so the
   *  adapter is timed once and every later trainer reads the answer. */
  readonly tunes: TuneStore = {
    load: async (adapter) => {
      await this.tuned;
      return tuneStore.load(adapter);
    },
    save: (adapter, entry) => tuneStore.save(adapter, entry),
  };

  /** Finds the adapter and tells the page its name and limits; then, in the background, runs (or reads
   *  from IndexedDB) the matmul autotune the trainers will use, so the page can show it before the first
   *  run. A missing adapter is posted as an 'adapter' error; CPU runs still work. */
  probe(): Promise<void> {
    this.ready = probeAdapter({ tuneStore }).then(
      (p) => {
        this.limits = p.limits;
        post({ type: 'adapter', name: p.name, limits: p.limits });
        this.tuned = p.tune.then((t) => post({ type: 'tune', family: t.family, line: t.line }));
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
