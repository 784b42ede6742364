// Data files as a page or a Worker gets them (File objects from a picker or a drop), read with the web
// platform only (Blob streams, DecompressionStream), so they also run in Node 18+: a CSV/TSV file
// streamed in chunks into the CsvReader, MNIST-layout IDX files (several at once, each optionally
// gzipped) and an .npz archive (stored or deflated members). src/data/array-files.ts reads the same
// formats from paths with node:fs and node:zlib.
import { CsvReader, csvHeader, type CsvOptions, type CsvRead } from './csv.ts';
import { IDX_NAMES, idxRole, idxSource, isGzip, npzSource, type IdxFiles, type Loaded } from './arrays.ts';
import { checked, zipEntries } from '../io/zip.ts';
import { messageOf } from '../errors.ts';

/** A file with a name: a File, or any Blob given one. */
export type NamedBlob = Blob & { readonly name: string };

/** Bytes read so far of all the files, and their total. */
export type ReadProgress = (bytes: number, total: number) => void;

/** True when the files are IDX files or an .npz (an array source), false for a CSV/TSV file. */
export const isArrayFiles = (files: readonly { readonly name: string }[]): boolean =>
  files.some((f) => f.name.endsWith('.npz') || idxRole(f.name) !== undefined);

/** Bytes between progress reports. */
const PROGRESS_BYTES = 1 << 22;

/** The header row of a CSV/TSV file (read from its first 64 KiB). */
export async function readCsvBlobHeader(file: Blob, delimiter?: string): Promise<string[]> {
  const head = new TextDecoder('utf-8').decode(await file.slice(0, 1 << 16).arrayBuffer(), { stream: true });
  return csvHeader(head, delimiter);
}

/** Reads a CSV/TSV file through the CsvReader in the stream's chunks (decoded as UTF-8 across chunk
 *  boundaries), reporting progress every few MiB or 100 ms; `cancelled` stops it between chunks
 *  (returns undefined). */
export async function readCsvBlob(
  file: NamedBlob,
  options: CsvOptions = {},
  onProgress: ReadProgress = () => {},
  cancelled: () => boolean = () => false,
): Promise<CsvRead | undefined> {
  const reader = new CsvReader(file.name, options, file.size);
  const decoder = new TextDecoder('utf-8'); // drops a BOM
  const stream = file.stream().getReader();
  let bytes = 0;
  let told = 0;
  let toldAt = performance.now();
  for (;;) {
    const { done, value } = await stream.read();
    if (cancelled()) return void (await stream.cancel());
    if (done) break;
    bytes += value.byteLength;
    reader.push(decoder.decode(value, { stream: true }));
    if (bytes - told >= PROGRESS_BYTES || performance.now() - toldAt > 100) {
      onProgress(bytes, file.size);
      told = bytes;
      toldAt = performance.now();
    }
  }
  reader.push(decoder.decode());
  onProgress(file.size, file.size);
  return reader.end();
}

/** Decompresses gzip or raw deflate data; damaged data is an error naming `where`. */
async function decompress(bytes: Uint8Array, format: 'gzip' | 'deflate-raw', where: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream(format));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${where}: damaged ${format === 'gzip' ? 'gzip' : 'deflate'} data (${messageOf(e)})`);
  }
}

/** IDX files (the four of MNIST's layout, by name, each optionally .gz) or one .npz archive. */
export async function readArrayBlobs(
  files: readonly NamedBlob[],
  onProgress: ReadProgress = () => {},
): Promise<Loaded & { name: string }> {
  const total = files.reduce((s, f) => s + f.size, 0);
  let done = 0;
  const read = async (f: NamedBlob) => {
    const bytes = new Uint8Array(await f.arrayBuffer());
    onProgress((done += f.size), total);
    return bytes;
  };
  const npz = files.filter((f) => f.name.endsWith('.npz'));
  if (npz.length > 0) {
    if (files.length > 1) throw new Error(`an .npz archive comes alone; got ${files.map((f) => f.name).join(', ')}`);
    const where = npz[0]!.name;
    const entries = zipEntries(await read(npz[0]!), where).filter((e) => e.name.endsWith('.npy'));
    const members = new Map<string, Uint8Array>();
    for (const e of entries)
      members.set(
        e.name,
        checked(
          e,
          e.method === 'stored' ? e.raw : await decompress(e.raw, 'deflate-raw', `${where}: member '${e.name}'`),
          where,
        ),
      );
    return { name: where, ...npzSource(where, [...members.keys()], (m) => members.get(m)!) };
  }
  const byRole = new Map<keyof IdxFiles, NamedBlob>();
  for (const f of files) {
    const role = idxRole(f.name);
    if (!role)
      throw new Error(
        `${f.name}: not one of MNIST's IDX files (${Object.values(IDX_NAMES).join(', ')}, each optionally .gz); pick the four together`,
      );
    if (byRole.has(role)) throw new Error(`${f.name} and ${byRole.get(role)!.name} are both ${IDX_NAMES[role]}`);
    byRole.set(role, f);
  }
  const missing = (Object.keys(IDX_NAMES) as (keyof IdxFiles)[]).filter((r) => !byRole.has(r));
  if (missing.length > 0)
    throw new Error(
      `IDX files: ${missing.map((r) => IDX_NAMES[r]).join(', ')} missing (got ${files.map((f) => f.name).join(', ')}); pick the four files together`,
    );
  const file = async (role: keyof IdxFiles) => {
    const f = byRole.get(role)!;
    const bytes = await read(f);
    return { bytes: isGzip(bytes) ? await decompress(bytes, 'gzip', f.name) : bytes, where: f.name };
  };
  const f: IdxFiles = {
    trainImages: await file('trainImages'),
    trainLabels: await file('trainLabels'),
    testImages: await file('testImages'),
    testLabels: await file('testLabels'),
  };
  return { name: 'IDX files', ...idxSource('idx', f) };
}
