// Training that survives a lost GPU device: checkpoints are kept in memory (and handed to the caller);
// when the device is lost mid-run the trainer acquires a new one, rebuilds its plan from the last
// checkpoint and resumes there. The GPU path is deterministic, so the run ends exactly as an
// uninterrupted run from that checkpoint would.
import type { BackendInit } from '../train/backend.ts';
import type { LoopPosition, TrainState } from '../train/checkpoint.ts';
import { DivergenceError, runTraining, type LoopOptions, type Summary, type TrainEvent } from '../train/loop.ts';
import type { Params } from '../model.ts';
import type { GpuContext } from './device.ts';
import { TrainingPlan, type PlanOptions } from './plan.ts';

export interface ResilientRun {
  readonly init: BackendInit;
  readonly trainRows: number;
  readonly testRows: number;
  readonly loop: LoopOptions;
  readonly checkpointEvery: number;
  readonly acquire: () => Promise<GpuContext>;
  readonly emit: (e: TrainEvent) => void;
  readonly resume?: { position: LoopPosition; params: Params; state: TrainState };
  /** Options of every plan, or a function of each new device (e.g. its autotuned matmul family). */
  readonly planOptions?: PlanOptions | ((ctx: GpuContext) => Promise<PlanOptions>);
  readonly onCheckpoint?: (c: { position: LoopPosition; params: Params; state: TrainState }) => Promise<void> | void;
  /** Called with the restored last good parameters when training diverges (then the error is rethrown). */
  readonly onDivergence?: (params: Params) => Promise<void> | void;
  /** Device losses survived before giving up. */
  readonly maxRecoveries?: number;
}

export interface ResilientResult {
  readonly summary: Summary;
  readonly params: Params;
  readonly recoveries: number;
}

/** Resolves true if the device reports itself lost within `ms`. */
async function lostWithin(ctx: GpuContext, ms: number): Promise<string | undefined> {
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
  return Promise.race([ctx.device.lost.then((i) => `${i.reason}: ${i.message}`), timeout]);
}

export async function trainResilient(r: ResilientRun): Promise<ResilientResult> {
  let last = r.resume;
  let recoveries = 0;
  for (;;) {
    const ctx = await r.acquire();
    let plan: TrainingPlan | undefined;
    try {
      const options = typeof r.planOptions === 'function' ? await r.planOptions(ctx) : r.planOptions;
      plan = await TrainingPlan.create(ctx, { ...r.init, params: last?.params ?? r.init.params }, options);
      if (last && Object.keys(last.state).length > 0) plan.writeState(last.state);
      const summary = await runTraining(plan, r.trainRows, r.testRows, r.loop, r.emit, {
        ...(last ? { resume: last.position } : {}),
        checkpointEvery: r.checkpointEvery,
        onCheckpoint: async (c) => {
          last = c;
          await r.onCheckpoint?.(c);
        },
      });
      return { summary, params: await plan.readParams(), recoveries };
    } catch (e) {
      if (e instanceof DivergenceError && plan) {
        await r.onDivergence?.(await plan.readParams());
        throw e;
      }
      const lost = await lostWithin(ctx, 2000);
      if (lost === undefined || recoveries >= (r.maxRecoveries ?? 3)) throw e;
      recoveries++;
      r.emit({ type: 'recovered', fromStep: last?.position.step ?? 0, reason: `WebGPU device lost (${lost}); resumed on a new device` });
    } finally {
      plan?.destroy();
      ctx.device.destroy(); // each device is this run's own
    }
  }
}
