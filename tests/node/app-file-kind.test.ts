// The page names a binary file picked as data (src/app/file-kind.ts) instead of reading its bytes as a
// header ("\u{FFFD}PNG" as a label column).
import { describe, expect, it } from 'vitest';
import { binaryKind } from '../../src/app/file-kind.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

describe('the app file kinds', () => {
  // Test that images, archives and other binary data are named, and text tables are not.
  it('Test that binary files are named and text tables pass', () => {
    const png = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52);
    expect(binaryKind(png)).toBe('a PNG image');
    expect(binaryKind(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10))).toBe('a JPEG image');
    expect(binaryKind(bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0))).toMatch(/^a zip archive/);
    expect(binaryKind(bytes(0x1f, 0x8b, 0x08, 0))).toBe('a gzip file');
    expect(binaryKind(bytes(0x01, 0x02, 0x41, 0x00, 0x42))).toBe('binary data');
    expect(binaryKind(text('x1,x2,y\n0.5,1,2\n'))).toBeUndefined();
    expect(binaryKind(text('\uFEFF"a";"b"\r\n1;2\r\n'))).toBeUndefined();
    expect(binaryKind(text('a\tb\tlabel\n1\t2\tcat\n'))).toBeUndefined();
    expect(binaryKind(text('sepal length,species\n5.1,setosa — ünïcode\n'))).toBeUndefined();
  });
});
