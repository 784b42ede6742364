// Messages from the runner page to the CLI in batches. Each call of a function the CLI exposed on the
// page is a round trip through the browser's debugging protocol that the page's thread waits on (on
// SwiftShader here about 1–1.5 ms: a fused epoch of 25 steps takes ~4 ms, and its three events took
// about as long again, docs/epoch-cost.md). A batch carries every message of up to `everyMs`, in
// order, in one call; `flush` sends what is queued now (before the run's end is told, so nothing
// arrives after it).

/** How long a message may wait for its batch: the CLI's progress lines are this much late at most. */
export const BATCH_MS = 100;

export interface Batcher<T> {
  /** Queues a message; sends the queue now when `urgent` (the run's start line), else within everyMs. */
  push(message: T, urgent?: boolean): void;
  /** Sends what is queued; resolves when every batch so far was delivered, in order. */
  flush(): Promise<void>;
}

export function batcher<T>(send: (messages: T[]) => Promise<void>, everyMs = BATCH_MS): Batcher<T> {
  let queue: T[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let delivered: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      // Each batch is sent even when an earlier one failed; flush tells the latest one's outcome.
      delivered = delivered.catch(() => {}).then(() => send(batch));
    }
    return delivered;
  };
  return {
    push(message, urgent = false) {
      queue.push(message);
      if (urgent) void flush();
      else if (timer === undefined) timer = setTimeout(() => void flush(), everyMs);
    },
    flush,
  };
}
