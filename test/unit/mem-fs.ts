// An in-memory FileSystemReader for tests of the layers above the readers (the mount table,
// path resolution, the tree reader, the operations): a tree described as a plain object.
//
//   const fs = memFs({ etc: { hostname: 'h\n', 'os-release': { link: '../usr/lib/os-release' } } });
//
// Where a test needs more than a default file, directory or link — modes, owners, times, inode
// numbers, xattrs, FIFOs, device nodes — an entry is `memNode({ ... })`; the same memNode used
// under two names is one inode (a hard link).
import { JootError } from '../../src/core/errors.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat } from '../../src/disk/fs/types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from '../../src/disk/fs/types.js';

export interface MemNodeSpec {
  kind: 'file' | 'dir' | 'link' | 'fifo' | 'chr' | 'blk' | 'sock';
  data?: string | Buffer;
  target?: string;
  children?: MemTree;
  /** permission bits (type bits come from `kind`) */
  perm?: number;
  ino?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  size?: number;
  blocks?: number;
  mtimeNs?: bigint;
  atimeNs?: bigint;
  ctimeNs?: bigint;
  rdevMajor?: number;
  rdevMinor?: number;
  xattrs?: Record<string, string | Buffer>;
}

/** An entry described in full (see the module comment). */
export class MemNode {
  constructor(readonly spec: MemNodeSpec) {}
}
export const memNode = (spec: MemNodeSpec): MemNode => new MemNode(spec);

export type MemTree = { [name: string]: string | Buffer | { link: string } | MemNode | MemTree };

interface Inode extends FsNode {
  stat: FsStat;
  children?: Map<string, Inode>;
  data?: Buffer;
  target?: string;
  xattrs: Map<string, Buffer>;
}

const TYPE_BITS = { file: S_IFREG, dir: S_IFDIR, link: S_IFLNK, fifo: S_IFIFO, chr: S_IFCHR, blk: S_IFBLK, sock: S_IFSOCK } as const;

export function memFs(spec: MemTree | MemNode, opts: { type?: string; device?: string; caseInsensitive?: boolean } = {}): FileSystemReader {
  let next = 2;
  const made = new Map<MemNode, Inode>();
  const full = (n: MemNode): Inode => {
    const had = made.get(n);
    if (had) return had;
    const s = n.spec;
    const ino = s.ino ?? next++;
    const data = s.data === undefined ? undefined : Buffer.from(s.data);
    const children = s.kind === 'dir' ? dirChildren(s.children ?? {}) : undefined;
    const size = s.size ?? (data ? data.length : s.kind === 'link' ? Buffer.byteLength(s.target ?? '') : s.kind === 'dir' ? 4096 : 0);
    const stat: FsStat = {
      ino,
      mode: TYPE_BITS[s.kind] | (s.perm ?? (s.kind === 'link' ? 0o777 : s.kind === 'dir' ? 0o755 : 0o644)),
      nlink: s.nlink ?? (s.kind === 'dir' ? 2 : 1),
      uid: s.uid ?? 0,
      gid: s.gid ?? 0,
      size,
      mtimeNs: s.mtimeNs ?? 1_700_000_000_123_456_789n,
      ...(s.atimeNs === undefined ? {} : { atimeNs: s.atimeNs }),
      ...(s.ctimeNs === undefined ? {} : { ctimeNs: s.ctimeNs }),
      ...(s.blocks === undefined ? {} : { blocks: s.blocks }),
      ...(s.rdevMajor === undefined ? {} : { rdevMajor: s.rdevMajor, rdevMinor: s.rdevMinor ?? 0 }),
    };
    const xattrs = new Map(Object.entries(s.xattrs ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    const node: Inode = {
      ino,
      stat,
      xattrs,
      ...(data ? { data } : {}),
      ...(children ? { children } : {}),
      ...(s.kind === 'link' ? { target: s.target ?? '' } : {}),
    };
    made.set(n, node);
    return node;
  };
  const make = (s: MemTree[string]): Inode => {
    if (s instanceof MemNode) return full(s);
    const ino = next++;
    const base = { ino, nlink: 1, uid: 0, gid: 0, mtimeNs: 1_700_000_000_123_456_789n };
    if (typeof s === 'string' || Buffer.isBuffer(s)) {
      const data = Buffer.from(s);
      return { ino, data, xattrs: new Map(), stat: { ...base, mode: S_IFREG | 0o644, size: data.length } };
    }
    if ('link' in s && typeof s.link === 'string') {
      return { ino, target: s.link, xattrs: new Map(), stat: { ...base, mode: S_IFLNK | 0o777, size: Buffer.byteLength(s.link) } };
    }
    return dir(s as MemTree, ino);
  };
  const dirChildren = (s: MemTree): Map<string, Inode> => {
    const children = new Map<string, Inode>();
    for (const [k, v] of Object.entries(s)) children.set(k, make(v));
    return children;
  };
  const dir = (s: MemTree, ino = next++): Inode => {
    const children = dirChildren(s);
    return { ino, children, xattrs: new Map(), stat: { ino, nlink: 2, uid: 0, gid: 0, mtimeNs: 0n, mode: S_IFDIR | 0o755, size: 4096 } };
  };
  const root = spec instanceof MemNode ? full(spec) : dir(spec);
  const m = (n: FsNode) => n as Inode;
  const dev = opts.device ?? '/dev/sda1';
  return {
    type: opts.type ?? 'ext4',
    device: dev,
    caseInsensitive: opts.caseInsensitive ?? false,
    async root() {
      return root;
    },
    async stat(n) {
      return m(n).stat;
    },
    async readdir(n): Promise<FsDirEntry[]> {
      const c = m(n).children;
      if (!c) throw new JootError('EINVAL', 'Not a directory');
      return [...c].map(([name, node]) => ({ name, node }));
    },
    async lookup(n, name) {
      const c = m(n).children;
      if (!c) throw new JootError('EINVAL', 'Not a directory');
      if (opts.caseInsensitive) {
        for (const [k, v] of c) if (k.toLowerCase() === name.toLowerCase()) return v;
        return undefined;
      }
      return c.get(name);
    },
    async readlink(n) {
      const t = m(n).target;
      if (t === undefined) throw new JootError('EINVAL', 'not a symbolic link');
      return t;
    },
    async read(n, offset, length) {
      const d = m(n).data;
      if (!d) throw new JootError('EINVAL', 'not a regular file');
      return d.subarray(offset, offset + length);
    },
    async listXattrs(n) {
      return new Map(m(n).xattrs);
    },
    async close() {},
  };
}
