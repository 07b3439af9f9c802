// The shape a partition table is read into (both schemes), and the sanity check every table
// passes before its partitions become devices. Shared by the userspace reader (mbr.ts, gpt.ts)
// and the kernel engine (src/appliance/partitions.ts runs the same check on partx's answer).
import { JootError } from '../../core/errors.js';

export const SECTOR = 512;

/** One partition, its fields in sfdisk's spelling (the layout view); partitions.ts derives partx's. */
export interface TableEntry {
  number: number;
  /** bytes; size 0 only for an MBR entry sfdisk lists but that is no partition device */
  start: number;
  size: number;
  /** MBR: the type byte in hex without 0x, lower case, as sfdisk prints it ("83", "5");
   *  GPT: the type GUID, upper case */
  type: string;
  /** MBR boot indicator 0x80 (always false on GPT) */
  bootable: boolean;
  /** GPT: the partition GUID, upper case */
  uuid?: string;
  /** GPT: the partition name (UTF-16LE decoded), absent when empty */
  name?: string;
  /** GPT: attribute bits as sfdisk prints them ("RequiredPartition LegacyBIOSBootable GUID:60,63") */
  attrs?: string;
  /** GPT: the attribute bits as a number (blkid's PART_ENTRY_FLAGS) */
  attrBits?: bigint;
  /** MBR extended container (types 0x05, 0x0f, 0x85) */
  extended?: boolean;
}

export interface PartitionTable {
  scheme: 'dos' | 'gpt';
  /** dos: the disk signature as sfdisk prints it ("0x11223344"); gpt: the disk GUID, upper case */
  id: string;
  /** first and last usable sector (GPT header); dos: 1 and the last sector of the disk */
  firstLba: number;
  lastLba: number;
  sectorSize: 512;
  partitions: TableEntry[];
}

/** What the sanity check needs of a partition (partx's rows and PartitionInfo both fit). */
export interface CheckedPartition {
  number: number;
  start: number;
  size: number;
  scheme: string;
  /** partx's spelling: 0x83 / a lower-case GUID */
  type: string;
  extended?: boolean;
}

/** Refuse tables that no sane partitioner writes: they are broken or hostile. */
export function checkPartitions(parts: readonly CheckedPartition[], diskSize: number, given: string): void {
  const corrupt = (why: string) => new JootError('EFORMAT', `${given}: corrupt partition table: ${why}`);
  if (parts.length === 1 && parts[0]!.scheme === 'dos' && parts[0]!.type === '0xee') {
    throw corrupt('a GPT protective MBR without a valid GPT header (both GPT headers are damaged)');
  }
  for (const p of parts) {
    if (p.size <= 0) throw corrupt(`partition ${p.number} has no size`);
    if (p.start + p.size > diskSize) {
      throw corrupt(`partition ${p.number} (bytes ${p.start}-${p.start + p.size}) extends beyond the end of the disk (${diskSize} bytes)`);
    }
  }
  const data = parts.filter((p) => !p.extended);
  if (!anyOverlap(data)) return;
  // name the same pair as a plain scan in table order would (the messages stay stable)
  for (let i = 0; i < data.length; i++) {
    for (let j = i + 1; j < data.length; j++) {
      const a = data[i]!;
      const b = data[j]!;
      if (a.start < b.start + b.size && b.start < a.start + a.size) throw corrupt(`partitions ${a.number} and ${b.number} overlap`);
    }
  }
}

/** n log n: a table of thousands of entries is checked quickly; the pair is only named when needed. */
function anyOverlap(parts: readonly CheckedPartition[]): boolean {
  const sorted = [...parts].sort((a, b) => a.start - b.start);
  let end = -1;
  for (const p of sorted) {
    if (p.start < end) return true;
    end = Math.max(end, p.start + p.size);
  }
  return false;
}
