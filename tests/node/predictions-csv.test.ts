// predictionTable / predictionsCsv (src/lib/predictions-csv.ts): a prediction as the table that
// `npm run predict -- --out` writes and the web app downloads.
import { describe, expect, it } from 'vitest';
import { predictionsCsv, predictionTable, type ModelSpec } from '../../src/index.ts';

const spec = (sizes: number[], loss: ModelSpec['loss']): ModelSpec => ({ sizes, activation: 'relu', loss });

describe('predictions as CSV', () => {
  it('Test that a classifier writes its class by name, then a probability per class, names quoted when needed', () => {
    const p = {
      rows: 2,
      columns: 3,
      values: Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]),
      classes: Uint32Array.from([1, 0]),
    };
    const csv = predictionsCsv(p, { spec: spec([4, 3], 'ce'), info: { classNames: ['a', 'b, c', 'd'] } });
    expect(csv).toBe(
      `prediction,a,"b, c",d\n"b, c",${Math.fround(0.1)},${Math.fround(0.7)},${Math.fround(0.2)}\na,0.5,0.25,0.25\n`,
    );
  });

  it('Test that a regression writes one value per target, and an mse classifier its scores as outputs', () => {
    const r = predictionTable(
      { rows: 1, columns: 2, values: Float32Array.from([1.5, -2]) },
      { spec: spec([3, 2], 'mse'), info: { task: 'regression', targetNames: ['y1', 'y2'] } },
    );
    expect([r.header, r.row(0)]).toEqual([
      ['y1', 'y2'],
      ['1.5', '-2'],
    ]);
    const m = predictionTable(
      { rows: 1, columns: 2, values: Float32Array.from([0.25, 0.75]), classes: Uint32Array.from([1]) },
      { spec: spec([3, 2], 'mse'), info: {} },
    );
    expect([m.header, m.row(0)]).toEqual([
      ['prediction', 'output0', 'output1'],
      ['1', '0.25', '0.75'],
    ]);
  });
});
