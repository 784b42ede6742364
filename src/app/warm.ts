// The warm-up before Start: the plan the form's settings would train with is built once on rows of
// zeros (Trainer.prepare) on the worker's shared device, while the user reads the page, so Start finds
// its kernels compiled (seconds on SwiftShader: docs/epoch-cost.md, "The app's default run"). Best
// effort and silent: settings that cannot be set up yet (no file, MNIST not fetched) or a GPU that
// fails just leave the compiling to the run, which says what is wrong. One warm-up at a time; the
// settings asked for last are the next. A run waits for the warm-up under way (idle) before it builds
// anything: plans built at once on one device would share its error scopes, and a run's out-of-memory
// error could be caught by the warm-up's; its kernels are the ones the warm-up is compiling anyway.
import type { AppGpu } from './gpu.ts';
import { post } from './post.ts';
import type { Settings } from './settings.ts';
import { makeTrainer, setup, type UserData } from './setup.ts';

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
    if (s.device !== 'gpu' || s.data === 'mnist' || (s.data === 'csv' && !user)) return;
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
      await trainer.prepare({ batchSize: st.maxBatch, rows });
      this.done = { shape, device };
      post({ type: 'warmed', sizes: st.spec.sizes });
    } finally {
      trainer.destroy();
    }
  }
}
