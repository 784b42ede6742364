// The browser half of `npm run train --device gpu`: fetches the job from the local server, trains it
// with the WebGPU plan, streams events back through functions the CLI exposed, and posts the weights.
import { autotuneMatmul, describeTune, type TuneStore } from '../gpu/autotune.ts';
import { acquireDevice, type GpuContext } from '../gpu/device.ts';
import type { PlanOptions } from '../gpu/plan.ts';
import { trainResilient } from '../gpu/recovery.ts';
import type { Params } from '../model.ts';
import { decodeSafetensors, paramsFromSafetensors, paramsToSafetensors } from '../io/safetensors.ts';
import { encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import { DivergenceError } from '../train/loop.ts';
import type { JobMeta, RunnerHooks } from './protocol.ts';

const hooks = window as unknown as Window & RunnerHooks;

async function part(name: string): Promise<ArrayBuffer> {
  const res = await fetch(`/__job/${name}`);
  if (!res.ok) throw new Error(`job part ${name}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

/** The exact training state shipped with a resumed checkpoint (step count, optimizer moments). */
function stateFrom(bytes: Uint8Array): TrainState {
  const state: TrainState = {};
  for (const [name, t] of decodeSafetensors(bytes).tensors) state[name] = t.data;
  return state;
}

/** The CLI keeps the tune cache (this browser profile is fresh every run). */
const tuneStore: TuneStore = {
  load: (adapter) => hooks.__tuneLoad(adapter),
  save: (adapter, entry) => hooks.__tuneSave({ adapter, entry }),
};

/** --steps-per-submit, and --matmul: the family given, or the adapter's autotuned one (reported to the CLI). */
async function planOptions(ctx: GpuContext, meta: JobMeta): Promise<PlanOptions> {
  const steps = meta.stepsPerSubmit !== undefined ? { stepsPerSubmit: meta.stepsPerSubmit } : {};
  if (meta.matmul !== 'auto') return { ...steps, matmul: meta.matmul };
  const tuned = await autotuneMatmul(ctx, tuneStore);
  await hooks.__jobTune({ result: tuned, line: describeTune(tuned) });
  return { ...steps, matmul: tuned.family };
}

async function main(): Promise<void> {
  const meta = (await (await fetch('/__job/meta.json')).json()) as JobMeta;
  const [tx, ty, vx, vy, dx, dy, init, resumeState] = await Promise.all(['train.x', 'train.y', 'test.x', 'test.y', 'dev.x', 'dev.y', 'init.safetensors', 'resume.safetensors'].map(part));
  const params = paramsFromSafetensors(new Uint8Array(init!), meta.spec);
  const post = async (path: string, body: Uint8Array) => {
    const res = await fetch(path, { method: 'POST', body: body as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
  };
  let latest: Params = params; // the weights to hand back if training stops early
  try {
    const { summary, params: final } = await trainResilient({
      init: {
        spec: meta.spec, params, maxBatch: meta.maxBatch,
        train: { x: new Float32Array(tx!), y: new Float32Array(ty!), n: meta.trainRows },
        test: { x: new Float32Array(vx!), y: new Float32Array(vy!), n: meta.testRows },
        dev: { x: new Float32Array(dx!), y: new Float32Array(dy!), n: meta.devRows },
        config: meta.config,
      },
      trainRows: meta.trainRows, testRows: meta.testRows, loop: meta.loop,
      checkpointEvery: meta.checkpointEvery > 0 ? meta.checkpointEvery : 1_000_000_000,
      acquire: acquireDevice,
      planOptions: (ctx) => planOptions(ctx, meta),
      emit: (e) => void hooks.__jobEvent(e),
      ...(meta.resume ? { resume: { position: meta.resume, params, state: stateFrom(new Uint8Array(resumeState!)) } } : {}),
      onCheckpoint: async (c) => {
        latest = c.params;
        if (meta.checkpointEvery > 0) await post('/__job/checkpoint', encodeCheckpoint({ spec: meta.spec, ...c, run: {} }));
      },
      onDivergence: async (restored) => {
        latest = restored;
      },
    });
    await post('/__job/result', paramsToSafetensors(meta.spec, final));
    await hooks.__jobDone(summary);
  } catch (e) {
    if (e instanceof DivergenceError) await post('/__job/result', paramsToSafetensors(meta.spec, latest));
    throw e;
  }
}

// The first line is the message the CLI prints; the stack follows for DEBUG=1.
main().catch((e: unknown) => void hooks.__jobError(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)));
