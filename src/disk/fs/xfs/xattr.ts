// Extended attributes: short-form (in the inode's attribute fork), and leaf and node attribute
// forks ("da" btree blocks), with values local to the leaf or remote (in their own blocks, with
// a "XARM" header per block on v5). Namespaces come from the entry flags; XFS keeps POSIX ACLs
// as trusted-space SGI_ACL_FILE / SGI_ACL_DEFAULT in its own format, which Linux lists both as
// they are and as system.posix_acl_access / _default in the generic xattr format.
import { MAX_METADATA_VISITS, MAX_TREE_DEPTH, MAX_XATTR_BYTES } from '../limits.js';
import { type Extent, readMapped } from './bmap.js';
import type { XfsVolume } from './volume.js';

const ATTR_LOCAL = 0x01;
const ATTR_ROOT = 0x02;
const ATTR_SECURE = 0x04;
const ATTR_PARENT = 0x08;
const ATTR_INCOMPLETE = 0x80;
const LEAF_MAGIC = 0xfbee;
const LEAF3_MAGIC = 0x3bee;
const NODE_MAGIC = 0xfebe;
const NODE3_MAGIC = 0x3ebe;
const RMT_MAGIC = 0x5841524d;
/** XATTR_SIZE_MAX */
const MAX_VALUE = 65536;
/** XFS_ACL_MAX_ENTRIES on v5 is larger; this only bounds the conversion */
const MAX_ACL_ENTRIES = 8192;

type Bad = (m: string) => Error;

/** The Linux name of an attribute, or undefined for one Linux does not list (parent pointers). */
function linuxName(flags: number, name: Buffer): string | undefined {
  if (flags & (ATTR_PARENT | ATTR_INCOMPLETE)) return undefined;
  const n = name.toString('latin1');
  if (flags & ATTR_ROOT) {
    if (n === 'SGI_ACL_FILE') return 'system.posix_acl_access';
    if (n === 'SGI_ACL_DEFAULT') return 'system.posix_acl_default';
    return `trusted.${name.toString('utf8')}`;
  }
  if (flags & ATTR_SECURE) return `security.${name.toString('utf8')}`;
  return `user.${name.toString('utf8')}`;
}

/** XFS's big-endian ACL (count; tag, id, perm) to Linux's xattr format (version 2; tag, perm, id little-endian). */
function aclToLinux(v: Buffer, bad: Bad): Buffer {
  if (v.length < 4) throw bad('ACL attribute too short');
  const count = v.readUInt32BE(0);
  if (count > MAX_ACL_ENTRIES || 4 + count * 12 > v.length) throw bad(`ACL claims ${count} entries`);
  const out = Buffer.alloc(4 + count * 8);
  out.writeUInt32LE(2, 0);
  for (let i = 0; i < count; i++) {
    const tag = v.readUInt32BE(4 + i * 12);
    const id = v.readUInt32BE(8 + i * 12);
    const perm = v.readUInt16BE(12 + i * 12);
    out.writeUInt16LE(tag & 0xffff, 4 + i * 8);
    out.writeUInt16LE(perm, 6 + i * 8);
    // only named users and groups carry an id; the others are ACL_UNDEFINED_ID
    out.writeUInt32LE(tag === 0x02 || tag === 0x08 ? id : 0xffffffff, 8 + i * 8);
  }
  return out;
}

class Collector {
  total = 0;
  readonly out = new Map<string, Buffer>();
  constructor(private bad: Bad) {}
  add(flags: number, name: Buffer, value: Buffer): void {
    const n = linuxName(flags, name);
    if (n === undefined || name.length === 0 || name.includes(0)) return;
    this.total += n.length + value.length;
    if (this.total > MAX_XATTR_BYTES) throw this.bad(`attributes exceed ${MAX_XATTR_BYTES} bytes`);
    if (n.startsWith('system.posix_acl_')) {
      // Linux lists an ACL twice: converted, and as the raw trusted.SGI_ACL_* attribute it is
      this.out.set(n, aclToLinux(value, this.bad));
      this.out.set(`trusted.${name.toString('latin1')}`, Buffer.from(value));
    } else {
      this.out.set(n, Buffer.from(value));
    }
  }
}

/** Attributes of a short-form attribute fork. */
export function shortformXattrs(fork: Buffer, bad: Bad): Map<string, Buffer> {
  const c = new Collector(bad);
  if (fork.length < 4) throw bad('short-form attributes do not fit');
  const totsize = fork.readUInt16BE(0);
  const count = fork[2]!;
  if (totsize < 4 || totsize > fork.length) throw bad(`short-form attributes claim ${totsize} bytes`);
  let p = 4;
  for (let i = 0; i < count; i++) {
    if (p + 3 > totsize) throw bad('short-form attribute runs past the fork');
    const namelen = fork[p]!;
    const valuelen = fork[p + 1]!;
    const flags = fork[p + 2]!;
    const end = p + 3 + namelen + valuelen;
    if (end > totsize) throw bad('short-form attribute runs past the fork');
    c.add(flags, fork.subarray(p + 3, p + 3 + namelen), fork.subarray(p + 3 + namelen, end));
    p = end;
  }
  return c.out;
}

/** Attributes of a leaf or node attribute fork (its extents given). */
export async function blockXattrs(vol: XfsVolume, ino: number, exts: readonly Extent[], bad: Bad): Promise<Map<string, Buffer>> {
  const { blocksize, crc } = vol.sb;
  const c = new Collector(bad);
  const seen = new Set<number>();
  const block = (lblk: number): Promise<Buffer> => readMapped(vol, exts, lblk * blocksize, blocksize, true);
  const remote = async (lblk: number, len: number): Promise<Buffer> => {
    if (len > MAX_VALUE) throw bad(`remote value of ${len} bytes`);
    const per = crc ? blocksize - 56 : blocksize;
    const nblocks = Math.ceil(len / per);
    if (!crc) return readMapped(vol, exts, lblk * blocksize, len, false);
    const parts: Buffer[] = [];
    let got = 0;
    for (let i = 0; i < nblocks; i++) {
      const b = await readMapped(vol, exts, (lblk + i) * blocksize, blocksize, false);
      if (b.readUInt32BE(0) !== RMT_MAGIC) throw bad(`remote value block ${lblk + i} has a bad magic`);
      const off = b.readUInt32BE(4);
      const bytes = b.readUInt32BE(8);
      if (off !== got || bytes > per || bytes > len - got || b.readBigUInt64BE(32) !== BigInt(ino)) {
        throw bad(`remote value block ${lblk + i} header does not match the value`);
      }
      parts.push(b.subarray(56, 56 + bytes));
      got += bytes;
    }
    if (got !== len) throw bad(`remote value of ${len} bytes holds ${got}`);
    return Buffer.concat(parts);
  };
  const leaf = async (b: Buffer, lblk: number): Promise<void> => {
    const hdr = crc ? 80 : 32;
    const count = b.readUInt16BE(crc ? 56 : 12);
    if (hdr + count * 8 > blocksize) throw bad(`attribute leaf ${lblk} claims ${count} entries`);
    for (let i = 0; i < count; i++) {
      const e = hdr + i * 8;
      const idx = b.readUInt16BE(e + 4);
      const flags = b[e + 6]!;
      if (flags & ATTR_LOCAL) {
        if (idx + 3 > blocksize) throw bad(`attribute leaf ${lblk}: entry ${i} is outside the block`);
        const valuelen = b.readUInt16BE(idx);
        const namelen = b[idx + 2]!;
        const end = idx + 3 + namelen + valuelen;
        if (end > blocksize) throw bad(`attribute leaf ${lblk}: entry ${i} runs past the block`);
        c.add(flags, b.subarray(idx + 3, idx + 3 + namelen), b.subarray(idx + 3 + namelen, end));
      } else {
        if (idx + 9 > blocksize) throw bad(`attribute leaf ${lblk}: entry ${i} is outside the block`);
        const valueblk = b.readUInt32BE(idx);
        const valuelen = b.readUInt32BE(idx + 4);
        const namelen = b[idx + 8]!;
        if (idx + 9 + namelen > blocksize) throw bad(`attribute leaf ${lblk}: entry ${i} runs past the block`);
        const name = b.subarray(idx + 9, idx + 9 + namelen);
        if (linuxName(flags, name) === undefined) continue;
        c.add(flags, name, await remote(valueblk, valuelen));
      }
    }
  };
  const visit = async (lblk: number, depth: number): Promise<void> => {
    if (seen.has(lblk)) throw bad(`attribute block ${lblk} is reached twice (a loop)`);
    if (seen.size >= MAX_METADATA_VISITS) throw bad(`more than ${MAX_METADATA_VISITS} attribute blocks`);
    if (depth > MAX_TREE_DEPTH) throw bad(`attribute tree deeper than ${MAX_TREE_DEPTH}`);
    seen.add(lblk);
    const b = await block(lblk);
    const magic = b.readUInt16BE(8);
    if (magic === (crc ? LEAF3_MAGIC : LEAF_MAGIC)) return leaf(b, lblk);
    if (magic !== (crc ? NODE3_MAGIC : NODE_MAGIC)) throw bad(`attribute block ${lblk} has a bad magic 0x${magic.toString(16)}`);
    const hdr = crc ? 64 : 16;
    const count = b.readUInt16BE(crc ? 56 : 12);
    if (count === 0 || hdr + count * 8 > blocksize) throw bad(`attribute node ${lblk} claims ${count} entries`);
    for (let i = 0; i < count; i++) await visit(b.readUInt32BE(hdr + i * 8 + 4), depth + 1);
  };
  await visit(0, 0);
  return c.out;
}
