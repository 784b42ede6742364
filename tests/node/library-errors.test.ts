// Every public function fails with a TrainerError and a code, in the library's words (issue 18).
import { describe, expect, it } from 'vitest';
import * as lib from '../../src/index.ts';

/** The error `f` throws (or its promise rejects with), checked to be a TrainerError 'bad-input'. */
async function badInput(f: () => unknown): Promise<string> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(lib.TrainerError);
  expect((err as InstanceType<typeof lib.TrainerError>).code).toBe('bad-input');
  return (err as Error).message;
}

describe('typed failures', () => {
  // Test that an unknown toy set name is a bad-input error naming the valid names, not undefined.
  it('toyDataset with an unknown name', async () => {
    const m = await badInput(() => lib.toyDataset('moon' as lib.SyntheticName, 100, 1));
    expect(m).toMatch(/'moon'.*'spiral', 'moons', 'circles', 'xor'/);
    expect(await badInput(() => lib.toyDataset('moons', 1, 1))).toMatch(/n must be an integer >= 2/);
  });

  // Test that fit without options (or without one of the three it needs) says what it needs.
  it('fit without options', async () => {
    const t = await lib.createTrainer({ inputs: 2, classes: 2, device: 'cpu' });
    const data = lib.labeled(lib.toyDataset('moons', 20, 1));
    const fit = t.fit.bind(t) as (d: lib.LabeledData, o?: unknown) => Promise<unknown>;
    expect(await badInput(() => fit(data))).toMatch(/fit: needs options \{ epochs, batchSize, lr \}/);
    expect(await badInput(() => fit(data, { lr: 0.1, batchSize: 4 }))).toMatch(/fit: needs epochs/);
    t.destroy();
  });

  // Test that predict takes Float64Array rows and refuses one flat row with what it wants.
  it('predict inputs', async () => {
    const t = await lib.createTrainer({ inputs: 2, classes: 2, device: 'cpu' });
    const rows = [0.5, -1, 2, 0.25];
    const want = await t.predict(Float32Array.from(rows));
    expect((await t.predict(Float64Array.from(rows))).values).toEqual(want.values);
    expect((await t.predict([rows.slice(0, 2), Float64Array.from(rows.slice(2))])).values).toEqual(want.values);
    const flat = t.predict.bind(t) as (x: unknown) => Promise<unknown>;
    expect(await badInput(() => flat([0, 1]))).toMatch(
      /an array of numbers, not of rows; give rows as .* \[\[0, 1\]\]/,
    );
    expect(await badInput(() => flat('0,1'))).toMatch(/x is string; give rows as a Float32Array or Float64Array/);
    t.destroy();
  });

  // Test that an unknown device name is a bad-input error naming the valid devices.
  it('createTrainer with an unknown device', async () => {
    const m = await badInput(() => lib.createTrainer({ inputs: 2, classes: 2, device: 'webgpu' as 'gpu' }));
    expect(m).toMatch(/device must be 'gpu', 'cpu', a GPUDevice or a GpuSession, got 'webgpu'/);
  });

  // Test that the readers, splitters and encoders throw TrainerErrors, not plain Errors.
  it('parseCsv, splitDataset, encodeOnnx and encodeModel', async () => {
    expect(await badInput(() => lib.parseCsv('', 'empty.csv'))).toMatch(/empty\.csv: empty file/);
    expect(await badInput(() => lib.parseCsv('a,b\n1,x\n', 'bad.csv'))).toMatch(/bad\.csv/);
    const d = lib.toyDataset('moons', 20, 1);
    expect(await badInput(() => lib.splitDataset(d, { testSplit: 1, seed: 1 }))).toMatch(/test fraction/);
    const split = lib.splitDataset as (d: unknown, o?: unknown) => unknown;
    expect(await badInput(() => split(d))).toMatch(/splitDataset: needs options/);
    const t = await lib.createTrainer({ inputs: 2, hidden: [3], classes: 2, device: 'cpu' });
    const spec = t.spec;
    const params = await t.getParams();
    expect(await badInput(() => lib.encodeOnnx(spec, []))).toMatch(/^onnx: /);
    expect(await badInput(() => lib.encodeOnnx(spec, params, { inputName: '' }))).toMatch(/must not be empty/);
    expect(await badInput(() => lib.encodeModel({ spec, params: [], info: {} }))).toMatch(/^encodeModel: /);
    t.destroy();
  });
});

describe('library words', () => {
  // Test that the library's messages name its options, not the command line's flags, and the CLI translates them.
  it('CSV messages name options; the CLI maps them to flags', async () => {
    const { inFlags } = await import('../../src/cli/common.ts');
    const m = await badInput(() => lib.parseCsv('name,b,label\nann,2,0\nbob,3,1\n', 't.csv'));
    expect(m).toMatch(/leave the column out with drop: \['name'\] \(or predict it with label: 'name'\)/);
    expect(m).not.toMatch(/--/);
    expect(inFlags(m)).toMatch(/leave the column out with --drop name \(or predict it with --label name\)/);
    const r = await badInput(() => lib.parseCsv('a,kind\n1,x\n2,y\n', 't.csv', { task: 'regression' }));
    expect(r).toMatch(/task: 'regression' needs numbers.*use task: 'classification' with one label column/);
    expect(inFlags(r)).toMatch(/--task regression needs numbers.*use --task classification with one label column/);
    const d = await badInput(() => lib.parseCsv('a,y\n1,0\n2,1\n', 't.csv', { drop: ['nope'] }));
    expect(inFlags(d)).toMatch(/t\.csv: --drop "nope": no such column/);
  });
});
