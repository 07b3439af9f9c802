// joot create | list | rename | delete | purge | save: the joots themselves (store.ts has the layout).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { checkName, humanSize } from './args.js';
import { formatTable, resolveImage } from './images.js';
import { releaseIdle } from './holder-client.js';
import { backingOptions } from '../backing.js';
import { diskUsage, Store, type JootMeta } from './store.js';

/** joot create NAME IMAGE: a qcow2 overlay backed by the image (kilobytes on disk). */
export async function create(store: Store, name: string, image: string): Promise<JootMeta> {
  checkName('joot', name);
  if (store.exists(name)) throw new JootError('EINVAL', `${name}: a joot of that name exists`);
  const img = await resolveImage(store, image);
  const work = store.workDir('create');
  try {
    const meta: JootMeta = {
      name,
      id: randomBytes(8).toString('hex'),
      image: img.found ? img.path : img.name,
      base: img.path,
      baseFormat: img.format,
      created: new Date().toISOString(),
    };
    // the overlay is written directly (no qemu-img: ~35 ms of startup); it records the base's
    // format. The base's size is read from its header (raw, qcow2), else via qemu-img info.
    const { imageVirtualSize, writeQcow2Overlay } = await import('../../appliance/qcow2-overlay.js');
    let virtualSize: number | undefined;
    try {
      virtualSize = imageVirtualSize(img.path, img.format);
    } catch {
      virtualSize = undefined; // unreadable: probeImage says why
    }
    if (virtualSize === undefined) {
      const { probeImage } = await import('../../appliance/image.js');
      virtualSize = (await probeImage(img.path, { readonly: true, format: img.format, ...backingOptions(store.config) })).virtualSize;
    }
    writeQcow2Overlay(join(work, 'disk.qcow2'), { virtualSize, backingFile: img.path, backingFormat: img.format });
    chmodSync(work, 0o700);
    store.writeMeta(work, meta);
    await store.locked(async () => {
      if (store.exists(name)) throw new JootError('EINVAL', `${name}: a joot of that name exists`);
      renameSync(work, store.jootDir(name));
    });
    return meta;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface JootRow {
  name: string;
  image: string;
  created: string;
  disk_size: number;
  /** entered: enters are running in it */
  in_use: boolean;
  /** attached and mounted, kept ready after its last exit (linger) */
  ready: boolean;
  holder_pid?: number;
}

/** joot list */
export function list(store: Store): JootRow[] {
  return store.joots().map((m) => {
    const h = Store.holder(m.id);
    const inUse = h !== undefined && h.clients > 0;
    return {
      name: m.name,
      image: m.image,
      created: m.created,
      disk_size: diskUsage(store.jootDir(m.name)),
      in_use: inUse,
      ready: h !== undefined && !inUse,
      holder_pid: h?.pid,
    };
  });
}

export function formatJootRows(rows: JootRow[]): string {
  if (rows.length === 0) return 'no joots (joot create NAME IMAGE)\n';
  const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return formatTable([
    ['NAME', 'IMAGE', 'CREATED', 'SIZE', 'STATE'],
    ...rows.map((r) => [
      r.name,
      r.image,
      when(r.created),
      humanSize(r.disk_size),
      r.in_use ? `entered (pid ${r.holder_pid})` : r.ready ? `ready (pid ${r.holder_pid})` : '-',
    ]),
  ]);
}

/**
 * With the joot's lock held: refuse when the joot is entered; release it when it is only kept
 * ready after its last exit (linger).
 */
export async function makeIdle(id: string, name: string, what: string): Promise<void> {
  if ((await releaseIdle(id, name)) === 'busy') {
    throw new JootError('EBUSY', `${name}: in use (entered; holder pid ${Store.holder(id)?.pid ?? '?'}): cannot ${what} it now`);
  }
}

/** Hold the store lock and the joot's own lock; refuse when the joot is entered. */
async function whileIdle<T>(store: Store, name: string, what: string, fn: (m: JootMeta) => Promise<T>): Promise<T> {
  return store.locked(async () => {
    const m = store.meta(name);
    const lock = await Store.lockJoot(m.id, name, 5000);
    try {
      await makeIdle(m.id, name, what);
      return await fn(store.meta(name));
    } finally {
      lock.release();
    }
  });
}

/** joot rename OLD NEW */
export async function rename(store: Store, from: string, to: string): Promise<void> {
  checkName('joot', from);
  checkName('joot', to);
  await whileIdle(store, from, 'rename', async (m) => {
    if (store.exists(to) || existsSync(store.jootDir(to))) throw new JootError('EINVAL', `${to}: a joot of that name exists`);
    renameSync(store.jootDir(from), store.jootDir(to));
    store.writeMeta(store.jootDir(to), { ...m, name: to });
  });
}

/** joot delete NAME…: refused while entered; the directory goes to .trash first (atomic). */
export async function remove(store: Store, name: string): Promise<void> {
  checkName('joot', name);
  const trash = await whileIdle(store, name, 'delete', async () => {
    mkdirSync(store.trashDir, { recursive: true, mode: 0o700 });
    const t = join(store.trashDir, `${name}-${randomBytes(4).toString('hex')}`);
    renameSync(store.jootDir(name), t);
    return t;
  });
  rmSync(trash, { recursive: true, force: true });
}

/**
 * joot purge: every joot and every image joot made, and the registry, under joot_home. Images
 * registered with `image add` stay where they are (only their registration goes). Refused
 * while any joot is entered.
 */
export async function purge(store: Store): Promise<{ joots: number; images: number }> {
  return store.locked(async () => {
    const joots = store.joots();
    const busy = joots.filter((j) => (Store.holder(j.id)?.clients ?? 0) > 0);
    if (busy.length) throw new JootError('EBUSY', `${busy.map((j) => j.name).join(', ')}: in use (entered): nothing purged`);
    for (const j of joots.filter((j) => Store.holder(j.id))) {
      const lock = await Store.lockJoot(j.id, j.name, 5000);
      try {
        if ((await releaseIdle(j.id, j.name)) === 'busy') throw new JootError('EBUSY', `${j.name}: in use (entered): nothing purged`);
      } finally {
        lock.release();
      }
    }
    const images = store.registeredImages();
    mkdirSync(store.trashDir, { recursive: true, mode: 0o700 });
    const t = join(store.trashDir, `purge-${randomBytes(4).toString('hex')}`);
    mkdirSync(t);
    for (const d of ['joots', 'images']) if (existsSync(join(store.home, d))) renameSync(join(store.home, d), join(t, d));
    rmSync(t, { recursive: true, force: true });
    for (const d of ['.tmp', '.trash']) {
      try {
        if (readdirSync(join(store.home, d)).length === 0) rmSync(join(store.home, d), { recursive: true, force: true });
      } catch {
        /* absent */
      }
    }
    return { joots: joots.length, images: images.length };
  });
}

/** joot save NAME NEWIMAGE [--format qcow2|raw]: flatten the joot into a standalone image and register it. */
export async function save(store: Store, name: string, image: string, format = 'qcow2'): Promise<string> {
  checkName('joot', name);
  checkName('image', image);
  if (format !== 'qcow2' && format !== 'raw') throw new JootError('EINVAL', `--format ${format}: save makes qcow2 or raw images`);
  if (store.imageEntry(image)) throw new JootError('EINVAL', `${image}: an image of that name exists`);
  const m = store.meta(name);
  const work = store.workDir('save');
  try {
    const out = join(work, `image.${format}`);
    // the joot's lock for the whole copy: nobody enters (writes) it meanwhile
    const lock = await Store.lockJoot(m.id, name, 5000);
    try {
      await makeIdle(m.id, name, 'save');
      await run('qemu-img', ['convert', '-f', 'qcow2', '-O', format, store.diskOf(name), out]);
    } finally {
      lock.release();
    }
    chmodSync(out, 0o444);
    const final = join(store.imagesDir, `${image}.${format}`);
    await store.locked(async () => {
      if (store.imageEntry(image)) throw new JootError('EINVAL', `${image}: an image of that name exists`);
      if (existsSync(final)) throw new JootError('EINVAL', `${final}: exists already (not registered: remove it first)`);
      renameSync(out, final);
      store.writeImageEntry({
        name: image,
        path: final,
        format,
        managed: true,
        added: new Date().toISOString(),
        source: `save of ${name}`,
      });
    });
    return final;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
