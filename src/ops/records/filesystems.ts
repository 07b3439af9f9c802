// Filesystems: what is on each device, its type, label and UUID.
import { defineOp, type OpTest } from '../op.js';
import { STABLE_UUID } from './gf-setup.js';

export const listFilesystems = defineOp({
  name: 'list-filesystems',
  group: 'filesystems',
  args: [],
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'list the filesystems',
  description: `List every filesystem found on devices, partitions, logical volumes and btrfs subvolumes, as
    "NAME: TYPE" per line (/dev/sda1: ext4). Partitions holding swap, an LVM physical volume or
    something not recognised are listed too, with that type or "unknown".`,
  async impl(ctx) {
    return [...ctx.session.listFilesystems()];
  },
  guestfishDiffers: 'libguestfs has no test of list_filesystems',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'bootroot', args: [], expect: '/dev/sda1: ext2\n/dev/sda2: ext2' },
      { disk: 'lv', args: [], expect: '/dev/VG/LV: unknown' },
    ];
  },
});

export const vfsType = defineOp({
  name: 'vfs-type',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the filesystem type of a device',
  description: `Print the type of the filesystem on the device (ext4, xfs, btrfs, vfat, swap, …), as blkid
    reports it.`,
  async impl(ctx, [dev]) {
    return ctx.session.vfsType(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['/dev/sda1'], expect: 'ext2' },
      { disk: 'fs:ext4', args: ['/dev/sda1'], expect: 'ext4' },
      { from: 'libguestfs', args: ['/dev/sda1'], expect: 'ext2' },
    ];
  },
});

export const vfsLabel = defineOp({
  name: 'vfs-label',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the label of a filesystem',
  description: `Print the label of the filesystem on the device; an empty line when it has none.`,
  async impl(ctx, [dev]) {
    return ctx.session.vfsLabel(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['/dev/sda1'], expect: '' },
      { disk: 'part', setup: [['mkfs', 'ext4', '/dev/sda1', 'label:DATA']], args: ['/dev/sda1'], expect: 'DATA' },
      { from: 'libguestfs', setup: [['set-label', '/dev/sda1', 'LTEST']], args: ['/dev/sda1'], expect: 'LTEST' },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'ext2', '/dev/sda1', 'label:test-label'],
        ],
        args: ['/dev/sda1'],
        expect: 'test-label',
      },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'btrfs', '/dev/sda1'],
          ['set-label', '/dev/sda1', 'test-label-btrfs'],
        ],
        args: ['/dev/sda1'],
        expect: 'test-label-btrfs',
      },
    ];
  },
});

export const vfsUuid = defineOp({
  name: 'vfs-uuid',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the UUID of a filesystem',
  description: `Print the UUID of the filesystem on the device; an empty line when it has none.`,
  async impl(ctx, [dev]) {
    return ctx.session.vfsUuid(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['mkfs', 'ext4', '/dev/sda1', 'uuid:01234567-89ab-cdef-0123-456789abcdef']],
        args: ['/dev/sda1'],
        expect: '01234567-89ab-cdef-0123-456789abcdef',
      },
      { from: 'libguestfs', setup: [['set-e2uuid', '/dev/sda1', STABLE_UUID]], args: ['/dev/sda1'], expect: STABLE_UUID },
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [listFilesystems, vfsType, vfsLabel, vfsUuid] as const;
