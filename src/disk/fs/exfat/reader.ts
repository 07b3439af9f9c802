// The exFAT reader. What stat says follows Linux's exfat driver with default options: owner
// root:root, mode 0755 (umask 022), write bits off for a read-only file, timestamps with their
// 10 ms part and UTC offset, a directory's link count its subdirectories plus 2. File data is
// a contiguous run (NoFatChain) or a FAT chain; past ValidDataLength it reads as zeros.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import { Lru } from '../../lru.js';
import { readClusterChain } from '../fat/clusters.js';
import { FatTable } from '../fat/table.js';
import { quote, Volume } from '../fat/volume.js';
import { MAX_DIR_ENTRIES } from '../limits.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs } from '../types.js';
import { S_IFDIR, S_IFREG } from '../types.js';
import { type ExfatGeometry, readExfatBoot } from './boot.js';
import { ATTR_DIR, ATTR_RO, type ExfatEntry, type ParsedExfatDir, parseExfatDir } from './dir.js';
import { exfatTimeNs } from './time.js';
import { decodeUpcase, MAX_UPCASE_BYTES, tableChecksum, upcaseKey } from './upcase.js';

interface ExNode extends FsNode {
  readonly entry?: ExfatEntry;
  readonly isRoot: boolean;
  readonly exfat: true;
}

interface DirCache extends ParsedExfatDir {
  nodes: ExNode[];
  byKey: Map<string, ExNode>;
  bytes: number;
}

const ROOT_INO = 1;

export class ExfatReader implements FileSystemReader {
  readonly type = 'exfat';
  readonly caseInsensitive = true;
  private readonly dirs = new Lru<number, DirCache>(64);
  private readonly rootNode: ExNode = { ino: ROOT_INO, isRoot: true, exfat: true };
  private upcase = new Map<number, number>();
  label = '';

  private constructor(
    private readonly vol: Volume,
    readonly geo: ExfatGeometry,
    private readonly fat: FatTable,
  ) {}

  get device(): string {
    return this.vol.device;
  }

  static async open(source: ByteSource, device: string): Promise<ExfatReader> {
    const vol = new Volume(source, device, 'exfat');
    const geo = await readExfatBoot(vol);
    const r = new ExfatReader(vol, geo, new FatTable(vol, { bits: 32, fatOffset: geo.fatOffset, clusterCount: geo.clusterCount }, true));
    const root = await r.dir(r.rootNode);
    r.label = root.root.label ?? '';
    await r.loadUpcase(root);
    return r;
  }

  /** The up-case table named by the root (checksum checked); without one, ASCII folding. */
  private async loadUpcase(root: DirCache): Promise<void> {
    const u = root.root.upcase;
    if (!u) throw this.vol.corrupt('the root directory has no up-case table');
    if (u.size > MAX_UPCASE_BYTES || u.size < 2) throw this.vol.corrupt(`bad up-case table size ${u.size}`);
    const data = await this.readClusters(await this.fat.chain(u.firstCluster, 'the up-case table'), u.size, 'the up-case table');
    if (tableChecksum(data) !== u.checksum) throw this.vol.corrupt('the up-case table checksum does not match');
    this.upcase = decodeUpcase(data);
    // the cached root was keyed before the table was known
    this.dirs.clear();
  }

  async root(opts?: { subvolume?: string | number }): Promise<FsNode> {
    if (opts?.subvolume !== undefined) throw new JootError('EINVAL', `${this.device}: exfat has no subvolumes`);
    return this.rootNode;
  }

  private node(n: FsNode): ExNode {
    const f = n as ExNode;
    if (f.exfat !== true) throw new JootError('EINVAL', `${this.device}: exfat: not a node of this filesystem`);
    return f;
  }

  private isDir(n: ExNode): boolean {
    return n.isRoot || ((n.entry?.attr ?? 0) & ATTR_DIR) !== 0;
  }

  /** The clusters of an entry: a contiguous run or its FAT chain, enough for `bytes`. */
  private async clustersOf(e: ExfatEntry, bytes: number): Promise<Uint32Array> {
    const cs = this.geo.clusterSize;
    const need = Math.ceil(bytes / cs);
    if (need === 0) return new Uint32Array(0);
    if (e.contiguous) {
      if (e.firstCluster < 2 || e.firstCluster + need - 1 > this.geo.clusterCount + 1) {
        throw this.vol.corrupt(`${quote(e.name)}: ${need} clusters from cluster ${e.firstCluster} lie outside the volume`);
      }
      // a run is described, not listed: a lazy view would do, but files here are cluster-bounded
      const run = new Uint32Array(need);
      for (let k = 0; k < need; k++) run[k] = e.firstCluster + k;
      return run;
    }
    const chain = await this.fat.chain(e.firstCluster, quote(e.name));
    if (chain.length < need) throw this.vol.corrupt(`${quote(e.name)} is ${bytes} bytes but its cluster chain holds ${chain.length * cs}`);
    return chain;
  }

  private async readClusters(chain: Uint32Array, length: number, what: string, offset = 0): Promise<Buffer> {
    const cs = this.geo.clusterSize;
    if (offset + length > chain.length * cs) throw this.vol.corrupt(`${what} is longer than its clusters`);
    return readClusterChain(this.vol, { dataOffset: this.geo.heapOffset, clusterSize: cs }, chain, offset, length);
  }

  /**
   * A directory's bytes up to its end-of-directory entry (type 0x00), read a chunk at a time so
   * that a directory claiming far more than it uses costs only what it uses.
   */
  private async readDirData(chain: Uint32Array, bytes: number, what: string): Promise<Buffer> {
    const chunk = Math.max(this.geo.clusterSize, 64 * 1024);
    const parts: Buffer[] = [];
    for (let off = 0; off < bytes; off += chunk) {
      const b = await this.readClusters(chain, Math.min(chunk, bytes - off), what, off);
      parts.push(b);
      let end = false;
      for (let i = 0; i < b.length; i += 32) {
        if (b[i] === 0) {
          end = true;
          break;
        }
      }
      if (end) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private async dir(n: ExNode): Promise<DirCache> {
    // the root has its own key: a directory entry claiming cluster 0 is an empty directory, not the root
    const key = n.isRoot ? -1 : n.entry!.firstCluster;
    const hit = this.dirs.get(key);
    if (hit) return hit;
    let chain: Uint32Array;
    let bytes: number;
    if (n.isRoot) {
      chain = await this.fat.chain(this.geo.rootCluster, 'the root directory');
      bytes = chain.length * this.geo.clusterSize;
    } else {
      const e = n.entry!;
      if (e.size > MAX_DIR_ENTRIES * 32) throw this.vol.corrupt(`directory ${quote(e.name)} claims ${e.size} bytes`);
      chain = await this.clustersOf(e, e.size);
      bytes = e.size;
    }
    if (bytes > MAX_DIR_ENTRIES * 32) throw this.vol.corrupt(`a directory of ${bytes} bytes is too big`);
    const data = await this.readDirData(chain, bytes, n.isRoot ? 'the root directory' : `directory ${quote(n.entry!.name)}`);
    const parsed = parseExfatDir(
      data,
      () => this.vol.corrupt(`a directory with more than ${MAX_DIR_ENTRIES} entries`),
      (name) => this.vol.corrupt(`${quote(name)} claims a size beyond 2^53 bytes`),
    );
    const base = 2 + Math.max(key, 0) * 4_194_304;
    const nodes: ExNode[] = [];
    const byKey = new Map<string, ExNode>();
    for (const e of parsed.entries) {
      const node: ExNode = { ino: base + e.index, isRoot: false, entry: e, exfat: true };
      nodes.push(node);
      const k = upcaseKey(e.name, this.upcase);
      if (!byKey.has(k)) byKey.set(k, node);
    }
    const dc: DirCache = { ...parsed, nodes, byKey, bytes };
    this.dirs.set(key, dc);
    return dc;
  }

  private async dirOf(node: FsNode): Promise<DirCache> {
    const n = this.node(node);
    if (!this.isDir(n)) throw new JootError('EINVAL', `${this.device}: exfat: not a directory`);
    return this.dir(n);
  }

  async readdir(dir: FsNode): Promise<FsDirEntry[]> {
    return (await this.dirOf(dir)).nodes.map((node) => ({ name: node.entry!.name, node }));
  }

  async lookup(dir: FsNode, name: string): Promise<FsNode | undefined> {
    return (await this.dirOf(dir)).byKey.get(upcaseKey(name, this.upcase));
  }

  async stat(node: FsNode): Promise<FsStat> {
    const n = this.node(node);
    const cs = this.geo.clusterSize;
    if (n.isRoot) {
      const d = await this.dir(n);
      return {
        ino: ROOT_INO,
        mode: S_IFDIR | 0o755,
        nlink: d.subdirs + 2,
        uid: 0,
        gid: 0,
        size: d.bytes,
        mtimeNs: 0n,
        atimeNs: 0n,
        ctimeNs: 0n,
        blocks: Math.ceil(d.bytes / cs) * (cs / 512),
      };
    }
    const e = n.entry!;
    const mtimeNs = exfatTimeNs(e.modify, e.modify10ms, e.modifyTz);
    const dir = (e.attr & ATTR_DIR) !== 0;
    const st: FsStat = {
      ino: n.ino,
      mode: dir ? S_IFDIR | 0o755 : S_IFREG | (e.attr & ATTR_RO ? 0o555 : 0o755),
      nlink: 1,
      uid: 0,
      gid: 0,
      size: e.size,
      mtimeNs,
      atimeNs: exfatTimeNs(e.access, 0, e.accessTz),
      ctimeNs: mtimeNs,
      birthtimeNs: exfatTimeNs(e.create, e.create10ms, e.createTz),
      blocks: Math.ceil(e.size / cs) * (cs / 512),
    };
    if (dir) st.nlink = (await this.dir(n)).subdirs + 2;
    return st;
  }

  async readlink(_node: FsNode): Promise<string> {
    throw new JootError('EINVAL', `${this.device}: exfat: not a symbolic link (exFAT has none)`);
  }

  async read(node: FsNode, offset: number, length: number): Promise<Buffer> {
    const n = this.node(node);
    if (this.isDir(n)) throw new JootError('EINVAL', `${this.device}: exfat: ${quote(n.entry?.name ?? '/')} is a directory`);
    this.vol.checkReadRange(offset, length);
    const e = n.entry!;
    if (offset >= e.size || length === 0) return Buffer.alloc(0);
    const len = Math.min(length, e.size - offset);
    const out = Buffer.alloc(len);
    const validEnd = Math.min(offset + len, e.validSize);
    if (validEnd > offset) {
      const chain = await this.clustersOf(e, e.validSize);
      (await this.readClusters(chain, validEnd - offset, quote(e.name), offset)).copy(out, 0);
    }
    return out;
  }

  async listXattrs(_node: FsNode): Promise<Map<string, Buffer>> {
    return new Map();
  }

  async statfs(): Promise<FsStatfs> {
    const root = await this.dir(this.rootNode);
    const bm = root.root.bitmap;
    let used = 0;
    if (bm) {
      const need = Math.ceil(this.geo.clusterCount / 8);
      if (bm.size < need || bm.size > need + this.geo.clusterSize) throw this.vol.corrupt(`bad allocation bitmap size ${bm.size}`);
      const data = await this.readClusters(await this.fat.chain(bm.firstCluster, 'the allocation bitmap'), need, 'the allocation bitmap');
      for (let c = 0; c < this.geo.clusterCount; c++) if (data[c >> 3]! & (1 << (c & 7))) used++;
    }
    const free = this.geo.clusterCount - used;
    return { bsize: this.geo.clusterSize, blocks: this.geo.clusterCount, bfree: free, bavail: free, files: 0, ffree: 0 };
  }

  async close(): Promise<void> {
    this.dirs.clear();
    this.fat.clear();
    this.vol.clear();
  }
}
