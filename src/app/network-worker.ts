// The worker's half of the live network view: at each of a run's checkpoints (the weights the worker
// already gets, the same the decision boundary is redrawn from) it posts the network view of those
// weights (network-data.ts: a 24×24 grid on the float64 reference, a few ms), at most every
// NETWORK_EVERY_MS, the latest weights winning, so a fast run is not slowed by drawing. The page's
// "Live network view" checkbox turns it off ('network-live'); its messages have their own listener here,
// so worker.ts only hands it the run (track).
import type { Params, Trainer } from '../index.ts';
import { networkData, networkTransfers } from './network-data.ts';
import type { Bounds } from './predict.ts';
import { post } from './post.ts';
import type { ToNetwork } from './protocol.ts';
import type { View } from './view-data.ts';

/** At most this often (4 a second): enough to watch, a small share of the worker's time. */
export const NETWORK_EVERY_MS = 250;

class NetworkRun {
  private live = true;
  private trainer: Trainer | undefined;
  private bounds: Bounds | undefined;
  private last = -Infinity;
  /** The newest weights not drawn yet, waiting for the throttle's timer. */
  private pending: Params | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** A run's events, with its checkpoints' weights also drawn: `start` its first weights. */
  track<E extends { checkpoint: (params: Params) => void }>(events: E, trainer: Trainer, view: View, start: Params): E {
    this.trainer = trainer;
    this.bounds = view.view.kind === 'points' ? view.view.bounds : undefined;
    this.pending = undefined;
    this.offer(start);
    return {
      ...events,
      checkpoint: (params: Params) => {
        this.offer(params);
        events.checkpoint(params);
      },
    };
  }

  setLive(on: boolean): void {
    this.live = on;
    if (!on) this.pending = undefined;
  }

  /** Draws these weights after the throttle's wait, unless newer ones come first; never from inside the
   *  checkpoint's call, so the fit's loop goes on before the drawing. */
  private offer(params: Params): void {
    if (!this.live) return;
    this.pending = params;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + NETWORK_EVERY_MS - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const p = this.pending;
      this.pending = undefined;
      if (p && this.live) this.show(p);
    }, wait);
  }

  private show(params: Params): void {
    const { trainer } = this;
    if (!trainer) return;
    this.last = performance.now();
    const data = networkData(trainer.spec, params, trainer.info, this.bounds);
    post({ type: 'network', data }, networkTransfers(data));
  }
}

export const networkRun = new NetworkRun();

self.addEventListener('message', (ev: MessageEvent<{ type: string }>) => {
  if (ev.data.type === ('network-live' satisfies ToNetwork['type'])) networkRun.setLive((ev.data as ToNetwork).on);
});
