// Probe a disk image before anything attaches it: what format it is, how big, and whether
// its backing chain is safe to open. Nothing here writes to the image.
import { open, realpath, stat } from 'node:fs/promises';
import { resolve as resolvePath, dirname, isAbsolute } from 'node:path';
import { parseJsonExact } from './json.js';
import { JootError } from './errors.js';
import { run, type RunResult } from './run.js';
import type { ImageFormat } from './types.js';

export interface ImageLayer {
  /** absolute, symlink-resolved path */
  path: string;
  format: ImageFormat;
}

export interface ImageInfo {
  /** the path as the user gave it (for messages) */
  given: string;
  /** top layer first, base last */
  chain: ImageLayer[];
  format: ImageFormat;
  /** bytes; exact (an image whose size a double cannot hold exactly is refused) */
  virtualSize: number;
  isBlockDevice: boolean;
}

export interface ProbeOptions {
  format?: ImageFormat;
  readonly?: boolean;
  allowUnsafeBacking?: boolean;
  /** run `qemu-img check` too (default true); a caller may run checkImage itself, concurrently */
  check?: boolean;
}

// Host trees a backing file must never point into: reading them as guest disk content
// would hand host secrets (e.g. /etc/shadow) to whoever made the image.
const FORBIDDEN_BACKING_TREES = ['/etc', '/proc', '/sys', '/dev', '/run', '/boot', '/root', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/var/log', '/var/run', '/home'];

const MAX_CHAIN = 16;

interface QemuInfo {
  format: string;
  /** a bigint beyond 2^53 (parseJsonExact) */
  'virtual-size': number | bigint;
  'backing-filename'?: string;
  'full-backing-filename'?: string;
  'backing-filename-format'?: string;
  encrypted?: boolean;
  'format-specific'?: { type: string; data?: { extents?: { filename: string }[]; 'data-file'?: string } };
}

function bad(given: string, what: string): JootError {
  return new JootError('EFORMAT', `${given}: ${what}`);
}

/**
 * The virtual size as a number, refused where a double would round it (odd sizes beyond 2^53;
 * every multiple of 512 up to 4 EiB is exact): sizes are never silently off.
 */
function exactSize(given: string, v: number | bigint): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || BigInt(n) !== BigInt(v)) throw new JootError('EUNSUPPORTED', `${given}: a virtual size of ${String(v)} bytes is not supported (beyond 2^53 bytes, only sizes a double holds exactly are)`);
  return n;
}

async function qemuImgInfo(path: string, format: string | undefined, readonly: boolean, given: string): Promise<QemuInfo> {
  const args = ['info', '--output=json'];
  if (format) args.push('-f', format);
  if (readonly) args.push('-U'); // read-only sessions may look at an image a VM has open
  args.push(path);
  const r = await run('qemu-img', args, { allowFailure: true });
  if (r.exitCode !== 0) throw qemuRefusal(given, r);
  return parseJsonExact(r.stdout) as QemuInfo;
}

function qemuRefusal(given: string, r: RunResult): JootError {
  const lines = r.stderr
    .trim()
    .split('\n')
    .map((l) => l.replace(/^qemu-img:\s*/, '').trim())
    .filter(Boolean);
  // a lock conflict is two lines: "Could not open 'X': Failed to get shared "write" lock" and
  // "Is another process using the image [X]?" — the first says what happened
  const locked = lines.find((l) => /lock/i.test(l));
  if (locked) return new JootError('EBUSY', `${given}: in use by another process (${locked.replace(/^Could not open '[^']*': /, '')})`);
  const msg = lines.pop() ?? `qemu-img exit ${r.exitCode}`;
  return bad(given, `not a usable disk image: ${msg}`);
}

/** Reject what cannot be a disk image before qemu sees it. */
async function checkFile(given: string): Promise<{ real: string; size: number; isBlock: boolean }> {
  let st;
  try {
    st = await stat(given);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new JootError('ENOENT', `${given}: No such file or directory`);
    if (code === 'EACCES') throw new JootError('EPERM', `${given}: Permission denied`);
    throw new JootError('EINVAL', `${given}: cannot open (${code})`);
  }
  if (st.isDirectory()) throw new JootError('EINVAL', `${given}: is a directory, not a disk image`);
  const isBlock = st.isBlockDevice();
  if (!st.isFile() && !isBlock) throw new JootError('EINVAL', `${given}: not a regular file or block device`);
  const real = await realpath(given);
  if (!isBlock && st.size === 0) throw bad(given, 'empty file, not a disk image');
  return { real, size: st.size, isBlock };
}

/** A probed "raw" that is really a text file (a typo'd path, a README): refuse it. */
async function looksLikeText(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (bytesRead === 0) return false;
    const head = buf.subarray(0, bytesRead);
    // printable ASCII, tab, CR, LF, or UTF-8 continuation/lead bytes; no NULs
    return head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2);
  } finally {
    await fh.close();
  }
}

/** A backing (or extent) file is safe to open: its realpath, or a JootError saying why not. */
export async function checkBacking(layerGiven: string, backing: string, allowUnsafe: boolean): Promise<string> {
  let real: string;
  try {
    real = await realpath(backing);
  } catch {
    throw new JootError('ENOENT', `${layerGiven}: backing file ${backing} does not exist`);
  }
  if (allowUnsafe) return real;
  const st = await stat(real);
  if (!st.isFile()) {
    throw new JootError('EPERM', `${layerGiven}: backing file ${backing} is not a plain file (refused; allow unsafe backing files to override)`);
  }
  const forbidden = FORBIDDEN_BACKING_TREES.find((t) => real === t || real.startsWith(`${t}/`));
  if (forbidden) {
    throw new JootError('EPERM', `${layerGiven}: backing file ${backing} is a host system file under ${forbidden} (refused; allow unsafe backing files to override)`);
  }
  return real;
}

/** Probe an image and its backing chain. Formats come from the caller, else from qemu-img. */
export async function probeImage(given: string, opts: ProbeOptions = {}): Promise<ImageInfo> {
  const { real, size, isBlock } = await checkFile(given);
  const readonly = opts.readonly ?? false;
  const chain: ImageLayer[] = [];
  const seen = new Set<string>();
  let path = real;
  let format = opts.format;
  let virtualSize = 0;
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_CHAIN) throw bad(given, `backing chain longer than ${MAX_CHAIN} images`);
    if (seen.has(path)) throw bad(given, `backing chain loops back to ${path}`);
    seen.add(path);
    const layerGiven = depth === 0 ? given : path;
    const info = await qemuImgInfo(path, format, readonly, layerGiven);
    if (info.encrypted) throw new JootError('EUNSUPPORTED', `${layerGiven}: encrypted images are not supported`);
    if (depth === 0) {
      virtualSize = exactSize(given, info['virtual-size']);
      if (!opts.format && info.format === 'raw' && !isBlock) {
        if (size % 512 !== 0 || (await looksLikeText(real))) {
          throw bad(given, size % 512 !== 0 ? `not a disk image (size ${size} is not a multiple of 512 bytes)` : 'looks like a text file, not a disk image');
        }
      }
    }
    chain.push({ path, format: info.format });
    // A vmdk descriptor names extent files: the same host-file danger as a backing file.
    for (const ext of info['format-specific']?.data?.extents ?? []) {
      if (ext.filename !== path) await checkBacking(layerGiven, ext.filename, opts.allowUnsafeBacking ?? false);
    }
    // A qcow2 external data file holds the guest's data (read-write on a read-write attach):
    // the same danger again, and qemu opens it by the name in the header.
    const dataFile = info['format-specific']?.data?.['data-file'];
    if (dataFile) await checkBacking(layerGiven, isAbsolute(dataFile) ? dataFile : resolvePath(dirname(path), dataFile), opts.allowUnsafeBacking ?? false);
    const backing = info['full-backing-filename'] ?? info['backing-filename'];
    if (!backing) break;
    const abs = isAbsolute(backing) ? backing : resolvePath(dirname(path), backing);
    path = await checkBacking(layerGiven, abs, opts.allowUnsafeBacking ?? false);
    // Never let qemu probe a backing file's format: a raw base could be read as qcow2.
    format = info['backing-filename-format'];
    if (!format) {
      throw bad(layerGiven, `backing file ${backing} has no recorded format (refused: probing it is unsafe; set it with qemu-img rebase -u -F FMT)`);
    }
  }
  const info: ImageInfo = { given, chain, format: chain[0]!.format, virtualSize, isBlockDevice: isBlock };
  if (opts.check !== false) await checkImage(info, readonly);
  return info;
}

/** Refuse a corrupt image (e.g. a truncated qcow2): `qemu-img check` of every checkable layer. */
export function checkImage(info: ImageInfo, readonly: boolean): Promise<void> {
  return checkConsistency(info.given, info.chain, readonly);
}

// Formats whose metadata `qemu-img check` can verify cheaply (it reads only metadata).
const CHECKABLE = new Set(['qcow2', 'qed', 'vdi', 'vhdx', 'parallels']);

/** Refuse a corrupt image (e.g. a truncated qcow2) up front instead of failing mid-read. */
async function checkConsistency(given: string, chain: ImageLayer[], readonly: boolean): Promise<void> {
  await Promise.all(
    chain
      .filter((l) => CHECKABLE.has(l.format))
      .map(async (l, i) => {
        const args = ['check', '--output=json', '-f', l.format];
        if (readonly) args.push('-U');
        args.push(l.path);
        const r = await run('qemu-img', args, { allowFailure: true });
        // exit 0 clean, 3 leaks only (harmless), 63 check unsupported; 2 corruptions, 1 error
        if (r.exitCode === 0 || r.exitCode === 3 || r.exitCode === 63) return;
        const who = i === 0 && l === chain[0] ? given : l.path;
        let detail = r.stderr.trim().split('\n').filter(Boolean)[0]?.replace(/^(qemu-img:|ERROR:)\s*/, '') ?? '';
        try {
          const j = JSON.parse(r.stdout) as { corruptions?: number };
          if (j.corruptions) detail = `${j.corruptions} corruption(s), e.g. ${detail}`;
        } catch {
          /* stdout empty: keep stderr */
        }
        if (/lock/i.test(detail)) throw new JootError('EBUSY', `${who}: in use by another process (${detail})`);
        throw bad(who, `corrupt ${l.format} image: ${detail}`);
      }),
  );
}
