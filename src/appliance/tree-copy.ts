// The one symlink-safe tree copy: guest → guest (GuestWriter's cp -r / cp -a / mv across mounts)
// and host ↔ guest (copy-in, copy-out). The destination is an already resolved host path; the
// source is one too (hostSource: cp, mv, copy-in) or a guest node (copy-out: GuestFileReader's
// nodes, so it reads either engine). Below them every node is reached by name with lstat and
// opened never through a link, so a symlink is copied as a symlink (its target bytes verbatim)
// and never followed, on either side. Names are handled as bytes, so names that are not UTF-8
// are copied too.
//
// Two policies differ where an entry is in the way: `replace` (copy-in/out, as tar extracts)
// unlinks whatever non-directory is there and creates the node afresh, and a directory replaces
// a file; without it (cp) a directory onto a file is refused and a file is written in place.
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { JootError, errnoOf } from '../core/errors.js';
import type { GuestFileHandle } from './guest-node.js';
import {
  CREATE_FLAGS,
  type FsErrorWords,
  guestFsError,
  type HostPath,
  joinHost,
  lstatEntry,
  lstatOrUndefined,
  READ_FLAGS,
  WRITE_FLAGS,
} from './guest-path.js';
import { type GuestFilesystem, WalkGuard } from './walk-guard.js';

const COPY_CHUNK = 1024 * 1024;

/** What the copy needs of a source node's lstat (a host Stats is one). */
export interface CopyStat {
  /** st_dev and st_ino: which directory it is (walk-guard.ts) */
  dev: bigint | number;
  ino: bigint | number;
  mode: number;
  uid: number;
  gid: number;
  atime: Date;
  mtime: Date;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFile(): boolean;
}

/** Where a copy reads from, by node `N` (a host path, or a guest node). */
export interface CopySource<N> {
  /** A directory's entries, lstat'ed; one that vanished meanwhile is left out. */
  list(dir: N): Promise<{ name: Buffer; node: N; st: CopyStat }[]>;
  readlink(link: N): Promise<Buffer>;
  /** A regular file opened as the node seen (never through a link); anything else refused. */
  open(file: N): Promise<GuestFileHandle>;
}

/** Host paths as the source, by name with lstat and O_NOFOLLOW. */
function hostSource(t: TreeCopy<HostPath>): CopySource<HostPath> {
  const fail = (e: unknown, p: HostPath) => guestFsError(e, t.srcName(p), t.words);
  return {
    async list(dir) {
      let names: Buffer[];
      try {
        names = await fsp.readdir(dir, { encoding: 'buffer' });
      } catch (e) {
        throw fail(e, dir);
      }
      const out: { name: Buffer; node: HostPath; st: CopyStat }[] = [];
      for (const name of names) {
        const node = joinHost(dir, name);
        const shown = t.srcName(node);
        const st = await lstatEntry(node, shown, t.words, t.filesystemOf?.(shown));
        if (st) out.push({ name, node, st });
      }
      return out;
    },
    async readlink(link) {
      try {
        return await fsp.readlink(link, { encoding: 'buffer' });
      } catch (e) {
        throw fail(e, link);
      }
    },
    async open(file) {
      let fh: FileHandle;
      try {
        fh = await fsp.open(file, READ_FLAGS);
      } catch (e) {
        throw fail(e, file);
      }
      try {
        if (!(await fh.stat()).isFile()) throw new JootError('EINVAL', `${t.srcName(file)}: not a regular file`);
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw fail(e, file);
      }
      return fh;
    },
  };
}

export interface TreeCopy<N = HostPath> {
  /** How a source node / destination host path is named in messages. */
  srcName(p: N): string;
  /** Where the source nodes are read (default: host paths). */
  source?: CopySource<N>;
  dstName(p: HostPath): string;
  /** The words of host errors (guest copies and transfers say some differently). */
  words: FsErrorWords;
  /** Entries in the way are replaced as tar does (copy-in/out), not refused or written into as cp does. */
  replace: boolean;
  /** Keep the source's owner (when asked), permission bits (under `modeMask`) and times (cp -a,
   *  copy-in/out). Without it (cp, cp -r) a new node gets the source's bits less the umask. */
  keep?: { owner: boolean; modeMask: number };
  umask: number;
  /** A device node, FIFO or socket in the source: throws (cp) or warns and skips (copy-out). */
  special(srcName: string): void;
  /** Stream one file's bytes (a progress bar); a plain chunked copy without it. */
  copyBytes?(src: GuestFileHandle, dst: FileHandle, size: number, srcName: string): Promise<void>;
  /** The filesystem a source node is on, by its name (for the message of a directory loop). */
  filesystemOf?(srcName: string): GuestFilesystem | undefined;
}

/**
 * Copy `src` (lstat `st`) to `dst` (lstat `dstSt`, undefined if nothing is there) by name: links
 * as links, files streamed, directories recursively. `writeThrough`: plain cp, where `dst` was
 * already resolved through guest links, and a non-file there is refused rather than replaced.
 * `walk`: the directories this copy listed (a directory loop in the source is an error); a
 * copy's top call starts a new one.
 */
export async function copyNode<N = HostPath>(
  src: N,
  st: CopyStat,
  dst: HostPath,
  dstSt: Stats | undefined,
  t: TreeCopy<N>,
  writeThrough = false,
  walk: WalkGuard = new WalkGuard(t.filesystemOf && ((p) => t.filesystemOf!(p))),
): Promise<void> {
  const from = t.source ?? (hostSource(t as unknown as TreeCopy<HostPath>) as unknown as CopySource<N>);
  const dName = t.dstName(dst);
  const fail = (e: unknown, name: string) => guestFsError(e, name, t.words);
  const clear = async (): Promise<void> => {
    if (!dstSt) return;
    if (dstSt.isDirectory()) throw new JootError('EINVAL', `${dName}: cannot overwrite directory with non-directory`);
    try {
      await fsp.unlink(dst);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fail(e, dName);
    }
    dstSt = undefined;
  };

  if (st.isDirectory()) {
    if (dstSt && !dstSt.isDirectory()) {
      if (!t.replace) throw new JootError('EINVAL', `${dName}: cannot overwrite non-directory with directory`);
      await clear(); // a file or a link in the way: replaced, never followed
    }
    const sName = t.srcName(src);
    walk.checkDepth(sName);
    const created = !dstSt;
    if (created) {
      try {
        await fsp.mkdir(dst, { mode: 0o700 });
      } catch (e) {
        throw fail(e, dName);
      }
    }
    const entries = await from.list(src);
    if (!walk.enter(sName, st, entries.length)) entries.length = 0;
    for (const c of entries) {
      const d = joinHost(dst, c.name);
      await copyNode(c.node, c.st, d, await lstatOrUndefined(d, t.dstName(d), t.words), t, false, walk);
    }
    try {
      // dst was lstat'ed (or made) as a directory just above: chmod/utimes reach it, not a link
      if (t.keep) {
        if (t.keep.owner) await fsp.lchown(dst, st.uid, st.gid);
        await fsp.chmod(dst, st.mode & t.keep.modeMask);
        await fsp.utimes(dst, st.atime, st.mtime);
      } else if (created) {
        await fsp.chmod(dst, st.mode & 0o777 & ~t.umask);
      }
    } catch (e) {
      throw fail(e, dName);
    }
    return;
  }

  if (st.isSymbolicLink()) {
    const target = await from.readlink(src);
    await clear();
    try {
      await fsp.symlink(target, dst);
      if (t.keep) {
        if (t.keep.owner) await fsp.lchown(dst, st.uid, st.gid);
        await fsp.lutimes(dst, st.atime, st.mtime);
      }
    } catch (e) {
      throw fail(e, dName);
    }
    return;
  }

  if (!st.isFile()) {
    t.special(t.srcName(src));
    return;
  }

  if (!t.replace) {
    if (dstSt?.isDirectory()) throw new JootError('EINVAL', `${dName}: Is a directory`);
    if (dstSt && !dstSt.isFile()) {
      if (writeThrough) throw new JootError('EINVAL', `${dName}: not a regular file`);
      await clear();
    }
  }
  const sfh = await from.open(src);
  try {
    const sst = await sfh.stat();
    // a kept copy is a new file; cp writes into an existing one (its inode, owner and mode stay)
    if (t.keep) await clear();
    const dfh = await openDst(dst, t.keep ? CREATE_FLAGS : WRITE_FLAGS | fsc.O_TRUNC, t.keep ? 0o600 : st.mode & 0o777, dName, t);
    try {
      if (t.copyBytes) await t.copyBytes(sfh, dfh, sst.size, t.srcName(src));
      else await copyChunks(sfh, dfh);
      if (t.keep) {
        if (t.keep.owner) await dfh.chown(st.uid, st.gid);
        await dfh.chmod(st.mode & t.keep.modeMask);
        await dfh.utimes(st.atime, st.mtime);
      }
    } catch (e) {
      throw fail(e, dName);
    } finally {
      await dfh.close().catch(() => undefined);
    }
  } finally {
    await sfh.close().catch(() => undefined);
  }
}

/** Open the destination file by name and check that a regular file was opened. */
async function openDst<N>(dst: HostPath, flags: number, mode: number, dName: string, t: TreeCopy<N>): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(dst, flags, mode);
  } catch (e) {
    throw guestFsError(e, dName, t.words);
  }
  try {
    if (!(await fh.stat()).isFile()) throw new JootError('EINVAL', `${dName}: not a regular file`);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw guestFsError(e, dName, t.words);
  }
  return fh;
}

async function copyChunks(src: GuestFileHandle, dst: FileHandle): Promise<void> {
  const buf = Buffer.allocUnsafe(COPY_CHUNK);
  for (;;) {
    const { bytesRead } = await src.read(buf, 0, buf.length, null);
    if (bytesRead === 0) return;
    await writeAll(dst, buf.subarray(0, bytesRead));
  }
}

/** Write all of `data` at the file position (short writes continued). */
export async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await fh.write(data, off, data.length - off, null)).bytesWritten;
}
