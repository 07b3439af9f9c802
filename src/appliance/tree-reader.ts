// The userspace engine's guest file reader: the same guest-rooted semantics and messages as
// GuestReader (guest-reader.ts), over a GuestTree of in-process filesystem readers instead of
// a host directory. Nothing is mounted and no host path exists, so the host-path half of the
// interface (resolve, resolveParent) is refused: the read-only operations walk trees through
// the node half (node, children, openNode…), which reads the filesystem readers directly.
import { JootError } from '../core/errors.js';
import type { GuestTree, Located, TreeMount } from '../disk/fs/tree.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type FsStat } from '../disk/fs/types.js';
import type { GuestChild, GuestFileHandle, GuestFileReader, GuestFileWriter, GuestFiles, GuestNode, NodeStat } from './guest-files.js';
import { checkGuestPath as checkPath, splitLines } from './guest-path.js';
import type { GuestStat } from './types.js';
import { needsKernelEngine } from './userspace-engine.js';
import { filesystemAt, type GuestFilesystem } from './walk-guard.js';

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** one reader call at most (the readers cap theirs too) */
const READ_SLICE = 8 * 1024 * 1024;

const isType = (st: FsStat, t: number): boolean => (st.mode & S_IFMT) === t;

/** Milliseconds as Node's Stats.mtimeMs has them (seconds and nanoseconds added as doubles). */
export function msOf(ns: bigint): number {
  const sec = ns / 1_000_000_000n;
  return Number(sec) * 1000 + Number(ns - sec * 1_000_000_000n) / 1e6;
}

export function toGuestStat(st: FsStat): GuestStat {
  return {
    mode: st.mode,
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    mtimeMs: msOf(st.mtimeNs),
    isFile: isType(st, S_IFREG),
    isDirectory: isType(st, S_IFDIR),
    isSymbolicLink: isType(st, S_IFLNK),
    ino: st.ino,
    nlink: st.nlink,
  };
}

/** glibc's makedev (the st_rdev encoding Node's stat shows). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** lstat as the kernel engine would show it: what the reader says, the rest as Linux fills it in. */
export function nodeStatOf(st: FsStat, dev: bigint): NodeStat {
  const t = st.mode & S_IFMT;
  const device = t === S_IFCHR || t === S_IFBLK;
  return {
    dev,
    ino: BigInt(st.ino),
    mode: st.mode,
    nlink: st.nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: device ? makedev(st.rdevMajor ?? 0, st.rdevMinor ?? 0) : 0n,
    size: BigInt(st.size),
    blksize: 4096n,
    blocks: BigInt(st.blocks ?? Math.ceil(st.size / 512)),
    atimeNs: st.atimeNs ?? st.mtimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs ?? st.mtimeNs,
  };
}

/** A node of the tree: the reader's node and its mount, behind the GuestNode face. */
class TreeNode implements GuestNode {
  constructor(
    readonly owner: TreeGuestReader,
    readonly at: Located,
    readonly stat: NodeStat,
  ) {}
  get path(): string {
    return this.at.path;
  }
}

const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

function checkCap(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new JootError('EINVAL', `${what} must be a non-negative integer`);
  return n;
}

/** The refusal for the host-path half of the interface. */
export function noHostPath(guestPath: string): JootError {
  return new JootError(
    'EUNSUPPORTED',
    `${guestPath}: this operation works on host paths and needs the kernel engine (--engine=kernel, as root)`,
    { guestPath },
  );
}

/** A regular file of the tree, read at positions. */
class TreeFileHandle implements GuestFileHandle {
  private pos = 0;
  private closed = false;
  constructor(
    private readonly at: Located,
    private readonly tree: GuestTree,
    private readonly display: string,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    if (this.closed) throw new JootError('ESTATE', `${this.display}: file is closed`);
    const from = position ?? this.pos;
    const want = Math.min(length, READ_SLICE, Math.max(0, this.at.stat.size - from));
    if (want <= 0) return { bytesRead: 0 };
    const { fs } = this.at.mount;
    const n = await this.tree.wrap(this.display, async () => {
      if (fs.readInto) return fs.readInto(this.at.node, from, want, buffer, offset);
      const b = await fs.read(this.at.node, from, want);
      return b.copy(buffer, offset, 0, Math.min(b.length, want));
    });
    if (position === null) this.pos += n;
    return { bytesRead: n };
  }

  async stat(): Promise<{ size: number }> {
    return { size: this.at.stat.size };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class TreeGuestReader implements GuestFileReader {
  private readonly maxFileBytes: number;
  /** st_dev of each mount (and inode space of it: a btrfs subvolume): 1, 2, … in the order first seen */
  private readonly devs = new WeakMap<TreeMount, Map<bigint | undefined, bigint>>();
  private nextDev = 1n;
  constructor(
    private readonly tree: GuestTree,
    opts: { maxFileBytes?: number } = {},
  ) {
    this.maxFileBytes = checkCap(opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, 'maxFileBytes');
  }

  /** Resolve a guest path to its node (for operations that read the tree in-process). */
  locate(guestPath: string, opts: { followLast?: boolean } = {}): Promise<Located> {
    checkPath(guestPath);
    return this.tree.locate(guestPath, opts.followLast ?? true);
  }

  private async regular(guestPath: string): Promise<Located> {
    const at = await this.locate(guestPath);
    if (isType(at.stat, S_IFDIR)) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
    if (!isType(at.stat, S_IFREG)) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    return at;
  }

  async openFile(guestPath: string): Promise<GuestFileHandle> {
    return new TreeFileHandle(await this.regular(guestPath), this.tree, guestPath);
  }

  private async readRange(at: Located, guestPath: string, from: number, n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let off = from; off < from + n; ) {
      const b = await this.tree.wrap(guestPath, () => at.mount.fs.read(at.node, off, Math.min(READ_SLICE, from + n - off)));
      if (b.length === 0) break;
      parts.push(b);
      off += b.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async readFile(guestPath: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    checkPath(guestPath);
    const cap = opts.maxBytes === undefined ? this.maxFileBytes : checkCap(opts.maxBytes, 'maxBytes');
    const at = await this.locate(guestPath);
    if (!isType(at.stat, S_IFREG)) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    if (at.stat.size > cap) throw new JootError('EINVAL', `${guestPath}: file is larger than ${cap} bytes`);
    return this.readRange(at, guestPath, 0, at.stat.size);
  }

  async readHead(guestPath: string, n: number): Promise<Buffer> {
    checkPath(guestPath);
    checkCap(n, 'n');
    const at = await this.locate(guestPath);
    if (!isType(at.stat, S_IFREG)) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    return this.readRange(at, guestPath, 0, Math.min(n, at.stat.size));
  }

  async readText(guestPath: string, opts: { maxBytes?: number } = {}): Promise<string> {
    return (await this.readFile(guestPath, opts)).toString('utf8');
  }

  async readLines(guestPath: string, opts: { maxBytes?: number } = {}): Promise<string[]> {
    return splitLines(await this.readText(guestPath, opts));
  }

  async readdir(guestPath: string): Promise<string[]> {
    const at = await this.locate(guestPath);
    if (!isType(at.stat, S_IFDIR)) throw new JootError('EINVAL', `${guestPath}: Not a directory`);
    const entries = await this.tree.wrap(guestPath, () => at.mount.fs.readdir(at.node));
    return entries
      .map((e) => Buffer.from(e.name))
      .sort(Buffer.compare)
      .map((b) => b.toString('utf8'));
  }

  async stat(guestPath: string): Promise<GuestStat> {
    return toGuestStat((await this.locate(guestPath)).stat);
  }

  async lstat(guestPath: string): Promise<GuestStat> {
    return toGuestStat((await this.locate(guestPath, { followLast: false })).stat);
  }

  async readlink(guestPath: string): Promise<string> {
    const at = await this.locate(guestPath, { followLast: false });
    if (!isType(at.stat, S_IFLNK)) throw new JootError('EINVAL', `${guestPath}: not a symbolic link`);
    return this.tree.wrap(guestPath, () => at.mount.fs.readlink(at.node));
  }

  async exists(guestPath: string): Promise<boolean> {
    return (await this.tryStat(guestPath)) !== undefined;
  }

  async isFile(guestPath: string): Promise<boolean> {
    const st = await this.tryStat(guestPath);
    return st !== undefined && isType(st, S_IFREG);
  }

  async isDir(guestPath: string): Promise<boolean> {
    const st = await this.tryStat(guestPath);
    return st !== undefined && isType(st, S_IFDIR);
  }

  private async tryStat(guestPath: string): Promise<FsStat | undefined> {
    try {
      return (await this.locate(guestPath)).stat;
    } catch (e) {
      if (e instanceof JootError && (e.code === 'ENOENT' || (e.code === 'EINVAL' && e.guestPath !== undefined))) return undefined;
      throw e;
    }
  }

  // ------------------------------------------------------------------ nodes

  /** As the kernel: a device per mount, and per subvolume of a btrfs (inode numbers repeat across them). */
  private devOf(m: TreeMount, space: bigint | undefined): bigint {
    let spaces = this.devs.get(m);
    if (!spaces) this.devs.set(m, (spaces = new Map()));
    let d = spaces.get(space);
    if (d === undefined) {
      d = this.nextDev++;
      spaces.set(space, d);
    }
    return d;
  }

  private wrapNode(at: Located): TreeNode {
    return new TreeNode(this, at, nodeStatOf(at.stat, this.devOf(at.mount, at.node.space)));
  }

  private located(n: GuestNode): Located {
    if (!(n instanceof TreeNode) || n.owner !== this) throw new JootError('EINVAL', `${n.path}: not a node of this guest`);
    return n.at;
  }

  async node(guestPath: string, opts: { followLast?: boolean } = {}): Promise<GuestNode> {
    return this.wrapNode(await this.locate(guestPath, opts));
  }

  /** A directory that is a mount point shows the mounted filesystem's root, as on a kernel mount. */
  async children(dir: GuestNode): Promise<GuestChild[]> {
    const at = this.located(dir);
    if (!isType(at.stat, S_IFDIR)) throw new JootError('EINVAL', `${dir.path}: Not a directory`, { guestPath: dir.path });
    const entries = await this.tree.wrap(dir.path, () => at.mount.fs.readdir(at.node));
    const named = entries.map((e) => ({ name: Buffer.from(e.name), e })).sort((a, b) => Buffer.compare(a.name, b.name));
    const out: GuestChild[] = [];
    for (const { name, e } of named) {
      const path = childPath(at.path, e.name);
      const mounted = this.tree.mountAt(path);
      const mount = mounted ?? at.mount;
      const node = mounted ? mounted.root : e.node;
      const stat = await this.tree.wrap(path, () => mount.fs.stat(node));
      out.push({ name, node: this.wrapNode({ mount, node, stat, path }) });
    }
    return out;
  }

  async child(dir: GuestNode, name: string): Promise<GuestNode | undefined> {
    const at = this.located(dir);
    if (!isType(at.stat, S_IFDIR)) throw new JootError('EINVAL', `${dir.path}: Not a directory`, { guestPath: dir.path });
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new JootError('EINVAL', `${name}: not a file name`);
    const path = childPath(at.path, name);
    const found = await this.tree.wrap(path, () => at.mount.fs.lookup(at.node, name));
    if (!found) return undefined;
    const mounted = this.tree.mountAt(path);
    const mount = mounted ?? at.mount;
    const node = mounted ? mounted.root : found;
    const stat = await this.tree.wrap(path, () => mount.fs.stat(node));
    return this.wrapNode({ mount, node, stat, path });
  }

  async readlinkNode(link: GuestNode): Promise<Buffer> {
    const at = this.located(link);
    if (!isType(at.stat, S_IFLNK)) throw new JootError('EINVAL', `${link.path}: not a symbolic link`, { guestPath: link.path });
    return Buffer.from(await this.tree.wrap(link.path, () => at.mount.fs.readlink(at.node)));
  }

  async openNode(file: GuestNode): Promise<GuestFileHandle> {
    const at = this.located(file);
    if (isType(at.stat, S_IFDIR)) throw new JootError('EINVAL', `${file.path}: Is a directory`, { guestPath: file.path });
    if (!isType(at.stat, S_IFREG)) throw new JootError('EINVAL', `${file.path}: not a regular file`, { guestPath: file.path });
    return new TreeFileHandle(at, this.tree, file.path);
  }

  async attrs(nodes: readonly GuestNode[]): Promise<Map<string, Buffer>[]> {
    const out: Map<string, Buffer>[] = [];
    for (const n of nodes) {
      const at = this.located(n);
      const attrs = await this.tree.wrap(n.path, () => at.mount.fs.listXattrs(at.node));
      // in getfattr's order (names sorted by bytes), as the kernel engine reads them
      out.push(new Map([...attrs].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))));
    }
    return out;
  }

  filesystemOf(guestPath: string): GuestFilesystem | undefined {
    return filesystemAt(guestPath, (at) => {
      const m = this.tree.mountAt(at);
      return m && { device: m.device, type: m.fs.type };
    });
  }

  /** Nothing of this guest is on the host. */
  holdsHostDir(): boolean {
    return false;
  }

  // ------------------------------------------------------------------ host paths

  async resolve(guestPath: string): Promise<string> {
    checkPath(guestPath);
    throw noHostPath(guestPath);
  }

  async resolveParent(guestPath: string): Promise<{ dir: string; name: string }> {
    checkPath(guestPath);
    throw noHostPath(guestPath);
  }
}

/**
 * Every write refused: the userspace engine only reads. In a read-only session (every drive
 * --ro) in the kernel engine's own words, so that both engines answer alike.
 */
function refusingWriter(readonly: () => boolean): GuestFileWriter {
  const no =
    (what: string, ...paths: string[]) =>
    async (): Promise<never> => {
      for (const p of paths) checkPath(p);
      if (readonly()) throw new JootError('EPERM', `${paths[0]}: the session is read-only`);
      throw needsKernelEngine(`${what} ${paths[0]}`);
    };
  return {
    isReadonly: true,
    write: (p) => no('writing', p)(),
    writeAtomic: (p) => no('writing', p)(),
    touch: (p) => no('touch', p)(),
    mkdir: (p) => no('mkdir', p)(),
    rm: (p) => no('rm', p)(),
    rmdir: (p) => no('rmdir', p)(),
    cp: (src, dst) => no('cp to', dst, src)(),
    mv: (src, dst) => no('mv', src, dst)(),
    chmod: (_m, p) => no('chmod', p)(),
    chown: (_u, _g, p) => no('chown', p)(),
    symlink: (_t, l) => no('ln', l)(),
    hostPathForWrite: (p) => no('writing', p)(),
    hostPathForCreate: (p) => no('writing', p)(),
    hostPathForUpdate: (p) => no('writing', p)(),
  };
}

/** Guest file access over an in-process tree: the reader, and a writer that refuses. */
export function treeGuestFiles(tree: GuestTree, opts: { readonly: () => boolean }): GuestFiles & { reader: TreeGuestReader } {
  return { reader: new TreeGuestReader(tree), writer: refusingWriter(opts.readonly) };
}
