// Probe a disk image before anything attaches it: what format it is, how big, and whether
// its backing chain is safe to open. Every host file a header names is read from the header
// and checked here (image-headers.ts, named-path.ts) before qemu runs; qemu then gets each
// layer with its driver, file and data file pinned and no backing, so it opens nothing else.
// Nothing here writes to the image.
import { open, realpath, stat } from 'node:fs/promises';
import { parseJsonExact } from '../core/json.js';
import { notARawDisk } from '../disk/containers/formats.js';
import { JootError } from '../core/errors.js';
import { NAMING_FORMATS } from '../disk/containers/image-headers.js';
import { readLayerNames } from '../disk/containers/layer-names.js';
import type { BackingAllowance } from '../disk/containers/named-path.js';
import { factsOf, run, type RunResult } from '../core/run.js';
import { imageInUse } from './qemu-lock.js';
import type { ImageFormat } from './types.js';

export interface ImageLayer {
  /** absolute, symlink-resolved path */
  path: string;
  format: ImageFormat;
  /** a qcow2 external data file (absolute, resolved, checked) */
  dataFile?: string;
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

/** Which files the image's headers may name: see named-path.ts. */
export interface ProbeOptions extends BackingAllowance {
  format?: ImageFormat;
  readonly?: boolean;
  /** run `qemu-img check` too (default true); a caller may run checkImage itself, concurrently */
  check?: boolean;
}

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
  if (!Number.isInteger(n) || n < 0 || BigInt(n) !== BigInt(v))
    throw new JootError(
      'EUNSUPPORTED',
      `${given}: a virtual size of ${String(v)} bytes is not supported (beyond 2^53 bytes, only sizes a double holds exactly are)`,
    );
  return n;
}

async function qemuImgInfo(spec: string, readonly: boolean, given: string, path: string): Promise<QemuInfo> {
  const args = ['info', '--output=json'];
  if (readonly) args.push('-U'); // read-only sessions may look at an image a VM has open
  args.push(spec);
  const r = await run('qemu-img', args, { allowFailure: true });
  if (r.exitCode !== 0) throw qemuRefusal(given, r, spec, path);
  return parseJsonExact(r.stdout) as QemuInfo;
}

function qemuRefusal(given: string, r: RunResult, spec: string, path: string): JootError {
  const lines = r.stderr
    .split(spec)
    .join(path)
    .trim()
    .split('\n')
    .map((l) => l.replace(/^qemu-img:\s*/, '').trim())
    .filter(Boolean);
  // a lock conflict is two lines: "Could not open 'X': Failed to get shared "write" lock" and
  // "Is another process using the image [X]?" — the first says what happened
  for (const l of lines) {
    const busy = imageInUse(given, l.replace(/^Could not open '[^']*': /, ''), factsOf(r));
    if (busy) return busy;
  }
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
/** The first sector of a file (fewer bytes if it is shorter). */
async function firstSector(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The qemu block options of one layer, every file pinned: qemu opens exactly these files. */
export function layerSpec(layer: { path: string; format?: string; dataFile?: string }, isBlock: boolean): string {
  const spec: Record<string, unknown> = {};
  if (layer.format) spec.driver = layer.format;
  // a device (the user's own disk, or a backing file under allowUnsafeBacking) needs host_device
  spec.file = { driver: isBlock || layer.path.startsWith('/dev/') ? 'host_device' : 'file', filename: layer.path };
  // the next layer is probed and opened on its own, after its name has been checked
  spec.backing = null;
  if (layer.dataFile) spec['data-file'] = { driver: 'file', filename: layer.dataFile };
  return `json:${JSON.stringify(spec)}`;
}

/** Probe an image and its backing chain. Formats come from the caller, else from its magic or qemu-img. */
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
    const layerIsBlock = depth === 0 && isBlock;
    const { names, detected, parsedAs } = await readLayerNames(layerGiven, path, format, opts);
    const pinned = format ?? detected;
    const info = await qemuImgInfo(layerSpec({ path, format: pinned, dataFile: names.dataFile }, layerIsBlock), readonly, layerGiven, path);
    // qemu must have read the headers as joot did: any other answer means a name went unchecked
    if (NAMING_FORMATS.has(info.format) && info.format !== parsedAs)
      throw bad(layerGiven, `qemu reads it as ${info.format}, which joot did not recognize (refused)`);
    const qemuBacking = info['backing-filename'];
    if ((qemuBacking ?? undefined) !== names.backing?.name) {
      throw bad(
        layerGiven,
        `its backing file is read differently by qemu (${qemuBacking ?? 'none'}) and joot (${names.backing?.name ?? 'none'}) (refused)`,
      );
    }
    for (const ext of info['format-specific']?.data?.extents ?? []) {
      const extReal = await realpath(ext.filename).catch(() => ext.filename);
      if (!names.extents.has(extReal)) throw bad(layerGiven, `qemu found an extent joot did not check (${ext.filename}) (refused)`);
    }
    const qemuDataFile = info['format-specific']?.data?.['data-file'];
    if (qemuDataFile !== undefined && names.dataFile === undefined)
      throw bad(layerGiven, `qemu found a data file joot did not check (${qemuDataFile}) (refused)`);
    if (info.encrypted) throw new JootError('EUNSUPPORTED', `${layerGiven}: encrypted images are not supported`);
    if (depth === 0) {
      virtualSize = exactSize(given, info['virtual-size']);
      if (!opts.format && info.format === 'raw' && !isBlock) {
        const why = notARawDisk(size, size % 512 === 0 ? await firstSector(real) : Buffer.alloc(0));
        if (why) throw bad(given, why);
      }
    }
    chain.push(names.dataFile ? { path, format: info.format, dataFile: names.dataFile } : { path, format: info.format });
    const backing = names.backing;
    if (!backing) break;
    path = backing.real;
    // Never let qemu probe a backing file's format: a raw base could be read as qcow2.
    format = backing.format;
    if (!format) {
      throw bad(
        layerGiven,
        `backing file ${backing.name} has no recorded format (refused: probing it is unsafe; set it with qemu-img rebase -u -F FMT)`,
      );
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
        const args = ['check', '--output=json'];
        if (readonly) args.push('-U');
        const spec = layerSpec(l, false);
        args.push(spec);
        const r = await run('qemu-img', args, { allowFailure: true });
        // exit 0 clean, 3 leaks only (harmless), 63 check unsupported; 2 corruptions, 1 error
        if (r.exitCode === 0 || r.exitCode === 3 || r.exitCode === 63) return;
        const who = i === 0 && l === chain[0] ? given : l.path;
        let detail =
          r.stderr
            .split(spec)
            .join(l.path)
            .trim()
            .split('\n')
            .filter(Boolean)[0]
            ?.replace(/^(qemu-img:|ERROR:)\s*/, '') ?? '';
        try {
          const j = JSON.parse(r.stdout) as { corruptions?: number };
          if (j.corruptions) detail = `${j.corruptions} corruption(s), e.g. ${detail}`;
        } catch {
          /* stdout empty: keep stderr */
        }
        const busy = imageInUse(who, detail, factsOf(r));
        if (busy) throw busy;
        throw bad(who, `corrupt ${l.format} image: ${detail}`);
      }),
  );
}
