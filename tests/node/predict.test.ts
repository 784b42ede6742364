// `npm run predict` as a user runs it: the test accuracy `npm run train` printed, found again from the
// model file alone; raw rows of a model trained with --normalize standard, in any column order.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { decodeModel } from '../../src/lib/model-file.ts';
import { events, runPredict, runTrain } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'predict-'));

// Moons moved far from the origin and stretched unevenly: without the stored normalisation a model
// would see nonsense.
const moons = syntheticDataset('moons', 400, 4);
const rows = Array.from({ length: moons.n }, (_, r) => [
  500 + 100 * moons.x[2 * r]!,
  -7 + 0.01 * moons.x[2 * r + 1]!,
  moons.labels[r]!,
]);
const data = join(dir, 'far-moons.csv');
writeFileSync(data, ['east,north,kind', ...rows.map((r) => r.join(','))].join('\n') + '\n');

describe('predict command', () => {
  const model = join(dir, 'm.safetensors');
  let trained: Record<string, unknown> | undefined;

  // Test that the model trained on the GPU by `npm run train` reproduces its printed test loss and
  // accuracy through `npm run predict --split test`, from the model file alone.
  it('reproduces the test figures train printed', () => {
    const t = runTrain([
      '--data',
      data,
      '--hidden',
      '16,16',
      '--epochs',
      '40',
      '--batch-size',
      '32',
      '--lr',
      '0.3',
      '--normalize',
      'standard',
      '--save',
      model,
      '--json',
    ]);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    trained = events(t.stdout).find((e) => e.type === 'summary');
    expect(trained?.testAccuracy).toBeGreaterThan(0.95);
    const info = decodeModel(new Uint8Array(readFileSync(model))).info;
    expect(info.featureNames).toEqual(['east', 'north']);
    expect(info.labelName).toBe('kind');
    expect(info.normalization?.method).toBe('standard');
    const p = runPredict(['--model', model, '--split', 'test', '--json']);
    expect(p.stderr).toBe('');
    const summary = events(p.stdout).find((e) => e.type === 'summary')!;
    expect(summary.rows).toBe(80);
    expect(summary.accuracy).toBe(trained!.testAccuracy);
    // float32 GPU evaluation against the float64 reference: the tolerance rule's value bounds.
    expect(Math.abs((summary.loss as number) - (trained!.testLoss as number))).toBeLessThanOrEqual(
      1e-6 + 1e-3 * (trained!.testLoss as number),
    );
  });

  // Test that raw rows without labels, columns in another order and an extra column, get the predictions
  // of the labelled file (the stored statistics are applied), and that a missing column is named.
  it('predicts raw rows with the stored normalisation, columns matched by name', () => {
    expect(trained).toBeDefined();
    const shuffled = join(dir, 'raw.csv');
    writeFileSync(shuffled, ['id,north,east', ...rows.map((r, i) => `${i},${r[1]},${r[0]}`)].join('\n') + '\n');
    const out = join(dir, 'preds.csv');
    const p = runPredict(['--model', model, '--data', shuffled, '--out', out]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('prediction,0,1');
    const predicted = lines.slice(1).map((l) => Number(l.split(',')[0]));
    const correct = predicted.filter((c, i) => c === rows[i]![2]).length;
    expect(correct / rows.length).toBeGreaterThan(0.95);
    const all = events(runPredict(['--model', model, '--split', 'all', '--json']).stdout).find(
      (e) => e.type === 'summary',
    )!;
    expect(all.accuracy).toBe(correct / rows.length);

    const missing = join(dir, 'missing.csv');
    writeFileSync(missing, 'north,height\n1,2\n');
    const bad = runPredict(['--model', model, '--data', missing]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/missing the model's feature column "east"/);
  });
});
