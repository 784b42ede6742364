// The adapter as the page shows it, found once at start (the library's probeAdapter: name, buffer
// limits, matmul tune), the budget every run is checked against before a trainer is made, and the
// device the worker's GPU trainers share (a GpuSession, opened at start): its compiled kernels stay
// from run to run and from the warm-up before Start (warm.ts), and it replaces a lost device.
import {
  checkFits,
  openGpu,
  probeAdapter,
  type AdapterLimits,
  type DeviceChoice,
  type GpuSession,
  type TuneStore,
} from '../index.ts';
import { message, post } from './post.ts';
import { trainConfig, type Settings } from './settings.ts';
import type { Setup } from './setup.ts';
import { tuneStore } from './store.ts';

export class AppGpu {
  private limits: AdapterLimits | undefined;
  private error = 'WebGPU not initialised yet';
  private ready: Promise<void> | undefined;
  private session: Promise<GpuSession> | undefined;

  /** The app's tune cache (IndexedDB, shared by the page's tabs and Workers). A trainer reads it and
   *  never waits for the probe's tune: without an answer it starts on the adapter's default family. */
  readonly tunes: TuneStore = tuneStore;

  /** Finds the adapter and tells the page its name and limits; then, in the background, the matmul
   *  family trainers will use (read from IndexedDB, the adapter's default, or timed where that could
   *  change it), so the page can show it. A missing adapter is posted as an 'adapter' error; CPU runs
   *  still work. */
  probe(): Promise<void> {
    this.session = openGpu();
    this.session.catch(() => {}); // the probe tells the page; a GPU run then fails its budget
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

  /** Where a trainer for these settings runs: the shared session's device, or the CPU reference. */
  async device(s: Settings): Promise<DeviceChoice> {
    if (s.device === 'cpu') return 'cpu';
    if (!this.session) throw new Error('the GPU device is not available: WebGPU not initialised yet');
    return this.session;
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
