// Partition tables: guestfish's part-* commands and blockdev-getsize64, on the layout editor.
// Sectors are 512 bytes; part-list reports bytes, as guestfish does.
import { defineCommand } from '../record.js';
import { structList } from '../structs.js';

const disk = { name: 'device', type: 'device' } as const;
const partnum = { name: 'partnum', type: 'int' } as const;

export const partList = defineCommand({
  name: 'part-list',
  group: 'devices',
  args: [disk],
  needsLaunch: true,
  summary: 'list the partitions of a disk, with their bytes',
  description: `List the partitions in the table of a whole-disk device as guestfish prints them: part_num,
    part_start (first byte), part_end (last byte) and part_size, in bytes.`,
  async run(ctx, [dev]) {
    const parts = await ctx.session.layout.partList(dev);
    await ctx.out.lines(
      structList(
        parts.map((p) => [
          ['part_num', p.number],
          ['part_start', p.start],
          ['part_end', p.end],
          ['part_size', p.size],
        ]),
      ),
    );
  },
});

export const partGetParttype = defineCommand({
  name: 'part-get-parttype',
  group: 'devices',
  args: [disk],
  needsLaunch: true,
  summary: 'print the partition table type: msdos or gpt',
  description: `Print the type of the partition table on a whole-disk device: msdos (MBR) or gpt.`,
  async run(ctx, [dev]) {
    await ctx.out.lines([await ctx.session.layout.partGetParttype(dev)]);
  },
});

export const partInit = defineCommand({
  name: 'part-init',
  group: 'devices',
  args: [disk, { name: 'parttype', type: 'string' }],
  needsLaunch: true,
  summary: 'create an empty partition table',
  description: `Write a new, empty partition table of type mbr (also msdos) or gpt (also efi) on a
    whole-disk device. Every partition on it is forgotten (their data stays where it was until
    overwritten). Refused while anything on the disk is mounted.`,
  async run(ctx, [dev, type]) {
    await ctx.session.layout.partInit(dev, type);
  },
});

export const partAdd = defineCommand({
  name: 'part-add',
  group: 'devices',
  args: [disk, { name: 'prlogex', type: 'string' }, { name: 'startsect', type: 'int64' }, { name: 'endsect', type: 'int64' }],
  needsLaunch: true,
  summary: 'add a partition',
  description: `Add a partition from sector startsect to sector endsect (inclusive; 512-byte sectors). A
    negative endsect counts back from the end of the disk: -1 is the last usable sector. prlogex
    is primary, logical or extended (p, l, e); GPT has only primary partitions. The new partition
    has the Linux filesystem type (an extended one, type 5).`,
  async run(ctx, [dev, kind, start, end]) {
    await ctx.session.layout.partAdd(dev, kind, start, end);
  },
});

export const partDisk = defineCommand({
  name: 'part-disk',
  group: 'devices',
  args: [disk, { name: 'parttype', type: 'string' }],
  needsLaunch: true,
  summary: 'a new partition table with one partition over the whole disk',
  description: `Write a new partition table (mbr or gpt) with a single partition from 1 MiB to the end of
    the disk: part-init and part-add in one step.`,
  async run(ctx, [dev, type]) {
    await ctx.session.layout.partDisk(dev, type);
  },
});

export const partDel = defineCommand({
  name: 'part-del',
  group: 'devices',
  args: [disk, partnum],
  needsLaunch: true,
  summary: 'delete a partition',
  description: `Delete partition partnum from the table of a whole-disk device. The other partitions keep
    their numbers (on MBR, logical partitions after a deleted one move down, as in the kernel).`,
  async run(ctx, [dev, n]) {
    await ctx.session.layout.partDel(dev, n);
  },
});

export const partSetBootable = defineCommand({
  name: 'part-set-bootable',
  group: 'devices',
  args: [disk, partnum, { name: 'bootable', type: 'bool' }],
  needsLaunch: true,
  summary: 'set or clear the bootable flag of a partition',
  description: `On MBR, set or clear the active (bootable) flag of the partition. On GPT, the
    LegacyBIOSBootable attribute.`,
  async run(ctx, [dev, n, on]) {
    await ctx.session.layout.partSetBootable(dev, n, on);
  },
});

export const partGetBootable = defineCommand({
  name: 'part-get-bootable',
  group: 'devices',
  args: [disk, partnum],
  needsLaunch: true,
  summary: 'print whether a partition is bootable',
  description: `Print true if the partition has the bootable flag (MBR) or the LegacyBIOSBootable attribute
    (GPT), else false.`,
  async run(ctx, [dev, n]) {
    await ctx.out.lines([String(await ctx.session.layout.partGetBootable(dev, n))]);
  },
});

export const partSetName = defineCommand({
  name: 'part-set-name',
  group: 'devices',
  args: [disk, partnum, { name: 'name', type: 'string' }],
  needsLaunch: true,
  summary: 'set the name of a GPT partition',
  description: `Set the name (label) of a GPT partition, at most 36 characters. MBR has no names.`,
  async run(ctx, [dev, n, name]) {
    await ctx.session.layout.partSetName(dev, n, name);
  },
});

export const partGetName = defineCommand({
  name: 'part-get-name',
  group: 'devices',
  args: [disk, partnum],
  needsLaunch: true,
  summary: 'print the name of a GPT partition',
  description: `Print the name of a GPT partition (empty if it has none).`,
  async run(ctx, [dev, n]) {
    await ctx.out.lines([await ctx.session.layout.partGetName(dev, n)]);
  },
});

export const partSetMbrId = defineCommand({
  name: 'part-set-mbr-id',
  group: 'devices',
  args: [disk, partnum, { name: 'idbyte', type: 'int' }],
  needsLaunch: true,
  summary: 'set the MBR partition type byte',
  description: `Set the type byte of an MBR partition, e.g. 0x83 (Linux), 0x8e (LVM), 0x82 (swap), 0x07
    (NTFS), 0x0c (FAT32 LBA). Numbers may be written in hex (0x…) or octal (0…).`,
  async run(ctx, [dev, n, id]) {
    await ctx.session.layout.partSetMbrId(dev, n, id);
  },
});

export const partGetMbrId = defineCommand({
  name: 'part-get-mbr-id',
  group: 'devices',
  args: [disk, partnum],
  needsLaunch: true,
  summary: 'print the MBR partition type byte',
  description: `Print the type byte of an MBR partition, in decimal as guestfish does (131 is 0x83).`,
  async run(ctx, [dev, n]) {
    await ctx.out.lines([String(await ctx.session.layout.partGetMbrId(dev, n))]);
  },
});

export const partSetGptType = defineCommand({
  name: 'part-set-gpt-type',
  group: 'devices',
  args: [disk, partnum, { name: 'guid', type: 'string' }],
  needsLaunch: true,
  summary: 'set the type GUID of a GPT partition',
  description: `Set the partition type GUID of a GPT partition, e.g. 0FC63DAF-8483-4772-8E79-3D69D8477DE4
    (Linux filesystem) or C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI System).`,
  async run(ctx, [dev, n, guid]) {
    await ctx.session.layout.partSetGptType(dev, n, guid);
  },
});

export const partGetGptType = defineCommand({
  name: 'part-get-gpt-type',
  group: 'devices',
  args: [disk, partnum],
  needsLaunch: true,
  summary: 'print the type GUID of a GPT partition',
  description: `Print the partition type GUID of a GPT partition, in upper case.`,
  async run(ctx, [dev, n]) {
    await ctx.out.lines([await ctx.session.layout.partGetGptType(dev, n)]);
  },
});

export const blockdevGetsize64 = defineCommand({
  name: 'blockdev-getsize64',
  group: 'devices',
  args: [{ name: 'device', type: 'device' }],
  needsLaunch: true,
  summary: 'print the size of a device in bytes',
  description: `Print the size in bytes of a disk, partition or logical volume.`,
  async run(ctx, [dev]) {
    await ctx.out.lines([String(await ctx.session.layout.blockdevGetsize64(dev))]);
  },
});

export const commands = [
  partList,
  partGetParttype,
  partInit,
  partAdd,
  partDisk,
  partDel,
  partSetBootable,
  partGetBootable,
  partSetName,
  partGetName,
  partSetMbrId,
  partGetMbrId,
  partSetGptType,
  partGetGptType,
  blockdevGetsize64,
];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
