// The fused path behind the library (plan 'fused' / 'auto'): a fit against the float64 reference at
// every step and at the end, grouping that changes nothing, a checkpoint resumed bit for bit, the path
// 'auto' takes, 'fused' refused outside its envelope, and the fused backend's evaluation against the
// layered plan's.
import { describe, expect, it } from 'vitest';
import { assertClose, TOL } from '../../src/check.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { FusedBackend } from '../../src/gpu/fused-backend.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { labeled } from '../../src/lib/data.ts';
import { TrainerError } from '../../src/errors.ts';
import { createTrainer, type FitCheckpoint, type FitOptions, type TrainerOptions } from '../../src/lib/trainer.ts';
import { initParams } from '../../src/init.ts';
import { layerCount, layerTensors, tensorName, type ModelSpec } from '../../src/model.ts';
import type { TrainEvent } from '../../src/train/loop.ts';
import { Rng } from '../../src/rng.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const moons = labeled(syntheticDataset('moons', 100, 4));
const spec: ModelSpec = { sizes: [2, 16, 16, 1], activation: 'tanh', loss: 'bce' };
const params = initParams(spec, 3);
// 32-row batches over 100 rows: 4 steps an epoch, the last of 4 rows; lr decays through the table.
const fit: FitOptions = {
  epochs: 3,
  batchSize: 32,
  lr: 0.05,
  seed: 5,
  lrDecay: { kind: 'inverse', rate: 0.5 },
  test: moons,
};
const options: TrainerOptions = { spec, params, optimizer: 'adam', l2: 0.01, normalize: 'none' };
// Batch norm on both hidden layers (γ, β, running mean and var in the fused state).
const bnSpec: ModelSpec = { ...spec, batchNorm: true };
const bnOptions: TrainerOptions = { ...options, spec: bnSpec, params: initParams(bnSpec, 3) };

/** A fit's events and final parameters. */
async function run(o: TrainerOptions, f: FitOptions) {
  const events: TrainEvent[] = [];
  const t = await createTrainer(o);
  try {
    await t.fit(moons, { ...f, onEvent: (e) => events.push(e) });
    return { events, params: await t.getParams() };
  } finally {
    t.destroy();
  }
}

const losses = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'progress' ? [e.loss] : []));

describe('fused path through the library', () => {
  // Test that a fit on the fused path equals the float64 reference at every step's loss and at the final
  // parameters (Adam, L2, lr decay; then with dropout, whose masks both draw from the same hash), and
  // that grouping its steps differently changes no bit.
  it.each([
    ['', options],
    [' with dropout', { ...options, keepProb: 0.8, seed: 11 }],
    [' with batch norm', bnOptions],
    // Momentum here: with Adam, layers.0.bn_beta[7] ends at −0.000543 on both GPU paths (the layered
    // plan's float32 value is this kernel's) against −0.000546 in float64, Adam's normalised steps
    // carrying the gradients' float32 error into a parameter that crosses zero.
    [
      ' with batch norm and dropout, momentum',
      { ...bnOptions, optimizer: 'momentum' as const, keepProb: 0.8, seed: 11 },
    ],
  ])("plan 'fused' vs the CPU reference, every step%s", async (_, options) => {
    const g = await run({ ...options, device: gpu().device, plan: 'fused' }, { ...fit, evalEvery: 1 });
    const c = await run({ ...options, device: 'cpu' }, { ...fit, evalEvery: 1 });
    expect(g.events.find((e) => e.type === 'start')).toMatchObject({ plan: { kind: 'fused' } });
    expect(g.events.find((e) => e.type === 'memory')).toMatchObject({ data: { mode: 'resident' } });
    expect(losses(g.events)).toHaveLength(12);
    losses(c.events).forEach((l, i) => assertClose(`step ${i + 1} loss`, [losses(g.events)[i]!], [l], TOL.value));
    for (let l = 0; l < layerCount(spec); l++) {
      // Every tensor by name (with batch norm γ, β and the running mean and var too).
      const want = new Map(layerTensors(c.params[l]!));
      expect(layerTensors(g.params[l]!).map(([k]) => k)).toEqual([...want.keys()]);
      for (const [kind, t] of layerTensors(g.params[l]!))
        assertClose(
          tensorName(l, kind),
          t,
          want.get(kind)!,
          TOL.value,
          undefined,
          kind === 'weight' ? spec.sizes[l]! : 1,
        );
    }
    const grouped = await run({ ...options, device: gpu().device, plan: 'fused' }, { ...fit, evalEvery: 50 });
    expect(grouped.params).toEqual(g.params);
  });

  // Test that a fused run resumed from a mid-epoch checkpoint ends bit-identical to the uninterrupted one
  // (with batch norm: γ, β, the running averages and their moments in the checkpoint).
  it.each([
    ['', options],
    [' with batch norm', bnOptions],
  ])('resume from a checkpoint is bit-identical%s', async (_, options) => {
    const o = { ...options, device: gpu().device, plan: 'fused' as const };
    const checkpoints: FitCheckpoint[] = [];
    const t = await createTrainer(o);
    try {
      await t.fit(moons, { ...fit, checkpointEvery: 6, onCheckpoint: (c) => void checkpoints.push(c) });
      const whole = await t.getParams();
      const cp = checkpoints.find((c) => c.position.step === 6)!;
      expect(cp.position).toMatchObject({ epoch: 2, start: 64 });
      expect(Object.keys(cp.state).sort()).toEqual(['optimizer.s', 'optimizer.v', 'step']);
      const again = await createTrainer(o);
      try {
        await again.fit(moons, { ...fit, resume: cp });
        expect(await again.getParams()).toEqual(whole);
      } finally {
        again.destroy();
      }
    } finally {
      t.destroy();
    }
  });

  // Test that 'auto' takes the fused path for a small net, with dropout and with batch norm too, and the
  // layered plan, naming why, for a wide one.
  it("'auto' picks the path", async () => {
    const device = gpu().device;
    const start = async (o: TrainerOptions, rows = moons) => {
      const events: TrainEvent[] = [];
      const t = await createTrainer({ ...o, device });
      try {
        await t.fit(rows, { epochs: 1, batchSize: 8, lr: 0.01, onEvent: (e) => events.push(e) });
      } finally {
        t.destroy();
      }
      return events.find((e) => e.type === 'start');
    };
    const tiny = { x: moons.x.slice(0, 16), labels: Array.from(moons.labels!).slice(0, 8) };
    expect(await start({ inputs: 2, hidden: [16, 16], classes: 2 }, tiny)).toMatchObject({ plan: { kind: 'fused' } });
    const wide = { x: randomArray(4 * 784, new Rng(1)), labels: Uint32Array.of(0, 1, 2, 3) };
    const w = await start({ inputs: 784, hidden: [128], classes: 10 }, wide);
    expect(w).toMatchObject({ plan: { kind: 'layered' } });
    expect(w?.type === 'start' && w.plan?.reason).toMatch(/width 784/);
    const d = await start({ inputs: 2, hidden: [16], classes: 2, keepProb: 0.8 }, tiny);
    expect(d).toMatchObject({ plan: { kind: 'fused' } });
    const b = await start({ inputs: 2, hidden: [16], classes: 2, batchNorm: true }, tiny);
    expect(b).toMatchObject({ plan: { kind: 'fused' } });
    const l = await start({ inputs: 2, hidden: [16], classes: 2, plan: 'layered' }, tiny);
    expect(l).toMatchObject({ plan: { kind: 'layered', reason: 'asked for' } });
  });

  // Test that 'fused' outside the envelope throws TrainerError naming the reason.
  it("'fused' outside the envelope throws", async () => {
    const device = gpu().device;
    const refused = async (o: TrainerOptions) => {
      const e = await createTrainer({ ...o, device, plan: 'fused' }).then(
        (t) => (t.destroy(), undefined),
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(TrainerError);
      return (e as TrainerError).message;
    };
    expect(await refused({ inputs: 784, hidden: [128], classes: 10 })).toMatch(/plan 'fused': width 784/);
  });

  // Test that the fused backend's evaluation (the fused evaluation kernel) equals a layered plan's
  // evaluation of the same parameters after steps, within the tolerance rule, and so does its layered
  // fallback (the layered forward pass on its parameters, copied on the GPU from the padded layout; in
  // chunks of its own size, so not to the bit).
  // With batch norm both evaluate with the running averages the fused steps moved.
  it.each([
    ['', false],
    [' with batch norm', true],
  ])('evaluate on the fused path equals the layered evaluation%s', async (_, batchNorm) => {
    const rng = new Rng(8);
    const s: ModelSpec = { sizes: [3, 10, 5, 3], activation: 'relu', loss: 'ce', batchNorm };
    const split = (n: number) => {
      const y = new Float32Array(n * 3);
      for (let r = 0; r < n; r++) y[r * 3 + (r % 3)] = 1;
      return { x: randomArray(n * 3, rng), y, n };
    };
    const init = { spec: s, params: initParams(s, 2), train: split(50), test: split(37), maxBatch: 16 };
    const fused = await FusedBackend.create(gpu(), init);
    const fallback = await FusedBackend.create(gpu(), init, { layeredEvaluation: true });
    try {
      expect([fused.evaluationKind, fallback.evaluationKind]).toEqual(['fused', 'layered']);
      for (const b of [fused, fallback]) for (let i = 0; i < 4; i++) b.step(i * 16, Math.min(16, 50 - i * 16), 0.1);
      const [test, train] = await Promise.all([fused.evaluate('test'), fused.evaluate('train')]);
      const layered = await TrainingPlan.create(gpu(), { ...init, params: await fused.readParams() });
      try {
        expect(await fallback.readParams()).toEqual(await fused.readParams());
        for (const [name, got, want, viaFallback] of [
          ['test', test, await layered.evaluate('test'), await fallback.evaluate('test')],
          ['train', train, await layered.evaluate('train'), await fallback.evaluate('train')],
        ] as const) {
          assertClose(`${name} loss`, [got.lossSum], [want.lossSum], TOL.value);
          expect(got.correct, `${name} correct`).toBe(want.correct);
          expect(got.count).toBe(want.count);
          assertClose(`${name} loss via the layered fallback`, [viaFallback.lossSum], [want.lossSum], TOL.value);
          expect(viaFallback.correct, `${name} correct via the layered fallback`).toBe(want.correct);
          expect(viaFallback.count).toBe(want.count);
        }
      } finally {
        layered.destroy();
      }
    } finally {
      fused.destroy();
      fallback.destroy();
    }
  });
});
