// guestfish's older block and ext commands that scripts (and libguestfs's own tests) still use:
// zero and set-e2uuid (get-e2uuid is in fs-extra.ts). They go through the session's layout editor like mkfs: a
// read-only drive is refused, and the device is found again afterwards.
import { forTheHost } from '../host-refusal.js';
import { defineOp, type OpTest } from '../op.js';

const device = { name: 'device', type: 'device' } as const;

/** A UUID for the tests (any fixed one does). */
const UUID = '01234567-0123-0123-0123-0123456789ab';

export const zero = defineOp({
  name: 'zero',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'write zeroes over the first 128 KiB of a device',
  description: `Write zeroes over the first 32 blocks of 4 KiB of a device, as guestfish does: enough that
    the superblock or partition table at its start is no longer recognised, far from a secure wipe
    (zero-device zeroes it all). A device shorter than 128 KiB is refused. Unlike guestfish, jfish
    refuses it while a filesystem on the device is mounted: the host kernel would go on using a
    filesystem whose metadata changed under it, which can harm the host.`,
  async impl(ctx, [dev]) {
    await forTheHost(ctx.session.layout.zero(dev));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['umount', '/dev/sda1', 'force:false', 'lazyunmount:false']],
        args: ['/dev/sda1'],
        check: { run: ['vfs-type', '/dev/sda1'], expect: '' },
        from: 'libguestfs',
      },
      {
        disk: 'part',
        args: ['/dev/sda'],
        check: { run: ['list-partitions'], expect: '' },
        title: 'zero of a disk erases its partition table',
      },
      { args: ['/dev/sda1'], error: /mounted.*refused for the host's sake/, title: 'zero is refused under a mounted filesystem' },
    ];
  },
});

export const setE2uuid = defineOp({
  name: 'set-e2uuid',
  group: 'filesystems',
  args: [device, { name: 'uuid', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the UUID of an ext2/3/4 filesystem',
  description: `Set the UUID of the ext2/3/4 filesystem on a device, with tune2fs -U: a UUID, or "clear" (no
    UUID), "random" (a new random one) or "time" (a new time-based one). It works on a mounted
    filesystem where tune2fs does (not on one with metadata checksums but no checksum seed).
    set-uuid does the same for every filesystem type.`,
  async impl(ctx, [dev, uuid]) {
    await ctx.session.layout.setE2uuid(dev, uuid);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['/dev/sda1', UUID], check: { run: ['get-e2uuid', '/dev/sda1'], expect: UUID }, from: 'libguestfs' },
      { args: ['/dev/sda1', 'clear'], check: { run: ['get-e2uuid', '/dev/sda1'], expect: '' }, from: 'libguestfs' },
      { args: ['/dev/sda1', 'random'], from: 'libguestfs' },
      { args: ['/dev/sda1', 'time'], from: 'libguestfs' },
      { args: ['/dev/sda1', 'not-a-uuid'], error: /not a UUID/ },
      { disk: 'part', setup: [['mkfs', 'vfat', '/dev/sda1']], args: ['/dev/sda1', UUID], error: /not an ext2\/3\/4 filesystem/ },
    ];
  },
});

export const records = [zero, setE2uuid] as const;
