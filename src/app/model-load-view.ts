// Loading a model file in the page: the file is read here (decodeModel, no GPU), the form takes its
// architecture, recorded settings and label column (src/app/model-settings.ts), and only then does the
// worker load it with those settings, so the model fits the form without matching it by hand. A CSV
// model waits for its data: the file's columns are checked against the model's first (names in order),
// and a different label column is chosen and the file read again before the load is sent.
import { decodeModel, type SavedModel } from '../index.ts';
import type { ToWorker } from './protocol.ts';
import { columnsProblem, settingsFromModel, type ModelSettings } from './model-settings.ts';
import type { Settings } from './settings.ts';

/** What the loader needs of the page. */
export interface LoadHost {
  /** The form's settings, or undefined after showing what is wrong with them. */
  settings(): Settings | undefined;
  /** Puts settings in the form (and the URL). */
  setSettings(s: Settings): void;
  send(m: ToWorker, transfer: Transferable[]): void;
  error(text: string): void;
  notice(text: string): void;
  /** The picked data file once its header is read: its columns, the label column chosen, whether its
   *  rows are read (`ready`), and a way to read it again with another label. */
  csv(): { header: readonly string[]; label: string; ready: boolean; read(label: string): void } | undefined;
}

interface Pending {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly from: ModelSettings;
  /** The data file was read again with the model's label column (once: a second time is a failure). */
  readonly relabelled?: boolean;
}

export class ModelLoader {
  /** A CSV model waiting for its data file to be read. */
  private pending: Pending | undefined;

  constructor(
    input: HTMLInputElement,
    private readonly host: LoadHost,
  ) {
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = ''; // the same file again fires 'change' again
      if (file)
        file.arrayBuffer().then(
          (buf) => this.pick(file.name, new Uint8Array(buf)),
          (e: unknown) => host.error(`${file.name}: cannot read the file (${String(e)})`),
        );
    });
  }

  /** A model file picked: its settings go into the form; it loads now, or once its data is read. */
  pick(name: string, bytes: Uint8Array): void {
    this.host.error('');
    this.pending = undefined;
    let model: SavedModel;
    try {
      model = decodeModel(bytes, name);
    } catch (e) {
      return this.host.error(`Load model: ${e instanceof Error ? e.message : String(e)}`);
    }
    const current = this.host.settings();
    if (!current) return;
    const from = settingsFromModel(model, current);
    this.host.setSettings(from.settings);
    const notes = from.notes.length > 0 ? ` (${from.notes.join('; ')})` : '';
    this.host.notice(`The form now has ${name}'s architecture and settings${notes}.`);
    this.pending = { name, bytes, from };
    this.tryLoad();
  }

  /** The data file was read (or read again): a model waiting for it loads now. */
  onData(): void {
    if (this.pending) this.tryLoad();
  }

  private fail(text: string): void {
    this.pending = undefined;
    this.host.error(text);
  }

  private tryLoad(): void {
    const p = this.pending!;
    const columns = p.from.columns;
    if (p.from.settings.data === 'csv' && columns) {
      const csv = this.host.csv();
      if (!csv) {
        const label = columns.label ? `, label "${columns.label}"` : '';
        return this.host.notice(
          `${p.name} was trained on a file with the columns ${columns.features.join(', ')}${label}: pick that file and the model loads.`,
        );
      }
      const problem = columnsProblem(columns, csv.header);
      if (problem) return this.fail(`Load model: ${p.name} does not fit the data file: ${problem}`);
      if (columns.label && csv.label !== columns.label) {
        if (p.relabelled)
          return this.fail(
            `Load model: ${p.name}: the data file could not be read with the label column "${columns.label}"`,
          );
        this.pending = { ...p, relabelled: true };
        return csv.read(columns.label); // onData goes on
      }
      if (!csv.ready) return; // still reading, or failed with this label: onData goes on
    }
    this.pending = undefined;
    const s = this.host.settings();
    if (s) this.host.send({ type: 'load', name: p.name, bytes: p.bytes, settings: s }, [p.bytes.buffer]);
  }
}
