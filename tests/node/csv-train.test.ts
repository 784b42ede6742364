// Real data as people have it, through `npm run train` and `npm run predict`: an iris-like CSV (quoted
// header, CRLF, a text class column, an id column) and a regression CSV of a known function.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/lib/model-file.ts';
import { Rng } from '../../src/rng.ts';
import { events, runPredict, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'csv-train-'));

// Iris-like: three species as Gaussian clusters in four measurements, 50 rows each, shuffled; a quoted
// header with spaces, CRLF line ends, an id column, some quoted species names.
const rng = new Rng(5);
const centres: Record<string, number[]> = {
  setosa: [5.0, 3.4, 1.5, 0.2],
  versicolor: [5.9, 2.8, 4.3, 1.3],
  virginica: [6.6, 3.0, 5.6, 2.0],
};
const irisRows = Object.entries(centres).flatMap(([species, c]) =>
  Array.from({ length: 50 }, () => [...c.map((m) => (m + 0.25 * rng.normal()).toFixed(2)), species]),
);
const order = rng.permutation(irisRows.length);
const iris = join(dir, 'iris.csv');
writeFileSync(
  iris,
  [
    '"id","sepal length","sepal width","petal length","petal width","species"',
    ...Array.from(order, (r, i) =>
      [String(i), ...irisRows[r]!.slice(0, 4), i % 2 ? `"${irisRows[r]![4]}"` : irisRows[r]![4]!].join(','),
    ),
  ].join('\r\n') + '\r\n',
);

// y = sin(x1) + 0.5·x2² + noise (σ 0.1), 3000 rows.
const fnRows = Array.from({ length: 3000 }, () => {
  const x1 = rng.next() * 6 - 3;
  const x2 = rng.next() * 4 - 2;
  return [x1.toFixed(4), x2.toFixed(4), (Math.sin(x1) + 0.5 * x2 * x2 + 0.1 * rng.normal()).toFixed(5)];
});
const fn = join(dir, 'fn.csv');
writeFileSync(fn, ['x1,x2,y', ...fnRows.map((r) => r.join(','))].join('\n') + '\n');

describe('CSV data from the command line', () => {
  // Test that a CSV with a quoted header, CRLF and a text class column trains from the CLI, and the class
  // names appear in the output, in the saved model's metadata and in predict's report.
  it('iris-like: text classes, quoted header, CRLF', () => {
    const model = join(dir, 'iris.safetensors');
    const r = runTrain([
      '--data',
      iris,
      '--drop',
      'id',
      '--hidden',
      '16',
      '--epochs',
      '60',
      '--batch-size',
      '16',
      '--lr',
      '0.1',
      '--normalize',
      'standard',
      '--device',
      'cpu',
      '--save',
      model,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('task: classification (auto: text labels in "species")');
    expect(r.stdout).toContain('classes: setosa=0, versicolor=1, virginica=2');
    expect(r.stdout).toMatch(/model \[4,16,3\] relu hidden, softmax \+ CE output/);
    const acc = Number(/final: .* \| test loss [\d.]+ acc ([\d.]+)%/.exec(r.stdout)?.[1]);
    expect(acc).toBeGreaterThan(90);
    const info = decodeModel(new Uint8Array(readFileSync(model))).info;
    expect(info.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(info.featureNames).toEqual(['sepal length', 'sepal width', 'petal length', 'petal width']);
    expect(info.labelName).toBe('species');
    expect(info.trainedWith?.drop).toBe('id');
    // predict reads the same file by the model's names: text labels map to the model's classes.
    const out = join(dir, 'iris-preds.csv');
    const p = runPredict(['--model', model, '--split', 'test', '--out', out]);
    expect(p.stderr).toBe('');
    expect(p.stdout).toMatch(new RegExp(`accuracy ${acc.toFixed(2)}%`));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('prediction,setosa,versicolor,virginica');
    expect(lines.slice(1).every((l) => /^(setosa|versicolor|virginica),/.test(l))).toBe(true);
  });

  // Test that regression on y = sin(x1) + 0.5·x2² + noise reaches test R² >= 0.95 through `npm run train`
  // on the GPU (task chosen automatically), and predict on the saved model reports the same test figures
  // in the targets' units.
  it('regression of a known function: test R² >= 0.95 on the GPU, the same through predict', () => {
    const model = join(dir, 'fn.safetensors');
    const r = runTrain(
      [
        '--data',
        fn,
        '--hidden',
        '32,32',
        '--activation',
        'tanh',
        '--optimizer',
        'adam',
        '--lr',
        '0.01',
        '--epochs',
        '40',
        '--batch-size',
        '32',
        '--normalize',
        'standard',
        '--normalize-target',
        '--matmul',
        'blocked',
        '--json',
        '--save',
        model,
      ],
      400_000,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev.find((e) => e.type === 'data')).toEqual({
      type: 'data',
      task: 'regression',
      reason: 'auto: the label column "y" holds non-integer numbers',
      targetNames: ['y'],
    });
    expect(
      ev.some(
        (e) =>
          e.type === 'progress' && typeof e.r2 === 'number' && typeof e.rmse === 'number' && typeof e.mae === 'number',
      ),
    ).toBe(true);
    const summary = ev.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', device: 'gpu', trainAccuracy: null, testAccuracy: null });
    expect(summary.testR2).toBeGreaterThanOrEqual(0.95);
    expect(summary.trainR2).toBeGreaterThanOrEqual(0.95);
    expect(summary.testRmse).toBeLessThan(0.3); // in y's units: the noise alone is 0.1
    expect(summary.testMae).toBeLessThan(summary.testRmse as number);
    const info = decodeModel(new Uint8Array(readFileSync(model))).info;
    expect(info).toMatchObject({ task: 'regression', targetNames: ['y'], featureNames: ['x1', 'x2'] });
    expect(info.targetNormalization?.scale[0]).toBeGreaterThan(0.5);
    const p = runPredict(['--model', model, '--split', 'test', '--json']);
    expect(p.stderr).toBe('');
    const pe = events(p.stdout);
    const ps = pe.find((e) => e.type === 'summary')!;
    expect(ps.rows).toBe(600);
    // The float64 reference against the GPU's float32: the tolerance rule's value bounds.
    for (const k of ['rmse', 'mae', 'r2'] as const) {
      const want = summary[`test${k === 'r2' ? 'R2' : k[0]!.toUpperCase() + k.slice(1)}`] as number;
      expect(Math.abs((ps[k] as number) - want), k).toBeLessThanOrEqual(1e-6 + 1e-3 * Math.abs(want));
    }
    // Predictions are in y's units: their mean is near the targets' mean (about 0.67 + 0.5·4/3).
    const values = pe.filter((e) => e.type === 'prediction').map((e) => (e.values as number[])[0]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(1.5);
  });
});
