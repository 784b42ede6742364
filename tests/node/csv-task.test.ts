// task 'auto' on whole-number labels: classes only when they look like classes (issue 18, item 6).
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/data/csv.ts';
import { Rng } from '../../src/rng.ts';
import { TrainerError } from '../../src/index.ts';

/** A CSV with two features and a last column of the given whole numbers. */
const table = (labels: readonly number[], name = 'y') =>
  `a,b,${name}\n` + labels.map((l, i) => `${i % 7},${(i * 0.37).toFixed(2)},${l}`).join('\n') + '\n';

describe("task 'auto' on whole numbers", () => {
  // Test that a table shaped like scikit-learn's diabetes (442 rows, targets 25..346) reads as regression, with why.
  it('a diabetes-shaped target is regression', () => {
    const rng = new Rng(3);
    const y = Array.from({ length: 442 }, (_, i) => (i === 0 ? 25 : i === 1 ? 346 : 25 + (rng.nextU32() % 322)));
    const r = readCsv(table(y, 'progression'), 'diabetes.csv');
    expect(r.task).toBe('regression');
    expect(r.reason).toMatch(
      /the label column "progression" holds whole numbers 25\.\.346 that are not classes 0\.\.k−1 \(\d+ distinct values, with gaps\)/,
    );
    expect(r.dataset.y?.length).toBe(442);
    expect(r.dataset.targetNames).toEqual(['progression']);
  });

  // Test that negatives and gaps are regression, 0..k−1 are classes, and 1..k keeps its error naming the regression option.
  it('negatives and gaps are targets; 0..k−1 classes; 1..k an error naming regression', () => {
    expect(readCsv(table([-2, 0, 3, 1]), 'neg.csv').reason).toMatch(/negative whole numbers \(-2\.\.3\)/);
    expect(readCsv(table([0, 2, 5, 2]), 'gaps.csv').task).toBe('regression');
    expect(readCsv(table([0, 1, 2, 1, 0]), 'classes.csv')).toMatchObject({
      task: 'classification',
      dataset: { classes: 3 },
    });
    let err: unknown;
    try {
      readCsv(table([1, 2, 3, 2]), 'one-based.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as Error).message).toMatch(
      /no row has label 0 \(1-based labels\?\); for a numeric target, use task: 'regression'/,
    );
  });
});
