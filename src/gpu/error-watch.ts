// GPU errors caught where the work was done. WebGPU reports a validation or out-of-memory error
// asynchronously and otherwise only to an 'uncapturederror' listener: a dropped dispatch leaves its
// output as it was, and every figure computed from it looks plausible. Work run inside `watch` has
// both error scopes pushed around it; the promise it returns gives the first error, or null, once the
// GPU has checked that work.
import { TrainerError } from '../errors.ts';

/** The first out-of-memory or validation error raised by what `work` encodes and submits. */
export function watch(device: GPUDevice, work: () => void): Promise<GPUError | null> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let failure: { error: unknown } | undefined;
  try {
    work();
  } catch (error) {
    failure = { error };
  }
  // Popped on every path, innermost first: a scope left open would swallow the device's later errors.
  const invalid = device.popErrorScope();
  const oom = device.popErrorScope();
  const first = Promise.all([invalid, oom]).then(([v, o]) => o ?? v);
  if (failure) {
    first.catch(() => {});
    throw failure.error;
  }
  return first;
}

/** Throws the error `watch` found as a TrainerError naming what was being done: 'too-large' for out
 *  of memory, 'gpu-error' for work the GPU rejected. */
export function throwIfFailed(error: GPUError | null, what: string): void {
  if (!error) return;
  if (typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError) {
    throw new TrainerError('too-large', `${what}: the GPU ran out of memory (${error.message})`);
  }
  throw new TrainerError('gpu-error', `${what}: the GPU rejected the work (${error.message})`);
}
