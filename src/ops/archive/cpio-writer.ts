// A streaming writer of the SVR4 portable cpio formats GNU cpio calls newc and crc (the
// initramfs format): per entry a 110-byte ASCII header (magic 070701, or 070702 with a
// checksum, then 13 fields of 8 upper-case hex digits), the name with its NUL padded to a
// multiple of 4 bytes, the data padded to 4; a TRAILER!!! entry ends the archive, which is padded
// to GNU cpio's 512-byte blocks. The archive is a stream of chunks pulled as the output takes them (no entry is held).
import { JootError } from '../../core/errors.js';

export const cpioFormats = ['newc', 'crc'] as const;
export type CpioFormat = (typeof cpioFormats)[number];

const BLOCK = 512;
const MAX32 = 0xffffffff;
const ZEROS = Buffer.alloc(BLOCK);

export interface CpioEntry {
  /** as stored: `.` or `a/b` */
  name: Buffer;
  ino: number;
  /** st_mode, type bits included */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  /** the data's length: a file's bytes (0 for a later hard link), a link's target */
  size: number;
  devmajor: number;
  devminor: number;
  rdevmajor: number;
  rdevminor: number;
  /** crc format: the sum of the data's bytes, mod 2^32 */
  check?: number;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** The header and padded name of one entry. */
export function encodeCpioHeader(e: CpioEntry, format: CpioFormat): Buffer {
  for (const [field, v] of Object.entries(e)) {
    if (typeof v === 'number' && (!Number.isInteger(v) || v < 0 || v > MAX32))
      throw new JootError('EINVAL', `${e.name.toString('utf8')}: ${field} ${v} does not fit the ${format} format`);
  }
  const namesize = e.name.length + 1;
  const fields = [
    e.ino,
    e.mode,
    e.uid,
    e.gid,
    e.nlink,
    e.mtime,
    e.size,
    e.devmajor,
    e.devminor,
    e.rdevmajor,
    e.rdevminor,
    namesize,
    format === 'crc' ? (e.check ?? 0) : 0,
  ];
  const head = Buffer.from((format === 'crc' ? '070702' : '070701') + fields.map(hex8).join(''), 'latin1');
  return Buffer.concat([head, e.name, Buffer.alloc(1 + pad4(head.length + namesize))]);
}

/** The crc format's check: the sum of every byte, mod 2^32 (GNU cpio's). */
export function byteSum(sum: number, b: Uint8Array): number {
  let s = sum;
  for (const x of b) s += x;
  return s >>> 0;
}

/** An archive's bytes, entry by entry: each method yields its part of the stream. */
export class CpioWriter {
  private written = 0;

  constructor(readonly format: CpioFormat) {}

  private count(b: Buffer): Buffer {
    this.written += b.length;
    return b;
  }

  /**
   * One entry. `body` must yield exactly `e.size` bytes: extra bytes are dropped and a
   * shortfall is made up with zeros after `onShort` (the file changed while it was read).
   */
  async *entry(e: CpioEntry, body?: AsyncIterable<Buffer>, onShort?: (missing: number) => void): AsyncGenerator<Buffer> {
    yield this.count(encodeCpioHeader(e, this.format));
    let left = e.size;
    if (body) {
      for await (const c of body) {
        if (left === 0) break;
        const part = c.length > left ? c.subarray(0, left) : c;
        left -= part.length;
        yield this.count(part);
      }
    }
    if (left > 0) {
      onShort?.(left);
      for (; left > 0; left -= Math.min(left, BLOCK)) yield this.count(ZEROS.subarray(0, Math.min(left, BLOCK)));
    }
    const pad = pad4(e.size);
    if (pad) yield this.count(ZEROS.subarray(0, pad));
  }

  /** The trailer, then zeros up to a whole 512-byte block. */
  *finish(): Generator<Buffer> {
    const trailer: CpioEntry = {
      name: Buffer.from('TRAILER!!!'),
      ino: 0,
      mode: 0,
      uid: 0,
      gid: 0,
      nlink: 1,
      mtime: 0,
      size: 0,
      devmajor: 0,
      devminor: 0,
      rdevmajor: 0,
      rdevminor: 0,
    };
    yield this.count(encodeCpioHeader(trailer, this.format));
    const r = this.written % BLOCK;
    if (r) yield this.count(ZEROS.subarray(0, BLOCK - r));
  }
}
