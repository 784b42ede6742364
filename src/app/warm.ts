// The warm-up before Start: the plan the form's settings would train with is built once on rows of
// zeros (Trainer.prepare) on the worker's shared device, while the user reads the page, so Start finds
// its kernels compiled (seconds on SwiftShader: docs/epoch-cost.md, "kernels compiled before Start"). Best
// effort and silent: settings that cannot be set up yet (no file, MNIST not fetched) or a GPU that
// fails just leave the compiling to the run, which says what is wrong. One warm-up at a time; the
// settings asked for last are the next. A run waits for the warm-up under way (idle) before it builds
// anything: plans built at once on one device would share its error scopes, and a run's out-of-memory
// error could be caught by the warm-up's; its kernels are the ones the warm-up is compiling anyway.
import type { AppGpu } from './gpu.ts';
import { post } from './post.ts';
import type { Settings } from './settings.ts';
import { makeTrainer, setup, type UserData } from './setup.ts';

/** Input values of a user's data past which there is no warm-up: its plan would hold as much GPU memory
 *  in zeros (64 MiB here), and a run that long does not notice the seconds of compiling. */
const MAX_WARM_VALUES = 16 * 1024 * 1024;

/** Input values (rows × features) of the user's data, its own test rows included. */
function values(user: UserData): number {
  const d = user.data;
  return 'train' in d ? d.train.x.length + d.test.x.length : d.x.length;
}

export class Warmup {
  /** The plan last prepared (its shape) and its device, so that a change elsewhere in the form (the
   *  learning rate, the epochs) does not prepare it again. */
  private done: { readonly shape: string; readonly device: GPUDevice | undefined } | undefined;
  private running: Promise<void> | undefined;
  private next: { readonly s: Settings; readonly user: UserData | undefined } | undefined;

  constructor(
    private readonly gpu: AppGpu,
    /** Whether a training or sweep runs now (the warm-up then waits for the next request). */
    private readonly busy: () => boolean,
  ) {}

  /** Prepares the plan of these settings' run, after the warm-up under way if there is one. */
  request(s: Settings, user: UserData | undefined): void {
    if (s.device !== 'gpu' || s.data === 'mnist') return;
    if (s.data === 'csv' && (!user || values(user) > MAX_WARM_VALUES)) return;
    this.next = { s, user };
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Settles when no warm-up runs (at once when none does); never rejects. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    for (let n = this.next; n && !this.busy(); n = this.next) {
      this.next = undefined;
      await this.prepare(n.s, n.user).catch(() => {});
    }
  }

  private async prepare(s: Settings, user: UserData | undefined): Promise<void> {
    const st = await setup(s, user);
    const rows = { train: st.data.train.n, test: st.data.test.n, dev: 0 };
    const shape = JSON.stringify([st.spec, s.optimizer, s.keepProb, s.l2, st.maxBatch, rows]);
    await this.gpu.budget(s, st); // nothing is built for a run that does not fit
    const trainer = await makeTrainer(s, st, this.gpu, undefined);
    try {
      const device = trainer.gpuDevice; // a device lost since has none of the kernels
      if (shape === this.done?.shape && device === this.done.device) return;
      // The fit's kernels only: the run's last view of a small net is drawn by the float64 reference
      // (worker.ts finalViewParams), and a larger net's predict reuses its layered fit plan.
      await trainer.prepare({ batchSize: st.maxBatch, rows });
      this.done = { shape, device };
      post({ type: 'warmed', sizes: st.spec.sizes });
    } finally {
      trainer.destroy();
    }
  }
}
