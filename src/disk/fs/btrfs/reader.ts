// The btrfs reader: subvolumes (fs trees) found through the root tree, inodes, directories
// (readdir from DIR_INDEX, lookup through the DIR_ITEM name hash), file extents (inline, regular,
// prealloc, holes, compressed), symlinks and xattrs. A directory entry naming a subvolume shows
// that subvolume's root directory, or the kernel's empty stub (ino 2) when the subvolume is not
// linked there (a snapshot of a directory that held a nested subvolume). The log tree is not
// replayed (as `rescue=nologreplay`). A filesystem over several devices is read through all of
// them that the session has (devices.ts), each address from a copy that is there and good.
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import { MAX_DIR_ENTRIES, MAX_FILE_EXTENTS, MAX_READ_BYTES, MAX_SYMLINK_BYTES, MAX_XATTR_BYTES, MAX_COMPRESSION_RATIO } from '../limits.js';
import {
  type FileSystemReader,
  type FsDirEntry,
  type FsNode,
  type FsStat,
  type FsStatfs,
  type FsSubvolume,
  type OpenOptions,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from '../types.js';
import { ChunkMap } from './chunks.js';
import { DataCsums } from './data-csums.js';
import { BtrfsDevices, type PresentCopy } from './devices.js';
import { nameHash } from './name-hash.js';
import { decompress } from './decompress.js';
import {
  CHUNK_ITEM,
  DIR_INDEX,
  DIR_ITEM,
  EMPTY_SUBVOL_DIR_OBJECTID,
  EXTENT_DATA,
  FIRST_CHUNK_TREE_OBJECTID,
  FIRST_FREE_OBJECTID,
  FS_TREE_OBJECTID,
  INODE_EXTREF,
  INODE_ITEM,
  INODE_REF,
  type Key,
  LAST_FREE_OBJECTID,
  num,
  readKey,
  readTime,
  ROOT_BACKREF,
  ROOT_ITEM,
  ROOT_REF,
  ROOT_TREE_DIR_OBJECTID,
  uuidString,
  XATTR_ITEM,
} from './format.js';
import { btrfsStatfs } from './statfs.js';
import type { Superblock } from './superblock.js';
import { type TreeRoot, Trees } from './tree.js';

const INODE_SIZE = 160;
const DIR_ITEM_HEADER = 30;
const EXTENT_INLINE_HEADER = 21;
const EXTENT_REGULAR_SIZE = 53;
/** the kernel never writes a compressed extent of more than 128 KiB; allow some room */
const MAX_COMPRESSED_RAM = 1024 * 1024;
const MAX_PATH_DEPTH = 4096;
const MAX_SUBVOLUMES = 1_000_000;
const CACHE_EXTENTS = 16;
const CACHE_INODES = 4096;

/** A node of this reader: the fs tree (subvolume) and the inode's objectid in it. */
class BtrfsNode implements FsNode {
  constructor(
    readonly tree: bigint,
    readonly obj: bigint,
    readonly ino: number,
    /** the kernel's stand-in for a subvolume not linked here: what it borrows from its parent */
    readonly stub?: { uid: number; gid: number; mtimeNs: bigint; atimeNs: bigint },
  ) {}
  /** inode numbers are per subvolume (a stub is its parent's inode 2, as in the kernel) */
  get space(): bigint {
    return this.tree;
  }
}

interface Inode {
  size: number;
  nbytes: number;
  nlink: number;
  uid: number;
  gid: number;
  mode: number;
  rdev: bigint;
  atimeNs: bigint;
  ctimeNs: bigint;
  mtimeNs: bigint;
  otimeNs: bigint;
}

interface Subvol extends TreeRoot {
  id: bigint;
  rootDirid: bigint;
  generation: bigint;
  uuid?: Buffer;
}

interface DirEntryRaw {
  location: Key;
  name: Buffer;
  data: Buffer;
}

/** The entries packed in one DIR_ITEM / DIR_INDEX / XATTR_ITEM item. */
function dirEntries(data: Buffer, fail: (m: string) => JootError): DirEntryRaw[] {
  const out: DirEntryRaw[] = [];
  let at = 0;
  while (at < data.length) {
    if (at + DIR_ITEM_HEADER > data.length) throw fail('directory item is truncated');
    const dataLen = data.readUInt16LE(at + 25);
    const nameLen = data.readUInt16LE(at + 27);
    const end = at + DIR_ITEM_HEADER + nameLen + dataLen;
    if (end > data.length) throw fail('directory item entry runs past its item');
    const nameAt = at + DIR_ITEM_HEADER;
    out.push({
      location: readKey(data, at),
      name: data.subarray(nameAt, nameAt + nameLen),
      data: data.subarray(nameAt + nameLen, end),
    });
    at = end;
  }
  return out;
}

function validName(b: Buffer): boolean {
  if (b.length === 0 || b.length > 255) return false;
  if (b.includes(0x2f) || b.includes(0)) return false;
  return !(b.length <= 2 && b.every((c) => c === 0x2e));
}

export class BtrfsReader implements FileSystemReader {
  readonly type = 'btrfs';
  readonly caseInsensitive = false;
  private trees: Trees;
  private rootTree: TreeRoot;
  private subvols = new Map<bigint, Subvol | null>();
  private inodes = new Lru<string, Inode>(CACHE_INODES);
  private extents = new Lru<string, Buffer>(CACHE_EXTENTS);
  private closed = false;
  private chunks!: ChunkMap;
  missingDevices: readonly string[] = [];
  private readonly csums: DataCsums;

  private constructor(
    private readonly devices: BtrfsDevices,
    readonly device: string,
    private readonly sb: Superblock,
    trees: Trees,
  ) {
    this.trees = trees;
    this.rootTree = { bytenr: sb.root, level: sb.rootLevel };
    this.csums = new DataCsums(trees, sb, this.rootTree, (code, m) => this.fail(code, m));
  }

  /**
   * Open the btrfs on `src`; `opts.siblings` finds its other devices where it spans several (a
   * device that is missing only matters when an address has no copy on the others).
   */
  static async open(src: ByteSource, device: string, opts: OpenOptions = {}): Promise<BtrfsReader> {
    const fail = (code: 'EFORMAT' | 'EIO' | 'EUNSUPPORTED', m: string) => new JootError(code, `${device}: btrfs: ${m}`);
    return guard(device, async () => {
      const devices = await BtrfsDevices.find(src, device, opts, fail);
      const sb = devices.sb;
      const chunks = new ChunkMap(fail);
      chunks.addSysArray(sb.sysChunkArray);
      const trees = new Trees(devices, sb, chunks, fail);
      const start: Key = { obj: FIRST_CHUNK_TREE_OBJECTID, type: CHUNK_ITEM, off: 0n };
      await trees.walk({ bytenr: sb.chunkRoot, level: sb.chunkRootLevel }, start, 'ge', (it) => {
        if (it.key.obj !== FIRST_CHUNK_TREE_OBJECTID || it.key.type !== CHUNK_ITEM) return it.key.obj < FIRST_CHUNK_TREE_OBJECTID;
        chunks.add(it.key, it.data, 0);
        return true;
      });
      const r = new BtrfsReader(devices, device, sb, trees);
      r.chunks = chunks;
      r.missingDevices = devices.missing(chunks.devices());
      // the top level must be there: everything else hangs off it
      await r.subvol(FS_TREE_OBJECTID);
      return r;
    });
  }

  private fail(code: 'EFORMAT' | 'EIO' | 'EUNSUPPORTED' | 'EINVAL' | 'ENOENT', m: string): JootError {
    return new JootError(code, `${this.device}: btrfs: ${m}`);
  }

  private bad = (m: string): JootError => this.fail('EFORMAT', m);

  private node(n: FsNode): BtrfsNode {
    if (this.closed) throw new JootError('ESTATE', `${this.device}: btrfs: closed`);
    if (!(n instanceof BtrfsNode)) throw new JootError('EINVAL', `${this.device}: btrfs: not a node of this filesystem`);
    return n;
  }

  // ---------------------------------------------------------------- subvolumes

  /** The fs tree of subvolume `id`, or undefined when the root tree has none. */
  private async subvol(id: bigint): Promise<Subvol> {
    const s = await this.findSubvol(id);
    if (!s) throw this.fail('ENOENT', `no subvolume ${id}`);
    return s;
  }

  private async findSubvol(id: bigint): Promise<Subvol | undefined> {
    const hit = this.subvols.get(id);
    if (hit !== undefined) return hit ?? undefined;
    let item: Buffer | undefined;
    await this.trees.walk(this.rootTree, { obj: id, type: ROOT_ITEM, off: 0n }, 'ge', (it) => {
      if (it.key.obj === id && it.key.type === ROOT_ITEM) item = Buffer.from(it.data);
      return false;
    });
    if (!item) {
      if (this.subvols.size < MAX_SUBVOLUMES) this.subvols.set(id, null);
      return undefined;
    }
    if (item.length < 239) throw this.bad(`root item of subvolume ${id} is truncated`);
    const s: Subvol = {
      id,
      generation: item.readBigUInt64LE(160),
      rootDirid: item.readBigUInt64LE(168),
      bytenr: num(item.readBigUInt64LE(176), this.bad, 'tree root address'),
      level: item[238]!,
      uuid: item.length >= 263 ? item.subarray(247, 263) : undefined,
    };
    if (s.level > 7) throw this.bad(`subvolume ${id} has a tree of level ${s.level}`);
    if (this.subvols.size < MAX_SUBVOLUMES) this.subvols.set(id, s);
    return s;
  }

  async subvolumes(): Promise<FsSubvolume[]> {
    return guard(this.device, async () => {
      const backrefs = new Map<bigint, { parent: bigint; dirid: bigint; name: Buffer }>();
      const ids: bigint[] = [];
      await this.trees.walk(this.rootTree, { obj: FIRST_FREE_OBJECTID, type: 0, off: 0n }, 'ge', (it) => {
        if (it.key.obj > LAST_FREE_OBJECTID) return false;
        if (it.key.type === ROOT_ITEM) {
          if (ids.length >= MAX_SUBVOLUMES) throw this.bad('too many subvolumes');
          ids.push(it.key.obj);
        } else if (it.key.type === ROOT_BACKREF && !backrefs.has(it.key.obj)) {
          const ref = this.rootRef(it.data);
          backrefs.set(it.key.obj, { parent: it.key.off, dirid: ref.dirid, name: Buffer.from(ref.name) });
        }
        return true;
      });
      const paths = new Map<bigint, string>([[FS_TREE_OBJECTID, '']]);
      const pathOf = async (id: bigint, depth: number): Promise<string | undefined> => {
        const known = paths.get(id);
        if (known !== undefined) return known;
        const ref = backrefs.get(id);
        if (!ref) return undefined;
        if (depth > MAX_PATH_DEPTH) throw this.bad(`subvolume ${id}: its parents loop`);
        const parentPath = await pathOf(ref.parent, depth + 1);
        if (parentPath === undefined) return undefined;
        const parent = await this.subvol(ref.parent);
        const dir = await this.dirPath(parent, ref.dirid);
        const p = [parentPath, dir, ref.name.toString('utf8')].filter((x) => x !== '').join('/');
        paths.set(id, p);
        return p;
      };
      const out: FsSubvolume[] = [];
      for (const id of ids) {
        const ref = backrefs.get(id);
        if (!ref) continue;
        const p = await pathOf(id, 0);
        if (p === undefined) continue;
        const s = await this.subvol(id);
        const v: FsSubvolume = {
          id: num(id, this.bad, 'subvolume id'),
          path: p,
          parentId: num(ref.parent, this.bad, 'subvolume id'),
          generation: num(s.generation, this.bad, 'generation'),
        };
        if (s.uuid?.some((c) => c !== 0)) v.uuid = uuidString(s.uuid);
        out.push(v);
      }
      return out;
    });
  }

  private rootRef(data: Buffer): { dirid: bigint; name: Buffer } {
    if (data.length < 18) throw this.bad('root ref is truncated');
    const len = data.readUInt16LE(16);
    if (18 + len > data.length) throw this.bad('root ref name runs past its item');
    return { dirid: data.readBigUInt64LE(0), name: data.subarray(18, 18 + len) };
  }

  /** The path of directory `dirid` inside subvolume `s` (from its root directory), through inode refs. */
  private async dirPath(s: Subvol, dirid: bigint): Promise<string> {
    const parts: string[] = [];
    let cur = dirid;
    const seen = new Set<bigint>();
    while (cur !== s.rootDirid) {
      if (seen.has(cur) || seen.size > MAX_PATH_DEPTH) throw this.bad(`subvolume ${s.id}: directory ${cur} has a looping parent chain`);
      seen.add(cur);
      let up: { parent: bigint; name: Buffer } | undefined;
      await this.trees.walk(s, { obj: cur, type: INODE_REF, off: 0n }, 'ge', (it) => {
        if (it.key.obj !== cur) return false;
        if (it.key.type === INODE_REF) {
          if (it.data.length < 10) throw this.bad('inode ref is truncated');
          const len = it.data.readUInt16LE(8);
          if (10 + len > it.data.length) throw this.bad('inode ref name runs past its item');
          up = { parent: it.key.off, name: Buffer.from(it.data.subarray(10, 10 + len)) };
        } else if (it.key.type === INODE_EXTREF) {
          if (it.data.length < 18) throw this.bad('inode extref is truncated');
          const len = it.data.readUInt16LE(16);
          if (18 + len > it.data.length) throw this.bad('inode extref name runs past its item');
          up = { parent: it.data.readBigUInt64LE(0), name: Buffer.from(it.data.subarray(18, 18 + len)) };
        } else return it.key.type < INODE_EXTREF;
        return false;
      });
      if (!up) throw this.bad(`subvolume ${s.id}: directory ${cur} has no parent reference`);
      parts.unshift(up.name.toString('utf8'));
      cur = up.parent;
    }
    return parts.join('/');
  }

  private async defaultSubvol(): Promise<bigint> {
    const name = Buffer.from('default');
    const it = await this.trees.get(this.rootTree, { obj: ROOT_TREE_DIR_OBJECTID, type: DIR_ITEM, off: nameHash(name) });
    if (!it) return FS_TREE_OBJECTID;
    const e = dirEntries(it.data, this.bad).find((d) => d.name.equals(name));
    return e ? e.location.obj : FS_TREE_OBJECTID;
  }

  async root(opts: { subvolume?: string | number } = {}): Promise<FsNode> {
    return guard(this.device, async () => {
      let id: bigint;
      const want = opts.subvolume;
      if (want === undefined) id = await this.defaultSubvol();
      else if (typeof want === 'number') {
        if (!Number.isSafeInteger(want) || want < 0) throw this.fail('ENOENT', `no subvolume ${want}`);
        id = BigInt(want);
      } else {
        const p = want.replace(/^\/+|\/+$/g, '');
        if (p === '') id = FS_TREE_OBJECTID;
        else {
          const v = (await this.subvolumes()).find((x) => x.path === p);
          if (!v) throw this.fail('ENOENT', `no subvolume at ${p}`);
          id = BigInt(v.id);
        }
      }
      if (id !== FS_TREE_OBJECTID && (id < FIRST_FREE_OBJECTID || id > LAST_FREE_OBJECTID)) throw this.fail('ENOENT', `no subvolume ${id}`);
      const s = await this.subvol(id);
      return new BtrfsNode(id, s.rootDirid, num(s.rootDirid, this.bad, 'inode number'));
    });
  }

  // ---------------------------------------------------------------- inodes

  private async inode(n: BtrfsNode): Promise<Inode> {
    const k = `${n.tree}:${n.obj}`;
    const hit = this.inodes.get(k);
    if (hit) return hit;
    const s = await this.subvol(n.tree);
    const it = await this.trees.get(s, { obj: n.obj, type: INODE_ITEM, off: 0n });
    if (!it) throw this.bad(`subvolume ${n.tree}: inode ${n.obj} has no inode item`);
    const b = it.data;
    if (b.length < INODE_SIZE) throw this.bad(`subvolume ${n.tree}: inode ${n.obj} is truncated`);
    const ino: Inode = {
      size: num(b.readBigUInt64LE(16), this.bad, 'file size'),
      nbytes: num(b.readBigUInt64LE(24), this.bad, 'allocated bytes'),
      nlink: b.readUInt32LE(40),
      uid: b.readUInt32LE(44),
      gid: b.readUInt32LE(48),
      mode: b.readUInt32LE(52),
      rdev: b.readBigUInt64LE(56),
      atimeNs: readTime(b, 112),
      ctimeNs: readTime(b, 124),
      mtimeNs: readTime(b, 136),
      otimeNs: readTime(b, 148),
    };
    this.inodes.set(k, ino);
    return ino;
  }

  async stat(node: FsNode): Promise<FsStat> {
    const n = this.node(node);
    return guard(this.device, async () => {
      if (n.stub) {
        const { uid, gid, mtimeNs, atimeNs } = n.stub;
        return {
          ino: EMPTY_SUBVOL_DIR_OBJECTID,
          mode: S_IFDIR | 0o755,
          nlink: 1,
          uid,
          gid,
          size: 0,
          mtimeNs,
          atimeNs,
          ctimeNs: mtimeNs,
          blocks: 0,
        };
      }
      const i = await this.inode(n);
      const st: FsStat = {
        ino: n.ino,
        mode: i.mode,
        nlink: i.nlink,
        uid: i.uid,
        gid: i.gid,
        size: i.size,
        mtimeNs: i.mtimeNs,
        atimeNs: i.atimeNs,
        ctimeNs: i.ctimeNs,
        birthtimeNs: i.otimeNs,
        blocks: Math.ceil(i.nbytes / this.sb.sectorSize) * (this.sb.sectorSize / 512),
      };
      const t = i.mode & S_IFMT;
      if (t === S_IFCHR || t === S_IFBLK) {
        // the kernel keeps its dev_t: major above bit 20, minor below
        st.rdevMajor = Number((i.rdev >> 20n) & 0xfffn);
        st.rdevMinor = Number(i.rdev & 0xfffffn);
      }
      return st;
    });
  }

  // ---------------------------------------------------------------- directories

  private async isDir(n: BtrfsNode): Promise<boolean> {
    return n.stub !== undefined || ((await this.inode(n)).mode & S_IFMT) === S_IFDIR;
  }

  /** The node a directory entry leads to (a subvolume entry: its root, or the kernel's stub). */
  private async entryNode(dir: BtrfsNode, e: DirEntryRaw): Promise<BtrfsNode | undefined> {
    if (e.location.type === INODE_ITEM) {
      if (e.location.obj < FIRST_FREE_OBJECTID || e.location.obj > LAST_FREE_OBJECTID) return undefined;
      return new BtrfsNode(dir.tree, e.location.obj, num(e.location.obj, this.bad, 'inode number'));
    }
    if (e.location.type !== ROOT_ITEM) return undefined;
    const id = e.location.obj;
    let linked = false;
    const ref = await this.trees.get(this.rootTree, { obj: dir.tree, type: ROOT_REF, off: id });
    if (ref) {
      const r = this.rootRef(ref.data);
      linked = r.dirid === dir.obj && r.name.equals(e.name);
    }
    const s = linked ? await this.findSubvol(id) : undefined;
    if (!s) {
      const parent = await this.inode(dir);
      return new BtrfsNode(dir.tree, BigInt(EMPTY_SUBVOL_DIR_OBJECTID), EMPTY_SUBVOL_DIR_OBJECTID, {
        uid: parent.uid,
        gid: parent.gid,
        mtimeNs: parent.mtimeNs,
        atimeNs: parent.atimeNs,
      });
    }
    return new BtrfsNode(id, s.rootDirid, num(s.rootDirid, this.bad, 'inode number'));
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    const n = this.node(dir);
    return guard(this.device, async () => {
      if (!(await this.isDir(n))) throw this.fail('EINVAL', `inode ${n.obj}: not a directory`);
      if (n.stub) return [];
      const s = await this.subvol(n.tree);
      const raw: DirEntryRaw[] = [];
      await this.trees.walk(s, { obj: n.obj, type: DIR_INDEX, off: 0n }, 'ge', (it) => {
        if (it.key.obj !== n.obj || it.key.type !== DIR_INDEX) return false;
        if (raw.length >= MAX_DIR_ENTRIES) throw this.bad(`directory ${n.obj} has more than ${MAX_DIR_ENTRIES} entries`);
        const [e] = dirEntries(it.data, this.bad);
        if (e && validName(e.name)) raw.push({ location: e.location, name: Buffer.from(e.name), data: e.data });
        return true;
      });
      const out: FsDirEntry[] = [];
      for (const e of raw) {
        const node = await this.entryNode(n, e);
        if (node) out.push({ name: e.name.toString('utf8'), node });
      }
      return out;
    });
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    const n = this.node(dir);
    return guard(this.device, async () => {
      if (!(await this.isDir(n))) throw this.fail('EINVAL', `inode ${n.obj}: not a directory`);
      const b = Buffer.from(name, 'utf8');
      if (n.stub || !validName(b)) return undefined;
      const s = await this.subvol(n.tree);
      const it = await this.trees.get(s, { obj: n.obj, type: DIR_ITEM, off: nameHash(b) });
      if (!it) return undefined;
      const e = dirEntries(it.data, this.bad).find((d) => d.name.equals(b));
      return e ? this.entryNode(n, e) : undefined;
    });
  }

  // ---------------------------------------------------------------- file data

  async readlink(node: FsNode): Promise<string> {
    const n = this.node(node);
    return guard(this.device, async () => {
      const i = n.stub ? undefined : await this.inode(n);
      if (!i || (i.mode & S_IFMT) !== S_IFLNK) throw this.fail('EINVAL', `inode ${n.obj} is not a symlink`);
      if (i.size > MAX_SYMLINK_BYTES) throw this.bad(`symlink ${n.obj} claims ${i.size} bytes`);
      return (await this.readData(n, i, 0, i.size)).toString('utf8');
    });
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = this.node(node);
    return guard(this.device, async () => {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        throw this.fail('EINVAL', `read of ${length} bytes at ${offset}`);
      }
      if (length > MAX_READ_BYTES) throw this.fail('EINVAL', `read of ${length} bytes is over the ${MAX_READ_BYTES}-byte cap`);
      const i = n.stub ? undefined : await this.inode(n);
      if (!i || (i.mode & S_IFMT) === S_IFDIR) throw this.fail('EINVAL', `inode ${n.obj}: is a directory`);
      if ((i.mode & S_IFMT) !== S_IFREG) throw this.fail('EINVAL', `inode ${n.obj} is not a regular file`);
      return this.readData(n, i, offset, length);
    });
  }

  private async readData(n: BtrfsNode, i: Inode, offset: number, length: number): Promise<Buffer> {
    const end = Math.min(i.size, offset + length);
    if (end <= offset) return Buffer.alloc(0);
    const out = Buffer.alloc(end - offset);
    const s = await this.subvol(n.tree);
    let count = 0;
    const jobs: { item: Buffer; fileOff: number }[] = [];
    await this.trees.walk(s, { obj: n.obj, type: EXTENT_DATA, off: BigInt(offset) }, 'le', (it) => {
      if (it.key.obj !== n.obj || it.key.type !== EXTENT_DATA)
        return it.key.obj < n.obj || (it.key.obj === n.obj && it.key.type < EXTENT_DATA);
      const fileOff = num(it.key.off, this.bad, 'extent offset');
      if (fileOff >= end) return false;
      if (++count > MAX_FILE_EXTENTS) throw this.bad(`inode ${n.obj} has more than ${MAX_FILE_EXTENTS} extents`);
      jobs.push({ item: Buffer.from(it.data), fileOff });
      return true;
    });
    // extents fill disjoint parts of `out`: read them together (a file of 4 KiB extents is many small reads)
    await Promise.all(jobs.map((j) => this.extent(n, j.item, j.fileOff, offset, out)));
    return out;
  }

  /** Copy what extent item `b` (at file offset `fileOff`) holds of the range out covers from `offset`. */
  private async extent(n: BtrfsNode, b: Buffer, fileOff: number, offset: number, out: Buffer): Promise<void> {
    const where = `inode ${n.obj} extent at ${fileOff}`;
    if (b.length < EXTENT_INLINE_HEADER) throw this.bad(`${where} is truncated`);
    const ramBytes = num(b.readBigUInt64LE(8), this.bad, 'extent size');
    const compression = b[16]!;
    if (b[17] !== 0 || b.readUInt16LE(18) !== 0) throw this.fail('EUNSUPPORTED', `${where} is encrypted or encoded`);
    if (compression > 3) throw this.fail('EUNSUPPORTED', `${where} uses compression type ${compression}`);
    const type = b[20]!;
    if (type === 0) {
      const stored = b.subarray(EXTENT_INLINE_HEADER);
      let data: Buffer = stored;
      if (compression !== 0) {
        if (ramBytes > Math.min(this.sb.sectorSize * 16, stored.length * MAX_COMPRESSION_RATIO))
          throw this.bad(`${where} claims ${ramBytes} bytes`);
        const d = await decompress(compression, stored, ramBytes, this.sb.sectorSize);
        if (!d) throw this.bad(`${where}: compressed data does not decode`);
        data = d;
      }
      this.copy(data, fileOff, offset, out);
      return;
    }
    if (type !== 1 && type !== 2) throw this.bad(`${where} has type ${type}`);
    if (b.length < EXTENT_REGULAR_SIZE) throw this.bad(`${where} is truncated`);
    const f = this.bad;
    const diskBytenr = num(b.readBigUInt64LE(21), f, 'extent address');
    const diskBytes = num(b.readBigUInt64LE(29), f, 'extent length');
    const extOff = num(b.readBigUInt64LE(37), f, 'extent offset');
    const numBytes = num(b.readBigUInt64LE(45), f, 'extent length');
    const from = Math.max(fileOff, offset);
    const to = Math.min(fileOff + numBytes, offset + out.length);
    if (to <= from || type === 2 || diskBytenr === 0) return; // outside, preallocated or a hole: zeros
    if (compression === 0) {
      await this.readLogical(diskBytenr + extOff + (from - fileOff), to - from, out, from - offset);
      return;
    }
    if (ramBytes > MAX_COMPRESSED_RAM || diskBytes > MAX_COMPRESSED_RAM || ramBytes > diskBytes * MAX_COMPRESSION_RATIO) {
      throw this.bad(`${where}: a compressed extent of ${diskBytes} bytes claims ${ramBytes}`);
    }
    if (extOff + numBytes > ramBytes) throw this.bad(`${where} runs past its compressed data`);
    const key = `${diskBytenr}:${diskBytes}:${compression}:${ramBytes}`;
    let data = this.extents.get(key);
    if (!data) {
      const raw = Buffer.alloc(diskBytes);
      await this.readLogical(diskBytenr, diskBytes, raw, 0);
      data = await decompress(compression, raw, ramBytes, this.sb.sectorSize);
      if (!data) throw this.bad(`${where}: compressed data does not decode`);
      this.extents.set(key, data);
    }
    data.copy(out, from - offset, extOff + (from - fileOff), extOff + (to - fileOff));
  }

  private copy(data: Buffer, fileOff: number, offset: number, out: Buffer): void {
    const from = Math.max(fileOff, offset);
    const to = Math.min(fileOff + data.length, offset + out.length);
    if (to > from) data.copy(out, from - offset, from - fileOff, to - fileOff);
  }

  /**
   * Read `length` bytes at logical address `logical` into `out` at `at`, stripe by stripe. Where
   * the chunk keeps more than one copy (DUP, RAID1/1C3/1C4/10), the sectors read are checked
   * against the checksum tree and a copy that fails (or cannot be read) gives way to the next;
   * single and RAID0 data, with nothing to fall back on, is read as it is.
   */
  private async readLogical(logical: number, length: number, out: Buffer, at: number): Promise<void> {
    while (length > 0) {
      const m = this.trees.chunks.map(logical);
      const n = Math.min(length, m.contiguous);
      const copies = this.devices.present(logical, m.copies);
      if (m.copies.length > 1) await this.readChecked(logical, n, copies, out, at);
      else (await this.devices.read(copies[0]!, n)).copy(out, at);
      logical += n;
      at += n;
      length -= n;
    }
  }

  /** `n` bytes at `logical` (inside one stripe) from the first of `copies` whose sectors pass their checksums. */
  private async readChecked(logical: number, n: number, copies: PresentCopy[], out: Buffer, at: number): Promise<void> {
    // whole sectors: a stripe and a chunk end on a sector boundary, so they stay inside it
    const ss = this.sb.sectorSize;
    const from = logical - (logical % ss);
    const to = Math.ceil((logical + n) / ss) * ss;
    let problem = '';
    for (const c of copies) {
      const copy = { member: c.member, offset: c.offset - (logical - from) };
      let data: Buffer;
      try {
        data = await this.devices.read(copy, to - from);
      } catch (e) {
        if (!(e instanceof JootError && e.code === 'EIO')) throw e;
        problem = e.message;
        continue;
      }
      const bad = await this.csums.bad(from, data);
      if (bad.length > 0) {
        problem = `data at logical ${bad[0]} fails its checksum on every copy`;
        continue;
      }
      data.copy(out, at, logical - from, logical - from + n);
      return;
    }
    throw problem.startsWith(`${this.device}: `) ? new JootError('EIO', problem) : this.fail('EIO', problem);
  }

  // ---------------------------------------------------------------- xattrs

  async listXattrs(node: FsNode): Promise<Map<string, Buffer>> {
    const n = this.node(node);
    return guard(this.device, async () => {
      const out = new Map<string, Buffer>();
      if (n.stub) return out;
      const s = await this.subvol(n.tree);
      let total = 0;
      await this.trees.walk(s, { obj: n.obj, type: XATTR_ITEM, off: 0n }, 'ge', (it) => {
        if (it.key.obj !== n.obj || it.key.type !== XATTR_ITEM) return false;
        for (const e of dirEntries(it.data, this.bad)) {
          total += e.name.length + e.data.length;
          if (total > MAX_XATTR_BYTES) throw this.bad(`inode ${n.obj} has more than ${MAX_XATTR_BYTES} bytes of xattrs`);
          if (e.name.length === 0 || e.name.includes(0)) continue;
          out.set(e.name.toString('utf8'), Buffer.from(e.data));
        }
        return true;
      });
      return out;
    });
  }

  async statfs(): Promise<FsStatfs> {
    return guard(this.device, () =>
      btrfsStatfs(this.trees, this.sb, this.chunks, this.rootTree, this.device, (id) => this.devices.has(id)),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.trees.clear();
    this.inodes.clear();
    this.extents.clear();
    this.subvols.clear();
  }
}

/**
 * Run `fn`, turning anything but a JootError (a check this reader missed, so a RangeError from a
 * Buffer read) into a one-line EFORMAT: guest bytes never reach the caller as a stack trace.
 */
async function guard<T>(device: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof JootError) throw e;
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new JootError('EFORMAT', `${device}: btrfs: corrupt metadata (${msg})`);
  }
}
