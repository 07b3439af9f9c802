// ECMA-119 directory records, their dates and the names Linux's isofs shows for them without
// Rock Ridge: plain names translated as `map=normal` does, Joliet names from UCS-2.

/** One directory record, decoded; `pos` is its byte offset on the device. */
export interface DirRecord {
  pos: number;
  len: number;
  /** first logical block of the data (after any extended attribute record) */
  extent: number;
  size: number;
  date: Buffer;
  flags: number;
  interleave: number;
  /** the raw file identifier */
  name: Buffer;
  /** the system use area (Rock Ridge lives here) */
  su: Buffer;
}

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIR = 0x02;
export const FLAG_ASSOCIATED = 0x04;
export const FLAG_MULTI_EXTENT = 0x80;
/** the fixed part of a record, before its name */
export const RECORD_HEAD = 33;

/** The record at `off` of `buf` (the caller checked that `len` bytes are there); undefined if it is inconsistent. */
export function parseRecord(buf: Buffer, off: number, pos: number): DirRecord | undefined {
  const len = buf[off]!;
  const nameLen = buf[off + 32]!;
  if (len < RECORD_HEAD + 1 || RECORD_HEAD + nameLen > len || off + len > buf.length) return undefined;
  const ear = buf[off + 1]!;
  const nameEnd = off + RECORD_HEAD + nameLen;
  // the system use area starts after the name and its padding to an even length
  const suStart = nameEnd + (nameLen % 2 === 0 ? 1 : 0);
  return {
    pos,
    len,
    // little-endian halves only: broken mastering tools get the big-endian ones wrong (so does Linux)
    extent: buf.readUInt32LE(off + 2) + ear,
    size: buf.readUInt32LE(off + 10),
    date: buf.subarray(off + 18, off + 25),
    flags: buf[off + 25]!,
    interleave: buf[off + 27]!,
    name: buf.subarray(off + RECORD_HEAD, nameEnd),
    su: suStart < off + len ? buf.subarray(suStart, off + len) : Buffer.alloc(0),
  };
}

/** `.` and `..` are the names 0x00 and 0x01. */
export function isDotRecord(r: DirRecord): boolean {
  return r.name.length === 1 && (r.name[0] === 0 || r.name[0] === 1);
}

/** Linux's mktime64, with its unsigned month arithmetic (month 0 and 1 wrap the same way). */
function mktime(year0: number, mon0: number, day: number, hour: number, min: number, sec: number): number {
  let mon = mon0 - 2;
  let year = year0;
  if (mon <= 0) {
    mon = (mon + 12) >>> 0;
    year -= 1;
  }
  const days =
    Math.floor(year / 4) - Math.floor(year / 100) + Math.floor(year / 400) + Math.floor((367 * mon) / 12) + day + year * 365 - 719499;
  return ((days * 24 + hour) * 60 + min) * 60 + sec;
}

/**
 * A date as nanoseconds since the epoch, the way isofs reads it: the 7-byte binary form of
 * directory records and short Rock Ridge stamps, or the 17-byte digit form of long TF stamps;
 * the zone offset is applied only when it is within ±13 hours.
 */
export function isoDate(p: Buffer, long: boolean): bigint {
  let year: number;
  let month: number;
  let day: number;
  let hour: number;
  let minute: number;
  let second: number;
  let nsec = 0;
  let tz: number;
  const d = (i: number): number => p[i]! - 0x30;
  if (long) {
    year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3) - 1900;
    month = d(4) * 10 + d(5);
    day = d(6) * 10 + d(7);
    hour = d(8) * 10 + d(9);
    minute = d(10) * 10 + d(11);
    second = d(12) * 10 + d(13);
    nsec = (d(14) * 10 + d(15)) * 10_000_000;
    tz = p[16]!;
  } else {
    [year, month, day, hour, minute, second, tz] = [p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!];
  }
  if (year < 0) return BigInt(nsec);
  let sec = mktime(year + 1900, month, day, hour, minute, second);
  const zone = tz >= 0x80 ? tz - 256 : tz;
  if (zone >= -52 && zone <= 52) sec -= zone * 15 * 60;
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/** A plain ISO 9660 name as isofs's default `map=normal` shows it: lower case, without `;1` (or `.;1`), other `;` as `.`. */
export function translateName(raw: Buffer): Buffer {
  const out: number[] = [];
  const len = raw.length;
  for (let i = 0; i < len; i++) {
    let c = raw[i]!;
    if (c === 0) break;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c === 0x2e && i === len - 3 && raw[i + 1] === 0x3b && raw[i + 2] === 0x31) break;
    if (c === 0x3b && i === len - 2 && raw[i + 1] === 0x31) break;
    if (c === 0x3b || c === 0x2f) c = 0x2e;
    out.push(c);
  }
  return Buffer.from(out);
}

/** A Joliet (UCS-2/UTF-16BE) name as isofs shows it in UTF-8: one `;1` dropped, then trailing dots. */
export function jolietName(raw: Buffer): Buffer {
  const units: number[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) units.push(raw.readUInt16BE(i));
  let s = '';
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < units.length && units[i + 1]! >= 0xdc00 && units[i + 1]! <= 0xdfff) {
      s += String.fromCharCode(u, units[++i]!);
    } else if (u >= 0xd800 && u <= 0xdfff) {
      // a lone surrogate has no UTF-8 form: the kernel's converter drops it
    } else s += String.fromCharCode(u);
  }
  let out = Buffer.from(s, 'utf8');
  let len = out.length;
  if (len > 2 && out[len - 2] === 0x3b && out[len - 1] === 0x31) len -= 2;
  while (len >= 2 && out[len - 1] === 0x2e) len--;
  out = out.subarray(0, len);
  return out;
}
