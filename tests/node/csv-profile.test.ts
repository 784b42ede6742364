// profileCsv (src/data/csv-profile.ts): the look at a file before it is read as a data set.
import { describe, expect, it } from 'vitest';
import { profileCsv } from '../../src/index.ts';

describe('profileCsv', () => {
  it('Test that each column gets its type, range, missing cells and distinct values, text and gaps included', () => {
    const p = profileCsv('\uFEFFa;"b b";kind\r\n1;2.5;yes\r\n3;;no\r\n\r\n-2;1e3;"ye;s"\r\n');
    expect(p.header).toEqual(['a', 'b b', 'kind']);
    expect(p.rows).toBe(3);
    expect(p.complete).toBe(true);
    expect(p.firstRows).toEqual([
      ['1', '2.5', 'yes'],
      ['3', '', 'no'],
      ['-2', '1e3', 'ye;s'],
    ]);
    expect(p.columns).toEqual([
      { name: 'a', type: 'integer', min: -2, max: 3, missing: 0, distinct: 3, text: [] },
      { name: 'b b', type: 'number', min: 2.5, max: 1000, missing: 1, distinct: 2, text: [] },
      { name: 'kind', type: 'text', missing: 0, distinct: 3, text: ['yes', 'no', 'ye;s'] },
    ]);
  });

  it('Test that the start of a longer file leaves out its last, cut row, and a short row counts as missing', () => {
    const p = profileCsv('x,y\n1,2\n3\n4,5\n6,7', { complete: false, firstRows: 1 });
    expect(p.rows).toBe(3);
    expect(p.complete).toBe(false);
    expect(p.firstRows).toEqual([['1', '2']]);
    expect(p.columns[1]).toEqual({ name: 'y', type: 'integer', min: 2, max: 5, missing: 1, distinct: 2, text: [] });
  });
});
