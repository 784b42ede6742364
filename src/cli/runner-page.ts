// The browser half of `npm run train --device gpu`: fetches the job from the local server, trains it
// with the WebGPU plan, streams events back through functions the CLI exposed, and posts the weights.
import { acquireDevice } from '../gpu/device.ts';
import { TrainingPlan } from '../gpu/plan.ts';
import { paramsFromSafetensors, paramsToSafetensors } from '../io/safetensors.ts';
import { runTraining } from '../train/loop.ts';
import type { JobMeta, RunnerHooks } from './protocol.ts';

const hooks = window as unknown as Window & RunnerHooks;

async function part(name: string): Promise<ArrayBuffer> {
  const res = await fetch(`/__job/${name}`);
  if (!res.ok) throw new Error(`job part ${name}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function main(): Promise<void> {
  const meta = (await (await fetch('/__job/meta.json')).json()) as JobMeta;
  const [tx, ty, vx, vy, dx, dy, init] = await Promise.all(['train.x', 'train.y', 'test.x', 'test.y', 'dev.x', 'dev.y', 'init.safetensors'].map(part));
  const ctx = await acquireDevice();
  ctx.device.lost.then((info) => {
    if (info.reason !== 'destroyed') void hooks.__jobError(`WebGPU device lost: ${info.message}`);
  });
  const plan = await TrainingPlan.create(ctx, {
    spec: meta.spec,
    params: paramsFromSafetensors(new Uint8Array(init!), meta.spec),
    train: { x: new Float32Array(tx!), y: new Float32Array(ty!), n: meta.trainRows },
    test: { x: new Float32Array(vx!), y: new Float32Array(vy!), n: meta.testRows },
    dev: { x: new Float32Array(dx!), y: new Float32Array(dy!), n: meta.devRows },
    maxBatch: meta.maxBatch,
    config: meta.config,
  });
  try {
    const summary = await runTraining(plan, meta.trainRows, meta.testRows, meta.loop, (e) => void hooks.__jobEvent(e));
    const weights = paramsToSafetensors(meta.spec, await plan.readParams());
    const res = await fetch('/__job/result', { method: 'POST', body: weights as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw new Error(`posting the weights failed: HTTP ${res.status}`);
    await hooks.__jobDone(summary);
  } finally {
    plan.destroy();
    ctx.device.destroy();
  }
}

main().catch((e: unknown) => void hooks.__jobError(e instanceof Error ? (e.stack ?? e.message) : String(e)));
