// In the page: where an epoch of the app's default run goes on this adapter, piece by piece (spiral-like
// [2,32,32,3] relu, 800 training and 200 test rows, batch 32: 25 steps an epoch). Each variant runs the
// same 40 epochs on one plan; the differences between variants are the per-epoch costs. Random data:
// only times are read. Results go to window.__probe (scripts/epoch-cost/run.ts prints them).
import { acquireDevice } from '../../src/gpu/device.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { encodeCheckpoint } from '../../src/train/checkpoint.ts';
import { saveRun } from '../../src/app/store.ts';
import { DEFAULTS } from '../../src/app/settings.ts';

const spec: ModelSpec = { sizes: [2, 32, 32, 3], activation: 'relu', loss: 'ce' };
const EPOCHS = 40;
const TRAIN = 800;
const BATCH = 32;

function split(n: number) {
  const x = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const y = new Float32Array(n * 3);
  for (let r = 0; r < n; r++) y[r * 3 + (r % 3)] = 1;
  return { x, y, n };
}

type Epoch = (plan: TrainingPlan, e: number) => Promise<void>;

async function steps(plan: TrainingPlan): Promise<void> {
  for (let s = 0; s < TRAIN; s += BATCH) plan.step(s, Math.min(BATCH, TRAIN - s), 0.01);
}

const VARIANTS: Record<string, Epoch> = {
  // The steps and nothing else: one read at the end of the whole run (below).
  'steps only': async (plan) => steps(plan),
  // The statistics read-back every epoch.
  'steps + stats': async (plan) => {
    await steps(plan);
    await plan.takeTrainStatsAll();
  },
  'steps + stats + params': async (plan) => {
    await steps(plan);
    await plan.readParams();
    await plan.takeTrainStatsAll();
  },
  'steps + stats + eval': async (plan) => {
    await steps(plan);
    await plan.takeTrainStatsAll();
    await plan.evaluate('test');
  },
  // Before: checkpoint (params), then statistics, then the test evaluation, each awaited in turn.
  'sequential: params, stats, eval': async (plan) => {
    await steps(plan);
    await plan.readParams();
    await plan.readState();
    await plan.takeTrainStatsAll();
    await plan.evaluate('test');
  },
  // After: all queued, one wait.
  'queued: stats, eval, params': async (plan) => {
    await steps(plan);
    const stats = plan.takeTrainStatsAll();
    const test = plan.evaluate('test');
    await Promise.all([plan.readParams(), plan.readState()]);
    await stats;
    await test;
  },
};

async function timeVariant(plan: TrainingPlan, f: Epoch): Promise<number> {
  const t0 = performance.now();
  for (let e = 0; e < EPOCHS; e++) await f(plan, e);
  await plan.takeTrainStatsAll();
  return performance.now() - t0;
}

async function idbWrite(plan: TrainingPlan): Promise<number> {
  const params = await plan.readParams();
  const t0 = performance.now();
  const n = 20;
  for (let i = 0; i < n; i++) {
    const bytes = encodeCheckpoint({
      spec,
      params,
      state: {},
      position: { step: i, epoch: 1, start: 0, rngState: 1 },
      run: {},
    });
    await saveRun({ settings: DEFAULTS, step: i, epoch: 1, totalSteps: 1000, savedAt: Date.now(), bytes });
  }
  return (performance.now() - t0) / n;
}

/** One read-back on an idle queue, the mean of 40. */
async function idle(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < 40; i++) await f();
  return (performance.now() - t0) / 40;
}

async function main() {
  const ctx = await acquireDevice();
  const plan = await TrainingPlan.create(ctx, {
    spec,
    params: initParams(spec, 1),
    train: split(TRAIN),
    test: split(200),
    maxBatch: BATCH,
  });
  const rounds = Number(new URLSearchParams(location.search).get('rounds') ?? 3);
  const out: Record<string, number[]> = {};
  await timeVariant(plan, VARIANTS['steps + stats']!); // warm-up
  for (let r = 0; r < rounds; r++)
    for (const [name, f] of Object.entries(VARIANTS)) (out[name] ??= []).push(await timeVariant(plan, f));
  out['indexeddb write (ms each)'] = [await idbWrite(plan)];
  out['idle readParams (ms each)'] = [await idle(() => plan.readParams())];
  out['idle stats read (ms each)'] = [await idle(() => plan.takeTrainStatsAll())];
  out['idle evaluate test (ms each)'] = [await idle(() => plan.evaluate('test'))];
  plan.destroy();
  return { adapter: ctx.adapterName, epochs: EPOCHS, stepsPerEpoch: TRAIN / BATCH, ms: out };
}

const w = window as unknown as { __probe?: unknown };
main().then(
  (r) => (w.__probe = r),
  (e: unknown) => (w.__probe = { error: String(e) }),
);
