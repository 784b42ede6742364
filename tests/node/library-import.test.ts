// The library's entry imports cleanly where there is no WebGPU (Node): no device request, no GPU global
// read at import time, and the CPU path works through the same API.
import { describe, expect, it } from 'vitest';

describe('library entry', () => {
  // Test that importing src/index.ts in Node, which has no navigator.gpu nor GPUBufferUsage, throws nothing
  // and that a CPU trainer trains, predicts, saves and reloads through the public API.
  it('imports without WebGPU and runs on the CPU', async () => {
    expect((globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage).toBeUndefined();
    const lib = await import('../../src/index.ts');
    const d = lib.splitDataset(lib.toyDataset('moons', 400, 1), { testSplit: 0.25, seed: 1 });
    const t = await lib.createTrainer({
      inputs: 2,
      hidden: [16, 16],
      classes: 2,
      device: 'cpu',
      optimizer: 'adam',
      normalize: 'standard',
    });
    const s = await t.fit(lib.labeled(d.train), { epochs: 30, batchSize: 32, lr: 0.01, test: lib.labeled(d.test) });
    expect(s.testAccuracy).toBeGreaterThanOrEqual(0.95);
    const p = await t.predict(d.test.x);
    const again = await lib.createTrainer({ model: lib.decodeModel(await t.save()), device: 'cpu' });
    expect((await again.predict(d.test.x)).values).toEqual(p.values);
    t.destroy();
    again.destroy();
  });

  // Test that device 'gpu' without WebGPU fails with a TrainerError that says to use the CPU.
  it("device 'gpu' without WebGPU is a 'no-webgpu' TrainerError", async () => {
    const lib = await import('../../src/index.ts');
    const err = await lib.createTrainer({ inputs: 2, classes: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(lib.TrainerError);
    expect((err as InstanceType<typeof lib.TrainerError>).code).toBe('no-webgpu');
    expect((err as Error).message).toMatch(/device: 'cpu'/);
  });

  // Test that bad input names what is wrong: rows of the wrong width, a label out of range.
  it('bad input is a bad-input TrainerError naming the problem', async () => {
    const lib = await import('../../src/index.ts');
    const t = await lib.createTrainer({ inputs: 3, classes: 4, device: 'cpu' });
    await expect(
      t.fit({ x: new Float32Array(7), labels: [0, 1] }, { epochs: 1, batchSize: 2, lr: 0.1 }),
    ).rejects.toThrow(/not a whole number of rows of 3 features/);
    await expect(
      t.fit({ x: new Float32Array(6), labels: [0, 4] }, { epochs: 1, batchSize: 2, lr: 0.1 }),
    ).rejects.toThrow(/label of row 1 is 4, expected an integer class in 0\.\.3/);
    await expect(t.predict([[1, 2]])).rejects.toThrow(/row 0 has 2 values, the model takes 3 features/);
    t.destroy();
  });
});

describe('fit options', () => {
  // Test that fit refuses options that cannot describe a run, naming the option and the value.
  it('bad fit options are bad-input TrainerErrors', async () => {
    const lib = await import('../../src/index.ts');
    const t = await lib.createTrainer({ inputs: 1, classes: 2, device: 'cpu' });
    const rows = { x: new Float32Array([0, 1]), labels: [0, 1] };
    await expect(t.fit(rows, { epochs: 0, batchSize: 2, lr: 0.1 })).rejects.toThrow(
      'fit: epochs must be an integer >= 1, got 0',
    );
    await expect(t.fit(rows, { epochs: 1, batchSize: 2.5, lr: 0.1 })).rejects.toThrow(
      'fit: batchSize must be an integer >= 1, got 2.5',
    );
    await expect(t.fit(rows, { epochs: 1, batchSize: 2, lr: -1 })).rejects.toThrow(
      'fit: lr must be a finite number > 0, got -1',
    );
    await expect(t.fit(rows, { epochs: 1, batchSize: 2, lr: 0.1, earlyStopping: 2 })).rejects.toThrow(
      'earlyStopping needs a dev set',
    );
    t.destroy();
  });
});

describe("a classifier trained with 'mse'", () => {
  // Test that a classifier with squared-error loss (one-hot targets, and a single 0/1 unit for two
  // classes) keeps class names, predicts classes the way evaluate counts them, and gives scores.
  it.each([3, 2])('%i classes: class names kept, predicted classes agree with evaluate', async (k) => {
    const lib = await import('../../src/index.ts');
    const d = lib.splitDataset(lib.toyDataset(k === 3 ? 'spiral' : 'moons', 300, 2), { testSplit: 0.3, seed: 2 });
    const classNames = Array.from({ length: k }, (_, c) => `class ${c}`);
    const t = await lib.createTrainer({
      inputs: 2,
      hidden: [16],
      classes: k,
      loss: 'mse',
      device: 'cpu',
      info: { classNames },
    });
    await t.fit(lib.labeled(d.train), { epochs: 5, batchSize: 32, lr: 0.1 });
    const p = await t.predict(d.test.x);
    expect(p.columns).toBe(k === 2 ? 1 : k);
    const correct = p.classes!.filter((c, i) => c === d.test.labels[i]).length;
    expect((await t.evaluate(lib.labeled(d.test))).accuracy).toBe(correct / d.test.n);
    expect(lib.decodeModel(await t.save()).info.classNames).toEqual(classNames);
    t.destroy();
  });
});
