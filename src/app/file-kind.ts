// What a picked file is when it is not a text table: an image, an archive, other binary data. The CSV
// reader would take a PNG's first bytes for a header ("\u{FFFD}PNG" as a label column); the page names the
// file's kind instead.

/** Leading bytes of common binary files the page can name. */
const MAGIC: readonly [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (an .xlsx workbook is one too)'],
  [[0x1f, 0x8b], 'a gzip file'],
  [[0x52, 0x49, 0x46, 0x46], 'a RIFF file (WebP, WAV, AVI)'],
];

/** The kind of binary file these first bytes start, or undefined for text: a known signature, else a NUL
 *  byte or more than a tenth of control characters (no text table has either; UTF-16 text is not read). */
export function binaryKind(head: Uint8Array): string | undefined {
  for (const [magic, kind] of MAGIC) if (magic.every((b, i) => head[i] === b)) return kind;
  let control = 0;
  for (const b of head) {
    if (b === 0) return 'binary data';
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) control++;
  }
  return control > head.length / 10 ? 'binary data' : undefined;
}

/** Bytes read to decide. */
export const HEAD_BYTES = 512;
