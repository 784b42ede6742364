// papaparse is a UMD module: Node's ESM loader gives it as the default export, bundlers as a namespace
// with its functions; this takes whichever is there, once.
import * as PapaModule from 'papaparse';

type PapaApi = typeof PapaModule;
export const Papa: PapaApi = (PapaModule as PapaApi & { default?: PapaApi }).default ?? PapaModule;

/** What Papa.Parser#parse returns (its declaration says `any`). */
export interface ChunkResult {
  readonly data: string[][];
  readonly errors: readonly { readonly code: string; readonly row?: number; readonly message: string }[];
  /** Where the rows it returned end (the rest is an unfinished row when ignoreLastRow). */
  readonly meta: { readonly cursor: number };
}

/** Papa's raw RFC 4180 parser for one delimiter and line break: chunks in, rows of strings out. */
export interface ChunkParser {
  parse(input: string, baseIndex: number, ignoreLastRow: boolean): ChunkResult;
}

export function chunkParser(delimiter: string, newline: '\n' | '\r'): ChunkParser {
  const p = new Papa.Parser({ delimiter, newline });
  return { parse: (input, base, ignoreLast) => p.parse(input, base, ignoreLast) as ChunkResult };
}

/** The delimiter of a sample among the candidates (papaparse's guess: the most consistent field count
 *  over the first rows), or undefined when none gives two fields or more. */
export function sniffDelimiter(
  sample: string,
  newline: '\n' | '\r',
  candidates: readonly string[],
): string | undefined {
  const r = Papa.parse<string[]>(sample, { delimitersToGuess: [...candidates], newline, preview: 10 });
  return r.errors.some((e) => e.code === 'UndetectableDelimiter') ? undefined : r.meta.delimiter;
}
