// Reading helpers for jfish's file commands that need more than GuestFileReader offers: streaming
// reads (head, tail, checksum: no size cap), full stat records, ls -la listings, find. Every
// path is resolved inside the guest by GuestFileReader first; what is then opened or lstat'ed on
// the host is the already-resolved node, never followed again (O_NOFOLLOW / lstat). Error
// messages name guest paths only.
import type { GuestFileHandle, GuestFileReader } from '../appliance/guest-files.js';
import { promises as fsp, type BigIntStats } from 'node:fs';
import { createHash, getHashes } from 'node:crypto';
import { JootError } from '../core/errors.js';
import { guestFsError, OPEN_WORDS } from '../appliance/guest-path.js';
import type { StructFields } from './structs.js';

/** A host fs error as a JootError naming the guest path only (ELOOP: a final link met by O_NOFOLLOW). */
export function fsError(e: unknown, guestPath: string): JootError {
  return guestFsError(e, guestPath, OPEN_WORDS);
}

/** Open a regular file of the guest for reading (a final symlink is followed inside the guest).
 *  The node's type is checked before it is opened (GuestReader.openFile): a FIFO or device node
 *  in the guest is refused, never opened. */
export async function openGuestFile(reader: GuestFileReader, guestPath: string): Promise<GuestFileHandle> {
  return reader.openFile(guestPath);
}

/** An opened file's bytes from its start, in fresh chunks of up to `size` (errors as the handle throws them). */
export async function* handleChunks(fh: GuestFileHandle, size: number): AsyncGenerator<Buffer> {
  for (let pos = 0; ; ) {
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await fh.read(buf, 0, size, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield bytesRead === size ? buf : buf.subarray(0, bytesRead);
  }
}

/** The lines of a guest file, streamed, without their \n (a final line without one counts). */
export async function* guestLines(reader: GuestFileReader, guestPath: string): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  for await (const chunk of guestChunks(reader, guestPath, 64 * 1024)) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a, 0); i !== -1; i = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, i));
      yield Buffer.concat(pending).toString('utf8');
      pending = [];
      start = i + 1;
    }
    if (start < chunk.length) pending.push(Buffer.from(chunk.subarray(start)));
  }
  if (pending.length) yield Buffer.concat(pending).toString('utf8');
}

/**
 * A guest file's bytes in order, read `size` at a time into one reused buffer: each chunk is
 * valid only until the next is asked for (copy what must outlive it). Closed when done.
 */
async function* guestChunks(reader: GuestFileReader, guestPath: string, size: number): AsyncGenerator<Buffer> {
  const fh = await openGuestFile(reader, guestPath);
  try {
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, buf.length, null));
      } catch (e) {
        throw fsError(e, guestPath);
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** guestfish head-n: n > 0 the first n lines, n < 0 all but the last -n, 0 none. */
export async function headLines(reader: GuestFileReader, guestPath: string, n: number): Promise<string[]> {
  const out: string[] = [];
  if (n === 0) {
    await openGuestFile(reader, guestPath).then((fh) => fh.close());
    return out;
  }
  for await (const line of guestLines(reader, guestPath)) {
    out.push(line);
    if (n > 0 && out.length >= n) break;
  }
  return n > 0 ? out : out.slice(0, Math.max(0, out.length + n));
}

/** guestfish tail-n: n > 0 the last n lines, n < 0 from line -n on (1-based), 0 none. */
export async function tailLines(reader: GuestFileReader, guestPath: string, n: number): Promise<string[]> {
  const out: string[] = [];
  if (n === 0) {
    await openGuestFile(reader, guestPath).then((fh) => fh.close());
    return out;
  }
  let lineNo = 0;
  for await (const line of guestLines(reader, guestPath)) {
    lineNo++;
    if (n < 0) {
      if (lineNo >= -n) out.push(line);
    } else {
      out.push(line);
      if (out.length > n) out.shift();
    }
  }
  return out;
}

export const CHECKSUM_TYPES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

/** Hex digest of a guest file, streamed (no size cap). */
export async function checksum(reader: GuestFileReader, type: string, guestPath: string): Promise<string> {
  const t = type.toLowerCase();
  if (!(CHECKSUM_TYPES as readonly string[]).includes(t) || !getHashes().includes(t)) {
    throw new JootError('EINVAL', `${type}: unknown checksum type, expecting ${CHECKSUM_TYPES.join(', ')}`);
  }
  const hash = createHash(t);
  for await (const chunk of guestChunks(reader, guestPath, 1024 * 1024)) hash.update(chunk);
  return hash.digest('hex');
}

/** The host node a guest path names (follow: a final symlink followed inside the guest). */
async function hostStat(reader: GuestFileReader, guestPath: string, follow: boolean): Promise<BigIntStats> {
  const host = await reader.resolve(guestPath, { followLast: follow });
  try {
    return await fsp.lstat(host, { bigint: true });
  } catch (e) {
    throw fsError(e, guestPath);
  }
}

/** A file's size in bytes (a final symlink followed inside the guest), exact at any size. */
export async function guestFileSize(reader: GuestFileReader, guestPath: string): Promise<bigint> {
  return (await hostStat(reader, guestPath, true)).size;
}

/** guestfish's stat / lstat struct, its fields in guestfish's order. */
export async function statRecord(reader: GuestFileReader, guestPath: string, follow: boolean): Promise<StructFields> {
  const st = await hostStat(reader, guestPath, follow);
  const sec = (ns: bigint) => String(ns / 1_000_000_000n);
  const fields: [string, bigint | string][] = [
    ['dev', st.dev],
    ['ino', st.ino],
    ['mode', st.mode],
    ['nlink', st.nlink],
    ['uid', st.uid],
    ['gid', st.gid],
    ['rdev', st.rdev],
    ['size', st.size],
    ['blksize', st.blksize],
    ['blocks', st.blocks],
    ['atime', sec(st.atimeNs)],
    ['mtime', sec(st.mtimeNs)],
    ['ctime', sec(st.ctimeNs)],
  ];
  return fields;
}

/** The canonical guest path (every symlink resolved inside the guest). */
export async function guestRealpath(reader: GuestFileReader, guestPath: string): Promise<string> {
  const root = await reader.resolve('/');
  const host = await reader.resolve(guestPath);
  if (host === root) return '/';
  const prefix = root === '/' ? '' : root;
  if (!host.startsWith(`${prefix}/`)) throw new JootError('EINVAL', `${guestPath}: resolves outside the guest`);
  return host.slice(prefix.length);
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** guestfish find: every path below dir, relative to it, sorted; symlinks are not followed. */
export async function findAll(reader: GuestFileReader, dir: string): Promise<string[]> {
  const host = await reader.resolve(dir);
  try {
    if (!(await fsp.lstat(host)).isDirectory()) throw new JootError('EINVAL', `${dir}: Not a directory`);
  } catch (e) {
    throw fsError(e, dir);
  }
  const out: string[] = [];
  const walk = async (hostDir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(hostDir, { withFileTypes: true });
    } catch (e) {
      throw fsError(e, rel ? `${dir.replace(/\/+$/, '')}/${rel}` : dir);
    }
    for (const ent of entries) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      out.push(r);
      if (ent.isDirectory()) await walk(`${hostDir}/${ent.name}`, r);
    }
  };
  await walk(host, '');
  return out.sort(byBytes);
}

function modeString(st: BigIntStats): string {
  const m = Number(st.mode);
  const type = st.isDirectory()
    ? 'd'
    : st.isSymbolicLink()
      ? 'l'
      : st.isCharacterDevice()
        ? 'c'
        : st.isBlockDevice()
          ? 'b'
          : st.isFIFO()
            ? 'p'
            : st.isSocket()
              ? 's'
              : '-';
  const bit = (mask: number, c: string) => (m & mask ? c : '-');
  const exec = (x: number, special: number, set: string) => (m & special ? (m & x ? set : set.toUpperCase()) : m & x ? 'x' : '-');
  return (
    type +
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    exec(0o100, 0o4000, 's') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    exec(0o010, 0o2000, 's') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    exec(0o001, 0o1000, 't')
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ls's date column (UTC, as in the appliance): recent files show the time, others the year. */
function lsDate(mtimeMs: number, now: number): string {
  const d = new Date(mtimeMs);
  const day = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}`;
  const recent = mtimeMs <= now + 3600_000 && now - mtimeMs < 182.5 * 86400_000;
  if (recent) return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${day}  ${d.getUTCFullYear()}`;
}

/** guestfish ll: `ls -la DIR` as run in the appliance (numeric owners except root). */
export async function longListing(reader: GuestFileReader, dir: string, now = Date.now()): Promise<string[]> {
  const host = await reader.resolve(dir);
  const root = await reader.resolve('/');
  let names: string[];
  try {
    const st = await fsp.lstat(host);
    if (!st.isDirectory()) throw new JootError('EINVAL', `${dir}: Not a directory`);
    names = await fsp.readdir(host);
  } catch (e) {
    throw fsError(e, dir);
  }
  const parentHost = host === root ? host : host.slice(0, host.lastIndexOf('/')) || '/';
  const entries: { name: string; host: string }[] = [
    { name: '.', host },
    { name: '..', host: parentHost },
    ...names.sort(byBytes).map((name) => ({ name, host: `${host}/${name}` })),
  ];
  const rows: { cols: string[]; name: string }[] = [];
  let blocks = 0n;
  for (const e of entries) {
    let st: BigIntStats; // sizes exact beyond 2^53
    try {
      st = await fsp.lstat(e.host, { bigint: true });
    } catch (err) {
      throw fsError(err, e.name === '.' || e.name === '..' ? dir : `${dir.replace(/\/+$/, '')}/${e.name}`);
    }
    blocks += st.blocks;
    const who = (id: bigint) => (id === 0n ? 'root' : String(id));
    const rdev = Number(st.rdev);
    const size =
      st.isCharacterDevice() || st.isBlockDevice()
        ? `${Math.floor(rdev / 256) & 0xfff}, ${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}`
        : String(st.size);
    let name = e.name;
    if (st.isSymbolicLink()) name += ` -> ${await fsp.readlink(e.host).catch(() => '?')}`;
    rows.push({ cols: [modeString(st), String(st.nlink), who(st.uid), who(st.gid), size, lsDate(Number(st.mtimeMs), now)], name });
  }
  const width = (i: number) => Math.max(...rows.map((r) => r.cols[i]!.length));
  const w = [0, 1, 2, 3, 4].map(width);
  const lines = [`total ${(blocks + 1n) / 2n}`];
  for (const r of rows) {
    const [mode, nlink, uid, gid, size, date] = r.cols as [string, string, string, string, string, string];
    lines.push(`${mode} ${nlink.padStart(w[1]!)} ${uid.padEnd(w[2]!)} ${gid.padEnd(w[3]!)} ${size.padStart(w[4]!)} ${date} ${r.name}`);
  }
  return lines;
}
