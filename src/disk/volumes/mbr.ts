// The DOS/MBR partition table: four primary entries in sector 0, logical partitions in a chain
// of extended boot records (EBRs) inside each extended partition. What counts as a table and
// which entries become partitions follows libblkid (partx), which is what the kernel engine's
// devices come from: entries of size 0 are skipped but keep their number, logical partitions
// are numbered from 5, an EBR link outside the disk or without the 55AA signature ends the chain.
// Sector numbers are 32-bit on disk and libblkid adds them in 32 bits; so does this reader.
import { JootError } from '../../core/errors.js';
import type { ByteSource } from '../source.js';
import { type PartitionTable, SECTOR, type TableEntry } from './table.js';

const EXTENDED = new Set([0x05, 0x0f, 0x85]);
export const GPT_PROTECTIVE = 0xee;
/** Logical partitions kept at most: the kernel's own limit on partition numbers is 256. */
export const MAX_LOGICAL = 252;
/** EBRs in a row that add no partition (a link loop) before the chain is given up, as libblkid. */
const MAX_EMPTY_LINKS = 100;

interface RawEntry {
  boot: number;
  type: number;
  /** sectors, unsigned 32-bit */
  start: number;
  size: number;
}

function entries(sector: Buffer): RawEntry[] {
  const out: RawEntry[] = [];
  for (let i = 0; i < 4; i++) {
    const o = 446 + i * 16;
    out.push({ boot: sector[o]!, type: sector[o + 4]!, start: sector.readUInt32LE(o + 8), size: sector.readUInt32LE(o + 12) });
  }
  return out;
}

export function hasMbrSignature(sector: Buffer): boolean {
  return sector.length >= 512 && sector[510] === 0x55 && sector[511] === 0xaa;
}

/** Any entry of type 0xEE: the MBR protects a GPT. */
export function isProtectiveMbr(sector: Buffer): boolean {
  return hasMbrSignature(sector) && entries(sector).some((e) => e.type === GPT_PROTECTIVE);
}

/** A FAT boot sector also ends in 55AA: a whole-disk FAT filesystem is not a partition table. */
function looksLikeFat(s: Buffer): boolean {
  const magic =
    s.toString('latin1', 0x52, 0x57) === 'MSWIN' ||
    s.toString('latin1', 0x52, 0x5a) === 'FAT32   ' ||
    s.toString('latin1', 0x36, 0x3b) === 'MSDOS' ||
    /^FAT(12|16|)\s*$/.test(s.toString('latin1', 0x36, 0x3e));
  if (!magic) return false;
  const bytesPerSector = s.readUInt16LE(0x0b);
  const perCluster = s[0x0d]!;
  const media = s[0x15]!;
  return (
    [512, 1024, 2048, 4096].includes(bytesPerSector) &&
    perCluster !== 0 &&
    (perCluster & (perCluster - 1)) === 0 &&
    s.readUInt16LE(0x0e) !== 0 &&
    s[0x10] !== 0 &&
    (media === 0xf0 || media >= 0xf8)
  );
}

/**
 * The MBR table of `disk` given its sector 0, or undefined when sector 0 is not one (no 55AA,
 * a boot indicator other than 0/0x80, a FAT boot sector, an empty MBR in front of an LVM label).
 * A protective MBR is not read here (gpt.ts).
 */
export async function readMbr(disk: ByteSource, sector0: Buffer): Promise<PartitionTable | undefined> {
  if (!hasMbrSignature(sector0)) return undefined;
  if (sector0.readUInt32BE(0) === 0xc9c2d4c1) return undefined; // AIX
  const primary = entries(sector0);
  if (primary.some((e) => e.boot !== 0 && e.boot !== 0x80)) return undefined;
  if (primary.some((e) => e.type === GPT_PROTECTIVE)) return undefined;
  if (looksLikeFat(sector0)) return undefined;
  if (primary.every((e) => e.boot === 0 && e.type === 0 && e.start === 0 && e.size === 0) && (await hasLvmLabel(disk))) return undefined;

  const id = sector0.readUInt32LE(440);
  const parts: TableEntry[] = [];
  primary.forEach((e, i) => {
    // sfdisk lists an entry of size 0 that is not all zeros; it is no device (partx, the kernel)
    if (e.size !== 0 || !sector0.subarray(446 + i * 16, 462 + i * 16).every((b) => b === 0)) parts.push(entry(i + 1, e.start, e));
  });
  const next = { number: 5 };
  for (const e of primary) {
    if (e.size !== 0 && EXTENDED.has(e.type)) await readLogical(disk, e.start, e.size, parts, next);
  }
  const lastLba = Math.floor(disk.size / SECTOR) - 1;
  return { scheme: 'dos', id: `0x${id.toString(16).padStart(8, '0')}`, firstLba: 1, lastLba, sectorSize: SECTOR, partitions: parts };
}

function entry(number: number, startSector: number, e: RawEntry): TableEntry {
  const t: TableEntry = {
    number,
    start: startSector * SECTOR,
    size: e.size * SECTOR,
    type: e.type.toString(16),
    bootable: e.boot === 0x80,
  };
  if (EXTENDED.has(e.type)) t.extended = true;
  return t;
}

/** libblkid: an LVM label in sector 1 behind an MBR without partitions makes it an LVM disk. */
async function hasLvmLabel(disk: ByteSource): Promise<boolean> {
  if (disk.size < 2 * SECTOR) return false;
  const s = await disk.read(SECTOR, SECTOR);
  return s.toString('latin1', 0, 8) === 'LABELONE' && s.toString('latin1', 24, 32) === 'LVM2 001';
}

/** Follow one extended partition's EBR chain (starting at sector `exStart`), adding the logical partitions. */
async function readLogical(disk: ByteSource, exStart: number, exSize: number, parts: TableEntry[], next: { number: number }) {
  if (exStart === 0) return;
  let curStart = exStart;
  let curSize = exSize;
  let idle = 0;
  for (;;) {
    if (++idle > MAX_EMPTY_LINKS) return;
    const at = curStart * SECTOR;
    if (at + SECTOR > disk.size) return;
    const ebr = await disk.read(at, SECTOR);
    if (!hasMbrSignature(ebr)) return;
    const es = entries(ebr);
    for (let i = 0; i < 4; i++) {
      const e = es[i]!;
      if (e.size === 0 || EXTENDED.has(e.type)) continue;
      const absStart = (curStart + e.start) >>> 0;
      // the third and fourth entries count only when they lie inside the extended partition
      if (i >= 2 && ((e.start + e.size) >>> 0 > curSize || absStart < exStart || (absStart + e.size) >>> 0 > (exStart + exSize) >>> 0))
        continue;
      if (parts.some((p) => p.start === absStart * SECTOR)) continue; // a link back to an EBR already read
      if (next.number - 5 >= MAX_LOGICAL) {
        throw new JootError('EFORMAT', `${disk.name}: corrupt partition table: more than ${MAX_LOGICAL} logical partitions`);
      }
      parts.push(entry(next.number++, absStart, e));
      idle = 0;
    }
    const link = es.find((e) => e.size !== 0 && EXTENDED.has(e.type));
    if (!link) return;
    curStart = (exStart + link.start) >>> 0;
    curSize = link.start === 0 ? 0 : link.size;
  }
}
