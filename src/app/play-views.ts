// The playground's views beside the run (a CSV's profile, draw a digit, ONNX download…): made here from
// their panels and given the worker's messages, so main.ts only tells them when a model is ready, when
// a run holds the model, and when the data changed.
import { showProfile } from './data-view.ts';
import { DigitPad } from './draw-view.ts';
import { drawLayers, layerRows } from './layer-summary.ts';
import { RowsView } from './rows-view.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import type { Settings } from './settings.ts';

const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

export class PlayViews {
  private readonly pad: DigitPad;
  private readonly onnx: HTMLButtonElement;
  private readonly rows: RowsView;

  constructor(send: (m: ToWorker) => void) {
    this.pad = new DigitPad(
      byId('draw-panel'),
      byId<HTMLCanvasElement>('draw-pad'),
      byId('draw-out'),
      byId('draw-bars'),
      byId<HTMLCanvasElement>('draw-seen'),
      (ink) => send({ type: 'try', request: { kind: 'digit', ink } }),
    );
    byId('draw-clear').addEventListener('click', () => this.pad.clear());
    this.rows = new RowsView(
      byId('rows-panel'),
      byId<HTMLInputElement>('rows-file'),
      byId('rows-out'),
      byId<HTMLTableElement>('rows-table'),
      byId<HTMLButtonElement>('rows-save'),
      (file) => send({ type: 'try', request: { kind: 'rows', file } }),
    );
    this.onnx = byId<HTMLButtonElement>('save-onnx');
    this.onnx.addEventListener('click', () => send({ type: 'try', request: { kind: 'onnx' } }));
  }

  /** A model is ready: its layer summary, and the views that suit its data. */
  ready(m: Extract<FromWorker, { type: 'ready' }>, s: Settings): void {
    this.pad.setModel(m.view.kind === 'digits');
    const batch = Math.min(s.batchSize, m.trainRows);
    drawLayers(byId<HTMLTableElement>('layers-table'), layerRows(m.spec, batch, s.optimizer));
    byId('layers-title').textContent = `The model, layer by layer (float32; a batch of ${batch} rows, ${s.optimizer})`;
    byId('layers-panel').hidden = false;
    this.onnx.disabled = false;
    this.rows.setModel(true);
  }

  /** A run or sweep holds the model (true) or has let it go. */
  busy(busy: boolean): void {
    this.pad.setBusy(busy);
  }

  /** The data changed: the model's views go until the next model. */
  clear(): void {
    this.pad.setModel(false);
    byId('profile-panel').hidden = true;
  }

  /** Takes the worker's answers to these views; false for any other message. */
  handle(m: FromWorker): boolean {
    if (m.type === 'digit') this.pad.show(m);
    else if (m.type === 'rows') this.rows.show(m);
    else if (m.type === 'csv-profile') showProfile(byId('profile-panel'), m);
    else return false;
    return true;
  }
}
