// Read-only helpers for guestfish's extra file commands (is-fifo…, is-zero, case-sensitive-path,
// wc, du, statns, strings, hexdump, find0/ls0, llz). They read through GuestFileReader's nodes
// and handles only, so they work on both engines; files are streamed, and what is kept in
// memory (strings, hexdump text) is bounded. Messages name guest paths only.
import type { GuestFileReader, GuestNode, NodeStat } from '../appliance/guest-files.js';
import { isDirNode, isLinkNode, nodeType } from '../appliance/guest-files.js';
import { GuestWalk } from '../appliance/guest-walk.js';
import { JootError } from '../core/errors.js';
import type { ByteSource } from '../disk/source.js';
import { handleChunks, lsDate, modeString } from './file-ops.js';
import type { StructFields } from './structs.js';

/** A missing path (or a non-directory on the way) answers false, as guestfish's is-* do. */
async function nodeOrUndefined(reader: GuestFileReader, guestPath: string, followLast: boolean): Promise<GuestNode | undefined> {
  try {
    return await reader.node(guestPath, { followLast });
  } catch (e) {
    if (e instanceof JootError && (e.code === 'ENOENT' || e.code === 'EINVAL')) return undefined;
    throw e;
  }
}

/** S_IF* of each is-* command. */
export const FILE_TYPES = {
  symlink: 0o120000,
  blockdev: 0o060000,
  chardev: 0o020000,
  fifo: 0o010000,
  socket: 0o140000,
} as const;

/** Whether the path names a node of the type (a final link followed only when asked). */
export async function isType(reader: GuestFileReader, guestPath: string, type: number, follow: boolean): Promise<boolean> {
  const n = await nodeOrUndefined(reader, guestPath, follow);
  return n !== undefined && nodeType(n.stat) === type;
}

/** An opened guest file's bytes in chunks; closed when done. */
async function* fileChunks(reader: GuestFileReader, guestPath: string): AsyncGenerator<Buffer> {
  const fh = await reader.openFile(guestPath);
  try {
    yield* handleChunks(fh, 256 * 1024);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

const allZero = (b: Buffer): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
};

/** guestfish is-zero: the file holds only zero bytes (an empty file does). */
export async function isZeroFile(reader: GuestFileReader, guestPath: string): Promise<boolean> {
  for await (const chunk of fileChunks(reader, guestPath)) if (!allZero(chunk)) return false;
  return true;
}

/** guestfish is-zero-device: every byte of the device is zero. */
export async function isZeroDevice(src: ByteSource): Promise<boolean> {
  const step = 1024 * 1024;
  for (let off = 0; off < src.size; off += step) {
    if (!allZero(await src.read(off, Math.min(step, src.size - off)))) return false;
  }
  return true;
}

/**
 * guestfish case-sensitive-path: the path with each component spelled as it is on disk, the
 * first entry equal ignoring ASCII case where the exact name is missing. A last component that
 * matches nothing is kept as given (so the result can name a file to create).
 */
export async function caseSensitivePath(reader: GuestFileReader, guestPath: string): Promise<string> {
  if (!guestPath.startsWith('/')) throw new JootError('EINVAL', `${guestPath}: path must start with a / character`);
  const parts = guestPath.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '.' || c === '..')) throw new JootError('EINVAL', `${guestPath}: path must not contain . or .. elements`);
  let cur = '/';
  for (const [i, part] of parts.entries()) {
    const dir = await reader.node(cur);
    if (!isDirNode(dir.stat)) throw new JootError('EINVAL', `${cur}: Not a directory`);
    const names = (await reader.children(dir)).map((c) => c.name.toString('utf8'));
    const want = part.toLowerCase();
    const found = names.includes(part) ? part : names.find((n) => n.toLowerCase() === want);
    if (found === undefined && i < parts.length - 1) {
      throw new JootError('ENOENT', `${cur === '/' ? '' : cur}/${part}: No such file or directory`);
    }
    cur = `${cur === '/' ? '' : cur}/${found ?? part}`;
  }
  // as open("file/") does, a final slash needs a directory
  if (guestPath.endsWith('/') && cur !== '/') {
    const last = await reader.node(cur).catch(() => undefined);
    if (last && !isDirNode(last.stat)) throw new JootError('EINVAL', `${cur}/: Not a directory`);
  }
  return cur;
}

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** wc -l, -w or -c of a file (a final link followed). As GNU wc in the C locale, a word starts at a
 *  printable character; other bytes neither start nor end one. */
export async function wordCount(reader: GuestFileReader, guestPath: string, what: 'l' | 'w' | 'c'): Promise<number> {
  let n = 0;
  let inWord = false;
  for await (const chunk of fileChunks(reader, guestPath)) {
    if (what === 'c') n += chunk.length;
    else if (what === 'l') for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++;
    else
      for (const c of chunk) {
        if (isSpace(c)) inWord = false;
        else if (c > 0x20 && c < 0x7f && !inWord) {
          inWord = true;
          n++;
        }
      }
  }
  return n;
}

/**
 * guestfish du: the space used by the path and everything below it, in KiB, as "du -s" counts
 * it (allocated blocks; a file with several links counted once; links not followed).
 */
export async function diskUsage(reader: GuestFileReader, guestPath: string): Promise<bigint> {
  const top = await reader.node(guestPath, { followLast: false });
  const seen = new Set<string>();
  let bytes = 0n;
  const add = (st: NodeStat) => {
    if (st.nlink > 1 && !isDirNode(st)) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    bytes += st.blocks * 512n;
  };
  const tree = new GuestWalk(reader);
  const walk = async (d: GuestNode): Promise<void> => {
    for (const c of await tree.children(d)) {
      add(c.node.stat);
      if (isDirNode(c.node.stat)) await walk(c.node);
    }
  };
  add(top.stat);
  if (isDirNode(top.stat)) await walk(top);
  return (bytes + 1023n) / 1024n;
}

/** guestfish's statns struct (field names st_*, seconds and nanoseconds apart, six spare zeros). */
export function statnsFields(st: NodeStat | undefined): StructFields {
  const z = 0n;
  const s = st ?? {
    dev: z,
    ino: -1n,
    mode: 0,
    nlink: 0,
    uid: 0,
    gid: 0,
    rdev: z,
    size: z,
    blksize: z,
    blocks: z,
    atimeNs: z,
    mtimeNs: z,
    ctimeNs: z,
  };
  const sec = (ns: bigint) => (ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n));
  const nsec = (ns: bigint) => ns - sec(ns) * 1_000_000_000n;
  return [
    ['st_dev', s.dev],
    ['st_ino', s.ino],
    ['st_mode', BigInt(s.mode)],
    ['st_nlink', BigInt(s.nlink)],
    ['st_uid', BigInt(s.uid)],
    ['st_gid', BigInt(s.gid)],
    ['st_rdev', s.rdev],
    ['st_size', s.size],
    ['st_blksize', s.blksize],
    ['st_blocks', s.blocks],
    ['st_atime_sec', sec(s.atimeNs)],
    ['st_atime_nsec', nsec(s.atimeNs)],
    ['st_mtime_sec', sec(s.mtimeNs)],
    ['st_mtime_nsec', nsec(s.mtimeNs)],
    ['st_ctime_sec', sec(s.ctimeNs)],
    ['st_ctime_nsec', nsec(s.ctimeNs)],
    ['st_spare1', z],
    ['st_spare2', z],
    ['st_spare3', z],
    ['st_spare4', z],
    ['st_spare5', z],
    ['st_spare6', z],
  ];
}

/** guestfish lstatnslist: lstat of each name in the directory; a name that cannot be lstat'ed gets st_ino -1. */
export async function lstatnsList(reader: GuestFileReader, dir: string, names: readonly string[]): Promise<StructFields[]> {
  const out: StructFields[] = [];
  for (const name of names) {
    if (name.includes('/')) throw new JootError('EINVAL', `${name}: a name, not a path, is expected`);
    const n = await nodeOrUndefined(reader, `${dir.replace(/\/+$/, '')}/${name}`, false);
    out.push(statnsFields(n?.stat));
  }
  return out;
}

/** The most text strings and hexdump keep in memory (guestfish's own limit is a few MiB). */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** Bytes per character of each strings(1) encoding. */
const ENCODINGS: Record<string, { width: number; big: boolean; eight: boolean }> = {
  s: { width: 1, big: false, eight: false },
  S: { width: 1, big: false, eight: true },
  b: { width: 2, big: true, eight: false },
  l: { width: 2, big: false, eight: false },
  B: { width: 4, big: true, eight: false },
  L: { width: 4, big: false, eight: false },
};

/**
 * strings(1) -a -e ENCODING: runs of at least 4 printable characters (ASCII graphic, space,
 * tab; -e S also bytes 128-255), one string per run; multi-byte encodings read aligned units.
 */
export async function fileStrings(reader: GuestFileReader, guestPath: string, encoding = 's'): Promise<string[]> {
  const enc = ENCODINGS[encoding];
  if (!enc) throw new JootError('EINVAL', `${encoding}: unknown encoding, expecting one of s, S, b, l, B, L`);
  const out: string[] = [];
  let kept = 0;
  let run: number[] = [];
  const end = () => {
    if (run.length >= 4) {
      kept += run.length;
      if (kept > MAX_TEXT_BYTES) throw new JootError('EINVAL', `${guestPath}: too many strings (over ${MAX_TEXT_BYTES} bytes)`);
      out.push(Buffer.from(run).toString('latin1'));
    }
    run = [];
  };
  let unit: number[] = [];
  for await (const chunk of fileChunks(reader, guestPath)) {
    for (const byte of chunk) {
      unit.push(byte);
      if (unit.length < enc.width) continue;
      let c = 0;
      for (const b of enc.big ? unit : [...unit].reverse()) c = c * 256 + b;
      unit = [];
      if ((c >= 0x20 && c < 0x7f) || c === 0x09 || (enc.eight && c >= 0x80 && c <= 0xff)) run.push(c);
      else end();
    }
  }
  end();
  return out;
}

/** `hexdump -C` of a file: 16 bytes a line, hex and printable text, repeated lines as "*". */
export async function hexDump(reader: GuestFileReader, guestPath: string): Promise<string> {
  const lines: string[] = [];
  let size = 0;
  let pending = Buffer.alloc(0);
  let last: Buffer | undefined;
  let starred = false;
  const line = (b: Buffer, at: number) => {
    if (last?.equals(b) && b.length === 16) {
      if (!starred) lines.push('*');
      starred = true;
      return;
    }
    starred = false;
    last = Buffer.from(b);
    let hex = '';
    for (let i = 0; i < 16; i++) hex += (i < b.length ? `${b[i]!.toString(16).padStart(2, '0')} ` : '   ') + (i === 7 ? ' ' : '');
    const text = [...b].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex} |${text}|`);
  };
  for await (const chunk of fileChunks(reader, guestPath)) {
    size += chunk.length;
    if (size > MAX_TEXT_BYTES / 4) throw new JootError('EINVAL', `${guestPath}: too large to hexdump (over ${MAX_TEXT_BYTES / 4} bytes)`);
    const all = Buffer.concat([pending, chunk]);
    const whole = all.length - (all.length % 16);
    for (let i = 0; i < whole; i += 16) line(all.subarray(i, i + 16), size - all.length + i);
    pending = Buffer.from(all.subarray(whole));
  }
  if (pending.length) line(pending, size - pending.length);
  if (size === 0) return '';
  lines.push(size.toString(16).padStart(8, '0'));
  return `${lines.join('\n')}\n`;
}

/** guestfish llz: ls -laZ as the appliance runs it (numeric owners: it has no user names), the SELinux
 *  context (security.selinux) after the group, "?" when none. */
export async function longListingZ(reader: GuestFileReader, dir: string, warn: (m: string) => void, now = Date.now()): Promise<string[]> {
  const top = await reader.node(dir);
  if (!isDirNode(top.stat)) throw new JootError('EINVAL', `${dir}: Not a directory`);
  const children = await reader.children(top);
  const parent = top.path === '/' ? top : await reader.node(top.path.slice(0, top.path.lastIndexOf('/')) || '/', { followLast: false });
  const entries = [
    { name: '.', node: top },
    { name: '..', node: parent },
    ...children.map((c) => ({ name: c.name.toString('utf8'), node: c.node })),
  ];
  const attrs = await reader.attrs(
    entries.map((e) => e.node),
    warn,
  );
  const rows: string[][] = [];
  for (const [i, e] of entries.entries()) {
    const st = e.node.stat;
    const ctx = attrs[i]?.get('security.selinux');
    const label = ctx ? ctx.toString('utf8').replace(/\0+$/, '') : '?';
    const t = nodeType(st);
    const rdev = Number(st.rdev);
    const size =
      t === 0o020000 || t === 0o060000 ? `${Math.floor(rdev / 256) & 0xfff}, ${(rdev & 0xff) | ((rdev >> 12) & 0xfff00)}` : String(st.size);
    let name = e.name;
    if (isLinkNode(st))
      name += ` -> ${await reader.readlinkNode(e.node).then(
        (b) => b.toString('utf8'),
        () => '?',
      )}`;
    rows.push([
      modeString(st) + (ctx ? '.' : ''),
      String(st.nlink),
      String(st.uid),
      String(st.gid),
      label,
      size,
      lsDate(Number(st.mtimeNs / 1_000_000n), now),
      name,
    ]);
  }
  const w = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const blocks = entries.reduce((n, e) => n + e.node.stat.blocks, 0n);
  const lines = rows.map((r) => {
    const [mode, nlink, uid, gid, label, size, date, name] = r as [string, string, string, string, string, string, string, string];
    return `${mode.padEnd(w[0]!)} ${nlink.padStart(w[1]!)} ${uid.padEnd(w[2]!)} ${gid.padEnd(w[3]!)} ${label.padEnd(w[4]!)} ${size.padStart(w[5]!)} ${date} ${name}`;
  });
  return [`total ${(blocks + 1n) / 2n}`, ...lines];
}
