// joot image add | list | rm, and finding the image a joot is made from (registered names,
// image_path globs, default_image, or a path).
import { realpathSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { JootError } from '../../core/errors.js';
import { probeImage } from '../../appliance/image.js';
import { checkName, humanSize } from './args.js';
import { backingOptions } from '../backing.js';
import type { ImageEntry, Store } from './store.js';

/** Images found through image_path (name: the file name without its last extension). */
export async function foundImages(store: Store): Promise<ImageEntry[]> {
  if (store.config.image_path.length === 0) return [];
  // loaded here: fast-glob is a fifth of the bundle, and create, delete and list rarely need it
  const { default: fg } = await import('fast-glob');
  const files = await fg(store.config.image_path, {
    absolute: true,
    onlyFiles: true,
    followSymbolicLinks: true,
    suppressErrors: true,
    dot: false,
  });
  const out: ImageEntry[] = [];
  const seen = new Set<string>();
  for (const f of files.sort()) {
    const name = basename(f).replace(/\.[^.]+$/, '');
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, path: f, format: '', managed: false, added: '', found: true });
  }
  return out;
}

/**
 * The image IMAGE names: a registered image, else one found through image_path (by name or file
 * name), else a file path. Its format is probed (qemu-img info) when not registered.
 */
export async function resolveImage(store: Store, image: string): Promise<ImageEntry> {
  const reg = store.imageEntry(image);
  if (reg && !image.includes('/')) return reg;
  if (!image.includes('/')) {
    const found = (await foundImages(store)).find((e) => e.name === image || basename(e.path) === image);
    if (found) return { ...found, format: (await probeImage(found.path, { readonly: true, ...backingOptions(store.config) })).format };
  }
  let st;
  try {
    st = statSync(image);
  } catch {
    throw new JootError('ENOENT', `${image}: no such image (see 'joot image list')`);
  }
  if (!st.isFile()) throw new JootError('EINVAL', `${image}: not a disk image file`);
  const info = await probeImage(image, { readonly: true, ...backingOptions(store.config) });
  return { name: image, path: info.chain[0]!.path, format: info.format, managed: false, added: '', found: true };
}

/** joot image add NAME FILE [--format FMT] */
export async function imageAdd(store: Store, name: string, file: string, format?: string): Promise<void> {
  checkName('image', name);
  if (store.imageEntry(name)) throw new JootError('EINVAL', `${name}: an image of that name exists`);
  // every layer checked (formats recorded, backing files plain and outside host system trees)
  const info = await probeImage(file, { readonly: true, format: format as never, ...backingOptions(store.config) });
  const path = realpathSync(file);
  if (path.startsWith(`${store.jootsDir}/`)) throw new JootError('EINVAL', `${file}: is a joot's disk (use 'joot save')`);
  await store.locked(async () => {
    if (store.imageEntry(name)) throw new JootError('EINVAL', `${name}: an image of that name exists`);
    store.writeImageEntry({ name, path, format: info.format, managed: false, added: new Date().toISOString(), source: 'added' });
  });
}

/** joot image rm NAME: refused while joots depend on it. */
export async function imageRm(store: Store, name: string): Promise<void> {
  checkName('image', name);
  await store.locked(async () => {
    const e = store.imageEntry(name);
    if (!e) throw new JootError('ENOENT', `${name}: no such image`);
    const users = store.joots().filter((j) => j.image === name || j.base === e.path);
    if (users.length) {
      const list = users
        .slice(0, 5)
        .map((j) => j.name)
        .join(', ');
      throw new JootError(
        'EBUSY',
        `${name}: ${users.length} joot${users.length === 1 ? '' : 's'} depend${users.length === 1 ? 's' : ''} on it (${list}${users.length > 5 ? ', …' : ''}): delete ${users.length === 1 ? 'it' : 'them'} first`,
      );
    }
    rmSync(`${store.imagesDir}/${name}.json`, { force: true });
    if (e.managed && e.path.startsWith(`${store.imagesDir}/`)) rmSync(e.path, { force: true });
  });
}

export interface ImageFacts {
  format: string;
  /** bytes, exact: a bigint beyond 2^53 */
  virtualSize: number | bigint;
  onDisk: number | bigint;
  chain: string[];
}

/** An image's format, sizes and backing chain, probed as a session would (every named file checked first). */
export async function imageFacts(path: string, allowed: { backingDirs?: string[]; backingImages?: string[] } = {}): Promise<ImageFacts> {
  const info = await probeImage(path, { readonly: true, check: false, ...allowed });
  const st = statSync(info.chain[0]!.path);
  return {
    format: info.format,
    virtualSize: info.virtualSize,
    onDisk: st.blocks * 512,
    chain: info.chain.slice(1).map((l) => `${l.path} (${l.format})`),
  };
}

/** A one-line summary of the OS in an image: "Debian GNU/Linux 12 (bookworm) x86_64". */
export async function inspectImage(
  path: string,
  format?: string,
  allowed: { backingDirs?: string[]; backingImages?: string[] } = {},
): Promise<{ summary: string; arch?: string }> {
  // loaded here: create, delete and list need none of the session and inspection code
  const [{ Session }, { inspect }] = await Promise.all([import('../../appliance/session.js'), import('../../inspect/index.js')]);
  await using s = new Session({ engine: 'kernel' });
  s.addDrive(path, { readonly: true, format: format as never, ...allowed });
  await s.launch();
  const report = await inspect(s, { applications: false, icon: false });
  const os = report.operatingsystems[0];
  if (!os) return { summary: 'no operating system found' };
  const product = os.product_name ?? '';
  const name = /[a-z]/i.test(product) ? product : [os.distro ?? os.name ?? 'unknown', product].filter(Boolean).join(' ');
  return {
    summary: `${name}${os.arch ? ` ${os.arch}` : ''}${report.operatingsystems.length > 1 ? ` (+${report.operatingsystems.length - 1} more)` : ''}`,
    arch: os.arch,
  };
}

/** The cached inspection of a registered image, refreshed when the file changed. */
async function osOf(store: Store, e: ImageEntry): Promise<string> {
  let st;
  try {
    st = statSync(e.path);
  } catch {
    return 'missing';
  }
  if (e.os && e.os.size === st.size && e.os.mtimeMs === st.mtimeMs) return e.os.summary;
  let os: { summary: string; arch?: string };
  try {
    os = await inspectImage(e.path, e.format || undefined, backingOptions(store.config));
  } catch (err) {
    return `cannot inspect: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!e.found) {
    const fresh = store.imageEntry(e.name);
    if (fresh && fresh.path === e.path) {
      try {
        store.writeImageEntry({ ...fresh, os: { ...os, size: st.size, mtimeMs: st.mtimeMs } });
      } catch {
        /* the cache is best effort */
      }
    }
  }
  return os.summary;
}

export interface ImageRow {
  name: string;
  path: string;
  source: string;
  format: string;
  /** bytes, exact: a bigint beyond 2^53 (--json writes it as an exact integer) */
  virtual_size: number | bigint;
  disk_size: number | bigint;
  backing_chain: string[];
  os: string;
  joots: number;
}

/** joot image list */
export async function imageList(store: Store, opts: { inspect: boolean }): Promise<ImageRow[]> {
  const reg = store.registeredImages();
  const names = new Set(reg.map((e) => e.name));
  const all = [...reg, ...(await foundImages(store)).filter((e) => !names.has(e.name))];
  const joots = store.joots();
  const rows: ImageRow[] = [];
  for (const e of all) {
    let facts: ImageFacts | undefined;
    try {
      facts = await imageFacts(e.path, backingOptions(store.config));
    } catch {
      facts = undefined;
    }
    rows.push({
      name: e.name,
      path: e.path,
      source: e.found ? 'image_path' : (e.source ?? 'added'),
      format: facts?.format ?? (e.format || '?'),
      virtual_size: facts?.virtualSize ?? 0,
      disk_size: facts?.onDisk ?? 0,
      backing_chain: facts?.chain ?? [],
      os: !facts ? 'missing or unreadable' : opts.inspect ? await osOf(store, e) : (e.os?.summary ?? '-'),
      joots: joots.filter((j) => j.image === e.name || j.base === e.path).length,
    });
  }
  return rows;
}

export function formatImageRows(rows: ImageRow[]): string {
  if (rows.length === 0) return 'no images (joot image add NAME FILE, or joot image build NAME --debootstrap SUITE)\n';
  const table = [
    ['NAME', 'FORMAT', 'VSIZE', 'ON DISK', 'JOOTS', 'OS', 'SOURCE', 'FILE'],
    ...rows.map((r) => [
      r.name,
      r.format,
      humanSize(Number(r.virtual_size)),
      humanSize(Number(r.disk_size)),
      String(r.joots),
      r.os,
      r.source,
      r.path + (r.backing_chain.length ? ` <- ${r.backing_chain.join(' <- ')}` : ''),
    ]),
  ];
  return formatTable(table);
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
