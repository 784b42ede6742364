// The order of a run's work around an epoch's end, on the float64 CPU reference with a backend that logs
// each call: an epoch's end (its statistics, evaluations and checkpoint) is queued at its last step and
// finished a period late, after the next epoch's first steps are queued, so the GPU never idles for its
// round trip; a checkpoint still holds the parameters and position of its step; an onEpoch that can end
// the run (early stopping, a sweep's group) is finished before anything past its epoch is queued; a stop
// or a pause first reports everything queued.
import { describe, expect, it } from 'vitest';
import { initParams } from '../../src/init.ts';
import { layerTensors, type ModelSpec, type Params } from '../../src/model.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import type { Stats, TrainBackend } from '../../src/train/backend.ts';
import type { FitCheckpoint } from '../../src/train/checkpoint.ts';
import { runEpochs } from '../../src/train/epochs.ts';
import { runGroup } from '../../src/train/group.ts';
import { runTraining, type LoopControl, type TrainEvent } from '../../src/train/loop.ts';
import { oneHotSplit } from './one-hot-split.ts';

const spec: ModelSpec = { sizes: [3, 8, 3], activation: 'relu', loss: 'ce' };
const train = oneHotSplit(37, 1); // 5 steps an epoch at batch 8: statistics at steps 2, 4, 5 | 6, 8, 10 | 12, 14, 15
const test = oneHotSplit(11, 2);
const bits = (p: Params) =>
  p.flatMap((l) => layerTensors(l).map(([, t]) => [...new Uint32Array(t.buffer, t.byteOffset, t.length)]));
const opts = { epochs: 3, batchSize: 8, lr: 0.1, seed: 3, shuffle: true, evalEvery: 2 };

/** A CPU backend that logs its steps ('step 6'), evaluations ('evaluate test') and parameter reads
 *  ('readParams'), and keeps its parameters and its test and dev figures after every step (read at
 *  once: the CPU computes as it is called). */
function logged(models = 1) {
  const log: string[] = [];
  const after = new Map<number, Promise<Params>>();
  const figures = new Map<number, Promise<[Stats, Stats]>>();
  const inner = CpuBackend.create(
    { spec, params: initParams(spec, 4), train, test, dev: test, maxBatch: 8 },
    { models: Array.from({ length: models }, () => ({})) },
  );
  let steps = 0;
  const backend = new Proxy(inner, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      const f = (v as (...a: unknown[]) => unknown).bind(target);
      return (...a: unknown[]) => {
        const r = f(...a);
        if (key === 'step') {
          log.push(`step ${++steps}`);
          after.set(steps, target.readParams());
          figures.set(steps, Promise.all([target.evaluate('test'), target.evaluate('dev')]));
        }
        if (key === 'evaluate' || key === 'evaluateAll') log.push(`evaluate ${String(a[0])}`);
        if (key === 'readParams') log.push('readParams');
        return r;
      };
    },
  }) as TrainBackend;
  return { backend, log, after, figures };
}

/** An event as a line of the log. */
const line = (e: TrainEvent) =>
  e.type === 'progress' || e.type === 'checkpoint' || e.type === 'epoch'
    ? `${e.type} ${e.type === 'epoch' ? e.epoch : e.step}`
    : e.type;

describe("an epoch's end, a period late", () => {
  // Test that epoch 1's evaluation and checkpoint are queued at its last step (5) and reported only after
  // epoch 2's first step is queued (at the next statistics request, step 6), in the order they were
  // queued; every epoch's events come before the next epoch's progress, and all of them by the summary.
  it('queues the next epoch before it awaits the last one', async () => {
    const { backend, log } = logged();
    const summary = await runTraining(backend, train.n, test.n, opts, (e) => log.push(line(e)), {
      checkpointEvery: 5,
      onCheckpoint: () => {},
    });
    const at = (s: string) => {
      expect(log, s).toContain(s);
      return log.indexOf(s);
    };
    expect(at('evaluate test')).toBeGreaterThan(at('step 5'));
    expect(at('readParams')).toBeGreaterThan(at('evaluate test'));
    expect(at('readParams')).toBeLessThan(at('step 6'));
    expect(at('step 6')).toBeLessThan(at('progress 5'));
    const events = log.filter((l) => !/^(step|evaluate|readParams)/.test(l));
    expect(events).toEqual([
      'start',
      'progress 2',
      'progress 4',
      'progress 5',
      'checkpoint 5',
      'epoch 1',
      'progress 6',
      'progress 8',
      'progress 10',
      'checkpoint 10',
      'epoch 2',
      'progress 12',
      'progress 14',
      'progress 15',
      'checkpoint 15',
      'epoch 3',
      'summary',
    ]);
    expect(summary.steps).toBe(15);
  });

  // Test that each epoch's event, reported a period late, gives the test and dev figures of the weights
  // at that epoch's end (its last step 5, 10, 15), not those of the epoch after it: with statistics at
  // epoch ends only (evalEvery past an epoch), the next epoch's evaluations are queued before it is
  // reported.
  it("reports each epoch's evaluations of the weights at its end", async () => {
    const { backend, figures } = logged();
    const epochs: Extract<TrainEvent, { type: 'epoch' }>[] = [];
    await runTraining(backend, train.n, test.n, { ...opts, evalEvery: 50, devRows: test.n }, (e) => {
      if (e.type === 'epoch') epochs.push(e);
    });
    expect(epochs.map((e) => [e.epoch, e.step])).toEqual([
      [1, 5],
      [2, 10],
      [3, 15],
    ]);
    for (const e of epochs) {
      const [t, d] = await figures.get(e.step)!;
      expect([e.testLoss, e.testAccuracy, e.devLoss], `epoch ${e.epoch}`).toEqual([
        t.lossSum / t.count,
        t.correct / t.count,
        d.lossSum / d.count,
      ]);
    }
  });

  // Test that a checkpoint handed over a period late holds the parameters and the position of its step,
  // not those of the later steps queued before it was handed over.
  it('hands over each checkpoint with the parameters of its step', async () => {
    const { backend, after } = logged();
    const got: FitCheckpoint[] = [];
    await runTraining(backend, train.n, test.n, opts, () => {}, {
      checkpointEvery: 1,
      onCheckpoint: (c) => void got.push(c),
    });
    expect(got.map((c) => c.position.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (const c of got)
      expect(bits(c.params), `step ${c.position.step}`).toEqual(bits(await after.get(c.position.step)!));
    // Step 3 is in epoch 1, rows 24.. next; step 5 ends epoch 1, so a run resumed there starts epoch 2.
    expect(got[2]!.position).toMatchObject({ step: 3, epoch: 1, start: 24 });
    expect(got[4]!.position).toMatchObject({ step: 5, epoch: 2, start: 0 });
  });
});

describe('an onEpoch that can end the run', () => {
  // Test that early stopping (lr 0: the dev loss never improves after epoch 1, so the run stops at
  // epoch 2) finishes each epoch before the next is queued: no step past epoch 2 is taken.
  it('early stopping queues nothing past its epoch', async () => {
    const { backend, log } = logged();
    const run = { ...opts, lr: 0, epochs: 5, devRows: test.n, earlyStopping: 1 };
    const summary = await runTraining(backend, train.n, test.n, run, (e) => log.push(line(e)));
    expect(summary).toMatchObject({ steps: 10, epochs: 2, stoppedEarly: true });
    expect(log.filter((l) => l.startsWith('step')).length).toBe(10);
    expect(log.indexOf('epoch 1')).toBeLessThan(log.indexOf('step 6'));
  });

  // Test that runEpochs finishes an epoch whose onEpoch may end the run before the next epoch's first
  // step, and refuses an onEpoch that ends the run when lateEpochEnd said it never would.
  it('runEpochs: onEpoch at once, unless lateEpochEnd', async () => {
    const run = { trainRows: train.n, batch: 8, epochs: 4, lr: [0.1], seeds: [1], shuffle: true };
    const { backend, log } = logged();
    const done = await runEpochs(backend, run, {
      onEpoch: (e) => {
        log.push(`onEpoch ${e}`);
        return Promise.resolve(e === 2);
      },
    });
    expect(done.step).toBe(10);
    expect(log.indexOf('onEpoch 1')).toBeLessThan(log.indexOf('step 6'));
    const late = logged();
    const refused = runEpochs(late.backend, run, { lateEpochEnd: true, onEpoch: (e) => Promise.resolve(e === 2) });
    await expect(refused).rejects.toThrow(/onEpoch ended the run after epoch 2, but lateEpochEnd was set/);
  });

  // Test that a sweep's group (whose onEpoch parks diverged trials and may stop) still evaluates each
  // epoch's dev split before the next epoch's first step.
  it("a sweep's group is not overlapped", async () => {
    const { backend, log } = logged(2);
    const run = { trainRows: train.n, batch: 8, epochs: 2, lr: [0.1, 0.2], seeds: [1, 2], shuffle: true };
    await runGroup(backend, run, test.n, (e) => {
      log.push(`group epoch ${e.epoch}`);
      return Promise.resolve(false);
    });
    expect(log.indexOf('evaluate dev')).toBeLessThan(log.indexOf('step 6'));
    expect(log.indexOf('group epoch 1')).toBeLessThan(log.indexOf('step 6'));
  });
});

describe('a stop or a pause', () => {
  // Test that a stop in epoch 2 ends with the summary of the steps done and epoch 1's events, which were
  // still a period late when the stop came.
  it('a stop reports the last epoch', async () => {
    const { backend, log } = logged();
    let steps = 0;
    const control: LoopControl = { shouldStop: () => steps >= 7, waitIfPaused: () => Promise.resolve(void steps++) };
    const summary = await runTraining(backend, train.n, test.n, opts, (e) => log.push(line(e)), { control });
    expect(summary.steps).toBe(6);
    const events = log.filter((l) => /^(epoch|progress)/.test(l));
    expect(events).toEqual(['progress 2', 'progress 4', 'progress 5', 'epoch 1', 'progress 6']);
  });

  // Test that a pause before epoch 2's first step reports epoch 1's events and hands over its checkpoint
  // before it waits (unpaused, they come at step 6's statistics request, after step 6).
  it('a pause reports what is queued before it waits', async () => {
    const { backend, log } = logged();
    let steps = 0;
    const control: LoopControl = {
      shouldStop: () => false,
      paused: () => steps === 5, // before step 6
      waitIfPaused: () => Promise.resolve(void log.push(`wait ${++steps}`)),
    };
    await runTraining(backend, train.n, test.n, opts, (e) => log.push(line(e)), {
      control,
      checkpointEvery: 5,
      onCheckpoint: () => {},
    });
    expect(log.indexOf('wait 6')).toBeGreaterThan(log.indexOf('epoch 1'));
    expect(log.indexOf('wait 6')).toBeGreaterThan(log.indexOf('checkpoint 5'));
    expect(log.indexOf('wait 6')).toBeGreaterThan(log.indexOf('progress 5'));
  });
});
