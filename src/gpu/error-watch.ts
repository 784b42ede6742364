// GPU errors caught where the work was done. WebGPU reports a validation or out-of-memory error
// asynchronously and otherwise only to an 'uncapturederror' listener: a dropped dispatch leaves its
// output as it was, and every figure computed from it looks plausible. Work run inside `watch` (or
// between openScopes and closeScopes) has both error scopes pushed around it; the promise gives the
// first error, or null, once the GPU has checked that work.
import { TrainerError } from '../errors.ts';

/** Pushes the out-of-memory and validation scopes (closeScopes pops them, innermost first). */
export function openScopes(device: GPUDevice): void {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
}

/** Pops the scopes openScopes pushed: the first error they caught (out of memory before validation),
 *  or null. Must be called on every path once openScopes was: a scope left open would swallow the
 *  device's later errors. The promise is handled, so a caller that drops it leaves no unhandled
 *  rejection (a pop on a lost device). */
export function closeScopes(device: GPUDevice): Promise<GPUError | null> {
  const invalid = device.popErrorScope();
  const oom = device.popErrorScope();
  const first = Promise.all([invalid, oom]).then(([v, o]) => o ?? v);
  first.catch(() => {});
  return first;
}

/** The first out-of-memory or validation error raised by what `work` encodes and submits. */
export function watch(device: GPUDevice, work: () => void): Promise<GPUError | null> {
  openScopes(device);
  try {
    work();
  } catch (e) {
    void closeScopes(device); // popped on every path; work's exception is what the caller gets
    throw e;
  }
  return closeScopes(device);
}

/** Throws the error `watch` found as a TrainerError naming what was being done: 'too-large' for out
 *  of memory, 'gpu-error' for work the GPU rejected. */
export function throwIfFailed(error: GPUError | null, what: string): void {
  if (!error) return;
  // By class name: Dawn in Node has no GPUOutOfMemoryError global to test against.
  if (error.constructor.name === 'GPUOutOfMemoryError') {
    throw new TrainerError('too-large', `${what}: the GPU ran out of memory (${error.message})`);
  }
  throw new TrainerError('gpu-error', `${what}: the GPU rejected the work (${error.message})`);
}
