// The differential walk for the userspace filesystem readers: the same tree read through a
// kernel mount (the oracle) and through a FileSystemReader, entry by entry — type, mode, uid,
// gid, size, mtime, symlink target, hard-link group, xattrs and a digest of the bytes of every
// regular file (sha256 of its bytes, zero chunks not hashed: contentDigest) — and a list of
// every difference. Both walks leave out the paths `skip` names (and what is below them).
//
//   await withKernelMount(image, { offset, fstype: 'ext4', options: 'noload' }, async (dir) => {
//     const want = await walkHost(dir);
//     const got = await walkReader(reader);
//     expect(diffTrees(want, got)).toEqual([]);
//   });
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readlink, rm, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/disk/fs/types.js';

const exec = promisify(execFile);

export interface TreeEntry {
  /** st_mode, type bits included */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  /** symlinks */
  target?: string;
  /** regular files: the content digest (contentDigest: sha256 of the bytes, holes not hashed) */
  sha256?: string;
  /** name → hex value */
  xattrs: Record<string, string>;
  /** hard links: the first path (in sorted order) of the group, when nlink > 1 and not a directory */
  linkGroup?: string;
  ino: number;
}

export type Tree = Map<string, TreeEntry>;

/** Fields a comparison may leave out where a filesystem or its kernel driver differs by design. */
export interface DiffOptions {
  ignore?: ('mode' | 'uid' | 'gid' | 'size' | 'mtimeNs' | 'xattrs' | 'linkGroup' | 'sha256' | 'target')[];
  /** only xattrs whose name matches (default: all) */
  xattrFilter?: (name: string) => boolean;
  /** cap the number of differences reported */
  max?: number;
}

// File contents are compared by a digest of their bytes in 1 MiB chunks: sha256 over the size,
// then for each chunk in order one tag byte and the chunk's bytes, or for a chunk of zeros the
// tag alone. Equal bytes give equal digests and any difference changes it (each chunk's length
// follows from the size), as a plain sha256 would; but the gigabytes of holes of the sparse
// fixtures are read (both sides, every byte) without being hashed: a zero test is 30 times cheaper.
const CHUNK = 1 << 20;
const ZEROS = Buffer.alloc(CHUNK);
const DATA = Buffer.from([1]);
const HOLE = Buffer.from([0]);

/** The content digest of `size` bytes, read by `chunk(offset, length)` (exactly `length` bytes). */
async function contentDigest(size: number, chunk: (offset: number, length: number) => Promise<Buffer>): Promise<string> {
  const h = createHash('sha256');
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(size));
  h.update(head);
  for (let off = 0; off < size; off += CHUNK) {
    const len = Math.min(CHUNK, size - off);
    const b = await chunk(off, len);
    if (b.length !== len) throw new Error(`short read at ${off}: ${b.length} of ${len}`);
    if (b.equals(ZEROS.subarray(0, len))) h.update(HOLE);
    else h.update(DATA).update(b);
  }
  return h.digest('hex');
}

/**
 * The content digest of a host file of `size` bytes (lstat's: the kernel is the oracle), read
 * into `buf` (one buffer per walk: a fresh megabyte per file cost more than the rest of a walk
 * of small files). An empty file is not opened (100,000 of them in btrfs-features' /many).
 */
async function hostFileHash(p: string, size: number, buf: Buffer): Promise<string> {
  if (size === 0) return contentDigest(0, async () => buf.subarray(0, 0));
  const fh = await open(p, 'r');
  try {
    return await contentDigest(size, async (offset, length) => {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    });
  } finally {
    await fh.close();
  }
}

/** Every xattr under `dir` (not following links), with one getfattr run. */
async function hostXattrs(dir: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  let text: string;
  try {
    ({ stdout: text } = await exec('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', dir], {
      maxBuffer: 256 * 1024 * 1024,
    }));
  } catch (e) {
    // getfattr exits 1 when some node has none it may read; its stdout is still complete
    text = (e as { stdout?: string }).stdout ?? '';
  }
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const rel = `/${path.relative(dir, line.slice(8))}`.replace(/^\/$/, '/');
      cur = {};
      out.set(rel === '/' ? '/' : rel, cur);
    } else if (cur && line.includes('=')) {
      const i = line.indexOf('=');
      cur[line.slice(0, i)] = line.slice(i + 1).replace(/^0x/, '');
    }
  }
  return out;
}

function groupLinks(tree: Tree, inos: Map<string, number>, nlinks: Map<string, number>): void {
  const byIno = new Map<number, string[]>();
  for (const [p, ino] of inos) {
    if ((nlinks.get(p) ?? 1) > 1) byIno.set(ino, [...(byIno.get(ino) ?? []), p]);
  }
  for (const paths of byIno.values()) {
    paths.sort();
    for (const p of paths) tree.get(p)!.linkGroup = paths[0];
  }
}

/** How many host lstats, readdirs and file reads a walk keeps in flight. */
const HOST_PARALLEL = 16;

/**
 * Runs at most `n` tasks at once; each gets a slot number (below `n`) of its own while it runs.
 * A task must not wait for another task of the same limiter (a directory's children are started
 * after its readdir's slot is given back).
 */
function limiter(n: number): <T>(task: (slot: number) => Promise<T>) => Promise<T> {
  const free = Array.from({ length: n }, (_, i) => i);
  const waiting: ((slot: number) => void)[] = [];
  return async (task) => {
    const slot = free.pop() ?? (await new Promise<number>((r) => waiting.push(r)));
    try {
      return await task(slot);
    } finally {
      const next = waiting.shift();
      if (next) next(slot);
      else free.push(slot);
    }
  };
}

/**
 * The tree under a host directory (a kernel or FUSE mount of the filesystem), as the oracle.
 * The kernel is asked about many entries at once (HOST_PARALLEL): one at a time, a walk waited
 * on each loop-device read in turn, most of its time on a loaded machine. The tree comes out in
 * the order of a one-at-a-time walk (depth first, names sorted) all the same.
 */
export async function walkHost(
  dir: string,
  opts: { xattrs?: boolean; hashes?: boolean; skip?: (rel: string) => boolean } = {},
): Promise<Tree> {
  const found = new Map<string, TreeEntry>();
  const children = new Map<string, string[]>();
  const nlinks = new Map<string, number>();
  const xattrs = opts.xattrs === false ? new Map() : await hostXattrs(dir);
  const bufs = Array.from({ length: HOST_PARALLEL }, () => Buffer.allocUnsafe(CHUNK));
  const limit = limiter(HOST_PARALLEL);
  const visit = async (rel: string): Promise<void> => {
    const host = rel === '/' ? dir : path.join(dir, rel);
    const e = await limit(async (slot) => {
      const st = await lstat(host, { bigint: true });
      const mode = Number(st.mode);
      const e: TreeEntry = {
        mode,
        uid: Number(st.uid),
        gid: Number(st.gid),
        size: Number(st.size),
        mtimeNs: st.mtimeNs,
        xattrs: xattrs.get(rel) ?? {},
        ino: Number(st.ino),
      };
      if ((mode & S_IFMT) === S_IFLNK) e.target = await readlink(host);
      if ((mode & S_IFMT) === S_IFREG && opts.hashes !== false) e.sha256 = await hostFileHash(host, e.size, bufs[slot]!);
      if ((mode & S_IFMT) !== S_IFDIR) nlinks.set(rel, Number(st.nlink));
      return e;
    });
    found.set(rel, e);
    if ((e.mode & S_IFMT) !== S_IFDIR) return;
    const names = (await limit(() => readdir(host))).sort();
    const kids = names.map((name) => (rel === '/' ? `/${name}` : `${rel}/${name}`)).filter((child) => !opts.skip?.(child));
    children.set(rel, kids);
    await Promise.all(kids.map(visit));
  };
  await visit('/');
  // the order of a one-at-a-time walk: depth first, each directory's names sorted
  const tree: Tree = new Map();
  const inos = new Map<string, number>();
  const order = (rel: string): void => {
    const e = found.get(rel)!;
    tree.set(rel, e);
    if (nlinks.has(rel)) inos.set(rel, e.ino);
    for (const child of children.get(rel) ?? []) order(child);
  };
  order('/');
  groupLinks(tree, inos, nlinks);
  return tree;
}

/** The content digest of a whole file read through a reader, in 1 MiB reads. */
export async function readerFileHash(fs: FileSystemReader, node: FsNode, size: number): Promise<string> {
  return contentDigest(size, async (offset, length) => {
    const parts: Buffer[] = [];
    for (let got = 0; got < length; ) {
      const b = await fs.read(node, offset + got, length - got);
      if (b.length === 0) throw new Error(`short read at ${offset + got} of ${size}`);
      parts.push(b);
      got += b.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  });
}

/** The same tree read through a userspace reader (from its root, or from `root`). */
export async function walkReader(
  fs: FileSystemReader,
  opts: { root?: FsNode; xattrs?: boolean; hashes?: boolean; skip?: (rel: string) => boolean } = {},
): Promise<Tree> {
  const tree: Tree = new Map();
  const inos = new Map<string, number>();
  const nlinks = new Map<string, number>();
  const visit = async (rel: string, node: FsNode): Promise<void> => {
    const st = await fs.stat(node);
    const e: TreeEntry = {
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      size: st.size,
      mtimeNs: st.mtimeNs,
      xattrs: {},
      ino: st.ino,
    };
    if (opts.xattrs !== false) {
      for (const [k, v] of await fs.listXattrs(node)) e.xattrs[k] = v.toString('hex');
    }
    if ((st.mode & S_IFMT) === S_IFLNK) e.target = await fs.readlink(node);
    if ((st.mode & S_IFMT) === S_IFREG && opts.hashes !== false) e.sha256 = await readerFileHash(fs, node, st.size);
    tree.set(rel, e);
    if ((st.mode & S_IFMT) !== S_IFDIR) {
      inos.set(rel, st.ino);
      nlinks.set(rel, st.nlink);
      return;
    }
    const entries = (await fs.readdir(node)).sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
    for (const d of entries) {
      const child = rel === '/' ? `/${d.name}` : `${rel}/${d.name}`;
      if (!opts.skip?.(child)) await visit(child, d.node);
    }
  };
  await visit('/', opts.root ?? (await fs.root()));
  groupLinks(tree, inos, nlinks);
  return tree;
}

const show = (v: unknown): string => (typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Every difference between the oracle `want` and `got`, one line each (empty: identical). */
export function diffTrees(want: Tree, got: Tree, opts: DiffOptions = {}): string[] {
  const out: string[] = [];
  const ignore = new Set(opts.ignore ?? []);
  const max = opts.max ?? 50;
  const fields = ['mode', 'uid', 'gid', 'size', 'mtimeNs', 'target', 'sha256', 'linkGroup'] as const;
  for (const [p, w] of want) {
    if (out.length >= max) break;
    const g = got.get(p);
    if (!g) {
      out.push(`${p}: missing`);
      continue;
    }
    for (const f of fields) {
      if (ignore.has(f)) continue;
      if (f === 'size' && (w.mode & S_IFMT) === S_IFDIR) continue; // directory sizes are the driver's
      if (w[f] !== g[f]) out.push(`${p}: ${f} ${show(w[f])} != ${show(g[f])}`);
    }
    if (!ignore.has('xattrs')) {
      const keep = opts.xattrFilter ?? (() => true);
      const wx = Object.entries(w.xattrs)
        .filter(([k]) => keep(k))
        .sort();
      const gx = Object.entries(g.xattrs)
        .filter(([k]) => keep(k))
        .sort();
      if (JSON.stringify(wx) !== JSON.stringify(gx)) out.push(`${p}: xattrs ${JSON.stringify(wx)} != ${JSON.stringify(gx)}`);
    }
  }
  for (const p of got.keys()) {
    if (out.length >= max) break;
    if (!want.has(p)) out.push(`${p}: extra`);
  }
  return out;
}

/**
 * Mount `image` (a byte range of it) read-only through a loop device for the duration of `fn`,
 * then unmount and detach — also when `fn` throws.
 */
export async function withKernelMount<T>(
  image: string,
  opts: { offset?: number; size?: number; fstype: string; options?: string },
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'joot-fs-oracle-'));
  const args = ['-r', '-f', '--show'];
  if (opts.offset !== undefined) args.push('-o', String(opts.offset));
  if (opts.size !== undefined) args.push('--sizelimit', String(opts.size));
  const loop = (await exec('losetup', [...args, image])).stdout.trim();
  try {
    await exec('mount', ['-t', opts.fstype, '-o', ['ro', opts.options].filter(Boolean).join(','), loop, dir]);
    try {
      return await fn(dir);
    } finally {
      await exec('umount', [dir]);
    }
  } finally {
    await exec('losetup', ['-d', loop]);
    await rm(dir, { recursive: true, force: true });
  }
}
