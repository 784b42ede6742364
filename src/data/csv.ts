// Numeric CSV data sets: a header row, feature columns, the integer class label in the last column.
// Hand-written because the format is this narrow; anything outside it (quotes, gaps, NaN) is an
// error that names the line and the column rather than a silently wrong number.
import type { Dataset } from './dataset.ts';

/** Largest label accepted: k = max label + 1 output units, so a stray huge label would blow up the model. */
export const MAX_CSV_CLASSES = 10000;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** A numeric table: the header's column names and the cells, [n][columns] row-major (float64 values
 *  that fit in float32). */
export interface Table {
  readonly header: readonly string[];
  readonly n: number;
  readonly cells: Float64Array;
}

/** Parses a header row and numeric rows; `name` (usually the file name) starts every error, which
 *  names the line and the column. */
export function parseTable(text: string, name: string, minColumns = 1): Table {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new Error(`${name}: empty file (expected a header row and data rows)`);

  const header = lines[0]!.split(',').map((s) => s.trim());
  header.forEach((col, c) => {
    if (col.includes('"')) throw new Error(`${name} line 1, column ${c + 1}: quoted fields are not supported (${col})`);
    if (col === '') throw new Error(`${name} line 1: column ${c + 1} has an empty name`);
  });
  if (header.length < minColumns) {
    throw new Error(`${name} line 1: need at least 2 columns (features, then the label), got ${header.length} (${header.join(',')})`);
  }
  const n = lines.length - 1;
  if (n === 0) throw new Error(`${name}: header only, no data rows`);
  const cells = new Float64Array(n * header.length);
  for (let r = 0; r < n; r++) {
    const lineNo = r + 2;
    const line = lines[r + 1]!;
    if (line.trim() === '') throw new Error(`${name} line ${lineNo}: blank line inside the data`);
    const quote = line.indexOf('"');
    if (quote >= 0) {
      const c = line.slice(0, quote).split(',').length - 1;
      throw new Error(`${name} line ${lineNo}, column "${header[c] ?? c + 1}": quoted fields are not supported`);
    }
    const row = line.split(',');
    if (row.length !== header.length) {
      throw new Error(`${name} line ${lineNo}: expected ${header.length} columns (${header.join(',')}), got ${row.length}`);
    }
    row.forEach((cell, c) => (cells[r * header.length + c] = parseCell(cell.trim(), `${name} line ${lineNo}, column "${header[c]}"`)));
  }
  return { header, n, cells };
}

/** Parses `text`: a header, numeric feature columns and the integer class label in the last column;
 *  `name` (usually the file name) names the data set and every error. */
export function parseCsv(text: string, name: string): Dataset {
  const { header, n, cells } = parseTable(text, name, 2);
  const features = header.length - 1;
  return datasetFromColumns(name, header, n, cells, header.slice(0, features), header[features]!);
}

/** A data set from a table's named feature columns and its label column (integer classes 0..k−1, every
 *  class present). */
export function datasetFromColumns(name: string, header: readonly string[], n: number, cells: Float64Array, featureNames: readonly string[], labelCol: string): Dataset {
  const index = (col: string) => {
    const i = header.indexOf(col);
    if (i < 0) throw new Error(`${name}: no column "${col}" (columns: ${header.join(', ')})`);
    return i;
  };
  const cols = featureNames.map(index);
  const li = index(labelCol);
  const features = cols.length;
  const width = header.length;
  const x = new Float32Array(n * features);
  const labels = new Uint32Array(n);
  for (let r = 0; r < n; r++) {
    cols.forEach((c, j) => (x[r * features + j] = cells[r * width + c]!));
    labels[r] = parseLabel(cells[r * width + li]!, `${name} line ${r + 2}, column "${labelCol}"`);
  }
  const classes = classCount(labels, name, `the label column "${labelCol}"`);
  return { name, n, features, classes, x, labels, featureNames: [...featureNames], labelName: labelCol };
}

/** k for class labels 0..k−1: at least 2 distinct classes and every class present (a gap is almost
 *  always 1-based labels or a typo). `what` names the labels in the error, after `name`. */
export function classCount(labels: Uint32Array, name: string, what: string): number {
  const seen = new Set(labels);
  if (seen.size < 2) throw new Error(`${name}: ${what} needs at least 2 distinct classes, found only ${labels.length > 0 ? `class ${labels[0]}` : 'no rows'}`);
  const classes = labels.reduce((m, l) => Math.max(m, l), 0) + 1;
  const missing = Array.from({ length: classes }, (_, c) => c).filter((c) => !seen.has(c));
  if (missing.length > 0) {
    const list = missing.length > 5 ? `${missing.slice(0, 5).join(', ')}, ...` : missing.join(', ');
    throw new Error(`${name}: labels must be 0..k-1 with every class present; the largest label is ${classes - 1} but no row has label ${list}${missing[0] === 0 ? ' (1-based labels?)' : ''}`);
  }
  return classes;
}

function parseCell(cell: string, where: string): number {
  if (cell === '') throw new Error(`${where}: empty cell`);
  if (NON_FINITE.test(cell)) throw new Error(`${where}: value must be finite, got ${cell}`);
  if (!NUMBER.test(cell)) throw new Error(`${where}: not a number: '${cell}'`);
  const v = Number(cell);
  // Float32 overflows earlier than float64: 1e39 parses but would become Infinity in the tensor.
  if (!Number.isFinite(Math.fround(v))) throw new Error(`${where}: value ${cell} does not fit in float32`);
  return v;
}

/** A class label: a non-negative integer below MAX_CSV_CLASSES; `where` names the cell. */
export function parseLabel(v: number, where: string): number {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: label must be a non-negative integer, got ${v}`);
  if (v >= MAX_CSV_CLASSES) throw new Error(`${where}: label ${v} is too large (at most ${MAX_CSV_CLASSES - 1})`);
  return v;
}

export type Normalization = 'standard' | 'minmax';

/** Scales every feature column with statistics fitted on `train` only, applied to both splits.
 *  'standard': (x - mean) / std; 'minmax': (x - min) / (max - min). A constant column divides by 1. */
export function normalize(train: Dataset, test: Dataset, how: Normalization): { train: Dataset; test: Dataset } {
  if (train.n === 0) throw new Error(`normalize: the training split of '${train.name}' is empty`);
  if (test.features !== train.features) {
    throw new Error(`normalize: train has ${train.features} features but test has ${test.features}`);
  }
  const f = train.features;
  const shift = new Float64Array(f);
  const scale = new Float64Array(f);
  for (let c = 0; c < f; c++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < train.n; r++) {
      const v = train.x[r * f + c]!;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (how === 'minmax') {
      shift[c] = min;
      scale[c] = max - min;
    } else {
      const mean = sum / train.n;
      let sq = 0;
      for (let r = 0; r < train.n; r++) sq += (train.x[r * f + c]! - mean) ** 2;
      shift[c] = mean;
      scale[c] = Math.sqrt(sq / train.n);
    }
    if (!(scale[c]! > 0)) scale[c] = 1;
  }
  const apply = (d: Dataset): Dataset => {
    const x = new Float32Array(d.x.length);
    for (let i = 0; i < x.length; i++) x[i] = (d.x[i]! - shift[i % f]!) / scale[i % f]!;
    return { ...d, x };
  };
  return { train: apply(train), test: apply(test) };
}
