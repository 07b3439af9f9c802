// One tar header block, both ways: POSIX ustar fields, plus the pax extended records that
// carry what ustar cannot (long names and link targets, sizes >= 8 GiB, big ids, fractional
// or out-of-range times). Names are Buffers: guest file names need not be UTF-8, and tar
// stores bytes. Reading also accepts GNU's base-256 numbers and old GNU/v7 headers.
import { JootError } from '../../core/errors.js';

export const BLOCK = 512;

/** Type flags (POSIX), plus the GNU / pax meta types the reader understands. */
export const T = {
  file: '0',
  oldFile: '\0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
  contiguous: '7',
  paxLocal: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
} as const;

export interface TarHeader {
  name: Buffer;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** seconds since the epoch, may be fractional */
  mtime: number;
  atime?: number;
  linkname: Buffer;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** pax records that applied to this entry (reader only) */
  pax?: Record<string, string>;
  /** extra pax records written after the standard ones (writer only: xattrs, ACLs, label) */
  extraPax?: readonly (readonly [string, Buffer])[];
}

// ------------------------------------------------------------------ reading

function field(b: Buffer, off: number, len: number): Buffer {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return nul === -1 ? f : f.subarray(0, nul);
}

/** Octal (space/NUL padded) or GNU base-256 (high bit of the first byte set). */
export function readNumber(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // base-256, two's complement; only positive values matter here
    if (f[0]! & 0x40) throw new JootError('EINVAL', 'tar header: negative number');
    let v = f[0]! & 0x3f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return v;
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new JootError('EINVAL', `tar header: bad number '${s}'`);
  return parseInt(s, 8);
}

/** Unsigned and signed sums of the header with the checksum field taken as spaces. */
function checksums(b: Buffer): [number, number] {
  let u = 0;
  let s = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    u += c;
    s += c >= 128 ? c - 256 : c;
  }
  return [u, s];
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Decode one header block; throws EINVAL when it is not a tar header. */
export function decodeHeader(b: Buffer): TarHeader {
  const want = readNumber(b, 148, 8);
  const [u, s] = checksums(b);
  if (want !== u && want !== s) throw new JootError('EINVAL', 'This does not look like a tar archive (bad header checksum)');
  const magic = b.subarray(257, 263).toString('latin1');
  let name = field(b, 0, 100);
  // POSIX ustar: a prefix field; GNU's "ustar  " magic uses those bytes for other things
  if (magic === 'ustar\0') {
    const prefix = field(b, 345, 155);
    if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name]);
  }
  const type = String.fromCharCode(b[156]!);
  return {
    name: Buffer.from(name),
    type,
    mode: readNumber(b, 100, 8) & 0o7777,
    uid: readNumber(b, 108, 8),
    gid: readNumber(b, 116, 8),
    size: readNumber(b, 124, 12),
    mtime: readNumber(b, 136, 12),
    linkname: Buffer.from(field(b, 157, 100)),
    uname: magic.startsWith('ustar') ? field(b, 265, 32).toString('utf8') : '',
    gname: magic.startsWith('ustar') ? field(b, 297, 32).toString('utf8') : '',
    devmajor: magic.startsWith('ustar') ? readNumber(b, 329, 8) : 0,
    devminor: magic.startsWith('ustar') ? readNumber(b, 337, 8) : 0,
  };
}

/** Parse pax records: "LEN key=value\n", LEN counting the whole record in bytes. Values are
 *  kept as latin1 strings so path bytes survive the round trip (Buffer.from(v, 'latin1')). */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // padding
    const sp = body.indexOf(0x20, off);
    if (sp === -1) throw new JootError('EINVAL', 'tar: malformed pax extended header');
    const len = parseInt(body.subarray(off, sp).toString('latin1'), 10);
    if (!Number.isSafeInteger(len) || len <= sp - off + 1 || off + len > body.length) {
      throw new JootError('EINVAL', 'tar: malformed pax extended header');
    }
    const rec = body.subarray(sp + 1, off + len - 1); // without the trailing \n
    const eq = rec.indexOf(0x3d);
    if (eq === -1) throw new JootError('EINVAL', 'tar: malformed pax extended header');
    const key = rec.subarray(0, eq).toString('utf8');
    const value = rec.subarray(eq + 1).toString('latin1');
    // an empty value removes a key, except an empty extended attribute (GNU tar writes those)
    if (value === '' && !key.startsWith('SCHILY.xattr.')) delete out[key];
    else out[key] = value;
    off += len;
  }
  return out;
}

// ------------------------------------------------------------------ writing

function put(b: Buffer, off: number, len: number, data: Buffer): void {
  data.copy(b, off, 0, Math.min(len, data.length));
}

/** Octal digits, NUL-terminated, in `len` bytes; undefined if the value does not fit. */
function octal(v: number, len: number): Buffer | undefined {
  if (!Number.isSafeInteger(v) || v < 0) return undefined;
  const s = v.toString(8);
  if (s.length > len - 1) return undefined;
  return Buffer.from(`${s.padStart(len - 1, '0')}\0`, 'latin1');
}

/** One pax record; its length prefix counts itself. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), rest]);
}

/** Split a long name into ustar prefix/name at a '/', if that makes it fit. */
function splitName(name: Buffer): [Buffer, Buffer] | undefined {
  if (name.length <= 100) return [Buffer.alloc(0), name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== 0x2f) continue;
    const pre = name.subarray(0, i);
    const rest = name.subarray(i + 1);
    if (rest.length === 0 || rest.length > 100) return undefined;
    if (pre.length <= 155) return [pre, rest];
  }
  return undefined;
}

/** The ustar header block for `h`, and the pax records (if any) that must precede it. */
export function encodeHeader(h: TarHeader): { block: Buffer; pax: Buffer | undefined } {
  const b = Buffer.alloc(BLOCK);
  const recs: Buffer[] = [];
  const split = splitName(h.name);
  if (split) {
    put(b, 0, 100, split[1]);
    put(b, 345, 155, split[0]);
  } else {
    put(b, 0, 100, h.name.subarray(0, 100));
    recs.push(paxRecord('path', h.name));
  }
  const num = (off: number, len: number, v: number, key: string): void => {
    const o = octal(v, len);
    if (o) put(b, off, len, o);
    else {
      put(b, off, len, octal(0, len)!);
      recs.push(paxRecord(key, Buffer.from(String(v))));
    }
  };
  put(b, 100, 8, octal(h.mode & 0o7777, 8)!);
  num(108, 8, h.uid, 'uid');
  num(116, 8, h.gid, 'gid');
  num(124, 12, h.size, 'size');
  const secs = Math.floor(h.mtime);
  if (secs !== h.mtime || !octal(secs, 12)) {
    put(b, 136, 12, octal(Math.max(0, Math.min(secs, 0o77777777777)), 12)!);
    recs.push(paxRecord('mtime', Buffer.from(paxTime(h.mtime))));
  } else put(b, 136, 12, octal(secs, 12)!);
  b[156] = h.type.charCodeAt(0);
  if (h.linkname.length > 100) recs.push(paxRecord('linkpath', h.linkname));
  else put(b, 157, 100, h.linkname);
  put(b, 257, 6, Buffer.from('ustar\0', 'latin1'));
  put(b, 263, 2, Buffer.from('00', 'latin1'));
  for (const [off, key, v] of [
    [265, 'uname', h.uname],
    [297, 'gname', h.gname],
  ] as const) {
    const buf = Buffer.from(v, 'utf8');
    if (buf.length > 31) recs.push(paxRecord(key, buf));
    else put(b, off, 32, buf);
  }
  num(329, 8, h.devmajor, 'SCHILY.devmajor');
  num(337, 8, h.devminor, 'SCHILY.devminor');
  for (const [key, value] of h.extraPax ?? []) recs.push(paxRecord(key, value));
  b.write('        ', 148, 'latin1');
  const [sum] = checksums(b);
  put(b, 148, 8, Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1'));
  return { block: b, pax: recs.length ? Buffer.concat(recs) : undefined };
}

/** A pax time: seconds with up to 9 decimals, no trailing zeros. */
function paxTime(t: number): string {
  const s = t.toFixed(9).replace(/\.?0+$/, '');
  return s === '' || s === '-' ? '0' : s;
}

/** Bytes of zero padding after `size` bytes of data. */
export function padding(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}
