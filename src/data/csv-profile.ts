// A CSV's first rows and a summary of each column (type, range, missing cells): a look at a file before
// it is read as a data set. Unlike the reader it takes any cell, text or empty, so a column the reader
// would refuse (text among the features, a gap) shows what is in it.
import { format } from './csv-format.ts';
import { chunkParser } from './papa.ts';

/** One column: 'integer' or 'number' when every filled cell is one, else 'text'. */
export interface CsvColumnSummary {
  readonly name: string;
  readonly type: 'integer' | 'number' | 'text';
  /** Smallest and largest numeric cell (absent when there is none). */
  readonly min?: number;
  readonly max?: number;
  /** Empty cells (and cells a short row lacks). */
  readonly missing: number;
  /** Distinct values, counted up to DISTINCT_CAP (then DISTINCT_CAP + 1: "more"). */
  readonly distinct: number;
  /** The first few distinct values that are not numbers (class names, typos). */
  readonly text: readonly string[];
}

export interface CsvProfile {
  readonly header: readonly string[];
  /** The first rows as written (cells trimmed). */
  readonly firstRows: readonly (readonly string[])[];
  readonly columns: readonly CsvColumnSummary[];
  /** Data rows summarised. */
  readonly rows: number;
  /** False when `text` was the start of a longer file: the summary covers its first `rows` rows. */
  readonly complete: boolean;
}

const DISTINCT_CAP = 1000;
const TEXT_SHOWN = 5;

/** The profile of CSV text (header row first; delimiter and line break as the reader finds them).
 *  `complete: false`: the text is a prefix of the file, and its last, maybe cut, row is left out. */
export function profileCsv(
  text: string,
  o: { readonly complete?: boolean; readonly firstRows?: number; readonly delimiter?: string } = {},
): CsvProfile {
  const complete = o.complete ?? true;
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const f = format(t, o.delimiter);
  const all = chunkParser(f.delimiter, f.newline).parse(t, 0, !complete).data;
  const rows = all.filter((r, i) => i === 0 || r.length > 1 || (r[0] ?? '').trim() !== ''); // blank lines
  const header = (rows[0] ?? []).map((s) => s.trim());
  const data = rows.slice(1);
  return {
    header,
    firstRows: data.slice(0, o.firstRows ?? 5).map((r) => r.map((s) => s.trim())),
    columns: header.map((name, c) => summarise(name, data, c)),
    rows: data.length,
    complete,
  };
}

function summarise(name: string, rows: readonly string[][], c: number): CsvColumnSummary {
  let min = Infinity,
    max = -Infinity,
    missing = 0,
    integers = true,
    numbers = true;
  const distinct = new Set<string>();
  const text: string[] = [];
  for (const row of rows) {
    const s = (row[c] ?? '').trim();
    if (s === '') {
      missing++;
      continue;
    }
    if (distinct.size <= DISTINCT_CAP) distinct.add(s);
    const v = Number(s);
    if (!Number.isFinite(v)) {
      numbers = false;
      if (text.length < TEXT_SHOWN && !text.includes(s)) text.push(s);
      continue;
    }
    if (!Number.isInteger(v)) integers = false;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return {
    name,
    type: !numbers ? 'text' : integers ? 'integer' : 'number',
    ...(min <= max ? { min, max } : {}),
    missing,
    distinct: distinct.size,
    text,
  };
}
