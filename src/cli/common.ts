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

/** Prints the error's first line (all of it with DEBUG=1) and gives the exit code of a failure, 1. */
export function failed(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`error: ${process.env.DEBUG ? msg : msg.split('\n')[0]}`);
  return 1;
}

/** Runs a command's main and exits with its code, once what it wrote has gone out (writes to a pipe
 *  are asynchronous: exiting at once can cut off the end of a long --json output). */
export function run(main: (argv: string[]) => Promise<number>): void {
  const exit = (code: number) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  main(process.argv.slice(2)).then(exit, (e: unknown) => exit(failed(e)));
}
