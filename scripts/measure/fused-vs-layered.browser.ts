// Steady-state ms a step of moons [2,16,16,1] tanh BCE batch 32 (800 rows, plain SGD): the layered plan
// (TrainingPlan with the adapter's matmul family and steps per submit) against the fused kernel at K
// steps a dispatch. The engines are built once and sampled in turn, round after round, so a change in
// the machine's load (other processes on its cores) falls on all of them alike; each sample is STEPS
// steps from the first submit to onSubmittedWorkDone, the first round is warm-up, and each figure is
// the median of ROUNDS samples. Run: npx vitest run -c scripts/measure/fused.config.ts
// (VITE_KS=10,50 picks the K's, VITE_BATCH=8 the batch size, VITE_VARIANTS=vec4 the kernels,
// VITE_ROUNDS=11 the samples).
import { it } from 'vitest';
import { acquireDevice } from '../../src/gpu/device.ts';
import { FusedTrainer, type FusedVariant } from '../../src/gpu/fused.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import type { ModelSpec } from '../../src/model.ts';
import { moons } from '../../src/data/synthetic.ts';
import { resolveConfig } from '../../src/train/backend.ts';
import { Rng } from '../../src/rng.ts';

// VITE_SIZES=30,16,8,1 VITE_ACT=relu times another net on random data (moons has 2 features).
const SPEC: ModelSpec = {
  sizes: (import.meta.env.VITE_SIZES ?? '2,16,16,1').split(',').map(Number),
  activation: (import.meta.env.VITE_ACT ?? 'tanh') as ModelSpec['activation'],
  loss: 'bce',
};
const N = 800;
const BATCH = Number(import.meta.env.VITE_BATCH ?? 32);
const STEPS = 400;
const ROUNDS = Number(import.meta.env.VITE_ROUNDS ?? 7);
// VITE_MODELS=32 trains that many models side by side (a sweep) on both paths; ms/step is for all.
const MODELS = Number(import.meta.env.VITE_MODELS ?? 1);
const LR = 0.1;
const KS = (import.meta.env.VITE_KS ?? '1,10,20,50,100').split(',').map(Number);
// 'vec4@8' forces the vec4 kernel's workgroup size (else FusedTrainer picks it).
const VARIANTS = (import.meta.env.VITE_VARIANTS ?? 'scalar,vec4').split(',');

/** The batch starts of consecutive steps over the split, wrapping at its end. */
function starts(): () => { start: number; rows: number } {
  let start = 0;
  return () => {
    const s = { start, rows: Math.min(BATCH, N - start) };
    start = start + s.rows >= N ? 0 : start + s.rows;
    return s;
  };
}

/** Moons for a 2-input net, else seeded random features with random 0/1 targets (one per output). */
function dataset(): [Float32Array, Float32Array] {
  if (SPEC.sizes[0] === 2) {
    const d = moons(N, 0.1, 1);
    return [d.x, Float32Array.from(d.labels)];
  }
  const rng = new Rng(1);
  const x = Float32Array.from({ length: N * SPEC.sizes[0]! }, () => rng.next() * 2 - 1);
  return [x, Float32Array.from({ length: N * SPEC.sizes.at(-1)! }, () => rng.int(2))];
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

it('fused vs layered', async () => {
  const ctx = await acquireDevice();
  const [x, y] = dataset();
  const params = initParams(SPEC, 1);
  const data = { x, y, n: N };
  const plan = await TrainingPlan.create(
    ctx,
    { spec: SPEC, params, train: data, test: data, maxBatch: BATCH },
    MODELS > 1 ? { models: Array.from({ length: MODELS }, () => ({})) } : {},
  );
  const layeredNext = starts();
  const engines: { name: string; run: (n: number) => void; destroy: () => void }[] = [
    {
      name: 'layered',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          const s = layeredNext();
          plan.step(s.start, s.rows, LR);
        }
      },
      destroy: () => plan.destroy(),
    },
  ];
  for (const [name, k] of VARIANTS.flatMap((v) => KS.map((k) => [v, k] as const))) {
    const [variant, wg] = name.split('@') as [FusedVariant, string | undefined];
    const fused = await FusedTrainer.create(ctx, {
      spec: SPEC,
      configs: Array.from({ length: MODELS }, () => resolveConfig({})),
      batch: BATCH,
      n: N,
      stepsPerSubmit: k,
      regression: false,
      variant,
      ...(wg ? { workgroupSize: Number(wg) } : {}),
      init: Array.from({ length: MODELS }, () => params),
      x,
      y,
    });
    const next = starts();
    let t = 0;
    engines.push({
      name: `${name} K=${k}`,
      run: (n) => {
        for (let done = 0; done < n; done += k)
          fused.run(
            Array.from({ length: Math.min(k, n - done) }, () => ({
              ...next(),
              t: ++t,
              lrs: Array<number>(MODELS).fill(LR),
            })),
          );
      },
      destroy: () => fused.destroy(),
    });
  }
  const samples = engines.map(() => [] as number[]);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, e] of engines.entries()) {
      const t0 = performance.now();
      e.run(STEPS);
      await ctx.device.queue.onSubmittedWorkDone();
      if (round > 0) samples[i]!.push((performance.now() - t0) / STEPS);
    }
  }
  const layered = median(samples[0]!);
  const lines = [
    `adapter: ${ctx.adapterName}; [${SPEC.sizes.join(',')}] ${SPEC.activation} BCE b${BATCH} × ${MODELS} model(s); ms/step, median of ${ROUNDS} samples of ${STEPS} steps`,
  ];
  for (const [i, e] of engines.entries()) {
    const ms = median(samples[i]!);
    lines.push(`${e.name.padEnd(16)} ${ms.toFixed(3)} ms/step  ${(layered / ms).toFixed(2)}x layered`);
  }
  console.log(lines.join('\n'));
  for (const e of engines) e.destroy();
  ctx.device.destroy();
});
