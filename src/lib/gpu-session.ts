// A WebGPU device kept across trainers. Pipelines are compiled once per device (kernels.ts caches them
// in a WeakMap keyed by the device), and a trainer that acquires its own device compiles its plan's
// kernels again: seconds on SwiftShader, most of the wait before a small net's first step
// (docs/epoch-cost.md, "The app's default run"). A page that trains again and again keeps one session:
// its trainers borrow the session's device, Trainer.prepare compiles a plan's kernels before the data
// is there, and a later fit on the session finds them compiled.
//
// The session owns its device: it destroys it in destroy(), and when the device is lost it acquires a
// new one (once, whichever of its trainers or its own watch asks first), so a fit on a session recovers
// from a device loss as one on a device of its own does.
//
// A device has one stack of error scopes, and building a plan keeps its scopes open while its kernels
// compile: build one trainer's plan at a time on a session (the web app waits for its warm-up before a
// run), or an out-of-memory error of one could be reported to the other.
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import { TrainerError, messageOf } from '../errors.ts';

export class GpuSession {
  private ctx: GpuContext;
  /** The replacement of a lost device under way. */
  private replacing: Promise<GpuContext> | undefined;
  private closed = false;

  private constructor(ctx: GpuContext) {
    this.ctx = ctx;
    this.watch(ctx);
  }

  /** A session on a new device (TrainerError 'no-webgpu' when WebGPU or an adapter is missing). */
  static async open(): Promise<GpuSession> {
    try {
      return new GpuSession(await acquireDevice());
    } catch (e) {
      throw new TrainerError('no-webgpu', messageOf(e), { cause: e });
    }
  }

  /** The device now (a new one after a loss). */
  get device(): GPUDevice {
    return this.ctx.device;
  }

  /** The adapter's name ("google swiftshader"). */
  get adapter(): string {
    return this.ctx.adapterName;
  }

  /** @internal The device and adapter now. */
  get context(): GpuContext {
    return this.ctx;
  }

  get destroyed(): boolean {
    return this.closed;
  }

  /** @internal The device and adapter once a replacement under way has landed. */
  current(): Promise<GpuContext> {
    if (this.closed) return Promise.reject(closedError());
    return this.replacing ?? Promise.resolve(this.ctx);
  }

  /** @internal A device in place of `lost`: a new one when `lost` is the session's device now (lost is
   *  destroyed), the one that already replaced it otherwise. TrainerError 'device-lost' when no new
   *  device comes, 'destroyed' when the session is destroyed meanwhile. */
  replace(lost: GPUDevice): Promise<GpuContext> {
    if (this.closed) return Promise.reject(closedError());
    if (this.ctx.device !== lost) return this.current();
    this.replacing ??= this.acquire(lost).finally(() => (this.replacing = undefined));
    return this.replacing;
  }

  private async acquire(lost: GPUDevice): Promise<GpuContext> {
    lost.destroy();
    const ctx = await acquireDevice().catch((e: unknown) => {
      throw new TrainerError(
        'device-lost',
        `the session's WebGPU device was lost and no new one could be had: ${messageOf(e)}`,
        {
          cause: e,
        },
      );
    });
    if (this.closed) {
      ctx.device.destroy(); // destroy() came while it was being acquired: not kept
      throw closedError();
    }
    this.ctx = ctx;
    this.watch(ctx);
    return ctx;
  }

  /** A device lost between fits is replaced at once, so the next trainer starts on a live one. */
  private watch(ctx: GpuContext): void {
    void ctx.device.lost.then(() => {
      if (!this.closed && this.ctx === ctx) this.replace(ctx.device).catch(() => {}); // a fit retries
    });
  }

  /** Destroys the device; trainers on the session then fail with 'destroyed' or 'device-lost'.
   *  Idempotent. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.device.destroy();
  }
}

const closedError = () => new TrainerError('destroyed', 'the GpuSession was destroyed: open a new one');

/** Opens a GpuSession: a WebGPU device its trainers share and keep compiled kernels on. */
export function openGpu(): Promise<GpuSession> {
  return GpuSession.open();
}
