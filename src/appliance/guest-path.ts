// What every host-side guest file operation shares (GuestReader, GuestWriter, the tree copy,
// jfish's file, transfer and tar operations): guest path checks, host path joining by bytes,
// the open flags that never follow a final link, and the one translation of a host errno into
// a one-line JootError that names the guest path (never the host sysroot).
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { JootError, errnoOf, type JootErrorCode } from '../core/errors.js';
import { type GuestFilesystem, kernelLoopError, tooDeepError } from './walk-guard.js';

const O_NOCTTY = fsc.O_NOCTTY ?? 0;
/** Reading a node already resolved inside the guest: never through a final link, never blocking on a FIFO. */
export const READ_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | O_NOCTTY;
/** Writing a file by name (created if missing), never through a final link. */
export const WRITE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | O_NOCTTY;
/** Creating a new entry by name: never through a link, never into an existing inode. */
export const CREATE_FLAGS = WRITE_FLAGS | fsc.O_EXCL;

/** A host path: a string, or bytes for names that are not UTF-8. */
export type HostPath = string | Buffer;

/** errno → the JootError code and the words (strerror's) that follow "PATH: ". */
const REASONS: Record<string, [JootErrorCode, string]> = {
  ENOENT: ['ENOENT', 'No such file or directory'],
  ENOTDIR: ['EINVAL', 'Not a directory'],
  EISDIR: ['EINVAL', 'Is a directory'],
  EEXIST: ['EINVAL', 'File exists'],
  ENOTEMPTY: ['EINVAL', 'Directory not empty'],
  ENAMETOOLONG: ['EINVAL', 'File name too long'],
  EXDEV: ['EINVAL', 'Invalid cross-device link'],
  EINVAL: ['EINVAL', 'Invalid argument'],
  EBUSY: ['EBUSY', 'Device or resource busy'],
  ENOSPC: ['EIO', 'No space left on device'],
  EDQUOT: ['EIO', 'Disk quota exceeded'],
  EROFS: ['EIO', 'Read-only file system'],
  EACCES: ['EIO', 'Permission denied'],
  EPERM: ['EIO', 'Permission denied'],
  EMLINK: ['EIO', 'Too many links'],
  // opening a socket (or a FIFO without a reader) for writing
  ENXIO: ['EINVAL', 'not a regular file'],
};

/**
 * Where the same errno means different things to the user. ELOOP comes from O_NOFOLLOW meeting a
 * link (a writer: "is a symbolic link"; a reader of regular files: "not a regular file") or from
 * a real loop; EPERM is "Operation not permitted" where the user's own host files are involved
 * (transfers), "Permission denied" inside the guest; an unknown errno is shown by name, or by
 * `fallback` when there is none.
 */
export interface FsErrorWords {
  loop: string;
  fallback: string;
  eperm?: string;
}

export const READ_WORDS: FsErrorWords = { loop: 'too many levels of symbolic links', fallback: 'read error' };
export const WRITE_WORDS: FsErrorWords = { loop: 'is a symbolic link', fallback: 'write error' };
export const TRANSFER_WORDS: FsErrorWords = { loop: 'is a symbolic link', fallback: 'I/O error', eperm: 'Operation not permitted' };
export const OPEN_WORDS: FsErrorWords = { loop: 'not a regular file', fallback: 'read error' };

/** A host fs error as a one-line JootError naming `display` (a guest path, or a host path the user gave). */
export function guestFsError(e: unknown, display: string, words: FsErrorWords = WRITE_WORDS): JootError {
  if (e instanceof JootError) return e;
  const code = errnoOf(e);
  let found: [JootErrorCode, string] | undefined;
  if (code === 'ELOOP') found = ['EINVAL', words.loop];
  else if (code === 'EPERM' && words.eperm) found = ['EIO', words.eperm];
  else if (code !== undefined) found = REASONS[code];
  const [c, reason] = found ?? ['EIO', code ?? words.fallback];
  // a transfer's display may be the host side (copy-out DIR): only the others name guest paths
  return new JootError(c, `${display}: ${reason}`, words === TRANSFER_WORDS ? { cause: e } : { cause: e, guestPath: display });
}

/** The target of the symlink at `host`, to be followed inside the guest: an empty one names nothing. */
export async function linkTarget(host: string, display: string, words: FsErrorWords = WRITE_WORDS): Promise<string> {
  let target: string;
  try {
    target = await fsp.readlink(host, 'utf8');
  } catch (e) {
    throw guestFsError(e, display, words);
  }
  if (target === '') throw new JootError('ENOENT', `${display}: No such file or directory`);
  return target;
}

/** A file's lines without their LF / CRLF terminators, like guestfish read-lines (both engines' readers). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * `fh` when it holds a regular file, checked on the open handle (the name may have changed since
 * it was checked); otherwise it is closed and refused.
 */
export async function regularFileHandle(fh: FileHandle, display: string, words: FsErrorWords = WRITE_WORDS): Promise<FileHandle> {
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new JootError('EINVAL', `${display}: not a regular file`);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw guestFsError(e, display, words);
  }
  return fh;
}

/** Refuse what is not an absolute guest path (not a string, a NUL byte, relative). */
export function checkGuestPath(p: unknown): asserts p is string {
  if (typeof p !== 'string') throw new JootError('EINVAL', `${String(p)}: path must be a string`);
  if (p.includes('\0')) throw new JootError('EINVAL', `${p.replace(/\0/g, '\\0')}: path contains a NUL byte`);
  if (!p.startsWith('/')) throw new JootError('EINVAL', `${p}: path must be absolute`);
}

/** `dir/name` on the host, as bytes when either is bytes. */
export function joinHost(dir: HostPath, name: HostPath): HostPath {
  if (typeof dir === 'string' && typeof name === 'string') return dir === '/' ? `/${name}` : `${dir}/${name}`;
  const d = Buffer.isBuffer(dir) ? dir : Buffer.from(dir);
  const n = Buffer.isBuffer(name) ? name : Buffer.from(name);
  return d.length === 1 && d[0] === 0x2f ? Buffer.concat([d, n]) : Buffer.concat([d, Buffer.from('/'), n]);
}

/** lstat, or undefined when nothing is there; other failures name `display`. */
export async function lstatOrUndefined(host: HostPath, display: string, words: FsErrorWords = WRITE_WORDS): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(host);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw guestFsError(e, display, words);
  }
}

/** lstat of an entry a directory listing just named: undefined when it vanished meanwhile; ELOOP
 *  is the kernel refusing a directory loop, ENAMETOOLONG a tree nested past PATH_MAX
 *  (walk-guard.ts); `fs` is the filesystem for their messages. */
export async function lstatEntry(
  host: HostPath,
  display: string,
  words: FsErrorWords = WRITE_WORDS,
  fs?: GuestFilesystem,
): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(host);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    if (errnoOf(e) === 'ELOOP') throw kernelLoopError(display, fs);
    if (errnoOf(e) === 'ENAMETOOLONG') throw tooDeepError(display, fs);
    throw guestFsError(e, display, words);
  }
}

/** The guest path of a host path under the sysroot `root`; undefined when it is not under it. */
export function guestPathOf(root: string, host: HostPath): string | undefined {
  const h = typeof host === 'string' ? host : host.toString('utf8');
  if (h === root) return '/';
  const prefix = root === '/' ? '' : root;
  return h.startsWith(`${prefix}/`) ? h.slice(prefix.length) : undefined;
}
