// The NTFS reader: inodes by MFT record number, shown as ntfs-3g shows them with its default
// options (no user mapping): uid and gid 0 (the mounting user: root), mode 0777 for every
// type, st_ino the MFT record number, directories with one link, system files (records below
// 16) hidden, DOS 8.3 names hidden, named data streams as user.* xattrs, junctions and
// symlink reparse points as symlinks into the volume, Interix files as symlinks, devices,
// FIFOs and sockets.
import type { ByteSource } from '../../source.js';
import { MAX_SYMLINK_BYTES, MAX_XATTR_BYTES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from '../types.js';
import { type Boot, parseBoot } from './boot.js';
import { readIndex } from './dir.js';
import { type Fail, failer } from './errors.js';
import {
  AT_ATTRIBUTE_LIST,
  attributeListRecords,
  buildInode,
  FILE_ATTR_HIDDEN,
  FILE_ATTR_REPARSE_POINT,
  FILE_ATTR_SYSTEM,
  findAttr,
  type Inode,
} from './inode.js';
import { Lru } from '../../lru.js';
import {
  AT_DATA,
  AT_REPARSE_POINT,
  AT_VOLUME_NAME,
  type Attr,
  applyFixups,
  MFT_DIRECTORY,
  MFT_IN_USE,
  type MftRecord,
  parseRecord,
} from './record.js';
import { INTX_BLK, INTX_CHR, INTX_SYMLINK, parseReparse } from './reparse.js';
import { readAttr, readDevice, type Volume } from './stream.js';

const FILE_ROOT = 5;
const FILE_BITMAP = 6;
const FILE_UPCASE = 10;
const AT_BITMAP = 0xb0;
/** set bits of each byte value */
const BITS_SET = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let x = v; x; x >>= 1) n += x & 1;
  return n;
});
/** records below this are NTFS's own metadata files: ntfs-3g hides them */
const FILE_FIRST_USER = 16;
/** reparse tags whose file data lives outside the unnamed stream: WOF (CompactOS), dedup */
const FOREIGN_DATA_TAGS = new Set([0x80000017, 0x80000013]);
/** 1601-01-01 to 1970-01-01 in 100 ns units */
const NTFS_EPOCH = 116444736000000000n;

interface Special {
  /** the reparse tag of a reparse point that is no symlink (its data is elsewhere) */
  foreignTag?: number;
  mode: number;
  size: number;
  target?: string;
  rdev?: [number, number];
}

interface Listing {
  entries: FsDirEntry[];
  exact: Map<string, FsDirEntry>;
  folded?: Map<string, FsDirEntry>;
}

/** ntfs-3g's time conversion: seconds truncated toward zero, nanoseconds zeroed when negative. */
function unixNs(t: bigint): bigint {
  const d = t - NTFS_EPOCH;
  const sec = d / 10000000n;
  let nsec = (d - sec * 10000000n) * 100n;
  if (nsec < 0n || nsec > 999999999n) nsec = 0n;
  return sec * 1000000000n + nsec;
}

function validName(n: string): boolean {
  return n !== '' && n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0');
}

export class NtfsReader implements FileSystemReader {
  readonly type = 'ntfs';
  readonly caseInsensitive = true;
  private readonly records = new Lru<number, MftRecord>(2048);
  private readonly inodes = new Lru<number, Inode>(2048);
  private readonly listings = new Lru<number, Listing>(16);
  private readonly specials = new Lru<number, Special>(4096);
  private upcase?: Uint16Array;
  /** the volume label ($Volume's $VOLUME_NAME), '' when none */
  label = '';

  private constructor(
    private readonly vol: Volume,
    readonly device: string,
    private mft: Attr,
  ) {}

  static async open(src: ByteSource, device: string): Promise<NtfsReader> {
    const fail = failer(device);
    if (src.size < 512) throw fail('EFORMAT', 'device smaller than a boot sector');
    const boot: Boot = parseBoot(await src.read(0, 512), src.size, fail);
    const vol: Volume = { src, boot, fail, units: new Lru(64) };
    const rec0 = Buffer.from(await readDevice(vol, boot.mftLcn * boot.clusterSize, boot.recordSize));
    applyFixups(rec0, 'FILE', 'MFT record 0', fail);
    const base = parseRecord(rec0, 0, fail);
    let mft = base.attrs.find((a) => a.type === AT_DATA && a.name === '' && a.runs && a.lowestVcn === 0);
    if (!mft) throw fail('EFORMAT', '$MFT has no non-resident $DATA');
    const r = new NtfsReader(vol, device, mft);
    r.records.set(0, base);
    if (base.attrs.some((a) => a.type === AT_ATTRIBUTE_LIST)) {
      // a fragmented $MFT: its other runs live in extension records, read through the first piece
      r.inodes.set(0, await r.assemble(base));
      mft = findAttr(r.inodes.get(0)!, AT_DATA);
      if (!mft?.runs) throw fail('EFORMAT', '$MFT has no non-resident $DATA');
      r.mft = mft;
    }
    const v = findAttr(await r.inode(3), AT_VOLUME_NAME);
    if (v?.value) r.label = v.value.toString('utf16le');
    const root = await r.inode(FILE_ROOT);
    if (!(root.flags & MFT_DIRECTORY)) throw fail('EFORMAT', 'the root (MFT record 5) is not a directory');
    return r;
  }

  private get fail(): Fail {
    return this.vol.fail;
  }

  private async record(n: number): Promise<MftRecord> {
    const hit = this.records.get(n);
    if (hit) return hit;
    const size = this.vol.boot.recordSize;
    if (!Number.isSafeInteger(n) || n < 0 || (n + 1) * size > this.mft.dataSize)
      throw this.fail('EFORMAT', `MFT record ${n} is past the end of $MFT`);
    const b = await readAttr(this.vol, this.mft, '0:mft', n * size, size, '$MFT');
    applyFixups(b, 'FILE', `MFT record ${n}`, this.fail);
    const rec = parseRecord(b, n, this.fail);
    this.records.set(n, rec);
    return rec;
  }

  /** A base record with the attributes of its extension records. */
  private async assemble(base: MftRecord): Promise<Inode> {
    const what = `MFT record ${base.recordNo}`;
    let attrs = base.attrs;
    const list = base.attrs.find((a) => a.type === AT_ATTRIBUTE_LIST);
    if (list) {
      if (list.dataSize > 16 * 1024 * 1024) throw this.fail('EFORMAT', `${what}: attribute list of ${list.dataSize} bytes`);
      const lb = await readAttr(this.vol, list, `${base.recordNo}:al`, 0, list.dataSize, what);
      attrs = [...base.attrs.filter((a) => a.type !== AT_ATTRIBUTE_LIST)];
      for (const n of attributeListRecords(lb, this.fail, what)) {
        if (n === base.recordNo) continue;
        const ext = await this.record(n);
        if (ext.baseRecord !== base.recordNo || !(ext.flags & MFT_IN_USE))
          throw this.fail('EFORMAT', `${what}: extension record ${n} belongs to record ${ext.baseRecord}`);
        attrs.push(...ext.attrs);
      }
    }
    return buildInode(base, attrs, this.fail);
  }

  private async inode(n: number): Promise<Inode> {
    const hit = this.inodes.get(n);
    if (hit) return hit;
    const rec = await this.record(n);
    if (!(rec.flags & MFT_IN_USE)) throw this.fail('EFORMAT', `MFT record ${n} is not in use`);
    if (rec.baseRecord !== 0) throw this.fail('EFORMAT', `MFT record ${n} is an extension record, not a file`);
    const ino = await this.assemble(rec);
    this.inodes.set(n, ino);
    return ino;
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw this.fail('EINVAL', 'NTFS has no subvolumes');
    return { ino: FILE_ROOT };
  }

  private isDir(i: Inode): boolean {
    return (i.flags & MFT_DIRECTORY) !== 0;
  }

  /** Type, size and target as ntfs-3g shows them (cached: a walk stats and readlinks each node). */
  private async special(i: Inode): Promise<Special> {
    const hit = this.specials.get(i.ino);
    if (hit) return hit;
    const s = await this.computeSpecial(i);
    this.specials.set(i.ino, s);
    return s;
  }

  private async computeSpecial(i: Inode): Promise<Special> {
    const fa = i.std?.fileAttributes ?? 0;
    const dir = this.isDir(i);
    let foreignTag: number | undefined;
    if (fa & FILE_ATTR_REPARSE_POINT) {
      const rp = findAttr(i, AT_REPARSE_POINT);
      if (rp && rp.dataSize <= 16 * 1024) {
        const b = await readAttr(this.vol, rp, `${i.ino}:rp`, 0, rp.dataSize, `MFT record ${i.ino}`);
        const target = await this.reparseTarget(i, b);
        if (target !== undefined) return { mode: S_IFLNK | 0o777, size: Buffer.byteLength(target), target };
        if (b.length >= 4 && FOREIGN_DATA_TAGS.has(b.readUInt32LE(0))) foreignTag = b.readUInt32LE(0);
      }
    }
    const s = await this.plainSpecial(i, fa, dir);
    return foreignTag === undefined ? s : { ...s, foreignTag };
  }

  private async plainSpecial(i: Inode, fa: number, dir: boolean): Promise<Special> {
    const data = findAttr(i, AT_DATA);
    if (dir) {
      const ia = i.attrs.find((a) => a.type === 0xa0 && a.name === '$I30');
      return { mode: S_IFDIR | 0o777, size: ia?.dataSize ?? 0 };
    }
    const size = data?.dataSize ?? 0;
    if (fa & FILE_ATTR_SYSTEM && data) {
      let mode = S_IFREG;
      if (!(fa & FILE_ATTR_HIDDEN)) {
        if (size === 0) mode = S_IFIFO;
        if (size === 1) mode = S_IFSOCK;
      }
      if (size > 8 && size <= 8 + 2 * 4096) {
        const b = await readAttr(this.vol, data, `${i.ino}:`, 0, size, `MFT record ${i.ino}`);
        const magic = b.subarray(0, 8);
        if (magic.equals(INTX_BLK) && size === 24)
          return { mode: S_IFBLK | 0o777, size, rdev: [Number(b.readBigUInt64LE(8)), Number(b.readBigUInt64LE(16))] };
        if (magic.equals(INTX_CHR) && size === 24)
          return { mode: S_IFCHR | 0o777, size, rdev: [Number(b.readBigUInt64LE(8)), Number(b.readBigUInt64LE(16))] };
        if (magic.equals(INTX_SYMLINK)) {
          const target = b.toString('utf16le', 8, 8 + ((size - 8) & ~1)).replace(/\0.*$/s, '');
          return { mode: S_IFLNK | 0o777, size: Buffer.byteLength(target), target };
        }
      }
      return { mode: mode | 0o777, size };
    }
    return { mode: S_IFREG | 0o777, size };
  }

  /** A reparse point's target as ntfs-3g shows it (volume paths resolved to their real case). */
  private async reparseTarget(i: Inode, b: Buffer): Promise<string | undefined> {
    const t = parseReparse(b, this.isDir(i));
    if (!t) return undefined;
    if (t.kind === 'absolute') {
      const found = t.path && t.path !== '\0' ? await this.resolveOnVolume(FILE_ROOT, t.path.split('\\')) : undefined;
      if (found !== undefined) return `/${found}`;
      return t.fallback ? `/.NTFS-3G/${t.fallback}` : undefined;
    }
    const parent = i.names.find((n) => n.nameType !== 2)?.parent ?? FILE_ROOT;
    return this.resolveRelative(parent, t.path.split('\\'));
  }

  /** Real-case names of a `\`-separated path from `dir`, case-insensitively; undefined when absent. */
  private async resolveOnVolume(dir: number, parts: string[]): Promise<string | undefined> {
    const out: string[] = [];
    let cur = dir;
    for (const p of parts) {
      if (p === '') continue;
      const e = await this.lookupEntry({ ino: cur }, p, true).catch(() => undefined);
      if (!e) return undefined;
      out.push(e.name);
      cur = e.node.ino;
    }
    return out.join('/');
  }

  private async resolveRelative(dir: number, parts: string[]): Promise<string | undefined> {
    const out: string[] = [];
    let cur = dir;
    for (const p of parts) {
      if (p === '' || p === '.') continue;
      if (p === '..') {
        const d = await this.inode(cur);
        cur = d.names.find((n) => n.nameType !== 2)?.parent ?? FILE_ROOT;
        out.push('..');
        continue;
      }
      const e = await this.lookupEntry({ ino: cur }, p, true).catch(() => undefined);
      if (!e) return undefined;
      out.push(e.name);
      cur = e.node.ino;
    }
    const s = out.join('/');
    return s.length > MAX_SYMLINK_BYTES ? undefined : s;
  }

  async stat(node: FsNode): Promise<FsStat> {
    const i = await this.inode(node.ino);
    const s = await this.special(i);
    const std = i.std;
    if (!std) throw this.fail('EFORMAT', `MFT record ${i.ino} has no $STANDARD_INFORMATION`);
    const st: FsStat = {
      ino: i.ino,
      mode: s.mode,
      nlink: this.isDir(i) ? 1 : i.linkCount,
      uid: 0,
      gid: 0,
      size: s.size,
      mtimeNs: unixNs(std.modified),
      atimeNs: unixNs(std.accessed),
      ctimeNs: unixNs(std.mftChanged),
      birthtimeNs: unixNs(std.created),
    };
    if (s.rdev) [st.rdevMajor, st.rdevMinor] = s.rdev;
    return st;
  }

  /**
   * A directory's entries. `resolving`: for a reparse target's own lookups, which read the index
   * of a junction too (as ntfs-3g does) and so never ask for another target (no recursion).
   */
  private async listing(dir: FsNode, resolving = false): Promise<Listing> {
    const i = await this.inode(dir.ino);
    if (!this.isDir(i) || (!resolving && (await this.special(i)).target !== undefined))
      throw this.fail('EINVAL', `MFT record ${dir.ino} is not a directory (ENOTDIR)`);
    const hit = this.listings.get(dir.ino);
    if (hit) return hit;
    const entries: FsDirEntry[] = [];
    for (const e of await readIndex(this.vol, i)) {
      // DOS 8.3 names are aliases of a Win32 name listed too; records below 16 are metadata
      if (e.nameType === 2 || e.ino < FILE_FIRST_USER || !validName(e.name)) continue;
      entries.push({ name: e.name, node: { ino: e.ino } });
    }
    const exact = new Map<string, FsDirEntry>();
    for (const e of entries) if (!exact.has(e.name)) exact.set(e.name, e);
    const l: Listing = { entries, exact };
    this.listings.set(dir.ino, l);
    return l;
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return [...(await this.listing(dir)).entries];
  }

  /** $UpCase: the volume's own upper-case table for case-insensitive names. */
  private async upcaseTable(): Promise<Uint16Array> {
    if (this.upcase) return this.upcase;
    const table = new Uint16Array(65536);
    for (let c = 0; c < 65536; c++) table[c] = c;
    try {
      const data = findAttr(await this.inode(FILE_UPCASE), AT_DATA);
      if (data) {
        const b = await readAttr(this.vol, data, `${FILE_UPCASE}:`, 0, Math.min(data.dataSize, 131072), '$UpCase');
        for (let c = 0; c * 2 + 1 < b.length; c++) table[c] = b.readUInt16LE(c * 2);
      }
    } catch {
      // without a readable $UpCase, names still match exactly
    }
    this.upcase = table;
    return table;
  }

  private async fold(s: string): Promise<string> {
    const t = await this.upcaseTable();
    let out = '';
    for (let k = 0; k < s.length; k++) out += String.fromCharCode(t[s.charCodeAt(k)]!);
    return out;
  }

  private async lookupEntry(dir: FsNode, name: string, resolving = false): Promise<FsDirEntry | undefined> {
    const l = await this.listing(dir, resolving);
    const e = l.exact.get(name);
    if (e) return e;
    if (!l.folded) {
      const folded = new Map<string, FsDirEntry>();
      for (const x of l.entries) {
        const k = await this.fold(x.name);
        if (!folded.has(k)) folded.set(k, x);
      }
      l.folded = folded;
    }
    return l.folded.get(await this.fold(name));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    return (await this.lookupEntry(dir, name))?.node;
  }

  async readlink(node: FsNode): Promise<string> {
    const s = await this.special(await this.inode(node.ino));
    if (s.target === undefined) throw this.fail('EINVAL', `MFT record ${node.ino} is not a symlink`);
    return s.target;
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const i = await this.inode(node.ino);
    if (this.isDir(i)) throw this.fail('EINVAL', `MFT record ${i.ino} is a directory`);
    const tag = (await this.special(i)).foreignTag;
    if (tag !== undefined)
      throw this.fail('EUNSUPPORTED', `MFT record ${i.ino}: contents behind reparse tag 0x${tag.toString(16)} (WOF or dedup) are not read`);
    const data = findAttr(i, AT_DATA);
    if (!data) return Buffer.alloc(0);
    return readAttr(this.vol, data, `${i.ino}:`, offset, length, `MFT record ${i.ino}`);
  }

  async listXattrs(node: FsNode): Promise<Map<string, Buffer>> {
    const i = await this.inode(node.ino);
    const out = new Map<string, Buffer>();
    let total = 0;
    for (const a of i.attrs) {
      if (a.type !== AT_DATA || a.name === '') continue;
      total += a.dataSize;
      if (total > MAX_XATTR_BYTES)
        throw this.fail('EUNSUPPORTED', `MFT record ${i.ino}: named streams larger than ${MAX_XATTR_BYTES} bytes in all`);
      out.set(`user.${a.name}`, await readAttr(this.vol, a, `${i.ino}:${a.name}`, 0, a.dataSize, `MFT record ${i.ino} stream ${a.name}`));
    }
    return out;
  }

  /** Clear bits of a bitmap attribute (free clusters, free MFT records), read 1 MiB at a time. */
  private async zeroBits(attr: Attr, key: string, what: string): Promise<number> {
    let zeros = 0;
    for (let off = 0; off < attr.dataSize; off += 1 << 20) {
      const b = await readAttr(this.vol, attr, key, off, Math.min(1 << 20, attr.dataSize - off), what);
      for (const byte of b) zeros += 8 - BITS_SET[byte]!;
    }
    return zeros;
  }

  /** statfs as ntfs-3g computes it: free clusters from $Bitmap, inodes from $MFT's bitmap plus what free space could hold. */
  async statfs(): Promise<FsStatfs> {
    const b = this.vol.boot;
    const spc = b.clusterSize / b.sectorSize;
    const blocks = Math.floor(b.totalSectors / spc);
    const lcnBitmap = findAttr(await this.inode(FILE_BITMAP), AT_DATA);
    if (!lcnBitmap) throw this.fail('EFORMAT', '$Bitmap has no data');
    const bfree = Math.min(blocks, await this.zeroBits(lcnBitmap, `${FILE_BITMAP}:`, '$Bitmap'));
    const mftBitmap = findAttr(await this.inode(0), AT_BITMAP);
    if (!mftBitmap) throw this.fail('EFORMAT', '$MFT has no $BITMAP');
    const freeRecords = (await this.zeroBits(mftBitmap, '0:bitmap', '$MFT bitmap')) + (mftBitmap.allocatedSize - mftBitmap.dataSize) * 8;
    const inFreeSpace = Math.floor((bfree * b.clusterSize) / b.recordSize);
    return {
      bsize: b.clusterSize,
      blocks,
      bfree,
      bavail: bfree,
      files: mftBitmap.allocatedSize * 8 + inFreeSpace,
      ffree: inFreeSpace + freeRecords,
    };
  }

  async close(): Promise<void> {
    this.records.clear();
    this.inodes.clear();
    this.listings.clear();
    this.specials.clear();
    this.vol.units.clear();
  }
}
