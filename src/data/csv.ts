// CSV and TSV data sets as people have them: RFC 4180 (quoted fields with delimiters, quotes and line
// breaks inside), CRLF, a BOM, ',' ';' or tab (sniffed unless given). The text is read in windows of
// about 1 MiB straight into growing typed-array chunks, so a large file is never held as one string
// plus a copy (src/data/csv-file.ts streams a file through the same reader). papaparse parses every
// window that holds a quote character and sniffs the delimiter; a window without one is plain split
// lines, as papaparse's own fast mode treats it, and is scanned here without a string per cell, about
// twice as fast (scripts/csv-throughput.ts; tests/node/csv.test.ts and the fuzz test check that both
// paths give the same results).
// Columns: features, label(s) (default the last column; several are regression targets), dropped ones.
// A text label column is a class label (classes numbered in sorted order); integer labels are classes
// 0..k−1; non-integer numbers are regression targets. Every error names the file, the physical line
// (a quoted field may span several) and the column, rather than giving a silently wrong number.
import { chunkParser, type ChunkParser } from './papa.ts';
import { format } from './csv-format.ts';
export { csvHeader } from './csv-format.ts';
import type { Dataset } from './dataset.ts';
import { Chunked } from './chunked.ts';
import { MAX_CSV_CLASSES, classCount, wholeNumberTarget } from './labels.ts';
import { TrainerError } from '../errors.ts';

/** 'auto': regression when there are several label columns or the label holds non-integer numbers;
 *  classification for text or integer labels. */
export type CsvTask = 'auto' | 'classification' | 'regression';

/** A column by name, or by 0-based index (negative: from the end). A name wins over an index. */
export type ColumnRef = string | number;

export interface CsvOptions {
  /** The label column, or several (regression targets); default the last column. */
  readonly label?: ColumnRef | readonly ColumnRef[];
  /** Columns to leave out, such as ids or free text. */
  readonly drop?: readonly ColumnRef[];
  /** ',' ';' '\t' or another single character; default sniffed from the first rows among , ; and tab. */
  readonly delimiter?: string;
  /** Default 'auto'. */
  readonly task?: CsvTask;
  /** Exactly these feature columns, in this order, by name (a model's): every other column that is not a
   *  label is ignored, and a missing one is an error. Default: every column but the labels and drop. */
  readonly features?: readonly string[];
  /** Class names already known (a model's): a text label maps to its index, any other is an error. */
  readonly classNames?: readonly string[];
  /** Prediction: rows without the label column(s) are fine (the data set then has no labels), and
   *  integer labels need not cover every class. */
  readonly labelOptional?: boolean;
}

/** A data set read from CSV text, with what was decided about it. */
export interface CsvRead {
  readonly dataset: Dataset;
  /** 'none' when labelOptional and the file has no label column. */
  readonly task: 'classification' | 'regression' | 'none';
  /** Why, in words ("the label column "y" holds non-integer numbers"). */
  readonly reason: string;
  readonly delimiter: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const F32_MAX = 3.4028234663852886e38;
/** Text parsed per call of papaparse's parser (a row longer than this doubles it). */
const WINDOW = 1 << 20;
/** Floats per chunk of the growing arrays: 1 MiB of float32. */
const CHUNK = 1 << 18;
/** States of a plain row's column (CsvReader.plainRow): written, a plain decimal, anything else. */
const DONE = 0;
const PLAIN = 1;
const TEXT = 2;
/** Powers of ten that are exact doubles: m / 10^k is then correctly rounded, as Number() is. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** A label column as it is read: numbers, or text as ids in order of first appearance. */
interface LabelColumn {
  readonly name: string;
  kind: 'numeric' | 'text' | undefined;
  /** Float32 is enough: integer classes are below 2^24, and targets are float32 anyway. */
  readonly values: Chunked<Float32Array>;
  readonly ids: Chunked<Uint32Array>;
  readonly text: Map<string, { id: number; line: number }>;
  readonly names: string[];
  /** First rows that rule the column out as integer classes. */
  nonInteger?: { line: number; value: number };
  negative?: { line: number; value: number };
  tooLarge?: { line: number; value: number };
}

/** Reads CSV text pushed in pieces of any size (a whole file, or the chunks of a stream). */
export class CsvReader {
  private pending = '';
  private window = WINDOW;
  private started = false;
  private parser: ChunkParser | undefined;
  private newline: '\n' | '\r' = '\n';
  private delimiter = ',';
  /** Physical line where the next row starts. */
  private line = 1;
  private header: string[] | undefined;
  private width = 0;
  /** Per column: feature slot or −1, label slot or −1. */
  private featAt = new Int32Array(0);
  private labelAt = new Int32Array(0);
  private featureNames: string[] = [];
  private labels: LabelColumn[] = [];
  private x: Chunked<Float32Array> | undefined;
  private rows = 0;
  private firstBlank = 0;
  private sawDataLine = false;
  /** Characters parsed so far, and the expected total (a file's size) to size the arrays once. */
  private parsed = 0;
  private expected: number | undefined;

  /** Per column of a plain row left for the second pass: where its text is, its value when it is a
   *  plain decimal, and its state (DONE, PLAIN, TEXT). */
  private scratch = {
    value: new Float64Array(0),
    from: new Int32Array(0),
    to: new Int32Array(0),
    state: new Uint8Array(0),
  };

  /** `sizeHint`: the text's expected length (a file's byte size), so the arrays are sized once.
   *  `scan` false sends every window through papaparse (tests compare the two paths). */
  constructor(
    private readonly name: string,
    private readonly options: CsvOptions = {},
    sizeHint?: number,
    private readonly scan = true,
  ) {
    this.expected = sizeHint;
    const d = options.delimiter;
    if (d !== undefined && (d.length !== 1 || d === '"' || d === '\n' || d === '\r'))
      throw new TrainerError(
        'bad-input',
        `${name}: the delimiter must be one character other than a quote or a line break, got '${d}'`,
      );
  }

  push(text: string): void {
    this.pending += text;
    if (this.pending.length >= this.window) this.parse(false);
  }

  /** Parses what is left and builds the data set. */
  end(): CsvRead {
    this.parse(true);
    if (!this.header)
      throw new TrainerError('bad-input', `${this.name}: empty file (expected a header row and data rows)`);
    if (this.rows === 0) throw new TrainerError('bad-input', `${this.name}: header only, no data rows`);
    return this.build();
  }

  private fail(line: number, m: string, col?: number): never {
    throw new TrainerError(
      'bad-input',
      `${this.name} line ${line}${col === undefined ? '' : `, column "${this.header?.[col] ?? col + 1}"`}: ${m}`,
    );
  }

  private parse(final: boolean): void {
    let text = this.pending;
    if (!this.started) {
      if (!final && text.length < WINDOW) return;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (!/\S/.test(text)) {
        if (final)
          throw new TrainerError('bad-input', `${this.name}: empty file (expected a header row and data rows)`);
        return;
      }
      this.start(text);
    }
    const parser = this.parser!;
    let pos = 0;
    let quote = -2; // the next quote character at or after pos (−1: none in the text), found once
    for (;;) {
      const end = Math.min(text.length, pos + this.window);
      const last = final && end === text.length;
      if (!last && end - pos < this.window) break; // wait for a whole window
      if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos);
      let used: number;
      if (this.scan && (quote < 0 || quote >= end)) used = this.plain(text, pos, end, last);
      else {
        const slice = text.substring(pos, end);
        const r = parser.parse(slice, 0, !last);
        used = last ? slice.length : r.meta.cursor;
        if (used > 0 || last) this.take(r, quote >= 0 && quote < end, last);
      }
      if (!last && used === 0) {
        this.window *= 2; // a row longer than the window: parse it whole next time
        continue;
      }
      pos += used;
      this.parsed += used;
      if (this.expected !== undefined && this.rows > 0 && !last) this.reserve();
      if (last) break;
    }
    this.pending = text.substring(pos);
  }

  /** The rows of a window without quote characters, where a row is a line and a field what lies between
   *  delimiters (papaparse's fast mode), from `from` up to the last line break before `end` (up to
   *  `end` when last). Returns the characters consumed. */
  private plain(text: string, from: number, end: number, last: boolean): number {
    const nl = this.newline;
    let a = from;
    for (;;) {
      let b = text.indexOf(nl, a);
      const broke = b >= 0 && b < end;
      if (!broke) {
        if (!last) break;
        b = end;
      }
      this.plainRow(text, a, b);
      a = b + 1;
      if (!broke) return end - from;
    }
    return a - from;
  }

  /** One line [a, b) of a plain window, scanned once: a feature that is a plain decimal goes straight
   *  into x; any other feature, and every label, then goes through the same checks as papaparse's
   *  strings, in the same order (column count first, then column by column). */
  private plainRow(text: string, a: number, b: number): void {
    const line = this.line++;
    // A CRLF line's '\r' would be trimmed with its last cell, wherever that cell goes.
    const e = this.newline === '\n' && b > a && text.charCodeAt(b - 1) === 13 ? b - 1 : b;
    if (!this.header) {
      this.setHeader(text.substring(a, e).split(this.delimiter), line);
      return;
    }
    const d = this.delimiter.charCodeAt(0);
    const width = this.width;
    const featAt = this.featAt;
    const labelAt = this.labelAt;
    const { value, from, to, state } = this.scratch;
    const x = this.x!;
    const features = this.featureNames.length;
    const base = x.next(features);
    const buf = x.cur;
    let rest = false; // a column left for the second pass
    let count = 0;
    let i = a;
    for (;;) {
      // [+-]digits[.digits] with at most 2^53 as the integer: m / 10^k is then exactly Number()'s value.
      const start = i;
      let ch = i < e ? text.charCodeAt(i) : -1;
      let neg = false;
      if (ch === 45 || ch === 43) {
        neg = ch === 45;
        ch = ++i < e ? text.charCodeAt(i) : -1;
      }
      let m = 0;
      let k = 0;
      let digits = 0;
      let dot = false;
      let ok = true;
      while (ch !== d && ch !== -1) {
        const digit = ch - 48;
        if (digit >= 0 && digit <= 9) {
          m = m * 10 + digit;
          digits++;
          if (dot) k++;
        } else if (ch === 46 && !dot) dot = true;
        else ok = false;
        ch = ++i < e ? text.charCodeAt(i) : -1;
      }
      if (count < width) {
        const plain = ok && digits > 0 && m <= Number.MAX_SAFE_INTEGER && k < POW10.length;
        const f = featAt[count]!;
        if (plain && f >= 0) {
          const v = k === 0 ? m : m / POW10[k]!;
          buf[base + f] = neg ? -v : v;
          state[count] = DONE;
        } else if (f >= 0 || labelAt[count]! >= 0) {
          const v = k === 0 ? m : m / POW10[k]!;
          value[count] = neg ? -v : v;
          from[count] = start;
          to[count] = i;
          state[count] = plain ? PLAIN : TEXT;
          rest = true;
        } else state[count] = DONE; // a dropped or ignored column
      }
      count++;
      if (ch === -1) break;
      i++; // past the delimiter
    }
    if (count === 1 && text.substring(a, e).trim() === '') {
      x.pos -= features; // no row after all
      if (this.firstBlank === 0) this.firstBlank = line;
      return;
    }
    if (this.firstBlank !== 0) this.fail(this.firstBlank, 'blank line inside the data');
    if (count !== width) this.fail(line, `expected ${width} columns (${this.header.join(',')}), got ${count}`);
    const first = !this.sawDataLine;
    this.sawDataLine = true;
    for (let c = 0; rest && c < width; c++) {
      const st = state[c]!;
      if (st === DONE) continue;
      const f = featAt[c]!;
      if (f >= 0) buf[base + f] = this.feature(text.substring(from[c]!, to[c]!), line, c, first);
      else {
        const col = this.labels[labelAt[c]!]!;
        if (st === PLAIN && col.kind === 'numeric') this.numericLabel(col, value[c]!, line);
        else this.label(col, text.substring(from[c]!, to[c]!), line, c);
      }
    }
    this.rows++;
  }

  /** Sizes the arrays for the rows the rest of the text will hold at the rate seen so far (+2%), once. */
  private reserve(): void {
    const rows = Math.ceil((this.expected! / this.parsed) * this.rows * 1.02) + 16;
    this.expected = undefined;
    const f = this.featureNames.length;
    this.x!.reserve(rows * f);
    for (const l of this.labels) (l.kind === 'text' ? l.ids : l.values).reserve(rows);
  }

  /** Line break and delimiter, from the start of the text. */
  private start(text: string): void {
    this.started = true;
    const f = format(text, this.options.delimiter);
    this.newline = f.newline;
    this.delimiter = f.delimiter;
    this.parser = chunkParser(f.delimiter, f.newline);
  }

  /** Takes the rows of one parsed window. */
  private take(
    r: { data: string[][]; errors: readonly { code: string; row?: number }[] },
    quoted: boolean,
    last: boolean,
  ): void {
    const data = r.data;
    const broken = r.errors.find((e) => e.code === 'MissingQuotes' || e.code === 'InvalidQuotes');
    const nl = this.newline;
    for (let i = 0; i < data.length; i++) {
      const row = data[i]!;
      const line = this.line;
      let span = 1;
      if (quoted)
        for (let c = 0; c < row.length; c++)
          for (let at = row[c]!.indexOf(nl); at >= 0; at = row[c]!.indexOf(nl, at + 1)) span++;
      this.line += span;
      if (broken && broken.row === i) {
        this.fail(
          line,
          broken.code === 'MissingQuotes'
            ? 'a quoted field is never closed (a missing ")'
            : 'a quote inside a quoted field must be doubled ("")',
        );
      }
      if (!this.header) {
        this.setHeader(row, line);
        continue;
      }
      if (row.length === 1 && row[0]!.trim() === '') {
        if (this.firstBlank === 0) this.firstBlank = line;
        continue;
      }
      if (this.firstBlank !== 0) this.fail(this.firstBlank, 'blank line inside the data');
      this.row(row, line);
    }
    if (last && broken && (broken.row ?? data.length) >= data.length)
      this.fail(this.line, 'a quoted field is never closed (a missing ")');
  }

  private setHeader(row: string[], line: number): void {
    const header = row.map((s) => s.trim());
    this.header = header;
    this.width = header.length;
    header.forEach((col, c) => {
      if (col === '') this.fail(line, `column ${c + 1} has an empty name`);
      const first = header.indexOf(col);
      if (first !== c) this.fail(line, `column ${c + 1} has the same name as column ${first + 1} ("${col}")`);
    });
    const o = this.options;
    if (header.length < 2 && !o.features) {
      const hint = o.delimiter === undefined ? '; no , ; or tab delimiter found (the delimiter option sets one)' : '';
      this.fail(
        line,
        `need at least 2 columns (features, then the label), got ${header.length} (${header.join(',')})${hint}`,
      );
    }
    const list = `the columns are ${header.join(', ')}`;
    const find = (ref: ColumnRef, what: string): number | undefined => {
      const byName = header.indexOf(String(ref).trim());
      if (byName >= 0) return byName;
      const s = String(ref).trim();
      if (/^-?\d+$/.test(s)) {
        const i = Number(s) < 0 ? header.length + Number(s) : Number(s);
        if (i >= 0 && i < header.length) return i;
        throw new TrainerError(
          'bad-input',
          `${this.name}: no ${what} column ${s}: ${header.length} columns, indices 0..${header.length - 1} (or -1 for the last); ${list}`,
        );
      }
      return undefined;
    };
    const refs =
      o.label === undefined ? [header.length - 1] : Array.isArray(o.label) ? o.label : [o.label as ColumnRef];
    const labelCols: number[] = [];
    for (const ref of refs) {
      const i = find(ref, 'label');
      if (i === undefined) {
        if (o.labelOptional) continue;
        throw new TrainerError('bad-input', `${this.name}: no label column "${String(ref)}" (${list})`);
      }
      if (labelCols.includes(i))
        throw new TrainerError('bad-input', `${this.name}: label column "${header[i]}" is named twice`);
      labelCols.push(i);
    }
    if (o.labelOptional && labelCols.length > 0 && labelCols.length < refs.length) {
      throw new TrainerError(
        'bad-input',
        `${this.name}: has some of the label columns (${labelCols.map((i) => header[i]).join(', ')}) but not all of ${refs.join(', ')}`,
      );
    }
    const dropped = new Set<number>();
    for (const ref of o.drop ?? []) {
      const i = find(ref, 'drop');
      if (i === undefined)
        throw new TrainerError('bad-input', `${this.name}: drop "${String(ref)}": no such column (${list})`);
      if (labelCols.includes(i))
        throw new TrainerError('bad-input', `${this.name}: column "${header[i]}" is both the label and dropped`);
      dropped.add(i);
    }
    let features: number[];
    if (o.features) {
      const missing = o.features.filter((f) => !header.includes(f));
      if (missing.length > 0)
        throw new TrainerError(
          'bad-input',
          `${this.name}: missing the model's feature column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (the file has ${header.join(', ')})`,
        );
      features = o.features.map((f) => header.indexOf(f));
      const clash = features.find((f) => labelCols.includes(f));
      if (clash !== undefined)
        throw new TrainerError('bad-input', `${this.name}: column "${header[clash]}" is both a feature and the label`);
    } else features = header.map((_, c) => c).filter((c) => !labelCols.includes(c) && !dropped.has(c));
    if (features.length === 0)
      throw new TrainerError(
        'bad-input',
        `${this.name}: no feature columns left (${list}; label ${labelCols.map((i) => header[i]).join(', ')}${dropped.size ? `, dropped ${[...dropped].map((i) => header[i]).join(', ')}` : ''})`,
      );
    this.featAt = new Int32Array(header.length).fill(-1);
    this.labelAt = new Int32Array(header.length).fill(-1);
    features.forEach((c, f) => (this.featAt[c] = f));
    labelCols.forEach((c, t) => (this.labelAt[c] = t));
    this.featureNames = features.map((c) => header[c]!);
    const width = features.length;
    const w = header.length;
    this.scratch = {
      value: new Float64Array(w),
      from: new Int32Array(w),
      to: new Int32Array(w),
      state: new Uint8Array(w),
    };
    this.x = new Chunked((n) => new Float32Array(n), Math.max(1, Math.floor(CHUNK / width)) * width);
    this.labels = labelCols.map((c) => ({
      name: header[c]!,
      kind: o.classNames ? 'text' : undefined,
      values: new Chunked((n) => new Float32Array(n), CHUNK),
      ids: new Chunked((n) => new Uint32Array(n), CHUNK),
      text: new Map(),
      names: [],
    }));
  }

  /** One data row: features into x, labels into their columns. The hot loop. */
  private row(row: string[], line: number): void {
    if (row.length !== this.width)
      this.fail(line, `expected ${this.width} columns (${this.header!.join(',')}), got ${row.length}`);
    const first = !this.sawDataLine;
    this.sawDataLine = true;
    const x = this.x!;
    const base = x.next(this.featureNames.length);
    const buf = x.cur;
    const featAt = this.featAt;
    const labelAt = this.labelAt;
    for (let c = 0; c < row.length; c++) {
      const f = featAt[c]!;
      if (f >= 0) {
        buf[base + f] = this.feature(row[c]!, line, c, first);
        continue;
      }
      const t = labelAt[c]!;
      if (t >= 0) this.label(this.labels[t]!, row[c]!, line, c);
    }
    this.rows++;
  }

  /** A feature cell's value. Fast path: Number() of a cell without surrounding blanks or a 0x/0o/0b
   *  prefix is a decimal number; anything else goes through the checks that name the problem. */
  private feature(cell: string, line: number, c: number, first: boolean): number {
    const v = +cell;
    const c1 = cell.charCodeAt(1) | 0x20;
    if (
      v <= F32_MAX &&
      v >= -F32_MAX &&
      cell.charCodeAt(0) > 32 &&
      cell.charCodeAt(cell.length - 1) > 32 &&
      c1 !== 0x78 &&
      c1 !== 0x6f &&
      c1 !== 0x62
    )
      return v;
    return this.number(cell, line, c, first ? 'feature' : undefined);
  }

  /** A cell that must be a number, or an error that says what it is. `firstOf` marks the first data row
   *  of a column, where a word means a text column rather than a typo (or a number with a flaw, 0x10). */
  private number(cell: string, line: number, c: number, firstOf?: 'feature'): number {
    const s = cell.trim();
    if (s === '') this.fail(line, 'empty cell', c);
    if (NON_FINITE.test(s)) this.fail(line, `value must be finite, got ${s}`, c);
    if (!NUMBER.test(s)) {
      if (firstOf === 'feature' && !/^[\d+\-.]/.test(s)) {
        const col = this.header![c]!;
        this.fail(
          line,
          `text in a feature column ('${s}'): features must be numbers; leave the column out with drop: ['${col}'] (or predict it with label: '${col}')`,
          c,
        );
      }
      this.fail(line, `not a number: '${s}'`, c);
    }
    const v = Number(s);
    // Float32 overflows earlier than float64: 1e39 parses but would become Infinity in the tensor.
    if (!Number.isFinite(Math.fround(v))) this.fail(line, `value ${s} does not fit in float32`, c);
    return v;
  }

  private label(col: LabelColumn, cell: string, line: number, c: number): void {
    if (col.kind === undefined) {
      const s = cell.trim();
      col.kind = s !== '' && !NON_FINITE.test(s) && !NUMBER.test(s) ? 'text' : 'numeric';
    }
    if (col.kind === 'text') {
      const s = cell.trim();
      if (s === '') this.fail(line, 'empty cell', c);
      let e = col.text.get(s);
      if (!e) {
        const known = this.options.classNames;
        const id = known ? known.indexOf(s) : col.names.length;
        if (id < 0) this.fail(line, `unknown class '${s}' (the model knows ${known!.join(', ')})`, c);
        if (!known && col.names.length >= MAX_CSV_CLASSES)
          this.fail(
            line,
            `more than ${MAX_CSV_CLASSES} distinct values: an id or free-text column? (drop: ['${col.name}'], or label: another column)`,
            c,
          );
        e = { id, line };
        col.text.set(s, e);
        col.names.push(s);
      }
      col.ids.cur[col.ids.next(1)] = e.id;
      return;
    }
    this.numericLabel(col, this.number(cell, line, c), line);
  }

  private numericLabel(col: LabelColumn, v: number, line: number): void {
    col.values.cur[col.values.next(1)] = v;
    if (!col.nonInteger && !Number.isInteger(v)) col.nonInteger = { line, value: v };
    if (!col.negative && v < 0) col.negative = { line, value: v };
    if (!col.tooLarge && v >= MAX_CSV_CLASSES) col.tooLarge = { line, value: v };
  }

  private build(): CsvRead {
    const name = this.name;
    const n = this.rows;
    const features = this.featureNames.length;
    const base = { name, n, features, x: this.x!.finish(), featureNames: this.featureNames };
    const cols = this.labels;
    const task = this.options.task ?? 'auto';
    const delimiter = this.delimiter;
    if (cols.length === 0)
      return {
        dataset: { ...base, classes: 0, labels: new Uint32Array(0) },
        task: 'none',
        reason: 'no label column',
        delimiter,
      };
    const text = cols.find((c) => c.kind === 'text');
    const values = cols.map((c) => c.values.finish());
    // task 'auto' on one column of whole numbers: classes only when they look like classes (labels.ts).
    const wholeTarget =
      task === 'auto' && !text && cols.length === 1 && !cols[0]!.nonInteger && this.options.labelOptional !== true
        ? wholeNumberTarget(values[0]!, `the label column "${cols[0]!.name}"`)
        : undefined;
    const regression =
      task === 'regression' ||
      wholeTarget !== undefined ||
      (task === 'auto' && (cols.length > 1 || (!text && cols[0]!.nonInteger !== undefined)));
    if (regression) {
      if (text) {
        const why =
          task === 'regression'
            ? "task: 'regression'"
            : `several label columns (${cols.map((c) => c.name).join(', ')}) are regression targets, which`;
        throw new TrainerError(
          'bad-input',
          `${name}: ${why} needs numbers, but the label column "${text.name}" holds text ('${text.names[0]}'): use task: 'classification' with one label column`,
        );
      }
      const t = cols.length;
      const y = new Float32Array(n * t);
      values.forEach((v, j) => {
        for (let r = 0; r < n; r++) y[r * t + j] = v[r]!;
      });
      const names = cols.map((c) => c.name);
      const reason =
        task === 'regression'
          ? "task: 'regression'"
          : wholeTarget !== undefined
            ? wholeTarget
            : t > 1
              ? `${t} label columns (${names.join(', ')})`
              : `the label column "${names[0]}" holds non-integer numbers (line ${cols[0]!.nonInteger!.line}: ${cols[0]!.nonInteger!.value})`;
      return {
        dataset: {
          ...base,
          classes: 0,
          labels: new Uint32Array(0),
          y,
          targetNames: names,
          ...(t === 1 ? { labelName: names[0]! } : {}),
        },
        task: 'regression',
        reason,
        delimiter,
      };
    }
    if (cols.length > 1)
      throw new TrainerError(
        'bad-input',
        `${name}: task: 'classification' takes one label column, got ${cols.length} (${cols.map((c) => c.name).join(', ')})`,
      );
    const col = cols[0]!;
    const where = (line: number) => `${name} line ${line}, column "${col.name}"`;
    if (col.kind === 'text') {
      const ids = col.ids.finish();
      // Classes in sorted order (as scikit-learn's LabelEncoder numbers them), unless the model's names are given.
      const classNames = this.options.classNames ? [...this.options.classNames] : [...col.names].sort();
      if (!this.options.classNames) {
        if (classNames.length < 2)
          throw new TrainerError(
            'bad-input',
            `${name}: the label column "${col.name}" needs at least 2 distinct classes, found only class '${classNames[0]}'`,
          );
        const remap = col.names.map((s) => classNames.indexOf(s));
        for (let r = 0; r < n; r++) ids[r] = remap[ids[r]!]!;
      }
      return {
        dataset: { ...base, classes: classNames.length, labels: ids, classNames, labelName: col.name },
        task: 'classification',
        reason: `the label column "${col.name}" holds text`,
        delimiter,
      };
    }
    // Integer classes 0..k−1 with every class present: the first row that breaks it is named.
    const bad = [col.nonInteger, col.negative].filter((b) => b !== undefined).sort((a, b) => a.line - b.line)[0];
    if (bad)
      throw new TrainerError('bad-input', `${where(bad.line)}: label must be a non-negative integer, got ${bad.value}`);
    if (col.tooLarge)
      throw new TrainerError(
        'bad-input',
        `${where(col.tooLarge.line)}: label ${col.tooLarge.value} is too large (at most ${MAX_CSV_CLASSES - 1}; a numeric target? task: 'regression')`,
      );
    const labels = Uint32Array.from(values[0]!);
    const classes =
      this.options.labelOptional === true
        ? labels.reduce((m, l) => Math.max(m, l + 1), 0)
        : classCount(labels, name, `the label column "${col.name}"`, "; for a numeric target, use task: 'regression'");
    const reason =
      task === 'classification' ? "task: 'classification'" : `the label column "${col.name}" holds integers`;
    return { dataset: { ...base, classes, labels, labelName: col.name }, task: 'classification', reason, delimiter };
  }
}

/** Reads CSV text: a header row, then rows; see CsvOptions for the columns and the task. `name`
 *  (usually the file name) starts every error, which names the line and the column. */
export function readCsv(text: string, name: string, options: CsvOptions = {}): CsvRead {
  const r = new CsvReader(name, options, text.length);
  r.push(text);
  return r.end();
}

/** Parses CSV text into a Dataset: a header, numeric feature columns and a label column (default the
 *  last; text labels are class names, integers classes 0..k−1, non-integer numbers regression targets).
 *  `name` (usually the file name) names the data set and starts every error. */
export function parseCsv(text: string, name: string, options: CsvOptions = {}): Dataset {
  return readCsv(text, name, options).dataset;
}
