// Mounting guest filesystems into the guest's namespace (/ is the first one mounted).
import { defineCommand } from '../record.js';

export const mount = defineCommand({
  name: 'mount',
  group: 'mount',
  args: [
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'mount a filesystem',
  description: `Mount the filesystem on the device at the mountpoint, a path inside the guest (mount the root
    filesystem at / first). Read-write, unless jfish was started with --ro, in which case it is
    mounted read-only as with mount-ro.`,
  async run(ctx, [dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly });
  },
});

export const mountRo = defineCommand({
  name: 'mount-ro',
  group: 'mount',
  args: [
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'mount a filesystem read-only',
  description: `Mount the filesystem on the device at the mountpoint, read-only. Nothing is written to the
    image: journals are not replayed.`,
  async run(ctx, [dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: true });
  },
});

const hasRo = (options: string): boolean => options.split(',').some((o) => o.trim() === 'ro');

export const mountOptions = defineCommand({
  name: 'mount-options',
  group: 'mount',
  args: [
    { name: 'options', type: 'string' },
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'mount a filesystem with mount options',
  description: `Like mount, with a comma-separated list of mount options (ro, noatime, data=ordered, …). Mounts
    are always nosuid and nodev: suid and dev are refused.`,
  async run(ctx, [options, dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly || hasRo(options), options: options || undefined });
  },
});

export const mountVfs = defineCommand({
  name: 'mount-vfs',
  group: 'mount',
  args: [
    { name: 'options', type: 'string' },
    { name: 'vfstype', type: 'string' },
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  needsLaunch: true,
  summary: 'mount a filesystem with options, as a given filesystem type',
  description: `Like mount-options, with the filesystem type given (ext3 to mount an ext4-compatible journal as
    ext3, …) instead of the one blkid finds.`,
  async run(ctx, [options, vfstype, dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly || hasRo(options), options: options || undefined, vfstype });
  },
});

export const umount = defineCommand({
  name: 'umount',
  aliases: ['unmount'],
  group: 'mount',
  args: [{ name: 'pathordevice', type: 'string' }],
  needsLaunch: true,
  summary: 'unmount a filesystem',
  description: `Unmount the filesystem mounted at the given mountpoint, or from the given device.`,
  async run(ctx, [what]) {
    await ctx.session.umount(what);
  },
});

export const umountAll = defineCommand({
  name: 'umount-all',
  aliases: ['unmount-all'],
  group: 'mount',
  args: [],
  needsLaunch: true,
  summary: 'unmount every filesystem',
  description: `Unmount every mounted filesystem, innermost first.`,
  async run(ctx) {
    await ctx.session.umountAll();
  },
});

export const mounts = defineCommand({
  name: 'mounts',
  group: 'mount',
  args: [],
  needsLaunch: true,
  summary: 'list the mounted devices',
  description: `List the devices of the mounted filesystems, one per line, in the order they were mounted.`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.mounts());
  },
});

export const mountpoints = defineCommand({
  name: 'mountpoints',
  group: 'mount',
  args: [],
  needsLaunch: true,
  summary: 'list the mounted filesystems and their mountpoints',
  description: `List the mounted filesystems as "DEVICE: MOUNTPOINT" per line (/dev/sda1: /), sorted by
    mountpoint.`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.mountpoints().map((m) => `${m.device}: ${m.mountpoint}`));
  },
});

export const commands = [mount, mountRo, mountOptions, mountVfs, umount, umountAll, mounts, mountpoints];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
