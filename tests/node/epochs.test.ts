// The shared epoch loop and the model count of a backend, on the float64 CPU reference: a CpuBackend
// of N models is N one-model backends in a loop (each model its own configuration, order and learning
// rate), and a sweep's group run by the shared loop ends every model exactly where a fit of it alone
// ends; a diverging model is stopped without touching the others.
import { describe, expect, it } from 'vitest';
import { initParams } from '../../src/init.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { Rng } from '../../src/rng.ts';
import type { TrainConfig } from '../../src/train/backend.ts';
import { runGroup } from '../../src/train/group.ts';
import { runTraining } from '../../src/train/loop.ts';
import { shuffleSeed } from '../../src/train/schedule.ts';
import { oneHotSplit } from './one-hot-split.ts';

const spec: ModelSpec = { sizes: [3, 8, 6, 3], activation: 'relu', loss: 'ce' };

const data = oneHotSplit;

const train = data(37, 1);
const dev = data(11, 2);
const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const init = (config: Partial<TrainConfig>, seed: number) => ({
  spec,
  params: initParams(spec, seed),
  train,
  test: dev,
  dev,
  maxBatch: 8,
  config,
});

const configs: Partial<TrainConfig>[] = [
  { optimizer: 'adam', l2: 0.01, keepProb: 0.8, dropoutSeed: 3 },
  { optimizer: 'adam', beta1: 0.8, dropoutSeed: 4 },
  { optimizer: 'adam', l2: 0.1, keepProb: 0.6, beta2: 0.99, dropoutSeed: 5 },
];
const lrs = [0.01, 0.003, 0.02];

describe('a backend of several models', () => {
  // Test that each model of a three-model CpuBackend steps, evaluates and snapshots exactly as a
  // one-model backend of its configuration, order and learning rate.
  it('trains each model as a backend of its own', async () => {
    const together = CpuBackend.create(init(configs[0]!, 10), { models: configs });
    const alone = configs.map((c, m) => CpuBackend.create(init(c, 10 + m)));
    expect(together.models).toBe(3);
    for (let m = 1; m < 3; m++) together.setParams(initParams(spec, 10 + m), m);
    for (let epoch = 0; epoch < 2; epoch++) {
      configs.forEach((_, m) => {
        const order = new Rng(100 * epoch + m).permutation(train.n);
        together.setOrder(order, m);
        alone[m]!.setOrder(order);
      });
      for (let start = 0; start < train.n; start += 8) {
        const rows = Math.min(8, train.n - start);
        together.step(start, rows, lrs);
        alone.forEach((b, m) => b.step(start, rows, lrs[m]!));
      }
      expect(await together.takeTrainStatsAll()).toEqual(await Promise.all(alone.map((b) => b.takeTrainStats())));
      expect(await together.evaluateAll('dev')).toEqual(await Promise.all(alone.map((b) => b.evaluate('dev'))));
    }
    for (let m = 0; m < 3; m++) {
      expect(bits(await together.readParams(m)), `model ${m}`).toEqual(bits(await alone[m]!.readParams()));
      expect(await together.readState(m)).toEqual(await alone[m]!.readState());
    }
    // restoreModel puts back one model's snapshot and leaves the others as they are.
    together.snapshot(1);
    const before = await Promise.all([0, 1, 2].map((m) => together.readParams(m)));
    together.step(0, 8, lrs);
    const after = await together.readParams(2);
    together.restoreModel(1, 0);
    expect(bits(await together.readParams(0))).toEqual(bits(before[0]!));
    expect(bits(await together.readParams(2))).toEqual(bits(after));
  });

  // Test that a stopped model (setActive false) keeps its parameters while the others train on.
  it('leaves a stopped model as it is', async () => {
    const b = CpuBackend.create(init({}, 1), { models: [{}, {}] });
    b.setActive(0, false);
    const frozen = await b.readParams(0);
    b.step(0, 8, [0.5, 0.5]);
    expect(bits(await b.readParams(0))).toEqual(bits(frozen));
    expect(bits(await b.readParams(1))).not.toEqual(bits(frozen));
  });
});

describe('the shared epoch loop', () => {
  // Test that the seed of the shuffling stream is the run seed xor 0x5eed5eed, as a u32.
  it('derives the shuffling seed', () => {
    expect(shuffleSeed(1)).toBe(0x5eed5eec);
    expect(shuffleSeed(0xffffffff)).toBe(0xa112a112);
  });

  // Test that a group of three models run by the shared loop ends each model bit-identical to a fit of
  // it alone (runTraining: progress periods, snapshots and dev evaluation in between), with a decaying
  // learning rate, and that a model whose loss blows up is reported diverged without touching the others.
  it('ends every model of a group where its fit alone ends', async () => {
    const seeds = [7, 8, 9];
    const lr = [...lrs.slice(0, 2), 1e150]; // the third: weights ~1e150 after one step, logits past float64
    const lrDecay = { kind: 'inverse', rate: 0.5 } as const;
    const group = CpuBackend.create(init(configs[0]!, 10), { models: configs });
    for (let m = 1; m < 3; m++) group.setParams(initParams(spec, 10 + m), m);
    const run = { trainRows: train.n, batch: 8, epochs: 3, lr, seeds, shuffle: true, lrDecay };
    const seen: number[] = [];
    const r = await runGroup(group, run, dev.n, (e) => {
      seen.push(e.epoch);
      return Promise.resolve(false);
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(r.diverged).toEqual([undefined, undefined, 1]);
    for (let m = 0; m < 2; m++) {
      const alone = CpuBackend.create(init(configs[m]!, 10 + m));
      const opts = { epochs: 3, batchSize: 8, lr: lr[m]!, seed: seeds[m]!, shuffle: true, evalEvery: 2, lrDecay };
      const s = await runTraining(alone, train.n, dev.n, { ...opts, devRows: dev.n }, () => {});
      expect(bits(r.params[m]!), `model ${m}`).toEqual(bits(await alone.readParams()));
      expect(r.dev[m]!.lossSum / r.dev[m]!.count).toBe(s.testLoss);
    }
  });
});
