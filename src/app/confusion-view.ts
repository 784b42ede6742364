// The confusion matrix of a classifier on the test rows (training rows when there are none), with each
// class's recall at the end of its row and precision under its column: which classes the model mixes up.
import type { ClassificationMetrics } from '../index.ts';
import type { FromWorker } from './protocol.ts';

const cell = (tag: 'th' | 'td', text: string, title = ''): HTMLTableCellElement => {
  const c = document.createElement(tag);
  c.textContent = text;
  if (title) c.title = title;
  return c;
};

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Fills `table` with the matrix: rows true classes, columns predicted ones; a cell's shade is its share
 *  of its row, blue on the diagonal, red off it. */
export function drawConfusion(
  table: HTMLTableElement,
  m: ClassificationMetrics,
  names: readonly string[] | undefined,
): void {
  const name = (k: number) => names?.[k] ?? String(k);
  const head = document.createElement('tr');
  head.append(
    cell('th', 'true ↓ predicted →'),
    ...m.confusion.map((_, k) => cell('th', name(k))),
    cell('th', 'recall'),
  );
  const rows = m.confusion.map((row, t) => {
    const tr = document.createElement('tr');
    const total = row.reduce((a, b) => a + b, 0);
    tr.append(cell('th', name(t)));
    row.forEach((n, p) => {
      const td = cell('td', String(n), `${n} rows of ${name(t)} predicted as ${name(p)}`);
      const share = total > 0 ? n / total : 0;
      td.style.background = `rgba(${p === t ? '31, 95, 191' : '214, 39, 40'}, ${(0.6 * share).toFixed(3)})`;
      tr.append(td);
    });
    tr.append(cell('td', pct(m.perClass[t]?.recall ?? 0)));
    return tr;
  });
  const foot = document.createElement('tr');
  foot.append(cell('th', 'precision'), ...m.perClass.map((c) => cell('td', pct(c.precision))), cell('td', ''));
  table.replaceChildren(head, ...rows, foot);
}

/** The panel for a run's matrix: shown, titled with its split, filled. */
export function showConfusion(m: Extract<FromWorker, { type: 'confusion' }>): void {
  document.getElementById('confusion-panel')!.hidden = false;
  document.getElementById('confusion-split')!.textContent = `${m.split} rows`;
  drawConfusion(document.getElementById('confusion-table') as HTMLTableElement, m.metrics, m.classNames);
}
