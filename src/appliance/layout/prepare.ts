// Laying out a blank disk from a plan: wipe, partition table, LVM, filesystems. One plan type
// serves jformat (virt-format's one-partition layouts) and jfish -N (guestfish's prepared
// disks: fs, lvfs, bootroot, …). validatePlan finds every problem before a byte is written.
import { JootError } from '../../core/errors.js';
import { validateLabel } from '../fs-admin/labels.js';
import { supportedMkfsTypes, MKFS_PROGRAM } from '../fs-admin/mkfs.js';
import { normalizeFsType, type FsType } from '../fs-admin/types.js';
import type { Session } from '../session.js';
import { checkLvmName } from './lvm-create.js';

export interface FsPlan {
  type: FsType;
  label?: string;
}

/** What goes into a partition (or onto the whole disk). */
export type Content =
  | { kind: 'empty' }
  | { kind: 'fs'; fs: FsPlan }
  /** a PV, a VG on it and one LV over all of its space, with optionally a filesystem */
  | { kind: 'lvm'; vg: string; lv: string; fs?: FsPlan };

export interface PartPlan {
  /** bytes; undefined: the rest of the disk (only the last one) */
  size?: number;
  content: Content;
}

export interface LayoutPlan {
  /** 'none': no partition table, `parts` is one entry for the whole disk */
  table: 'mbr' | 'gpt' | 'none';
  parts: PartPlan[];
  /** zero the whole disk instead of wiping signatures and the first and last MiB */
  wipeAll?: boolean;
}

const MiB = 1024 * 1024;
const SECTOR = 512;
/** first partition at 1 MiB (sfdisk's default alignment); GPT keeps 33 sectors at the end */
const FIRST = MiB;
const GPT_TAIL = 33 * SECTOR;
/** room LVM needs before the first extent (metadata area) and for one 4 MiB extent */
const LVM_MIN = 8 * MiB;

// The smallest device each mkfs of this host's tools accepts (measured: mkfs.xfs refuses
// below 300 MiB, mkfs.btrfs below ~109 MiB, mkntfs below 2 MiB).
const FS_MIN: Record<FsType, number> = {
  ext2: MiB,
  ext3: 4 * MiB, // room for the journal
  ext4: 4 * MiB,
  xfs: 300 * MiB,
  btrfs: 110 * MiB,
  vfat: 64 * 1024,
  ntfs: 2 * MiB,
  swap: 64 * 1024,
};

export function fsPlan(type: string, label?: string): FsPlan {
  const t = normalizeFsType(type);
  if (label !== undefined) validateLabel(t, label);
  return { type: t, label };
}

function human(n: number): string {
  return n >= MiB ? `${Math.ceil(n / MiB)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/**
 * Whether `content` can be made on a volume of `size` bytes: names, tools, the room LVM and
 * each mkfs need (jformat's plans and jfish -N's guestfish layouts both check with it).
 */
export function checkContent(content: Content, size: number, what: string): void {
  const bad = (msg: string) => new JootError('EINVAL', `${what}: ${msg}`);
  const fs = content.kind === 'fs' ? content.fs : content.kind === 'lvm' ? content.fs : undefined;
  let room = size;
  if (content.kind === 'lvm') {
    checkLvmName('VG', content.vg);
    checkLvmName('LV', content.lv);
    if (size < LVM_MIN) throw bad(`LVM needs at least ${human(LVM_MIN)} (the volume is ${human(size)})`);
    room = size - 4 * MiB; // metadata area, rounding to 4 MiB extents
  }
  if (fs) {
    if (!supportedMkfsTypes().includes(fs.type))
      throw new JootError('EUNSUPPORTED', `${what}: cannot make ${fs.type} on this host (${MKFS_PROGRAM[fs.type]} is not installed)`);
    if (fs.label !== undefined) validateLabel(fs.type, fs.label);
    if (room < FS_MIN[fs.type]) throw bad(`${fs.type} needs at least ${human(FS_MIN[fs.type])} (the volume is ${human(room)})`);
  }
}

/** Everything that can be known wrong before writing: sizes, names, tools. */
export function validatePlan(plan: LayoutPlan, diskSize: number, what: string): void {
  const bad = (msg: string) => new JootError('EINVAL', `${what}: ${msg}`);
  if (plan.parts.length === 0) throw bad('nothing to lay out');
  if (plan.table === 'none' && plan.parts.length !== 1) throw bad('without a partition table there is only one volume');
  if (plan.table === 'mbr' && plan.parts.length > 4) throw bad('at most 4 primary partitions on MBR');
  if (plan.table === 'mbr' && diskSize > 2 ** 32 * SECTOR)
    throw bad(`an MBR cannot address a disk over 2 TiB (this one is ${human(diskSize)}): use gpt`);
  const usable = plan.table === 'none' ? diskSize : diskSize - FIRST - (plan.table === 'gpt' ? GPT_TAIL : 0);
  let left = usable;
  plan.parts.forEach((p, i) => {
    if (p.size === undefined && i !== plan.parts.length - 1) throw bad('only the last partition may take the rest of the disk');
    const size = p.size ?? left;
    if (p.size !== undefined && p.size % MiB !== 0 && plan.table !== 'none') throw bad(`partition sizes must be whole MiB (${p.size})`);
    if (size <= 0 || size > left)
      throw bad(`the layout does not fit: ${human(usable)} usable, ${human(usable - left + (p.size ?? 0))} asked`);
    left -= size;
    checkContent(p.content, size, what);
  });
  const vgs = plan.parts.flatMap((p) => (p.content.kind === 'lvm' ? [p.content.vg] : []));
  if (new Set(vgs).size !== vgs.length) throw bad('one volume group per disk');
}

/** The default table for a disk: MBR below 2 TiB, GPT from 2 TiB (as virt-format). */
export function defaultTable(diskSize: number): 'mbr' | 'gpt' {
  return diskSize >= 2 * 1024 ** 4 ? 'gpt' : 'mbr';
}

export interface ApplyReport {
  /** steps done, in order, for the message when a later one fails */
  done: string[];
}

/**
 * Lay `plan` out on `disk` of a launched read-write session. On failure the error says what
 * had been done (the disk is not rolled back: its old content was wiped first).
 */
export async function applyPlan(
  session: Session,
  disk: string,
  plan: LayoutPlan,
  log: (step: string) => void = () => undefined,
): Promise<void> {
  const L = session.layout;
  const diskSize = Number(await L.blockdevGetsize64(disk)); // planning: whole MiB, exact far beyond any disk
  validatePlan(plan, diskSize, disk);
  const done: string[] = [];
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    log(what);
    try {
      const r = await fn();
      done.push(what);
      return r;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const state = done.length ? `; done before it failed: ${done.join(', ')}` : '; nothing was written';
      throw new JootError(e instanceof JootError ? e.code : 'EIO', `${msg}${state}`, {
        ...(e instanceof JootError ? e.facts() : {}),
        cause: e,
      });
    }
  };

  await step(plan.wipeAll ? `zeroed ${disk}` : `wiped ${disk}`, () => L.wipeDisk(disk, { all: plan.wipeAll ?? false }));
  const volumes: string[] = [];
  if (plan.table === 'none') {
    volumes.push(disk);
  } else {
    const table = plan.table;
    const parts = plan.parts.map((p) => ({
      size: p.size,
      content: p.content.kind === 'empty' ? undefined : p.content.kind === 'lvm' ? 'lvm' : p.content.fs.type,
    }));
    const what = `${table === 'mbr' ? 'an MBR' : 'a GPT'} partition table with ${parts.length} partition${parts.length > 1 ? 's' : ''}`;
    await step(`wrote ${what}`, () => L.partTable(disk, table, parts));
    for (let i = 0; i < plan.parts.length; i++) volumes.push(`${disk}${i + 1}`);
  }
  for (const [i, p] of plan.parts.entries()) {
    const vol = volumes[i]!;
    const c = p.content;
    if (c.kind === 'fs') {
      await step(`made ${c.fs.type} on ${vol}`, () => L.mkfs(vol, { type: c.fs.type, label: c.fs.label }));
    } else if (c.kind === 'lvm') {
      await step(`made ${vol} a PV`, () => L.pvcreate(vol));
      await step(`created VG ${c.vg}`, () => L.vgcreate(c.vg, [vol]));
      await step(`created LV /dev/${c.vg}/${c.lv}`, () => L.lvcreate(c.lv, c.vg, { percentFree: 100 }));
      if (c.fs) {
        const fs = c.fs;
        await step(`made ${fs.type} on /dev/${c.vg}/${c.lv}`, () => L.mkfs(`/dev/${c.vg}/${c.lv}`, { type: fs.type, label: fs.label }));
      }
    }
  }
}
