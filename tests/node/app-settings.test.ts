import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkFits, formatBytes } from '../../src/lib/budget.ts';
import {
  DEFAULTS,
  KEYS,
  LABELS,
  modelSpecFor,
  parseSettings,
  resolveLoss,
  settingsToQuery,
  trainConfig,
} from '../../src/app/settings.ts';
import { CpuBackend } from '../../src/reference/backend.ts';
import { predict } from '../../src/app/predict.ts';
import { initParams } from '../../src/init.ts';
import { runTraining, type LoopControl, type TrainEvent } from '../../src/train/loop.ts';
import type { ModelSpec } from '../../src/model.ts';

describe('web app settings', () => {
  // Test that a share link round-trips every setting and omits the defaults.
  it('round-trips through the query string', () => {
    const q =
      'data=mnist&samples=2000&hidden=64%2C32&activation=tanh&loss=mse&lr=0.05&batchSize=64&epochs=3&seed=7&device=cpu';
    const { settings, errors } = parseSettings(new URLSearchParams(q));
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({
      data: 'mnist',
      samples: 2000,
      hidden: [64, 32],
      activation: 'tanh',
      loss: 'mse',
      lr: 0.05,
      batchSize: 64,
      epochs: 3,
      seed: 7,
      device: 'cpu',
    });
    expect(parseSettings(new URLSearchParams(settingsToQuery(settings))).settings).toEqual(settings);
    expect(settingsToQuery(DEFAULTS)).toBe('');
  });

  // Test that each bad field gets a message naming it and the value, and falls back to its default.
  it('names every bad value', () => {
    const { settings, errors } = parseSettings(
      new URLSearchParams('epochs=abc&hidden=16,x&lr=-1&data=iris&testSplit=1'),
    );
    expect(errors).toEqual([
      "data set must be one of spiral, moons, circles, xor, mnist, csv, got 'iris'",
      "test fraction must be a fraction in [0, 1), got '1'",
      "hidden layers: layer 2 must be a width in [1, 1048576], got 'x' (in '16,x')",
      "learning rate must be a number in (0, 100], got '-1'",
      "epochs must be an integer in [1, 100000], got 'abc'",
    ]);
    expect(settings).toEqual(DEFAULTS);
  });

  // Test that messages name each field as the form labels it (rows, not samples), and say which field
  // each belongs to, so the page can mark it.
  it('names bad fields by their form labels', () => {
    const html = readFileSync(new URL('../../index.html', import.meta.url), 'utf8');
    for (const key of KEYS) {
      const label = new RegExp(`<label[^>]*>\\s*([^<]*?)\\s*<(?:input|select) name="${key}"`).exec(html);
      expect(label?.[1], `the form's label of ${key}`).toBe(LABELS[key]);
    }
    const { errors, fields } = parseSettings(new URLSearchParams('samples=5&testSplit=2&keepProb=0&lr=0'));
    expect(errors).toEqual([
      "rows must be an integer in [10, 1000000], got '5'",
      "test fraction must be a fraction in [0, 1), got '2'",
      "learning rate must be a number in (0, 100], got '0'",
      "keep-prob must be a probability in (0, 1], got '0'",
    ]);
    expect(fields.map((f) => f.key)).toEqual(['samples', 'testSplit', 'lr', 'keepProb']);
  });

  // Test that the optimizer settings round-trip, reach the backend config, and bad ones are named.
  it('reads the optimizer and regularisation settings', () => {
    const { settings, errors } = parseSettings(
      new URLSearchParams('optimizer=rmsprop&beta1=0.5&beta2=0.95&l2=0.2&keepProb=0.6&seed=4'),
    );
    expect(errors).toEqual([]);
    expect(parseSettings(new URLSearchParams(settingsToQuery(settings))).settings).toEqual(settings);
    expect(trainConfig(settings)).toEqual({
      optimizer: 'rmsprop',
      beta1: 0.5,
      beta2: 0.95,
      l2: 0.2,
      keepProb: 0.6,
      dropoutSeed: 4,
    });
    expect(parseSettings(new URLSearchParams('optimizer=lbfgs&beta1=1&beta2=-0.1&l2=-1&keepProb=0')).errors).toEqual([
      "optimizer must be one of sgd, momentum, rmsprop, adam, got 'lbfgs'",
      "β1 must be a number in [0, 1), got '1'",
      "β2 must be a number in [0, 1), got '-0.1'",
      "L2 λ must be a number in [0, 1e6], got '-1'",
      "keep-prob must be a probability in (0, 1], got '0'",
    ]);
  });

  // Test that batch norm round-trips through the link (written only when on), reaches the model spec
  // only when on (as model files write it), and a bad value is named.
  it('reads the batch norm setting', () => {
    expect(DEFAULTS.batchNorm).toBe(false);
    const { settings, errors } = parseSettings(new URLSearchParams('batchNorm=true&hidden=8,4'));
    expect(errors).toEqual([]);
    expect(settings.batchNorm).toBe(true);
    expect(settingsToQuery(settings)).toBe('hidden=8%2C4&batchNorm=true');
    expect(parseSettings(new URLSearchParams(settingsToQuery(settings))).settings).toEqual(settings);
    expect(parseSettings(new URLSearchParams('batchNorm=false')).settings).toEqual(DEFAULTS);
    expect(modelSpecFor(settings, 2, 2)).toEqual({
      sizes: [2, 8, 4, 1],
      activation: 'relu',
      loss: 'bce',
      batchNorm: true,
    });
    expect(modelSpecFor(DEFAULTS, 784, 10)).toEqual({ sizes: [784, 32, 32, 10], activation: 'relu', loss: 'ce' });
    expect(parseSettings(new URLSearchParams('batchNorm=on')).errors).toEqual([
      "batch norm must be true or false, got 'on'",
    ]);
  });

  // Test that 'auto' picks BCE for two classes and CE otherwise, and BCE is refused for more classes.
  it('resolves the loss', () => {
    expect(resolveLoss('auto', 2)).toBe('bce');
    expect(resolveLoss('auto', 10)).toBe('ce');
    expect(() => resolveLoss('bce', 3)).toThrow('loss bce needs a data set with 2 classes, this one has 3');
  });

  // Test that a model past the adapter's limits is refused naming the buffer, before anything is allocated.
  it('checks buffers against the adapter limits', () => {
    const spec: ModelSpec = { sizes: [784, 100_000, 10], activation: 'relu', loss: 'ce' };
    const limits = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 };
    const run = { batchSize: 32, rows: { train: 8000, test: 2000, dev: 0 } };
    expect(() => checkFits(spec, undefined, 'gpu', limits, 'test adapter', run)).toThrow(
      "layer sizes [784,100000,10], batch 32: buffer 'params' needs 303.3 MiB, over test adapter's maxStorageBufferBindingSize of 128.0 MiB",
    );
    expect(checkFits({ ...spec, sizes: [784, 32, 10] }, undefined, 'gpu', limits, 'test adapter', run)).toEqual({
      name: 'train.x',
      bytes: 8000 * 784 * 4,
    });
    // Before any weights exist (createTrainer), the parameter buffer alone.
    expect(() => checkFits(spec, undefined, 'gpu', limits, 'test adapter')).toThrow(
      "layer sizes [784,100000,10]: buffer 'params' needs 303.3 MiB",
    );
    expect(formatBytes(1536)).toBe('1.50 KiB');
  });
});

describe('app predictions', () => {
  // Test that a batch-norm model predicts in inference mode: with running averages each row's
  // prediction is its own (the same alone as in a batch), which batch statistics would not give.
  it('uses the running averages of a batch-norm model', () => {
    const spec: ModelSpec = { sizes: [2, 6, 3], activation: 'tanh', loss: 'ce', batchNorm: true };
    const params = initParams(spec, 3);
    params[0]!.bn!.mean.set([0.3, -0.2, 0.1, 0, 0.5, -0.4]);
    params[0]!.bn!.var.set([2, 0.5, 1, 3, 0.8, 1.5]);
    const x = Float64Array.from({ length: 2 * 20 }, (_, i) => Math.sin(3 * i));
    const all = predict(spec, params, x, 20);
    for (let r = 0; r < 20; r++) {
      const one = predict(spec, params, x.slice(2 * r, 2 * r + 2), 1);
      expect(one.cls[0], `row ${r}`).toBe(all.cls[r]);
      expect(one.conf[0], `row ${r}`).toBeCloseTo(all.conf[r]!, 6);
    }
    expect(new Set(all.cls).size, 'rows should not all get one class').toBeGreaterThan(1);
  });
});

describe('runTraining control', () => {
  const spec: ModelSpec = { sizes: [2, 4, 1], activation: 'tanh', loss: 'bce' };
  const n = 64;
  const x = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: n }, (_, i) => (Math.sin(2 * i) > 0 ? 1 : 0));
  const backend = () =>
    CpuBackend.create({ spec, params: initParams(spec, 1), train: { x, y, n }, test: { x, y, n }, maxBatch: 8 });
  const opts = { epochs: 5, batchSize: 8, lr: 0.1, seed: 1, shuffle: true, evalEvery: 4 };

  // Test that shouldStop ends the run between steps with a summary of the steps done.
  it('stops between steps', async () => {
    let steps = 0;
    const control: LoopControl = { shouldStop: () => steps >= 11, waitIfPaused: () => Promise.resolve(void steps++) };
    const events: TrainEvent[] = [];
    const summary = await runTraining(backend(), n, n, opts, (e) => events.push(e), { control });
    expect(summary.steps).toBe(10);
    expect(events.filter((e) => e.type === 'epoch').length).toBe(1);
  });

  // Test that the loop takes no step while waitIfPaused is pending, and goes on when it resolves.
  it('waits while paused', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const gate = new Promise<void>((r) => (release = r));
    const control: LoopControl = {
      shouldStop: () => false,
      waitIfPaused: () => (++calls === 3 ? gate : Promise.resolve()),
    };
    const events: TrainEvent[] = [];
    const run = runTraining(backend(), n, n, opts, (e) => events.push(e), { control });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(3); // held before the third step
    release();
    expect((await run).steps).toBe(40);
  });
});
