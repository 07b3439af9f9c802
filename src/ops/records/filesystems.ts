// Filesystems: what is on each device, its type, label and UUID.
import { defineCommand } from '../record.js';

export const listFilesystems = defineCommand({
  name: 'list-filesystems',
  group: 'filesystems',
  args: [],
  needsLaunch: true,
  summary: 'list the filesystems',
  description: `List every filesystem found on devices, partitions, logical volumes and btrfs subvolumes, as
    "NAME: TYPE" per line (/dev/sda1: ext4). Partitions holding swap, an LVM physical volume or
    something not recognised are listed too, with that type or "unknown".`,
  async run(ctx) {
    const lines: string[] = [];
    for (const [name, type] of ctx.session.listFilesystems()) lines.push(`${name}: ${type}`);
    await ctx.out.lines(lines);
  },
});

export const vfsType = defineCommand({
  name: 'vfs-type',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  needsLaunch: true,
  summary: 'print the filesystem type of a device',
  description: `Print the type of the filesystem on the device (ext4, xfs, btrfs, vfat, swap, …), as blkid
    reports it.`,
  async run(ctx, [dev]) {
    await ctx.out.lines([await ctx.session.vfsType(dev)]);
  },
});

export const vfsLabel = defineCommand({
  name: 'vfs-label',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  needsLaunch: true,
  summary: 'print the label of a filesystem',
  description: `Print the label of the filesystem on the device; an empty line when it has none.`,
  async run(ctx, [dev]) {
    await ctx.out.lines([await ctx.session.vfsLabel(dev)]);
  },
});

export const vfsUuid = defineCommand({
  name: 'vfs-uuid',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  needsLaunch: true,
  summary: 'print the UUID of a filesystem',
  description: `Print the UUID of the filesystem on the device; an empty line when it has none.`,
  async run(ctx, [dev]) {
    await ctx.out.lines([await ctx.session.vfsUuid(dev)]);
  },
});

export const commands = [listFilesystems, vfsType, vfsLabel, vfsUuid];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
