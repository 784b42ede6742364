// In the page: where an epoch of the end-to-end run goes (moons [2,16,16,1] tanh BCE, 800
// training and 200 test rows, batch 32: 25 steps an epoch), on the fused and the layered plan. Each
// variant runs EPOCHS epochs through the shared loop (runTraining) or the bare backend; the differences
// between variants are the per-epoch costs. Results go to window.__probe (`run.ts --fused` prints them).
import { acquireDevice } from '../../src/gpu/device.ts';
import { FusedBackend } from '../../src/gpu/fused-backend.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { moons } from '../../src/data/synthetic.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import type { BackendInit, TrainBackend } from '../../src/train/backend.ts';
import { runTraining } from '../../src/train/loop.ts';

const spec: ModelSpec = { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' };
const EPOCHS = Number(new URLSearchParams(location.search).get('epochs') ?? 60);
const BATCH = 32;

function split(from: number, to: number) {
  const d = moons(1000);
  const n = to - from;
  return { x: d.x.slice(from * 2, to * 2), y: Float32Array.from(d.labels.slice(from, to)), n };
}
const train = split(0, 800);
const test = split(800, 1000);

type Variant = (b: TrainBackend) => Promise<unknown>;
const loop =
  (o: { test: boolean; ckpt: boolean; evalEvery?: number }): Variant =>
  (b) =>
    runTraining(
      b,
      train.n,
      o.test ? test.n : 0,
      { epochs: EPOCHS, batchSize: BATCH, lr: 0.1, seed: 1, shuffle: true, evalEvery: o.evalEvery ?? 50 },
      () => {},
      o.ckpt ? { checkpointEvery: 25, onCheckpoint: () => {} } : {},
    );

async function bare(b: TrainBackend, perEpoch: (b: TrainBackend) => Promise<unknown>, order: boolean) {
  const perm = Uint32Array.from({ length: train.n }, (_, i) => i);
  for (let e = 0; e < EPOCHS; e++) {
    if (order) b.setOrder(perm);
    for (let s = 0; s < train.n; s += BATCH) b.step(s, BATCH, 0.1);
    await perEpoch(b);
  }
  await b.takeTrainStatsAll();
}

const VARIANTS: Record<string, Variant> = {
  'bare steps': (b) => bare(b, async () => {}, false),
  'bare + setOrder': (b) => bare(b, async () => {}, true),
  'bare + stats await': (b) => bare(b, (x) => x.takeTrainStatsAll(), true),
  'loop: no test, no ckpt': loop({ test: false, ckpt: false }),
  'loop: test': loop({ test: true, ckpt: false }),
  'loop: ckpt': loop({ test: false, ckpt: true }),
  'loop: test + ckpt (CLI)': loop({ test: true, ckpt: true }),
};

async function main() {
  const ctx = await acquireDevice();
  const init: BackendInit = { spec, params: initParams(spec, 1), train, test, maxBatch: BATCH };
  const backends: Record<string, TrainBackend> = {
    fused: await FusedBackend.create(ctx, init),
    layered: await TrainingPlan.create(ctx, init),
  };
  const rounds = Number(new URLSearchParams(location.search).get('rounds') ?? 3);
  const out: Record<string, number[]> = {};
  for (const b of Object.values(backends)) await VARIANTS['loop: test + ckpt (CLI)']!(b); // warm-up
  for (let r = 0; r < rounds; r++)
    for (const [bn, b] of Object.entries(backends))
      for (const [name, f] of Object.entries(VARIANTS)) {
        const t0 = performance.now();
        await f(b);
        (out[`${bn} ${name}`] ??= []).push(performance.now() - t0);
      }
  return { adapter: ctx.adapterName, epochs: EPOCHS, ms: out };
}

const w = window as unknown as { __probe?: unknown };
main().then(
  (r) => (w.__probe = r),
  (e: unknown) => (w.__probe = { error: String(e) }),
);
