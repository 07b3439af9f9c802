// An in-memory FileSystemReader for tests of the layers above the readers (the mount table,
// path resolution, the tree reader): a tree described as a plain object.
//
//   const fs = memFs({ etc: { hostname: 'h\n', 'os-release': { link: '../usr/lib/os-release' } } });
import { JootError } from '../../src/core/errors.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat } from '../../src/disk/fs/types.js';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../src/disk/fs/types.js';

export type MemTree = { [name: string]: string | Buffer | { link: string } | MemTree };

interface MemNode extends FsNode {
  stat: FsStat;
  children?: Map<string, MemNode>;
  data?: Buffer;
  target?: string;
}

export function memFs(spec: MemTree, opts: { type?: string; device?: string; caseInsensitive?: boolean } = {}): FileSystemReader {
  let next = 2;
  const make = (s: MemTree[string]): MemNode => {
    const ino = next++;
    const base = { ino, nlink: 1, uid: 0, gid: 0, mtimeNs: 1_700_000_000_123_456_789n };
    if (typeof s === 'string' || Buffer.isBuffer(s)) {
      const data = Buffer.from(s);
      return { ino, data, stat: { ...base, mode: S_IFREG | 0o644, size: data.length } };
    }
    if ('link' in s && typeof s.link === 'string') {
      return { ino, target: s.link, stat: { ...base, mode: S_IFLNK | 0o777, size: Buffer.byteLength(s.link) } };
    }
    return dir(s as MemTree, ino);
  };
  const dir = (s: MemTree, ino = next++): MemNode => {
    const children = new Map<string, MemNode>();
    for (const [k, v] of Object.entries(s)) children.set(k, make(v));
    return { ino, children, stat: { ino, nlink: 2, uid: 0, gid: 0, mtimeNs: 0n, mode: S_IFDIR | 0o755, size: 4096 } };
  };
  const root = dir(spec);
  const m = (n: FsNode) => n as MemNode;
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
    async listXattrs() {
      return new Map();
    },
    async close() {},
  };
}
