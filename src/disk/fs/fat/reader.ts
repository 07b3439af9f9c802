// The FAT12/16/32 (vfat) reader. What stat says follows Linux's vfat driver with default
// options: owner root:root, mode 0755 (umask 022) for directories and files, write bits off for
// a read-only file, timestamps as UTC, a directory's size its clusters and its link count its
// subdirectories plus . and .. (the root: plus 2).
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import { MAX_DIR_ENTRIES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFDIR, S_IFREG } from '../types.js';
import { type FatGeometry, readBoot } from './boot.js';
import { readClusterChain } from './clusters.js';
import { ATTR_DIR, ATTR_RO, type FatEntry, type ParsedDir, parseDir } from './dir.js';
import { foldKey } from './names.js';
import { FatTable } from './table.js';
import { fatTimeNs } from './time.js';
import { quote, Volume } from './volume.js';

interface FatNode extends FsNode {
  readonly entry?: FatEntry;
  readonly isRoot: boolean;
}

interface DirCache extends ParsedDir {
  byKey: Map<string, FatNode>;
  nodes: FatNode[];
  bytes: number;
}

const ROOT_INO = 1;

export class FatReader implements FileSystemReader {
  readonly type = 'vfat';
  readonly caseInsensitive = true;
  private readonly dirs = new Lru<number, DirCache>(64);
  private readonly rootNode: FatNode = { ino: ROOT_INO, isRoot: true };

  private constructor(
    private readonly vol: Volume,
    readonly geo: FatGeometry,
    private readonly fat: FatTable,
  ) {}

  get device(): string {
    return this.vol.device;
  }

  static async open(source: ByteSource, device: string): Promise<FatReader> {
    const vol = new Volume(source, device, 'vfat');
    const geo = await readBoot(vol);
    return new FatReader(vol, geo, new FatTable(vol, geo));
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw new JootError('EINVAL', `${this.device}: vfat has no subvolumes`);
    return this.rootNode;
  }

  private node(n: FsNode): FatNode {
    const f = n as FatNode;
    if (typeof f.isRoot !== 'boolean') throw new JootError('EINVAL', `${this.device}: vfat: not a node of this filesystem`);
    return f;
  }

  private isDir(n: FatNode): boolean {
    return n.isRoot || ((n.entry?.attr ?? 0) & ATTR_DIR) !== 0;
  }

  /** The clusters of a file or directory, checked against its size for a file. */
  private async clusters(n: FatNode): Promise<Uint32Array> {
    const e = n.entry!;
    const chain = await this.fat.chain(e.firstCluster, quote(e.name));
    if (!this.isDir(n) && chain.length * this.geo.clusterSize < e.size) {
      throw this.vol.corrupt(`${quote(e.name)} is ${e.size} bytes but its cluster chain holds ${chain.length * this.geo.clusterSize}`);
    }
    return chain;
  }

  /** Bytes of `chain` from `offset` (both within it). */
  private readChain(chain: Uint32Array, offset: number, length: number): Promise<Buffer> {
    return readClusterChain(this.vol, this.geo, chain, offset, length);
  }

  private async dir(n: FatNode): Promise<DirCache> {
    // the root has its own key: a directory entry claiming cluster 0 is an empty directory, not the root
    const key = n.isRoot ? -1 : n.entry!.firstCluster;
    const hit = this.dirs.get(key);
    if (hit) return hit;
    let data: Buffer;
    if (n.isRoot && this.geo.bits !== 32) {
      data = await this.vol.read(this.geo.rootOffset, this.geo.rootBytes);
    } else {
      const first = n.isRoot ? this.geo.rootCluster : n.entry!.firstCluster;
      const chain = await this.fat.chain(first, n.isRoot ? 'the root directory' : `directory ${quote(n.entry!.name)}`);
      if (chain.length * this.geo.clusterSize > MAX_DIR_ENTRIES * 32)
        throw this.vol.corrupt(`a directory of ${chain.length} clusters is too big`);
      data = await this.readChain(chain, 0, chain.length * this.geo.clusterSize);
    }
    const parsed = parseDir(data, this.geo.bits === 32, () => this.vol.corrupt(`a directory with more than ${MAX_DIR_ENTRIES} entries`));
    // an inode number per 8.3 entry: the directory's first cluster and the entry's index
    const base = 2 + Math.max(key, 0) * 4_194_304;
    const nodes: FatNode[] = [];
    const byKey = new Map<string, FatNode>();
    for (const e of parsed.entries) {
      const node: FatNode = { ino: base + e.index, isRoot: false, entry: e };
      nodes.push(node);
      const k = foldKey(e.name);
      if (!byKey.has(k)) byKey.set(k, node);
    }
    for (const node of nodes) {
      const a = node.entry!.alias;
      if (a !== undefined) {
        const k = foldKey(a);
        if (!byKey.has(k)) byKey.set(k, node);
      }
    }
    const dc: DirCache = { ...parsed, nodes, byKey, bytes: data.length };
    this.dirs.set(key, dc);
    return dc;
  }

  private async dirOf(node: FsNode): Promise<DirCache> {
    const n = this.node(node);
    if (!this.isDir(n)) throw new JootError('EINVAL', `${this.device}: vfat: not a directory`);
    return this.dir(n);
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return (await this.dirOf(dir)).nodes.map((node) => ({ name: node.entry!.name, node }));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    return (await this.dirOf(dir)).byKey.get(foldKey(name));
  }

  async stat(node: FsNode): Promise<FsStat> {
    const n = this.node(node);
    const cs = this.geo.clusterSize;
    if (n.isRoot) {
      const d = await this.dir(n);
      const size = this.geo.bits === 32 ? d.bytes : this.geo.rootBytes;
      return {
        ino: ROOT_INO,
        mode: S_IFDIR | 0o755,
        nlink: d.subdirs + 2,
        uid: 0,
        gid: 0,
        size,
        mtimeNs: 0n,
        atimeNs: 0n,
        ctimeNs: 0n,
        blocks: Math.ceil(size / cs) * (cs / 512),
      };
    }
    const e = n.entry!;
    const mtimeNs = fatTimeNs(e.mdate, e.mtime);
    const st: FsStat = {
      ino: n.ino,
      mode: 0,
      nlink: 1,
      uid: 0,
      gid: 0,
      size: e.size,
      mtimeNs,
      atimeNs: fatTimeNs(e.adate, 0),
      ctimeNs: mtimeNs,
      birthtimeNs: fatTimeNs(e.cdate, e.ctime, e.ccentis),
    };
    if (e.attr & ATTR_DIR) {
      const d = await this.dir(n);
      st.mode = S_IFDIR | 0o755;
      st.nlink = d.subdirs;
      st.size = d.bytes;
    } else {
      st.mode = S_IFREG | (e.attr & ATTR_RO ? 0o555 : 0o755);
    }
    st.blocks = Math.ceil(st.size / cs) * (cs / 512);
    return st;
  }

  async readlink(_node: FsNode): Promise<string> {
    throw new JootError('EINVAL', `${this.device}: vfat: not a symbolic link (FAT has none)`);
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = this.node(node);
    if (this.isDir(n)) throw new JootError('EINVAL', `${this.device}: vfat: ${quote(n.entry?.name ?? '/')} is a directory`);
    this.vol.checkReadRange(offset, length);
    const size = n.entry!.size;
    if (offset >= size || length === 0) return Buffer.alloc(0);
    return this.readChain(await this.clusters(n), offset, Math.min(length, size - offset));
  }

  async listXattrs(_node: FsNode): Promise<Map<string, Buffer>> {
    return new Map();
  }

  async statfs(): Promise<FsStatfs> {
    const free = this.geo.fsinfoFree ?? (await this.fat.countFree());
    return { bsize: this.geo.clusterSize, blocks: this.geo.clusterCount, bfree: free, bavail: free, files: 0, ffree: 0 };
  }

  async close(): Promise<void> {
    this.dirs.clear();
    this.fat.clear();
    this.vol.clear();
  }
}
