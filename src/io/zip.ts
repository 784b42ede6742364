// The part of the zip format an .npz needs (np.savez stores its members, np.savez_compressed deflates
// them): the end-of-central-directory record, the central directory, each member's local header, CRC-32.
// Pure: the caller inflates deflated members (node:zlib's inflateRawSync in Node, DecompressionStream
// ('deflate-raw') in a browser) and hands the result to `checked`.

/** One member: its bytes as stored (deflated or not), the size and CRC-32 its data must have. */
export interface ZipEntry {
  readonly name: string;
  readonly method: 'stored' | 'deflated';
  readonly raw: Uint8Array;
  readonly size: number;
  readonly crc32: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The members of a zip archive (directories left out); `where` (the file) starts every error. */
export function zipEntries(bytes: Uint8Array, where: string): ZipEntry[] {
  const fail = (m: string) => new Error(`${where}: ${m}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is the last 22 bytes, unless a comment (at most 65535 bytes) follows it.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === EOCD && i + 22 + v.getUint16(i + 20, true) === bytes.length) {
      end = i;
      break;
    }
  }
  if (end < 0) throw fail('not a zip archive (no end-of-central-directory record; truncated?)');
  const count = v.getUint16(end + 10, true);
  const cdSize = v.getUint32(end + 12, true);
  const cdStart = v.getUint32(end + 16, true);
  if (count === 0xffff || cdStart === 0xffffffff)
    throw fail('zip64 archive (over 4 GiB or 65535 members): data sets past the JS heap are out of scope');
  if (cdStart + cdSize > end)
    throw fail(`central directory (${cdSize} bytes at ${cdStart}) runs past its end record at ${end} (truncated?)`);
  const entries: ZipEntry[] = [];
  let p = cdStart;
  for (let k = 0; k < count; k++) {
    if (p + 46 > end || v.getUint32(p, true) !== CENTRAL)
      throw fail(`central directory entry ${k + 1} of ${count} is damaged`);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc32 = v.getUint32(p + 16, true);
    const packed = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const next = p + 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    if (next > end) throw fail(`central directory entry ${k + 1} of ${count} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p = next;
    if (name.endsWith('/')) continue;
    const at = `member '${name}'`;
    if (flags & 1) throw fail(`${at} is encrypted`);
    if (method !== 0 && method !== 8)
      throw fail(`${at} uses compression method ${method}; only stored (0) and deflated (8) are supported`);
    if (packed === 0xffffffff || size === 0xffffffff || local === 0xffffffff)
      throw fail(`${at} has zip64 sizes (over 4 GiB): data sets past the JS heap are out of scope`);
    if (local + 30 > bytes.length || v.getUint32(local, true) !== LOCAL)
      throw fail(`${at}: no local header at offset ${local}`);
    const data = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (data + packed > bytes.length)
      throw fail(`${at}: ${packed} bytes at offset ${data} run past the end of the file (truncated?)`);
    if (method === 0 && packed !== size) throw fail(`${at} is stored but its sizes differ (${packed} and ${size})`);
    entries.push({
      name,
      method: method === 0 ? 'stored' : 'deflated',
      raw: bytes.subarray(data, data + packed),
      size,
      crc32,
    });
  }
  return entries;
}

/** A member's data (inflated for a deflated one), checked against its recorded size and CRC-32. */
export function checked(e: ZipEntry, data: Uint8Array, where: string): Uint8Array {
  const at = `${where}: member '${e.name}'`;
  if (data.length !== e.size)
    throw new Error(`${at} has ${data.length} bytes, its directory entry says ${e.size} (damaged archive?)`);
  const c = crc32(data);
  if (c !== e.crc32)
    throw new Error(
      `${at} fails its CRC-32 check (0x${c.toString(16)}, recorded 0x${e.crc32.toString(16)}): damaged archive`,
    );
  return data;
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zip and gzip checksum). */
export function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
