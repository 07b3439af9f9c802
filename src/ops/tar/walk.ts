// tar-out's side of the guest: walk a guest directory and add every node to a TarWriter.
// The directory itself is resolved inside the guest (GuestFileReader); below it every node is
// taken by name with lstat and never followed: a symlink becomes a symlink member (target
// text verbatim), a regular file is opened O_NOFOLLOW and checked to be the node lstat saw.
// So neither a guest link nor a race can make us read a host file. Hard links are found
// by device and inode; member names are `./…` as `tar -C DIR -cf - .` writes them.
import type { GuestFileReader } from '../../appliance/guest-files.js';
import { constants as fsc, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';
import { transferError } from '../transfer-ops.js';
import { escapeGlobChar } from '../guest-glob.js';
import { Progress, type ProgressStream } from '../progress.js';
import { T, type TarHeader } from './header.js';
import type { Owners } from './owners.js';
import type { TarWriter } from './writer.js';
import { anyAttrs, attrsToPax, readAttrs, type AttrOptions } from './xattrs.js';

const READ_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK | (fsc.O_NOCTTY ?? 0);
const CHUNK = 1024 * 1024;

export interface PackOptions {
  /** GNU tar --exclude patterns (wildcards; `*` matches `/` too; unanchored). */
  excludes: readonly string[];
  owners: Owners;
  warn: (message: string) => void;
  stderr?: ProgressStream;
  /** Stop early (stdout's reader went away). */
  stopped?: () => boolean;
  /** Extended attributes / SELinux labels / ACLs to archive (read with the host's getfattr). */
  attrs?: AttrOptions;
}

/** A glob as a RegExp over latin1 strings (so pattern bytes line up with name bytes). */
export function globToRegExp(pattern: string): RegExp {
  const p = Buffer.from(pattern, 'utf8').toString('latin1');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < p.length) re += escapeGlobChar(p[++i]!);
    else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = p.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += escapeGlobChar(c);
  }
  return new RegExp(`^${re}$`, 's');
}

/** GNU tar's default for --exclude: the pattern may match the whole name or any tail of it
 *  that starts after a '/'. */
export function excluded(name: Buffer, patterns: readonly RegExp[]): boolean {
  if (patterns.length === 0) return false;
  const s = name.toString('latin1').replace(/\/+$/, '');
  const tails = [s];
  for (let i = s.indexOf('/'); i !== -1; i = s.indexOf('/', i + 1)) tails.push(s.slice(i + 1));
  return patterns.some((re) => tails.some((t) => re.test(t)));
}

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}

/** Linux's encoding of st_rdev (glibc gnu_dev_major / gnu_dev_minor). */
function devParts(rdev: number): [number, number] {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return [((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0), (lo & 0xff) | ((lo >>> 12) & 0xfff00)];
}

async function* fileChunks(fh: FileHandle, size: number, progress: Progress, display: string): AsyncGenerator<Buffer> {
  let left = size;
  try {
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, buf.length, null));
      } catch (e) {
        throw transferError(e, display);
      }
      if (n === 0) return;
      left -= n;
      progress.add(n);
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    progress.finish();
  }
}

export async function packGuestDir(reader: GuestFileReader, guestDir: string, tar: TarWriter, opts: PackOptions): Promise<void> {
  const top = await reader.resolve(guestDir); // the directory itself: links followed, inside the guest
  const guestTop = guestDir.replace(/\/+$/, '') || '/';
  const patterns = opts.excludes.map(globToRegExp);
  const links = new Map<string, Buffer>();
  const display = (member: Buffer): string => {
    const rel = member
      .toString('utf8')
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    return rel === '' ? guestTop : `${guestTop === '/' ? '' : guestTop}/${rel}`;
  };
  const lstat = async (host: Buffer | string, member: Buffer): Promise<Stats | undefined> => {
    try {
      return await fsp.lstat(host);
    } catch (e) {
      const err = transferError(e, display(member));
      if (err.code === 'ENOENT') return undefined; // vanished while we walked
      throw err;
    }
  };

  const topSt = await lstat(top, Buffer.from('.'));
  if (!topSt) throw new JootError('ENOENT', `${guestDir}: No such file or directory`);
  if (!topSt.isDirectory()) throw new JootError('EINVAL', `${guestDir}: Not a directory`);

  const attrOpts = anyAttrs(opts.attrs) ? opts.attrs : undefined;
  /** Attributes of host paths (one getfattr per directory), keyed by latin1 host path. */
  const attrsOf = async (hosts: readonly Buffer[], members: readonly Buffer[]): Promise<Map<string, Map<string, Buffer>>> => {
    if (!attrOpts || hosts.length === 0) return new Map();
    const byHost = new Map(hosts.map((h, i) => [h.toString('latin1'), members[i]!]));
    const shown = (p: Buffer): string => display(byHost.get(p.toString('latin1')) ?? p);
    const hostText = new Map(hosts.map((h, i) => [h.toString('utf8'), display(members[i]!)]));
    const warn = (m: string): void => {
      const c = m.indexOf(': ');
      opts.warn(c !== -1 && hostText.has(m.slice(0, c)) ? `${hostText.get(m.slice(0, c))}${m.slice(c)}` : m);
    };
    return readAttrs(hosts, warn, shown);
  };
  let attrMap = new Map<string, Map<string, Buffer>>();
  const paxFor = (host: Buffer, member: Buffer, st: Stats): [string, Buffer][] | undefined => {
    const a = attrOpts && attrMap.get(host.toString('latin1'));
    if (!a || a.size === 0) return undefined;
    try {
      const recs = attrsToPax(a, st.mode & 0o7777, st.isDirectory(), st.isSymbolicLink(), attrOpts, opts.owners);
      return recs.length ? recs : undefined;
    } catch (e) {
      opts.warn(`${display(member)}: ${e instanceof Error ? e.message : String(e)}: not archived`);
      return undefined;
    }
  };

  const header = (member: Buffer, st: Stats, type: string, extra: Partial<TarHeader> = {}): TarHeader => ({
    name: member,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: 0,
    mtime: Math.floor(st.mtimeMs / 1000),
    linkname: Buffer.alloc(0),
    uname: opts.owners.user(st.uid),
    gname: opts.owners.group(st.gid),
    devmajor: 0,
    devminor: 0,
    ...extra,
  });

  const visit = async (host: Buffer, member: Buffer, st: Stats): Promise<void> => {
    if (opts.stopped?.()) return;
    if (st.isDirectory()) {
      await tar.add(header(Buffer.concat([member, Buffer.from('/')]), st, T.dir, { extraPax: paxFor(host, member, st) }));
      let names: Buffer[];
      try {
        names = await fsp.readdir(host, { encoding: 'buffer' });
      } catch (e) {
        throw transferError(e, display(member));
      }
      names.sort(Buffer.compare);
      const children: [Buffer, Buffer, Stats][] = [];
      for (const n of names) {
        const childMember = join(member, n);
        if (excluded(childMember, patterns)) continue;
        const childHost = join(host, n);
        const cst = await lstat(childHost, childMember);
        if (cst) children.push([childHost, childMember, cst]);
      }
      // one getfattr for the whole directory (sockets are skipped, so not asked about)
      const asked = children.filter(([, , c]) => !c.isSocket());
      const got = await attrsOf(
        asked.map(([h]) => h),
        asked.map(([, m]) => m),
      );
      for (const [childHost, childMember, cst] of children) {
        attrMap = got;
        await visit(childHost, childMember, cst);
      }
      return;
    }
    if (st.nlink > 1) {
      const big = await fsp.lstat(host, { bigint: true }).catch(() => undefined);
      const key = big ? `${big.dev}:${big.ino}` : `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await tar.add(header(member, st, T.hardlink, { linkname: first }));
        return;
      }
      links.set(key, member);
    }
    if (st.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = await fsp.readlink(host, { encoding: 'buffer' });
      } catch (e) {
        throw transferError(e, display(member));
      }
      await tar.add(header(member, st, T.symlink, { linkname: target, extraPax: paxFor(host, member, st) }));
      return;
    }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const [devmajor, devminor] = devParts(st.rdev);
      await tar.add(
        header(member, st, st.isCharacterDevice() ? T.char : T.block, { devmajor, devminor, extraPax: paxFor(host, member, st) }),
      );
      return;
    }
    if (st.isFIFO()) {
      await tar.add(header(member, st, T.fifo, { extraPax: paxFor(host, member, st) }));
      return;
    }
    if (!st.isFile()) {
      opts.warn(`${display(member)}: socket ignored`);
      return;
    }
    let fh: FileHandle;
    try {
      fh = await fsp.open(host, READ_FLAGS);
    } catch (e) {
      throw transferError(e, display(member));
    }
    try {
      const fst = await fh.stat();
      if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev)
        throw new JootError('EIO', `${display(member)}: changed while it was read`);
      const progress = new Progress(`tar-out ${display(member)}`, fst.size, opts.stderr);
      await tar.add(
        header(member, fst, T.file, { size: fst.size, extraPax: paxFor(host, member, fst) }),
        fileChunks(fh, fst.size, progress, display(member)),
        (missing) => opts.warn(`${display(member)}: File shrank by ${missing} bytes; padding with zeros`),
      );
    } finally {
      await fh.close().catch(() => undefined);
    }
  };

  attrMap = await attrsOf([Buffer.from(top)], [Buffer.from('.')]);
  await visit(Buffer.from(top), Buffer.from('.'), topSt);
}
