// Units of a regression model's metrics: with several standardised targets of very different scales,
// evaluate() gives each target's RMSE, MAE and R² in that target's own units, and the pooled figures
// under `pooled`, named with the units they are in.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrainer, type TargetMetrics } from '../../src/index.ts';
import { Rng } from '../../src/rng.ts';
import { events, runPredict, runTrain } from './cli.ts';

const rng = new Rng(11);
const n = 200;
const x = Float32Array.from({ length: n * 2 }, () => rng.next() * 2 - 1);
// Target 0 of order 1, target 1 of order 1000 (a mean of 5000 too), both from the two inputs.
const y = new Float32Array(n * 2);
for (let r = 0; r < n; r++) {
  const [a, b] = [x[2 * r]!, x[2 * r + 1]!];
  y[2 * r] = Math.sin(2 * a) + 0.5 * b + 0.05 * rng.normal();
  y[2 * r + 1] = 5000 + 1000 * (a * b - 0.3 * a) + 50 * rng.normal();
}

/** RMSE, MAE and R² of column j of predictions p against y (both [n][2]), in float64. */
function byHand(p: ArrayLike<number>, j: number) {
  let sse = 0;
  let sae = 0;
  let mean = 0;
  for (let r = 0; r < n; r++) {
    const e = p[2 * r + j]! - y[2 * r + j]!;
    sse += e * e;
    sae += Math.abs(e);
    mean += y[2 * r + j]!;
  }
  mean /= n;
  let sst = 0;
  for (let r = 0; r < n; r++) sst += (y[2 * r + j]! - mean) ** 2;
  return { rmse: Math.sqrt(sse / n), mae: sae / n, r2: 1 - sse / sst };
}

describe('regression metrics per target, in their units', () => {
  // Test that each target's RMSE and MAE equal a float64 computation from predict()'s values against the
  // raw targets (to predict's float32 rounding), that the large target's RMSE is in its units (hundreds,
  // not a standardised fraction), and that the pooled figures are named as standardised.
  it('two standardised targets, scales 1 and 1000', async () => {
    const t = await createTrainer({
      inputs: 2,
      hidden: [16],
      outputs: 2,
      normalize: 'standard',
      normalizeTarget: true,
      optimizer: 'adam',
      device: 'cpu',
      info: { targetNames: ['small', 'large'] },
    });
    try {
      await t.fit({ x, y }, { epochs: 5, batchSize: 32, lr: 0.01 });
      const e = await t.evaluate({ x, y });
      const p = (await t.predict(x)).values;
      expect(e.targets?.map((m) => m.name)).toEqual(['small', 'large']);
      for (const j of [0, 1]) {
        const want = byHand(p, j);
        const got = e.targets![j]!;
        for (const k of ['rmse', 'mae', 'r2'] as const)
          expect(Math.abs(got[k] - want[k]), `${k} of target ${j}: ${got[k]} vs ${want[k]}`).toBeLessThanOrEqual(
            1e-6 * Math.max(1, Math.abs(want[k])),
          );
      }
      expect(e.targets![1]!.rmse).toBeGreaterThan(50); // the ×1000 target's error in its own units
      expect(e.targets![1]!.rmse / e.targets![0]!.rmse).toBeGreaterThan(100);
      expect(e.pooled?.units).toBe('standardised');
      expect(e.pooled!.rmse).toBeLessThan(2); // standardised: a fraction of a standard deviation
      // Several targets have no common unit: no single RMSE or MAE, R² pooled.
      expect(e.rmse).toBeUndefined();
      expect(e.mae).toBeUndefined();
      expect(e.r2).toBe(e.pooled!.r2);
    } finally {
      t.destroy();
    }
  });

  // Test that with one standardised target rmse and mae are the target's, in its units, and agree with
  // the per-target figure (to the float32 rounding of the standardised targets the loss's sums use) and
  // the pooled one (units 'targets').
  it('one standardised target', async () => {
    const y1 = Float32Array.from({ length: n }, (_, r) => y[2 * r + 1]!);
    const t = await createTrainer({ inputs: 2, hidden: [8], outputs: 1, normalizeTarget: true, device: 'cpu' });
    try {
      await t.fit({ x, y: y1 }, { epochs: 3, batchSize: 32, lr: 0.01 });
      const e = await t.evaluate({ x, y: y1 });
      expect(e.pooled?.units).toBe('targets');
      expect(e.rmse).toBe(e.pooled!.rmse);
      expect(e.rmse!).toBeGreaterThan(50);
      expect(Math.abs(e.targets![0]!.rmse - e.rmse!)).toBeLessThanOrEqual(1e-6 * e.rmse!);
      expect(Math.abs(e.targets![0]!.mae - e.mae!)).toBeLessThanOrEqual(1e-6 * e.mae!);
    } finally {
      t.destroy();
    }
  });

  // Test that `npm run train` with two label columns prints each target's figures in its units after the
  // run and puts them in the --json summary, and that predict on the saved model's test split gives the
  // same per-target figures.
  it('the CLI reports each target in its units', () => {
    const dir = mkdtempSync(join(tmpdir(), 'target-units-'));
    const csv = join(dir, 'two.csv');
    const lines = Array.from({ length: n }, (_, r) => [x[2 * r], x[2 * r + 1], y[2 * r], y[2 * r + 1]].join(','));
    writeFileSync(csv, ['a,b,small,large', ...lines].join('\n') + '\n');
    const model = join(dir, 'two.safetensors');
    const args = ['--data', csv, '--label', 'small,large', '--normalize-target', '--hidden', '8', '--epochs', '3'];
    const common = [...args, '--batch-size', '32', '--lr', '0.01', '--optimizer', 'adam', '--device', 'cpu'];
    const j = runTrain([...common, '--json', '--save', model]);
    expect(j.stderr).toBe('');
    const targets = events(j.stdout).at(-1)!.targets as TargetMetrics[];
    expect(targets.map((t) => t.name)).toEqual(['small', 'large']);
    expect(targets[1]!.rmse).toBeGreaterThan(50);
    const text = runTrain(common);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/final: train loss [\d.]+ \(pooled, standardised\) RMSE/);
    expect(text.stdout).toContain('test targets, each in its own units:');
    expect(text.stdout).toMatch(new RegExp(`\\n  large +${targets[1]!.rmse.toPrecision(4)} `));
    const p = runPredict(['--model', model, '--split', 'test', '--json']);
    expect(p.stderr).toBe('');
    expect(events(p.stdout).at(-1)!.targets).toEqual(targets);
  });
});
