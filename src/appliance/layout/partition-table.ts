// Writing partition tables on an attached disk with sfdisk. sfdisk is told never to re-read
// or notify the kernel itself (--no-reread --no-tell-kernel): the session re-syncs the kernel's
// partition devices afterwards with partx, which works with and without a kernel partition
// parser, and retries while udev's probes hold the device (see partitions.ts).
import { open } from 'node:fs/promises';
import { JootError } from '../../core/errors.js';
import { exactInteger, parseJsonExact } from '../../core/json.js';
import { commandError, run, type Runner } from '../../core/run.js';
import type { LayoutPartition, LayoutTable, LayoutTableType } from '../../disk/volumes/partitions.js';

export type TableType = LayoutTableType;
export type PartKind = 'primary' | 'logical' | 'extended';

const SECTOR = 512;
const QUIET = ['--no-reread', '--no-tell-kernel', '--lock=no'];

/** guestfish spellings of a table type → sfdisk's. */
export function parseTableType(s: string): TableType {
  switch (s.toLowerCase()) {
    case 'mbr':
    case 'msdos':
    case 'dos':
      return 'dos';
    case 'gpt':
    case 'efi':
      return 'gpt';
    default:
      throw new JootError('EINVAL', `${s}: unknown partition table type (use mbr or gpt)`);
  }
}

/** guestfish's prlogex: p/primary, l/logical, e/extended. */
export function parsePartKind(s: string): PartKind {
  const k = s.toLowerCase();
  if (k === 'p' || k === 'primary') return 'primary';
  if (k === 'l' || k === 'logical') return 'logical';
  if (k === 'e' || k === 'extended') return 'extended';
  throw new JootError('EINVAL', `${s}: must be primary, logical or extended (p, l, e)`);
}

// the shapes are the userspace reader's (src/disk), so both engines answer part-list alike
export type TablePartition = LayoutPartition;
export type Table = LayoutTable;

interface SfdiskJson {
  partitiontable: {
    label: string;
    id?: string;
    firstlba?: number | bigint;
    lastlba?: number | bigint;
    /** start and size in sectors: bigints beyond 2^53 (parseJsonExact) */
    partitions?: {
      node: string;
      start: number | bigint;
      size: number | bigint;
      type: string;
      bootable?: boolean;
      uuid?: string;
      name?: string;
      attrs?: string;
    }[];
  };
}

/** Parse `sfdisk --json` (exported for tests); partition offsets and sizes exact. */
export function parseSfdiskJson(text: string, diskSize: number): Table {
  const t = (parseJsonExact(text) as SfdiskJson).partitiontable;
  const type: TableType = t.label === 'gpt' ? 'gpt' : t.label === 'dos' ? 'dos' : (undefined as never);
  if (!type) throw new JootError('EFORMAT', `unsupported partition table type: ${t.label}`);
  return {
    type,
    id: t.id,
    firstLba: Number(t.firstlba ?? 1),
    lastLba: Number(t.lastlba ?? diskSize / SECTOR - 1),
    partitions: (t.partitions ?? []).map((p) => ({
      number: Number(/(\d+)$/.exec(p.node)?.[1]),
      start: exactInteger(p.start, 'sfdisk start') * BigInt(SECTOR),
      size: exactInteger(p.size, 'sfdisk size') * BigInt(SECTOR),
      type: p.type.toUpperCase(),
      bootable: p.bootable ?? false,
      uuid: p.uuid,
      name: p.name || undefined,
      attrs: p.attrs,
    })),
  };
}

/** The table on `disk`, or undefined for a disk without one. */
export async function readTable(disk: string, diskSize: number, runner: Runner = run): Promise<Table | undefined> {
  const r = await runner('sfdisk', ['--json', disk], { allowFailure: true });
  if (r.exitCode !== 0) {
    if (/does not contain a recognized partition table/i.test(r.stderr)) return undefined;
    throw commandError(r);
  }
  const t = parseSfdiskJson(r.stdout, diskSize);
  // sfdisk takes a whole-disk FAT or NTFS boot sector (55 AA, no valid entries) for an empty MBR;
  // blkid, the kernel's partition parser and the userspace engine see a filesystem, no table
  if (t.type === 'dos' && t.partitions.length === 0) {
    const b = await runner('blkid', ['-p', '-o', 'value', '-s', 'PTTYPE', disk], { allowFailure: true });
    if (b.exitCode === 2 || (b.exitCode === 0 && b.stdout.trim() === '')) return undefined;
  }
  return t;
}

async function sfdisk(args: string[], input: string | undefined, runner: Runner): Promise<void> {
  const r = await runner('sfdisk', [...QUIET, ...args], { input, allowFailure: true });
  if (r.exitCode !== 0) throw sfdiskError(r.stderr);
}

/** sfdisk's own message, without its program prefix and the "leaving" boilerplate. */
function sfdiskError(stderr: string): JootError {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^sfdisk:\s*/, '').trim())
    .filter((l) => l && !/^Leaving\b|^The partition table is unchanged|^Checking that no-one/i.test(l));
  return new JootError('ECMD', lines.slice(-2).join('; ') || 'sfdisk failed');
}

/**
 * Before an MBR is written: erase an old GPT's two headers (sector 1 and the last one). sfdisk
 * leaves them, and the disk then reads as a damaged GPT; parted's mklabel msdos (guestfish's
 * part-init) erases them.
 */
async function eraseGptHeaders(disk: string, diskSize: number, type: TableType): Promise<void> {
  if (type !== 'dos') return;
  const fh = await open(disk, 'r+');
  try {
    for (const at of [SECTOR, Math.floor(diskSize / SECTOR) * SECTOR - SECTOR]) {
      const b = Buffer.alloc(SECTOR);
      await fh.read(b, 0, SECTOR, at);
      if (b.subarray(0, 8).toString('latin1') === 'EFI PART') await fh.write(Buffer.alloc(SECTOR), 0, SECTOR, at);
    }
  } finally {
    await fh.close();
  }
}

/** A new, empty partition table (everything on the old one is forgotten). */
export async function initTable(disk: string, diskSize: number, type: TableType, runner: Runner = run): Promise<void> {
  await eraseGptHeaders(disk, diskSize, type);
  await sfdisk(['--wipe', 'always', disk], `label: ${type}\n${firstLba(type)}`, runner);
}

/** A GPT's first usable sector is 34, as parted (guestfish's part-init) makes it; sfdisk would say 2048. */
function firstLba(type: TableType): string {
  return type === 'gpt' ? 'first-lba: 34\n' : '';
}

/** guestfish's part-disk: sectors 128 to the 128th from the end (libguestfs's parted.c). */
const PART_DISK_MARGIN = 128;

/** Default type of a new partition: Linux filesystem. */
function defaultType(table: TableType, kind: PartKind): string {
  if (kind === 'extended') return '5';
  return table === 'gpt' ? '0FC63DAF-8483-4772-8E79-3D69D8477DE4' : '83';
}

/**
 * Add a partition from sector `start` to sector `end` inclusive (guestfish's part-add; a
 * negative end counts back from the end of the disk, as parted: -1 is its last sector).
 */
export async function addPartition(
  disk: string,
  diskSize: number,
  kind: PartKind,
  startSector: number,
  endSector: number,
  runner: Runner = run,
): Promise<number> {
  const table = await readTable(disk, diskSize, runner);
  if (!table) throw new JootError('EINVAL', 'no partition table: use part-init first');
  if (table.type === 'gpt' && kind !== 'primary') throw new JootError('EINVAL', `GPT has only primary partitions (got ${kind})`);
  // as parted: a negative end counts from the end of the disk (not of the usable area)
  const end = endSector < 0 ? Math.floor(diskSize / SECTOR) + endSector : endSector;
  if (!Number.isInteger(startSector) || startSector < 0) throw new JootError('EINVAL', `${startSector}: bad start sector`);
  if (end < startSector) throw new JootError('EINVAL', `end sector ${end} is before start sector ${startSector}`);
  if (end > table.lastLba) throw new JootError('EINVAL', `end sector ${end} is beyond the last usable sector ${table.lastLba}`);
  if (startSector < table.firstLba)
    throw new JootError('EINVAL', `start sector ${startSector} is before the first usable sector ${table.firstLba}`);
  const before = new Set(table.partitions.map((p) => p.number));
  // parted names a GPT partition after prlogex (libguestfs calls it a parted bug; guestfish shows it)
  const name = table.type === 'gpt' ? ', name="primary"' : '';
  const line = `start=${startSector}, size=${end - startSector + 1}, type=${defaultType(table.type, kind)}${name}\n`;
  await sfdisk(['--append', disk], line, runner);
  const after = await readTable(disk, diskSize, runner);
  const added = after?.partitions.find((p) => !before.has(p.number));
  if (!added) throw new JootError('ECMD', 'sfdisk reported success but no partition was added');
  return added.number;
}

/** One partition covering the whole disk, on a new table (guestfish's part-disk). */
export async function partitionWholeDisk(
  disk: string,
  diskSize: number,
  type: TableType,
  partType?: string,
  runner: Runner = run,
): Promise<void> {
  const t = partType ?? defaultType(type, 'primary');
  const sectors = Math.floor(diskSize / 512);
  const size = sectors - 2 * PART_DISK_MARGIN + 1;
  if (size < 1) throw new JootError('EINVAL', `${disk}: too small for part-disk (${diskSize} bytes)`);
  // guestfish's part-disk names its GPT partition p1
  await eraseGptHeaders(disk, diskSize, type);
  const line = `start=${PART_DISK_MARGIN}, size=${size}, type=${t}${type === 'gpt' ? ', name="p1"' : ''}\n`;
  await sfdisk(['--wipe', 'always', disk], `label: ${type}\n${firstLba(type)}${line}`, runner);
}

export interface NewPartition {
  /** sectors; undefined: right after the previous one (the first at 1 MiB) */
  start?: number;
  /** sectors; undefined: to the end of the disk */
  size?: number;
  /** MBR type byte or GPT type GUID; default Linux filesystem */
  type?: string;
}

/** A new table with these primary partitions, in one write (jformat, -N). */
export async function writeTable(
  disk: string,
  diskSize: number,
  type: TableType,
  parts: readonly NewPartition[],
  runner: Runner = run,
): Promise<void> {
  await eraseGptHeaders(disk, diskSize, type);
  const lines = parts.map((p, i) => {
    const f: string[] = [];
    if (p.start !== undefined) f.push(`start=${p.start}`);
    else if (i === 0) f.push('start=2048');
    if (p.size !== undefined) f.push(`size=${p.size}`);
    f.push(`type=${p.type ?? defaultType(type, 'primary')}`);
    return f.join(', ');
  });
  await sfdisk(['--wipe', 'always', disk], `label: ${type}\n${lines.join('\n')}\n`, runner);
}

export async function deletePartition(disk: string, n: number, runner: Runner = run): Promise<void> {
  await sfdisk(['--delete', disk, String(n)], undefined, runner);
}

/** Set or clear the bootable flag (MBR) / the LegacyBIOSBootable attribute (GPT). */
export async function setBootable(disk: string, diskSize: number, n: number, on: boolean, runner: Runner = run): Promise<void> {
  const table = await requireTable(disk, diskSize, n, runner);
  if (table.type === 'gpt') {
    const p = table.partitions.find((x) => x.number === n)!;
    const attrs = new Set((p.attrs ?? '').split(/[\s,]+/).filter(Boolean));
    if (on) attrs.add('LegacyBIOSBootable');
    else attrs.delete('LegacyBIOSBootable');
    await sfdisk(['--part-attrs', disk, String(n), [...attrs].join(',')], undefined, runner);
    return;
  }
  // --activate sets exactly the listed partitions bootable; '-' clears all of them
  const boot = new Set(table.partitions.filter((p) => p.bootable).map((p) => p.number));
  if (on) boot.add(n);
  else boot.delete(n);
  await sfdisk(['--activate', disk, ...(boot.size ? [...boot].map(String) : ['-'])], undefined, runner);
}

export async function setName(disk: string, diskSize: number, n: number, name: string, runner: Runner = run): Promise<void> {
  const table = await requireTable(disk, diskSize, n, runner);
  if (table.type !== 'gpt') throw new JootError('EINVAL', 'partition names exist only on GPT disks');
  if ([...name].length > 36) throw new JootError('EINVAL', `${name}: a GPT partition name has at most 36 characters`);
  await sfdisk(['--part-label', disk, String(n), name], undefined, runner);
}

/** MBR partition type byte (0..255). */
export async function setMbrId(disk: string, diskSize: number, n: number, id: number, runner: Runner = run): Promise<void> {
  const table = await requireTable(disk, diskSize, n, runner);
  if (table.type !== 'dos') throw new JootError('EINVAL', 'the MBR type byte exists only on MBR disks');
  if (!Number.isInteger(id) || id < 1 || id > 255) throw new JootError('EINVAL', `${id}: an MBR partition type is a byte from 1 to 255`);
  await sfdisk(['--part-type', disk, String(n), id.toString(16)], undefined, runner);
}

export async function setGptType(disk: string, diskSize: number, n: number, guid: string, runner: Runner = run): Promise<void> {
  const table = await requireTable(disk, diskSize, n, runner);
  if (table.type !== 'gpt') throw new JootError('EINVAL', 'partition type GUIDs exist only on GPT disks');
  if (!GUID.test(guid)) throw new JootError('EINVAL', `${guid}: not a GUID`);
  await sfdisk(['--part-type', disk, String(n), guid.toUpperCase()], undefined, runner);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function requireTable(disk: string, diskSize: number, n: number, runner: Runner): Promise<Table> {
  const table = await readTable(disk, diskSize, runner);
  if (!table) throw new JootError('EINVAL', 'no partition table');
  if (!table.partitions.some((p) => p.number === n)) throw new JootError('ENOENT', `partition ${n} does not exist`);
  return table;
}

/** The MBR type byte that tells other systems what a partition holds. */
export function mbrTypeFor(content: string): number {
  switch (content) {
    case 'lvm':
    case 'LVM2_member':
      return 0x8e;
    case 'swap':
      return 0x82;
    case 'vfat':
    case 'fat':
    case 'msdos':
      return 0x0c;
    case 'ntfs':
      return 0x07;
    default:
      return 0x83;
  }
}

/** The GPT type GUID for the same. */
export function gptTypeFor(content: string): string {
  switch (content) {
    case 'lvm':
    case 'LVM2_member':
      return 'E6D6D379-F507-44C2-A23C-238F2A3DF928';
    case 'swap':
      return '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F';
    case 'vfat':
    case 'fat':
    case 'msdos':
    case 'ntfs':
      return 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7'; // Microsoft basic data
    default:
      return '0FC63DAF-8483-4772-8E79-3D69D8477DE4';
  }
}
