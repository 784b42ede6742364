// The settings form's look: which fields show for the data and optimizer chosen, and which are marked
// wrong, with their messages under their labels.
import { KEYS, type FieldError } from './settings.ts';

/** β1 and β2 only for the optimizers that use them. */
export function showOptimizerFields(form: HTMLFormElement, optimizer: string): void {
  form
    .querySelectorAll<HTMLElement>('[data-optimizers]')
    .forEach((el) => (el.hidden = !(el.dataset.optimizers ?? '').split(' ').includes(optimizer)));
}

/** The data file fields only for CSV data, the noise only for the 2-D sets. */
export function showDataFields(form: HTMLFormElement, data: string): void {
  form
    .querySelectorAll<HTMLElement>('[data-for="synthetic"]')
    .forEach((el) => (el.hidden = data === 'mnist' || data === 'csv'));
  form.querySelectorAll<HTMLElement>('[data-for="csv"]').forEach((el) => (el.hidden = data !== 'csv'));
}

/** Marks each bad field (aria-invalid, the .invalid class, its message under its label) and unmarks
 *  the rest, so the banner is not the only place that says which field is wrong. */
export function markFields(form: HTMLFormElement, fields: readonly FieldError[]): void {
  for (const key of KEYS) {
    const el = form.elements.namedItem(key);
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) continue;
    const bad = fields.find((f) => f.key === key);
    el.classList.toggle('invalid', bad !== undefined);
    if (bad) el.setAttribute('aria-invalid', 'true');
    else el.removeAttribute('aria-invalid');
    const note = document.getElementById(`${key}-error`) ?? (bad ? fieldNote(el, key) : undefined);
    if (note) note.textContent = bad?.message ?? '';
  }
}

/** The message line under a field's label, made the first time the field is wrong. */
function fieldNote(el: HTMLInputElement | HTMLSelectElement, key: string): HTMLElement {
  const note = document.createElement('p');
  note.className = 'field-error';
  note.id = `${key}-error`;
  (el.closest('label') ?? el).after(note);
  el.setAttribute('aria-describedby', `${note.id} ${el.getAttribute('aria-describedby') ?? ''}`.trim()); // and its hint
  return note;
}

/** Files dropped anywhere on the page: the data set becomes "your files" (the form's input event lets
 *  the URL and the visible fields follow), then they are read as if picked. */
export function acceptDrops(form: HTMLFormElement, pick: (files: File[]) => void): void {
  document.addEventListener('dragover', (ev) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (ev) => {
    const files = [...(ev.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    ev.preventDefault();
    const data = form.elements.namedItem('data');
    if (data instanceof HTMLSelectElement && data.value !== 'csv') {
      data.value = 'csv';
      form.dispatchEvent(new Event('input'));
    }
    pick(files);
  });
}
