// Block devices and partitions, by their guest names.
import { defineCommand } from '../record.js';

export const listDevices = defineCommand({
  name: 'list-devices',
  group: 'devices',
  args: [],
  needsLaunch: true,
  summary: 'list the block devices',
  description: `List the whole-disk devices, one per line: /dev/sda for the first -a drive, /dev/sdb for the
    second, and so on.`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.listDevices());
  },
});

export const listPartitions = defineCommand({
  name: 'list-partitions',
  group: 'devices',
  args: [],
  needsLaunch: true,
  summary: 'list the partitions',
  description: `List every partition found on every device, one per line (/dev/sda1, /dev/sda2, …).
    Logical volumes are not partitions: see lvs.`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.listPartitions());
  },
});

export const commands = [listDevices, listPartitions];
