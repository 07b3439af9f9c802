// Mounting guest filesystems into the guest's namespace (/ is the first one mounted).
import { defineOp, type OpTest } from '../op.js';

export const mount = defineOp({
  name: 'mount',
  group: 'mount',
  args: [
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'mount a filesystem',
  description: `Mount the filesystem on the device at the mountpoint, a path inside the guest (mount the root
    filesystem at / first). Read-write, unless jfish was started with --ro, in which case it is
    mounted read-only as with mount-ro.`,
  async impl(ctx, [dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'disk',
        title: 'mount a new ext2 read-write (libguestfs then writes /new and cats it)',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'ext2', '/dev/sda1'],
        ],
        args: ['/dev/sda1', '/'],
        check: { run: ['write', '/new', 'new file contents'], expect: '' },
      },
      { disk: 'part', setup: [['mkfs', 'ext2', '/dev/sda1']], args: ['/dev/sda1', '/'], check: { run: ['mounts'], expect: '/dev/sda1' } },
      {
        disk: 'bootroot',
        setup: [['umount-all']],
        args: ['/dev/sda2', '/'],
        check: { run: ['write', '/f', 'x'], expect: '' },
        title: 'mount is read-write',
      },
      {
        disk: 'bootroot',
        readonly: true,
        setup: [['umount-all']],
        args: ['/dev/sda2', '/'],
        check: { run: ['mounts'], expect: '/dev/sda2' },
        title: 'mount on a read-only session',
      },
      { disk: 'part', args: ['/dev/sda1', '/'], error: /no filesystem found/, title: 'mount of a device with no filesystem fails' },
    ];
  },
});

export const mountRo = defineOp({
  name: 'mount-ro',
  group: 'mount',
  args: [
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'mount a filesystem read-only',
  description: `Mount the filesystem on the device at the mountpoint, read-only. Nothing is written to the
    image: journals are not replayed.`,
  async impl(ctx, [dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: true });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        setup: [
          ['write', '/new', 'data'],
          ['umount', '/'],
        ],
        args: ['/dev/sda1', '/'],
        check: { run: ['cat', '/new'], expect: 'data' },
      },
      {
        from: 'libguestfs',
        setup: [['umount', '/']],
        args: ['/dev/sda1', '/'],
        check: { run: ['touch', '/new'], error: /\/new: Read-only file system/ },
        title: 'mount-ro, then touch fails',
      },
      { disk: 'part', setup: [['mkfs', 'ext2', '/dev/sda1']], args: ['/dev/sda1', '/'], check: { run: ['mounts'], expect: '/dev/sda1' } },
    ];
  },
});

const hasRo = (options: string): boolean => options.split(',').some((o) => o.trim() === 'ro');

export const mountOptions = defineOp({
  name: 'mount-options',
  group: 'mount',
  args: [
    { name: 'options', type: 'string' },
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'mount a filesystem with mount options',
  description: `Like mount, with a comma-separated list of mount options (ro, noatime, data=ordered, …). Mounts
    are always nosuid and nodev: suid and dev are refused.`,
  async impl(ctx, [options, dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly || hasRo(options), options: options || undefined });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test for mount-options',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['mkfs', 'ext2', '/dev/sda1']],
        args: ['noatime', '/dev/sda1', '/'],
        check: { run: ['mountpoints'], expect: '/dev/sda1: /' },
      },
      { disk: 'part', setup: [['mkfs', 'ext2', '/dev/sda1']], args: ['suid', '/dev/sda1', '/'], error: /suid/ },
    ];
  },
});

export const mountVfs = defineOp({
  name: 'mount-vfs',
  group: 'mount',
  args: [
    { name: 'options', type: 'string' },
    { name: 'vfstype', type: 'string' },
    { name: 'mountable', type: 'mountable' },
    { name: 'mountpoint', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'mount a filesystem with options, as a given filesystem type',
  description: `Like mount-options, with the filesystem type given (ext3 to mount an ext4-compatible journal as
    ext3, …) instead of the one blkid finds.`,
  async impl(ctx, [options, vfstype, dev, mountpoint]) {
    await ctx.session.mount(dev, mountpoint, { readonly: ctx.readonly || hasRo(options), options: options || undefined, vfstype });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test for mount-vfs',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['mkfs', 'ext2', '/dev/sda1']],
        args: ['ro', 'ext2', '/dev/sda1', '/'],
        check: { run: ['mounts'], expect: '/dev/sda1' },
      },
    ];
  },
});

export const umount = defineOp({
  name: 'umount',
  aliases: ['unmount'],
  group: 'mount',
  args: [
    { name: 'pathordevice', type: 'string' },
    { name: 'force', type: 'bool', optional: true, named: true },
    { name: 'lazyunmount', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'unmount a filesystem',
  description: `Unmount the filesystem mounted at the given mountpoint, or from the given device.
    guestfish's force: and lazyunmount: are accepted and change nothing: jfish's mounts are its
    own, and one still busy (a guest program's leftover) is retried and then detached lazily
    anyway, whatever the flags say.`,
  async impl(ctx, [what]) {
    await ctx.session.umount(what);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'disk',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'ext2', '/dev/sda1'],
          ['mount', '/dev/sda1', '/'],
        ],
        args: ['/', 'force:false', 'lazyunmount:false'],
        check: { run: ['mounts'], expect: '' },
      },
      { args: ['/'], check: { run: ['mounts'], expect: '' } },
      { disk: 'bootroot', args: ['/dev/sda1'], check: { run: ['mounts'], expect: '/dev/sda2' } },
      { args: ['/nowhere'], error: /not mounted/ },
      { args: ['/dev/sda1', 'force:false', 'lazyunmount:false'], check: { run: ['mounts'], expect: '' } },
      { args: ['/', 'force:true', 'lazyunmount:true'], check: { run: ['mounts'], expect: '' } },
    ];
  },
});

export const umountAll = defineOp({
  name: 'umount-all',
  aliases: ['unmount-all'],
  group: 'mount',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'unmount every filesystem',
  description: `Unmount every mounted filesystem, innermost first.`,
  async impl(ctx) {
    await ctx.session.umountAll();
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: [], check: { run: ['mounts'], expect: '' } },
      {
        from: 'libguestfs',
        disk: 'disk:500M',
        title: 'umount-all unmounts nested mounts',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'p', '64', '204799'],
          ['part-add', '/dev/sda', 'p', '204800', '409599'],
          ['part-add', '/dev/sda', 'p', '409600', '-64'],
          ['mkfs', 'ext2', '/dev/sda1'],
          ['mkfs', 'ext2', '/dev/sda2'],
          ['mkfs', 'ext2', '/dev/sda3'],
          ['mount', '/dev/sda1', '/'],
          ['mkdir', '/mp1'],
          ['mount', '/dev/sda2', '/mp1'],
          ['mkdir', '/mp1/mp2'],
          ['mount', '/dev/sda3', '/mp1/mp2'],
          ['mkdir', '/mp1/mp2/mp3'],
        ],
        args: [],
        check: { run: ['mounts'], expect: '' },
      },
      { disk: 'bootroot', args: [], check: { run: ['mounts'], expect: '' } },
    ];
  },
});

export const mounts = defineOp({
  name: 'mounts',
  group: 'mount',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the mounted devices',
  description: `List the devices of the mounted filesystems, one per line, in the order they were mounted.`,
  async impl(ctx) {
    return ctx.session.mounts();
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: [], expect: '/dev/sda1' },
      {
        from: 'libguestfs',
        fromAction: 'umount',
        disk: 'disk',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'ext2', '/dev/sda1'],
          ['mount', '/dev/sda1', '/'],
        ],
        args: [],
        expect: '/dev/sda1',
        title: "mounts after mount (libguestfs's first test of umount, before it unmounts)",
      },
      { disk: 'bootroot', args: [], expect: '/dev/sda2\n/dev/sda1' },
      { disk: 'part', args: [], expect: '' },
    ];
  },
});

export const mountpoints = defineOp({
  name: 'mountpoints',
  group: 'mount',
  args: [],
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'list the mounted filesystems and their mountpoints',
  description: `List the mounted filesystems as "DEVICE: MOUNTPOINT" per line (/dev/sda1: /), sorted by
    mountpoint.`,
  async impl(ctx) {
    return ctx.session.mountpoints().map((m) => [m.device, m.mountpoint]);
  },
  guestfishDiffers: 'libguestfs has no test for mountpoints',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'bootroot', args: [], expect: '/dev/sda2: /\n/dev/sda1: /boot' },
      { disk: 'lvfs', args: [], expect: '/dev/VG/LV: /' },
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [mount, mountRo, mountOptions, mountVfs, umount, umountAll, mounts, mountpoints] as const;
