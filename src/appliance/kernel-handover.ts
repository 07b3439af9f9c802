// The userspace engine's kernel fallback met while reading: a reader that opened a filesystem
// can still meet a feature it does not read (NTFS encrypted or WOF-compressed contents, an xfs
// realtime file, a btrfs encoding, a squashfs xz filter): an EUNSUPPORTED from the reader, as
// opposed to EFORMAT for corrupt metadata. This reader serves everything from the userspace
// reader until the first such error, then hands the filesystem over to the kernel (a read-only
// mount, `kernel`) for that operation and every later one: each node remembers its path from
// its root, by which it is found again in the kernel's mount.
import { JootError } from '../core/errors.js';
import type { FileSystemReader, FsDirEntry, FsNode, FsStat, FsStatfs, FsSubvolume } from '../disk/fs/types.js';

/** A root as the caller asked for it: the btrfs subvolume (by id) the kernel mount must show. */
export interface HandoverRoot {
  subvolid?: number;
}

/**
 * The kernel's reader of the filesystem; `why`: the userspace reader's refusal. `root`: met
 * while reading, the root the kernel mount must show; absent: no reader opens the filesystem.
 */
export type KernelReader = (why: JootError, root?: HandoverRoot) => Promise<FileSystemReader>;

interface Node extends FsNode {
  /** the userspace reader's node (absent for a node found after the handover) */
  readonly inner?: FsNode;
  /** names from the root */
  readonly path: readonly string[];
  readonly root: HandoverRoot;
  /** the kernel reader's node, once looked up */
  outer?: FsNode;
}

/** Is `e` a refusal the kernel may do better at (a feature the reader does not read)? */
export function isUnsupportedRead(e: unknown): e is JootError {
  return e instanceof JootError && e.code === 'EUNSUPPORTED';
}

/** The entry of `dir` whose name is `name` but for case (the first, in the reader's order). */
async function foldedEntry(k: FileSystemReader, dir: FsNode, name: string): Promise<FsNode | undefined> {
  const want = name.toLowerCase();
  return (await k.readdir(dir)).find((e) => e.name.toLowerCase() === want)?.node;
}

/** `first`, handing over to `kernel` at its first refusal of an unsupported feature. */
export function withKernelHandover(first: FileSystemReader, kernel: KernelReader): FileSystemReader {
  /** the kernel's readers by root (one mount per btrfs subvolume asked for), once handed over */
  const mounts = new Map<string, Promise<FileSystemReader>>();
  let handedOver: JootError | undefined;
  const keyOf = (root: HandoverRoot): string => String(root.subvolid ?? 'default');
  /** The kernel's reader for `root`; its refusal (fallback off, not root) is the caller's error. */
  const kernelFor = (root: HandoverRoot, why = handedOver!): Promise<FileSystemReader> => {
    const key = keyOf(root);
    let m = mounts.get(key);
    if (!m) {
      m = kernel(why, root);
      mounts.set(key, m);
      m.catch(() => mounts.delete(key));
    }
    return m;
  };
  const outerOf = async (n: Node): Promise<FsNode> => {
    if (n.outer) return n.outer;
    const k = await kernelFor(n.root);
    let cur = await k.root();
    for (const [i, name] of n.path.entries()) {
      // a name looked up case-insensitively (NTFS, FAT) may be spelt otherwise on a
      // case-sensitive mount (ntfs-3g): then the entry that folds to it
      const next = (await k.lookup(cur, name)) ?? (first.caseInsensitive ? await foldedEntry(k, cur, name) : undefined);
      if (!next) throw new JootError('ENOENT', `${first.device}: /${n.path.slice(0, i + 1).join('/')}: not in the kernel's mount`);
      cur = next;
    }
    n.outer = cur;
    return cur;
  };
  const node = (x: FsNode): Node => x as Node;
  const child = (parent: Node, name: string, inner: FsNode | undefined, outer: FsNode | undefined): Node => ({
    ino: (inner ?? outer)!.ino,
    // the inode number's space (a btrfs subvolume), which a walk's loop check keys on too
    space: (inner ?? outer)!.space,
    inner,
    outer,
    path: [...parent.path, name],
    root: parent.root,
  });
  /** `inFirst` while the userspace reader serves, else (or at its first refusal) `inKernel`. */
  const serve = async <T>(
    n: Node,
    inFirst: (inner: FsNode) => Promise<T>,
    inKernel: (k: FileSystemReader, outer: FsNode) => Promise<T>,
  ): Promise<T> => {
    if (!handedOver && n.inner) {
      try {
        return await inFirst(n.inner);
      } catch (e) {
        if (!isUnsupportedRead(e)) throw e;
        await kernelFor(n.root, e); // refused (off, or not root): this operation fails, the reader goes on
        handedOver ??= e;
      }
    }
    return inKernel(await kernelFor(n.root), await outerOf(n));
  };

  const reader: FileSystemReader = {
    type: first.type,
    device: first.device,
    get servedBy() {
      return handedOver ? ('kernel' as const) : undefined;
    },
    // a multi-device btrfs's members not among the session's (tree-mounts.ts wants degraded)
    get missingDevices() {
      return first.missingDevices;
    },
    caseInsensitive: first.caseInsensitive,
    async root(opts) {
      const sv = opts?.subvolume;
      let root: HandoverRoot = {};
      if (typeof sv === 'number') root = { subvolid: sv };
      else if (sv !== undefined) {
        const found = ((await first.subvolumes?.()) ?? []).find((v) => v.path === sv.replace(/^\/+/, ''));
        // an unknown path: the userspace reader's own error says so
        root = found ? { subvolid: found.id } : {};
      }
      if (handedOver) {
        const k = await kernelFor(root);
        const outer = await k.root();
        return { ino: outer.ino, space: outer.space, outer, path: [], root } satisfies Node;
      }
      const inner = await first.root(opts);
      return { ino: inner.ino, space: inner.space, inner, path: [], root } satisfies Node;
    },
    stat(n): Promise<FsStat> {
      return serve(
        node(n),
        (i) => first.stat(i),
        (k, o) => k.stat(o),
      );
    },
    readdir(n): Promise<FsDirEntry[]> {
      const d = node(n);
      return serve(
        d,
        async (i) => (await first.readdir(i)).map((e) => ({ name: e.name, node: child(d, e.name, e.node, undefined) })),
        async (k, o) => (await k.readdir(o)).map((e) => ({ name: e.name, node: child(d, e.name, undefined, e.node) })),
      );
    },
    lookup(n, name) {
      const d = node(n);
      return serve(
        d,
        async (i) => {
          const x = await first.lookup(i, name);
          return x && child(d, name, x, undefined);
        },
        async (k, o) => {
          const x = await k.lookup(o, name);
          return x && child(d, name, undefined, x);
        },
      );
    },
    readlink(n, opts) {
      return serve(
        node(n),
        (i) => first.readlink(i, opts),
        (k, o) => k.readlink(o, opts),
      );
    },
    read(n, offset, length) {
      return serve(
        node(n),
        (i) => first.read(i, offset, length),
        (k, o) => k.read(o, offset, length),
      );
    },
    listXattrs(n) {
      return serve(
        node(n),
        (i) => first.listXattrs(i),
        (k, o) => k.listXattrs(o),
      );
    },
    async close() {
      await first.close();
    },
  };
  // readInto stays the userspace reader's fast path; after the handover read() serves
  if (first.readInto) {
    const into = first.readInto.bind(first);
    reader.readInto = async (n, offset, length, out, at) => {
      const x = node(n);
      if (!handedOver && x.inner) {
        try {
          return await into(x.inner, offset, length, out, at);
        } catch (e) {
          if (!isUnsupportedRead(e)) throw e;
          await kernelFor(x.root, e);
          handedOver ??= e;
        }
      }
      const b = await reader.read(n, offset, length);
      b.copy(out, at);
      return b.length;
    };
  }
  if (first.statfs) reader.statfs = (): Promise<FsStatfs> => first.statfs!();
  if (first.subvolumes) reader.subvolumes = (): Promise<FsSubvolume[]> => first.subvolumes!();
  return reader;
}
