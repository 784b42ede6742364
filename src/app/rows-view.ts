// Predict rows: a CSV picked or dropped on the panel goes to the worker, which reads its columns by the
// model's names and answers with the library's predict: the first rows shown (inputs, then the
// prediction), all of them as a CSV to download, and the model's figure when the file has labels.
import { download } from './download.ts';
import type { TryAnswer } from './try-model.ts';

export class RowsView {
  private csv: { name: string; text: string } | undefined;

  constructor(
    private readonly panel: HTMLElement,
    input: HTMLInputElement,
    private readonly out: HTMLElement,
    private readonly table: HTMLTableElement,
    private readonly save: HTMLButtonElement,
    ask: (file: File) => void,
  ) {
    const take = (file: File | undefined) => {
      if (!file) return;
      this.out.textContent = `${file.name}: predicting…`;
      ask(file);
    };
    input.addEventListener('change', () => {
      take(input.files?.[0]);
      input.value = ''; // the same file again fires 'change' again
    });
    // A file dropped here is rows to predict, not data to train on (the form's drop).
    panel.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
    });
    panel.addEventListener('drop', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      take(ev.dataTransfer?.files[0]);
    });
    save.addEventListener('click', () => this.csv && download(this.csv.name, this.csv.text, 'text/csv'));
  }

  /** Shown once there is a model to predict with. */
  setModel(has: boolean): void {
    this.panel.hidden = !has;
  }

  show(m: Extract<TryAnswer, { type: 'rows' }>): void {
    this.csv = { name: m.name, text: m.csv };
    this.save.disabled = false;
    this.out.textContent = `${m.rows} predictions · ${m.figure}${m.rows > m.first.length ? ` · the first ${m.first.length} shown` : ''}`;
    const tr = (cells: readonly string[], tag: 'th' | 'td') => {
      const row = document.createElement('tr');
      row.append(
        ...cells.map((t) => {
          const c = document.createElement(tag);
          // float32 values read back as doubles (0.20000000298…): four significant digits are enough here
          c.textContent =
            tag === 'td' && t !== '' && Number.isFinite(Number(t)) ? String(Number(Number(t).toPrecision(4))) : t;
          return c;
        }),
      );
      return row;
    };
    this.table.replaceChildren(tr(m.header, 'th'), ...m.first.map((r) => tr(r, 'td')));
  }
}
