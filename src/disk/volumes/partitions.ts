// Partition tables in userspace: which scheme a disk has (each format detects itself), and the
// two views the Session answers in, spelled exactly as the kernel engine's tools spell them:
// the layout view as `sfdisk --json` (part-list, part-get-*) and the device view as partx
// (PartitionInfo: list-partitions, the devices).
import { diskName, partitionName } from '../names.js';
import type { ByteSource } from '../source.js';
import type { PartitionInfo } from '../types.js';
import { readGpt } from './gpt.js';
import { isProtectiveMbr, readMbr } from './mbr.js';
import { checkPartitions, type PartitionTable, SECTOR } from './table.js';

export { checkPartitions, type CheckedPartition, type PartitionTable, type TableEntry } from './table.js';

/**
 * The partition table of `disk`, or undefined when it has none. A table that no sane partitioner
 * writes (overlapping partitions, partitions past the end, a protective MBR without a valid GPT)
 * is an EFORMAT JootError naming the disk, as the kernel engine refuses it.
 */
export async function readPartitionTable(disk: ByteSource): Promise<PartitionTable | undefined> {
  if (disk.size < SECTOR) return undefined;
  const sector0 = await disk.read(0, SECTOR);
  const table = isProtectiveMbr(sector0) ? await readGpt(disk) : await readMbr(disk, sector0);
  if (table) checkPartitions(toCheckedPartitions(table), disk.size, disk.name);
  return table;
}

// ------------------------------------------------------------------ the layout view (sfdisk)

export type LayoutTableType = 'dos' | 'gpt';

/** One partition as `sfdisk --json` describes it (src/appliance/layout/partition-table.ts). */
export interface LayoutPartition {
  number: number;
  /** bytes, exact at any size */
  start: bigint;
  size: bigint;
  /** MBR: hex byte without 0x ("83"); GPT: type GUID, upper case */
  type: string;
  bootable: boolean;
  uuid?: string;
  name?: string;
  attrs?: string;
}

export interface LayoutTable {
  type: LayoutTableType;
  id?: string;
  /** first and last usable sector (GPT); whole disk minus the MBR for dos */
  firstLba: number;
  lastLba: number;
  partitions: LayoutPartition[];
}

export function toLayoutTable(t: PartitionTable): LayoutTable {
  return {
    type: t.scheme,
    id: t.id,
    firstLba: t.firstLba,
    lastLba: t.lastLba,
    partitions: t.partitions.map((p) => ({
      number: p.number,
      start: BigInt(p.start),
      size: BigInt(p.size),
      type: p.type.toUpperCase(),
      bootable: p.bootable,
      uuid: p.uuid,
      name: p.name,
      attrs: p.attrs,
    })),
  };
}

// ------------------------------------------------------------------ the device view (partx)

/** The partitions of drive `diskIndex` as the kernel engine lists them (partx's spellings). */
export function toPartitionInfos(t: PartitionTable, diskIndex: number): PartitionInfo[] {
  return toCheckedPartitions(t).map((p) => {
    const info: PartitionInfo = {
      name: partitionName(diskIndex, p.number),
      disk: diskName(diskIndex),
      number: p.number,
      start: p.start,
      size: p.size,
      scheme: t.scheme,
      type: p.type,
      uuid: p.uuid,
      label: p.label,
      extended: p.extended || undefined,
    };
    return info;
  });
}

type DevicePartition = Omit<PartitionInfo, 'name' | 'disk'>;

function toCheckedPartitions(t: PartitionTable): DevicePartition[] {
  // libblkid: a dos partition's UUID is the disk signature and the number in hex; none for signature 0
  const dosId = t.scheme === 'dos' && t.id !== '0x00000000' ? t.id.slice(2) : undefined;
  return t.partitions
    .filter((p) => p.size > 0)
    .map((p) =>
      t.scheme === 'dos'
        ? {
            number: p.number,
            start: p.start,
            size: p.size,
            scheme: 'dos',
            type: `0x${p.type}`,
            uuid: dosId && `${dosId}-${p.number.toString(16).padStart(2, '0')}`,
            extended: p.extended ?? false,
          }
        : {
            number: p.number,
            start: p.start,
            size: p.size,
            scheme: 'gpt',
            type: p.type.toLowerCase(),
            uuid: p.uuid?.toLowerCase(),
            label: p.name,
            extended: false,
          },
    );
}
