import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { readCsvFile } from '../../src/data/csv-file.ts';
import { CsvReader, parseCsv, readCsv, type CsvOptions } from '../../src/data/csv.ts';
import { applyNormalization, fitNormalization } from '../../src/lib/data.ts';

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
    expect(() => parseCsv('a,y\n1,0\n2,3.0\n', 'gap.csv', { task: 'classification' })).toThrow(
      'gap.csv: labels must be 0..k-1 with every class present; the largest label is 3 but no row has label 1, 2',
    );
    expect(() => parseCsv('a,y\n1,1\n2,2\n', 'onebased.csv')).toThrow(/no row has label 0 \(1-based labels\?\)/);
  });

  // Test that task 'auto' reads whole numbers with gaps as a numeric target (issue 18), not as classes.
  it('reads gaps as a target under task auto', () => {
    expect(readCsv('a,y\n1,0\n2,3.0\n', 'gap.csv').task).toBe('regression');
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
    [
      'a single class',
      'a,label\n1,1\n2,1\n',
      /label column "label" needs at least 2 distinct classes, found only class 1/,
    ],
    ['a quoted field that is not a number', 'a,b,label\n1,2,0\n1,"2,5",0\n', /line 3, column "b": not a number: '2,5'/],
    [
      'a text feature column',
      'name,b,label\nann,2,0\nbob,3,1\n',
      /line 2, column "name": text in a feature column \('ann'\): features must be numbers; leave the column out with drop: \['name'\]/,
    ],
    ['an unterminated quote', 'a,b,label\n1,2,0\n3,"4,1\n5,6,0\n', /line 3: a quoted field is never closed/],
    ['a duplicate column name', 'a,b,a\n1,2,0\n', /line 1: column 3 has the same name as column 1 \("a"\)/],
  ];
  // Whole numbers that are not classes 0..k−1 are a target under task 'auto' (issue 18); as classes they fail.
  const badClasses: [string, string, RegExp][] = [
    [
      'a negative label',
      'a,label\n1,0\n2,-1\n',
      /line 3, column "label": label must be a non-negative integer, got -1/,
    ],
    ['a huge label', 'a,label\n1,0\n2,123456\n', /line 3, column "label": label 123456 is too large/],
  ];
  for (const [what, text, message] of badClasses) {
    // Test that task 'classification' rejects the labels with a message naming the line.
    it(`rejects ${what} as a class`, () => {
      expect(() => parseCsv(text, 'empty.csv', { task: 'classification' })).toThrow(message);
    });
  }
  for (const [what, text, message] of bad) {
    // Test that the parser rejects the file with a message naming where the problem is.
    it(`rejects ${what}`, () => {
      expect(() => parseCsv(text, 'empty.csv')).toThrow(message);
    });
  }

  // Test that a non-integer label is a regression target by default and an error under --task classification.
  it('non-integer labels: regression (auto) or an error naming the line (classification)', () => {
    const r = readCsv('a,label\n1,0\n2,1.5\n', 'frac.csv');
    expect(r.task).toBe('regression');
    expect(r.reason).toMatch(/"label" holds non-integer numbers \(line 3: 1\.5\)/);
    expect([...r.dataset.y!]).toEqual([0, 1.5]);
    expect(() => parseCsv('a,label\n1,0\n2,1.5\n', 'frac.csv', { task: 'classification' })).toThrow(
      /frac\.csv line 3, column "label": label must be a non-negative integer, got 1\.5/,
    );
  });

  // Test that a quoted header and quoted numbers parse.
  it('quoted header and cells', () => {
    const d = parseCsv('"a","b c",label\n"1"," 2.5 ",0\n3,4,"1"\n', 'q.csv');
    expect(d.featureNames).toEqual(['a', 'b c']);
    expect([...d.x]).toEqual([1, 2.5, 3, 4]);
    expect([...d.labels]).toEqual([0, 1]);
  });
});

describe('parseCsv: RFC 4180 and real files', () => {
  // Test that quoted fields keep delimiters, doubled quotes and line breaks, with a quoted header, CRLF and a BOM.
  it('quotes, CRLF, BOM', () => {
    const text =
      '\uFEFF"sepal length","note, free",species\r\n5.1,"a ""quoted"" word",setosa\r\n"6.2","two\r\nlines",virginica\r\n4.9,x,setosa\r\n';
    const r = readCsv(text, 'q.csv', { drop: ['note, free'] });
    expect(r.dataset.featureNames).toEqual(['sepal length']);
    expect([...r.dataset.x]).toEqual([Math.fround(5.1), Math.fround(6.2), Math.fround(4.9)]);
    expect(r.dataset.classNames).toEqual(['setosa', 'virginica']);
    expect([...r.dataset.labels]).toEqual([0, 1, 0]);
    expect(r.task).toBe('classification');
  });

  // Test that error lines stay physical lines when a quoted field spans several.
  it('physical line numbers after a multi-line field', () => {
    const text = 'note,b,label\n"one\ntwo\nthree",1,0\nok,2,1\n"x, y",3\n';
    expect(() => parseCsv(text, 'ml.csv', { drop: ['note'] })).toThrow(
      /^ml\.csv line 6: expected 3 columns \(note,b,label\), got 2$/,
    );
    const crlf = 'note,b,label\r\n"one\r\ntwo",1,0\r\nok,zz,1\r\n';
    expect(() => parseCsv(crlf, 'ml.csv', { drop: ['note'] })).toThrow(
      /^ml\.csv line 4, column "b": not a number: 'zz'$/,
    );
  });

  // Test that ';' and tab are sniffed, a ',' inside a ';' file's cells is not taken for the delimiter, and a delimiter can be forced.
  it('delimiters: sniffed and forced', () => {
    expect([...parseCsv('a;b;label\n1;2;0\n3;4;1\n', 's.csv').x]).toEqual([1, 2, 3, 4]);
    expect([...parseCsv('a\tb\tlabel\n1\t2\t0\n3\t4\t1\n', 't.tsv').x]).toEqual([1, 2, 3, 4]);
    expect(readCsv('a;b;label\n"1,5";2;0\n3;4;1\n', 's.csv', { drop: ['a'] }).delimiter).toBe(';');
    expect(() => parseCsv('a;b;label\n1;2;0\n3;4;1\n', 's.csv', { delimiter: ',' })).toThrow(
      /line 1: need at least 2 columns/,
    );
    expect([...parseCsv('a|b|label\n1|2|0\n3|4|1\n', 'p.csv', { delimiter: '|' }).labels]).toEqual([0, 1]);
  });

  // Test that a label picks a column by name or 0-based index (negative from the end), several labels are
  // regression targets, drop leaves columns out, and a missing column lists the columns there are.
  it('choosing columns', () => {
    const text = 'id,y,a,b,z\n7,0,1.5,2,0.25\n8,1,3,4,0.5\n';
    const byName = parseCsv(text, 'c.csv', { label: 'y', drop: ['id'] });
    expect(byName.featureNames).toEqual(['a', 'b', 'z']);
    expect([...byName.labels]).toEqual([0, 1]);
    expect(parseCsv(text, 'c.csv', { label: 1, drop: [0] }).featureNames).toEqual(['a', 'b', 'z']);
    expect(parseCsv(text, 'c.csv', { label: -1, drop: ['id'] }).y).toEqual(new Float32Array([0.25, 0.5]));
    const two = readCsv(text, 'c.csv', { label: ['z', 'b'], drop: ['id'] });
    expect(two.task).toBe('regression');
    expect(two.dataset.targetNames).toEqual(['z', 'b']);
    expect([...two.dataset.y!]).toEqual([0.25, 2, 0.5, 4]);
    expect(() => parseCsv(text, 'c.csv', { label: 'kind' })).toThrow(
      'c.csv: no label column "kind" (the columns are id, y, a, b, z)',
    );
    expect(() => parseCsv(text, 'c.csv', { label: 9 })).toThrow(/no label column 9: 5 columns, indices 0\.\.4/);
    expect(() => parseCsv(text, 'c.csv', { drop: ['nope'] })).toThrow(
      /drop "nope": no such column \(the columns are id, y, a, b, z\)/,
    );
  });

  // Test that text classes are numbered in sorted order, known class names map by name, and regression on text is refused.
  it('text class labels', () => {
    const d = parseCsv('x,kind\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n', 'k.csv');
    expect(d.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([...d.labels]).toEqual([2, 0, 1, 0]);
    expect(d.classes).toBe(3);
    expect(() => parseCsv('x,kind\n1,a\n2,b\n', 'k.csv', { task: 'regression' })).toThrow(
      /task: 'regression' needs numbers, but the label column "kind" holds text/,
    );
    expect(() => parseCsv('x,kind\n1,a\n2,a\n', 'k.csv')).toThrow(
      /needs at least 2 distinct classes, found only class 'a'/,
    );
    const known = parseCsv('x,kind\n1,b\n2,a\n', 'k.csv', { classNames: ['b', 'a'] });
    expect([...known.labels]).toEqual([0, 1]);
    expect(() => parseCsv('x,kind\n1,b\n2,c\n', 'k.csv', { classNames: ['b', 'a'] })).toThrow(
      /line 3, column "kind": unknown class 'c' \(the model knows b, a\)/,
    );
  });

  // Test that the reader gives the same data set however the text is cut into pushes (a stream's chunks),
  // quoted multi-line fields across the cuts included.
  it('chunk boundaries do not matter', () => {
    const rows = Array.from(
      { length: 300 },
      (_, r) => `${r * 0.5},"c, ${r}\nnext",${r % 3 === 0 ? 'a' : r % 3 === 1 ? '"b ""x"""' : 'c'}`,
    );
    const text = 'v,"t",k\r\n' + rows.join('\r\n') + '\r\n';
    const o: CsvOptions = { drop: ['t'] };
    const whole = parseCsv(text, 'w.csv', o);
    for (const piece of [1, 7, 64, 1000]) {
      const r = new CsvReader('w.csv', o);
      for (let i = 0; i < text.length; i += piece) r.push(text.slice(i, i + piece));
      expect(r.end().dataset).toEqual(whole);
    }
    expect(whole.classNames).toEqual(['a', 'b "x"', 'c']);
    expect(whole.n).toBe(300);
    const papa = new CsvReader('w.csv', o, undefined, false);
    papa.push(text);
    expect(papa.end().dataset).toEqual(whole);
  });

  // Test that a file without quotes (scanned without papaparse's strings) reads exactly as papaparse
  // reads it: values, text classes, CRLF, blank last lines, and the errors with their lines.
  it('the quote-free scan equals papaparse', () => {
    const read = (text: string, scan: boolean, o: CsvOptions = {}) => {
      const r = new CsvReader('p.csv', o, undefined, scan);
      r.push(text);
      try {
        return r.end();
      } catch (e) {
        return e;
      }
    };
    const texts = [
      'a;b;kind\r\n1.25;-3;cat\r\n+.5;7e-3;dog\r\n0.000001;-0;cat\r\n12345678901234567890;1.;dog\r\n\r\n',
      'a,b,label\n1,2,0\n 3 ,4.5,1\n5,6,2\n',
      'a,b,label\n1,2,0\n3,0x1F,1\n',
      'a,b,label\n1,2,0\n\n3,4,1\n',
      'a,b,label\n1,2,0\n3,4\n',
      'a,b,label\n1,2,0\n3,,1\n',
      'a,b,label\n1,2,0.5\n3,4,1\n',
      'a\tb\tlabel\n1\t2\t0\n3\t4\t1',
      'a,b,label\n1e39,2,0\n',
      'a,b,label\nx,2,0\n',
    ];
    for (const text of texts) expect(read(text, true), text).toEqual(read(text, false));
    expect(read(texts[0]!, true)).toMatchObject({
      dataset: {
        classNames: ['cat', 'dog'],
        x: new Float32Array([1.25, -3, 0.5, 7e-3, 1e-6, -0, 12345678901234567890, 1]),
      },
    });
  });

  // Test that a file streamed from disk in 1 MiB chunks (a BOM, UTF-8 class names cut across chunks,
  // quoted fields) reads as the whole text does.
  it('readCsvFile streams a file as parseCsv reads its text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    const names = ['café', 'größe'];
    const rows = Array.from(
      { length: 60000 },
      (_, r) =>
        `${(r % 97) * 0.25},${r % 13 === 0 ? `"${r}"` : r},${r % 3 === 2 ? '"naïve, ""quoted"""' : names[r % 3]}`,
    );
    const text = '\uFEFFx,y,name\n' + rows.join('\n') + '\n';
    const path = join(dir, 'big.csv');
    writeFileSync(path, text);
    expect(statSync(path).size).toBeGreaterThan(1 << 20);
    const fromFile = readCsvFile(path).dataset;
    expect(fromFile).toEqual(parseCsv(text, path));
    expect(fromFile.classNames).toEqual(['café', 'größe', 'naïve, "quoted"']);
    expect(() => readCsvFile(join(dir, 'missing.csv'))).toThrow(
      /--data .*missing\.csv: cannot read the file \(ENOENT\)/,
    );
  });
});

describe('normalize (fitNormalization, applyNormalization)', () => {
  // Test that standardisation uses the train mean/std for both splits and leaves a constant column finite.
  it('standard: train statistics, constant column divided by 1', () => {
    const train = new Float32Array([1, 5, 3, 5]); // column 0: mean 2, std 1; column 1 constant 5
    const nz = fitNormalization(train, 2, 'standard');
    expect([...applyNormalization(train, nz)]).toEqual([-1, 0, 1, 0]);
    expect([...applyNormalization(new Float32Array([4, 7]), nz)]).toEqual([2, 2]);
    expect([...train]).toEqual([1, 5, 3, 5]); // inputs untouched
  });

  // Test that min-max scaling maps the train range to [0, 1] and applies the same map to test.
  it('minmax: train range, constant column divided by 1', () => {
    const nz = fitNormalization(new Float32Array([2, 1, 6, 1, 4, 1]), 2, 'minmax');
    expect([...applyNormalization(new Float32Array([2, 1, 6, 1, 4, 1]), nz)]).toEqual([0, 0, 1, 0, 0.5, 0]);
    expect([...applyNormalization(new Float32Array([10, 3]), nz)]).toEqual([2, 2]);
  });

  // Test that statistics need at least one whole row.
  it('rejects an empty or ragged training set', () => {
    expect(() => fitNormalization(new Float32Array(0), 2, 'standard')).toThrow(/at least one row of 2 features/);
    expect(() => fitNormalization(new Float32Array(3), 2, 'standard')).toThrow(/at least one row of 2 features/);
  });
});
