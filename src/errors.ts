// Errors the library throws on purpose. Each has a code a program can switch on and a message that
// says what went wrong and what to do about it.

/** Why a call failed:
 *  - 'no-webgpu': no WebGPU here (no navigator.gpu, no adapter); use device 'cpu' or a browser with WebGPU.
 *  - 'bad-input': an argument or a data set is malformed (the message names it).
 *  - 'model-mismatch': a model file or weights that do not fit the architecture.
 *  - 'too-large': a model, buffer or dispatch past the adapter's limits, or out of GPU (or host) memory.
 *  - 'diverged': the loss became NaN or Inf; the parameters are the last known good ones.
 *  - 'gpu-error': the GPU rejected the work (a WebGPU validation error); nothing it computed is reported.
 *  - 'device-lost': the GPU device was lost and could not be replaced (or was the caller's own).
 *  - 'busy': another fit is running on this trainer.
 *  - 'destroyed': the trainer was used after destroy(). */
export type TrainerErrorCode =
  | 'no-webgpu'
  | 'bad-input'
  | 'model-mismatch'
  | 'too-large'
  | 'diverged'
  | 'gpu-error'
  | 'device-lost'
  | 'busy'
  | 'destroyed';

export class TrainerError extends Error {
  override readonly name = 'TrainerError';
  constructor(
    readonly code: TrainerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `f()`, with any failure that is not already a TrainerError rethrown as 'bad-input' (its message after
 *  `what`, the public call): for public functions whose arguments reach code that throws plain errors. */
export function asBadInput<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TrainerError) throw e;
    throw new TrainerError('bad-input', `${what}: ${messageOf(e)}`, { cause: e });
  }
}
