// MFT records (FILE) and index blocks (INDX): the update-sequence fixups that guard every
// 512-byte stride, then the attributes of a FILE record. A stride whose tail does not carry the
// update sequence number is a torn write: the record is refused, never half-trusted.
import type { Fail } from './errors.js';
import { decodeRunlist, type Run } from './runlist.js';

export const AT_STANDARD_INFORMATION = 0x10;
export const AT_ATTRIBUTE_LIST = 0x20;
export const AT_FILE_NAME = 0x30;
export const AT_VOLUME_NAME = 0x60;
export const AT_DATA = 0x80;
export const AT_INDEX_ROOT = 0x90;
export const AT_INDEX_ALLOCATION = 0xa0;
export const AT_REPARSE_POINT = 0xc0;
export const AT_END = 0xffffffff;

export const ATTR_COMPRESSED = 0x0001;
export const ATTR_ENCRYPTED = 0x4000;
export const ATTR_SPARSE = 0x8000;

/** Apply the fixups of a multi-sector record in place (a copy the caller owns). */
export function applyFixups(b: Buffer, magic: string, what: string, fail: Fail): void {
  if (b.toString('latin1', 0, 4) !== magic) throw fail('EFORMAT', `${what}: no ${magic} signature`);
  const usaOfs = b.readUInt16LE(4);
  const usaCount = b.readUInt16LE(6);
  const strides = b.length / 512;
  if (usaCount !== strides + 1 || usaOfs < 8 || usaOfs + usaCount * 2 > b.length || usaOfs % 2 !== 0)
    throw fail('EFORMAT', `${what}: bad update sequence array (offset ${usaOfs}, count ${usaCount})`);
  const usn = b.readUInt16LE(usaOfs);
  for (let i = 0; i < strides; i++) {
    const at = i * 512 + 510;
    if (b.readUInt16LE(at) !== usn) throw fail('EFORMAT', `${what}: torn write (update sequence mismatch in sector ${i})`);
    b.writeUInt16LE(b.readUInt16LE(usaOfs + 2 + i * 2), at);
  }
}

export interface Attr {
  type: number;
  name: string;
  flags: number;
  instance: number;
  /** resident value */
  value?: Buffer;
  /** non-resident: the runs of this piece (VCNs absolute) */
  runs?: Run[];
  lowestVcn: number;
  highestVcn: number;
  dataSize: number;
  allocatedSize: number;
  initializedSize: number;
  /** log2 of clusters per compression unit (0: not compressed) */
  compressionUnit: number;
}

export interface MftRecord {
  recordNo: number;
  seq: number;
  linkCount: number;
  flags: number;
  /** base record reference (0 for a base record) */
  baseRecord: number;
  attrs: Attr[];
}

export const MFT_IN_USE = 0x0001;
export const MFT_DIRECTORY = 0x0002;

function safe(n: bigint, what: string, fail: Fail): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('EFORMAT', `${what} ${n} out of range`);
  return Number(n);
}

/** Parse a FILE record whose fixups were applied. */
export function parseRecord(b: Buffer, recordNo: number, fail: Fail): MftRecord {
  const what = `MFT record ${recordNo}`;
  const used = b.readUInt32LE(24);
  if (used > b.length || used < 48) throw fail('EFORMAT', `${what}: bad bytes in use ${used}`);
  const rec: MftRecord = {
    recordNo,
    seq: b.readUInt16LE(16),
    linkCount: b.readUInt16LE(18),
    flags: b.readUInt16LE(22),
    baseRecord: Number(b.readBigUInt64LE(32) & 0xffffffffffffn),
    attrs: [],
  };
  let off = b.readUInt16LE(20);
  for (let n = 0; ; n++) {
    if (off + 4 > used || n > 1024) throw fail('EFORMAT', `${what}: attributes run past the record`);
    const type = b.readUInt32LE(off);
    if (type === AT_END) break;
    if (off + 16 > used) throw fail('EFORMAT', `${what}: attribute header past the record`);
    const len = b.readUInt32LE(off + 4);
    if (len < 24 || len % 8 !== 0 || off + len > used) throw fail('EFORMAT', `${what}: bad attribute length ${len} at ${off}`);
    const a = b.subarray(off, off + len);
    const nonResident = a[8]!;
    const nameLen = a[9]!;
    const nameOff = a.readUInt16LE(10);
    if (nameLen && nameOff + nameLen * 2 > len) throw fail('EFORMAT', `${what}: attribute name past the attribute`);
    const attr: Attr = {
      type,
      name: nameLen ? a.toString('utf16le', nameOff, nameOff + nameLen * 2) : '',
      flags: a.readUInt16LE(12),
      instance: a.readUInt16LE(14),
      lowestVcn: 0,
      highestVcn: 0,
      dataSize: 0,
      allocatedSize: 0,
      initializedSize: 0,
      compressionUnit: 0,
    };
    if (nonResident === 0) {
      const vlen = a.readUInt32LE(16);
      const voff = a.readUInt16LE(20);
      if (voff + vlen > len) throw fail('EFORMAT', `${what}: resident value past the attribute`);
      attr.value = Buffer.from(a.subarray(voff, voff + vlen));
      attr.dataSize = attr.allocatedSize = attr.initializedSize = vlen;
    } else {
      if (len < 64) throw fail('EFORMAT', `${what}: short non-resident attribute header`);
      attr.lowestVcn = safe(a.readBigInt64LE(16), 'lowest VCN', fail);
      const hv = a.readBigInt64LE(24);
      attr.highestVcn = hv < 0n ? -1 : safe(hv, 'highest VCN', fail);
      const mpOff = a.readUInt16LE(32);
      attr.compressionUnit = a[34]!;
      if (attr.compressionUnit > 16) throw fail('EFORMAT', `${what}: compression unit 2^${attr.compressionUnit} clusters`);
      attr.allocatedSize = safe(a.readBigInt64LE(40), 'allocated size', fail);
      attr.dataSize = safe(a.readBigInt64LE(48), 'data size', fail);
      attr.initializedSize = safe(a.readBigInt64LE(56), 'initialized size', fail);
      if (mpOff >= len) throw fail('EFORMAT', `${what}: mapping pairs past the attribute`);
      attr.runs = decodeRunlist(a.subarray(mpOff, len), attr.lowestVcn, fail, what);
    }
    rec.attrs.push(attr);
    off += len;
  }
  return rec;
}
