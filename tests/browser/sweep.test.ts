// The library's hyperparameter search (Trainer.fitSweep) on the GPU: every trial trained side by side
// in one plan ends with exactly the weights of its solo run — a trainer created with the trial's seed,
// L2, keep-prob and β's, fit with its lr — for plain SGD and for Adam with L2 and dropout (and batch
// norm on the fused path), in groups;
// the sequential baseline gives the same results; a diverging trial is reported without disturbing
// the others; bad input is refused with a clear error.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { splitDataset } from '../../src/lib/data.ts';
import { createTrainer, type TrainerOptions } from '../../src/lib/trainer.ts';
import type { Hyperparameters, Trial } from '../../src/lib/sweep.ts';
import { layerTensors, type Params } from '../../src/model.ts';
import { gpu, useDevice } from './fixture.ts';

useDevice();

const moons = splitDataset(syntheticDataset('moons', 240, 4), { testSplit: 0.2, devSplit: 0.2, seed: 4 });
const train = { x: moons.train.x, labels: moons.train.labels };
const dev = { x: moons.dev!.x, labels: moons.dev!.labels };

const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const trials = (hs: Partial<Hyperparameters>[]): Trial[] =>
  hs.map((h, index) => ({ index, hyper: { lr: 0.1, l2: 0, keepProb: 1, beta1: 0.9, beta2: 0.999, seed: 1, ...h } }));

async function solo(base: TrainerOptions, t: Trial, fit: { epochs: number; batchSize: number }): Promise<Params> {
  const h = t.hyper;
  const trainer = await createTrainer({
    ...base,
    seed: h.seed,
    l2: h.l2,
    keepProb: h.keepProb,
    beta1: h.beta1,
    beta2: h.beta2,
    device: gpu().device,
  });
  try {
    await trainer.fit(train, { ...fit, lr: h.lr, dev });
    return (await trainer.model()).params;
  } finally {
    trainer.destroy();
  }
}

describe('fitSweep', () => {
  const cases: [string, TrainerOptions, Partial<Hyperparameters>[], number?][] = [
    [
      'sgd, learning rates and seeds',
      { inputs: 2, hidden: [16, 16], classes: 2, matmul: 'blocked', plan: 'layered' },
      [
        { lr: 0.5, seed: 1 },
        { lr: 0.05, seed: 2 },
        { lr: 0.2, seed: 3 },
        { lr: 0.9, seed: 1 },
        { lr: 0.01, seed: 5 },
      ],
    ],
    [
      'sgd, learning rates and seeds, fused',
      { inputs: 2, hidden: [16, 16], classes: 2, matmul: 'blocked', plan: 'fused' },
      [
        { lr: 0.5, seed: 1 },
        { lr: 0.05, seed: 2 },
        { lr: 0.2, seed: 3 },
      ],
    ],
    // Groups of 4 on a CPU-emulated adapter take the lane kernel (fusedVariant), the group of 1 and the
    // solo fits the vec4 kernel.
    [
      'sgd, learning rates and seeds, fused, groups of 4',
      { inputs: 2, hidden: [16, 16], classes: 2, matmul: 'blocked', plan: 'fused' },
      [
        { lr: 0.5, seed: 1 },
        { lr: 0.05, seed: 2 },
        { lr: 0.2, seed: 3 },
        { lr: 0.9, seed: 1 },
        { lr: 0.01, seed: 5 },
      ],
      4,
    ],
    // Batch norm on the fused path: the group of 4 on the lane kernel, the rest and the solo fits on the
    // vec4 kernel (γ, β and the running averages compared bit for bit too).
    [
      'adam with dropout and batch norm, fused, groups of 4',
      { inputs: 2, hidden: [16, 16], classes: 2, optimizer: 'adam', batchNorm: true, plan: 'fused' },
      [
        { lr: 0.01, keepProb: 0.8, seed: 1 },
        { lr: 0.003, l2: 0.01, seed: 2 },
        { lr: 0.02, keepProb: 0.6, beta1: 0.8, seed: 3 },
        { lr: 0.05, seed: 4 },
        { lr: 0.001, beta2: 0.99, seed: 5 },
      ],
      4,
    ],
    [
      'adam with L2 and dropout, standard normalisation',
      {
        inputs: 2,
        hidden: [12, 8],
        classes: 2,
        optimizer: 'adam',
        normalize: 'standard',
        matmul: 'blocked',
        plan: 'layered',
      },
      [
        { lr: 0.01, l2: 0.01, keepProb: 0.8, seed: 2 },
        { lr: 0.003, l2: 0, keepProb: 1, beta1: 0.8, seed: 3 },
        { lr: 0.02, l2: 0.1, keepProb: 0.6, beta2: 0.99, seed: 4 },
      ],
    ],
  ];
  for (const [label, base, hs, groupSize = 2] of cases) {
    // Test that each trial's final weights equal its solo fit's, bit for bit (here in groups of 2, or as
    // the case says, so a group with an odd count too), and that the sequential baseline gives the same.
    it(`each trial ends as its solo run (${label})`, async () => {
      const list = trials(hs);
      const fit = { epochs: 4, batchSize: 16 };
      const t = await createTrainer({ ...base, device: gpu().device });
      try {
        const together = await t.fitSweep(train, list, { ...fit, dev, groupSize });
        const oneByOne = await t.fitSweep(train, list, { ...fit, dev, sequential: true });
        expect(together.map((r) => r.trial.index)).toEqual(list.map((x) => x.index));
        for (let i = 0; i < list.length; i++) {
          const alone = bits(await solo(base, list[i]!, fit));
          expect(together[i]!.status).toEqual({ kind: 'ok' });
          expect(bits(together[i]!.params), `trial ${i} side by side vs its solo fit`).toEqual(alone);
          expect(bits(oneByOne[i]!.params), `trial ${i} sequential vs its solo fit`).toEqual(alone);
          expect(together[i]!.devLoss).toBe(oneByOne[i]!.devLoss);
        }
        expect(together[0]!.devLoss).not.toBe(together[1]!.devLoss);
      } finally {
        t.destroy();
      }
    });
  }

  // Test that a trial whose learning rate blows it up is reported as diverged (no dev loss) while the
  // trials beside it still end exactly as their solo runs (on either path).
  for (const plan of ['layered', 'fused'] as const)
    it(`reports a diverging trial without disturbing the others (${plan})`, async () => {
      const base: TrainerOptions = {
        inputs: 2,
        hidden: [16, 16],
        classes: 2,
        optimizer: 'adam',
        matmul: 'blocked',
        plan,
      };
      const list = trials([
        { lr: 0.01, seed: 1 },
        { lr: 1e30, seed: 2 },
        { lr: 0.02, seed: 3 },
      ]);
      const fit = { epochs: 3, batchSize: 16 };
      const t = await createTrainer({ ...base, device: gpu().device });
      try {
        const r = await t.fitSweep(train, list, { ...fit, dev });
        expect(r.map((x) => x.status.kind)).toEqual(['ok', 'diverged', 'ok']);
        expect(r[1]!.status).toEqual({ kind: 'diverged', epoch: 1 });
        expect(r[1]!.devLoss).toBeNull();
        expect(bits(r[0]!.params)).toEqual(bits(await solo(base, list[0]!, fit)));
        expect(bits(r[2]!.params)).toEqual(bits(await solo(base, list[2]!, fit)));
      } finally {
        t.destroy();
      }
    });

  it('refuses bad input with a clear error', async () => {
    const t = await createTrainer({ inputs: 2, hidden: [4], classes: 2, matmul: 'blocked', device: gpu().device });
    try {
      await expect(t.fitSweep(train, [], { epochs: 1, batchSize: 8, dev })).rejects.toThrow('fitSweep: no trials');
      await expect(t.fitSweep(train, trials([{ lr: -1 }]), { epochs: 1, batchSize: 8, dev })).rejects.toThrow(
        'trial 0: lr must be a finite number > 0, got -1',
      );
      await expect(t.fitSweep(train, trials([{ keepProb: 1.5 }]), { epochs: 1, batchSize: 8, dev })).rejects.toThrow(
        /keepProb/,
      );
      await expect(t.fitSweep(train, trials([{}]), { epochs: 0, batchSize: 8, dev })).rejects.toThrow(
        'epochs must be an integer >= 1, got 0',
      );
      await expect(
        t.fitSweep(train, trials([{}]), {
          epochs: 1,
          batchSize: 8,
          dev: { x: new Float32Array(0), labels: new Uint32Array(0) },
        }),
      ).rejects.toThrow(/dev rows are empty/);
    } finally {
      t.destroy();
    }
  });
});
