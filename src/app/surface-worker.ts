// The worker's half of the loss surface: the current run's trainer and training rows, and its weights
// at each checkpoint (the path drawn on the surface); a 'surface' message computes the 41×41 costs
// around the current weights (Trainer.lossSurface: one dispatch on the GPU) after the run or while it
// is paused. Its messages have their own listener here, so worker.ts only hands it the run (track).
import type { LabeledData, Params, Trainer } from '../index.ts';
import { message, post } from './post.ts';
import type { FromWorker, ToSurface } from './protocol.ts';

/** Checkpoints kept for the path; past it every other one is dropped (the path keeps its shape). */
const MAX_PATH = 256;

class SurfaceRun {
  private trainer: Trainer | undefined;
  private train: LabeledData | undefined;
  private path: Params[] = [];

  /** A run's events, with its checkpoints' weights also kept for the path: `start` the run's first
   *  weights, `train` its training rows. */
  track<E extends { checkpoint: (params: Params) => void }>(
    events: E,
    trainer: Trainer,
    train: LabeledData,
    start: Params,
  ): E {
    this.trainer = trainer;
    this.train = train;
    this.path = [start];
    return {
      ...events,
      checkpoint: (params: Params) => {
        this.add(params);
        events.checkpoint(params);
      },
    };
  }

  private add(params: Params): void {
    this.path.push(params);
    if (this.path.length > MAX_PATH) this.path = this.path.filter((_, i) => i % 2 === 0);
  }

  /** The surface around the trainer's current weights, as the page draws it. */
  async compute(): Promise<Extract<FromWorker, { type: 'surface' }>> {
    const { trainer, train } = this;
    if (!trainer || !train) throw new Error('train a model first: the surface is drawn around its weights');
    if (trainer.busy && !trainer.paused) throw new Error('pause the run (or let it finish) to compute the surface');
    const t0 = performance.now();
    const s = await trainer.lossSurface(train, { path: [...this.path, await trainer.getParams()] });
    return {
      type: 'surface',
      size: s.size,
      axis: Array.from(s.axis),
      cost: s.cost,
      path: s.path,
      rows: train.x.length / trainer.spec.sizes[0]!,
      device: s.device,
      ms: performance.now() - t0,
    };
  }
}

export const surfaceRun = new SurfaceRun();

self.addEventListener('message', (ev: MessageEvent<{ type: string }>) => {
  if (ev.data.type !== ('surface' satisfies ToSurface['type'])) return;
  surfaceRun.compute().then(
    (m) => post(m, [m.cost.buffer]),
    (e: unknown) => post({ type: 'error', context: 'surface', message: message(e) }),
  );
});
