// Where a trainer's work runs: the WebGPU device (acquired and owned, or the caller's, borrowed) or
// the float64 CPU reference; the matmul family, once per engine; the backends built on it, with
// their fit checked first and their errors carrying a code; and a new device after a lost one. A
// GpuSession's device is borrowed too, but the session replaces it after a loss (gpu-session.ts).
//
// The family never waits for timing unless asked to ('tune'): 'auto' takes a known tune (this page's
// or the store's), else the adapter's default (preferredMatmul). Where that default is only a guess
// (not SwiftShader, whose answer is known) the autotune runs once training has started
// (tuneInBackground) and stores its answer for later trainers; this engine's plans keep their family,
// so a trainer's runs are bit-identical whenever the tune ends.
import { describeTune, untimedTune, type AutotuneResult, type TuneStore } from '../gpu/autotune.ts';
import { acquireDevice, adapterName, softwareAdapter, type GpuContext } from '../gpu/device.ts';
import type { MatmulFamily } from '../gpu/kernels.ts';
import { TrainingPlan, type PlanOptions } from '../gpu/plan.ts';
import type { ModelSpec } from '../model.ts';
import { CpuBackend } from '../reference/backend.ts';
import {
  resolveConfig,
  type BackendInit,
  type PlanPath,
  type TrainBackend,
  type TrainConfig,
} from '../train/backend.ts';
import { FusedBackend } from '../gpu/fused-backend.ts';
import { TrainerError, messageOf } from '../errors.ts';
import { tuneOrDefault } from './adapter.ts';
import { checkFits } from './budget.ts';
import type { DeviceChoice, MatmulChoice } from './options.ts';
import { GpuSession } from './gpu-session.ts';
import { choosePath, type PlanChoice } from './plan-choice.ts';

/** The options an engine reads (createTrainer's). */
export interface EngineOptions {
  readonly matmul?: MatmulChoice;
  readonly tuneStore?: TuneStore;
  readonly onTune?: (result: AutotuneResult, line: string) => void;
  readonly stepsPerSubmit?: number;
  readonly gpuDataBudget?: number;
  /** The GPU path of training backends (default 'auto'; plan-choice.ts). */
  readonly plan?: PlanChoice;
}

/** How a backend is built beyond its BackendInit. */
export interface BackendOptions {
  /** Forward passes only (predict, evaluate of other rows). */
  readonly inference?: boolean;
  /** Several models side by side, one configuration each (a sweep's group). */
  readonly models?: readonly TrainConfig[];
  /** Prefix of the message when the backend cannot be built (e.g. 'fitSweep'). */
  readonly what?: string;
}

/** A GpuContext for a device the caller owns. */
function borrowed(device: GPUDevice): GpuContext {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const software = info ? softwareAdapter(info) : undefined;
  return {
    device,
    adapterName: info ? adapterName(info) : 'caller-supplied WebGPU device',
    features: [...device.features],
    ...(software ? { software } : {}),
  };
}

/** Resolves when the device reports itself lost within `ms`, with the reason; else undefined. */
async function lostWithin(ctx: GpuContext, ms: number): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([ctx.device.lost.then((i) => `${i.reason}: ${i.message}`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error a run ends with when its trainer is destroyed under it (`e`: what the run saw then). */
export function destroyedDuring(e: unknown): TrainerError {
  if (e instanceof TrainerError && e.code === 'destroyed') return e;
  return new TrainerError('destroyed', 'the trainer was destroyed during the run', e === undefined ? {} : { cause: e });
}

export class Engine {
  /** The plans' options, settled once: a device replaced after a loss keeps the family. */
  private plan: Promise<PlanOptions> | undefined;
  /** An 'auto' engine on a guessed default, until tuneInBackground starts the tune. */
  private tuneLater = false;
  /** The tune tuneInBackground started (never rejects). */
  private background: Promise<void> = Promise.resolve();
  /** Set by destroy() before the device goes: the loss that follows is the owner's doing, not one to
   *  recover from. */
  private closed = false;

  private constructor(
    /** The device acquired or borrowed; a session's: the one its latest backend was built on. */
    private ctx: GpuContext | undefined,
    /** The engine acquired the device (and so destroys and replaces it). */
    readonly ownsDevice: boolean,
    private readonly options: EngineOptions,
    /** The session whose device this engine uses (it replaces a lost one; the engine never destroys it). */
    private readonly session?: GpuSession,
  ) {}

  /** An engine on `device`: 'gpu' acquires one (TrainerError 'no-webgpu' when there is none), 'cpu'
   *  is the reference, a GPUDevice is borrowed, a GpuSession's device is shared. */
  static async open(device: DeviceChoice, options: EngineOptions): Promise<Engine> {
    if (device === 'cpu') return new Engine(undefined, false, options);
    if (device instanceof GpuSession) return new Engine(await device.current(), false, options, device);
    if (device !== 'gpu' && !isGpuDevice(device))
      throw new TrainerError(
        'bad-input',
        `device must be 'gpu', 'cpu', a GPUDevice or a GpuSession, got ${typeof device === 'string' ? `'${device}'` : String(device)}`,
      );
    if (device !== 'gpu') return new Engine(borrowed(device), false, options);
    try {
      return new Engine(await acquireDevice(), true, options);
    } catch (e) {
      throw new TrainerError('no-webgpu', `${messageOf(e)}; use device: 'cpu' for the float64 reference`, {
        cause: e,
      });
    }
  }

  get device(): 'gpu' | 'cpu' {
    return this.ctx ? 'gpu' : 'cpu';
  }

  get adapter(): string {
    return this.ctx?.adapterName ?? 'cpu reference (float64)';
  }

  /** The WebGPU device and adapter (undefined on the CPU). */
  get context(): GpuContext | undefined {
    return this.ctx;
  }

  get limits(): GPUSupportedLimits | undefined {
    return this.ctx?.device.limits;
  }

  /** Throws TrainerError 'too-large' when the model's parameters alone are past the device's limits. */
  checkModel(spec: ModelSpec, config: TrainConfig): void {
    checkFits(spec, config, this.device, this.limits, this.adapter);
  }

  /** Matmul family, steps per submit and data budget of every plan of this engine (resolved once:
   *  see the header for when the family is timed). */
  planOptions(ctx: GpuContext): Promise<PlanOptions> {
    const o = this.options;
    const steps = {
      ...(o.stepsPerSubmit !== undefined ? { stepsPerSubmit: o.stepsPerSubmit } : {}),
      ...(o.gpuDataBudget !== undefined ? { dataBudgetBytes: o.gpuDataBudget } : {}),
    };
    this.plan ??= this.matmulFor(ctx).then((matmul) => ({ ...steps, matmul }));
    return this.plan;
  }

  /** The family for `matmul`: a named one as is; 'tune' timed now (or known), a failed tune giving the
   *  default; 'auto' known or the default, leaving the tune for later where the default is a guess. */
  private async matmulFor(ctx: GpuContext): Promise<MatmulFamily> {
    const { matmul = 'auto', tuneStore, onTune } = this.options;
    if (matmul !== 'auto' && matmul !== 'tune') return matmul;
    if (matmul === 'tune') {
      const { result, line } = await tuneOrDefault(ctx, tuneStore);
      onTune?.(result, line);
      return result.family;
    }
    const adapter = ctx.adapterName;
    const { result, guess } = await untimedTune(adapter, tuneStore);
    this.tuneLater = guess;
    onTune?.(result, describeTune(result, adapter));
    return result.family;
  }

  /** Starts the autotune an 'auto' engine left for later, once (the fit calls it after its first
   *  steps): its answer goes to the store and this page's memory for later trainers, and to onTune. */
  tuneInBackground(): void {
    const ctx = this.ctx; // the device now: a lost one may have been replaced since the family was set
    const later = this.tuneLater;
    this.tuneLater = false;
    if (!later || !ctx || this.closed) return;
    const { tuneStore, onTune } = this.options;
    // A tune cut short by destroy() timed a dead device: its answer must not reach the store.
    const store: TuneStore | undefined = tuneStore && {
      load: (adapter) => tuneStore.load(adapter),
      save: (adapter, entry) => (this.closed ? Promise.resolve() : tuneStore.save(adapter, entry)),
    };
    this.background = tuneOrDefault(ctx, store).then(({ result, line }) => {
      if (!this.closed) onTune?.(result, `${line}, for later trainers`);
    });
  }

  /** Settles when the tune tuneInBackground started is over (at once when none); never rejects. */
  backgroundTune(): Promise<void> {
    return this.background;
  }

  /** A backend for these splits: checked against the device's limits first (TrainerError
   *  'too-large'), then the GPU plan or the CPU reference. A TrainerError from building it passes
   *  through as is; any other failure becomes 'bad-input'. */
  async backend(init: BackendInit, o: BackendOptions = {}): Promise<TrainBackend> {
    const config = o.models?.[0] ?? init.config;
    const { train, test, dev } = init;
    // A plan of several models holds its data resident, so only a one-model plan's is budgeted.
    const budget = this.options.gpuDataBudget;
    checkFits(init.spec, config, this.device, this.limits, this.adapter, {
      batchSize: init.maxBatch,
      rows: { train: train.n, test: test.n, dev: dev?.n ?? 0 },
      ...(budget !== undefined && !o.models ? { dataBudget: budget } : {}),
    });
    const models = o.models ? { models: o.models } : {};
    try {
      // A session whose device another of its trainers saw lost and replaced: build on the new one.
      if (this.session && this.ctx !== this.session.context) this.ctx = await this.session.current();
      const ctx = this.ctx;
      if (!ctx) return CpuBackend.create(init, models);
      const planOptions = await this.planOptions(ctx);
      const options = { ...planOptions, ...models };
      if (o.inference) return await TrainingPlan.create(ctx, init, { ...options, inference: true });
      const path = this.pathFor(ctx, init, o.models ?? [resolveConfig(init.config)], o.models !== undefined);
      if (path.kind === 'fused') {
        const steps = this.options.stepsPerSubmit;
        return await FusedBackend.create(ctx, init, {
          ...models,
          ...(steps !== undefined ? { stepsPerSubmit: steps } : {}),
          evaluation: planOptions,
        });
      }
      const plan = await TrainingPlan.create(ctx, init, options);
      plan.path = path;
      return plan;
    } catch (e) {
      if (e instanceof TrainerError) throw e;
      const m = messageOf(e);
      throw new TrainerError('bad-input', o.what ? `${o.what}: ${m}` : m, { cause: e });
    }
  }

  /** The GPU path of a training backend for `init` and these configurations (plan-choice.ts). */
  private pathFor(ctx: GpuContext, init: BackendInit, configs: readonly TrainConfig[], sweep: boolean): PlanPath {
    const rows = { train: init.train.n, test: init.test.n, dev: init.dev?.n ?? 0 };
    const subject = {
      spec: init.spec,
      configs,
      sweep,
      maxBatch: init.maxBatch,
      rows,
      regression: init.regression === true,
      ...(this.options.stepsPerSubmit !== undefined ? { stepsPerSubmit: this.options.stepsPerSubmit } : {}),
    };
    return choosePath(
      this.options.plan ?? 'auto',
      subject,
      ctx.device.limits,
      ctx.adapterName,
      this.options.gpuDataBudget,
    );
  }

  /** Why the device was lost, when `e` came from that (it must say so within 2 s) and the engine may
   *  replace it a `recoveries + 1`-th time; otherwise throws: `e`, or TrainerError 'device-lost'. */
  async lostReason(e: unknown, recoveries: number, maxRecoveries: number): Promise<string> {
    if (this.closed) throw destroyedDuring(e);
    const ctx = this.ctx;
    const lost = ctx ? await lostWithin(ctx, 2000) : undefined;
    if (!ctx || lost === undefined) throw e;
    if (!this.ownsDevice && !this.session)
      throw new TrainerError(
        'device-lost',
        `the WebGPU device was lost (${lost}); it is the caller's, so the trainer cannot replace it: continue with fit({ resume }) from the last checkpoint on a new device`,
        { cause: e },
      );
    if (recoveries >= maxRecoveries)
      throw new TrainerError('device-lost', `the WebGPU device was lost ${recoveries + 1} times (${lost}); giving up`, {
        cause: e,
      });
    return lost;
  }

  /** Destroys the lost device and acquires a new one (TrainerError 'device-lost' when none comes); a
   *  session's is replaced by the session (once for all its trainers). */
  async replaceDevice(lost: string): Promise<void> {
    if (this.session && this.ctx) {
      this.ctx = await this.session.replace(this.ctx.device);
      if (this.closed) throw destroyedDuring(undefined);
      return;
    }
    this.ctx?.device.destroy();
    const ctx = await acquireDevice().catch((err: unknown) => {
      throw new TrainerError(
        'device-lost',
        `the WebGPU device was lost (${lost}) and no new one could be had: ${messageOf(err)}`,
        { cause: err },
      );
    });
    if (this.closed) {
      // destroy() came while the new device was being acquired: it is released at once, not kept.
      ctx.device.destroy();
      throw destroyedDuring(undefined);
    }
    this.ctx = ctx;
  }

  /** True once destroy() has been called. */
  get destroyed(): boolean {
    return this.closed;
  }

  /** Destroys the device if the engine acquired it (a session's stays: its owner is the session); a
   *  run on it then ends with 'destroyed', and no device is acquired after this. */
  destroy(): void {
    this.closed = true;
    if (this.ownsDevice) this.ctx?.device.destroy();
  }
}

/** Whether `d` looks like a GPUDevice (duck-typed: Node has no GPUDevice class to test against). */
function isGpuDevice(d: unknown): d is GPUDevice {
  const o = d as Partial<GPUDevice> | null;
  return typeof o === 'object' && o !== null && typeof o.createBuffer === 'function' && typeof o.queue === 'object';
}
