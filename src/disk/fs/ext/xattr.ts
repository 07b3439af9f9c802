// Extended attributes: in the inode (after the extra fields) and in one external block, named as
// getfattr shows them. POSIX ACLs are stored in ext4's compact form and converted to the
// posix_acl_xattr form the kernel hands out. system.data (inline data) and the encryption
// context are not listed, as the kernel does not list them.
import { MAX_XATTR_BYTES } from '../limits.js';
import type { ExtContext } from './context.js';
import type { Inode } from './inode.js';

const XATTR_MAGIC = 0xea020000;

const PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  6: 'security.',
  10: 'gnu.',
};
const INDEX_SYSTEM = 7;

export interface RawXattr {
  index: number;
  name: string;
  value: Buffer;
}

/** Reads the contents of an EA inode (a value stored in an inode of its own). */
export type EaInodeReader = (ino: number, size: number) => Promise<Buffer>;

async function parseEntries(
  ctx: ExtContext,
  ino: number,
  region: Buffer,
  entriesAt: number,
  valueBase: number,
  where: string,
  out: RawXattr[],
  budget: { bytes: number },
  eaInode?: EaInodeReader,
): Promise<void> {
  let o = entriesAt;
  while (o + 4 <= region.length && region.readUInt32LE(o) !== 0) {
    if (o + 16 > region.length) throw ctx.error('EFORMAT', `inode ${ino}: xattr entry runs past ${where}`);
    const nameLen = region[o]!;
    const index = region[o + 1]!;
    const valueOffs = region.readUInt16LE(o + 2);
    const valueInum = region.readUInt32LE(o + 4);
    const valueSize = region.readUInt32LE(o + 8);
    if (o + 16 + nameLen > region.length) throw ctx.error('EFORMAT', `inode ${ino}: xattr name runs past ${where}`);
    const name = region.subarray(o + 16, o + 16 + nameLen).toString('latin1');
    budget.bytes += valueSize + nameLen;
    if (budget.bytes > MAX_XATTR_BYTES) throw ctx.error('EFORMAT', `inode ${ino}: xattrs claim more than ${MAX_XATTR_BYTES} bytes`);
    let value: Buffer;
    if (valueInum !== 0) {
      if (!eaInode)
        throw ctx.error('EFORMAT', `inode ${ino}: xattr ${name} lives in inode ${valueInum}, which this filesystem cannot have`);
      value = await eaInode(valueInum, valueSize);
    } else {
      const start = valueBase + valueOffs;
      if (start + valueSize > region.length) throw ctx.error('EFORMAT', `inode ${ino}: xattr ${name}'s value runs past ${where}`);
      value = Buffer.from(region.subarray(start, start + valueSize));
    }
    out.push({ index, name, value });
    o += (16 + nameLen + 3) & ~3;
  }
}

/** Every xattr of `inode` as stored (name index, suffix, raw value), in-inode ones first. */
export async function rawXattrs(ctx: ExtContext, inode: Inode, eaInode?: EaInodeReader): Promise<RawXattr[]> {
  const out: RawXattr[] = [];
  const budget = { bytes: 0 };
  const start = 128 + inode.extraIsize;
  if (inode.extraIsize > 0 && start + 4 <= inode.raw.length && inode.raw.readUInt32LE(start) === XATTR_MAGIC) {
    const region = inode.raw.subarray(start + 4);
    await parseEntries(ctx, inode.ino, region, 0, 0, 'the inode', out, budget, eaInode);
  }
  if (inode.fileAcl !== 0) {
    const blk = await ctx.block(inode.fileAcl, `inode ${inode.ino}'s xattr block`);
    if (blk.readUInt32LE(0) !== XATTR_MAGIC || blk.readUInt32LE(8) !== 1) {
      throw ctx.error('EFORMAT', `inode ${inode.ino}: xattr block ${inode.fileAcl} has a bad header`);
    }
    await parseEntries(ctx, inode.ino, blk, 32, 0, `xattr block ${inode.fileAcl}`, out, budget, eaInode);
  }
  return out;
}

/** The inline data continuation (system.data), if any. */
export function systemData(xattrs: RawXattr[]): Buffer | undefined {
  return xattrs.find((x) => x.index === INDEX_SYSTEM && x.name === 'data')?.value;
}

// ACL tags that carry an id in ext4's compact form
const ACL_USER = 2;
const ACL_GROUP = 8;

/** ext4's compact ACL (version 1, short entries without ids) → posix_acl_xattr (version 2). */
function convertAcl(ctx: ExtContext, ino: number, v: Buffer): Buffer {
  if (v.length < 4 || v.readUInt32LE(0) !== 1) throw ctx.error('EFORMAT', `inode ${ino}: ACL has a bad version`);
  const entries: Buffer[] = [];
  let o = 4;
  while (o < v.length) {
    if (o + 4 > v.length) throw ctx.error('EFORMAT', `inode ${ino}: ACL entry is truncated`);
    const tag = v.readUInt16LE(o);
    const perm = v.readUInt16LE(o + 2);
    let id = 0xffffffff;
    if (tag === ACL_USER || tag === ACL_GROUP) {
      if (o + 8 > v.length) throw ctx.error('EFORMAT', `inode ${ino}: ACL entry is truncated`);
      id = v.readUInt32LE(o + 4);
      o += 8;
    } else o += 4;
    const e = Buffer.alloc(8);
    e.writeUInt16LE(tag, 0);
    e.writeUInt16LE(perm, 2);
    e.writeUInt32LE(id, 4);
    entries.push(e);
  }
  const head = Buffer.alloc(4);
  head.writeUInt32LE(2, 0);
  return Buffer.concat([head, ...entries]);
}

/** The xattrs as getfattr names them. */
export function namedXattrs(ctx: ExtContext, ino: number, raw: RawXattr[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const x of raw) {
    const prefix = PREFIXES[x.index];
    if (prefix === undefined) continue;
    if (x.index === 2 || x.index === 3) {
      if (x.name !== '') continue;
      out.set(prefix, convertAcl(ctx, ino, x.value));
    } else {
      if (x.name === '') continue;
      out.set(prefix + x.name, x.value);
    }
  }
  return out;
}
