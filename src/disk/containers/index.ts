// openImage: an image file as a ByteSource over its virtual disk. The format is the caller's,
// or the top image's magic (formats.ts); backing files get the format their parent records
// (never probed: a raw base must not be read as qcow2). raw and qcow2 are read natively, every
// other format (and qcow2 with an external data file) through an unprivileged
// qemu-storage-daemon over NBD; an encrypted qcow2 is refused from its header (image-headers.ts).
// Every host file a header names is checked (named-path.ts) before anything opens it; chains
// are at most 16 deep and never loop.
import { lstatSync, realpathSync } from 'node:fs';
import { JootError } from '../../core/errors.js';
import { leaveSandboxToRead } from '../../core/sandbox.js';
import { FileSource, type ByteSource } from '../source.js';
import { CachedSource, DEFAULT_CACHE_BYTES } from './cache.js';
import { detectFormat, notARawDisk, PROBE_BYTES } from './formats.js';
import { checkLayerNames } from './layer-names.js';
import type { BackingAllowance } from './named-path.js';
import type { OpenedImage } from './opened.js';
import { METADATA_CACHE_BYTES, Qcow2Source, readQcow2Header } from './qcow2.js';
import { openQemuExport, QEMU_FORMATS, type ExportLayer } from './qemu-export.js';

export type { OpenedImage } from './opened.js';
export type { BackingAllowance } from './named-path.js';

export interface OpenImageOptions extends BackingAllowance {
  /** the format, when the caller knows it (else detected from the magic) */
  format?: string;
  /** what messages call the image (default: the path as given) */
  name?: string;
  /** the block cache's cap in bytes (default 8 MiB) */
  cacheBytes?: number;
}

const MAX_CHAIN = 16;
const NBD_BLOCK = 64 * 1024;

interface Walk {
  top: string;
  opts: OpenImageOptions;
  seen: Set<string>;
}

/** Open `path` read-only as a disk image. Errors are one-line JootErrors naming the image. */
export async function openImage(path: string, opts: OpenImageOptions = {}): Promise<OpenedImage> {
  const name = opts.name ?? path;
  // named by the user, who trusts it: in the sandbox, a reason to run again outside, not to refuse
  leaveSandboxToRead(path, name);
  const real = await checkTop(path, name);
  leaveSandboxToRead(real, name);
  const walk: Walk = { top: name, opts, seen: new Set() };
  const { source, format, blockSize } = await openLayer(walk, name, real, opts.format, 0);
  if (format === 'raw') return Object.assign(source, { format }); // the page cache is the cache
  return Object.assign(new CachedSource(source, blockSize, opts.cacheBytes ?? DEFAULT_CACHE_BYTES), { format });
}

// synchronous, as the scan's reads (DiskStack.open): a round trip through libuv's pool costs more
// than the call, and node:fs/promises is not loaded for it
async function checkTop(path: string, name: string): Promise<string> {
  let st;
  try {
    st = lstatSync(realpathSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new JootError('ENOENT', `${name}: No such file or directory`);
    if (code === 'EACCES') throw new JootError('EPERM', `${name}: Permission denied`);
    throw new JootError('EINVAL', `${name}: cannot open (${code})`);
  }
  if (st.isDirectory()) throw new JootError('EINVAL', `${name}: is a directory, not a disk image`);
  if (!st.isFile() && !st.isBlockDevice()) throw new JootError('EINVAL', `${name}: not a regular file or block device`);
  if (st.isFile() && st.size === 0) throw new JootError('EFORMAT', `${name}: empty file, not a disk image`);
  return realpathSync(path);
}

async function openFile(path: string, name: string): Promise<FileSource> {
  try {
    return await FileSource.open(path, name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new JootError('EPERM', `${name}: Permission denied`);
    throw new JootError('EIO', `${name}: cannot open (${code ?? (e as Error).message})`);
  }
}

interface Layer {
  source: ByteSource;
  format: string;
  blockSize: number;
}

/** Open the layer at real path `path` (and, below it, its backing chain). */
async function openLayer(w: Walk, layerGiven: string, path: string, format: string | undefined, depth: number): Promise<Layer> {
  if (depth >= MAX_CHAIN) throw new JootError('EFORMAT', `${w.top}: backing chain longer than ${MAX_CHAIN} images`);
  if (w.seen.has(path)) throw new JootError('EFORMAT', `${w.top}: backing chain loops back to ${path}`);
  w.seen.add(path);
  const file = await openFile(path, layerGiven);
  let keep = false;
  try {
    const head = await file.read(0, Math.min(file.size, PROBE_BYTES));
    const fmt = format ?? detectFormat(head);
    if (fmt === 'raw') {
      // the kernel engine's check (appliance/image.ts): a probed raw file that is no disk
      const why = format === undefined && depth === 0 && file.kind === 'file' ? notARawDisk(file.size, head) : undefined;
      if (why) throw new JootError('EFORMAT', `${layerGiven}: ${why}`);
      keep = true;
      return { source: file, format: fmt, blockSize: NBD_BLOCK };
    }
    if (!QEMU_FORMATS.has(fmt)) throw new JootError('EUNSUPPORTED', `${layerGiven}: image format ${fmt} is not supported`);
    const names = await checkLayerNames(layerGiven, path, fmt, w.opts);
    if (fmt === 'qcow2') {
      const h = await readQcow2Header(file);
      if (!h.externalData && h.cryptMethod === 0) {
        const backing = names.backing
          ? await openLayer(w, names.backing.real, names.backing.real, backingFormat(layerGiven, names.backing), depth + 1)
          : undefined;
        try {
          // a deep chain must not multiply the memory a good image needs: backing layers keep less
          const q = await Qcow2Source.open(file, h, backing?.source, depth === 0 ? METADATA_CACHE_BYTES : METADATA_CACHE_BYTES / 4);
          keep = true;
          return { source: q, format: fmt, blockSize: Math.max(h.clusterSize, NBD_BLOCK) };
        } catch (e) {
          await backing?.source.close();
          throw e;
        }
      }
    }
    // qemu's path: the whole chain from this layer down, every layer's names checked first
    const chain = await exportChain(w, layerGiven, path, fmt, names, depth);
    return { source: await openQemuExport(chain, layerGiven), format: fmt, blockSize: NBD_BLOCK };
  } finally {
    if (!keep) await file.close();
  }
}

/** A backing file's format comes from its parent's header; probing it is unsafe (as image.ts rules). */
function backingFormat(layerGiven: string, b: { name: string; format?: string }): string {
  if (!b.format) {
    throw new JootError(
      'EFORMAT',
      `${layerGiven}: backing file ${b.name} has no recorded format (refused: probing it is unsafe; set it with qemu-img rebase -u -F FMT)`,
    );
  }
  return b.format;
}

async function exportChain(
  w: Walk,
  layerGiven: string,
  path: string,
  format: string,
  names: Awaited<ReturnType<typeof checkLayerNames>>,
  depth: number,
): Promise<ExportLayer[]> {
  const chain: ExportLayer[] = [names.dataFile ? { path, format, dataFile: names.dataFile } : { path, format }];
  let given = layerGiven;
  let b = names.backing;
  for (let d = depth + 1; b; d++) {
    if (d >= MAX_CHAIN) throw new JootError('EFORMAT', `${w.top}: backing chain longer than ${MAX_CHAIN} images`);
    if (w.seen.has(b.real)) throw new JootError('EFORMAT', `${w.top}: backing chain loops back to ${b.real}`);
    w.seen.add(b.real);
    const fmt = backingFormat(given, b);
    if (fmt !== 'raw' && !QEMU_FORMATS.has(fmt)) throw new JootError('EUNSUPPORTED', `${b.real}: image format ${fmt} is not supported`);
    const n = await checkLayerNames(b.real, b.real, fmt, w.opts);
    chain.push(n.dataFile ? { path: b.real, format: fmt, dataFile: n.dataFile } : { path: b.real, format: fmt });
    given = b.real;
    b = n.backing;
  }
  return chain;
}
