// The line break and delimiter of CSV text, and its header row: what the reader decides before it reads
// (kept apart from papa.ts so that the public declarations never name papaparse's types).
import { chunkParser, sniffDelimiter } from './papa.ts';

/** The line break and delimiter of CSV text, from its first 64 KiB: '\n' (which also ends CRLF lines:
 *  the '\r' is trimmed with the cell) unless only '\r' occurs outside quotes; the delimiter as given, else
 *  sniffed among , ; and tab, else ','. */
export function format(text: string, delimiter: string | undefined): { newline: '\n' | '\r'; delimiter: string } {
  const sample = text.slice(0, 1 << 16);
  const bare = sample.replace(/"(?:[^"]|"")*"/g, '""'); // line breaks inside quotes do not count
  const newline = bare.includes('\n') || !bare.includes('\r') ? '\n' : '\r';
  return { newline, delimiter: delimiter ?? sniffDelimiter(sample, newline, [',', ';', '\t']) ?? ',' };
}

/** The first row of CSV text (pass at least its first line), names trimmed. */
export function csvHeader(text: string, delimiter?: string): string[] {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const f = format(t, delimiter);
  return (chunkParser(f.delimiter, f.newline).parse(t, 0, false).data[0] ?? []).map((s) => s.trim());
}
