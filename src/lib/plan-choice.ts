// Which GPU path trains a net: the fused small-net kernel (src/gpu/fused.ts, docs/fused-plan.md) or the
// layered plan (src/gpu/plan.ts). 'auto' takes the fused one when the net is inside its envelope, the
// device's limits take its layout, the data is resident, the net is small enough for the fused step to
// be the faster (FUSED_AUTO_MAX_MACS) and there is one model, or a sweep's group on a CPU-emulated adapter
// with a step small enough for the lane kernel (laneSized: the 32-trial moons sweep 1.34× faster than the
// layered plan on a quiet machine, about even under load; elsewhere, GPUs included, sweeps stay layered
// until measured: docs/fused-plan.md, "The lane kernel"); 'fused' insists
// and fails naming the reason; 'layered' is the plan as it always was. Decided from the spec, the
// configurations and the device's limits only, never from a timing, so a first run is as fast as later.
import { TrainerError } from '../errors.ts';
import { FUSED_GROUP_STEPS } from '../gpu/fused-backend.ts';
import { checkFused, fusedLayout, fusedRefusal, fusedVariant, fusedWorkgroupSize, laneSized } from '../gpu/fused.ts';
import type { DeviceLimits } from '../gpu/limits.ts';
import { dataLayout } from '../gpu/shards.ts';
import { forwardMacs, type ModelSpec } from '../model.ts';
import type { PlanPath, TrainConfig } from '../train/backend.ts';

/** Most multiply-adds a row (Σ n_l·n_{l+1} over the layers) for which 'auto' takes the fused path: one
 *  64×64 layer and small ones. Measured on SwiftShader (vec4 kernel, K = 20, docs/fused-plan.md): the
 *  fused step is 1.5× the layered one at [64,64,1] (4160) and 1.1× at [32,32,32,1] (2080), but 0.8× at
 *  the envelope's edge [64,64,64,1] (8256), where 'fused' must be asked for. A rule from the net's
 *  shape, never a timing: a first run takes the same path as later ones. */
export const FUSED_AUTO_MAX_MACS = 64 * 64 + 64 * 16;

/** How a trainer picks its GPU path (TrainerOptions.plan). */
export type PlanChoice = 'auto' | 'fused' | 'layered';
export const PLAN_CHOICES: readonly PlanChoice[] = ['auto', 'fused', 'layered'];

/** What the choice reads: the net, each model's configuration (several, or `sweep`: a sweep's group),
 *  the batch and the splits' rows. */
export interface PathSubject {
  readonly spec: ModelSpec;
  readonly configs: readonly TrainConfig[];
  /** A sweep's group of trials (also one alone, so its sequential baseline takes the same path). */
  readonly sweep?: boolean;
  readonly maxBatch: number;
  readonly rows: { readonly train: number; readonly test: number; readonly dev: number };
  readonly regression: boolean;
  /** Steps a fused dispatch holds (the trainer's stepsPerSubmit; default FUSED_GROUP_STEPS). */
  readonly stepsPerSubmit?: number;
}

/** Why the fused path does not train `s` on a device with `limits` (undefined: it does), with the
 *  error code 'fused' fails with. Several models are refused only for 'auto'. */
function refusal(choice: PlanChoice, s: PathSubject, limits: DeviceLimits, adapter: string, budget?: number) {
  const why = fusedRefusal(s.spec, s.configs);
  if (why) return { why, code: 'bad-input' as const };
  if (dataLayout(s.spec, s.rows, s.maxBatch, limits, budget).mode !== 'resident')
    return { why: 'the data is streamed in shards (past the GPU data budget)', code: 'too-large' as const };
  const variant = fusedVariant(s.spec, s.maxBatch, s.configs.length, adapter);
  const layout = fusedLayout({
    spec: s.spec,
    configs: s.configs,
    batch: s.maxBatch,
    n: s.rows.train,
    // What FusedBackend.create will build, so that the layout checked here is the one that runs.
    stepsPerSubmit: s.stepsPerSubmit ?? FUSED_GROUP_STEPS,
    regression: s.regression,
    variant,
    workgroupSize: fusedWorkgroupSize(s.spec, s.maxBatch, adapter, variant),
  });
  try {
    checkFused(layout, limits, adapter);
  } catch (e) {
    if (e instanceof TrainerError) return { why: e.message, code: e.code };
    throw e;
  }
  const macs = forwardMacs(s.spec.sizes);
  if (macs > FUSED_AUTO_MAX_MACS && choice === 'auto')
    return {
      why: `${macs} multiply-adds a row, over the ${FUSED_AUTO_MAX_MACS} up to which the fused step is the faster`,
      code: 'bad-input' as const,
    };
  if (s.sweep && choice === 'auto' && !laneSized(s.spec, s.maxBatch, adapter))
    return {
      why: `a sweep's ${s.configs.length} model${s.configs.length > 1 ? 's' : ''} side by side (faster on the layered plan for this net on this adapter)`,
      code: 'bad-input' as const,
    };
  return undefined;
}

/** The path for `choice`. Throws TrainerError ('bad-input', or 'too-large' past a device limit) for
 *  'fused' when the fused path cannot train the net, naming the reason. */
export function choosePath(
  choice: PlanChoice,
  s: PathSubject,
  limits: DeviceLimits,
  adapter: string,
  dataBudget?: number,
): PlanPath {
  if (!PLAN_CHOICES.includes(choice))
    throw new TrainerError('bad-input', `plan must be 'auto', 'fused' or 'layered', got '${String(choice)}'`);
  if (choice === 'layered') return { kind: 'layered', reason: 'asked for' };
  const r = refusal(choice, s, limits, adapter, dataBudget);
  if (!r) return { kind: 'fused' };
  if (choice === 'fused')
    throw new TrainerError(r.code === 'too-large' ? 'too-large' : 'bad-input', `plan 'fused': ${r.why}`);
  return { kind: 'layered', reason: r.why };
}

/** A path as the run line and the app name it: "fused", or "layered (reason)". */
export function describePath(p: PlanPath): string {
  return p.kind === 'fused' ? 'fused' : `layered${p.reason ? ` (${p.reason})` : ''}`;
}
