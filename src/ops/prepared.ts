// jfish -N [FILE=]TYPE: guestfish's prepared disks, laid out as guestfish lays them (its
// fish/prep*.c through the same calls: part-disk, or part-init and two part-add; pvcreate,
// vgcreate, an LV over all of the VG; mkfs), so that part-list, sizes, types and names read as
// after guestfish -N. jformat's layouts (1 MiB alignment, typed partitions) are another thing
// (appliance/layout/prepare.ts). The image is a new sparse raw file (test1.img, test2.img… by
// default); an existing file is never overwritten.
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { JootError } from '../core/errors.js';
import { checkContent, fsPlan, type Content, type FsPlan } from '../appliance/layout/prepare.js';
import { diskName } from '../appliance/names.js';
import type { Session } from '../appliance/session.js';
import { parseSize } from '../core/numbers.js';

/** A guestfish -N layout: one partition over the disk (part-disk), or a boot partition and a root one. */
export interface PreparedLayout {
  table: 'mbr' | 'gpt';
  /** bootroot, bootrootlv: the first partition, of this many sectors, with its filesystem */
  boot?: { sectors: number; fs: FsPlan };
  /** what the (last) partition holds */
  content: Content;
}

export interface PreparedDisk {
  file: string;
  size: number;
  /** undefined: a blank disk (disk, blank) */
  layout?: PreparedLayout;
}

const SECTOR = 512;
/** part-disk: the partition from sector 128 to the 128th from the end (libguestfs daemon/parted.c) */
const PART_DISK_MARGIN = 128;
/** bootroot: the boot partition starts at sector 64, the root one ends 64 sectors from the end (fish/prep-boot.c) */
const BOOTROOT_MARGIN = 64;

interface TypeSpec {
  params: string[];
  defaults: string[];
  summary: string;
}

/** The prepared disk types, their parameters (after TYPE:, colon-separated) and guestfish's defaults. */
export const PREPARED_TYPES: Record<string, TypeSpec> = {
  disk: { params: ['size'], defaults: ['1G'], summary: 'a blank disk' },
  part: { params: ['size', 'parttype'], defaults: ['1G', 'mbr'], summary: 'one partition, nothing in it' },
  fs: { params: ['fstype', 'size', 'parttype'], defaults: ['ext2', '1G', 'mbr'], summary: 'one partition with a filesystem' },
  lv: { params: ['name', 'size', 'parttype'], defaults: ['/dev/VG/LV', '1G', 'mbr'], summary: 'one partition, a PV, VG and LV' },
  lvfs: {
    params: ['name', 'fstype', 'size', 'parttype'],
    defaults: ['/dev/VG/LV', 'ext2', '1G', 'mbr'],
    summary: 'an LV with a filesystem',
  },
  bootroot: {
    params: ['bootfs', 'rootfs', 'size', 'bootsize', 'parttype'],
    defaults: ['ext2', 'ext2', '1G', '128M', 'mbr'],
    summary: 'a boot partition and a root partition, each with a filesystem',
  },
  bootrootlv: {
    params: ['name', 'bootfs', 'rootfs', 'size', 'bootsize', 'parttype'],
    defaults: ['/dev/VG/LV', 'ext2', 'ext2', '1G', '128M', 'mbr'],
    summary: 'a boot partition with a filesystem, and a root filesystem on an LV',
  },
};

/** The -N help text (also in `jfish --help`). */
export function preparedHelp(): string {
  return Object.entries(PREPARED_TYPES)
    .map(([t, s]) => `  ${[t, ...s.params].join(':')}\n      ${s.summary} (defaults: ${s.defaults.join(':')})`)
    .join('\n');
}

function lvName(s: string): { vg: string; lv: string } {
  const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(s);
  if (!m) throw new JootError('EINVAL', `-N: ${s}: an LV name is /dev/VG/LV`);
  return { vg: m[1]!, lv: m[2]! };
}

function table(s: string): 'mbr' | 'gpt' {
  if (s === 'mbr' || s === 'msdos') return 'mbr';
  if (s === 'gpt' || s === 'efi') return 'gpt';
  throw new JootError('EINVAL', `-N: ${s}: the partition table is mbr or gpt`);
}

/** Parameters left empty or out take these instead of guestfish's defaults (the record tests' smaller disks). */
export type PreparedDefaults = Partial<Record<'size' | 'bootsize', string>>;

/** Parse one -N argument; `index` (1-based) names the default file. */
export function parsePrepared(arg: string, index: number, defaults: PreparedDefaults = {}): PreparedDisk {
  const eq = arg.indexOf('=');
  const file = eq >= 0 ? arg.slice(0, eq) : `test${index}.img`;
  const spec = eq >= 0 ? arg.slice(eq + 1) : arg;
  if (!file) throw new JootError('EINVAL', `-N ${arg}: empty file name`);
  const [type, ...given] = spec.split(':');
  const t = PREPARED_TYPES[type === 'blank' ? 'disk' : type!];
  if (!t) throw new JootError('EINVAL', `-N ${arg}: unknown type '${type}' (use ${Object.keys(PREPARED_TYPES).join(', ')})`);
  if (given.length > t.params.length) throw new JootError('EINVAL', `-N ${arg}: too many parameters (${[type, ...t.params].join(':')})`);
  const v: Record<string, string> = {};
  for (const [i, p] of t.params.entries()) v[p] = given[i] || defaults[p as keyof PreparedDefaults] || t.defaults[i]!;
  const size = parseSize(v.size!, '-N size');
  const lvm = (fs?: string): Content => ({ kind: 'lvm', ...lvName(v.name!), fs: fs === undefined ? undefined : fsPlan(fs) });
  let layout: PreparedLayout | undefined;
  switch (type) {
    case 'disk':
    case 'blank':
      break;
    case 'part':
      layout = { table: table(v.parttype!), content: { kind: 'empty' } };
      break;
    case 'fs':
      layout = { table: table(v.parttype!), content: { kind: 'fs', fs: fsPlan(v.fstype!) } };
      break;
    case 'lv':
      layout = { table: table(v.parttype!), content: lvm() };
      break;
    case 'lvfs':
      layout = { table: table(v.parttype!), content: lvm(v.fstype!) };
      break;
    case 'bootroot':
    case 'bootrootlv': {
      // guestfish: bootsize / sector size, whole sectors
      const sectors = Math.floor(parseSize(v.bootsize!, '-N bootsize') / SECTOR);
      if (sectors < 1) throw new JootError('EINVAL', `-N ${arg}: the boot partition needs at least one sector`);
      layout = {
        table: table(v.parttype!),
        boot: { sectors, fs: fsPlan(v.bootfs!) },
        content: type === 'bootroot' ? { kind: 'fs', fs: fsPlan(v.rootfs!) } : lvm(v.rootfs!),
      };
      break;
    }
  }
  return { file, size, layout };
}

/** The partitions guestfish makes for `layout` on a disk of `size` bytes: [start, end] sectors, inclusive. */
export function preparedPartitions(layout: PreparedLayout, size: number): [number, number][] {
  const last = Math.floor(size / SECTOR) - 1;
  if (!layout.boot) return [[PART_DISK_MARGIN, last + 1 - PART_DISK_MARGIN]];
  const bootEnd = BOOTROOT_MARGIN + layout.boot.sectors - 1;
  return [
    [BOOTROOT_MARGIN, bootEnd],
    [bootEnd + 1, last + 1 - BOOTROOT_MARGIN],
  ];
}

/** Everything that can be known wrong before an image is made: room for the partitions and their content. */
function validate(p: PreparedDisk): void {
  const layout = p.layout;
  if (!layout) return;
  const parts = preparedPartitions(layout, p.size);
  if (layout.table === 'mbr' && p.size > 2 ** 32 * SECTOR)
    throw new JootError('EINVAL', `${p.file}: an MBR cannot address a disk over 2 TiB: use gpt`);
  const bytes = parts.map(([s, e]) => (e - s + 1) * SECTOR);
  if (bytes.some((b) => b <= 0)) throw new JootError('EINVAL', `${p.file}: the disk is too small for this layout (${p.size} bytes)`);
  if (layout.boot) checkContent({ kind: 'fs', fs: layout.boot.fs }, bytes[0]!, p.file);
  checkContent(layout.content, bytes.at(-1)!, p.file);
}

/**
 * Make the -N images (refusing to overwrite anything), after checking every layout against its
 * size: nothing is created when any of them cannot work. `created` collects what was made.
 */
export async function createPrepared(drives: readonly { prepared?: PreparedDisk }[], readonly: boolean, created: string[]): Promise<void> {
  const todo = drives.flatMap((d) => (d.prepared ? [d.prepared] : []));
  if (todo.length === 0) return;
  if (readonly) throw new JootError('EINVAL', '-N makes new disks: it cannot be used with --ro');
  for (const p of todo) {
    if (existsSync(p.file)) throw new JootError('EINVAL', `-N: ${p.file} exists already: remove it or give another name (-N FILE=TYPE)`);
    validate(p);
  }
  for (const p of todo) {
    // sparse, like qemu-img create -f raw; exclusive create: never clobber a file that appeared meanwhile
    const fh = await open(p.file, 'wx', 0o644);
    created.push(p.file);
    try {
      await fh.truncate(p.size);
    } finally {
      await fh.close();
    }
  }
}

/** guestfish's prep_postlaunch_*: the same calls, in the same order. */
async function layOut(session: Session, disk: string, layout: PreparedLayout): Promise<void> {
  const L = session.layout;
  let volume = `${disk}1`;
  if (layout.boot) {
    const size = Number(await L.blockdevGetsize64(disk));
    const [[bootStart, bootEnd], [rootStart, rootEnd]] = preparedPartitions(layout, size) as [[number, number], [number, number]];
    await L.partInit(disk, layout.table);
    await L.partAdd(disk, 'primary', bootStart, bootEnd);
    await L.partAdd(disk, 'primary', rootStart, rootEnd); // guestfish passes -64: the same sector
    await L.mkfs(`${disk}1`, { type: layout.boot.fs.type });
    volume = `${disk}2`;
  } else {
    await L.partDisk(disk, layout.table);
  }
  const c = layout.content;
  if (c.kind === 'fs') await L.mkfs(volume, { type: c.fs.type });
  if (c.kind === 'lvm') {
    await L.pvcreate(volume);
    await L.vgcreate(c.vg, [volume]);
    await L.lvcreate(c.lv, c.vg, { percentFree: 100 });
    if (c.fs) await L.mkfs(`/dev/${c.vg}/${c.lv}`, { type: c.fs.type });
  }
}

/** Launch and lay out every -N disk; on failure the images made for them are removed. */
export async function layOutPrepared(session: Session, drives: readonly { prepared?: PreparedDisk }[], created: string[]): Promise<void> {
  if (!drives.some((d) => d.prepared)) return;
  try {
    await session.launch();
    for (const [i, d] of drives.entries()) {
      const layout = d.prepared?.layout;
      if (layout) {
        const disk = diskName(i);
        await layOut(session, disk, layout).catch((e: unknown) => {
          const msg = e instanceof Error ? e.message : String(e);
          throw new JootError(e instanceof JootError ? e.code : 'EIO', `-N ${d.prepared!.file}: ${msg}`, { cause: e });
        });
      }
    }
  } catch (e) {
    await session.close().catch(() => undefined);
    await Promise.all(created.map((f) => rm(f, { force: true })));
    throw e;
  }
}
