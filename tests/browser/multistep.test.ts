// Several training steps per submit: a plan with stepsPerSubmit K records K steps into one command
// buffer, each reading its own uniform slot. Whatever K is, every result must be bit-identical to K = 1,
// including when stats, snapshots, reads and writes land in the middle of a group.
import { describe, expect, it } from 'vitest';
import { BufferArena, liveBufferStats, readBuffer } from '../../src/gpu/arena.ts';
import { Dispatch } from '../../src/gpu/dispatch.ts';
import { TrainingPlan } from '../../src/gpu/plan.ts';
import { initParams } from '../../src/init.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { Rng } from '../../src/rng.ts';
import type { TrainConfig } from '../../src/train/backend.ts';
import type { TrainState } from '../../src/train/checkpoint.ts';
import { runTraining, type TrainEvent } from '../../src/train/loop.ts';
import { gpu, randomArray, useDevice } from './fixture.ts';

useDevice();

const N = 50;
const BATCH = 16; // 4 steps an epoch: 16, 16, 16 and a partial 2

function dataset(spec: ModelSpec, seed: number) {
  const rng = new Rng(seed);
  const out = spec.sizes[spec.sizes.length - 1]!;
  const x = randomArray(N * spec.sizes[0]!, rng);
  const y = new Float32Array(N * out);
  for (let r = 0; r < N; r++) y[r * out + rng.int(out)] = 1;
  return { x, y, n: N };
}

/** Every float of the parameters as its bit pattern, so that "equal" means bit-identical. */
const bits = (p: Params): number[][] =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const f32bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;
const stateBits = (s: TrainState) =>
  Object.entries(s).map(([k, v]) => [k, [...new Uint32Array(v.buffer, v.byteOffset, v.byteLength / 4)]]);

/** A fixed script of 3 epochs (lr changing each epoch, a new order each epoch) with stats, snapshot,
 *  restore, evaluation, reads and writes at steps that fall inside a group for most K (each of those
 *  must submit the pending steps first); returns everything it saw. */
async function script(spec: ModelSpec, config: Partial<TrainConfig>, stepsPerSubmit: number): Promise<unknown[]> {
  const data = dataset(spec, 11);
  const plan = await TrainingPlan.create(
    gpu(),
    { spec, params: initParams(spec, 3), train: data, test: data, maxBatch: BATCH, config },
    { stepsPerSubmit, matmul: 'blocked' },
  );
  const seen: unknown[] = [];
  const stats = async (step: number) => {
    const s = await plan.takeTrainStats();
    seen.push(['stats', step, s.count, f32bits(s.lossSum), s.correct]);
  };
  const rng = new Rng(5);
  let params: Params | undefined;
  let state: TrainState | undefined;
  try {
    expect(plan.stepsPerSubmit).toBe(stepsPerSubmit);
    let step = 0;
    for (let epoch = 1; epoch <= 3; epoch++) {
      plan.setOrder(rng.permutation(N));
      for (let start = 0; start < N; start += BATCH) {
        plan.step(start, Math.min(BATCH, N - start), 0.1 / epoch);
        step++;
        if (step === 2) plan.snapshot(1);
        if (step === 3 || step === 6) await stats(step);
        if (step === 5) {
          const e = await plan.evaluate('test');
          seen.push(['eval', step, f32bits(e.lossSum), e.correct]);
        }
        if (step === 7) plan.restore(1); // steps 3..7 are undone: 8.. go on from step 2's weights
        if (step === 9) seen.push(['params', step, bits((params = await plan.readParams()))]);
        if (step === 10) seen.push(['state', step, stateBits((state = await plan.readState()))]);
        if (step === 11) plan.setParams(params!);
        if (step === 12) plan.writeState(state!);
      }
    }
    await stats(step);
    const e = await plan.evaluate('test');
    seen.push(['eval', step, f32bits(e.lossSum), e.correct]);
    seen.push(
      ['grads', bits(await plan.readGrads())],
      ['params', bits(await plan.readParams())],
      ['state', stateBits(await plan.readState())],
    );
  } finally {
    plan.destroy();
  }
  return seen;
}

describe('several steps per submit', () => {
  const spec: ModelSpec = { sizes: [12, 10, 8, 4], activation: 'relu', loss: 'ce' };
  const configs: [string, Partial<TrainConfig>][] = [
    ['plain sgd', {}],
    ['adam + L2 + dropout', { optimizer: 'adam', l2: 0.2, keepProb: 0.7, dropoutSeed: 4 }],
  ];
  for (const [label, config] of configs) {
    // Test that K = 2, 3, 5 and 16 steps per submit give the bit-identical losses, evaluations, gradients,
    // parameters and optimizer state of K = 1, with reads, stats and snapshot/restore inside groups.
    // Shared uniform slots would give every step of a group the last step's rows, lr and t: this fails.
    it(`${label}: bit-identical to one step per submit`, async () => {
      const one = await script(spec, config, 1);
      expect(one.length).toBeGreaterThan(8);
      for (const k of [2, 3, 5, 16]) expect(await script(spec, config, k), `${k} steps per submit`).toEqual(one);
    });
  }

  // Test that the training loop (stats every 5 steps, checkpoints every 7, a test split) gives the same
  // events' losses and the same final weights at K = 4 as at K = 1, and that 600 steps at K = 4 create
  // no buffer: the plan owns exactly as many as at K = 1 (one uniform buffer per kernel, K slots in it).
  it('training loop: same run at K = 4, no buffer growth', async () => {
    const data = dataset(spec, 12);
    const run = async (stepsPerSubmit: number) => {
      const plan = await TrainingPlan.create(
        gpu(),
        {
          spec,
          params: initParams(spec, 8),
          train: data,
          test: data,
          maxBatch: BATCH,
          config: { optimizer: 'momentum' },
        },
        { stepsPerSubmit },
      );
      try {
        const events: TrainEvent[] = [];
        const checkpoints: number[][][] = [];
        const opts = {
          epochs: 150,
          batchSize: BATCH,
          lr: 0.05,
          seed: 2,
          shuffle: true,
          evalEvery: 5,
          lrDecay: { kind: 'inverse', rate: 0.5 },
        } as const;
        await runTraining(plan, N, N, { ...opts, epochs: 3 }, () => {}); // warm-up
        const [buffers, planBuffers] = [liveBufferStats().buffers, plan.bufferCount];
        await runTraining(plan, N, N, opts, (e) => events.push(e), {
          checkpointEvery: 7,
          onCheckpoint: (c) => void checkpoints.push(bits(c.params)),
        });
        expect(liveBufferStats().buffers).toBe(buffers);
        expect(plan.bufferCount).toBe(planBuffers);
        const losses = events.flatMap((e) =>
          e.type === 'progress'
            ? [e.step, e.loss]
            : e.type === 'epoch'
              ? [e.step, e.testLoss]
              : e.type === 'summary'
                ? [e.steps, e.loss, e.testLoss]
                : [],
        );
        return { losses, checkpoints, params: bits(await plan.readParams()), planBuffers };
      } finally {
        plan.destroy();
      }
    };
    const [one, four] = [await run(1), await run(4)];
    expect(one.checkpoints.length).toBe(Math.floor(600 / 7));
    expect(four).toEqual(one);
  });

  // Test that each slot of a Dispatch keeps its own uniform within one pass: reduceStats adds the first
  // `rows` row pairs to a total, so slots of 1, 2 and 3 rows in one pass add rows 0 + 0..1 + 0..2.
  it('a Dispatch reads a different uniform per slot in one pass', async () => {
    const device = gpu().device;
    const arena = new BufferArena(device, 'slots test');
    try {
      const rowStats = arena.upload('rowStats', Float32Array.of(1, 10, 2, 20, 4, 40, 8, 80));
      const total = arena.upload('total', new Float32Array(2));
      const unused = {
        l2_part: arena.upload('l2_part', new Float32Array(64)),
        table: arena.upload('table', new Uint32Array(8)),
        models: arena.upload('models', new Uint32Array(8)),
      };
      const d = await Dispatch.create(
        arena,
        'reduceStats',
        {},
        { row_stats: rowStats, total, ...unused },
        { rows: 4, l2: 0 },
        3,
      );
      expect(d.slots).toBe(3);
      for (let slot = 0; slot < 3; slot++) d.setUniform({ rows: slot + 1, l2: 0 }, slot);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let slot = 0; slot < 3; slot++) d.encode(pass, [1, 1, 1], slot);
      pass.end();
      device.queue.submit([enc.finish()]);
      expect([...new Float32Array(await readBuffer(device, total, 8))]).toEqual([1 + 3 + 7, 10 + 30 + 70]);
      expect(() => d.encode(pass, [1, 1, 1], 3)).toThrow(/reduceStats.*slot 3 outside 0\.\.2/);
    } finally {
      arena.destroy();
    }
  });

  // Test that stepsPerSubmit must be a positive integer, named in the error.
  it('rejects stepsPerSubmit 0', async () => {
    const data = dataset(spec, 1);
    await expect(
      TrainingPlan.create(
        gpu(),
        { spec, params: initParams(spec, 1), train: data, test: data, maxBatch: 4 },
        { stepsPerSubmit: 0 },
      ),
    ).rejects.toThrow(/stepsPerSubmit must be a positive integer, got 0/);
  });
});
