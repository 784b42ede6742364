// Classification metrics: a hand-checked confusion matrix with precision, recall and F1 (a class never
// predicted has precision 0), evaluate() giving them for a classifier (consistent with its accuracy and
// with predict's classes), and the CLI's --json summary carrying them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classificationMetrics, createTrainer, labeled, splitDataset, toyDataset } from '../../src/index.ts';
import { Rng } from '../../src/rng.ts';
import { events, runTrain } from './cli.ts';

describe('classificationMetrics', () => {
  // Test that known predictions give the confusion matrix and P/R/F1 worked out by hand, with class 2
  // never predicted (precision defined as 0, so F1 0) and the macro figures the plain means.
  it('matches a hand-checked case', () => {
    const truth = [0, 0, 0, 1, 1, 2, 2, 2];
    const predicted = [0, 0, 1, 1, 1, 0, 1, 1];
    const m = classificationMetrics(truth, predicted, 3);
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 2, 0],
      [1, 2, 0],
    ]);
    // class 0: TP 2, predicted 3, support 3; class 1: TP 2, predicted 5, support 2; class 2: TP 0.
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    const want = [
      { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
      { precision: 2 / 5, recall: 1, f1: f1(2 / 5, 1), support: 2 },
      { precision: 0, recall: 0, f1: 0, support: 3 },
    ];
    m.perClass.forEach((c, i) => {
      const w = want[i]!;
      expect(c.support).toBe(w.support);
      expect(c.precision).toBeCloseTo(w.precision, 12);
      expect(c.recall).toBeCloseTo(w.recall, 12);
      expect(c.f1).toBeCloseTo(w.f1, 12);
    });
    expect(m.macro.precision).toBeCloseTo((2 / 3 + 2 / 5) / 3, 12);
    expect(m.macro.recall).toBeCloseTo((2 / 3 + 1) / 3, 12);
    expect(m.macro.f1).toBeCloseTo((2 / 3 + f1(2 / 5, 1)) / 3, 12);
  });
});

describe('evaluate on a classifier', () => {
  // Test that evaluate() (device 'cpu') of a trained classifier has a confusion matrix whose rows are
  // the true classes' counts and whose diagonal agrees with its accuracy and with predict's classes,
  // for the fit's own test split and for other rows.
  it('gives the confusion matrix and per-class metrics', async () => {
    const d = splitDataset(toyDataset('moons', 300, 1), { testSplit: 0.3, seed: 1 });
    const t = await createTrainer({ inputs: 2, hidden: [8], classes: 2, device: 'cpu', normalize: 'standard' });
    const test = labeled(d.test);
    await t.fit(labeled(d.train), { epochs: 5, batchSize: 32, lr: 0.1, test });
    const predicted = (await t.predict(d.test.x)).classes!;
    for (const rows of [test, { x: d.test.x, labels: d.test.labels }]) {
      const e = await t.evaluate(rows);
      const c = e.classification!;
      expect(c.confusion.map((r) => r.reduce((a, b) => a + b, 0))).toEqual(
        [0, 1].map((k) => Array.from(d.test.labels!).filter((l) => l === k).length),
      );
      expect((c.confusion[0]![0]! + c.confusion[1]![1]!) / e.rows).toBeCloseTo(e.accuracy, 12);
      const want = [0, 1].map((tc) =>
        [0, 1].map((pc) => d.test.labels!.filter((l, i) => l === tc && predicted[i] === pc).length),
      );
      expect(c.confusion).toEqual(want);
      expect(c.perClass).toHaveLength(2);
      expect(c.macro.f1).toBeGreaterThan(0);
    }
    t.destroy();
  });
});

describe('train command: classification metrics', () => {
  const args = ['--hidden', '8', '--epochs', '5', '--lr', '0.3', '--device', 'cpu'];

  // Test that --json's summary line (the last) carries the test split's confusion matrix and per-class
  // and macro precision, recall and F1, consistent with its test accuracy.
  it('--device cpu --json has a classification field', () => {
    const r = runTrain(['--data', 'moons', '--samples', '200', ...args, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    const summary = ev[ev.length - 1]!;
    expect(summary.type).toBe('summary');
    expect(ev.filter((e) => e.type === 'summary')).toHaveLength(1);
    const c = summary.classification as { confusion: number[][]; perClass: { support: number }[]; macro: object };
    expect(c.perClass).toHaveLength(2);
    expect(Object.keys(c.macro).sort()).toEqual(['f1', 'precision', 'recall']);
    const rows = c.confusion.flat().reduce((a, b) => a + b, 0);
    expect(c.perClass.reduce((a, m) => a + m.support, 0)).toBe(rows);
    expect((c.confusion[0]![0]! + c.confusion[1]![1]!) / rows).toBeCloseTo(summary.testAccuracy as number, 12);
  });

  // Test that a CSV run prints the per-class table with the data's class names, the macro line and
  // the confusion matrix.
  it('prints the per-class table with class names', () => {
    const rng = new Rng(3);
    const csv = join(mkdtempSync(join(tmpdir(), 'classes-')), 'pets.csv');
    const lines = Array.from({ length: 120 }, (_, i) => {
      const c = i % 3;
      return `${(c + 0.3 * rng.normal()).toFixed(3)},${(0.3 * rng.normal()).toFixed(3)},${['cat', 'dog', 'hamster'][c]}`;
    });
    writeFileSync(csv, ['a,b,pet', ...lines].join('\n') + '\n');
    const r = runTrain(['--data', csv, ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test classes \(precision = /);
    expect(r.stdout).toMatch(/^ {2}class +precision +recall +F1 +support$/m);
    for (const name of ['cat', 'dog', 'hamster', 'macro'])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +\\d\\.\\d{3} +\\d\\.\\d{3} +\\d\\.\\d{3}`, 'm'));
    expect(r.stdout).toMatch(
      /confusion matrix \(rows = true class, columns = predicted\):\n +cat +dog +hamster\n {2}cat /,
    );
  });
});
