// dawn.node settles its promises (mapAsync, onSubmittedWorkDone, requestDevice) by polling: while one is
// pending, its AsyncRunner calls instance.ProcessEvents() from a setImmediate callback that queues the
// next setImmediate, a spin of 15,000–27,000 calls a second that keeps Node's main thread busy. The
// epoch loop always has a read-back pending, so the spin lasts the whole run; on SwiftShader, whose
// worker threads are the GPU, it takes the CPU they need. dawn.node looks setImmediate up on globalThis
// at each call, so routing its callback through a 1 ms timer (Node's shortest) makes the poll a sleep:
// ~600 calls a second, and the default MNIST job 1.4–2.9× faster on this 2-core machine (README, Node
// runtime). A read-back settles at most 1 ms late; the loop waits on one a period after requesting it,
// so the queue stays full meanwhile. installDawn does this on a fallback (CPU) adapter only: on a GPU
// the spin costs a core the GPU does not need, and settles each read-back sooner (not measured here).

/** The wait between two of Dawn's event polls while a promise is pending. */
export const DAWN_POLL_MS = 1;

/** Dawn's poll callback as dawn.node makes it: an anonymous native function of no parameters (N-API's).
 *  A promise's resolve function takes one parameter; built-in and bound functions have names. */
export function isDawnPoll(fn: unknown): boolean {
  return (
    typeof fn === 'function' &&
    fn.name === '' &&
    fn.length === 0 &&
    Function.prototype.toString.call(fn).includes('[native code]')
  );
}

let slowed = false;

/** Makes dawn.node's setImmediate poll a DAWN_POLL_MS timer, once per process; every other callback
 *  still goes to setImmediate. Dawn never clears its poll, so the timer in place of an Immediate is safe. */
export function slowDawnPoll(): void {
  if (slowed) return;
  slowed = true;
  const immediate = globalThis.setImmediate;
  const poll = (fn: (...args: unknown[]) => void, ...args: unknown[]) =>
    isDawnPoll(fn) ? setTimeout(fn, DAWN_POLL_MS, ...args) : immediate(fn, ...args);
  globalThis.setImmediate = Object.assign(poll, { __promisify__: immediate.__promisify__ }) as typeof setImmediate;
}
