// Lets a long run give its event loop a turn, so pause and cancel requests (and a page's paint) get in
// even when the CPU backend never waits on anything.

/** A zero-delay yield to the event loop (setTimeout is clamped to 4 ms when nested), so pause and
 *  cancel requests are seen even when the CPU backend never waits on anything. */
export interface Yielder {
  /** Resolves after the event loop has had a turn. */
  readonly next: () => Promise<void>;
  readonly close: () => void;
}

export function yielder(): Yielder {
  if (typeof MessageChannel === 'undefined')
    return { next: () => new Promise((r) => setTimeout(r, 0)), close: () => {} };
  const channel = new MessageChannel();
  const waiters: (() => void)[] = [];
  channel.port1.onmessage = () => waiters.shift()?.();
  return {
    next: () =>
      new Promise<void>((r) => {
        waiters.push(r);
        channel.port2.postMessage(0);
      }),
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}
