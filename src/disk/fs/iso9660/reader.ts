// The ISO 9660 reader: one tree as Linux's isofs shows it with default mount options — Rock
// Ridge when the root declares it (ER), else Joliet when there is a Joliet descriptor, else the
// plain names mapped as `map=normal` does. Inode numbers are the kernel's: the position of a
// file's (first) directory record, and a directory's own `.` record.
import { JootError, type JootErrorCode } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import { MAX_DIR_ENTRIES, MAX_FILE_EXTENTS, MAX_READ_BYTES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';
import {
  type DirRecord,
  FLAG_ASSOCIATED,
  FLAG_DIR,
  FLAG_MULTI_EXTENT,
  isDotRecord,
  isoDate,
  jolietName,
  parseRecord,
  translateName,
} from './record.js';
import { parseRock, type RockInfo, RockError } from './rockridge.js';
import { readVolume, type Volume, VolumeError } from './volume.js';
import { readZisofs, type Zisofs, ZisofsError, zisofsUsable } from './zisofs.js';

interface IsoNode extends FsNode {
  readonly ino: number;
  readonly st: FsStat;
  /** data extents in file order: byte offset on the device and length */
  readonly extents: readonly { pos: number; len: number }[];
  readonly symlink?: Buffer;
  readonly zisofs?: Zisofs;
}

interface Listing {
  names: string[];
  nodes: IsoNode[];
}

/** Blocks of metadata kept (directory `.` records, continuation areas). */
const BLOCK_CACHE = 256;
/** Directory listings kept. */
const LISTING_CACHE = 16;
/** Bytes of a directory read at once. */
const DIR_CHUNK = 256 * 1024;
const PERM_READ_EXEC = 0o555;

export class IsoReader implements FileSystemReader {
  readonly type = 'iso9660';
  readonly caseInsensitive: boolean;
  private readonly blocks = new Lru<number, Buffer>(BLOCK_CACHE);
  private readonly listings = new Lru<number, Listing>(LISTING_CACHE);
  private readonly bits: number;
  private rootNode?: IsoNode;
  private closed = false;

  private constructor(
    private readonly source: ByteSource,
    readonly device: string,
    private readonly vol: Volume,
    /** which names and attributes: Rock Ridge, Joliet or plain */
    private readonly flavour: 'rock' | 'joliet' | 'plain',
    /** SP's skip: bytes before the Rock Ridge entries of every system use area */
    private readonly skip: number,
  ) {
    this.caseInsensitive = flavour === 'joliet';
    this.bits = vol.blockSize === 2048 ? 11 : 10;
  }

  static async open(source: ByteSource, device: string): Promise<IsoReader> {
    const fail = (code: JootErrorCode, msg: string): JootError => new JootError(code, `${device}: iso9660: ${msg}`);
    let vol: Volume;
    try {
      vol = await readVolume((o, l) => source.read(o, l), source.size);
    } catch (e) {
      if (e instanceof VolumeError) throw fail(e.message.startsWith('High Sierra') ? 'EUNSUPPORTED' : 'EFORMAT', e.message);
      if (e instanceof JootError) throw fail('EIO', e.message);
      throw e;
    }
    // Rock Ridge counts when the primary root's `.` record declares it (an ER entry); without
    // one the kernel still reads stray RR entries, unless a Joliet tree takes over.
    const probe = new IsoReader(source, device, vol, 'rock', 0);
    const dot = await probe.recordAt(vol.root.extent * vol.blockSize, 'the root directory');
    const info = await probe.rock(dot, 0);
    const skip = info.spSkip ?? 0;
    const flavour = info.er ? 'rock' : vol.joliet ? 'joliet' : 'plain';
    return new IsoReader(source, device, vol, flavour, skip);
  }

  private fail(code: JootErrorCode, msg: string): JootError {
    return new JootError(code, `${this.device}: iso9660: ${msg}`);
  }

  private async readBytes(offset: number, length: number, what: string): Promise<Buffer> {
    if (this.closed) throw this.fail('ESTATE', 'the reader is closed');
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.source.size) {
      throw this.fail('EIO', `${what} (bytes ${offset}+${length}) lies outside the device (size ${this.source.size})`);
    }
    try {
      return await this.source.read(offset, length);
    } catch (e) {
      if (e instanceof JootError) throw this.fail(e.code, `${what}: ${e.message}`);
      throw e;
    }
  }

  /** One logical block, through the cache. */
  private async block(n: number, what: string): Promise<Buffer> {
    const hit = this.blocks.get(n);
    if (hit) return hit;
    const b = await this.readBytes(n * this.vol.blockSize, this.vol.blockSize, what);
    this.blocks.set(n, b);
    return b;
  }

  /** The directory record at byte `pos` (a directory's `.` record: offset 0 of its first block). */
  private async recordAt(pos: number, what: string): Promise<DirRecord> {
    const bs = this.vol.blockSize;
    const b = await this.block(Math.floor(pos / bs), what);
    const off = pos % bs;
    const r = b[off]! > 0 && off + b[off]! <= bs ? parseRecord(b, off, pos) : undefined;
    if (!r) throw this.fail('EFORMAT', `${what}: no valid directory record at byte ${pos}`);
    return r;
  }

  private async rock(r: DirRecord, skip: number): Promise<RockInfo> {
    try {
      return await parseRock(r.su, skip, this.vol.blockSize, async (block, offset, size) =>
        (await this.block(block, 'a Rock Ridge continuation area')).subarray(offset, offset + size),
      );
    } catch (e) {
      if (e instanceof RockError) throw this.fail('EFORMAT', `Rock Ridge entries of the record at byte ${r.pos}: ${e.message}`);
      throw e;
    }
  }

  private inoOf(pos: number): number {
    const bs = this.vol.blockSize;
    return Math.floor(pos / bs) * 2 ** (this.bits - 5) + Math.floor((pos % bs) / 32);
  }

  /**
   * The inode of a directory entry: `group` is its record(s) (several for a multi-extent file).
   * A directory's attributes come from its own `.` record, as the kernel reads them.
   */
  private async inode(group: DirRecord[], rockOfFirst: RockInfo | undefined, relocated = false): Promise<IsoNode> {
    const first = group[0]!;
    if (first.flags & FLAG_DIR) {
      const pos = first.extent * this.vol.blockSize;
      const dot = await this.recordAt(pos, `the directory at block ${first.extent}`);
      return this.inodeOf([dot], this.flavour === 'rock' ? await this.rock(dot, this.skip) : undefined, this.inoOf(pos), relocated);
    }
    return this.inodeOf(group, rockOfFirst, this.inoOf(first.pos), relocated);
  }

  private async inodeOf(group: DirRecord[], info: RockInfo | undefined, ino: number, relocated: boolean): Promise<IsoNode> {
    const first = group[0]!;
    const bs = this.vol.blockSize;
    const isDir = (first.flags & FLAG_DIR) !== 0;
    const time = isoDate(first.date, false);
    let size = 0;
    const extents: { pos: number; len: number }[] = [];
    for (const r of group) {
      size += r.size;
      extents.push({ pos: r.extent * bs, len: r.size });
    }
    const st: FsStat = {
      ino,
      mode: (isDir ? S_IFDIR : S_IFREG) | PERM_READ_EXEC,
      nlink: 1,
      uid: 0,
      gid: 0,
      size: first.interleave ? 0 : size,
      mtimeNs: time,
      atimeNs: time,
      ctimeNs: time,
    };
    let symlink: Buffer | undefined;
    let zisofs: Zisofs | undefined;
    if (info) {
      if (info.px) {
        st.mode = info.px.mode;
        st.nlink = info.px.nlink;
        st.uid = info.px.uid;
        st.gid = info.px.gid;
      }
      if (info.pn) {
        const { high, low } = info.pn;
        // the kernel's reading: a whole old-style dev_t in the low word when high is 0
        const [ma, mi] = low & ~0xff && high === 0 ? [low >>> 8, low & 0xff] : [high, low];
        const dev = ((ma << 20) | mi) >>> 0;
        st.rdevMajor = dev >>> 20;
        st.rdevMinor = dev & 0xfffff;
      }
      if (info.mtimeNs !== undefined) st.mtimeNs = info.mtimeNs;
      if (info.atimeNs !== undefined) st.atimeNs = info.atimeNs;
      if (info.ctimeNs !== undefined) st.ctimeNs = info.ctimeNs;
      if (info.symlink) {
        symlink = info.symlink;
        st.size = symlink.length;
      }
      if (info.zf && zisofsUsable(info.zf.algorithm, info.zf.blockShift)) {
        zisofs = { headerSize: info.zf.headerSize, blockShift: info.zf.blockShift, size: info.zf.realSize };
        st.size = info.zf.realSize;
      }
      if (info.childLink !== undefined) {
        if (relocated) throw this.fail('EFORMAT', `directory relocation inside a relocated directory (record at byte ${first.pos})`);
        if (info.childLink === Math.floor(first.pos / bs) && first.pos % bs === 0) {
          throw this.fail('EFORMAT', `a directory relocation points to itself (block ${info.childLink})`);
        }
        const pos = info.childLink * bs;
        const dot = await this.recordAt(pos, `the relocated directory at block ${info.childLink}`);
        const reloc = await this.inodeOf([dot], await this.rock(dot, this.skip), ino, true);
        return { ...reloc, st: { ...reloc.st, ino } };
      }
    }
    if (!Number.isSafeInteger(st.size)) throw this.fail('EFORMAT', `file size beyond 2^53 (record at byte ${first.pos})`);
    return { ino, st, extents, symlink, zisofs };
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw this.fail('EINVAL', 'ISO 9660 has no subvolumes');
    if (!this.rootNode) {
      const r = this.flavour === 'joliet' ? this.vol.joliet!.root : this.vol.root;
      this.rootNode = await this.inode([r], undefined);
    }
    return this.rootNode;
  }

  async stat(node: FsNode): Promise<FsStat> {
    return { ...(node as IsoNode).st };
  }

  private async listing(dir: IsoNode): Promise<Listing> {
    if ((dir.st.mode & S_IFMT) !== S_IFDIR) throw this.fail('EINVAL', `inode ${dir.ino} is not a directory`);
    const hit = this.listings.get(dir.ino);
    if (hit) return hit;
    const out: Listing = { names: [], nodes: [] };
    const bs = this.vol.blockSize;
    const ext = dir.extents[0];
    const total = ext ? ext.len : 0;
    let pending: DirRecord[] = [];
    for (let done = 0; done < total; ) {
      const n = Math.min(DIR_CHUNK, Math.ceil((total - done) / bs) * bs);
      const chunk = await this.readBytes(ext!.pos + done, Math.min(n, this.source.size - ext!.pos - done), `directory inode ${dir.ino}`);
      for (let blockAt = 0; blockAt < chunk.length && done + blockAt < total; blockAt += bs) {
        const limit = Math.min(blockAt + bs, chunk.length);
        for (let off = blockAt; off < limit; ) {
          const len = chunk[off]!;
          if (len === 0) break; // the rest of this block is padding: records never span blocks
          const r = off + len <= limit ? parseRecord(chunk, off, ext!.pos + done + off) : undefined;
          if (!r) throw this.fail('EFORMAT', `directory inode ${dir.ino}: malformed record at byte ${ext!.pos + done + off}`);
          off += len;
          if (isDotRecord(r)) continue;
          pending.push(r);
          if (pending.length > MAX_FILE_EXTENTS)
            throw this.fail('EFORMAT', `directory inode ${dir.ino}: a file of more than ${MAX_FILE_EXTENTS} extents`);
          if (r.flags & FLAG_MULTI_EXTENT) continue;
          const group = pending;
          pending = [];
          await this.addEntry(out, group);
          if (out.names.length > MAX_DIR_ENTRIES)
            throw this.fail('EFORMAT', `directory inode ${dir.ino} has more than ${MAX_DIR_ENTRIES} entries`);
        }
      }
      done += chunk.length;
      if (chunk.length < n) throw this.fail('EIO', `directory inode ${dir.ino} lies past the end of the device`);
    }
    this.listings.set(dir.ino, out);
    return out;
  }

  private async addEntry(out: Listing, group: DirRecord[]): Promise<void> {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    // associated files are hidden unless mounted with showassoc
    if (last.flags & FLAG_ASSOCIATED) return;
    let info: RockInfo | undefined;
    let raw: Buffer;
    if (this.flavour === 'rock') {
      info = await this.rock(first, this.skip);
      if (info.relocated) return; // shown where its CL placeholder is
      raw = info.name && !info.rrNoName ? info.name : translateName(first.name);
    } else raw = this.flavour === 'joliet' ? jolietName(first.name) : translateName(first.name);
    if (raw.length === 0 || raw.includes(0) || raw.includes(0x2f)) return;
    const name = raw.toString('utf8');
    if (name === '.' || name === '..') return;
    out.names.push(name);
    out.nodes.push(await this.inode(group, info));
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const l = await this.listing(dir as IsoNode);
    return l.names.map((name, i) => ({ name, node: l.nodes[i]! }));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const l = await this.listing(dir as IsoNode);
    const fold = (s: string): string => (this.caseInsensitive ? s.replace(/[A-Z]+/g, (c) => c.toLowerCase()) : s);
    const want = fold(name);
    const i = l.names.findIndex((n) => fold(n) === want);
    return i < 0 ? undefined : l.nodes[i];
  }

  async readlink(node: FsNode): Promise<string> {
    const n = node as IsoNode;
    if ((n.st.mode & S_IFMT) !== S_IFLNK || !n.symlink) throw this.fail('EINVAL', `inode ${n.ino} is not a symbolic link`);
    return n.symlink.toString('utf8');
  }

  /** Bytes of the file's data as stored (compressed, for zisofs), across its extents. */
  private async rawRead(n: IsoNode, offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let at = 0;
    let want = length;
    let pos = offset;
    for (const e of n.extents) {
      if (want === 0) break;
      if (pos < at + e.len) {
        const from = pos - at;
        const take = Math.min(e.len - from, want);
        parts.push(await this.readBytes(e.pos + from, take, `data of inode ${n.ino}`));
        pos += take;
        want -= take;
      }
      at += e.len;
    }
    if (want > 0) throw this.fail('EFORMAT', `inode ${n.ino}: data shorter than its size`);
    return Buffer.concat(parts);
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = node as IsoNode;
    if ((n.st.mode & S_IFMT) !== S_IFREG) throw this.fail('EINVAL', `inode ${n.ino} is not a regular file`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw this.fail('EINVAL', `bad read range ${offset}+${length}`);
    }
    if (length > MAX_READ_BYTES) throw this.fail('EINVAL', `read of ${length} bytes is larger than ${MAX_READ_BYTES}`);
    const size = n.st.size;
    if (offset >= size || length === 0) return Buffer.alloc(0);
    const len = Math.min(length, size - offset);
    if (!n.zisofs) return this.rawRead(n, offset, len);
    const stored = n.extents.reduce((s, e) => s + e.len, 0);
    try {
      return await readZisofs(
        n.zisofs,
        (o, l) => {
          if (o + l > stored) throw new ZisofsError(`pointer past the compressed data (${o}+${l} of ${stored})`);
          return this.rawRead(n, o, l);
        },
        offset,
        len,
      );
    } catch (e) {
      if (e instanceof ZisofsError) throw this.fail('EFORMAT', `zisofs file inode ${n.ino}: ${e.message}`);
      throw e;
    }
  }

  async listXattrs(): Promise<Map<string, Buffer>> {
    return new Map();
  }

  async statfs(): Promise<FsStatfs> {
    return { bsize: this.vol.blockSize, blocks: this.vol.blocks, bfree: 0, bavail: 0, files: 0, ffree: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocks.clear();
    this.listings.clear();
  }
}
