// $I30 directory indexes: the entries of $INDEX_ROOT and, for a large directory, the INDX blocks
// of $INDEX_ALLOCATION they point to, walked in B+tree order (each subnode before its entry),
// depth-bounded, each block visited at most once.
import { MAX_DIR_ENTRIES, MAX_METADATA_VISITS, MAX_TREE_DEPTH } from '../limits.js';
import { findAttr, type Inode } from './inode.js';
import { AT_INDEX_ALLOCATION, AT_INDEX_ROOT, applyFixups } from './record.js';
import { readAttr, type Volume } from './stream.js';

export interface IndexEntry {
  name: string;
  /** MFT record number */
  ino: number;
  /** 0 POSIX, 1 Win32, 2 DOS, 3 Win32 and DOS */
  nameType: number;
}

const ENTRY_SUBNODE = 1;
const ENTRY_LAST = 2;

/** Every file-name entry of a directory's $I30 index, in collation order. */
export async function readIndex(vol: Volume, dir: Inode): Promise<IndexEntry[]> {
  const what = `directory ${dir.ino}`;
  const root = findAttr(dir, AT_INDEX_ROOT, '$I30');
  if (!root?.value) throw vol.fail('EFORMAT', `${what}: no resident $INDEX_ROOT`);
  const rv = root.value;
  if (rv.length < 32) throw vol.fail('EFORMAT', `${what}: short $INDEX_ROOT`);
  const blockSize = rv.readUInt32LE(8);
  const alloc = findAttr(dir, AT_INDEX_ALLOCATION, '$I30');
  const out: IndexEntry[] = [];
  const visited = new Set<number>();
  const cs = vol.boot.clusterSize;
  const vcnSize = blockSize >= cs ? cs : 512;

  const entries = async (b: Buffer, start: number, end: number, depth: number): Promise<void> => {
    if (end > b.length || start > end) throw vol.fail('EFORMAT', `${what}: index entries past their block`);
    for (let off = start; ; ) {
      if (off + 16 > end) throw vol.fail('EFORMAT', `${what}: index entries without a last entry`);
      const len = b.readUInt16LE(off + 8);
      const keyLen = b.readUInt16LE(off + 10);
      const flags = b.readUInt16LE(off + 12);
      if (len < 16 || len % 8 !== 0 || off + len > end) throw vol.fail('EFORMAT', `${what}: bad index entry length ${len}`);
      if (flags & ENTRY_SUBNODE) {
        if (len < 24) throw vol.fail('EFORMAT', `${what}: index entry too short for its subnode`);
        const vcn = b.readBigInt64LE(off + len - 8);
        if (vcn < 0n || vcn > BigInt(Number.MAX_SAFE_INTEGER)) throw vol.fail('EFORMAT', `${what}: bad index block VCN ${vcn}`);
        await block(Number(vcn), depth + 1);
      }
      if (flags & ENTRY_LAST) return;
      if (keyLen < 66 || 16 + keyLen > len) throw vol.fail('EFORMAT', `${what}: bad index key length ${keyLen}`);
      const k = off + 16;
      const nameLen = b[k + 64]!;
      if (66 + nameLen * 2 > keyLen) throw vol.fail('EFORMAT', `${what}: index key name past the key`);
      out.push({
        ino: Number(b.readBigUInt64LE(off) & 0xffffffffffffn),
        nameType: b[k + 65]!,
        name: b.toString('utf16le', k + 66, k + 66 + nameLen * 2),
      });
      if (out.length > MAX_DIR_ENTRIES) throw vol.fail('EFORMAT', `${what}: more than ${MAX_DIR_ENTRIES} entries`);
      off += len;
    }
  };

  const block = async (vcn: number, depth: number): Promise<void> => {
    if (depth > MAX_TREE_DEPTH) throw vol.fail('EFORMAT', `${what}: index deeper than ${MAX_TREE_DEPTH}`);
    if (visited.has(vcn)) throw vol.fail('EFORMAT', `${what}: index block ${vcn} is reached twice (a loop)`);
    if (visited.size >= MAX_METADATA_VISITS) throw vol.fail('EFORMAT', `${what}: too many index blocks`);
    visited.add(vcn);
    if (!alloc || alloc.value) throw vol.fail('EFORMAT', `${what}: index entry points to a block but there is no $INDEX_ALLOCATION`);
    if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0)
      throw vol.fail('EFORMAT', `${what}: bad index block size ${blockSize}`);
    const off = vcn * vcnSize;
    if (off + blockSize > alloc.dataSize) throw vol.fail('EFORMAT', `${what}: index block ${vcn} past $INDEX_ALLOCATION`);
    const b = await readAttr(vol, alloc, `${dir.ino}:ia`, off, blockSize, what);
    applyFixups(b, 'INDX', `${what} index block ${vcn}`, vol.fail);
    if (b.readBigInt64LE(16) !== BigInt(vcn))
      throw vol.fail('EFORMAT', `${what}: index block ${vcn} says it is block ${b.readBigInt64LE(16)}`);
    const hdr = 24;
    await entries(b, hdr + b.readUInt32LE(hdr), hdr + b.readUInt32LE(hdr + 4), depth);
  };

  await entries(rv, 16 + rv.readUInt32LE(16), 16 + rv.readUInt32LE(20), 0);
  return out;
}
