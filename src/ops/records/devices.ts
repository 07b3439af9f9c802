// Block devices and partitions, by their guest names.
import { defineOp, type OpTest } from '../op.js';
import { THREE_PARTS } from './gf-setup.js';

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
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: [], expect: '/dev/sda' },
      // libguestfs's test attaches four disks (sda to sdd); these tests attach one
      { from: 'libguestfs', disk: 'disk:2G', args: [], expect: '/dev/sda' },
    ];
  },
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
  get tests(): readonly OpTest[] {
    return [
      { disk: 'bootroot', args: [], expect: '/dev/sda1\n/dev/sda2' },
      { disk: 'disk', args: [], expect: '' },
      // libguestfs's tests also list sdb1, its scratch disk's partition: these tests attach one disk
      { from: 'libguestfs', disk: 'fs', args: [], expect: '/dev/sda1' },
      { from: 'libguestfs', disk: 'disk:2G', setup: THREE_PARTS, args: [], expect: '/dev/sda1\n/dev/sda2\n/dev/sda3' },
    ];
  },
});

export const records = [listDevices, listPartitions] as const;
