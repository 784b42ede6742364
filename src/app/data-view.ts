// A picked CSV before training: its first rows as written, and a summary of each column (type, range,
// missing cells, distinct values), so the user sees which column holds the classes, which hold text
// the reader will refuse as features, and where cells are missing.
import { compactNumber, type CsvColumnSummary } from '../index.ts';
import type { FromWorker } from './protocol.ts';

const cell = (tag: 'th' | 'td', text: string, cls = ''): HTMLTableCellElement => {
  const c = document.createElement(tag);
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
};

const row = (cells: HTMLTableCellElement[]): HTMLTableRowElement => {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
};

/** What a column holds, in a few words: its range, or its first text values. */
function holds(c: CsvColumnSummary): string {
  const range = c.min !== undefined ? `${compactNumber(c.min)} … ${compactNumber(c.max!)}` : '';
  const text =
    c.text.length > 0 ? c.text.map((t) => `"${t}"`).join(', ') + (c.distinct > c.text.length ? ', …' : '') : '';
  return [range, text].filter((s) => s !== '').join('; ');
}

/** Fills the profile panel (`#profile-title`, `#profile-rows`, `#profile-columns` inside it) and shows it. */
export function showProfile(panel: HTMLElement, m: Extract<FromWorker, { type: 'csv-profile' }>): void {
  const p = m.profile;
  const title = panel.querySelector('#profile-title')!;
  title.textContent =
    `${m.name}: the first ${p.firstRows.length} rows, and each column over ` +
    (p.complete ? `all ${p.rows} rows` : `the first ${p.rows} rows (the file's first MiB)`);
  panel
    .querySelector('#profile-rows')!
    .replaceChildren(
      row(p.header.map((h) => cell('th', h))),
      ...p.firstRows.map((r) =>
        row(p.header.map((_, c) => cell('td', r[c] ?? '', (r[c] ?? '') === '' ? 'missing' : ''))),
      ),
    );
  panel
    .querySelector('#profile-columns')!
    .replaceChildren(
      row(['column', 'type', 'values', 'missing', 'distinct'].map((h) => cell('th', h))),
      ...p.columns.map((c) =>
        row([
          cell('th', c.name),
          cell('td', c.type, c.type === 'text' ? 'warn' : ''),
          cell('td', holds(c)),
          cell('td', String(c.missing), c.missing > 0 ? 'bad' : ''),
          cell('td', c.distinct > 1000 ? '> 1000' : String(c.distinct)),
        ]),
      ),
    );
  panel.hidden = false;
}
