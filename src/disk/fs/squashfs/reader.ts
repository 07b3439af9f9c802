// The squashfs 4.0 reader: inodes and directories from their metadata tables, file data from
// blocks and fragments, ids and xattrs from their tables, as Linux's squashfs shows them.
// Every compressor of squashfs 4.0 is read: gzip (zlib), zstd (fzstd), xz, lzma, lzo and lz4
// (codecs.ts); xz blocks with a branch filter other than x86 are EUNSUPPORTED, named.
import { nodeZlib } from '../../../core/lazy-node.js';
import type { Decompress as ZstdDecompress } from 'fzstd';
import { Lru } from '../../lru.js';
import { loadZstd } from '../../zstd.js';
import { JootError, type JootErrorCode } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import { MAX_DIR_ENTRIES, MAX_FILE_EXTENTS, MAX_READ_BYTES, MAX_SYMLINK_BYTES, MAX_XATTR_BYTES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../types.js';
import { CodecError, decodeBlock, JS_CODECS, XzUnsupported } from './codecs.js';
import { COMPRESSORS, METADATA_SIZE, parseSuperblock, type Superblock, SuperblockError } from './superblock.js';

interface SqNode extends FsNode {
  readonly ino: number;
  readonly st: FsStat;
  /** directories: listing position and size */
  readonly dir?: { block: number; offset: number; size: number };
  /** regular files */
  readonly file?: { start: number; sizes: number[]; fragment: number; fragOffset: number; offsets?: number[] };
  readonly symlink?: Buffer;
  readonly xattr: number;
}

const TYPES = [0, S_IFDIR, S_IFREG, S_IFLNK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK];
const UNCOMPRESSED_BLOCK = 1 << 24;
const NO_FRAGMENT = 0xffffffff;
const NO_XATTR = 0xffffffff;
const METADATA_CACHE = 512;
const XATTR_PREFIX = ['user.', 'trusted.', 'security.'];

let zstd: typeof ZstdDecompress | undefined;

class Corrupt extends Error {}

export class SquashfsReader implements FileSystemReader {
  readonly type = 'squashfs';
  readonly caseInsensitive = false;
  /** metadata blocks by device offset: uncompressed bytes and the offset of the next block */
  private readonly meta = new Lru<number, { data: Buffer; next: number }>(METADATA_CACHE);
  private ids: number[] = [];
  private fragTable: number[] = [];
  private xattrTable = -1;
  private xattrIds: number[] = [];
  private xattrCount = 0;
  private closed = false;

  private constructor(
    private readonly source: ByteSource,
    readonly device: string,
    private readonly sb: Superblock,
  ) {}

  static async open(source: ByteSource, device: string): Promise<SquashfsReader> {
    const fail = (code: JootErrorCode, msg: string): JootError => new JootError(code, `${device}: squashfs: ${msg}`);
    if (source.size < 96) throw fail('EFORMAT', 'the device is smaller than a superblock');
    let sb: Superblock;
    try {
      sb = parseSuperblock(await source.read(0, 96), source.size);
    } catch (e) {
      if (e instanceof SuperblockError) throw fail('EFORMAT', e.message);
      throw e;
    }
    const comp = COMPRESSORS[sb.compression] ?? `compressor ${sb.compression}`;
    if (comp !== 'gzip' && comp !== 'zstd' && !JS_CODECS.has(sb.compression))
      throw fail('EUNSUPPORTED', `${comp}-compressed squashfs is not read`);
    if (comp === 'zstd') zstd ??= await loadZstd();
    const r = new SquashfsReader(source, device, sb);
    await r.guard(async () => {
      r.ids = await r.table(sb.idTable, sb.ids, 4, (b, o) => b.readUInt32LE(o));
      if (sb.fragmentTable >= 0 && sb.fragments > 0) r.fragTable = await r.tableIndex(sb.fragmentTable, sb.fragments, 16);
      if (sb.xattrIdTable >= 0) {
        const h = await r.bytes(sb.xattrIdTable, 16);
        r.xattrTable = Number(h.readBigUInt64LE(0));
        r.xattrCount = h.readUInt32LE(8);
        if (r.xattrTable > source.size) throw new Corrupt('the xattr table lies outside the device');
        r.xattrIds = await r.tableIndex(sb.xattrIdTable + 16, r.xattrCount, 16);
      }
    });
    return r;
  }

  private fail(code: JootErrorCode, msg: string): JootError {
    return new JootError(code, `${this.device}: squashfs: ${msg}`);
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof Corrupt) throw this.fail('EFORMAT', e.message);
      if (e instanceof JootError && !e.message.startsWith(`${this.device}: squashfs:`)) throw this.fail(e.code, e.message);
      throw e;
    }
  }

  private async bytes(offset: number, length: number): Promise<Buffer> {
    if (this.closed) throw this.fail('ESTATE', 'the reader is closed');
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.source.size) {
      throw this.fail('EIO', `read of ${length} bytes at ${offset} lies outside the device (size ${this.source.size})`);
    }
    return this.source.read(offset, length);
  }

  private decompress(data: Buffer, max: number): Buffer {
    let out: Buffer;
    try {
      if (this.sb.compression === 1) out = nodeZlib().inflateSync(data, { maxOutputLength: max });
      else if (JS_CODECS.has(this.sb.compression)) out = decodeBlock(this.sb.compression, data, max);
      else {
        const chunks: Uint8Array[] = [];
        let total = 0;
        const d = new zstd!((c) => {
          total += c.length;
          if (total > max) throw new Corrupt('a block decompresses past its size');
          chunks.push(c);
        });
        d.push(data, true);
        out = Buffer.concat(chunks);
      }
    } catch (e) {
      if (e instanceof Corrupt) throw e;
      if (e instanceof XzUnsupported) throw this.fail('EUNSUPPORTED', e.message);
      if (e instanceof CodecError) throw new Corrupt(e.message);
      throw new Corrupt('a compressed block does not decompress');
    }
    return out;
  }

  /** The metadata block at `pos`. */
  private async metaBlock(pos: number): Promise<{ data: Buffer; next: number }> {
    const hit = this.meta.get(pos);
    if (hit) return hit;
    const h = (await this.bytes(pos, 2)).readUInt16LE(0);
    const size = h & 0x7fff;
    if (size === 0 || size > METADATA_SIZE) throw new Corrupt(`metadata block at ${pos} claims ${size} bytes`);
    const raw = await this.bytes(pos + 2, size);
    const data = h & 0x8000 ? raw : this.decompress(raw, METADATA_SIZE);
    if (data.length === 0) throw new Corrupt(`metadata block at ${pos} is empty`);
    const b = { data, next: pos + 2 + size };
    this.meta.set(pos, b);
    return b;
  }

  /** `length` bytes of metadata from block `pos` at `offset`, across blocks. */
  private async metaRead(pos: number, offset: number, length: number): Promise<{ data: Buffer; pos: number; offset: number }> {
    const parts: Buffer[] = [];
    let need = length;
    let p = pos;
    let o = offset;
    let hops = 0;
    while (need > 0) {
      if (++hops > length + 4) throw new Corrupt('metadata read runs through too many blocks');
      const b = await this.metaBlock(p);
      if (o >= b.data.length) {
        if (o > b.data.length) throw new Corrupt(`metadata offset ${o} past its block`);
        p = b.next;
        o = 0;
        continue;
      }
      const take = Math.min(need, b.data.length - o);
      parts.push(b.data.subarray(o, o + take));
      need -= take;
      o += take;
    }
    return { data: Buffer.concat(parts), pos: p, offset: o };
  }

  /** A table of `count` entries of `size` bytes in metadata blocks listed by u64 pointers at `at`. */
  private async table<T>(at: number, count: number, size: number, f: (b: Buffer, o: number) => T): Promise<T[]> {
    const perBlock = METADATA_SIZE / size;
    const blocks = Math.ceil(count / perBlock);
    const ptrs = await this.bytes(at, blocks * 8);
    const out: T[] = [];
    for (let i = 0; i < blocks; i++) {
      const n = Math.min(perBlock, count - i * perBlock);
      const { data } = await this.metaRead(Number(ptrs.readBigUInt64LE(i * 8)), 0, n * size);
      for (let j = 0; j < n; j++) out.push(f(data, j * size));
    }
    return out;
  }

  /** Pointers of a lazily read table (fragments, xattr ids): only the u64 index. */
  private async tableIndex(at: number, count: number, size: number): Promise<number[]> {
    const blocks = Math.ceil((count * size) / METADATA_SIZE);
    const ptrs = await this.bytes(at, blocks * 8);
    return Array.from({ length: blocks }, (_, i) => Number(ptrs.readBigUInt64LE(i * 8)));
  }

  private async tableEntry(index: number[], i: number, size: number, count: number, what: string): Promise<Buffer> {
    if (i >= count) throw new Corrupt(`${what} ${i} of ${count}`);
    const perBlock = METADATA_SIZE / size;
    const p = index[Math.floor(i / perBlock)];
    if (p === undefined) throw new Corrupt(`${what} ${i} has no table block`);
    return (await this.metaRead(p, (i % perBlock) * size, size)).data;
  }

  private id(i: number): number {
    const v = this.ids[i];
    if (v === undefined) throw new Corrupt(`id index ${i} past the id table (${this.ids.length})`);
    return v;
  }

  /** The inode at metadata reference `ref` (block offset from the inode table << 16 | offset). */
  private async inode(ref: bigint): Promise<SqNode> {
    const pos = this.sb.inodeTable + Number(ref >> 16n);
    const offset = Number(ref & 0xffffn);
    if (pos >= this.sb.directoryTable) throw new Corrupt(`inode reference ${ref} past the inode table`);
    let cur = await this.metaRead(pos, offset, 16);
    const h = cur.data;
    const type = h.readUInt16LE(0);
    const ext = type >= 8;
    const base = ext ? type - 7 : type;
    if (base < 1 || base > 7) throw new Corrupt(`inode type ${type}`);
    const mtime = BigInt(h.readUInt32LE(8)) * 1_000_000_000n;
    const st: FsStat = {
      ino: h.readUInt32LE(12),
      mode: TYPES[base]! | (h.readUInt16LE(2) & 0o7777),
      nlink: 1,
      uid: this.id(h.readUInt16LE(4)),
      gid: this.id(h.readUInt16LE(6)),
      size: 0,
      mtimeNs: mtime,
      atimeNs: mtime,
      ctimeNs: mtime,
    };
    const more = async (n: number): Promise<Buffer> => {
      cur = await this.metaRead(cur.pos, cur.offset, n);
      return cur.data;
    };
    let xattr = NO_XATTR;
    const node: { dir?: SqNode['dir']; file?: SqNode['file']; symlink?: Buffer } = {};
    switch (type) {
      case 1: {
        const b = await more(16);
        st.nlink = b.readUInt32LE(4);
        st.size = b.readUInt16LE(8);
        node.dir = { block: b.readUInt32LE(0), offset: b.readUInt16LE(10), size: b.readUInt16LE(8) };
        break;
      }
      case 8: {
        const b = await more(24);
        st.nlink = b.readUInt32LE(0);
        st.size = b.readUInt32LE(4);
        node.dir = { block: b.readUInt32LE(8), offset: b.readUInt16LE(18), size: b.readUInt32LE(4) };
        xattr = b.readUInt32LE(20);
        break;
      }
      case 2:
      case 9: {
        const b = await more(type === 2 ? 16 : 40);
        let start: number;
        let fragment: number;
        let fragOffset: number;
        if (type === 2) {
          start = b.readUInt32LE(0);
          fragment = b.readUInt32LE(4);
          fragOffset = b.readUInt32LE(8);
          st.size = b.readUInt32LE(12);
        } else {
          start = Number(b.readBigUInt64LE(0));
          const size = b.readBigUInt64LE(8);
          if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Corrupt('a file size beyond 2^53');
          st.size = Number(size);
          st.nlink = b.readUInt32LE(24);
          fragment = b.readUInt32LE(28);
          fragOffset = b.readUInt32LE(32);
          xattr = b.readUInt32LE(36);
        }
        const bs = this.sb.blockSize;
        const count = fragment === NO_FRAGMENT ? Math.ceil(st.size / bs) : Math.floor(st.size / bs);
        if (count > MAX_FILE_EXTENTS) throw new Corrupt(`a file of ${count} blocks`);
        const list = count > 0 ? await more(count * 4) : Buffer.alloc(0);
        const sizes = Array.from({ length: count }, (_, i) => list.readUInt32LE(i * 4));
        node.file = { start, sizes, fragment, fragOffset };
        break;
      }
      case 3:
      case 10: {
        const b = await more(8);
        st.nlink = b.readUInt32LE(0);
        const len = b.readUInt32LE(4);
        if (len > MAX_SYMLINK_BYTES) throw new Corrupt(`a symbolic link of ${len} bytes`);
        node.symlink = Buffer.from(await more(len));
        st.size = len;
        if (type === 10) xattr = (await more(4)).readUInt32LE(0);
        break;
      }
      case 4:
      case 5:
      case 11:
      case 12: {
        const b = await more(ext ? 12 : 8);
        st.nlink = b.readUInt32LE(0);
        const dev = b.readUInt32LE(4);
        st.rdevMajor = (dev & 0xfff00) >>> 8;
        st.rdevMinor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        if (ext) xattr = b.readUInt32LE(8);
        break;
      }
      default: {
        const b = await more(ext ? 8 : 4);
        st.nlink = b.readUInt32LE(0);
        if (ext) xattr = b.readUInt32LE(4);
      }
    }
    return { ino: st.ino, st, xattr, ...node };
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw this.fail('EINVAL', 'squashfs has no subvolumes');
    return this.guard(() => this.inode(this.sb.rootInode));
  }

  async stat(node: FsNode): Promise<FsStat> {
    return { ...(node as SqNode).st };
  }

  private async entries(dir: SqNode): Promise<{ name: string; ref: bigint }[]> {
    if (!dir.dir) throw this.fail('EINVAL', `inode ${dir.ino} is not a directory`);
    // the listing's size counts 3 bytes more than it holds ("." and ".." that are not stored)
    let left = dir.dir.size - 3;
    let pos = this.sb.directoryTable + dir.dir.block;
    let offset = dir.dir.offset;
    const out: { name: string; ref: bigint }[] = [];
    while (left >= 12) {
      const h = await this.metaRead(pos, offset, 12);
      ({ pos, offset } = h);
      left -= 12;
      const count = h.data.readUInt32LE(0) + 1;
      const start = h.data.readUInt32LE(4);
      if (count > 256) throw new Corrupt(`directory inode ${dir.ino}: a header of ${count} entries`);
      for (let i = 0; i < count; i++) {
        if (left < 8) throw new Corrupt(`directory inode ${dir.ino}: listing shorter than its headers`);
        const e = await this.metaRead(pos, offset, 8);
        const nameLen = e.data.readUInt16LE(6) + 1;
        const n = await this.metaRead(e.pos, e.offset, nameLen);
        ({ pos, offset } = n);
        left -= 8 + nameLen;
        const raw = n.data;
        if (raw.includes(0) || raw.includes(0x2f)) continue;
        const name = raw.toString('utf8');
        if (name === '.' || name === '..') continue;
        out.push({ name, ref: (BigInt(start) << 16n) | BigInt(e.data.readUInt16LE(0)) });
        if (out.length > MAX_DIR_ENTRIES) throw new Corrupt(`directory inode ${dir.ino} has more than ${MAX_DIR_ENTRIES} entries`);
      }
    }
    return out;
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return this.guard(async () => {
      const out: FsDirEntry[] = [];
      for (const e of await this.entries(dir as SqNode)) out.push({ name: e.name, node: await this.inode(e.ref) });
      return out;
    });
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    return this.guard(async () => {
      const e = (await this.entries(dir as SqNode)).find((x) => x.name === name);
      return e ? this.inode(e.ref) : undefined;
    });
  }

  async readlink(node: FsNode): Promise<string> {
    const n = node as SqNode;
    if ((n.st.mode & S_IFMT) !== S_IFLNK || !n.symlink) throw this.fail('EINVAL', `inode ${n.ino} is not a symbolic link`);
    return n.symlink.toString('utf8');
  }

  /** Data block `i` of a file (uncompressed, `want` bytes). */
  private async dataBlock(f: NonNullable<SqNode['file']>, i: number, want: number): Promise<Buffer> {
    // where each block starts: the sum of the stored sizes before it (computed once per file)
    if (!f.offsets) {
      f.offsets = [];
      let at = f.start;
      for (const v of f.sizes) {
        f.offsets.push(at);
        at += v & ~UNCOMPRESSED_BLOCK;
      }
    }
    const pos = f.offsets[i]!;
    const v = f.sizes[i]!;
    const size = v & ~UNCOMPRESSED_BLOCK;
    if (size === 0) return Buffer.alloc(want); // a hole
    if (size > this.sb.blockSize) throw new Corrupt(`data block of ${size} bytes`);
    const raw = await this.bytes(pos, size);
    const out = v & UNCOMPRESSED_BLOCK ? raw : this.decompress(raw, this.sb.blockSize);
    if (out.length < want) throw new Corrupt('a data block shorter than the file says');
    return out.subarray(0, want);
  }

  private async fragmentBytes(f: NonNullable<SqNode['file']>, want: number): Promise<Buffer> {
    const e = await this.tableEntry(this.fragTable, f.fragment, 16, this.sb.fragments, 'fragment');
    const start = Number(e.readBigUInt64LE(0));
    const v = e.readUInt32LE(8);
    const size = v & ~UNCOMPRESSED_BLOCK;
    if (size > this.sb.blockSize) throw new Corrupt(`fragment block of ${size} bytes`);
    const raw = await this.bytes(start, size);
    const out = v & UNCOMPRESSED_BLOCK ? raw : this.decompress(raw, this.sb.blockSize);
    if (f.fragOffset + want > out.length) throw new Corrupt('a fragment shorter than the file says');
    return out.subarray(f.fragOffset, f.fragOffset + want);
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = node as SqNode;
    if (!n.file) throw this.fail('EINVAL', `inode ${n.ino} is not a regular file`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
      throw this.fail('EINVAL', 'bad read range');
    if (length > MAX_READ_BYTES) throw this.fail('EINVAL', `read of ${length} bytes is larger than ${MAX_READ_BYTES}`);
    const size = n.st.size;
    if (offset >= size || length === 0) return Buffer.alloc(0);
    const end = Math.min(size, offset + length);
    const bs = this.sb.blockSize;
    const f = n.file;
    return this.guard(async () => {
      const parts: Buffer[] = [];
      for (let b = Math.floor(offset / bs); b * bs < end; b++) {
        const want = Math.min(bs, size - b * bs);
        const block = b < f.sizes.length ? await this.dataBlock(f, b, want) : await this.fragmentBytes(f, want);
        const from = Math.max(offset - b * bs, 0);
        const to = Math.min(end - b * bs, want);
        parts.push(block.subarray(from, to));
      }
      return Buffer.concat(parts);
    });
  }

  async listXattrs(node: FsNode): Promise<Map<string, Buffer>> {
    const n = node as SqNode;
    const out = new Map<string, Buffer>();
    if (n.xattr === NO_XATTR || this.xattrTable < 0) return out;
    return this.guard(async () => {
      const e = await this.tableEntry(this.xattrIds, n.xattr, 16, this.xattrCount, 'xattr id');
      const ref = e.readBigUInt64LE(0);
      const count = e.readUInt32LE(8);
      if (e.readUInt32LE(12) > MAX_XATTR_BYTES) throw new Corrupt('xattrs larger than the cap');
      let cur = { pos: this.xattrTable + Number(ref >> 16n), offset: Number(ref & 0xffffn) };
      for (let i = 0; i < count; i++) {
        const h = await this.metaRead(cur.pos, cur.offset, 4);
        const type = h.data.readUInt16LE(0);
        const nl = h.data.readUInt16LE(2);
        const nm = await this.metaRead(h.pos, h.offset, nl);
        const vs = await this.metaRead(nm.pos, nm.offset, 4);
        const vlen = vs.data.readUInt32LE(0);
        if (vlen > MAX_XATTR_BYTES) throw new Corrupt(`an xattr value of ${vlen} bytes`);
        const v = await this.metaRead(vs.pos, vs.offset, vlen);
        cur = { pos: v.pos, offset: v.offset };
        let value = v.data;
        if (type & 0x100) {
          // out of line: the value is a reference to where it is stored
          const r = value.readBigUInt64LE(0);
          const at = await this.metaRead(this.xattrTable + Number(r >> 16n), Number(r & 0xffffn), 4);
          const len = at.data.readUInt32LE(0);
          if (len > MAX_XATTR_BYTES) throw new Corrupt(`an xattr value of ${len} bytes`);
          value = (await this.metaRead(at.pos, at.offset, len)).data;
        }
        const prefix = XATTR_PREFIX[type & 0xff];
        if (prefix) out.set(prefix + nm.data.toString('latin1'), Buffer.from(value));
      }
      return out;
    });
  }

  async statfs(): Promise<FsStatfs> {
    const s = this.sb;
    return { bsize: s.blockSize, blocks: Math.ceil(s.bytesUsed / s.blockSize), bfree: 0, bavail: 0, files: s.inodes, ffree: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.meta.clear();
  }
}
