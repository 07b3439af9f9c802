// Inodes: a base MFT record plus the extension records its $ATTRIBUTE_LIST names, with the
// pieces of each non-resident attribute (split by VCN across records) joined into one runlist.
import type { Fail } from './errors.js';
import { AT_ATTRIBUTE_LIST, AT_FILE_NAME, AT_STANDARD_INFORMATION, type Attr, type MftRecord } from './record.js';

/** extension records one inode may name (a good volume needs a handful, huge fragmented files some hundreds) */
export const MAX_EXTENSION_RECORDS = 65536;

export interface FileName {
  parent: number;
  name: string;
  /** 0 POSIX, 1 Win32, 2 DOS, 3 Win32 and DOS */
  nameType: number;
}

export interface StdInfo {
  created: bigint;
  modified: bigint;
  mftChanged: bigint;
  accessed: bigint;
  fileAttributes: number;
}

export interface Inode {
  ino: number;
  flags: number;
  linkCount: number;
  std?: StdInfo;
  names: FileName[];
  attrs: Attr[];
}

export const FILE_ATTR_READONLY = 0x0001;
export const FILE_ATTR_HIDDEN = 0x0002;
export const FILE_ATTR_SYSTEM = 0x0004;
export const FILE_ATTR_REPARSE_POINT = 0x0400;

/** The attribute list's (record number) entries. */
export function attributeListRecords(list: Buffer, fail: Fail, what: string): number[] {
  const out = new Set<number>();
  for (let off = 0; off + 26 <= list.length; ) {
    const len = list.readUInt16LE(off + 4);
    if (len < 26 || off + len > list.length) throw fail('EFORMAT', `${what}: bad attribute list entry length ${len}`);
    out.add(Number(list.readBigUInt64LE(off + 16) & 0xffffffffffffn));
    if (out.size > MAX_EXTENSION_RECORDS) throw fail('EFORMAT', `${what}: attribute list names too many records`);
    off += len;
  }
  return [...out];
}

/** Join the pieces of each non-resident attribute (same type and name) into one, runs in VCN order. */
export function mergeAttrs(attrs: Attr[], fail: Fail, what: string): Attr[] {
  const out: Attr[] = [];
  const pieces = new Map<string, Attr[]>();
  for (const a of attrs) {
    if (!a.runs) {
      out.push(a);
      continue;
    }
    const k = `${a.type}:${a.name}`;
    const list = pieces.get(k);
    if (list) list.push(a);
    else {
      pieces.set(k, [a]);
      out.push(a);
    }
  }
  for (const [k, list] of pieces) {
    if (list.length === 1) continue;
    list.sort((x, y) => x.lowestVcn - y.lowestVcn);
    const first = list[0]!;
    if (first.lowestVcn !== 0) throw fail('EFORMAT', `${what}: attribute ${k} has no piece at VCN 0`);
    const runs = [];
    let next = 0;
    for (const p of list) {
      if (p.lowestVcn !== next) throw fail('EFORMAT', `${what}: attribute ${k} pieces overlap or leave a gap at VCN ${next}`);
      for (const r of p.runs!) runs.push(r);
      next = p.highestVcn + 1;
    }
    const merged: Attr = { ...first, runs, highestVcn: next - 1 };
    out[out.indexOf(first)] = merged;
  }
  return out;
}

function ntfsTime(b: Buffer, off: number): bigint {
  return b.readBigInt64LE(off);
}

export function buildInode(base: MftRecord, attrs: Attr[], fail: Fail): Inode {
  const what = `MFT record ${base.recordNo}`;
  const ino: Inode = { ino: base.recordNo, flags: base.flags, linkCount: base.linkCount, names: [], attrs: mergeAttrs(attrs, fail, what) };
  for (const a of ino.attrs) {
    if (a.type === AT_STANDARD_INFORMATION && a.value && !ino.std) {
      if (a.value.length < 36) throw fail('EFORMAT', `${what}: short $STANDARD_INFORMATION`);
      const v = a.value;
      ino.std = {
        created: ntfsTime(v, 0),
        modified: ntfsTime(v, 8),
        mftChanged: ntfsTime(v, 16),
        accessed: ntfsTime(v, 24),
        fileAttributes: v.readUInt32LE(32),
      };
    } else if (a.type === AT_FILE_NAME && a.value) {
      const v = a.value;
      if (v.length < 66 || 66 + v[64]! * 2 > v.length) throw fail('EFORMAT', `${what}: bad $FILE_NAME`);
      ino.names.push({
        parent: Number(v.readBigUInt64LE(0) & 0xffffffffffffn),
        name: v.toString('utf16le', 66, 66 + v[64]! * 2),
        nameType: v[65]!,
      });
    }
  }
  return ino;
}

export function findAttr(ino: Inode, type: number, name = ''): Attr | undefined {
  return ino.attrs.find((a) => a.type === type && a.name === name);
}

export { AT_ATTRIBUTE_LIST };
