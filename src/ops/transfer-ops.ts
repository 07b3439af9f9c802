// The work behind jfish's transfer commands (upload, download, copy-in, copy-out): host <->
// guest copies, streamed in 1 MiB chunks (no size cap, no whole-file buffer).
//
// Guest side: every guest path is resolved inside the guest (GuestFileReader / GuestFileWriter), so an
// absolute or `..` link in the guest never leads out of it; writes start with GuestFileWriter
// (hostPathForCreate / hostPathForWrite), which also refuses a read-only session. copy-out reads
// the guest by GuestFileReader's nodes (so it works on both engines), copy-in by host paths (the
// kernel engine's). Below a resolved directory, trees are walked and created by name with lstat, O_NOFOLLOW and O_EXCL:
// a symlink is copied as a symlink (its target text verbatim), never followed, on BOTH sides,
// and an existing destination entry that is in the way (a file, a link, a hard link to some
// other file) is unlinked and recreated, never written through, as tar does when extracting.
// So a guest link `x -> /etc` copied out is a link on the host, and a later copy-out of a
// directory `x` replaces that link instead of writing into the host's /etc.
//
// Error messages name guest paths (never the host sysroot) for guest nodes, and host paths as
// the user typed or resolved them for host nodes.
//
// Limitation (as GuestFileReader/GuestFileWriter): only the last component of each operation is
// race-free; the guest is offline and joot its only writer.
import type { GuestFileHandle, GuestFileReader, GuestFileWriter, GuestNode, NodeStat } from '../appliance/guest-files.js';
import { isDirNode, nodeType } from '../appliance/guest-files.js';
import { msOf } from '../appliance/tree-reader.js';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../disk/fs/types.js';
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { JootError } from '../core/errors.js';
import {
  guestFsError,
  guestPathOf,
  type HostPath,
  joinHost,
  lstatOrUndefined as lstatOr,
  TRANSFER_WORDS,
  WRITE_FLAGS,
} from '../appliance/guest-path.js';
import { copyNode, type CopySource, type CopyStat, type TreeCopy, writeAll } from '../appliance/tree-copy.js';
import { type GuestFilesystem, WalkGuard } from '../appliance/walk-guard.js';
import type { Writer } from '../core/output.js';
import { openGuestFile } from './file-ops.js';
import { Progress, type ProgressStream } from './progress.js';
import type { ByteSource } from '../disk/source.js';

const CHUNK = 1024 * 1024;
const O_NOCTTY = fsc.O_NOCTTY ?? 0;
/** upload: truncate in place (a guest file keeps its inode, mode and owner, as in guestfish). */
const TRUNC_FLAGS = WRITE_FLAGS | fsc.O_TRUNC;

/** What the transfer functions need from the session (Session has these getters). */
export interface TransferSession {
  readonly reader: GuestFileReader;
  readonly writer: GuestFileWriter;
  /** a device's bytes (download /dev/sda1); a session without devices has none */
  openDevice?(name: string): Promise<ByteSource>;
}

/** The bytes download reads: a guest file, or a whole device. */
interface DownloadSource {
  size: number;
  chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/** guestfish's Dev_or_Path: a name under /dev/ is a device of the session, anything else a guest file. */
async function openDownload(s: TransferSession, guestPath: string): Promise<DownloadSource> {
  if (guestPath.startsWith('/dev/') && s.openDevice) {
    // a device of the session; any other /dev/ name is a guest file (a guest's own /dev node)
    const dev = await s.openDevice(guestPath).catch((e: unknown) => {
      if (e instanceof JootError && e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (dev) return { size: dev.size, chunks: deviceChunks(dev), close: () => dev.close() };
  }
  const fh = await openGuestFile(s.reader, guestPath);
  try {
    return { size: (await fh.stat()).size, chunks: chunksOf(fh, guestPath), close: () => fh.close() };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

async function* deviceChunks(dev: ByteSource): AsyncGenerator<Buffer> {
  for (let off = 0; off < dev.size; off += CHUNK) yield await dev.read(off, Math.min(CHUNK, dev.size - off));
}

export interface TransferIo {
  /** `upload -` reads this. */
  stdin?: AsyncIterable<Buffer | string>;
  /** Where the progress bar goes (only if a TTY). */
  stderr?: ProgressStream;
  /** One-line warnings (skipped special files). */
  warn?: (message: string) => void;
}

/** A host fs error as a one-line JootError naming `display` (a guest path, or a host path as given). */
export function transferError(e: unknown, display: string): JootError {
  return guestFsError(e, display, TRANSFER_WORDS);
}

const lstatOrUndefined = (p: string | Buffer, display: string): Promise<Stats | undefined> => lstatOr(p, display, TRANSFER_WORDS);

function joinB(dir: Buffer, name: Buffer): Buffer {
  return joinHost(dir, name) as Buffer;
}

/** Read a file handle in fresh 1 MiB chunks. */
export async function* chunksOf(fh: GuestFileHandle, display: string): AsyncGenerator<Buffer> {
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(buf, 0, CHUNK, null));
    } catch (e) {
      throw transferError(e, display);
    }
    if (n === 0) return;
    yield n === CHUNK ? buf : buf.subarray(0, n);
  }
}

/** Pump chunks into `sink`, counting them on a progress bar. Stops early if `stop()` says so. */
async function pump(
  source: AsyncIterable<Buffer | string>,
  sink: (b: Buffer) => Promise<void>,
  progress: Progress,
  stop: () => boolean = () => false,
): Promise<void> {
  try {
    for await (const c of source) {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      if (b.length === 0) continue;
      await sink(b);
      progress.add(b.length);
      if (stop()) return;
    }
  } finally {
    progress.finish();
  }
}

/** Open an existing regular host file for reading (following host links: it is the user's). */
async function openHostFile(hostPath: string, display: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(hostPath, fsc.O_RDONLY | fsc.O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    throw transferError(e, display);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new JootError('EINVAL', `${display}: Is a directory`);
    // a FIFO or character device is streamed too (its size is unknown: no bar)
    if (st.isFIFO() || st.isCharacterDevice()) {
      await fh.close();
      fh = await fsp.open(hostPath, fsc.O_RDONLY | O_NOCTTY);
      return { fh, size: 0 };
    }
    return { fh, size: st.size };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw transferError(e, display);
  }
}

/**
 * guestfish upload: host file (or stdin for `-`) → guest file, created (0666 & umask) or
 * truncated in place. A final guest symlink is followed inside the guest (its target must
 * exist); the file finally opened is never a symlink and never outside the guest.
 */
export async function upload(s: TransferSession, local: string, guestPath: string, io: TransferIo = {}): Promise<void> {
  if (guestPath.endsWith('/')) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
  let host = await s.writer.hostPathForCreate(guestPath); // refuses a read-only session
  let st = await lstatOrUndefined(host, guestPath);
  if (st?.isSymbolicLink()) {
    host = await s.reader.resolve(guestPath); // inside the guest; throws if dangling
    st = await lstatOrUndefined(host, guestPath);
  }
  if (st?.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
  if (st && !st.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);

  let source: AsyncIterable<Buffer | string>;
  let size = 0;
  let src: FileHandle | undefined;
  if (local === '-') {
    source = io.stdin ?? process.stdin;
  } else {
    ({ fh: src, size } = await openHostFile(path.resolve(local), local));
    source = chunksOf(src, local);
  }
  try {
    let dst: FileHandle;
    try {
      dst = await fsp.open(host, TRUNC_FLAGS, 0o666);
    } catch (e) {
      throw transferError(e, guestPath);
    }
    try {
      if (!(await dst.stat()).isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
      const progress = new Progress(`upload ${guestPath}`, size, io.stderr);
      await pump(
        source,
        async (b) => {
          try {
            await writeAll(dst, b);
          } catch (e) {
            throw transferError(e, guestPath);
          }
        },
        progress,
      );
    } finally {
      await dst.close().catch(() => undefined);
    }
  } finally {
    await src?.close().catch(() => undefined);
  }
}

/**
 * guestfish download: guest file → host file (or `out` for `-`). A final guest symlink is
 * followed inside the guest; only regular files are read.
 */
export async function download(s: TransferSession, guestPath: string, local: string, out: Writer, io: TransferIo = {}): Promise<void> {
  const src = await openDownload(s, guestPath);
  try {
    await writeLocal(local, out, src.chunks, new Progress(`download ${guestPath}`, src.size, io.stderr));
  } finally {
    await src.close().catch(() => undefined);
  }
}

/**
 * The FileOut side of a command (download, base64-out, cpio-out, checksums-out): `chunks` go to
 * the host file `local`, created or truncated (the user's path: host links followed), or for
 * `-` to `out`, stopping early when its reader has gone. Callers check the guest side first (the
 * source exists, is a directory…), so such errors come before the host file is made. `text`:
 * each chunk is whole lines of guest text (names), escaped as guest text is when `out` is a
 * terminal.
 */
export async function writeLocal(
  local: string,
  out: Writer,
  chunks: AsyncIterable<Buffer>,
  progress: Progress,
  opts: { text?: boolean } = {},
): Promise<void> {
  if (local === '-') {
    await pump(
      chunks,
      (b) => (opts.text && out.escapes ? out.guestText(b.toString('utf8')) : out.write(b)),
      progress,
      () => out.closed,
    );
    return;
  }
  let dst: FileHandle;
  try {
    dst = await fsp.open(path.resolve(local), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | O_NOCTTY, 0o666);
  } catch (e) {
    throw transferError(e, local);
  }
  try {
    await pump(
      chunks,
      async (b) => {
        try {
          await writeAll(dst, b);
        } catch (e) {
          throw transferError(e, local);
        }
      },
      progress,
    );
  } finally {
    await dst.close().catch(() => undefined);
  }
}

/** A FileIn argument's bytes, opened: read `chunks` once, then close. */
export interface LocalSource {
  readonly chunks: AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/**
 * The FileIn side of a command (base64-in): the host file `local` (the user's path: host links
 * followed; a FIFO or character device is streamed) or, for `-`, `stdin`.
 */
export async function openLocal(local: string, stdin: AsyncIterable<Buffer | string> | undefined): Promise<LocalSource> {
  if (local === '-') {
    const from = stdin ?? process.stdin;
    const chunks = (async function* () {
      for await (const c of from) yield typeof c === 'string' ? Buffer.from(c) : c;
    })();
    return { chunks, close: async () => undefined };
  }
  const { fh } = await openHostFile(path.resolve(local), local);
  return { chunks: chunksOf(fh, local), close: () => fh.close().catch(() => undefined) };
}

// ------------------------------------------------------------------ trees

/** How copy-in and copy-out copy trees (tree-copy.ts): as tar extracts, entries in the way replaced. */
function transferCopy<N>(
  label: string,
  srcName: (p: N) => string,
  dstName: (p: HostPath) => string,
  modeMask: number,
  io: TransferIo,
  source?: CopySource<N>,
  filesystemOf?: (srcName: string) => GuestFilesystem | undefined,
): TreeCopy<N> {
  return {
    srcName,
    source,
    filesystemOf,
    dstName,
    words: TRANSFER_WORDS,
    replace: true,
    keep: { owner: asRoot(), modeMask },
    umask: process.umask(),
    special: (name) => (io.warn ?? (() => undefined))(`${name}: skipped: not a regular file, directory or symbolic link`),
    copyBytes: (src, dst, size, name) =>
      pump(chunksOf(src, name), (b) => writeAll(dst, b), new Progress(`${label} ${name}`, size, io.stderr)),
  };
}

/** Copy `src` (lstat `st`) to `dst` by name, whatever is there now (`walk`: the copy's directories so far). */
async function copyTo<N>(src: N, st: CopyStat, dst: Buffer, t: TreeCopy<N>, walk?: WalkGuard): Promise<void> {
  await copyNode(src, st, dst, await lstatOrUndefined(dst, t.dstName(dst)), t, false, walk);
}

/** A guest node's lstat as the copy wants it (Dates as Node's Stats round them). */
function copyStat(st: NodeStat): CopyStat {
  const t = nodeType(st);
  return {
    dev: st.dev,
    ino: st.ino,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    atime: new Date(Math.round(msOf(st.atimeNs))),
    mtime: new Date(Math.round(msOf(st.mtimeNs))),
    isDirectory: () => t === S_IFDIR,
    isSymbolicLink: () => t === S_IFLNK,
    isFile: () => t === S_IFREG,
  };
}

/** The guest's nodes as a copy's source (copy-out), on either engine. */
function guestSource(reader: GuestFileReader): CopySource<GuestNode> {
  return {
    list: async (dir) => (await reader.children(dir)).map((c) => ({ name: c.name, node: c.node, st: copyStat(c.node.stat) })),
    readlink: (link) => reader.readlinkNode(link),
    open: (file) => reader.openNode(file),
  };
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** Guest path of a host path under the sysroot `root`. */
function guestName(root: string, p: HostPath): string {
  return guestPathOf(root, p) ?? '?';
}

function within(child: string, dir: string): boolean {
  return child === dir || child.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/**
 * guestfish copy-in: each host file or directory is copied (recursively, modes, times and —
 * as root — owners kept; symlinks as links) into `remoteDir`, an existing guest directory.
 */
export async function copyIn(s: TransferSession, locals: readonly string[], remoteDir: string, io: TransferIo = {}): Promise<void> {
  await s.writer.hostPathForWrite(remoteDir); // read-only session, existence
  if (!(await s.reader.isDir(remoteDir))) throw new JootError('EINVAL', `${remoteDir}: Not a directory`);
  const root = await s.reader.resolve('/');
  const dirHost = await s.reader.resolve(remoteDir);
  const t = transferCopy<HostPath>(
    'copy-in',
    (p) => p.toString(),
    (p) => guestName(root, p),
    0o7777,
    io,
  );
  for (const local of locals) {
    const abs = path.resolve(local);
    if (abs === '/') throw new JootError('EINVAL', `${local}: cannot copy the host's root directory`);
    let st: Stats;
    try {
      // `dir/` names what a link `dir` points to, as for tar; otherwise a link is copied as a link
      st = local.endsWith('/') ? await fsp.stat(abs) : await fsp.lstat(abs);
    } catch (e) {
      throw transferError(e, local);
    }
    if (st.isDirectory()) {
      const real = await fsp.realpath(abs).catch(() => abs);
      if (within(dirHost, real)) throw new JootError('EINVAL', `${local}: cannot copy a directory into itself`);
    }
    await copyTo(Buffer.from(abs), st, joinB(Buffer.from(dirHost), Buffer.from(path.basename(abs))), t);
  }
}

/**
 * guestfish copy-out: each guest file or directory is copied (recursively) into `localDir`, an
 * existing host directory. Guest symlinks are never followed, not even a final one: they are
 * recreated as links with their target verbatim. Modes (without set-user/group-ID), times and —
 * as root — numeric owners are kept; special files are skipped with a warning.
 */
export async function copyOut(s: TransferSession, remotes: readonly string[], localDir: string, io: TransferIo = {}): Promise<void> {
  const dirAbs = path.resolve(localDir);
  try {
    if (!(await fsp.stat(dirAbs)).isDirectory()) throw new JootError('EINVAL', `${localDir}: Not a directory`);
  } catch (e) {
    throw transferError(e, localDir);
  }
  const dirReal = await fsp.realpath(dirAbs).catch(() => dirAbs);
  const t = transferCopy<GuestNode>(
    'copy-out',
    (n) => n.path,
    (p) => p.toString(),
    0o1777,
    io,
    guestSource(s.reader),
    (name) => s.reader.filesystemOf(name),
  );
  for (const remote of remotes) {
    const last = remote.replace(/\/+$/, '').split('/').pop() ?? '';
    const n = await s.reader.node(remote, { followLast: last === '' || last === '.' || last === '..' });
    if (isDirNode(n.stat) && s.reader.holdsHostDir(n, dirReal))
      throw new JootError('EINVAL', `${remote}: cannot copy a directory into itself`);
    if (n.path === '/') {
      // copy-out / DIR: the root's entries go straight into DIR (DIR itself is left as it is);
      // the root is listed through the copy's guard too, so that a link back to it is a loop
      const walk = new WalkGuard((p) => s.reader.filesystemOf(p));
      const entries = await s.reader.children(n);
      walk.enter('/', n.stat, entries.length);
      for (const c of entries) await copyTo(c.node, copyStat(c.node.stat), joinB(Buffer.from(dirAbs), c.name), t, walk);
      continue;
    }
    await copyTo(n, copyStat(n.stat), joinB(Buffer.from(dirAbs), Buffer.from(path.posix.basename(n.path))), t);
  }
}
