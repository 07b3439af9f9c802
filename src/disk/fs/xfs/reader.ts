// The xfs FileSystemReader: inodes by number through the allocation-group geometry, directories,
// symlinks, file data and attributes decoded by the modules beside this one, with small caches
// of what a tree walk re-reads (inodes, extent lists, directories). The log is never replayed:
// the image reads as `mount -o norecovery` shows it.
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import { MAX_READ_BYTES, MAX_SYMLINK_BYTES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';
import { type Extent, forkExtents, readMapped } from './bmap.js';
import { blockDirEntries, shortformEntries } from './dir.js';
import { FMT_BTREE, FMT_EXTENTS, FMT_LOCAL, type Inode, readInode } from './inode.js';
import { parseSuperblock } from './superblock.js';
import { XfsVolume } from './volume.js';

const AGF_MAGIC = 0x58414746; // XAGF
/** allocation groups statfs reads the AGF of (mkfs makes at most a few thousand) */
const MAX_AGS = 1_000_000;
import { blockXattrs, shortformXattrs } from './xattr.js';

/** XFS_SYMLINK_MAXLEN */
const MAX_XFS_SYMLINK = Math.min(1024, MAX_SYMLINK_BYTES);
const XSLM_MAGIC = 0x58534c4d;

interface Dir {
  entries: FsDirEntry[];
  byName: Map<string, FsNode>;
}

function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

export class XfsReader implements FileSystemReader {
  readonly type = 'xfs';
  readonly caseInsensitive = false;
  private inodes = new Lru<number, Inode>(4096);
  // bounded by the extents and directory entries they hold as well as by count
  private extents = new Lru<number, Extent[]>(32, 1_000_000, (e) => e.length);
  private dirs = new Lru<number, Dir>(16, 1_000_000, (d) => d.entries.length);

  private constructor(
    private vol: XfsVolume,
    readonly device: string,
  ) {}

  static async open(source: ByteSource, device: string): Promise<XfsReader> {
    const fail = (code: 'EFORMAT' | 'EUNSUPPORTED', m: string) => new JootError(code, `${device}: xfs: ${m}`);
    if (source.size < 512) throw fail('EFORMAT', `the device (${source.size} bytes) is too small for a superblock`);
    const sb = parseSuperblock(await source.read(0, 512), fail);
    const r = new XfsReader(new XfsVolume(source, device, sb), device);
    const root = await r.inode(sb.rootino);
    if ((root.mode & S_IFMT) !== S_IFDIR) throw r.vol.error('EFORMAT', `root inode ${sb.rootino} is not a directory`);
    return r;
  }

  private async inode(ino: number): Promise<Inode> {
    let i = this.inodes.get(ino);
    if (!i) {
      i = await readInode(this.vol, ino);
      this.inodes.set(ino, i);
    }
    return i;
  }

  private async dataExtents(i: Inode): Promise<Extent[]> {
    let e = this.extents.get(i.ino);
    if (!e) {
      e = await forkExtents(this.vol, i.ino, i.dfork, i.dformat, i.dnextents, 'data');
      this.extents.set(i.ino, e);
    }
    return e;
  }

  private bad(ino: number, m: string): Error {
    return this.vol.error('EFORMAT', `inode ${ino}: ${m}`);
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw this.vol.error('EINVAL', 'xfs has no subvolumes');
    return { ino: this.vol.sb.rootino };
  }

  async stat(node: FsNode): Promise<FsStat> {
    const i = await this.inode(node.ino);
    const st: FsStat = {
      ino: i.ino,
      mode: i.mode,
      nlink: i.nlink,
      uid: i.uid,
      gid: i.gid,
      size: i.size,
      mtimeNs: i.mtimeNs,
      atimeNs: i.atimeNs,
      ctimeNs: i.ctimeNs,
      blocks: i.nblocks * (this.vol.sb.blocksize / 512),
    };
    if (i.crtimeNs !== undefined) st.birthtimeNs = i.crtimeNs;
    const t = i.mode & S_IFMT;
    if (t === 0o020000 || t === 0o060000) {
      // the old 32-bit Linux dev_t encoding (sysv: 14-bit major, 18-bit minor)
      st.rdevMajor = (i.rdev >>> 18) & 0x3fff;
      st.rdevMinor = i.rdev & 0x3ffff;
    }
    return st;
  }

  private async dir(node: FsNode): Promise<Dir> {
    const cached = this.dirs.get(node.ino);
    if (cached) return cached;
    const i = await this.inode(node.ino);
    if ((i.mode & S_IFMT) !== S_IFDIR) throw this.vol.error('EINVAL', `inode ${i.ino} is not a directory`);
    const bad = (m: string) => this.bad(i.ino, m);
    let raw: { name: Buffer; ino: number }[];
    if (i.dformat === FMT_LOCAL) raw = shortformEntries(i.dfork, i.size, this.vol.sb.ftype, bad);
    else if (i.dformat === FMT_EXTENTS || i.dformat === FMT_BTREE) raw = await blockDirEntries(this.vol, await this.dataExtents(i), bad);
    else throw bad(`directory in fork format ${i.dformat}`);
    const d: Dir = { entries: [], byName: new Map() };
    for (const r of raw) {
      const name = r.name.toString('utf8');
      if (!validName(name)) continue;
      const n = { ino: r.ino };
      d.entries.push({ name, node: n });
      d.byName.set(name, n);
    }
    this.dirs.set(node.ino, d);
    return d;
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return [...(await this.dir(dir)).entries];
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    return (await this.dir(dir)).byName.get(name);
  }

  async readlink(node: FsNode): Promise<string> {
    const i = await this.inode(node.ino);
    if ((i.mode & S_IFMT) !== S_IFLNK) throw this.vol.error('EINVAL', `inode ${i.ino} is not a symlink`);
    if (i.size === 0 || i.size > MAX_XFS_SYMLINK) throw this.bad(i.ino, `symlink of ${i.size} bytes`);
    if (i.dformat === FMT_LOCAL) {
      if (i.size > i.dfork.length) throw this.bad(i.ino, `local symlink of ${i.size} bytes does not fit the inode`);
      return i.dfork.subarray(0, i.size).toString('utf8');
    }
    if (i.dformat !== FMT_EXTENTS && i.dformat !== FMT_BTREE) throw this.bad(i.ino, `symlink in fork format ${i.dformat}`);
    const exts = await this.dataExtents(i);
    const { blocksize, crc } = this.vol.sb;
    if (!crc) return (await readMapped(this.vol, exts, 0, i.size)).toString('utf8');
    // v5: one header per mapped extent (the kernel reads each extent as one buffer)
    const parts: Buffer[] = [];
    let got = 0;
    for (const e of exts) {
      if (got >= i.size) break;
      const b = await readMapped(this.vol, exts, e.off * blocksize, e.len * blocksize);
      const off = b.readUInt32BE(4);
      const bytes = b.readUInt32BE(8);
      if (b.readUInt32BE(0) !== XSLM_MAGIC || off !== got || bytes === 0 || bytes > b.length - 56 || bytes > i.size - got) {
        throw this.bad(i.ino, `remote symlink block ${e.off} has a bad header`);
      }
      parts.push(b.subarray(56, 56 + bytes));
      got += bytes;
    }
    if (got !== i.size) throw this.bad(i.ino, `remote symlink holds ${got} of ${i.size} bytes`);
    return Buffer.concat(parts).toString('utf8');
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const i = await this.inode(node.ino);
    if ((i.mode & S_IFMT) !== S_IFREG) throw this.vol.error('EINVAL', `inode ${i.ino} is not a regular file`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw this.vol.error('EINVAL', `bad read range ${offset}+${length}`);
    }
    if (length > MAX_READ_BYTES) throw this.vol.error('EINVAL', `read of ${length} bytes (at most ${MAX_READ_BYTES} at a time)`);
    if (i.realtime) throw this.vol.error('EUNSUPPORTED', `inode ${i.ino}: realtime file data is not read`);
    const n = Math.max(0, Math.min(length, i.size - offset));
    if (n === 0) return Buffer.alloc(0);
    if (i.dformat !== FMT_EXTENTS && i.dformat !== FMT_BTREE) throw this.bad(i.ino, `regular file in fork format ${i.dformat}`);
    return readMapped(this.vol, await this.dataExtents(i), offset, n);
  }

  async listXattrs(node: FsNode): Promise<Map<string, Buffer>> {
    const i = await this.inode(node.ino);
    if (!i.afork) return new Map();
    const bad = (m: string) => this.bad(i.ino, `attributes: ${m}`);
    if (i.aformat === FMT_LOCAL) return shortformXattrs(i.afork, bad);
    if (i.aformat !== FMT_EXTENTS && i.aformat !== FMT_BTREE) throw bad(`fork format ${i.aformat}`);
    const exts = await forkExtents(this.vol, i.ino, i.afork, i.aformat, i.anextents, 'attribute');
    if (exts.length === 0) return new Map();
    return blockXattrs(this.vol, i.ino, exts, bad);
  }

  /**
   * From the superblock's counters, as written at the last clean unmount or log checkpoint, less
   * what the kernel keeps out of f_bfree: 8 blocks an allocation group (xfs_alloc_set_aside) and
   * the free-space btrees' blocks beyond their roots (m_allocbt_blks: agf_btreeblks, without the
   * rmap btree's). Inodes: what it could make from what is left.
   */
  async statfs(): Promise<FsStatfs> {
    const sb = this.vol.sb;
    const blocks = sb.dblocks - (sb.logstart !== 0 ? sb.logblocks : 0);
    let aside = sb.agcount * 8;
    if (sb.agcount > MAX_AGS) throw this.vol.error('EFORMAT', `${sb.agcount} allocation groups`);
    for (let ag = 0; ag < sb.agcount; ag++) {
      const agf = await this.vol.meta(ag * sb.agblocks * sb.blocksize + sb.sectsize, 84);
      if (agf.readUInt32BE(0) !== AGF_MAGIC) throw this.vol.error('EFORMAT', `allocation group ${ag} has no AGF`);
      const btree = agf.readUInt32BE(60) - (sb.rmapbt ? agf.readUInt32BE(80) - 1 : 0);
      if (btree > 0) aside += btree;
    }
    const bfree = Math.max(0, Math.min(sb.fdblocks, blocks) - aside);
    let files = sb.icount + bfree * 2 ** sb.inopblog;
    if (sb.imaxPct > 0) files = Math.min(files, Math.floor((sb.dblocks * sb.imaxPct) / 100) * 2 ** sb.inopblog);
    files = Math.max(files, sb.icount);
    return { bsize: sb.blocksize, blocks, bfree, bavail: bfree, files, ffree: Math.max(0, files - (sb.icount - sb.ifree)) };
  }

  async close(): Promise<void> {
    this.inodes.clear();
    this.extents.clear();
    this.dirs.clear();
    this.vol.close();
  }
}
