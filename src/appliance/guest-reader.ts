// Host-side reading of a guest tree mounted under a host directory (the "sysroot").
//
// Every guest path is resolved by hand, component by component, as if the process were
// chrooted into the sysroot: symlink targets are interpreted inside the guest (absolute
// targets restart at the sysroot, `..` never climbs above it). fs.realpath is never used,
// because it would follow a guest's absolute links into the host.
//
// Error messages name the guest path only; the host sysroot never appears in a message.
//
// Limitation: only the last component is opened race-free (O_NOFOLLOW). Node has no
// openat2(RESOLVE_IN_ROOT), so a directory swapped for a symlink between resolution and
// open could in principle redirect a read. The guest is offline and joot is the only
// writer, so this window is not reachable by the guest itself.

import { promises as fsp } from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { JootError, errnoOf } from '../core/errors.js';
import type { GuestChild, GuestNode, NodeStat } from './guest-node.js';
import { isDirNode, isFileNode, isLinkNode } from './guest-node.js';
import {
  checkGuestPath as checkPath,
  guestFsError,
  joinHost,
  linkTarget,
  READ_FLAGS,
  READ_WORDS,
  regularFileHandle,
  splitLines,
} from './guest-path.js';
import { MAX_SYMLINK_HOPS, pushComponents } from '../disk/fs/guest-path-parts.js';
import { readAttrs } from './host-xattrs.js';
import type { GuestStat, MountInfo } from './types.js';
import { filesystemAt, type GuestFilesystem, kernelLoopError, tooDeepError } from './walk-guard.js';

export interface ReaderOptions {
  /** Default cap for readFile, in bytes (64 MiB). */
  maxFileBytes?: number;
  /** What is mounted where in the tree (guest mount points), for messages that name a filesystem. */
  mounts?: () => readonly MountInfo[];
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** children(): lstat calls in flight at once */
const LSTAT_BATCH = 128;

interface Walked {
  /** host path of the resolved node */
  host: string;
  /** lstat of the resolved node; undefined when it is the sysroot itself (not stat'ed) */
  st: Stats | undefined;
}

/** A host fs error as a JootError naming only the guest path. */
const mapFsError = (e: unknown, guestPath: string): JootError => guestFsError(e, guestPath, READ_WORDS);

function toGuestStat(st: Stats): GuestStat {
  return {
    mode: st.mode,
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    mtimeMs: st.mtimeMs,
    isFile: st.isFile(),
    isDirectory: st.isDirectory(),
    isSymbolicLink: st.isSymbolicLink(),
    ino: st.ino,
    nlink: st.nlink,
  };
}

function nodeStat(st: BigIntStats): NodeStat {
  return {
    dev: st.dev,
    ino: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: st.rdev,
    size: st.size,
    blksize: st.blksize,
    blocks: st.blocks,
    atimeNs: st.atimeNs,
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
  };
}

/** A node of this reader: it keeps the host path it was reached by, so walking on from it
 *  costs one readdir / lstat, never a new resolution from the root. */
class HostNode implements GuestNode {
  constructor(
    readonly owner: GuestReader,
    readonly path: string,
    readonly stat: NodeStat,
    readonly host: Buffer,
  ) {}
}

const childPath = (dir: string, name: Buffer): string => (dir === '/' ? `/${name.toString('utf8')}` : `${dir}/${name.toString('utf8')}`);

function checkCap(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new JootError('EINVAL', `${what} must be a non-negative integer`);
  return n;
}

export class GuestReader {
  private readonly root: string;
  /** root without a trailing slash ('' when root is '/'), prefix for child paths */
  private readonly rootPrefix: string;
  private readonly maxFileBytes: number;
  private readonly mounts: () => readonly MountInfo[];

  constructor(root: string, opts: ReaderOptions = {}) {
    if (typeof root !== 'string' || !path.isAbsolute(root) || root.includes('\0')) {
      throw new JootError('EINVAL', 'guest root must be an absolute host path');
    }
    this.root = path.resolve(root);
    this.rootPrefix = this.root === '/' ? '' : this.root;
    this.maxFileBytes = checkCap(opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, 'maxFileBytes');
    this.mounts = opts.mounts ?? (() => []);
  }

  /**
   * The resolver. Walks `guestPath` from the root with one lstat per component, splicing
   * symlink targets into the pending components. Returns the host path and the lstat of
   * the final node (so callers need no second stat).
   */
  private async walk(guestPath: string, followLast: boolean, display: string = guestPath): Promise<Walked> {
    const pending: string[] = [];
    pushComponents(pending, guestPath);
    // prefixes[i]: host path of the i-th resolved node; prefixes[0] is the root.
    const prefixes: string[] = [this.rootPrefix];
    const stats: (Stats | undefined)[] = [undefined];
    let hops = 0;

    while (pending.length > 0) {
      const name = pending.pop()!;
      // The current node is always a directory here (checked when it was entered).
      if (name === '.') continue;
      if (name === '..') {
        if (prefixes.length > 1) {
          prefixes.pop();
          stats.pop();
        }
        continue;
      }
      const host = `${prefixes[prefixes.length - 1]!}/${name}`;
      let st: Stats;
      try {
        st = await fsp.lstat(host);
      } catch (e) {
        throw mapFsError(e, display);
      }
      if (st.isSymbolicLink() && (pending.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) {
          throw new JootError('EINVAL', `${display}: too many levels of symbolic links`);
        }
        const target = await linkTarget(host, display, READ_WORDS);
        if (target.startsWith('/')) {
          prefixes.length = 1;
          stats.length = 1;
        }
        pushComponents(pending, target);
        continue;
      }
      if (pending.length > 0 && !st.isDirectory()) {
        throw new JootError('EINVAL', `${display}: Not a directory`);
      }
      prefixes.push(host);
      stats.push(st);
    }
    return {
      host: prefixes.length === 1 ? this.root : prefixes[prefixes.length - 1]!,
      st: stats[stats.length - 1],
    };
  }

  /** The final node's stat, stat'ing the root when the walk ended there. */
  private async statOf(w: Walked, display: string): Promise<Stats> {
    if (w.st) return w.st;
    try {
      return await fsp.stat(w.host);
    } catch (e) {
      throw mapFsError(e, display);
    }
  }

  // ------------------------------------------------------------------ nodes

  private hostOf(n: GuestNode): Buffer {
    if (!(n instanceof HostNode) || n.owner !== this) throw new JootError('EINVAL', `${n.path}: not a node of this guest`);
    return n.host;
  }

  async node(guestPath: string, opts: { followLast?: boolean } = {}): Promise<GuestNode> {
    checkPath(guestPath);
    const w = await this.walk(guestPath, opts.followLast ?? true);
    let st: BigIntStats;
    try {
      st = await fsp.lstat(w.host, { bigint: true });
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
    const canonical = w.host === this.root ? '/' : w.host.slice(this.rootPrefix.length);
    return new HostNode(this, canonical, nodeStat(st), Buffer.from(w.host));
  }

  async children(dir: GuestNode): Promise<GuestChild[]> {
    const host = this.hostOf(dir);
    if (!isDirNode(dir.stat)) throw new JootError('EINVAL', `${dir.path}: Not a directory`, { guestPath: dir.path });
    let names: Buffer[];
    try {
      names = await fsp.readdir(host, { encoding: 'buffer' });
    } catch (e) {
      if (errnoOf(e) === 'ENAMETOOLONG') throw tooDeepError(dir.path, this.filesystemOf(dir.path));
      throw mapFsError(e, dir.path);
    }
    names.sort(Buffer.compare);
    // lstat'ed many at a time: a walk costs about what one readdir with file types does
    const out: GuestChild[] = [];
    for (let i = 0; i < names.length; i += LSTAT_BATCH) {
      const batch = names.slice(i, i + LSTAT_BATCH);
      const got = await Promise.all(
        batch.map(async (name): Promise<GuestChild | undefined> => {
          const h = joinHost(host, name) as Buffer;
          const p = childPath(dir.path, name);
          try {
            return { name, node: new HostNode(this, p, nodeStat(await fsp.lstat(h, { bigint: true })), h) };
          } catch (e) {
            if (errnoOf(e) === 'ENOENT') return undefined; // vanished while we walked
            if (errnoOf(e) === 'ELOOP') throw kernelLoopError(p, this.filesystemOf(p));
            if (errnoOf(e) === 'ENAMETOOLONG') throw tooDeepError(p, this.filesystemOf(p));
            throw mapFsError(e, p);
          }
        }),
      );
      for (const c of got) if (c) out.push(c);
    }
    return out;
  }

  async child(dir: GuestNode, name: string): Promise<GuestNode | undefined> {
    const host = this.hostOf(dir);
    if (!isDirNode(dir.stat)) throw new JootError('EINVAL', `${dir.path}: Not a directory`, { guestPath: dir.path });
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new JootError('EINVAL', `${name}: not a file name`);
    const b = Buffer.from(name);
    const h = joinHost(host, b) as Buffer;
    const p = childPath(dir.path, b);
    try {
      return new HostNode(this, p, nodeStat(await fsp.lstat(h, { bigint: true })), h);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      if (errnoOf(e) === 'ELOOP') throw kernelLoopError(p, this.filesystemOf(p));
      if (errnoOf(e) === 'ENAMETOOLONG') throw tooDeepError(p, this.filesystemOf(p));
      throw mapFsError(e, p);
    }
  }

  async readlinkNode(link: GuestNode): Promise<Buffer> {
    const host = this.hostOf(link);
    if (!isLinkNode(link.stat)) throw new JootError('EINVAL', `${link.path}: not a symbolic link`, { guestPath: link.path });
    try {
      return await fsp.readlink(host, { encoding: 'buffer' });
    } catch (e) {
      throw mapFsError(e, link.path);
    }
  }

  /** Opened O_NOFOLLOW, and checked to be the very node that was lstat'ed. */
  async openNode(file: GuestNode): Promise<FileHandle> {
    const host = this.hostOf(file);
    if (isDirNode(file.stat)) throw new JootError('EINVAL', `${file.path}: Is a directory`, { guestPath: file.path });
    if (!isFileNode(file.stat)) throw new JootError('EINVAL', `${file.path}: not a regular file`, { guestPath: file.path });
    let fh: FileHandle;
    try {
      fh = await fsp.open(host, READ_FLAGS);
    } catch (e) {
      throw mapFsError(e, file.path);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile() || st.ino !== file.stat.ino || st.dev !== file.stat.dev)
        throw new JootError('EIO', `${file.path}: changed while it was read`, { guestPath: file.path });
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw mapFsError(e, file.path);
    }
    return fh;
  }

  /** One getfattr process for all the nodes asked (the callers ask one directory's at a time). */
  async attrs(nodes: readonly GuestNode[], warn: (message: string) => void): Promise<Map<string, Buffer>[]> {
    if (nodes.length === 0) return [];
    const hosts = nodes.map((n) => this.hostOf(n));
    const byHost = new Map(hosts.map((h, i) => [h.toString('latin1'), nodes[i]!.path]));
    const hostText = new Map(hosts.map((h, i) => [h.toString('utf8'), nodes[i]!.path]));
    // getfattr's own messages start with the host path: shown with the guest path instead
    const guestWarn = (m: string): void => {
      const c = m.indexOf(': ');
      const p = c === -1 ? undefined : hostText.get(m.slice(0, c));
      warn(p === undefined ? m : `${p}${m.slice(c)}`);
    };
    const got = await readAttrs(hosts, guestWarn, (h) => byHost.get(h.toString('latin1')) ?? '?');
    return hosts.map((h) => got.get(h.toString('latin1')) ?? new Map());
  }

  filesystemOf(guestPath: string): GuestFilesystem | undefined {
    const mounts = this.mounts();
    return filesystemAt(guestPath, (at) => {
      const m = mounts.findLast((x) => x.mountpoint === at);
      return m && { device: m.device, type: m.vfstype };
    });
  }

  holdsHostDir(n: GuestNode, hostDir: string): boolean {
    const host = this.hostOf(n).toString('utf8');
    return hostDir === host || hostDir.startsWith(host === '/' ? '/' : `${host}/`);
  }

  // ------------------------------------------------------------------ host paths

  /** Resolve a guest path to a host path inside root (see the module comment). */
  async resolve(guestPath: string, opts: { followLast?: boolean } = {}): Promise<string> {
    checkPath(guestPath);
    return (await this.walk(guestPath, opts.followLast ?? true)).host;
  }

  /** For writers: resolve the parent directory safely, then join the last component
   *  (which is not followed and need not exist). */
  async resolveParent(guestPath: string): Promise<{ dir: string; name: string }> {
    checkPath(guestPath);
    const trimmed = guestPath.replace(/\/+$/, '');
    const slash = trimmed.lastIndexOf('/');
    const name = trimmed.slice(slash + 1);
    if (name === '' || name === '.' || name === '..') {
      throw new JootError('EINVAL', `${guestPath}: not a valid file name`);
    }
    const parent = trimmed.slice(0, slash) || '/';
    const w = await this.walk(parent, true, guestPath);
    if (w.st && !w.st.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Not a directory`);
    return { dir: w.host === '/' ? `/${name}` : `${w.host}/${name}`, name };
  }

  /**
   * Open a regular file of the guest for reading (a final symlink is followed inside the
   * guest), for callers that stream it. The node's type comes from the resolver's lstat and is
   * checked BEFORE the open: a FIFO (whose open could block), a device node (whose open could
   * reach hardware, were the mount not nodev) or a socket is refused, never opened. The handle
   * is checked again after the open (fstat), for a node swapped in between. Caller closes it.
   */
  async openFile(guestPath: string): Promise<FileHandle> {
    checkPath(guestPath);
    const w = await this.walk(guestPath, true);
    return this.openWalked(w, guestPath);
  }

  private async openWalked(w: Walked, guestPath: string): Promise<FileHandle> {
    if (!w.st || w.st.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
    if (!w.st.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    let fh: FileHandle;
    try {
      fh = await fsp.open(w.host, READ_FLAGS);
    } catch (e) {
      // ELOOP here: the last component became a symlink after it was resolved.
      if (errnoOf(e) === 'ELOOP') throw new JootError('EINVAL', `${guestPath}: not a regular file`);
      throw mapFsError(e, guestPath);
    }
    return regularFileHandle(fh, guestPath, READ_WORDS);
  }

  async readFile(guestPath: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    checkPath(guestPath);
    const cap = opts.maxBytes === undefined ? this.maxFileBytes : checkCap(opts.maxBytes, 'maxBytes');
    const w = await this.walk(guestPath, true);
    // Refuse devices, FIFOs, sockets, directories before even opening them.
    if (!w.st?.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    if (w.st.size > cap) throw new JootError('EINVAL', `${guestPath}: file is larger than ${cap} bytes`);

    const fh = await this.openWalked(w, guestPath);
    try {
      let st: Stats;
      try {
        st = await fh.stat();
      } catch (e) {
        throw mapFsError(e, guestPath);
      }
      if (!st.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
      if (st.size > cap) throw new JootError('EINVAL', `${guestPath}: file is larger than ${cap} bytes`);
      // One byte of slack detects a file that grew (or reports a wrong size).
      let buf = Buffer.allocUnsafe(st.size + 1);
      let len = 0;
      for (;;) {
        if (len === buf.length) {
          if (len > cap) throw new JootError('EINVAL', `${guestPath}: file is larger than ${cap} bytes`);
          const bigger = Buffer.allocUnsafe(Math.min(cap + 1, Math.max(buf.length * 2, 65536)));
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        let n: number;
        try {
          ({ bytesRead: n } = await fh.read(buf, len, buf.length - len, null));
        } catch (e) {
          throw mapFsError(e, guestPath);
        }
        if (n === 0) break;
        len += n;
      }
      if (len > cap) throw new JootError('EINVAL', `${guestPath}: file is larger than ${cap} bytes`);
      return len === buf.length - 1 ? buf.subarray(0, len) : Buffer.from(buf.subarray(0, len));
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** The first `n` bytes of a regular file (fewer if it is shorter): ELF headers, magic numbers. */
  async readHead(guestPath: string, n: number): Promise<Buffer> {
    checkPath(guestPath);
    checkCap(n, 'n');
    const w = await this.walk(guestPath, true);
    if (!w.st?.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    const fh = await this.openWalked(w, guestPath);
    try {
      const buf = Buffer.alloc(n);
      let len = 0;
      while (len < n) {
        const { bytesRead } = await fh.read(buf, len, n - len, len);
        if (bytesRead === 0) break;
        len += bytesRead;
      }
      return buf.subarray(0, len);
    } catch (e) {
      throw e instanceof JootError ? e : mapFsError(e, guestPath);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  async readText(guestPath: string, opts: { maxBytes?: number } = {}): Promise<string> {
    return (await this.readFile(guestPath, opts)).toString('utf8');
  }

  /** Lines without their LF / CRLF terminators, like guestfish read-lines. */
  async readLines(guestPath: string, opts: { maxBytes?: number } = {}): Promise<string[]> {
    return splitLines(await this.readText(guestPath, opts));
  }

  /** Entry names sorted in plain byte order (like guestfish ls), without . and .. */
  async readdir(guestPath: string): Promise<string[]> {
    checkPath(guestPath);
    const w = await this.walk(guestPath, true);
    if (w.st && !w.st.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Not a directory`);
    let names: Buffer[];
    try {
      names = await fsp.readdir(w.host, { encoding: 'buffer' });
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
    names.sort(Buffer.compare);
    return names.map((b) => b.toString('utf8'));
  }

  /** Follows the last symlink (inside the guest). */
  async stat(guestPath: string): Promise<GuestStat> {
    checkPath(guestPath);
    return toGuestStat(await this.statOf(await this.walk(guestPath, true), guestPath));
  }

  async lstat(guestPath: string): Promise<GuestStat> {
    checkPath(guestPath);
    return toGuestStat(await this.statOf(await this.walk(guestPath, false), guestPath));
  }

  /** The raw link text as stored in the guest. */
  async readlink(guestPath: string): Promise<string> {
    checkPath(guestPath);
    const w = await this.walk(guestPath, false);
    if (!w.st?.isSymbolicLink()) {
      throw new JootError('EINVAL', `${guestPath}: not a symbolic link`);
    }
    try {
      return await fsp.readlink(w.host, 'utf8');
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
  }

  /** False for missing paths, dangling links, link loops and non-directories in the
   *  middle; true otherwise. Other failures (I/O, permission) are thrown. */
  async exists(guestPath: string): Promise<boolean> {
    return (await this.tryStat(guestPath)) !== undefined;
  }

  /** A regular file, following links (guestfish is-file with followsymlinks). */
  async isFile(guestPath: string): Promise<boolean> {
    return (await this.tryStat(guestPath))?.isFile() ?? false;
  }

  /** A directory, following links. */
  async isDir(guestPath: string): Promise<boolean> {
    return (await this.tryStat(guestPath))?.isDirectory() ?? false;
  }

  private async tryStat(guestPath: string): Promise<Stats | undefined> {
    checkPath(guestPath);
    try {
      return await this.statOf(await this.walk(guestPath, true), guestPath);
    } catch (e) {
      if (e instanceof JootError && (e.code === 'ENOENT' || e.code === 'EINVAL')) return undefined;
      throw e;
    }
  }
}
