// The ext2/3/4 FileSystemReader: inodes by number, directories listed whole (and cached, a few
// at a time, so lookups in a 100,000-entry directory are not a scan each), file data through
// the block mapping, xattrs, statfs. Metadata blocks go through a small LRU; data is not cached.
import { MAX_DIR_ENTRIES, MAX_READ_BYTES, MAX_SYMLINK_BYTES } from '../limits.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import {
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type FileSystemReader,
  type FsDirEntry,
  type FsNode,
  type FsStat,
  type FsStatfs,
} from '../types.js';
import { casefoldKey } from './casefold.js';
import { ExtContext } from './context.js';
import { parseDirEntries, type RawDirent } from './dir.js';
import { FL_CASEFOLD, FL_EA_INODE, FL_ENCRYPT, FL_INLINE_DATA, inodeStat, readInode, type Inode } from './inode.js';
import { mapBlocks } from './mapping.js';
import { encryptedEntries, encryptedLinkTarget, lookupNoKey, type EncryptedListing } from './encrypted-dir.js';
import { statfs } from './statfs.js';
import { INCOMPAT_CASEFOLD, INCOMPAT_EA_INODE, readSuperblock } from './superblock.js';
import { namedXattrs, rawXattrs, systemData } from './xattr.js';

const ROOT_INO = 2;
/** a directory's bytes beyond this are not believed (MAX_DIR_ENTRIES entries of 12 bytes, twice over) */
const MAX_DIR_BYTES = MAX_DIR_ENTRIES * 24;
/** data pieces at most this many blocks apart on disk are read together, up to READ_SPAN_BYTES */
const READ_GAP_BLOCKS = 8;
const READ_SPAN_BYTES = 4 * 1024 * 1024;

export interface ExtNode extends FsNode {
  readonly ino: number;
}

interface Listing {
  entries: FsDirEntry[];
  byName: Map<string, number>;
  casefold: boolean;
  /** a casefolded directory: names as listed (byName holds the folded keys) */
  exact?: Map<string, number>;
  /** an encrypted directory: its ciphertext names, for lookups of other no-key spellings */
  encrypted?: EncryptedListing;
}

export class ExtReader implements FileSystemReader {
  readonly caseInsensitive = false;
  private readonly inodes = new Lru<number, Inode>(2048);
  private readonly listings = new Lru<number, Listing>(8);

  private constructor(private readonly ctx: ExtContext) {}

  static async open(source: ByteSource, device: string): Promise<ExtReader> {
    const sb = await readSuperblock(source, device);
    const r = new ExtReader(new ExtContext(source, device, sb.type, sb));
    const root = await r.inode(ROOT_INO);
    if ((root.mode & S_IFMT) !== S_IFDIR) throw r.ctx.error('EFORMAT', 'the root inode is not a directory');
    return r;
  }

  /** EXT4_ENC_STRICT_MODE_FL: in casefolded directories, names that are not UTF-8 match nothing */
  private get strictNames(): boolean {
    return (this.ctx.sb.encodingFlags & 1) !== 0;
  }

  get type(): string {
    return this.ctx.type;
  }
  get device(): string {
    return this.ctx.device;
  }

  private async inode(ino: number): Promise<Inode> {
    const hit = this.inodes.get(ino);
    if (hit) return hit;
    const n = await readInode(this.ctx, ino);
    this.inodes.set(ino, n);
    return n;
  }

  private node(n: FsNode): Promise<Inode> {
    return this.inode(n.ino);
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw this.ctx.error('EINVAL', 'has no subvolumes');
    return { ino: ROOT_INO } satisfies ExtNode;
  }

  async stat(node: FsNode): Promise<FsStat> {
    const n = await this.node(node);
    const st = inodeStat(this.ctx, n);
    // the kernel's getattr of an encrypted symlink reports the length of what readlink shows
    if ((n.mode & S_IFMT) === S_IFLNK && n.flags & FL_ENCRYPT) st.size = (await this.encryptedTarget(n)).length;
    return st;
  }

  private async xattrsOf(n: Inode) {
    const eaInode = this.ctx.sb.incompat & INCOMPAT_EA_INODE ? (ino: number, size: number) => this.eaValue(n.ino, ino, size) : undefined;
    return rawXattrs(this.ctx, n, eaInode);
  }

  /** A value stored in an EA inode. */
  private async eaValue(owner: number, ino: number, size: number): Promise<Buffer> {
    const ea = await this.inode(ino);
    // an EA inode holds plain data: never inline (whose rest would be in xattrs again)
    if (!(ea.flags & FL_EA_INODE) || ea.flags & FL_INLINE_DATA || ea.size !== size || ino === owner) {
      throw this.ctx.error('EFORMAT', `inode ${owner}: xattr value inode ${ino} does not match its entry`);
    }
    return this.readData(ea, 0, size);
  }

  /** Inline data: i_block then system.data. */
  private async inlineData(n: Inode): Promise<Buffer> {
    const more = systemData(await this.xattrsOf(n)) ?? Buffer.alloc(0);
    return Buffer.concat([n.iblock, more]);
  }

  /** `length` bytes (already clamped to the size) of a file's data from `offset`. */
  private async readData(n: Inode, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    if (n.flags & FL_INLINE_DATA) {
      const data = await this.inlineData(n);
      const out = Buffer.alloc(length);
      data.copy(out, 0, Math.min(offset, data.length), Math.min(offset + length, data.length));
      return out;
    }
    const bs = this.ctx.sb.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.ceil((offset + length) / bs);
    const segs = await mapBlocks(this.ctx, n, first, last - first);
    const only = segs.length === 1 ? segs[0]! : undefined;
    if (only && only.lb === first && only.n === last - first) {
      // one run on disk, no hole: its bytes as read, without a second copy (a bulk read
      // allocates per call; copying doubles what a long read leaves for the collector)
      const data = await this.ctx.blocks(only.pb, only.n, `inode ${n.ino}'s data`);
      return data.subarray(offset - first * bs, offset - first * bs + length);
    }
    const out = Buffer.alloc(length);
    // pieces close together on disk (a file written every other block) are read in one go
    for (let i = 0; i < segs.length; ) {
      let j = i + 1;
      const start = segs[i]!.pb;
      let end = start + segs[i]!.n;
      while (j < segs.length) {
        const s = segs[j]!;
        if (s.pb < end || s.pb - end > READ_GAP_BLOCKS || s.pb + s.n - start > READ_SPAN_BYTES / bs) break;
        end = s.pb + s.n;
        j++;
      }
      const data = await this.ctx.blocks(start, end - start, `inode ${n.ino}'s data`);
      for (; i < j; i++) {
        const seg = segs[i]!;
        const segStart = seg.lb * bs;
        const from = Math.max(segStart, offset);
        const to = Math.min(segStart + seg.n * bs, offset + length);
        const at = (seg.pb - start) * bs;
        data.copy(out, from - offset, at + from - segStart, at + to - segStart);
      }
    }
    return out;
  }

  private refuseEncrypted(n: Inode, what: string): void {
    if (n.flags & FL_ENCRYPT) throw this.ctx.error('EUNSUPPORTED', `inode ${n.ino}: ${what} is encrypted, no key (fscrypt)`);
  }

  private async listing(dir: FsNode): Promise<Listing> {
    const hit = this.listings.get(dir.ino);
    if (hit) return hit;
    const n = await this.node(dir);
    if ((n.mode & S_IFMT) !== S_IFDIR) throw this.ctx.error('EINVAL', `inode ${n.ino} is not a directory (ENOTDIR)`);
    const raw: RawDirent[] = [];
    const blocks = new Map<number, Buffer>();
    if (n.flags & FL_INLINE_DATA) {
      // the first 4 bytes are the parent's inode number ('..')
      parseDirEntries(this.ctx, n.ino, n.iblock.subarray(4), 'the inline directory', raw);
      const more = systemData(await this.xattrsOf(n));
      if (more && more.length > 0) parseDirEntries(this.ctx, n.ino, more, 'the inline directory (system.data)', raw);
    } else {
      const bs = this.ctx.sb.blockSize;
      if (n.size > MAX_DIR_BYTES) throw this.ctx.error('EFORMAT', `directory inode ${n.ino} claims ${n.size} bytes`);
      const count = Math.floor(n.size / bs);
      for (const seg of await mapBlocks(this.ctx, n, 0, count)) {
        for (let i = 0; i < seg.n; i += 256) {
          const k = Math.min(256, seg.n - i);
          const data = await this.ctx.blocks(seg.pb + i, k, `directory inode ${n.ino}`);
          for (let j = 0; j < k; j++) {
            const from = raw.length;
            const block = data.subarray(j * bs, (j + 1) * bs);
            parseDirEntries(this.ctx, n.ino, block, `block ${seg.lb + i + j}`, raw);
            for (let e = from; e < raw.length; e++) raw[e]!.lblk = seg.lb + i + j;
            // an encrypted directory's index blocks: a long no-key name is looked up through them
            if (n.flags & FL_ENCRYPT) blocks.set(seg.lb + i + j, block);
            if (raw.length > MAX_DIR_ENTRIES)
              throw this.ctx.error('EFORMAT', `directory inode ${n.ino} has more than ${MAX_DIR_ENTRIES} entries`);
          }
        }
      }
    }
    const casefold = (this.ctx.sb.incompat & INCOMPAT_CASEFOLD) !== 0 && (n.flags & FL_CASEFOLD) !== 0;
    const l: Listing = { entries: [], byName: new Map(), casefold };
    if (n.flags & FL_ENCRYPT) {
      l.encrypted = encryptedEntries(this.ctx, n, raw, blocks, casefold);
      for (const e of l.encrypted.entries) {
        l.entries.push({ name: e.noKey, node: { ino: e.ino } satisfies ExtNode });
        if (!l.byName.has(e.noKey)) l.byName.set(e.noKey, e.ino);
      }
    } else {
      for (const d of raw) {
        if (d.name.includes(0) || d.name.includes(0x2f)) continue;
        const name = d.name.toString('utf8');
        if (name === '.' || name === '..' || name === '') continue;
        const node: ExtNode = { ino: d.ino };
        l.entries.push({ name, node });
        const key = casefold ? casefoldKey(d.name, this.strictNames) : name;
        if (key !== undefined && !l.byName.has(key)) l.byName.set(key, d.ino);
        if (casefold) {
          l.exact ??= new Map();
          if (!l.exact.has(name)) l.exact.set(name, d.ino);
        }
      }
    }
    this.listings.set(dir.ino, l);
    return l;
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return [...(await this.listing(dir)).entries];
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const l = await this.listing(dir);
    if (l.encrypted) {
      // the name as listed, or any other spelling the kernel would take for the same entry
      const ino = l.byName.get(name) ?? lookupNoKey(l.encrypted, name);
      return ino === undefined ? undefined : ({ ino } satisfies ExtNode);
    }
    // a casefolded directory compares as the kernel does; a name that is not UTF-8 is still
    // found by the spelling readdir gave it (its bytes decoded with replacement characters)
    let ino: number | undefined;
    if (l.casefold) {
      const key = casefoldKey(Buffer.from(name, 'utf8'), this.strictNames);
      ino = (key === undefined ? undefined : l.byName.get(key)) ?? l.exact?.get(name);
    } else {
      ino = l.byName.get(name);
    }
    return ino === undefined ? undefined : ({ ino } satisfies ExtNode);
  }

  /** An encrypted symlink's target as the kernel shows it without the key (readlink's answer). */
  private async encryptedTarget(n: Inode): Promise<string> {
    if (n.flags & FL_INLINE_DATA) throw this.ctx.error('EFORMAT', `symlink inode ${n.ino} is encrypted and inline`);
    const data = this.isFastLink(n) ? n.iblock : await this.readData(n, 0, this.ctx.sb.blockSize);
    return encryptedLinkTarget(this.ctx, n.ino, data);
  }

  private isFastLink(n: Inode): boolean {
    const eaBlocks = n.fileAcl !== 0 ? (this.ctx.sb.blockSize * this.ctx.sb.clusterRatio) / 512 : 0;
    return (inodeStat(this.ctx, n).blocks ?? 0) - eaBlocks === 0;
  }

  async readlink(node: FsNode, opts?: { follow?: boolean }): Promise<string> {
    const n = await this.node(node);
    if ((n.mode & S_IFMT) !== S_IFLNK) throw this.ctx.error('EINVAL', `inode ${n.ino} is not a symlink`);
    if (n.flags & FL_ENCRYPT) {
      // readlink shows the no-key form, as the kernel's does; following it leads nowhere real
      const target = await this.encryptedTarget(n);
      if (opts?.follow) this.refuseEncrypted(n, 'the symlink');
      return target;
    }
    let data: Buffer;
    if (n.flags & FL_INLINE_DATA) {
      data = (await this.inlineData(n)).subarray(0, Math.min(n.size, MAX_SYMLINK_BYTES - 1));
    } else if (this.isFastLink(n)) {
      // a fast symlink: the target is in i_block (the kernel stops at 59 bytes)
      data = n.iblock.subarray(0, Math.min(n.size, 59));
    } else {
      if (n.size > MAX_SYMLINK_BYTES) throw this.ctx.error('EFORMAT', `symlink inode ${n.ino} claims a ${n.size}-byte target`);
      data = await this.readData(n, 0, Math.min(n.size, MAX_SYMLINK_BYTES - 1));
    }
    const nul = data.indexOf(0);
    return (nul >= 0 ? data.subarray(0, nul) : data).toString('utf8');
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = await this.fileToRead(node, offset, length);
    if (offset >= n.size) return Buffer.alloc(0);
    return this.readData(n, offset, Math.min(length, n.size - offset));
  }

  async readInto(node: FsNode, offset: number, length: number, out: Buffer, at: number): Promise<number> {
    const n = await this.fileToRead(node, offset, length);
    if (offset >= n.size) return 0;
    const len = Math.min(length, n.size - offset, out.length - at);
    const bs = this.ctx.sb.blockSize;
    // whole blocks of one run on disk, no hole, not inline: read straight into `out` (a bulk
    // read's own buffer would be garbage at once); anything else is read and copied
    if (offset % bs === 0 && len % bs === 0 && !(n.flags & FL_INLINE_DATA)) {
      const segs = await mapBlocks(this.ctx, n, offset / bs, len / bs);
      const only = segs.length === 1 ? segs[0]! : undefined;
      if (only && only.lb === offset / bs && only.n === len / bs) {
        await this.ctx.blocksInto(only.pb, only.n, `inode ${n.ino}'s data`, out, at);
        return len;
      }
    }
    return (await this.readData(n, offset, len)).copy(out, at);
  }

  /** The regular file `node`, checked for a read of `length` bytes from `offset`. */
  private async fileToRead(node: FsNode, offset: number, length: number): Promise<Inode> {
    const n = await this.node(node);
    const type = n.mode & S_IFMT;
    if (type === S_IFDIR) throw this.ctx.error('EINVAL', `inode ${n.ino} is a directory`);
    if (type !== S_IFREG) throw this.ctx.error('EINVAL', `inode ${n.ino} is not a regular file`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw this.ctx.error('EINVAL', `bad read range ${offset}+${length}`);
    }
    if (length > MAX_READ_BYTES) throw this.ctx.error('EINVAL', `a read of ${length} bytes is more than ${MAX_READ_BYTES} at once`);
    this.refuseEncrypted(n, 'the file');
    return n;
  }

  async listXattrs(node: FsNode): Promise<Map<string, Buffer>> {
    const n = await this.node(node);
    return namedXattrs(this.ctx, n.ino, await this.xattrsOf(n));
  }

  async statfs(): Promise<FsStatfs> {
    return statfs(this.ctx, (ino) => this.inode(ino));
  }

  async close(): Promise<void> {
    this.inodes.clear();
    this.listings.clear();
    this.ctx.cache.clear();
  }
}
