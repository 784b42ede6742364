// Checkpoints: everything needed to continue a run bit-for-bit — parameters, any extra training state
// (optimizer moments), the step, where in which epoch, and the shuffling generator's state at the start
// of that epoch (the epoch's batch order is regenerated from it). Stored as safetensors, so a checkpoint
// is also a model file anyone can open.
import { decodeSafetensors, encodeSafetensors, paramsFromSafetensors, paramsToSafetensors } from '../io/safetensors.ts';
import { layerTensors, validateSpec, type ModelSpec, type Params } from '../model.ts';
import type { TrainBackend } from './backend.ts';

export const CHECKPOINT_FORMAT = 'webgpu-mlp-checkpoint';

/** Where a run stands: `step` steps done; the next batch is rows order[start..] of epoch `epoch`,
 *  whose order came from the shuffling generator in state `rngState`. */
export interface LoopPosition {
  readonly step: number;
  readonly epoch: number;
  readonly start: number;
  readonly rngState: number;
}

/** Extra exact training state by name: optimizer moments, or the CPU reference's float64 weights. */
export type TrainState = Record<string, Float32Array | Float64Array>;

/** A backend's step count from `state` (readState's `step`: one non-negative integer as float64), checked
 *  before writeState touches anything; `owner` names the backend in the error. */
export function stateStep(state: TrainState, owner: string): number {
  const step = state.step;
  if (!(step instanceof Float64Array) || step.length !== 1 || !Number.isInteger(step[0]) || step[0]! < 0)
    throw new Error(`${owner}: state.step must be one non-negative integer (F64)`);
  return step[0]!;
}

/** A point a run can continue from bit-for-bit: where it stands, its parameters and exact state. */
export interface FitCheckpoint {
  readonly position: LoopPosition;
  readonly params: Params;
  readonly state: TrainState;
}

/** The checkpoint of a one-model backend at `position`, or undefined when its parameters are not all
 *  finite: losses are checked a period late, so parameters that are already broken are never handed
 *  out (on the GPU this drains the queue). */
export async function takeCheckpoint(
  backend: TrainBackend,
  position: LoopPosition,
): Promise<FitCheckpoint | undefined> {
  // Both read-backs queued before either is awaited: one wait on the GPU.
  const [params, state] = await Promise.all([backend.readParams(), backend.readState?.() ?? {}]);
  if (!params.every((p) => layerTensors(p).every(([, t]) => t.every(Number.isFinite)))) return undefined;
  return { position, params, state };
}

export interface Checkpoint {
  readonly spec: ModelSpec;
  readonly params: Params;
  /** Extra training state by name (e.g. optimizer moments), stored as `state.<name>`. */
  readonly state: Readonly<TrainState>;
  readonly position: LoopPosition;
  /** Settings that must match for a resumed run to continue the same one (batch size, lr, seed...). */
  readonly run: Readonly<Record<string, string | number | boolean>>;
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const model = decodeSafetensors(paramsToSafetensors(c.spec, c.params));
  const tensors = [...model.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  for (const [name, data] of Object.entries(c.state))
    tensors.push({ name: `state.${name}`, shape: [data.length], data });
  return encodeSafetensors(tensors, {
    ...model.metadata,
    format: CHECKPOINT_FORMAT,
    position: JSON.stringify(c.position),
    run: JSON.stringify(c.run),
  });
}

function positionOf(text: string | undefined, file: string): LoopPosition {
  let p: unknown;
  try {
    p = JSON.parse(text ?? '');
  } catch {
    throw new Error(`${file}: not a checkpoint (no valid "position" in its metadata)`);
  }
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const q = p as Record<string, unknown>;
  if (typeof p !== 'object' || p === null || !ok(q.step) || !ok(q.epoch) || !ok(q.start) || !ok(q.rngState)) {
    throw new Error(
      `${file}: checkpoint position must be {step, epoch, start, rngState} of non-negative integers, got ${text}`,
    );
  }
  return { step: q.step, epoch: q.epoch, start: q.start, rngState: q.rngState };
}

/** Reads a checkpoint for `spec`, checking the architecture and every tensor. */
export function decodeCheckpoint(bytes: Uint8Array, spec: ModelSpec, file = 'checkpoint'): Checkpoint {
  validateSpec(spec);
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT)
    throw new Error(
      `${file}: not a checkpoint (format '${metadata.format ?? 'none'}', expected '${CHECKPOINT_FORMAT}')`,
    );
  const state: TrainState = {};
  const model = [];
  for (const [name, t] of tensors) {
    if (name.startsWith('state.')) state[name.slice(6)] = t.data;
    else model.push({ name, shape: t.shape, data: t.data });
  }
  const params = paramsFromSafetensors(encodeSafetensors(model, {}), spec);
  let run: Record<string, string | number | boolean> = {};
  try {
    run = JSON.parse(metadata.run ?? '{}') as Record<string, string | number | boolean>;
  } catch {
    throw new Error(`${file}: checkpoint metadata "run" is not valid JSON`);
  }
  return { spec, params, state, position: positionOf(metadata.position, file), run };
}

/** Throws naming every setting in which `now` differs from the checkpoint's run. */
export function checkSameRun(saved: Checkpoint['run'], now: Checkpoint['run'], file: string): void {
  const diffs = Object.keys({ ...saved, ...now })
    .filter((k) => saved[k] !== now[k])
    .map((k) => `${k}: checkpoint has ${JSON.stringify(saved[k])}, now ${JSON.stringify(now[k])}`);
  if (diffs.length > 0)
    throw new Error(`${file}: the run's settings differ from the checkpoint's (${diffs.join('; ')})`);
}
