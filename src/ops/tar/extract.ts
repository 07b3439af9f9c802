// tar-in's side of the guest: unpack tar entries into a guest directory without the host's
// tar. What keeps an archive inside the guest:
//  - member names lose their leading '/' (warned once) and a member whose name or hard-link
//    target contains '..' is not extracted, as GNU tar does;
//  - the target directory is resolved inside the guest (GuestFileReader); below it every
//    component is handled by name with lstat. A directory the guest already had as a symlink
//    is followed INSIDE the guest (merged /usr: bin -> usr/bin), but a symlink that this
//    archive created is never followed: `a -> /etc` then `a/passwd` is refused (GNU tar
//    gets the same result with its delayed-symlink placeholders);
//  - the final component is never followed: an existing file, link or hard link in the
//    way is unlinked and the member created afresh (O_CREAT|O_EXCL|O_NOFOLLOW, symlink,
//    mkdir, link(2), mknod), so nothing is ever written through a link.
// Like GNU tar, a member that cannot be extracted is reported (one line) and skipped; the
// command fails at the end. Directory modes and times are set last (a read-only directory
// must not block its own members).
import type { GuestFileReader } from '../../appliance/guest-files.js';
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { JootError, errnoOf } from '../../core/errors.js';
import { run as defaultRun, type Runner } from '../../core/run.js';
import { transferError } from '../transfer-ops.js';
import { T, type TarHeader } from './header.js';
import type { Owners } from './owners.js';
import type { TarEntry } from './reader.js';
import { anyAttrs, paxToAttrs, writeAttrs, type AttrOptions } from './xattrs.js';

const O_NOCTTY = fsc.O_NOCTTY ?? 0;
const CREATE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | O_NOCTTY;

export interface ExtractOptions {
  owners: Owners;
  /** Restore owners (tar's default when run as root). */
  sameOwner: boolean;
  warn: (message: string) => void;
  /** mknod / mkfifo (tests may replace it). */
  run?: Runner;
  /** Extended attributes / SELinux labels / ACLs to restore from the archive's pax records
   *  (with the host's setfattr -h, after everything else, on the members this run made). */
  attrs?: AttrOptions;
}

/** A member that cannot be extracted: reported, skipped, counted. */
class MemberError extends Error {}

/** Host path joins on bytes (guest names need not be UTF-8). */
function join(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 1 && dir[0] === 0x2f ? Buffer.concat([dir, name]) : Buffer.concat([dir, Buffer.from('/'), name]);
}

const key = (comps: readonly Buffer[]): string => comps.map((c) => c.toString('latin1')).join('/');

/** Components of a member name, or a reason to refuse it; `abs` when a leading '/' went. */
export function memberComponents(name: Buffer): { comps: Buffer[]; abs: boolean } | { refused: string } {
  if (name.includes(0)) return { refused: 'member name contains a NUL byte' };
  const abs = name[0] === 0x2f;
  const comps: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i < name.length && name[i] !== 0x2f) continue;
    const c = name.subarray(start, i);
    start = i + 1;
    if (c.length === 0 || (c.length === 1 && c[0] === 0x2e)) continue;
    if (c.length === 2 && c[0] === 0x2e && c[1] === 0x2e) return { refused: "Member name contains '..'" };
    comps.push(c);
  }
  return { comps, abs };
}

export async function extractToGuest(
  reader: GuestFileReader,
  guestDir: string,
  entries: AsyncIterable<TarEntry>,
  opts: ExtractOptions,
): Promise<void> {
  const run = opts.run ?? defaultRun;
  const guestTop = guestDir.replace(/\/+$/, '') || '/';
  const top: Buffer = Buffer.from(await reader.resolve(guestDir));
  // verified directories by member-name prefix (latin1 key) → host path
  const dirs = new Map<string, Buffer>([['', top]]);
  // symlinks this archive made: never followed
  const made = new Set<string>();
  const dirMeta: { host: Buffer; h: TarHeader; display: string }[] = [];
  let failures = 0;
  const warned = new Set<string>();
  const warnOnce = (m: string): void => {
    if (!warned.has(m)) opts.warn(m);
    warned.add(m);
  };
  const umask = process.umask();
  const attrOpts = anyAttrs(opts.attrs) ? opts.attrs : undefined;
  // attributes to set at the end, by host path (a later member of the same name replaces an
  // earlier one), with the node they are meant for
  const pending = new Map<string, { path: Buffer; dev: number; ino: number; attrs: [string, Buffer][]; display: string }>();
  const noteAttrs = async (host: Buffer, h: TarHeader, display: string): Promise<void> => {
    if (!attrOpts) return;
    let attrs: [string, Buffer][] = [];
    try {
      attrs = paxToAttrs(h.pax ?? {}, h.type === T.dir || h.type === 'D', h.type === T.symlink, attrOpts, opts.owners);
    } catch (e) {
      opts.warn(`${display}: ${e instanceof Error ? e.message : String(e)}: not restored`);
    }
    const st = await fsp.lstat(host).catch(() => undefined);
    if (st) pending.set(host.toString('latin1'), { path: host, dev: st.dev, ino: st.ino, attrs, display });
  };

  const lstat = async (host: Buffer, display: string): Promise<Stats | undefined> => {
    try {
      return await fsp.lstat(host);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw new MemberError(transferError(e, display).message);
    }
  };
  const fail = (e: unknown, display: string, what = ''): MemberError => {
    if (e instanceof MemberError) return e;
    const msg = transferError(e, display).message;
    return new MemberError(what ? msg.replace(`${display}: `, `${display}: ${what}: `) : msg);
  };
  /** Forget cached directories at or below `k` (the entry there was replaced). */
  const forget = (k: string): void => {
    for (const d of dirs.keys()) if (d === k || d.startsWith(`${k}/`)) dirs.delete(d);
  };
  const guestPathOf = (k: string, display: string): string => {
    const s = Buffer.from(k, 'latin1').toString('utf8');
    if (Buffer.from(s, 'utf8').toString('latin1') !== k)
      throw new MemberError(`${display}: cannot resolve a non-UTF-8 path through a guest symbolic link`);
    return `${guestTop === '/' ? '' : guestTop}/${s}`;
  };

  /** The host directory for member-name components `comps` (created if `create`). */
  const dirFor = async (comps: readonly Buffer[], create: boolean, display: string): Promise<Buffer> => {
    let host: Buffer = top;
    for (let i = 0; i < comps.length; i++) {
      const k = key(comps.slice(0, i + 1));
      if (made.has(k))
        throw new MemberError(
          `${display}: refusing to extract through the symbolic link '${Buffer.from(k, 'latin1').toString('utf8')}' made by this archive`,
        );
      const cached = dirs.get(k);
      if (cached) {
        host = cached;
        continue;
      }
      const cand = join(host, comps[i]!);
      const st = await lstat(cand, display);
      if (!st) {
        if (!create) throw new MemberError(`${display}: No such file or directory`);
        try {
          await fsp.mkdir(cand, { mode: 0o777 });
        } catch (e) {
          if (errnoOf(e) !== 'EEXIST') throw fail(e, display, 'Cannot mkdir');
          const again = await lstat(cand, display);
          if (!again?.isDirectory()) throw new MemberError(`${display}: Cannot mkdir: File exists`);
        }
        host = cand;
      } else if (st.isDirectory()) {
        host = cand;
      } else if (st.isSymbolicLink()) {
        // a link the guest already had: followed, inside the guest only
        let resolved: string;
        try {
          resolved = await reader.resolve(guestPathOf(k, display));
        } catch (e) {
          throw new MemberError(`${display}: ${e instanceof Error ? e.message : String(e)}`);
        }
        const rst = await lstat(Buffer.from(resolved), display);
        if (!rst?.isDirectory()) throw new MemberError(`${display}: Cannot open: Not a directory`);
        host = Buffer.from(resolved);
      } else {
        throw new MemberError(`${display}: Cannot open: Not a directory`);
      }
      dirs.set(k, host);
    }
    return host;
  };

  /** Clear the way for a new non-directory entry at host (never following it). */
  const clear = async (host: Buffer, k: string, display: string): Promise<void> => {
    const st = await lstat(host, display);
    if (!st) return;
    try {
      if (st.isDirectory()) await fsp.rmdir(host);
      else await fsp.unlink(host);
    } catch (e) {
      if (errnoOf(e) === 'ENOTEMPTY' || errnoOf(e) === 'EEXIST')
        throw new MemberError(`${display}: Cannot create: a non-empty directory is in the way`);
      if (errnoOf(e) !== 'ENOENT') throw fail(e, display, 'Cannot unlink');
    }
    if (st.isDirectory() || st.isSymbolicLink()) forget(k);
  };

  const ownerOf = (h: TarHeader): [number, number] => [
    (h.uname ? opts.owners.uidOf(h.uname) : undefined) ?? h.uid,
    (h.gname ? opts.owners.gidOf(h.gname) : undefined) ?? h.gid,
  ];
  const modeOf = (h: TarHeader): number => (opts.sameOwner ? h.mode & 0o7777 : h.mode & 0o7777 & ~umask);
  const times = (h: TarHeader): [Date, Date] => [new Date((h.atime ?? Date.now() / 1000) * 1000), new Date(h.mtime * 1000)];

  /** Owner, mode and times of a node just made (chown first: it clears set-ID bits). */
  const finish = async (host: Buffer, h: TarHeader, display: string, isLink = false): Promise<void> => {
    try {
      if (opts.sameOwner) await fsp.lchown(host, ...ownerOf(h));
      if (!isLink) await fsp.chmod(host, modeOf(h));
      await fsp.lutimes(host, ...times(h));
    } catch (e) {
      throw fail(e, display);
    }
  };

  const extractFile = async (host: Buffer, h: TarHeader, body: AsyncIterable<Buffer>, display: string): Promise<void> => {
    let fh: FileHandle;
    try {
      fh = await fsp.open(host, CREATE_FLAGS, 0o600);
    } catch (e) {
      throw fail(e, display, 'Cannot open');
    }
    try {
      for await (const c of body) {
        let off = 0;
        while (off < c.length) {
          try {
            off += (await fh.write(c, off, c.length - off, null)).bytesWritten;
          } catch (e) {
            throw fail(e, display, 'Cannot write');
          }
        }
      }
      try {
        if (opts.sameOwner) await fh.chown(...ownerOf(h));
        await fh.chmod(modeOf(h));
        await fh.utimes(...times(h));
      } catch (e) {
        throw fail(e, display);
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  };

  const extractSpecial = async (host: Buffer, h: TarHeader, display: string): Promise<void> => {
    const p = host.toString('utf8');
    if (!Buffer.from(p, 'utf8').equals(host)) throw new MemberError(`${display}: cannot create a device node with a non-UTF-8 name`);
    const args =
      h.type === T.fifo
        ? ['mkfifo', ['-m', '0600', '--', p]]
        : ['mknod', ['-m', '0600', '--', p, h.type === T.char ? 'c' : 'b', String(h.devmajor), String(h.devminor)]];
    const r = await run(args[0] as string, args[1] as string[], { allowFailure: true });
    if (r.exitCode !== 0) {
      const why =
        r.stderr
          .trim()
          .split('\n')
          .pop()
          ?.replace(/^[^:]*: .*?: /, '') || `exit ${r.exitCode}`;
      throw new MemberError(`${display}: Cannot mknod: ${why}`);
    }
    const st = await lstat(host, display);
    const ok = h.type === T.fifo ? st?.isFIFO() : h.type === T.char ? st?.isCharacterDevice() : st?.isBlockDevice();
    if (!ok) throw new MemberError(`${display}: Cannot mknod: the node changed after it was made`);
    await finish(host, h, display);
  };

  const extractOne = async (h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> => {
    const display = h.name.toString('utf8');
    const m = memberComponents(h.name);
    if ('refused' in m) throw new MemberError(`${display}: ${m.refused}`);
    if (m.abs) warnOnce("Removing leading `/' from member names");
    const { comps } = m;
    const type = h.type === T.contiguous || h.type === T.oldFile ? T.file : h.type === 'D' ? T.dir : h.type;

    if (type === 'V') return; // volume label
    if (comps.length === 0) {
      if (type === T.dir) {
        dirMeta.push({ host: top, h, display: guestTop });
        await noteAttrs(top, h, guestTop);
      } else throw new MemberError(`${display}: not extracted: the member names the target directory`);
      return;
    }
    if (type === 'S' || type === 'M' || Object.keys(h.pax ?? {}).some((k) => k.startsWith('GNU.sparse.'))) {
      throw new MemberError(`${display}: not extracted: sparse and multi-volume members are not supported`);
    }
    const k = key(comps);
    const parent = await dirFor(comps.slice(0, -1), true, display);
    const host = join(parent, comps[comps.length - 1]!);

    switch (type) {
      case T.dir: {
        const st = await lstat(host, display);
        if (!st?.isDirectory()) {
          if (st) await clear(host, k, display);
          try {
            await fsp.mkdir(host, { mode: 0o700 });
          } catch (e) {
            throw fail(e, display, 'Cannot mkdir');
          }
        }
        made.delete(k);
        dirs.set(k, host);
        dirMeta.push({ host, h, display });
        await noteAttrs(host, h, display);
        return;
      }
      case T.symlink: {
        await clear(host, k, display);
        try {
          await fsp.symlink(h.linkname, host);
        } catch (e) {
          throw fail(e, display, 'Cannot create symlink');
        }
        made.add(k);
        await finish(host, h, display, true);
        await noteAttrs(host, h, display);
        return;
      }
      case T.hardlink: {
        const tdisplay = h.linkname.toString('utf8');
        const t = memberComponents(h.linkname);
        if ('refused' in t) throw new MemberError(`${display}: hard link target ${tdisplay}: ${t.refused}`);
        if (t.abs) warnOnce("Removing leading `/' from hard link targets");
        if (t.comps.length === 0) throw new MemberError(`${display}: Cannot hard link to the target directory`);
        const tk = key(t.comps);
        if (tk === k) return;
        const tHost = join(await dirFor(t.comps.slice(0, -1), false, display), t.comps[t.comps.length - 1]!);
        const tst = await lstat(tHost, display);
        if (!tst) throw new MemberError(`${display}: Cannot hard link to '${tdisplay}': No such file or directory`);
        if (tst.isDirectory()) throw new MemberError(`${display}: Cannot hard link to '${tdisplay}': Is a directory`);
        await clear(host, k, display);
        try {
          await fsp.link(tHost, host); // link(2) does not follow a final symlink on Linux
        } catch (e) {
          throw fail(e, display, `Cannot hard link to '${tdisplay}'`);
        }
        if (tst.isSymbolicLink() || made.has(tk)) made.add(k);
        else made.delete(k);
        pending.delete(host.toString('latin1')); // the inode's attributes come with its first member
        return;
      }
      case T.char:
      case T.block:
      case T.fifo:
        await clear(host, k, display);
        made.delete(k);
        await extractSpecial(host, h, display);
        await noteAttrs(host, h, display);
        return;
      default:
        if (type !== T.file) opts.warn(`${display}: Unknown file type '${type}', extracted as normal file`);
        await clear(host, k, display);
        made.delete(k);
        await extractFile(host, h, body, display);
        await noteAttrs(host, h, display);
    }
  };

  for await (const { header, body } of entries) {
    try {
      await extractOne(header, body);
    } catch (e) {
      if (!(e instanceof MemberError)) throw e;
      opts.warn(e.message);
      failures++;
    }
  }

  // directories last, deepest first, so their own members could be written
  for (const { host, h, display } of dirMeta.reverse()) {
    try {
      const st = await lstat(host, display);
      if (!st?.isDirectory()) continue;
      await finish(host, h, display);
    } catch (e) {
      if (!(e instanceof MemberError)) throw e;
      opts.warn(e.message);
      failures++;
    }
  }
  if (attrOpts) {
    // last, after modes (an access ACL and the mode must agree) and never through a link:
    // only nodes that are still the ones this run made, and setfattr -h
    const items: { path: Buffer; attrs: [string, Buffer][] }[] = [];
    const shown = new Map<string, string>();
    for (const p of pending.values()) {
      if (p.attrs.length === 0) continue;
      const st = await fsp.lstat(p.path).catch(() => undefined);
      if (!st || st.dev !== p.dev || st.ino !== p.ino) continue;
      items.push(p);
      shown.set(p.path.toString('utf8'), p.display);
    }
    await writeAttrs(
      items,
      (m) => {
        const c = m.indexOf(': ');
        opts.warn(c !== -1 && shown.has(m.slice(0, c)) ? `${shown.get(m.slice(0, c))}${m.slice(c)}` : m);
      },
      run,
    );
  }
  if (failures > 0) {
    throw new JootError('EIO', `${failures} member${failures === 1 ? '' : 's'} could not be extracted (see above)`);
  }
}
