// The user's data files, picked or dropped in the page and read here in the worker with the library's
// File readers: one CSV/TSV file (its header first, for the label chooser; the task decided as the CLI's
// --task auto does: text or integer labels are classes, non-integer numbers a regression target), or
// MNIST-layout IDX files or an .npz as arrays. A newer pick replaces a read still going.
import { isArrayFiles, profileCsv, readArrayBlobs, readCsvBlob, readCsvBlobHeader } from '../index.ts';
import { binaryKind, HEAD_BYTES } from './file-kind.ts';
import { post } from './post.ts';
import type { UserData } from './setup.ts';

/** The start of a CSV that its profile (first rows, column summary) covers: a fraction of a second. */
const PROFILE_BYTES = 1 << 20;

export class UserFiles {
  /** The last files read in full (undefined while a read goes on, or after one failed). */
  data: UserData | undefined;
  /** Counts reads: a read that a newer pick has replaced stops at its next chunk. */
  private reads = 0;

  /** Reads the files, telling the page how far it got and what they hold. */
  async read(files: readonly File[], label: string | undefined): Promise<void> {
    const read = ++this.reads;
    const stale = () => read !== this.reads;
    this.data = undefined;
    const first = files[0];
    if (!first) throw new Error('no file given');
    const name = files.length === 1 ? first.name : `${files.length} files`;
    const onProgress = (bytes: number, total: number) => post({ type: 'csv-progress', name, bytes, total });
    if (isArrayFiles(files)) {
      const { name: source, data, notes } = await readArrayBlobs(files, onProgress);
      if (stale()) return;
      const train = 'train' in data ? data.train : data;
      this.data = { data, images: train.features === 784 };
      post({
        type: 'csv',
        name: source,
        rows: train.n,
        features: train.features,
        classes: train.classes,
        task: 'classification',
        reason: notes.join('; '),
        label: '',
        ...('train' in data ? { testRows: data.test.n } : {}),
      });
      return;
    }
    if (files.length > 1)
      throw new Error(
        `${files.map((f) => f.name).join(', ')}: several files are read only as MNIST-layout IDX files; pick one CSV/TSV file`,
      );
    const kind = binaryKind(new Uint8Array(await first.slice(0, HEAD_BYTES).arrayBuffer()));
    if (stale()) return;
    if (kind)
      throw new Error(
        `${name} is ${kind}, not a table of text: pick a CSV or TSV file, MNIST-layout IDX files or an .npz archive`,
      );
    const columns = await readCsvBlobHeader(first);
    if (stale()) return;
    post({ type: 'csv-header', name, columns });
    const head = await first.slice(0, PROFILE_BYTES).text();
    if (stale()) return;
    post({ type: 'csv-profile', name, profile: profileCsv(head, { complete: first.size <= PROFILE_BYTES }) });
    const r = await readCsvBlob(first, label !== undefined ? { label } : {}, onProgress, stale);
    if (!r) return; // a newer pick replaced this one
    if (r.task === 'none') throw new Error(`${name}: no label column`);
    const d = r.dataset;
    this.data = { data: d, images: false };
    post({
      type: 'csv',
      name,
      rows: d.n,
      features: d.features,
      classes: d.classes,
      task: r.task,
      reason: r.reason,
      label: d.labelName ?? (d.targetNames ?? []).join(', '),
      ...(d.classNames ? { classNames: d.classNames } : {}),
    });
  }
}
