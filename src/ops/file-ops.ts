// Reading helpers for jfish's file commands that need more than GuestFileReader offers: streaming
// reads (head, tail, checksum: no size cap), full stat records, ls -la listings, find. Every
// path is resolved inside the guest by GuestFileReader first; trees are then walked by its nodes
// (children are lstat'ed, never followed), so the same code reads both engines. Error messages
// name guest paths only.
import type { GuestFileHandle, GuestFileReader, GuestNode, NodeStat } from '../appliance/guest-files.js';
import { isDirNode, isLinkNode, nodeType } from '../appliance/guest-files.js';
import { GuestWalk } from '../appliance/guest-walk.js';
import { nodeCrypto } from '../core/lazy-node.js';
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

export const CHECKSUM_TYPES = ['crc', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

/** guestfish's GOST types: gostsum and gost12sum, which neither Node nor this host has. */
const GOST_TYPES = ['gost', 'gost12'];

/** A running checksum: bytes in, guestfish's printed form out. */
export interface Digest {
  update(bytes: Uint8Array): void;
  /** lower-case hex, or for crc the POSIX cksum CRC in decimal */
  digest(): string;
}

/** A new checksum of guestfish's type `type` (crc, md5, sha1, …; any case); refused types throw. */
export function newDigest(type: string): Digest {
  const t = type.toLowerCase();
  if (GOST_TYPES.includes(t)) throw new JootError('EUNSUPPORTED', `${type}: GOST checksums are not available on this host`);
  if (t === 'crc') {
    const crc = new PosixCksum();
    return { update: (b) => crc.update(b), digest: () => String(crc.digest()) };
  }
  if (!(CHECKSUM_TYPES as readonly string[]).includes(t) || !nodeCrypto().getHashes().includes(t)) {
    throw new JootError('EINVAL', `${type}: unknown checksum type, expecting ${CHECKSUM_TYPES.join(', ')}`);
  }
  const hash = nodeCrypto().createHash(t);
  return { update: (b) => hash.update(b), digest: () => hash.digest('hex') };
}

/**
 * A guest file's checksum, streamed (no size cap): lower-case hex, or for crc the POSIX cksum
 * CRC in decimal (what guestfish prints: cksum's first field).
 */
export async function checksum(reader: GuestFileReader, type: string, guestPath: string): Promise<string> {
  const d = newDigest(type);
  for await (const chunk of guestChunks(reader, guestPath, 1024 * 1024)) d.update(chunk);
  return d.digest();
}

let cksumTable: Uint32Array | undefined;

/** POSIX cksum: CRC-32 (polynomial 0x04C11DB7, most significant bit first) over the bytes, then the length. */
export class PosixCksum {
  private crc = 0;
  private length = 0n;
  private readonly table: Uint32Array;

  constructor() {
    if (!cksumTable) {
      cksumTable = new Uint32Array(256);
      for (let i = 0; i < 256; i++) {
        let c = i << 24;
        for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
        cksumTable[i] = c >>> 0;
      }
    }
    this.table = cksumTable;
  }

  update(bytes: Uint8Array): void {
    let c = this.crc;
    for (const b of bytes) c = ((c << 8) ^ this.table[((c >>> 24) ^ b) & 0xff]!) >>> 0;
    this.crc = c;
    this.length += BigInt(bytes.length);
  }

  digest(): number {
    let c = this.crc;
    // the length, least significant byte first, as few bytes as it needs
    for (let n = this.length; n > 0n; n >>= 8n) c = ((c << 8) ^ this.table[((c >>> 24) ^ Number(n & 0xffn)) & 0xff]!) >>> 0;
    return ~c >>> 0;
  }
}

/** A file's size in bytes (a final symlink followed inside the guest), exact at any size. */
export async function guestFileSize(reader: GuestFileReader, guestPath: string): Promise<bigint> {
  return (await reader.node(guestPath)).stat.size;
}

/** guestfish's stat / lstat struct, its fields in guestfish's order. */
export async function statRecord(reader: GuestFileReader, guestPath: string, follow: boolean): Promise<StructFields> {
  const st = (await reader.node(guestPath, { followLast: follow })).stat;
  const sec = (ns: bigint) => String(ns / 1_000_000_000n);
  const fields: [string, bigint | string][] = [
    ['dev', st.dev],
    ['ino', st.ino],
    ['mode', BigInt(st.mode)],
    ['nlink', BigInt(st.nlink)],
    ['uid', BigInt(st.uid)],
    ['gid', BigInt(st.gid)],
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
  return (await reader.node(guestPath)).path;
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** guestfish find: every path below dir, relative to it, sorted; symlinks are not followed; a
 *  directory loop is an error (GuestWalk). */
export async function findAll(reader: GuestFileReader, dir: string): Promise<string[]> {
  const top = await reader.node(dir);
  if (!isDirNode(top.stat)) throw new JootError('EINVAL', `${dir}: Not a directory`);
  const out: string[] = [];
  const tree = new GuestWalk(reader);
  const walk = async (d: GuestNode, rel: string): Promise<void> => {
    for (const c of await tree.children(d)) {
      const r = rel ? `${rel}/${c.name.toString('utf8')}` : c.name.toString('utf8');
      out.push(r);
      if (isDirNode(c.node.stat)) await walk(c.node, r);
    }
  };
  await walk(top, '');
  return out.sort(byBytes);
}

/** ls's letter for each file type. */
const TYPE_LETTER: Record<number, string> = {
  0o040000: 'd',
  0o120000: 'l',
  0o020000: 'c',
  0o060000: 'b',
  0o010000: 'p',
  0o140000: 's',
};

export function modeString(st: NodeStat): string {
  const m = st.mode;
  const type = TYPE_LETTER[nodeType(st)] ?? '-';
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
export function lsDate(mtimeMs: number, now: number): string {
  const d = new Date(mtimeMs);
  const day = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')}`;
  const recent = mtimeMs <= now + 3600_000 && now - mtimeMs < 182.5 * 86400_000;
  if (recent) return `${day} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${day}  ${d.getUTCFullYear()}`;
}

/** guestfish ll: `ls -la DIR` as run in the appliance (numeric owners except root). */
export async function longListing(reader: GuestFileReader, dir: string, now = Date.now()): Promise<string[]> {
  const top = await reader.node(dir);
  if (!isDirNode(top.stat)) throw new JootError('EINVAL', `${dir}: Not a directory`);
  const children = await reader.children(top);
  const parent = top.path === '/' ? top : await reader.node(top.path.slice(0, top.path.lastIndexOf('/')) || '/', { followLast: false });
  const entries: { name: string; node: GuestNode }[] = [
    { name: '.', node: top },
    { name: '..', node: parent },
    ...children.map((c) => ({ name: c.name.toString('utf8'), node: c.node })),
  ];
  const rows: { cols: string[]; name: string }[] = [];
  let blocks = 0n;
  for (const e of entries) {
    const st = e.node.stat; // sizes exact beyond 2^53
    blocks += st.blocks;
    const who = (id: number) => (id === 0 ? 'root' : String(id));
    const rdev = Number(st.rdev);
    const t = nodeType(st);
    const size =
      t === 0o020000 || t === 0o060000 ? `${Math.floor(rdev / 256) & 0xfff}, ${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}` : String(st.size);
    let name = e.name;
    if (isLinkNode(st))
      name += ` -> ${await reader.readlinkNode(e.node).then(
        (b) => b.toString('utf8'),
        () => '?',
      )}`;
    rows.push({
      cols: [modeString(st), String(st.nlink), who(st.uid), who(st.gid), size, lsDate(Number(st.mtimeNs / 1_000_000n), now)],
      name,
    });
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
