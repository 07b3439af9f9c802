// Block devices and partitions, by their guest names.
import { defineOp } from '../op.js';

export const listDevices = defineOp({
  name: 'list-devices',
  group: 'devices',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the block devices',
  description: `List the whole-disk devices, one per line: /dev/sda for the first -a drive, /dev/sdb for the
    second, and so on.`,
  async impl(ctx) {
    return ctx.session.listDevices();
  },
  tests: [{ disk: 'disk', args: [], expect: '/dev/sda' }],
});

export const listPartitions = defineOp({
  name: 'list-partitions',
  group: 'devices',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the partitions',
  description: `List every partition found on every device, one per line (/dev/sda1, /dev/sda2, …).
    Logical volumes are not partitions: see lvs.`,
  async impl(ctx) {
    return ctx.session.listPartitions();
  },
  tests: [
    { disk: 'bootroot', args: [], expect: '/dev/sda1\n/dev/sda2' },
    { disk: 'disk', args: [], expect: '' },
  ],
});

export const records = [listDevices, listPartitions] as const;
