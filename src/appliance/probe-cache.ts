// An opt-in cache of probeImage for a drive that is attached again and again over the same
// base: `joot enter` opens its joot's qcow2 overlay read-write on every start, and probing the
// chain (`qemu-img info` per layer, `qemu-img check` of every qcow2 layer) costs 30–60 ms of its
// cold start, for a base that has not changed since last time.
//
// What is trusted, and what is re-read on every hit:
//   - the top layer is joot's own file: it is not stamped (every session writes to it), but its
//     qcow2 header is parsed again (no qemu): its backing file name, resolved as qemu and
//     probeImage resolve it and re-checked by the same allow-list rule (named-path.ts, with
//     this call's allowance), and its backing format must
//     still be the cached chain's second layer; its virtual size must be the cached one; a
//     corrupt (or dirty, encrypted, external-data) header, or tables past the end of the file,
//     is a miss. A top that is not qcow2 never hits.
//   - every lower layer is trusted by a stamp taken when the probe succeeded (device, inode,
//     size, mtime and ctime in ns; a user can set mtime back but not ctime, so a replaced or
//     rewritten base is noticed) and must still be a plain file. Lower layers must be raw or
//     qcow2 (no vmdk extents, which name files of their own); their backing names are
//     re-resolved and re-checked like the top's.
// Anything unexpected is a miss, never an error: the miss runs probeImage, whose errors are the
// ones the caller gets without a cache. Only a probe that succeeded, checked, is cached.
import { nodeCrypto } from '../core/lazy-node.js';
import { constants, type BigIntStats } from 'node:fs';
import { open, rename, rm, stat, writeFile, realpath } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { probeImage, type ImageInfo, type ImageLayer, type ProbeOptions } from './image.js';
import { trace } from '../core/run.js';
import { checkNamedPath, type BackingAllowance } from '../disk/containers/named-path.js';
import { MAX_BACKING_NAME, QCOW2_MAGIC, readQcow2Extensions } from '../disk/containers/qcow2-format.js';

export interface CachedProbe {
  info: ImageInfo;
  /** True when the info came from the cache: no qemu-img ran, and none needs to. */
  hit: boolean;
  /**
   * Write the cache now. Needed only after a miss probed with `check: false`, once the caller's
   * own checkImage has passed (a probe that was not checked is never cached). A no-op after a
   * hit or a checked probe (already written). Never throws.
   */
  save(): Promise<void>;
}

const VERSION = 1;
/** A lower layer whose ctime is this close to the probe's start (or later) may have changed under it. */
const SETTLE_MS = 100;
const MAX_CACHE_BYTES = 1 << 20;
const HEADER_BYTES = 64 * 1024;
/** Lower-layer formats whose only outside reference is a backing file that the header names. */
const CACHEABLE_FORMATS = new Set(['qcow2', 'raw']);

interface Stamp {
  path: string;
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

interface CacheKey {
  format: string | null;
  readonly: boolean;
  allowUnsafeBacking: boolean;
}

interface CacheFile {
  version: number;
  opts: CacheKey;
  info: Omit<ImageInfo, 'given'>;
  /** chain[1..] in order */
  stamps: Stamp[];
}

/** Probe `path` like probeImage, from `cacheFile` when nothing that matters has changed. */
export async function probeImageCached(path: string, opts: ProbeOptions, cacheFile: string): Promise<ImageInfo> {
  return (await probeImageWithCache(path, opts, cacheFile)).info;
}

/** probeImageCached, saying whether it hit (a hit needs no checkImage either). */
export async function probeImageWithCache(path: string, opts: ProbeOptions, cacheFile: string): Promise<CachedProbe> {
  const key = keyOf(opts);
  const cached = await readCache(cacheFile);
  if (cached) {
    const why = sameKey(cached.opts, key) ? await staleReason(path, cached, opts) : 'other probe options';
    if (!why) {
      trace(`probe cache: hit ${cacheFile}`);
      const { chain, format, virtualSize, isBlockDevice } = cached.info;
      return { info: { given: path, chain, format, virtualSize, isBlockDevice }, hit: true, save: noop };
    }
    trace(`probe cache: miss ${cacheFile} (${why})`);
  }
  const started = Date.now();
  const info = await probeImage(path, opts);
  let saving: Promise<void> | undefined;
  const save = (): Promise<void> => (saving ??= writeCache(cacheFile, key, info, started));
  if (opts.check !== false) {
    await save();
    return { info, hit: false, save: noop };
  }
  return { info, hit: false, save };
}

const noop = (): Promise<void> => Promise.resolve();

function keyOf(opts: ProbeOptions): CacheKey {
  return { format: opts.format ?? null, readonly: opts.readonly ?? false, allowUnsafeBacking: opts.allowUnsafeBacking ?? false };
}

function sameKey(a: CacheKey, b: CacheKey): boolean {
  return a.format === b.format && a.readonly === b.readonly && a.allowUnsafeBacking === b.allowUnsafeBacking;
}

// ------------------------------------------------------------------------------ validation

/** Why the cached probe no longer holds for `given`, or undefined when it does. */
async function staleReason(given: string, c: CacheFile, allow: BackingAllowance): Promise<string | undefined> {
  try {
    const { chain } = c.info;
    const top = chain[0]!;
    if (top.format !== 'qcow2' || c.info.format !== 'qcow2' || c.info.isBlockDevice) return 'top is not a qcow2 file';
    if (chain.some((l) => !CACHEABLE_FORMATS.has(l.format))) return 'a layer is neither qcow2 nor raw';
    if (c.stamps.length !== chain.length - 1) return 'stamps do not match the chain';
    if ((await realpath(given)) !== top.path) return 'the path names another file now';
    for (const [i, layer] of chain.entries()) {
      if (i > 0) {
        const s = c.stamps[i - 1]!;
        if (s.path !== layer.path) return 'stamps do not match the chain';
        const now = stampOf(layer.path, await stat(layer.path, { bigint: true }));
        if (!now || !sameStamp(now, s)) return `${layer.path} changed`;
      }
      const next = chain[i + 1];
      if (layer.format === 'raw') {
        if (next) return 'a raw layer with a backing file';
        continue;
      }
      const h = await readQcow2Header(layer.path);
      if (typeof h === 'string') return `${layer.path}: ${h}`;
      if (i === 0 && h.virtualSize !== BigInt(c.info.virtualSize)) return 'the virtual size changed';
      if (!next) {
        if (h.backing !== undefined) return `${layer.path} has a backing file now`;
        continue;
      }
      if (h.backing === undefined) return `${layer.path} has no backing file now`;
      if (h.backingFormat !== next.format)
        return `${layer.path}: backing format is ${h.backingFormat ?? 'not recorded'}, not ${next.format}`;
      // the allow-list rule again, with this call's allowance (the cache does not widen it)
      const real = await checkNamedPath(
        { imageGiven: i === 0 ? given : layer.path, imagePath: layer.path, field: 'backing file', name: h.backing },
        allow,
      );
      if (real !== next.path) return `${layer.path}: backing file is ${real} now`;
    }
    return undefined;
  } catch (e) {
    return `revalidation failed: ${(e as Error).message}`;
  }
}

interface Qcow2Header {
  virtualSize: bigint;
  backing?: string;
  backingFormat?: string;
}

// incompatible features: 0 dirty, 1 corrupt, 2 external data file (a file the chain does not
// name), 3 compression type, 4 extended L2 entries; any other bit is one we do not know
const INCOMPAT_OK = (1n << 3n) | (1n << 4n);

/** The parts of a qcow2 header the cache depends on, or why it does not trust it. */
async function readQcow2Header(path: string): Promise<Qcow2Header | string> {
  const fh = await open(path, constants.O_RDONLY);
  let buf: Buffer;
  let fileSize: bigint;
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) return 'not a plain file';
    fileSize = st.size;
    buf = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEADER_BYTES, 0);
    buf = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (buf.length < 72 || buf.readUInt32BE(0) !== QCOW2_MAGIC) return 'not qcow2';
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return `qcow2 version ${version}`;
  const backingOffset = buf.readBigUInt64BE(8);
  const backingSize = buf.readUInt32BE(16);
  const clusterBits = buf.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) return 'bad cluster size';
  const virtualSize = buf.readBigUInt64BE(24);
  if (buf.readUInt32BE(32) !== 0) return 'encrypted';
  const l1End = buf.readBigUInt64BE(40) + BigInt(buf.readUInt32BE(36)) * 8n;
  const refcountEnd = buf.readBigUInt64BE(48) + (BigInt(buf.readUInt32BE(56)) << BigInt(clusterBits));
  // a truncated image (its tables past the end of the file): qemu-img check would refuse it
  if (l1End > fileSize || refcountEnd > fileSize) return 'tables past the end of the file';
  let extStart = 72;
  if (version === 3) {
    if (buf.length < 104) return 'short header';
    const incompat = buf.readBigUInt64BE(72);
    if (incompat & 2n) return 'marked corrupt';
    if (incompat & 1n) return 'marked dirty';
    if (incompat & ~INCOMPAT_OK) return `incompatible features 0x${incompat.toString(16)}`;
    extStart = buf.readUInt32BE(100);
    if (extStart < 104) return 'bad header length';
  }
  const ext = readQcow2Extensions(buf, extStart);
  if (!ext) return 'header extensions past 64 KiB';
  if (ext.dataFile !== undefined) return 'external data file';
  const h: Qcow2Header = { virtualSize, backingFormat: ext.backingFormat };
  if (backingOffset !== 0n) {
    if (backingSize === 0 || backingSize > MAX_BACKING_NAME || backingOffset + BigInt(backingSize) > BigInt(buf.length))
      return 'backing file name not in the header';
    const name = buf.toString('utf8', Number(backingOffset), Number(backingOffset) + backingSize);
    // a name qemu may read as a protocol (nbd:, json:, file:…) is for probeImage to judge
    if (name.includes('\0') || (!isAbsolute(name) && /^[\w+.-]+:/.test(name))) return 'backing file name is not a plain path';
    h.backing = name;
  }
  return h;
}

function stampOf(path: string, st: BigIntStats): Stamp | undefined {
  if (!st.isFile()) return undefined; // a device or pipe changes without its stamp changing
  return {
    path,
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
  };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

// ------------------------------------------------------------------------------ the file

async function readCache(cacheFile: string): Promise<CacheFile | undefined> {
  let text: string;
  try {
    const fh = await open(cacheFile, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      // a cache someone else could have written would let them skip the checks
      if (!st.isFile() || st.size > MAX_CACHE_BYTES || (st.mode & 0o022) !== 0 || (process.geteuid && st.uid !== process.geteuid())) {
        trace(`probe cache: ignoring ${cacheFile} (not a private file of ours)`);
        return undefined;
      }
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') trace(`probe cache: cannot read ${cacheFile} (${(e as Error).message})`);
    return undefined;
  }
  try {
    const c = JSON.parse(text) as unknown;
    if (isCacheFile(c)) return c;
  } catch {
    /* fall through */
  }
  trace(`probe cache: ignoring ${cacheFile} (not a probe cache)`);
  return undefined;
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isCacheFile(c: unknown): c is CacheFile {
  if (!isObj(c) || c.version !== VERSION || !isObj(c.opts) || !isObj(c.info) || !Array.isArray(c.stamps)) return false;
  const { opts, info, stamps } = c;
  if (!(opts.format === null || isStr(opts.format)) || typeof opts.readonly !== 'boolean' || typeof opts.allowUnsafeBacking !== 'boolean')
    return false;
  if (!Array.isArray(info.chain) || info.chain.length === 0 || !isStr(info.format) || typeof info.isBlockDevice !== 'boolean') return false;
  if (typeof info.virtualSize !== 'number' || !Number.isSafeInteger(info.virtualSize) || info.virtualSize < 0) return false;
  const layerOk = (l: unknown): l is ImageLayer => isObj(l) && isStr(l.path) && isAbsolute(l.path) && isStr(l.format);
  const stampOk = (s: unknown): s is Stamp => isObj(s) && ['path', 'dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'].every((k) => isStr(s[k]));
  return info.chain.every(layerOk) && stamps.every(stampOk);
}

/** Stamp the lower layers and write the cache atomically; a failure only means no cache. */
async function writeCache(cacheFile: string, opts: CacheKey, info: ImageInfo, probeStarted: number): Promise<void> {
  const { chain, format, virtualSize, isBlockDevice } = info;
  if (chain[0]!.format !== 'qcow2' || isBlockDevice || !chain.every((l) => CACHEABLE_FORMATS.has(l.format))) {
    trace(`probe cache: not caching ${info.given} (only a qcow2 file over qcow2/raw layers is cached)`);
    return;
  }
  let tmp: string | undefined;
  try {
    const stamps: Stamp[] = [];
    for (const layer of chain.slice(1)) {
      const st = await stat(layer.path, { bigint: true });
      const s = stampOf(layer.path, st);
      if (!s) return trace(`probe cache: not caching ${info.given} (${layer.path} is not a plain file)`);
      // changed while it was being probed (or just before, within the clock's granularity)?
      if (st.ctimeNs >= BigInt(probeStarted - SETTLE_MS) * 1_000_000n) {
        return trace(`probe cache: not caching ${info.given} (${layer.path} changed moments ago)`);
      }
      stamps.push(s);
    }
    const body: CacheFile = { version: VERSION, opts, info: { chain, format, virtualSize, isBlockDevice }, stamps };
    tmp = `${cacheFile}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(body, null, 1)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, cacheFile);
    tmp = undefined;
    trace(`probe cache: wrote ${cacheFile}`);
  } catch (e) {
    trace(`probe cache: cannot write ${cacheFile} (${(e as Error).message})`);
  } finally {
    if (tmp) await rm(tmp, { force: true }).catch(() => undefined);
  }
}
