// Host-side writing into a guest tree mounted under a host directory (the "sysroot"),
// with guestfish file-command semantics (write, write-append, edit, touch, mkdir, mkdir-p,
// rm, rm-rf, rmdir, cp, cp-a, cp-r, mv, chmod, chown, ln-s).
//
// Every operation resolves the PARENT directory with GuestReader (so absolute and `..`
// symlinks resolve inside the guest) and then acts on the last component by name, never
// following it on the host: files are opened with O_NOFOLLOW, and mkdir / rename /
// unlink / symlink / lchown take the resolved parent + name. Where guestfish follows a
// final symlink (write, cp, edit), the link target is re-resolved inside the guest, one
// hop at a time, before the final O_NOFOLLOW open; a guest link can therefore never
// redirect a write out of the sysroot.
//
// Error messages name the guest path only; the host sysroot never appears in a message.
//
// Limitations (shared with GuestReader): Node has no openat2/RESOLVE_IN_ROOT and no
// fchmodat/O_PATH, so only the last component of an open is race-free; a directory swapped
// for a symlink between resolution and use could redirect an operation. The guest is
// offline and joot is the only writer, so the guest cannot race us.

import { constants as fsc, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { nodeCrypto } from '../core/lazy-node.js';
import path from 'node:path';
import { JootError, errnoOf } from '../core/errors.js';
import type { GuestReader } from './guest-reader.js';
import {
  checkGuestPath as checkPath,
  guestFsError,
  guestPathOf,
  type HostPath,
  joinHost,
  linkTarget,
  lstatEntry,
  lstatOrUndefined,
  regularFileHandle,
  WRITE_FLAGS,
  WRITE_WORDS,
} from './guest-path.js';
import { MAX_SYMLINK_HOPS } from '../disk/fs/guest-path-parts.js';
import { copyNode, type TreeCopy, writeAll } from './tree-copy.js';
import { WalkGuard } from './walk-guard.js';

export interface WriterOptions {
  /** Refuse every operation with EPERM. */
  readonly?: boolean;
}

/** A host fs error as a JootError naming only the guest path. */
const mapFsError = (e: unknown, guestPath: string): JootError => guestFsError(e, guestPath);

/** Messages produced while resolving a link target name that target; rename them. */
function redisplay(e: unknown, shown: string, display: string): unknown {
  if (e instanceof JootError && shown !== display && e.message.startsWith(`${shown}:`)) {
    return new JootError(e.code, display + e.message.slice(shown.length), { cause: e });
  }
  return e;
}

function checkMode(mode: unknown, what = 'mode'): number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new JootError('EINVAL', `${what} must be an integer between 0 and 07777`);
  }
  return mode;
}

/** uid/gid: -1 means "leave unchanged" (like chown(2)). */
function checkId(id: unknown, what: string): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < -1 || id > 0xfffffffe) {
    throw new JootError('EINVAL', `${what} must be an integer between -1 and 4294967294`);
  }
  return id;
}

function lastName(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1);
}

interface Final {
  /** host path of the final node (existing or to be created) */
  host: string;
  /** its lstat; undefined when it does not exist (never a symlink) */
  st: Stats | undefined;
}

export class GuestWriter {
  private readonly reader: GuestReader;
  private readonly root: string;
  private readonly readonly: boolean;
  private rootChecked: Promise<void> | undefined;

  constructor(reader: GuestReader, root: string, opts: WriterOptions = {}) {
    if (typeof root !== 'string' || !path.isAbsolute(root) || root.includes('\0')) {
      throw new JootError('EINVAL', 'guest root must be an absolute host path');
    }
    this.reader = reader;
    this.root = path.resolve(root);
    this.readonly = opts.readonly === true;
  }

  get isReadonly(): boolean {
    return this.readonly;
  }

  // ---------------------------------------------------------------- helpers

  /** Refuse in read-only sessions; check the path; check once that reader and writer
   *  share the same root (the guest path <-> host path mapping below relies on it). */
  private async begin(...paths: string[]): Promise<void> {
    for (const p of paths) checkPath(p);
    if (this.readonly) throw new JootError('EPERM', `${paths[0]}: the session is read-only`);
    this.rootChecked ??= this.reader.resolve('/').then((r) => {
      if (r !== this.root) throw new JootError('EINVAL', 'GuestWriter: reader and writer roots differ');
    });
    await this.rootChecked;
  }

  /** Canonical guest path of a host path produced by resolution (always under root). */
  private guestOf(host: HostPath): string {
    const g = guestPathOf(this.root, host);
    if (g === undefined) throw new JootError('EINVAL', 'internal: path outside the guest');
    return g;
  }

  /** Resolve the parent of `p` inside the guest; the last component is not followed. */
  private async parentOf(p: string, display: string = p): Promise<{ host: string; name: string; st: Stats | undefined }> {
    let r: { dir: string; name: string };
    try {
      r = await this.reader.resolveParent(p);
    } catch (e) {
      throw redisplay(e, p, display);
    }
    return { host: r.dir, name: r.name, st: await lstatOrUndefined(r.dir, display) };
  }

  /**
   * Resolve `p` for writing a file, following a final symlink inside the guest (one hop
   * at a time, each target re-resolved from the guest root or the link's directory), like
   * open(2) in a chroot. Returns the host path of the final non-link node and its lstat.
   */
  private async resolveFinal(p: string, display: string = p): Promise<Final> {
    let cur = p;
    for (let hops = 0; ; ) {
      if (cur.endsWith('/')) {
        // open("x/", O_CREAT) fails: ENOTDIR for an existing non-directory, else EISDIR
        const trimmed = cur.replace(/\/+$/, '') || '/';
        let notDir = false;
        try {
          notDir = !(await this.reader.stat(trimmed)).isDirectory;
        } catch (e) {
          if (!(e instanceof JootError && (e.code === 'ENOENT' || e.code === 'EINVAL'))) throw redisplay(e, trimmed, display);
        }
        throw new JootError('EINVAL', `${display}: ${notDir ? 'Not a directory' : 'Is a directory'}`);
      }
      const { host, st } = await this.parentOf(cur, display);
      if (!st?.isSymbolicLink()) return { host, st };
      if (++hops > MAX_SYMLINK_HOPS) throw new JootError('EINVAL', `${display}: too many levels of symbolic links`);
      const target = await linkTarget(host, display);
      if (target.startsWith('/')) {
        cur = target;
      } else {
        const parent = this.guestOf(path.posix.dirname(host));
        cur = `${parent === '/' ? '' : parent}/${target}`;
      }
    }
  }

  /** If `dst` (following links inside the guest) is an existing directory, the host path of
   *  `dst/name`; otherwise undefined. */
  private async intoDir(dst: string, name: string): Promise<string | undefined> {
    if (!(await this.reader.isDir(dst))) return undefined;
    const dir = await this.reader.resolve(dst);
    return joinHost(dir, name) as string;
  }

  private async openForWrite(host: HostPath, flags: number, mode: number, display: string): Promise<FileHandle> {
    let fh: FileHandle;
    try {
      fh = await fsp.open(host, flags, mode);
    } catch (e) {
      throw mapFsError(e, display);
    }
    return regularFileHandle(fh, display);
  }

  private static toBuffer(data: Buffer | string | Uint8Array): Buffer {
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (Buffer.isBuffer(data)) return data;
    if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    throw new JootError('EINVAL', 'data must be a Buffer or a string');
  }

  // ---------------------------------------------------------------- operations

  /**
   * guestfish write / write-append. A final symlink is followed inside the guest (like
   * open(2) in the appliance); the file finally opened is never a symlink (O_NOFOLLOW).
   * `mode` applies only when the file is created (default 0666 & umask).
   */
  async write(guestPath: string, data: Buffer | string, opts: { append?: boolean; mode?: number } = {}): Promise<void> {
    await this.begin(guestPath);
    const buf = GuestWriter.toBuffer(data);
    const mode = opts.mode === undefined ? undefined : checkMode(opts.mode);
    const { host, st } = await this.resolveFinal(guestPath);
    if (st?.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
    if (st && !st.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    const flags = WRITE_FLAGS | (opts.append ? fsc.O_APPEND : fsc.O_TRUNC);
    const fh = await this.openForWrite(host, flags, mode ?? 0o666, guestPath);
    try {
      if (!st && mode !== undefined) await fh.chmod(mode);
      await writeAll(fh, buf);
    } catch (e) {
      throw mapFsError(e, guestPath);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /**
   * Replace a file atomically (edit, fstab rewrite): temp file in the same directory,
   * fsync, rename over the target, fsync the directory. A final symlink is followed inside
   * the guest, so the link is kept and its target replaced. Mode, owner and group of the
   * replaced file are kept unless given; a new file gets 0644 (or `mode`) and root:root
   * (or `uid`/`gid`). The temp file is removed on failure. Extended attributes (e.g.
   * security.selinux) of the replaced file are not carried over: `beforeRename` can.
   */
  async writeAtomic(
    guestPath: string,
    data: Buffer | string,
    opts: {
      mode?: number;
      uid?: number;
      gid?: number;
      /** runs on the complete temp file just before the rename (e.g. to copy an SELinux label) */
      beforeRename?: (tmpHostPath: string) => Promise<void>;
    } = {},
  ): Promise<void> {
    await this.begin(guestPath);
    const buf = GuestWriter.toBuffer(data);
    const mode = opts.mode === undefined ? undefined : checkMode(opts.mode);
    const uid = opts.uid === undefined ? undefined : checkId(opts.uid, 'uid');
    const gid = opts.gid === undefined ? undefined : checkId(opts.gid, 'gid');
    const { host, st } = await this.resolveFinal(guestPath);
    if (st?.isDirectory()) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
    if (st && !st.isFile()) throw new JootError('EINVAL', `${guestPath}: not a regular file`);
    const dir = path.posix.dirname(host);
    const name = path.posix.basename(host);
    const finalMode = mode ?? (st ? st.mode & 0o7777 : 0o644);
    const finalUid = uid ?? (st ? st.uid : 0);
    const finalGid = gid ?? (st ? st.gid : 0);

    let tmp: string | undefined;
    let fh: FileHandle | undefined;
    for (let i = 0; i < 10 && !fh; i++) {
      const t = joinHost(dir, `.${name.slice(0, 200)}.joot-${nodeCrypto().randomBytes(6).toString('hex')}`) as string;
      try {
        fh = await fsp.open(t, WRITE_FLAGS | fsc.O_EXCL, 0o600);
        tmp = t;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw mapFsError(e, guestPath);
      }
    }
    if (!fh || tmp === undefined) throw new JootError('EIO', `${guestPath}: could not create a temporary file`);
    try {
      try {
        await writeAll(fh, buf);
        // chown first: it clears setuid/setgid bits, which chmod then restores
        await fh.chown(finalUid, finalGid);
        await fh.chmod(finalMode);
        await fh.sync();
      } finally {
        await fh.close().catch(() => undefined);
      }
      await opts.beforeRename?.(tmp);
      await fsp.rename(tmp, host);
      tmp = undefined;
    } catch (e) {
      if (tmp !== undefined) await fsp.unlink(tmp).catch(() => undefined);
      throw mapFsError(e, guestPath);
    }
    await this.syncDir(dir);
  }

  private async syncDir(dir: string): Promise<void> {
    let dh: FileHandle | undefined;
    try {
      dh = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
      await dh.sync();
    } catch {
      // best effort: some file systems refuse fsync on directories
    } finally {
      await dh?.close().catch(() => undefined);
    }
  }

  /**
   * guestfish touch: create an empty file or update the times of an existing one. Like
   * the libguestfs daemon, only regular files are accepted; a final symlink is refused
   * rather than followed.
   */
  async touch(guestPath: string): Promise<void> {
    await this.begin(guestPath);
    if (guestPath.endsWith('/')) {
      const isDir = await this.reader.isDir(guestPath);
      throw new JootError('EINVAL', `${guestPath}: ${isDir ? 'touch can only be used on regular files' : 'Not a directory'}`);
    }
    const { host, st } = await this.parentOf(guestPath);
    if (st && !st.isFile()) throw new JootError('EINVAL', `${guestPath}: touch can only be used on regular files`);
    const fh = await this.openForWrite(host, WRITE_FLAGS, 0o666, guestPath);
    try {
      const now = new Date();
      await fh.utimes(now, now);
    } catch (e) {
      throw mapFsError(e, guestPath);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  /** guestfish mkdir / mkdir-mode / mkdir-p. `mode` (default 0777) is masked by the umask. */
  async mkdir(guestPath: string, opts: { parents?: boolean; mode?: number } = {}): Promise<void> {
    await this.begin(guestPath);
    const mode = checkMode(opts.mode ?? 0o777);
    if (!opts.parents) {
      const { host } = await this.parentOf(guestPath);
      try {
        await fsp.mkdir(host, { mode });
      } catch (e) {
        throw mapFsError(e, guestPath);
      }
      return;
    }
    // mkdir -p: create each missing component; existing ones (links to directories
    // included, resolved inside the guest) must be directories.
    const parts = guestPath.split('/').filter((c) => c !== '');
    let prefix = '';
    for (const c of parts) {
      prefix += `/${c}`;
      if (c === '.' || c === '..') continue;
      const { host, st } = await this.parentOf(prefix, guestPath);
      if (st) {
        if (st.isDirectory()) continue;
        if (st.isSymbolicLink() && (await this.reader.isDir(prefix))) continue;
        throw new JootError('EINVAL', `${guestPath}: ${prefix === guestPath.replace(/\/+$/, '') ? 'File exists' : 'Not a directory'}`);
      }
      try {
        await fsp.mkdir(host, { mode });
      } catch (e) {
        if (errnoOf(e) === 'EEXIST' && (await this.reader.isDir(prefix))) continue;
        throw mapFsError(e, guestPath);
      }
    }
  }

  /**
   * guestfish rm / rm-f / rm-rf. Without `recursive` a directory is refused. The last
   * component is never followed: a symlink is removed, not its target; recursive removal
   * removes links found inside the tree without descending into them.
   */
  async rm(guestPath: string, opts: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    await this.begin(guestPath);
    let host: string;
    let st: Stats | undefined;
    try {
      ({ host, st } = await this.parentOf(guestPath));
    } catch (e) {
      if (opts.force && e instanceof JootError && e.code === 'ENOENT') return;
      throw e;
    }
    if (!st) {
      if (opts.force) return;
      throw new JootError('ENOENT', `${guestPath}: No such file or directory`);
    }
    try {
      if (st.isDirectory()) {
        if (!opts.recursive) throw new JootError('EINVAL', `${guestPath}: Is a directory`);
        await this.removeTree(host, guestPath);
      } else {
        await fsp.unlink(host);
      }
    } catch (e) {
      if (opts.force && errnoOf(e) === 'ENOENT') return;
      throw mapFsError(e, guestPath);
    }
  }

  /** Depth-first removal by lstat: symlinks are unlinked, never descended into. Names
   *  are handled as bytes so non-UTF-8 guest names are removed too. A directory loop is an
   *  error (walk-guard.ts), met before anything below the looping directory is removed. */
  private async removeTree(
    host: HostPath,
    display: string,
    st?: Stats,
    walk = new WalkGuard((p) => this.reader.filesystemOf(p)),
  ): Promise<void> {
    const at = this.guestOf(host); // canonical, as the guard compares paths
    walk.checkDepth(at);
    let names: Buffer[];
    try {
      names = await fsp.readdir(host, { encoding: 'buffer' });
      st ??= await fsp.lstat(host);
    } catch (e) {
      throw mapFsError(e, display);
    }
    walk.enter(at, st, names.length);
    for (const n of names) {
      const child = joinHost(host, n);
      const childDisplay = this.guestOf(child);
      const cst = await lstatEntry(child, childDisplay, undefined, this.reader.filesystemOf(childDisplay));
      if (!cst) continue;
      try {
        if (cst.isDirectory()) await this.removeTree(child, childDisplay, cst, walk);
        else await fsp.unlink(child);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw mapFsError(e, childDisplay);
      }
    }
    try {
      await fsp.rmdir(host);
    } catch (e) {
      throw mapFsError(e, display);
    }
  }

  /** guestfish rmdir: an empty directory; a symlink is refused (Not a directory). */
  async rmdir(guestPath: string): Promise<void> {
    await this.begin(guestPath);
    const { host } = await this.parentOf(guestPath);
    try {
      await fsp.rmdir(host);
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
  }

  /**
   * guestfish cp (plain), cp-r (`recursive`: cp -rP) and cp-a (`archive`: cp -a).
   * If `dst` is an existing directory (links followed inside the guest) the copy goes to
   * `dst/basename(src)`. Plain cp follows a final symlink of `src` inside the guest and
   * writes through a final symlink of `dst` inside the guest; recursive and archive copies
   * copy symlinks as links (target text verbatim) and replace, never follow, existing
   * destination entries that are not directories. Archive keeps mode, owner and times.
   * Device nodes, FIFOs and sockets are refused (EUNSUPPORTED). Hard links are not kept.
   */
  async cp(src: string, dst: string, opts: { archive?: boolean; recursive?: boolean } = {}): Promise<void> {
    await this.begin(dst, src);
    const archive = opts.archive === true;
    await this.copyInto(src, dst, this.treeCopy(archive, archive || opts.recursive === true));
  }

  private async copyInto(src: string, dst: string, copts: TreeCopy & { recursive: boolean }): Promise<void> {
    const last = lastName(src);
    const srcHost =
      copts.recursive && last !== '' && last !== '.' && last !== '..' ? (await this.parentOf(src)).host : await this.reader.resolve(src);
    const srcSt = await lstatOrUndefined(srcHost, src);
    if (!srcSt) throw new JootError('ENOENT', `${src}: No such file or directory`);
    if (srcSt.isDirectory() && !copts.recursive) throw new JootError('EINVAL', `${src}: Is a directory`);

    if (srcHost === this.root) throw new JootError('EINVAL', `${src}: cannot copy a directory into itself`);
    const inside = await this.intoDir(dst, path.posix.basename(srcHost));
    let dstHost: string;
    let dstSt: Stats | undefined;
    if (copts.recursive) {
      // cp -r / cp -a: the destination entry itself is never followed
      if (inside) ({ host: dstHost, st: dstSt } = { host: inside, st: await lstatOrUndefined(inside, dst) });
      else ({ host: dstHost, st: dstSt } = await this.parentOf(dst));
    } else {
      // plain cp writes through a final destination link, resolved inside the guest
      ({ host: dstHost, st: dstSt } = await this.resolveFinal(inside ? this.guestOf(inside) : dst, dst));
    }
    if (dstSt && dstSt.dev === srcSt.dev && dstSt.ino === srcSt.ino) {
      throw new JootError('EINVAL', `${src}: '${src}' and '${dst}' are the same file`);
    }
    if (srcSt.isDirectory() && (dstHost === srcHost || dstHost.startsWith(`${srcHost}/`))) {
      throw new JootError('EINVAL', `${src}: cannot copy a directory into itself`);
    }
    await copyNode(srcHost, srcSt, dstHost, dstSt, copts, !copts.recursive);
  }

  /** How cp (-r: `recursive`, -a: `archive`) copies inside the guest (tree-copy.ts). */
  private treeCopy(archive: boolean, recursive: boolean): TreeCopy & { recursive: boolean } {
    return {
      recursive,
      filesystemOf: (name) => this.reader.filesystemOf(name),
      srcName: (p) => this.guestOf(p),
      dstName: (p) => this.guestOf(p),
      words: WRITE_WORDS,
      replace: false,
      keep: archive ? { owner: true, modeMask: 0o7777 } : undefined,
      umask: process.umask(),
      special: (name) => {
        throw new JootError(recursive ? 'EUNSUPPORTED' : 'EINVAL', `${name}: cannot copy a special file (device, FIFO or socket)`);
      },
    };
  }

  /**
   * guestfish mv. The last component of `src` is not followed (a link is moved as a link).
   * If `dst` is an existing directory (links followed inside the guest) the entry goes to
   * `dst/basename(src)`; otherwise `dst` is replaced (rename(2) never follows it). Across
   * mounts the move becomes an archive copy followed by recursive removal.
   */
  async mv(src: string, dst: string): Promise<void> {
    await this.begin(src, dst);
    const s = await this.parentOf(src);
    if (!s.st) throw new JootError('ENOENT', `${src}: No such file or directory`);
    const d = (await this.intoDir(dst, s.name)) ?? (await this.parentOf(dst)).host;
    if (d === s.host) return;
    if (s.st.isDirectory() && d.startsWith(`${s.host}/`)) {
      throw new JootError('EINVAL', `${src}: cannot move a directory into itself`);
    }
    try {
      await fsp.rename(s.host, d);
      return;
    } catch (e) {
      if (errnoOf(e) !== 'EXDEV') throw mapFsError(e, errnoOf(e) === 'ENOENT' ? src : dst);
    }
    const dSt = await lstatOrUndefined(d, dst);
    if (dSt?.isDirectory() && s.st.isDirectory()) {
      const left = await fsp.readdir(d).catch(() => []);
      if (left.length > 0) throw new JootError('EINVAL', `${dst}: Directory not empty`);
    }
    await copyNode(s.host, s.st, d, dSt, this.treeCopy(true, true));
    try {
      if (s.st.isDirectory()) await this.removeTree(s.host, src);
      else await fsp.unlink(s.host);
    } catch (e) {
      throw mapFsError(e, src);
    }
  }

  /**
   * guestfish chmod. Like chmod(2) a final symlink is followed — inside the guest — since
   * Linux cannot change a link's own mode. The node finally changed is not a symlink.
   */
  async chmod(mode: number, guestPath: string): Promise<void> {
    await this.begin(guestPath);
    const m = checkMode(mode);
    const host = await this.reader.resolve(guestPath);
    const st = await lstatOrUndefined(host, guestPath);
    if (!st) throw new JootError('ENOENT', `${guestPath}: No such file or directory`);
    if (st.isSymbolicLink()) throw new JootError('EINVAL', `${guestPath}: is a symbolic link`);
    try {
      await fsp.chmod(host, m);
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
  }

  /**
   * chown on the last component without following it (lchown): a symlink gets the new
   * owner itself. `follow: true` gives chown(2) semantics (guestfish chown), following a
   * final symlink inside the guest. -1 leaves uid or gid unchanged.
   */
  async chown(uid: number, gid: number, guestPath: string, opts: { follow?: boolean } = {}): Promise<void> {
    await this.begin(guestPath);
    const u = checkId(uid, 'uid');
    const g = checkId(gid, 'gid');
    let host: string;
    if (opts.follow) {
      host = await this.reader.resolve(guestPath);
    } else if ((await this.guestRootName(guestPath)) !== undefined) {
      host = this.root;
    } else {
      host = (await this.parentOf(guestPath)).host;
    }
    try {
      await fsp.lchown(host, u, g);
    } catch (e) {
      throw mapFsError(e, guestPath);
    }
  }

  /** '/' for paths that are the root itself ('/', '//', '/.', '/..'), else undefined. */
  private async guestRootName(guestPath: string): Promise<string | undefined> {
    const last = lastName(guestPath);
    if (last === '' || last === '.' || last === '..') {
      return (await this.reader.resolve(guestPath)) === this.root ? '/' : undefined;
    }
    return undefined;
  }

  /** guestfish ln-s / ln-sf: the target text is stored verbatim (guest data). `force`
   *  replaces an existing non-directory entry at `linkpath`. */
  async symlink(target: string, linkpath: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.begin(linkpath);
    if (typeof target !== 'string' || target === '' || target.includes('\0')) {
      throw new JootError('EINVAL', `${linkpath}: invalid symlink target`);
    }
    const { host, st } = await this.parentOf(linkpath);
    if (st && opts.force) {
      if (st.isDirectory()) throw new JootError('EINVAL', `${linkpath}: Is a directory`);
      try {
        await fsp.unlink(host);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw mapFsError(e, linkpath);
      }
    }
    try {
      await fsp.symlink(target, host);
    } catch (e) {
      throw mapFsError(e, linkpath);
    }
  }

  /**
   * For upload / tar-in: the host path of an existing guest file or directory, parent
   * resolved inside the guest, a final symlink NOT followed (the link itself is returned).
   * Paths naming the root or ending in '.'/'..' resolve fully.
   */
  async hostPathForWrite(guestPath: string): Promise<string> {
    await this.begin(guestPath);
    const last = lastName(guestPath);
    if (last === '' || last === '.' || last === '..') return this.reader.resolve(guestPath);
    const { host, st } = await this.parentOf(guestPath);
    if (!st) throw new JootError('ENOENT', `${guestPath}: No such file or directory`);
    return host;
  }

  /** For truncate, utimens and fallocate64: the host path of an existing node, a final symlink
   *  followed inside the guest (one hop at a time); the path returned is never a symlink. */
  async hostPathForUpdate(guestPath: string): Promise<{ host: string; exists: boolean }> {
    await this.begin(guestPath);
    const { host, st } = await this.resolveFinal(guestPath);
    return { host, exists: st !== undefined };
  }

  /** Host path for creating `guestPath` (need not exist): parent resolved inside the guest,
   *  last component not followed. For upload of a new file. */
  async hostPathForCreate(guestPath: string): Promise<string> {
    await this.begin(guestPath);
    return (await this.parentOf(guestPath)).host;
  }
}
