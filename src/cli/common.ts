// What every command does the same way: write files atomically, read a named input file with an error
// that names the flag, and end with a one-line error (the stack only with DEBUG=1).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Write then rename, so a crash never leaves a half-written file under the final name. */
export function writeAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** The file's bytes; a missing or unreadable file is an error naming the flag and the path. */
export function readInput(path: string, flag: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The library names its options (task: 'regression', drop: ['id']); the command line has flags. */
const FLAG_WORDS: [RegExp, string][] = [
  [/\btask: '(\w+)'/g, '--task $1'],
  [/\bdrop: \['([^']*)'\]/g, '--drop $1'],
  [/\blabel: '([^']*)'/g, '--label $1'],
  [/\blabel: another column/g, '--label another column'],
  [/: drop "/g, ': --drop "'],
  [/\bno drop column\b/g, 'no --drop column'],
  [/\bthe delimiter option\b/g, '--delimiter'],
];

/** A library message in the command line's words: its option names as the flags that set them. */
export const inFlags = (message: string): string => FLAG_WORDS.reduce((m, [re, flag]) => m.replace(re, flag), message);

/** Prints the error's first line (all of it with DEBUG=1) and gives the exit code of a failure, 1. */
export function failed(e: unknown): number {
  const msg = inFlags(e instanceof Error ? e.message : String(e));
  console.error(`error: ${process.env.DEBUG ? msg : msg.split('\n')[0]}`);
  return 1;
}

/** Runs a command's main and exits with its code, once stdout and stderr are flushed: writes to a pipe
 *  are asynchronous, and exiting at once cut `predict --json` output after a few hundred rows. */
export function run(main: (argv: string[]) => Promise<number>): void {
  const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  main(process.argv.slice(2)).then(exit, (e: unknown) => exit(failed(e)));
}
