// A CSV file read in Node as a stream of 1 MiB chunks (decoded as UTF-8 across chunk boundaries) into
// the CSV reader: the file is never one string in memory, only the growing typed arrays it fills.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CsvReader, csvHeader, type CsvOptions, type CsvRead } from './csv.ts';

const CHUNK_BYTES = 1 << 20;

/** The header row of the CSV file at `path` (read from its first 64 KiB). */
export function readCsvHeader(path: string, delimiter?: string, flag = '--data'): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const buf = new Uint8Array(1 << 16);
    const got = readSync(fd, buf, 0, buf.length, 0);
    return csvHeader(new TextDecoder('utf-8').decode(buf.subarray(0, got), { stream: true }), delimiter);
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks the CSV file at `path` (errors start with the path); an unreadable file is an
 *  error naming `flag` and the path. `scan` false parses every window with papaparse (for comparison). */
export function readCsvFile(path: string, options: CsvOptions = {}, flag = '--data', scan = true): CsvRead {
  const cannot = (e: unknown) =>
    new Error(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannot(e);
  }
  try {
    const reader = new CsvReader(path, options, fstatSync(fd).size, scan);
    const decoder = new TextDecoder('utf-8'); // drops a BOM
    const buf = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      let got: number;
      try {
        got = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw cannot(e);
      }
      if (got === 0) break;
      reader.push(decoder.decode(buf.subarray(0, got), { stream: true }));
    }
    reader.push(decoder.decode());
    return reader.end();
  } finally {
    closeSync(fd);
  }
}
