// guestfish's file commands that make or change nodes beyond GuestFileWriter's own (ln, ln-f,
// mknod, mkfifo, truncate, fallocate64, utimens, mktemp). Each takes its host path from the
// writer, which resolves the parent inside the guest and refuses a read-only session; the last
// component is acted on by name (link, mknod, touch -h) or opened O_NOFOLLOW, so a guest link
// never leads out of the guest. Node has no mknod(2), fallocate(2) or utimensat(2) with
// nanoseconds, so those run mknod(1), fallocate(1) and touch(1) on the resolved host path;
// their messages are rewritten to name the guest path only.
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { JootError, errnoOf } from '../core/errors.js';
import { nodeCrypto } from '../core/lazy-node.js';
import { run } from '../core/run.js';
import type { GuestFileWriter } from './guest-files.js';
import { CREATE_FLAGS, guestFsError, lstatOrUndefined, regularFileHandle, WRITE_FLAGS } from './guest-path.js';

const O_NOCTTY = fsc.O_NOCTTY ?? 0;

/** Run a host tool on a resolved host path; a failure names the guest path, never the host one. */
async function runOn(cmd: string, args: string[], host: string, display: string): Promise<void> {
  const r = await run(cmd, args, { allowFailure: true });
  if (r.exitCode === 0) return;
  const why = (r.stderr.trim().split('\n').pop() ?? '')
    .split(host)
    .join(display)
    .replace(/^[^:]*: /, '');
  throw new JootError('EIO', `${display}: ${cmd} failed: ${why || `exit ${r.exitCode}`}`);
}

function checkSize(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new JootError('EINVAL', `${what} must be an integer between 0 and 2^53`);
  return n;
}

/** guestfish ln / ln-f: a hard link. Like link(2) a final symlink of `target` is linked itself. */
export async function hardLink(w: GuestFileWriter, target: string, linkname: string, opts: { force?: boolean } = {}): Promise<void> {
  const src = await w.hostPathForWrite(target);
  const dst = await w.hostPathForCreate(linkname);
  if (opts.force) {
    const st = await lstatOrUndefined(dst, linkname);
    if (st?.isDirectory()) throw new JootError('EINVAL', `${linkname}: Is a directory`);
    if (st) await fsp.unlink(dst).catch((e) => (errnoOf(e) === 'ENOENT' ? undefined : Promise.reject(guestFsError(e, linkname))));
  }
  try {
    await fsp.link(src, dst);
  } catch (e) {
    throw guestFsError(e, errnoOf(e) === 'EEXIST' ? linkname : target);
  }
}

const S_IFMT = 0o170000;
const NODE_TYPES: Record<number, 'p' | 'c' | 'b'> = { 0o010000: 'p', 0o020000: 'c', 0o060000: 'b' };
const S_IFSOCK = 0o140000;

/**
 * Binds a Unix socket at argv[1] (a bare name, in the working directory: a full path may pass
 * sun_path's 108 bytes) with the permission bits argv[2], and exits without closing it, so the
 * socket file stays (mknod(1) cannot make one; guestfish's mknod(2) can).
 */
const BIND_SOCKET = `const [name, perm] = process.argv.slice(1);
process.umask(0o777 & ~Number(perm));
require('node:net').createServer().on('error', (e) => { console.error(e.message); process.exit(1); }).listen(name, () => process.exit(0));`;

/**
 * guestfish mknod: `mode` carries the type (S_IFIFO, S_IFCHR, S_IFBLK, or S_IFREG for an empty
 * file) and the permission bits, which are set less `umask`.
 */
export async function makeNode(
  w: GuestFileWriter,
  mode: number,
  major: number,
  minor: number,
  guestPath: string,
  umask: number,
): Promise<void> {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o177777) throw new JootError('EINVAL', `${guestPath}: invalid mode ${mode}`);
  for (const [n, what] of [
    [major, 'devmajor'],
    [minor, 'devminor'],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 0xfffff) throw new JootError('EINVAL', `${what} must be an integer between 0 and 1048575`);
  }
  const host = await w.hostPathForCreate(guestPath);
  const perm = mode & 0o7777 & ~umask;
  if (await lstatOrUndefined(host, guestPath)) throw new JootError('EEXIST', `${guestPath}: File exists`);
  const type = mode & S_IFMT;
  if (type === 0o100000 || type === 0) {
    let fh: FileHandle;
    try {
      fh = await fsp.open(host, CREATE_FLAGS | O_NOCTTY, perm);
    } catch (e) {
      throw guestFsError(e, guestPath);
    }
    await fh.chmod(perm).finally(() => fh.close());
    return;
  }
  if (type === S_IFSOCK) {
    const r = await run(process.execPath, ['-e', BIND_SOCKET, path.basename(host), String(perm & 0o777)], {
      allowFailure: true,
      cwd: path.dirname(host),
    });
    if (r.exitCode !== 0) throw new JootError('EIO', `${guestPath}: could not make a socket: ${r.stderr.trim().split('\n').pop()}`);
    return;
  }
  const letter = NODE_TYPES[type];
  if (!letter)
    throw new JootError('EINVAL', `${guestPath}: mknod makes FIFOs, sockets, character and block devices and regular files only`);
  const numbers = letter === 'p' ? [] : [String(major), String(minor)];
  await runOn('mknod', ['-m', perm.toString(8), host, letter, ...numbers], host, guestPath);
}

/** An existing regular file, a final symlink followed inside the guest, opened for writing. */
async function openExisting(w: GuestFileWriter, guestPath: string, flags = 0): Promise<{ fh: FileHandle; host: string }> {
  const { host, exists } = await w.hostPathForUpdate(guestPath);
  if (!exists && !(flags & fsc.O_CREAT)) throw new JootError('ENOENT', `${guestPath}: No such file or directory`);
  // a guest device node or FIFO is refused before it is opened: opening one opens the host's device
  const st = exists ? await lstatOrUndefined(host, guestPath) : undefined;
  if (st && !st.isFile()) throw new JootError('EINVAL', `${guestPath}: ${st.isDirectory() ? 'Is a directory' : 'not a regular file'}`);
  let fh: FileHandle;
  try {
    fh = await fsp.open(host, (flags ? flags : fsc.O_WRONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK) | O_NOCTTY, 0o666);
  } catch (e) {
    throw guestFsError(e, guestPath);
  }
  return { fh: await regularFileHandle(fh, guestPath), host };
}

/** guestfish truncate / truncate-size: set the size of an existing file (a hole when it grows). */
export async function truncateTo(w: GuestFileWriter, guestPath: string, size: number): Promise<void> {
  checkSize(size, 'size');
  const { fh } = await openExisting(w, guestPath);
  try {
    await fh.truncate(size);
  } catch (e) {
    throw guestFsError(e, guestPath);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** guestfish fallocate64: (re)create the file holding `len` allocated zero bytes. */
export async function allocate(w: GuestFileWriter, guestPath: string, len: number): Promise<void> {
  checkSize(len, 'len');
  const { fh, host } = await openExisting(w, guestPath, WRITE_FLAGS | fsc.O_TRUNC);
  await fh.close();
  if (len === 0) return;
  // like posix_fallocate(3): where the filesystem cannot allocate, the size is still set
  const r = await run('fallocate', ['-l', String(len), host], { allowFailure: true });
  if (r.exitCode !== 0) await truncateTo(w, guestPath, len);
}

/** One timestamp of utimens: seconds and nanoseconds; nsec -1 is now, -2 leaves it as it is. */
export interface TimeSpec {
  readonly sec: number;
  readonly nsec: number;
}

function touchArgs(t: TimeSpec, flag: '-a' | '-m', display: string): string[] | undefined {
  if (t.nsec === -2) return undefined;
  if (t.nsec === -1) return [flag];
  if (!Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec > 999_999_999 || !Number.isSafeInteger(t.sec)) {
    throw new JootError('EINVAL', `${display}: invalid time ${t.sec}.${t.nsec}`);
  }
  return [flag, '-d', `@${t.sec}.${String(t.nsec).padStart(9, '0')}`];
}

/** guestfish utimens: set atime and mtime with nanoseconds; a symlink is changed itself, not followed. */
export async function setTimes(w: GuestFileWriter, guestPath: string, atime: TimeSpec, mtime: TimeSpec): Promise<void> {
  const a = touchArgs(atime, '-a', guestPath);
  const m = touchArgs(mtime, '-m', guestPath);
  const host = await w.hostPathForWrite(guestPath);
  for (const args of [a, m]) {
    if (args) await runOn('touch', ['-h', '-c', ...args, host], host, guestPath);
  }
}

const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** guestfish mktemp: create a new empty file (mode 0600) from a template ending in XXXXXX; its path. */
export async function makeTemp(w: GuestFileWriter, tmpl: string, suffix = ''): Promise<string> {
  if (!tmpl.endsWith('XXXXXX')) throw new JootError('EINVAL', `${tmpl}: the template must end in XXXXXX`);
  if (suffix.includes('/') || suffix.includes('\0')) throw new JootError('EINVAL', `${suffix}: the suffix must not hold a slash`);
  const { randomInt } = nodeCrypto();
  for (let tries = 0; tries < 100; tries++) {
    let name = tmpl.slice(0, -6);
    for (let i = 0; i < 6; i++) name += TEMP_CHARS[randomInt(TEMP_CHARS.length)];
    name += suffix;
    const host = await w.hostPathForCreate(name);
    try {
      const fh = await fsp.open(host, CREATE_FLAGS | O_NOCTTY, 0o600);
      await fh.close();
      return name;
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw guestFsError(e, tmpl);
    }
  }
  throw new JootError('EEXIST', `${tmpl}: no unused name found`);
}
