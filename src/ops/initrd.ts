// Reading an initrd (initramfs) in-process for initrd-list, initrd-cat and file-architecture: one
// or more "newc" cpio archives, each uncompressed or gzip / xz / zstd / legacy-lzma compressed, as
// the kernel unpacks them. Debian's and Fedora's early-microcode form is an uncompressed cpio
// followed by a compressed one; the segments are read in turn, skipping the zero padding between
// them. Guest bytes are hostile: every header field is checked against the data left, the
// decompressed size and the number of entries are capped, and nothing is written to the host.
import { nodeZlib } from '../core/lazy-node.js';
import { JootError } from '../core/errors.js';
import { lzmaAloneDecompress, xzDecompress } from '../disk/fs/squashfs/xz.js';
import { loadZstd } from '../disk/zstd.js';

/** The largest initrd read (compressed bytes as stored in the guest). */
export const MAX_INITRD_BYTES = 512 * 1024 * 1024;
/** The most bytes all its segments may decompress to together. */
export const MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;
/** The most entries listed. */
export const MAX_ENTRIES = 500_000;
/** A cpio member name longer than this is corruption (PATH_MAX). */
const MAX_NAME = 4096;
/** Compressed segments nested (a compressed cpio inside a compressed segment is not a thing). */
const MAX_DEPTH = 2;

const HEADER = 110;
const TRAILER = 'TRAILER!!!';

export interface CpioEntry {
  /** the name as stored (`bin/sh`, `./init`, `.`) */
  readonly name: string;
  /** st_mode: type and permission bits */
  readonly mode: number;
  /** the member's data (a symlink's target for a symlink) */
  readonly data: Buffer;
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

type Codec = 'gzip' | 'xz' | 'zstd' | 'lzma' | 'bzip2' | 'lz4' | 'lzo';

function codecOf(b: Buffer, at: number): Codec | undefined {
  const is = (...m: number[]) => m.every((x, i) => b[at + i] === x);
  if (is(0x1f, 0x8b)) return 'gzip';
  if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (is(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (is(0x5d, 0x00, 0x00)) return 'lzma';
  if (is(0x42, 0x5a, 0x68)) return 'bzip2';
  if (is(0x02, 0x21, 0x4c, 0x18) || is(0x04, 0x22, 0x4d, 0x18)) return 'lz4';
  if (is(0x89, 0x4c, 0x5a, 0x4f)) return 'lzo';
  return undefined;
}

/** Budget shared by every segment of one initrd. */
interface Budget {
  unpacked: number;
  entries: CpioEntry[];
}

/**
 * Every entry of the initrd `image` (the TRAILER!!! markers left out), in archive order.
 * `what` names it in errors (the guest path).
 */
export async function readInitrd(image: Buffer, what: string): Promise<CpioEntry[]> {
  const budget: Budget = { unpacked: 0, entries: [] };
  await readSegments(image, what, budget, 0);
  return budget.entries;
}

async function readSegments(b: Buffer, what: string, budget: Budget, depth: number): Promise<void> {
  let at = 0;
  let segments = 0;
  for (;;) {
    while (at < b.length && b[at] === 0) at++; // padding between concatenated archives
    if (at >= b.length) break;
    if (b.toString('latin1', at, at + 6) === '070701' || b.toString('latin1', at, at + 6) === '070702') {
      at = readCpio(b, at, what, budget);
      segments++;
      continue;
    }
    if (b.toString('latin1', at, at + 6) === '070707' || (b[at] === 0xc7 && b[at + 1] === 0x71)) {
      throw new JootError('EINVAL', `${what}: an old-format (odc or binary) cpio archive: only newc initrds are read`);
    }
    const codec = codecOf(b, at);
    if (!codec) {
      if (segments === 0) throw new JootError('EINVAL', `${what}: not an initrd (neither a cpio archive nor compressed)`);
      break; // trailing bytes after the last archive are ignored, as the kernel ignores them
    }
    if (depth >= MAX_DEPTH) throw new JootError('EINVAL', `${what}: compressed data nested too deeply`);
    const inner = await decompress(codec, b.subarray(at), what, MAX_UNPACKED_BYTES - budget.unpacked);
    budget.unpacked += inner.length;
    await readSegments(inner, what, budget, depth + 1);
    // the decompressors read one stream to its end and ignore what follows: the compressed
    // segment is the last one in every initrd layout the distributions write
    break;
  }
}

/** Parse one newc archive at `at`; returns the offset after its trailer. */
function readCpio(b: Buffer, start: number, what: string, budget: Budget): number {
  let at = start;
  for (;;) {
    if (at + HEADER > b.length) throw new JootError('EINVAL', `${what}: a cpio header runs past the end of the data`);
    const magic = b.toString('latin1', at, at + 6);
    if (magic !== '070701' && magic !== '070702') throw new JootError('EFORMAT', `${what}: a bad cpio header at byte ${at}`);
    const field = (i: number): number => {
      const s = b.toString('latin1', at + 6 + i * 8, at + 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw new JootError('EFORMAT', `${what}: a bad cpio header field at byte ${at}`);
      return Number.parseInt(s, 16);
    };
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    if (nameSize < 1 || nameSize > MAX_NAME) throw new JootError('EINVAL', `${what}: a cpio name of ${nameSize} bytes at byte ${at}`);
    const nameAt = at + HEADER;
    if (nameAt + nameSize > b.length) throw new JootError('EINVAL', `${what}: a cpio name runs past the end of the data`);
    const name = b.toString('utf8', nameAt, nameAt + nameSize - 1);
    const dataAt = align4(nameAt + nameSize - start) + start;
    if (dataAt + size > b.length) throw new JootError('EINVAL', `${what}: ${name}: its data runs past the end of the archive`);
    at = align4(dataAt + size - start) + start;
    if (name === TRAILER) return at;
    if (budget.entries.length >= MAX_ENTRIES) throw new JootError('EUNSUPPORTED', `${what}: more than ${MAX_ENTRIES} entries`);
    budget.entries.push({ name, mode, data: b.subarray(dataAt, dataAt + size) });
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The decompressed bytes of gzip, xz, zstd or lzma data (up to the unpacked cap); undefined for other data. */
export async function unpack(data: Buffer, what: string): Promise<Buffer | undefined> {
  const codec = codecOf(data, 0);
  if (!codec) return undefined;
  return decompress(codec, data, what, MAX_UNPACKED_BYTES);
}

async function decompress(codec: Codec, data: Buffer, what: string, max: number): Promise<Buffer> {
  const tooBig = () => new JootError('EUNSUPPORTED', `${what}: unpacks to more than ${MAX_UNPACKED_BYTES / 2 ** 20} MiB`);
  try {
    switch (codec) {
      case 'gzip':
        return nodeZlib().gunzipSync(data, { maxOutputLength: max });
      case 'xz':
        return xzDecompress(data, max);
      case 'lzma':
        return lzmaAloneDecompress(data, max);
      case 'zstd':
        return await unzstd(data, max, tooBig);
      default:
        throw new JootError('EINVAL', `${what}: ${codec}-compressed initrds are not read (gzip, xz, zstd and lzma are)`);
    }
  } catch (e) {
    if (e instanceof JootError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/maxOutputLength|too large|larger than|exceed/i.test(msg)) throw tooBig();
    throw new JootError('EINVAL', `${what}: the ${codec} data does not decompress: ${msg}`);
  }
}

/** zstd frames up to `max` bytes; what follows the last frame (zero padding) is left alone. */
async function unzstd(data: Buffer, max: number, tooBig: () => Error): Promise<Buffer> {
  const Decompress = await loadZstd();
  const chunks: Buffer[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > max) throw tooBig();
    chunks.push(Buffer.from(chunk));
  });
  d.push(data.subarray(0, zstdFramesEnd(data)), true);
  return Buffer.concat(chunks, total);
}

/** Where the zstd frames (and skippable frames) at the start of `b` end, by their block headers (RFC 8878). */
function zstdFramesEnd(b: Buffer): number {
  let at = 0;
  while (at + 8 <= b.length) {
    const magic = b.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      at += 8 + b.readUInt32LE(at + 4); // a skippable frame
      continue;
    }
    if (magic !== 0xfd2fb528) break;
    const fhd = b[at + 4]!;
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const dictIdSize = [0, 1, 2, 4][fhd & 3]!;
    const fcsSize = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag]!;
    at += 5 + (single ? 0 : 1) + dictIdSize + fcsSize;
    for (;;) {
      if (at + 3 > b.length) return b.length;
      const h = b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
      const type = (h >> 1) & 3;
      at += 3 + (type === 1 ? 1 : h >>> 3);
      if (h & 1) break;
    }
    if ((fhd >> 2) & 1) at += 4; // content checksum
  }
  return Math.min(at, b.length);
}

/** The entry named `name` (leading "/" or "./" ignored, as cpio matches), following symlinks inside the archive. */
export function findEntry(entries: readonly CpioEntry[], name: string): CpioEntry | undefined {
  const byName = new Map<string, CpioEntry>();
  for (const e of entries) byName.set(normal(e.name), e);
  let want = normal(name);
  for (let hops = 0; hops < 16; hops++) {
    const e = byName.get(want);
    if (!e || (e.mode & S_IFMT) !== S_IFLNK) return e;
    const target = e.data.toString('utf8');
    const dir = want.includes('/') ? want.slice(0, want.lastIndexOf('/')) : '';
    want = normal(target.startsWith('/') ? target : `${dir}/${target}`);
  }
  return undefined;
}

/** A member name without leading "./" or "/", with "." and ".." resolved. */
function normal(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}
