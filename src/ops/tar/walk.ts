// tar-out's side of the guest: walk a guest directory and add every node to a TarWriter.
// The directory itself is resolved inside the guest (GuestFileReader.node); below it every node
// comes from GuestFileReader.children, lstat'ed and never followed: a symlink becomes a symlink
// member (target text verbatim), a regular file is opened as the node seen (on the kernel
// engine O_NOFOLLOW and checked to be the node lstat saw), so neither a guest link nor a race
// can make us read a host file. The same walk reads both engines. Hard links are found
// by device and inode; member names are `./…` as `tar -C DIR -cf - .` writes them. A directory
// loop ends the archive with an error (GuestWalk).
import type { GuestFileHandle, GuestFileReader, GuestNode, NodeStat } from '../../appliance/guest-files.js';
import { isDirNode, isLinkNode, nodeType } from '../../appliance/guest-files.js';
import { GuestWalk } from '../../appliance/guest-walk.js';
import { msOf } from '../../appliance/tree-reader.js';
import { JootError } from '../../core/errors.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK } from '../../disk/fs/types.js';
import { transferError } from '../transfer-ops.js';
import { escapeGlobChar } from '../guest-glob.js';
import { Progress, type ProgressStream } from '../progress.js';
import { T, type TarHeader } from './header.js';
import type { Owners } from './owners.js';
import type { TarWriter } from './writer.js';
import { anyAttrs, attrsToPax, type AttrOptions } from './xattrs.js';

const CHUNK = 256 * 1024;

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
  /**
   * The tar's sink is done with a chunk when its write resolves (a file, stdout; not a
   * compressor's pipe, which may still hold it): file data is then read into one buffer,
   * again and again, rather than a fresh one per chunk (dead buffers pile up outside V8's
   * heap until a collection: tens of MiB of peak RSS over a tree).
   */
  reuseChunks?: boolean;
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
export function devParts(rdev: number): [number, number] {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return [((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0), (lo & 0xff) | ((lo >>> 12) & 0xfff00)];
}

/** A file's data, chunk by chunk; into `reuse` (as much as it holds) when given. */
async function* fileChunks(
  fh: GuestFileHandle,
  size: number,
  progress: Progress,
  display: string,
  reuse: Buffer | undefined,
): AsyncGenerator<Buffer> {
  let left = size;
  try {
    while (left > 0) {
      const buf = reuse ? reuse.subarray(0, Math.min(reuse.length, left)) : Buffer.allocUnsafe(Math.min(CHUNK, left));
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

/** Stats.mtimeMs of a kernel lstat (Node adds seconds and nanoseconds as doubles), whole seconds as tar stores them. */
const mtimeSeconds = (st: NodeStat): number => Math.floor(msOf(st.mtimeNs) / 1000);

export async function packGuestDir(reader: GuestFileReader, guestDir: string, tar: TarWriter, opts: PackOptions): Promise<void> {
  const top = await reader.node(guestDir); // the directory itself: links followed, inside the guest
  if (!isDirNode(top.stat)) throw new JootError('EINVAL', `${guestDir}: Not a directory`);
  const guestTop = guestDir.replace(/\/+$/, '') || '/';
  const patterns = opts.excludes.map(globToRegExp);
  const links = new Map<string, Buffer>();
  const chunk = opts.reuseChunks ? Buffer.allocUnsafe(CHUNK) : undefined;
  const tree = new GuestWalk(reader);
  const display = (member: Buffer): string => {
    const rel = member
      .toString('utf8')
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    return rel === '' ? guestTop : `${guestTop === '/' ? '' : guestTop}/${rel}`;
  };

  const attrOpts = anyAttrs(opts.attrs) ? opts.attrs : undefined;
  /** Attributes of one directory's nodes at once (one getfattr on the kernel engine). */
  const attrsOf = async (nodes: readonly GuestNode[]): Promise<Map<string, Buffer>[]> =>
    attrOpts && nodes.length ? reader.attrs(nodes, opts.warn) : [];
  const paxFor = (a: Map<string, Buffer> | undefined, member: Buffer, st: NodeStat): [string, Buffer][] | undefined => {
    if (!attrOpts || !a || a.size === 0) return undefined;
    try {
      const recs = attrsToPax(a, st.mode & 0o7777, isDirNode(st), isLinkNode(st), attrOpts, opts.owners);
      return recs.length ? recs : undefined;
    } catch (e) {
      opts.warn(`${display(member)}: ${e instanceof Error ? e.message : String(e)}: not archived`);
      return undefined;
    }
  };

  const header = (member: Buffer, st: NodeStat, type: string, extra: Partial<TarHeader> = {}): TarHeader => ({
    name: member,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: 0,
    mtime: mtimeSeconds(st),
    linkname: Buffer.alloc(0),
    uname: opts.owners.user(st.uid),
    gname: opts.owners.group(st.gid),
    devmajor: 0,
    devminor: 0,
    ...extra,
  });

  const visit = async (node: GuestNode, member: Buffer, attrs: Map<string, Buffer> | undefined): Promise<void> => {
    if (opts.stopped?.()) return;
    const st = node.stat;
    const t = nodeType(st);
    if (t === S_IFDIR) {
      await tar.add(header(Buffer.concat([member, Buffer.from('/')]), st, T.dir, { extraPax: paxFor(attrs, member, st) }));
      const children: [GuestNode, Buffer][] = [];
      for (const c of await tree.children(node)) {
        const childMember = join(member, c.name);
        if (!excluded(childMember, patterns)) children.push([c.node, childMember]);
      }
      // one attribute read for the whole directory (sockets are skipped, so not asked about)
      const asked = children.filter(([n]) => nodeType(n.stat) !== S_IFSOCK);
      const got = await attrsOf(asked.map(([n]) => n));
      const attrsByNode = new Map(asked.map(([n], i) => [n, got[i]]));
      for (const [n, childMember] of children) await visit(n, childMember, attrsByNode.get(n));
      return;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await tar.add(header(member, st, T.hardlink, { linkname: first }));
        return;
      }
      links.set(key, member);
    }
    if (t === S_IFLNK) {
      const target = await reader.readlinkNode(node).catch((e: unknown) => {
        throw transferError(e, display(member));
      });
      await tar.add(header(member, st, T.symlink, { linkname: target, extraPax: paxFor(attrs, member, st) }));
      return;
    }
    if (t === S_IFCHR || t === S_IFBLK) {
      const [devmajor, devminor] = devParts(Number(st.rdev));
      await tar.add(header(member, st, t === S_IFCHR ? T.char : T.block, { devmajor, devminor, extraPax: paxFor(attrs, member, st) }));
      return;
    }
    if (t === S_IFIFO) {
      await tar.add(header(member, st, T.fifo, { extraPax: paxFor(attrs, member, st) }));
      return;
    }
    if (t !== S_IFREG) {
      opts.warn(`${display(member)}: socket ignored`);
      return;
    }
    const fh = await reader.openNode(node).catch((e: unknown) => {
      throw transferError(e, display(member));
    });
    try {
      const size = (await fh.stat()).size;
      const progress = new Progress(`tar-out ${display(member)}`, size, opts.stderr);
      await tar.add(
        header(member, st, T.file, { size, extraPax: paxFor(attrs, member, st) }),
        fileChunks(fh, size, progress, display(member), chunk),
        (missing) => opts.warn(`${display(member)}: File shrank by ${missing} bytes; padding with zeros`),
      );
    } finally {
      await fh.close().catch(() => undefined);
    }
  };

  const [topAttrs] = await attrsOf([top]);
  await visit(top, Buffer.from('.'), topAttrs);
}
