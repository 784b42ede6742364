import { describe, it, expect } from 'vitest';
import { normalize, parseCsv } from '../../src/data/csv.ts';
import type { Dataset } from '../../src/data/dataset.ts';

const GOOD = 'x1, x2 ,label\r\n1.5,-2,0\r\n 3e2 , .25 ,2\r\n0,0,1\r\n\r\n  \n';

describe('parseCsv', () => {
  // Test that a well-formed file with \r\n, padding and trailing blank lines parses to exact values.
  it('parses a good file exactly', () => {
    const d = parseCsv(GOOD, 'good.csv');
    expect(d).toMatchObject({ name: 'good.csv', n: 3, features: 2, classes: 3 });
    expect([...d.x]).toEqual([1.5, -2, 300, 0.25, 0, 0]);
    expect([...d.labels]).toEqual([0, 2, 1]);
  });

  // Test that a plain \n file with a label written as 1.0 parses.
  it('accepts integer-valued labels', () => {
    const d = parseCsv('a,y\n1,0\n2,1.0\n', 'int.csv');
    expect(d.classes).toBe(2);
    expect([...d.labels]).toEqual([0, 1]);
  });

  // Test that labels with a gap (a class that never appears) are refused, naming the missing classes.
  it('refuses gaps in the classes', () => {
    expect(() => parseCsv('a,y\n1,0\n2,3.0\n', 'gap.csv')).toThrow('gap.csv: labels must be 0..k-1 with every class present; the largest label is 3 but no row has label 1, 2');
    expect(() => parseCsv('a,y\n1,1\n2,2\n', 'onebased.csv')).toThrow(/no row has label 0 \(1-based labels\?\)/);
  });

  // Test that a leading byte-order mark does not end up in the first column name.
  it('ignores a UTF-8 BOM', () => {
    expect(parseCsv('\uFEFFa,y\n1,0\n2,1', 'bom.csv').n).toBe(2);
  });

  const bad: [string, string, RegExp][] = [
    ['an empty file', '', /empty\.csv: empty file/],
    ['a whitespace-only file', ' \r\n\n', /empty file/],
    ['a header only', 'a,b,label\n', /header only/],
    ['fewer than 2 columns', 'label\n0\n1\n', /line 1: need at least 2 columns/],
    ['an empty column name', 'a,,label\n1,2,0\n', /line 1: column 2 has an empty name/],
    ['a short (ragged) row', 'a,b,label\n1,2,0\n1,1\n', /line 3: expected 3 columns \(a,b,label\), got 2/],
    ['a long (ragged) row', 'a,b,label\n1,2,0,4\n', /line 2: expected 3 columns \(a,b,label\), got 4/],
    ['a blank line inside the data', 'a,label\n1,0\n\n2,1\n', /line 3: blank line inside the data/],
    ['a non-numeric cell', 'a,b,label\n1,2,0\n1,abc,1\n', /line 3, column "b": not a number: 'abc'/],
    ['a hex cell', 'a,label\n0x10,0\n1,1\n', /line 2, column "a": not a number: '0x10'/],
    ['an empty cell', 'a,b,label\n1,,0\n1,2,1\n', /line 2, column "b": empty cell/],
    ['a NaN cell', 'a,label\nNaN,0\n1,1\n', /line 2, column "a": value must be finite, got NaN/],
    ['an Inf cell', 'a,label\n1,0\n-inf,1\n', /line 3, column "a": value must be finite, got -inf/],
    ['a value overflowing float32', 'a,label\n1e39,0\n1,1\n', /line 2, column "a": value 1e39 does not fit in float32/],
    ['a fractional label', 'a,label\n1,0\n2,1.5\n', /line 3, column "label": label must be a non-negative integer, got 1.5/],
    ['a negative label', 'a,label\n1,0\n2,-1\n', /line 3, column "label": label must be a non-negative integer, got -1/],
    ['a huge label', 'a,label\n1,0\n2,123456\n', /line 3, column "label": label 123456 is too large/],
    ['a single class', 'a,label\n1,1\n2,1\n', /label column "label" needs at least 2 distinct classes, found only class 1/],
    ['a quoted data field', 'a,b,label\n1,"2,5",0\n', /line 2, column "b": quoted fields are not supported/],
    ['a quoted header', '"a",label\n1,0\n', /line 1, column 1: quoted fields are not supported/],
  ];
  for (const [what, text, message] of bad) {
    // Test that the parser rejects the file with a message naming where the problem is.
    it(`rejects ${what}`, () => {
      expect(() => parseCsv(text, 'empty.csv')).toThrow(message);
    });
  }
});

function ds(x: number[], features: number): Dataset {
  const n = x.length / features;
  return { name: 't', n, features, classes: 2, x: new Float32Array(x), labels: new Uint32Array(n) };
}

describe('normalize', () => {
  // Test that standardisation uses the train mean/std for both splits and leaves a constant column finite.
  it('standard: train statistics, constant column divided by 1', () => {
    const train = ds([1, 5, 3, 5], 2); // column 0: mean 2, std 1; column 1 constant 5
    const test = ds([4, 7], 2);
    const r = normalize(train, test, 'standard');
    expect([...r.train.x]).toEqual([-1, 0, 1, 0]);
    expect([...r.test.x]).toEqual([2, 2]);
    expect([...train.x]).toEqual([1, 5, 3, 5]); // inputs untouched
  });

  // Test that min-max scaling maps the train range to [0, 1] and applies the same map to test.
  it('minmax: train range, constant column divided by 1', () => {
    const r = normalize(ds([2, 1, 6, 1, 4, 1], 2), ds([10, 3], 2), 'minmax');
    expect([...r.train.x]).toEqual([0, 0, 1, 0, 0.5, 0]);
    expect([...r.test.x]).toEqual([2, 2]);
  });

  // Test that an empty test split is fine and mismatched feature counts are rejected.
  it('handles an empty test split and rejects mismatched widths', () => {
    expect(normalize(ds([1, 2], 1), ds([], 1), 'standard').test.n).toBe(0);
    expect(() => normalize(ds([1, 2], 1), ds([1, 2], 2), 'minmax')).toThrow(/train has 1 features but test has 2/);
  });
});
