// A prediction as a table: what `npm run predict -- --out FILE` writes and the web app offers to
// download. A classifier's rows are its class (by name) then one probability per class; a regression's
// (or an 'mse' classifier's) one value per output.
import type { ModelSpec } from '../model.ts';
import type { ModelInfo } from './model-file.ts';
import type { Prediction } from './options.ts';

export interface PredictionTable {
  readonly header: readonly string[];
  /** Row r's cells as text (float32 values written as the shortest text that reads back the same). */
  row(r: number): string[];
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function predictionTable(
  p: Prediction,
  model: { readonly spec: ModelSpec; readonly info: ModelInfo },
): PredictionTable {
  const k = p.columns;
  const { info, spec } = model;
  const regression = info.task === 'regression';
  const classNames = info.classNames ?? Array.from({ length: Math.max(k, 2) }, (_, c) => String(c));
  const probabilities = !regression && spec.loss !== 'mse';
  const names = probabilities
    ? classNames
    : regression && info.targetNames
      ? info.targetNames
      : Array.from({ length: k }, (_, j) => `output${j}`);
  const values = (r: number) => Array.from(p.values.subarray(r * k, (r + 1) * k), (v) => String(Math.fround(v)));
  return regression
    ? { header: names, row: values }
    : {
        header: ['prediction', ...names],
        row: (r) => [classNames[p.classes![r]!] ?? String(p.classes![r]), ...values(r)],
      };
}

/** The table as CSV text (a header row, then a row per prediction). */
export function predictionsCsv(p: Prediction, model: { readonly spec: ModelSpec; readonly info: ModelInfo }): string {
  const t = predictionTable(p, model);
  const lines = [t.header.map(csvCell).join(',')];
  for (let r = 0; r < p.rows; r++) lines.push(t.row(r).map(csvCell).join(','));
  return lines.join('\n') + '\n';
}
