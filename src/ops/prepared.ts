// jfish -N [FILE=]TYPE: guestfish's prepared disks, as layout plans for the same code jformat
// uses (appliance/layout/prepare.ts). The image is a new sparse raw file (test1.img, test2.img…
// by default); an existing file is never overwritten.
import { existsSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { JootError } from '../core/errors.js';
import { applyPlan, fsPlan, validatePlan, type LayoutPlan } from '../appliance/layout/prepare.js';
import { diskName } from '../appliance/names.js';
import type { Session } from '../appliance/session.js';
import { parseSize } from '../core/numbers.js';

export interface PreparedDisk {
  file: string;
  size: number;
  /** undefined: a blank disk (disk, blank) */
  plan?: LayoutPlan;
}

const MiB = 1024 * 1024;

interface TypeSpec {
  params: string[];
  defaults: string[];
  summary: string;
}

/** The prepared disk types, their parameters (after TYPE:, colon-separated) and defaults. */
export const PREPARED_TYPES: Record<string, TypeSpec> = {
  disk: { params: ['size'], defaults: ['100M'], summary: 'a blank disk' },
  part: { params: ['size', 'parttype'], defaults: ['100M', 'mbr'], summary: 'one partition, nothing in it' },
  fs: { params: ['fstype', 'size', 'parttype'], defaults: ['ext2', '100M', 'mbr'], summary: 'one partition with a filesystem' },
  lv: { params: ['name', 'size', 'parttype'], defaults: ['/dev/VG/LV', '100M', 'mbr'], summary: 'one partition, a PV, VG and LV' },
  lvfs: {
    params: ['name', 'fstype', 'size', 'parttype'],
    defaults: ['/dev/VG/LV', 'ext2', '100M', 'mbr'],
    summary: 'an LV with a filesystem',
  },
  bootroot: {
    params: ['bootfs', 'rootfs', 'size', 'bootsize', 'parttype'],
    defaults: ['ext2', 'ext2', '100M', '32M', 'mbr'],
    summary: 'a boot partition and a root partition, each with a filesystem',
  },
  bootrootlv: {
    params: ['name', 'bootfs', 'rootfs', 'size', 'bootsize', 'parttype'],
    defaults: ['/dev/VG/LV', 'ext2', 'ext2', '100M', '32M', 'mbr'],
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

/** Parse one -N argument; `index` (1-based) names the default file. */
export function parsePrepared(arg: string, index: number): PreparedDisk {
  const eq = arg.indexOf('=');
  const file = eq >= 0 ? arg.slice(0, eq) : `test${index}.img`;
  const spec = eq >= 0 ? arg.slice(eq + 1) : arg;
  if (!file) throw new JootError('EINVAL', `-N ${arg}: empty file name`);
  const [type, ...given] = spec.split(':');
  const t = PREPARED_TYPES[type === 'blank' ? 'disk' : type!];
  if (!t) throw new JootError('EINVAL', `-N ${arg}: unknown type '${type}' (use ${Object.keys(PREPARED_TYPES).join(', ')})`);
  if (given.length > t.params.length) throw new JootError('EINVAL', `-N ${arg}: too many parameters (${[type, ...t.params].join(':')})`);
  const v: Record<string, string> = {};
  for (const [i, p] of t.params.entries()) v[p] = given[i] || t.defaults[i]!;
  const size = parseSize(v.size!, '-N size');
  const rest: LayoutPlan['parts'][number] = { content: { kind: 'empty' } };
  let plan: LayoutPlan | undefined;
  switch (type) {
    case 'disk':
    case 'blank':
      break;
    case 'part':
      plan = { table: table(v.parttype!), parts: [rest] };
      break;
    case 'fs':
      plan = { table: table(v.parttype!), parts: [{ content: { kind: 'fs', fs: fsPlan(v.fstype!) } }] };
      break;
    case 'lv':
      plan = { table: table(v.parttype!), parts: [{ content: { kind: 'lvm', ...lvName(v.name!) } }] };
      break;
    case 'lvfs':
      plan = { table: table(v.parttype!), parts: [{ content: { kind: 'lvm', ...lvName(v.name!), fs: fsPlan(v.fstype!) } }] };
      break;
    case 'bootroot':
    case 'bootrootlv': {
      const bootsize = parseSize(v.bootsize!, '-N bootsize');
      if (bootsize % MiB) throw new JootError('EINVAL', `-N ${arg}: bootsize must be whole MiB`);
      const root = fsPlan(v.rootfs!);
      plan = {
        table: table(v.parttype!),
        parts: [
          { size: bootsize, content: { kind: 'fs', fs: fsPlan(v.bootfs!) } },
          { content: type === 'bootroot' ? { kind: 'fs', fs: root } : { kind: 'lvm', ...lvName(v.name!), fs: root } },
        ],
      };
      break;
    }
  }
  return { file, size, plan };
}

/**
 * Make the -N images (refusing to overwrite anything), after checking every plan against its
 * size: nothing is created when any of them cannot work. `created` collects what was made.
 */
export async function createPrepared(drives: readonly { prepared?: PreparedDisk }[], readonly: boolean, created: string[]): Promise<void> {
  const todo = drives.flatMap((d) => (d.prepared ? [d.prepared] : []));
  if (todo.length === 0) return;
  if (readonly) throw new JootError('EINVAL', '-N makes new disks: it cannot be used with --ro');
  for (const p of todo) {
    if (existsSync(p.file)) throw new JootError('EINVAL', `-N: ${p.file} exists already: remove it or give another name (-N FILE=TYPE)`);
    if (p.plan) validatePlan(p.plan, p.size, p.file);
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

/** Launch and lay out every -N disk; on failure the images made for them are removed. */
export async function layOutPrepared(session: Session, drives: readonly { prepared?: PreparedDisk }[], created: string[]): Promise<void> {
  if (!drives.some((d) => d.prepared)) return;
  try {
    await session.launch();
    for (const [i, d] of drives.entries()) {
      if (d.prepared?.plan) await applyPlan(session, diskName(i), d.prepared.plan);
    }
  } catch (e) {
    await session.close().catch(() => undefined);
    await Promise.all(created.map((f) => rm(f, { force: true })));
    throw e;
  }
}
