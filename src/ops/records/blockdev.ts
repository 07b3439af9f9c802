// guestfish's blockdev-* commands: a device's sector size, size in sectors, block size and
// read-only flag, and setting it, re-reading a partition table, flushing buffers. Queries
// answer on both engines (the userspace engine's devices are 512-byte-sector, read-only to the
// kernel's eyes); blockdev-setro/-setrw change the kernel's flag and need the kernel engine.
import { JootError } from '../../core/errors.js';
import { run } from '../../core/run.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';

const device = { name: 'device', type: 'device' } as const;

const userspace = (ctx: OpContext): boolean => ctx.session.engine === 'userspace';

/** One number printed by blockdev for the device's host node (the kernel engine). */
async function blockdevNumber(ctx: OpContext, dev: string, flag: string): Promise<number> {
  return ctx.session.layout.withTarget(dev, async (t) => {
    const text = (await run('blockdev', [flag, t.host])).stdout.trim();
    if (!/^\d+$/.test(text)) throw new JootError('EIO', `${t.canonical}: blockdev ${flag} gave '${text}'`);
    return Number(text);
  });
}

export const blockdevGetss = defineOp({
  name: 'blockdev-getss',
  group: 'devices',
  args: [device],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'print the sector size of a device',
  description: `Print the size of a sector of the device in bytes: 512 for every jfish device (this is not the
    size in sectors: see blockdev-getsz).`,
  async impl(ctx, [dev]) {
    if (userspace(ctx)) {
      await ctx.session.layout.blockdevGetsize64(dev); // the device exists
      return 512;
    }
    return blockdevNumber(ctx, dev, '--getss');
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], expect: '512', from: 'libguestfs' },
      { disk: 'disk', args: ['/dev/sdz'], error: /\/dev\/sdz/ },
    ];
  },
});

export const blockdevGetsz = defineOp({
  name: 'blockdev-getsz',
  group: 'devices',
  args: [device],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the size of a device in 512-byte sectors',
  description: `Print the size of the device in 512-byte sectors, whatever its sector size (blockdev-getsize64
    gives bytes).`,
  async impl(ctx, [dev]) {
    return (await ctx.session.layout.blockdevGetsize64(dev)) / 512n;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], expect: '204800', from: 'libguestfs', title: 'blockdev-getsz of a 100 MiB disk' },
      { disk: 'part', args: ['/dev/sda1'], expect: '204545', title: 'part-disk leaves 128 sectors at each end, as guestfish' },
    ];
  },
});

export const blockdevGetbsz = defineOp({
  name: 'blockdev-getbsz',
  group: 'devices',
  args: [device],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: "print the kernel's block size of a device",
  description: `Print the block size the kernel uses for the device (4096 on the userspace engine). It is
    neither the size in blocks nor a filesystem's block size, and hardly anything uses it.`,
  async impl(ctx, [dev]) {
    if (userspace(ctx)) {
      await ctx.session.layout.blockdevGetsize64(dev);
      return 4096;
    }
    return blockdevNumber(ctx, dev, '--getbsz');
  },
  guestfishDiffers: 'libguestfs has no test of its own here (the answer depends on the page size)',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/sda'], expect: /^(512|1024|2048|4096)\n$/ }];
  },
});

export const blockdevGetro = defineOp({
  name: 'blockdev-getro',
  group: 'devices',
  args: [device],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'print whether a device is read-only',
  description: `Print true if the device is read-only (its drive was added read-only, or blockdev-setro set
    it), else false.`,
  async impl(ctx, [dev]) {
    if (userspace(ctx)) {
      await ctx.session.layout.blockdevGetsize64(dev);
      return ctx.session.readonly;
    }
    return (await blockdevNumber(ctx, dev, '--getro')) !== 0;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'disk', setup: [['blockdev-setro', '/dev/sda']], args: ['/dev/sda'], expect: 'true' },
      { disk: 'disk', args: ['/dev/sda'], expect: 'false' },
      { disk: 'disk', readonly: true, args: ['/dev/sda'], expect: 'true', title: 'blockdev-getro of a drive added read-only' },
    ];
  },
});

function setReadonly(on: boolean) {
  return async (ctx: OpContext, [dev]: [string]): Promise<undefined> => {
    await ctx.session.layout.withTarget(dev, async (t) => {
      if (!on && t.writeRefusal) throw t.writeRefusal;
      // the flag outlives the device's attachment: only loop devices (and their partitions, and
      // LVs) are set writable again when the session lets them go (attach/loop.ts)
      if (on && !/^\/dev\/(loop|dm-|mapper\/)/.test(t.host))
        throw new JootError(
          'EUNSUPPORTED',
          `${t.canonical}: blockdev-setro is not supported on this image's attachment (${t.host.replace(/\d+.*$/, '')})`,
        );
      await run('blockdev', [on ? '--setro' : '--setrw', t.host]);
    });
    return undefined;
  };
}

export const blockdevSetro = defineOp({
  name: 'blockdev-setro',
  group: 'devices',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a device read-only',
  description: `Make the device read-only in the kernel until blockdev-setrw: later writes to it fail. Needs the
    kernel engine.`,
  impl: setReadonly(true),
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/sda'], check: { run: ['blockdev-getro', '/dev/sda'], expect: 'true' }, from: 'libguestfs' }];
  },
});

export const blockdevSetrw = defineOp({
  name: 'blockdev-setrw',
  group: 'devices',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a device read-write',
  description: `Make the device read-write again in the kernel (after blockdev-setro). A drive added read-only
    stays read-only: that is refused. Needs the kernel engine.`,
  impl: setReadonly(false),
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], check: { run: ['blockdev-getro', '/dev/sda'], expect: 'false' }, from: 'libguestfs' },
      {
        disk: 'disk',
        setup: [['blockdev-setro', '/dev/sda']],
        args: ['/dev/sda'],
        check: { run: ['blockdev-getro', '/dev/sda'], expect: 'false' },
      },
    ];
  },
});

export const blockdevRereadpt = defineOp({
  name: 'blockdev-rereadpt',
  group: 'devices',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'read the partition table of a disk again',
  description: `Find the partitions of the disk again (after pwrite-device or upload-offset wrote a partition
    table). Refused while something on the disk is mounted, as the kernel refuses it; nothing to do on
    a read-only drive or on the userspace engine, whose partitions cannot have changed.`,
  async impl(ctx, [dev]) {
    if (userspace(ctx) || ctx.session.readonly) {
      await ctx.session.layout.blockdevGetsize64(dev);
      return undefined;
    }
    await ctx.session.layout.changeDisk(dev, async () => undefined);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], expect: '', from: 'libguestfs' },
      { args: ['/dev/sda'], error: /\/dev\/sda1 is mounted on \//, title: 'blockdev-rereadpt refused while a partition is mounted' },
    ];
  },
});

export const blockdevFlushbufs = defineOp({
  name: 'blockdev-flushbufs',
  group: 'devices',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: "flush a device's buffers",
  description: `Push what the kernel holds for the device down to its image (nothing to do on the userspace
    engine, which never writes).`,
  async impl(ctx, [dev]) {
    if (userspace(ctx)) await ctx.session.layout.blockdevGetsize64(dev);
    else await ctx.session.layout.flush(dev);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/sda'], expect: '', from: 'libguestfs' }];
  },
});

export const records = [
  blockdevGetss,
  blockdevGetsz,
  blockdevGetbsz,
  blockdevGetro,
  blockdevSetro,
  blockdevSetrw,
  blockdevRereadpt,
  blockdevFlushbufs,
] as const;
