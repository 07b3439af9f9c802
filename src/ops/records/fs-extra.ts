// guestfish's filesystem administration beyond mkfs: tune2fs and mke2fs with their options,
// ext labels and UUIDs, minimum sizes, xfs_info/growfs/admin/repair, ntfsresize/ntfsfix,
// btrfs snapshots and defaults, findfs, statvfs, and the swap commands (refused: they would
// activate swap on the host). The host tools run in appliance/layout/fs-extra.ts.
import { JootError } from '../../core/errors.js';
import { FsExtra } from '../../appliance/layout/fs-extra.js';
import { parseBtrfsSuper } from '../../appliance/layout/fs-tools.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';
import type { StructFields } from '../structs.js';

const device = { name: 'device', type: 'device' } as const;
const STABLE_UUID = '01234567-89ab-cdef-0123-456789abcdef';
const EXT = new Set(['ext2', 'ext3', 'ext4']);

const fsx = (ctx: OpContext) => new FsExtra(ctx.session.layout);

async function extOnly(ctx: OpContext, dev: string): Promise<void> {
  const type = await ctx.session.vfsType(dev);
  if (!EXT.has(type)) throw new JootError('EINVAL', `${dev}: holds ${type || 'no filesystem'}, not an ext2/3/4 filesystem`);
}

export const tune2fs = defineOp({
  name: 'tune2fs',
  group: 'filesystems',
  args: [
    device,
    { name: 'force', type: 'bool', optional: true, named: true },
    { name: 'maxmountcount', type: 'int', optional: true, named: true },
    { name: 'mountcount', type: 'int', optional: true, named: true },
    { name: 'errorbehavior', type: 'string', optional: true, named: true },
    { name: 'group', type: 'int64', optional: true, named: true },
    { name: 'intervalbetweenchecks', type: 'int', optional: true, named: true },
    { name: 'reservedblockspercentage', type: 'int', optional: true, named: true },
    { name: 'lastmounteddirectory', type: 'string', optional: true, named: true },
    { name: 'reservedblockscount', type: 'int64', optional: true, named: true },
    { name: 'user', type: 'int64', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'adjust ext2/3/4 filesystem parameters',
  description: `Adjust parameters of the ext2/3/4 filesystem on a device, mounted or not, as tune2fs(8):
    force: (-f), maxmountcount: (-c; 0 or -1: never check by count), mountcount: (-C),
    errorbehavior: (-e continue, remount-ro or panic), group: and user: (-g/-u, numbers: who
    may use the reserved blocks), intervalbetweenchecks: (-i, in seconds; 0: never),
    reservedblockspercentage: (-m), lastmounteddirectory: (-M), reservedblockscount: (-r).
    tune2fs-l shows the result.`,
  async impl(
    ctx,
    [
      dev,
      force,
      maxmountcount,
      mountcount,
      errorbehavior,
      group,
      intervalbetweenchecks,
      reservedblockspercentage,
      lastmounteddirectory,
      reservedblockscount,
      user,
    ],
  ) {
    await fsx(ctx).tune2fs(dev, {
      force,
      maxmountcount,
      mountcount,
      errorbehavior,
      group,
      intervalbetweenchecks,
      reservedblockspercentage,
      lastmounteddirectory,
      reservedblockscount,
      user,
    });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        args: ['/dev/sda1', 'force:false', 'maxmountcount:0', 'intervalbetweenchecks:0'],
        check: { run: ['tune2fs-l', '/dev/sda1'], expect: /(^|\n)Maximum mount count: -1\n(.*\n)*Check interval: 0 \(<none>\)\n/ },
      },
      {
        from: 'libguestfs',
        args: ['/dev/sda1', 'force:false', 'maxmountcount:0', 'intervalbetweenchecks:86400'],
        check: { run: ['tune2fs-l', '/dev/sda1'], expect: /(^|\n)Maximum mount count: -1\n(.*\n)*Check interval: 86400 \(1 day\)\n/ },
      },
      {
        from: 'libguestfs',
        args: ['/dev/sda1', 'force:false', 'group:1', 'user:1'],
        check: {
          run: ['tune2fs-l', '/dev/sda1'],
          expect: /(^|\n)Reserved blocks uid: \d+ \(user \S+\)\nReserved blocks gid: \d+ \(group \S+\)\n/,
        },
      },
      {
        from: 'libguestfs',
        args: ['/dev/sda1', 'force:false', 'group:0', 'user:0'],
        check: {
          run: ['tune2fs-l', '/dev/sda1'],
          expect: /(^|\n)Reserved blocks uid: 0 \(user \S+\)\nReserved blocks gid: 0 \(group \S+\)\n/,
        },
      },
      { args: ['/dev/sda1', 'errorbehavior:explode'], error: /errorbehavior: explode: use continue, remount-ro or panic/ },
      { disk: 'part', args: ['/dev/sda1', 'mountcount:3'], error: /holds no filesystem, not an ext2\/3\/4 filesystem/ },
    ];
  },
});

export const tune2fsL = defineOp({
  name: 'tune2fs-l',
  group: 'filesystems',
  args: [device],
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'show the superblock of an ext2/3/4 filesystem',
  description: `Show the superblock of the ext2/3/4 filesystem on a device as "Key: value" lines, as
    tune2fs -l prints them (which fields there are depends on the filesystem and on tune2fs).
    Needs the kernel engine.`,
  async impl(ctx, [dev]) {
    return fsx(ctx).tune2fsList(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/dev/sda1'], expect: /(^|\n)Filesystem magic number: 0xEF53\n(.*\n)*Filesystem OS type: Linux\n/ },
      { disk: 'part', args: ['/dev/sda1'], error: /holds no filesystem, not an ext2\/3\/4 filesystem/ },
    ];
  },
});

export const setE2label = defineOp({
  name: 'set-e2label',
  group: 'filesystems',
  args: [device, { name: 'label', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the label of an ext2/3/4 filesystem',
  description: `Set the label of the ext2/3/4 filesystem on a device (at most 16 bytes), mounted or not, as
    e2label does. set-label does the same for every filesystem type.`,
  async impl(ctx, [dev, label]) {
    await fsx(ctx).setE2label(dev, label);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/dev/sda1', 'testlabel'], check: { run: ['get-e2label', '/dev/sda1'], expect: 'testlabel' } },
      { args: ['/dev/sda1', 'a-label-far-too-long'], error: /ext labels are limited to 16 bytes/ },
    ];
  },
});

export const getE2label = defineOp({
  name: 'get-e2label',
  group: 'filesystems',
  args: [device],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the label of an ext2/3/4 filesystem',
  description: `Print the label of the ext2/3/4 filesystem on a device (empty when it has none). vfs-label
    does the same for every filesystem type. Works on both engines.`,
  async impl(ctx, [dev]) {
    await extOnly(ctx, dev);
    return ctx.session.vfsLabel(dev);
  },
  guestfishDiffers: "libguestfs has no test of get_e2label (set_e2label's test reads the label back with it: set-e2label's record)",
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['set-e2label', '/dev/sda1', 'testlabel']],
        args: ['/dev/sda1'],
        expect: 'testlabel',
        title: "get-e2label reads back set-e2label's label (libguestfs's test of set_e2label, in set-e2label's record)",
      },
      { disk: 'part', setup: [['mkfs', 'ext4', '/dev/sda1', 'label:DATA']], args: ['/dev/sda1'], expect: 'DATA' },
      { disk: 'part', setup: [['mkfs', 'vfat', '/dev/sda1']], args: ['/dev/sda1'], error: /holds vfat, not an ext2\/3\/4 filesystem/ },
    ];
  },
});

export const getE2uuid = defineOp({
  name: 'get-e2uuid',
  group: 'filesystems',
  args: [device],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the UUID of an ext2/3/4 filesystem',
  description: `Print the UUID of the ext2/3/4 filesystem on a device. vfs-uuid does the same for every
    filesystem type. Works on both engines.`,
  async impl(ctx, [dev]) {
    await extOnly(ctx, dev);
    return ctx.session.vfsUuid(dev);
  },
  get tests(): readonly OpTest[] {
    return [{ disk: 'part', setup: [['mkfs', 'ext4', '/dev/sda1', `uuid:${STABLE_UUID}`]], args: ['/dev/sda1'], expect: STABLE_UUID }];
  },
  guestfishDiffers: "libguestfs's only test of it makes an external journal with mke2journal, which jfish does not have",
  untranslated: ['its test (the UUID of an external journal made by mke2journal): jfish has no mke2journal'],
});

// the optional arguments of guestfish's mke2fs, in its order
const MKE2FS_INTS = [
  'blockscount',
  'blocksize',
  'fragsize',
  'blockspergroup',
  'numberofgroups',
  'bytesperinode',
  'inodesize',
  'journalsize',
  'numberofinodes',
  'stridesize',
  'stripewidth',
  'maxonlineresize',
] as const;
const MKE2FS_SMALL_INTS = ['reservedblockspercentage', 'mmpupdateinterval'] as const;
const MKE2FS_STRINGS = ['journaldevice', 'label', 'lastmounteddir', 'creatoros', 'fstype', 'usagetype', 'uuid'] as const;
const MKE2FS_BOOLS = [
  'forcecreate',
  'writesbandgrouponly',
  'lazyitableinit',
  'lazyjournalinit',
  'testfs',
  'discard',
  'quotatype',
  'extent',
  'filetype',
  'flexbg',
  'hasjournal',
  'journaldev',
  'largefile',
  'quota',
  'resizeinode',
  'sparsesuper',
  'uninitbg',
] as const;

/** The three mke2fs tests of libguestfs: a journal device on sda1, an ext2 using it on sda2. */
function mke2fsJournalTest(journal: string, label: string | undefined, uuid: string | undefined, extra: string[]) {
  return {
    from: 'libguestfs' as const,
    disk: 'disk:200M',
    setup: [
      ['part-init', '/dev/sda', 'mbr'],
      ['part-add', '/dev/sda', 'p', '64', '204799'],
      ['part-add', '/dev/sda', 'p', '204800', '-64'],
      ['mke2fs', '/dev/sda1', 'blocksize:4096', 'journaldev:true', ...(label ? [`label:${label}`] : []), ...(uuid ? [`uuid:${uuid}`] : [])],
    ],
    args: ['/dev/sda2', 'blocksize:4096', `journaldevice:${journal}`, 'fstype:ext2', ...extra],
    check: { run: ['tune2fs-l', '/dev/sda2'], expect: /(^|\n)Journal device: +0x[0-9a-f]+\n/ },
    title: `mke2fs with an external journal given as ${journal}`,
  };
}

/** mke2fs's optional arguments, each with what it changes (a tune2fs -l field, bytes on the device). */
const MKE2FS_OPTION_TESTS: readonly OpTest[] = (() => {
  const tune = (expect: RegExp) => ({ run: ['tune2fs-l', '/dev/sda1'], expect });
  const on = (args: string[], expect: RegExp, title: string): OpTest => ({
    disk: 'part',
    args: ['/dev/sda1', ...args],
    check: tune(expect),
    title: `mke2fs ${title}`,
  });
  // a marker written into the partition before mke2fs, read back after: whether mke2fs wrote there
  const marker = (at: number, args: string[], survives: boolean, title: string): OpTest => ({
    disk: 'part',
    setup: [['pwrite-device', '/dev/sda1', 'marker', String(at)]],
    args: ['/dev/sda1', 'fstype:ext4', ...args],
    check: { run: ['pread-device', '/dev/sda1', '6', String(at)], expect: survives ? 'marker' : '\0\0\0\0\0\0' },
    title: `mke2fs ${title}`,
  });
  // on the 100M partition with 1 KiB blocks: the inode tables at 5 MiB, the journal at 50 MiB,
  // data blocks at 90,000,000
  const ITABLE = 5 * 1048576;
  const JOURNAL = 50 * 1048576;
  const DATA = 90_000_000;
  return [
    on(['blocksize:1024', 'blockscount:20000'], /(^|\n)Block count: 20000\n/, 'blockscount: sets the size in blocks'),
    on(['blocksize:4096', 'fragsize:4096'], /(^|\n)Fragment size: 4096\n/, 'fragsize: the block size'),
    on(['fragsize:2048'], /(^|\n)Block size: 2048\n/, 'fragsize: alone gives the block size'),
    { disk: 'part', args: ['/dev/sda1', 'blocksize:4096', 'fragsize:1024'], error: /fragsize: 1024: ext2\/3\/4 fragments are blocks/ },
    on(['blocksize:1024', 'blockspergroup:4096'], /(^|\n)Blocks per group: 4096\n/, 'blockspergroup: (-g)'),
    on(['fstype:ext4', 'numberofgroups:32'], /(^|\n)Flex block group size: 32\n/, 'numberofgroups: (-G, groups per flex group)'),
    on(['fstype:ext4', 'bytesperinode:65536'], /(^|\n)Inode count: 1560\n/, 'bytesperinode: (-i)'),
    on(['fstype:ext4', 'numberofinodes:2048'], /(^|\n)Inode count: 2080\n/, 'numberofinodes: (-N, rounded up to whole groups)'),
    on(['fstype:ext4'], /(^|\n)Overhead clusters: 12067\n/, 'ext4 with the default journal (4 MiB here)'),
    on(['fstype:ext4', 'journalsize:8'], /(^|\n)Overhead clusters: 16163\n/, 'journalsize: (8 MiB: 4096 more blocks than the default)'),
    on(
      ['fstype:ext4', 'stridesize:16', 'stripewidth:32'],
      /(^|\n)RAID stride: 16\nRAID stripe width: 32\n/,
      'stridesize: and stripewidth:',
    ),
    on(
      ['fstype:ext4', 'maxonlineresize:1000000'],
      /(^|\n)Reserved GDT blocks: 7\n/,
      'maxonlineresize: (fewer reserved GDT blocks than 256)',
    ),
    on(['fstype:ext4', 'reservedblockspercentage:10'], /(^|\n)Reserved block count: 10227\n/, 'reservedblockspercentage: (-m)'),
    on(['fstype:ext4', 'lastmounteddir:/srv/data'], /(^|\n)Last mounted on: \/srv\/data\n/, 'lastmounteddir: (-M)'),
    on(['fstype:ext2', 'creatoros:hurd'], /(^|\n)Filesystem OS type: Hurd\n/, 'creatoros: (-o)'),
    on(['fstype:ext4', 'usagetype:largefile'], /(^|\n)Inode count: 112\n/, 'usagetype: (-T largefile: one inode per MiB)'),
    {
      disk: 'part',
      args: ['/dev/sda1', 'fstype:ext4', 'testfs:true'],
      check: { run: ['vfs-type', '/dev/sda1'], expect: 'ext4dev' },
      title: 'mke2fs testfs: (-E test_fs: blkid calls it ext4dev)',
    },
    on(
      ['fstype:ext2', 'filetype:false', 'resizeinode:false', 'sparsesuper:false', 'largefile:false'],
      /(^|\n)Filesystem features: +ext_attr dir_index\n/,
      'filetype:, resizeinode:, sparsesuper:, largefile: false turn them off',
    ),
    on(
      ['fstype:ext3', 'extent:true', 'flexbg:true'],
      /(^|\n)Filesystem features: .*\bextent\b.*\bflex_bg\b/,
      'extent:, flexbg: true turn them on',
    ),
    on(['fstype:ext3', 'uninitbg:true'], /(^|\n)Filesystem features: .*\buninit_bg\n/, 'uninitbg:true'),
    on(['fstype:ext4', 'quota:true'], /(^|\n)Filesystem features: .*\bquota\b/, 'quota:true'),
    { disk: 'part', args: ['/dev/sda1', 'quotatype:true'], error: /quotatype:true is not a mke2fs option: use quota:true/ },
    marker(DATA, ['discard:true'], false, 'discard:true discards the data blocks'),
    marker(DATA, ['discard:false'], true, 'discard:false leaves the data blocks'),
    marker(ITABLE, ['discard:false', 'lazyitableinit:true'], true, 'lazyitableinit:true leaves the inode tables unwritten'),
    marker(ITABLE, ['discard:false', 'lazyitableinit:false'], false, 'lazyitableinit:false zeroes the inode tables'),
    marker(JOURNAL, ['discard:false', 'lazyjournalinit:true'], true, 'lazyjournalinit:true leaves the journal unwritten'),
    marker(JOURNAL, ['discard:false', 'lazyjournalinit:false'], false, 'lazyjournalinit:false zeroes the journal'),
    marker(
      ITABLE,
      ['discard:false', 'lazyitableinit:false', 'writesbandgrouponly:true', 'forcecreate:true'],
      true,
      'writesbandgrouponly: (-S) writes the superblock and descriptors, not the inode tables',
    ),
  ];
})();

export const mke2fs = defineOp({
  name: 'mke2fs',
  group: 'filesystems',
  args: [
    device,
    ...MKE2FS_INTS.map((name) => ({ name, type: 'int64', optional: true, named: true }) as const),
    ...MKE2FS_SMALL_INTS.map((name) => ({ name, type: 'int', optional: true, named: true }) as const),
    ...MKE2FS_STRINGS.map((name) => ({ name, type: 'string', optional: true, named: true }) as const),
    ...MKE2FS_BOOLS.map((name) => ({ name, type: 'bool', optional: true, named: true }) as const),
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make an ext2/3/4 filesystem with mke2fs’s options',
  description: `Make an ext2, ext3 or ext4 filesystem on a device with the options of mke2fs(8):
    blockscount: (the size in blocks; default the whole device), blocksize: (-b), fragsize:
    (ext fragments are blocks: the block size, or -b when no blocksize: is given), blockspergroup: (-g), numberofgroups: (-G), bytesperinode: (-i), inodesize: (-I),
    journalsize: (-J size=, MB), numberofinodes: (-N), stridesize:, stripewidth:,
    maxonlineresize:, mmpupdateinterval:, lazyitableinit:, lazyjournalinit:, testfs:, discard:
    (-E), reservedblockspercentage: (-m), journaldevice: (-J device=: a device of this session,
    LABEL=… or UUID=…, looked up among this session's devices only), label: (-L),
    lastmounteddir: (-M), creatoros: (-o), fstype: (-t), usagetype: (-T), uuid: (-U),
    forcecreate: (-F), writesbandgrouponly: (-S), and the features extent:, filetype:,
    flexbg:, hasjournal:, journaldev:, largefile:, quota:, resizeinode:, sparsesuper:,
    uninitbg: (true turns one on, false off: -O). Everything on the device is lost.`,
  async impl(ctx, [dev, ...rest]) {
    const names = [...MKE2FS_INTS, ...MKE2FS_SMALL_INTS, ...MKE2FS_STRINGS, ...MKE2FS_BOOLS];
    const o: Record<string, unknown> = {};
    names.forEach((n, i) => {
      if (rest[i] !== undefined) o[n] = rest[i];
    });
    await fsx(ctx).mke2fs(dev, o);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      mke2fsJournalTest('/dev/sda1', undefined, undefined, []),
      mke2fsJournalTest('LABEL=JOURNAL', 'JOURNAL', undefined, []),
      mke2fsJournalTest(`UUID=${STABLE_UUID}`, 'JOURNAL', STABLE_UUID, ['forcecreate:true']),
      {
        disk: 'part',
        args: ['/dev/sda1', 'fstype:ext4', 'label:DATA', 'inodesize:256', 'hasjournal:false'],
        check: { run: ['vfs-label', '/dev/sda1'], expect: 'DATA' },
      },
      { disk: 'part', args: ['/dev/sda1', 'fstype:xfs'], error: /mke2fs makes ext2, ext3 or ext4/ },
      { disk: 'part', args: ['/dev/sda1', 'journaldevice:LABEL=NOWHERE'], error: /no device of this session has that label/ },
      ...MKE2FS_OPTION_TESTS,
    ];
  },
});

export const vfsMinimumSize = defineOp({
  name: 'vfs-minimum-size',
  group: 'filesystems',
  args: [{ name: 'mountable', type: 'mountable' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the size a filesystem could shrink to, in bytes',
  description: `Print the smallest size in bytes the filesystem on a device could be shrunk to: ext2/3/4
    (resize2fs -P), ntfs (ntfsresize --info), btrfs (btrfs inspect-internal min-dev-size; it must
    be mounted) and xfs (which cannot shrink: its size). Needs the kernel engine.`,
  async impl(ctx, [dev]) {
    return fsx(ctx).vfsMinimumSize(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/dev/sda1'], expect: /^\d+\n?$/ },
      { from: 'libguestfs', disk: 'part', setup: [['mkfs', 'ntfs', '/dev/sda1']], args: ['/dev/sda1'], expect: /^\d+\n?$/ },
      { from: 'libguestfs', disk: 'fs:btrfs:200M', args: ['/dev/sda1'], expect: /^\d+\n?$/ },
      { from: 'libguestfs', disk: 'fs:xfs:320M', args: ['/dev/sda1'], expect: /^\d+\n?$/ },
      { disk: 'part', setup: [['mkswap', '/dev/sda1']], args: ['/dev/sda1'], error: /the minimum size of swap is not known/ },
    ];
  },
});

export const xfsInfo = defineOp({
  name: 'xfs-info',
  group: 'filesystems',
  args: [{ name: 'pathordevice', type: 'string' }],
  returns: 'struct',
  needsLaunch: true,
  writes: false,
  summary: 'show the geometry of an xfs filesystem',
  description: `Show the geometry of an xfs filesystem, given as a device or as a guest path on the mounted
    filesystem, as the xfsinfo struct (xfs_blocksize, xfs_datablocks, xfs_lazycount…); a field
    xfs_info does not print is -1 or empty. Needs the kernel engine.`,
  async impl(ctx, [target]) {
    return (await fsx(ctx).xfsInfo(target)) as StructFields;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'fs:xfs:320M', args: ['/'], expect: /(^|\n)xfs_blocksize: 4096\n/ },
      { disk: 'fs:xfs:320M', args: ['/dev/sda1'], expect: /^xfs_mntpoint: \/dev\/sda1\nxfs_inodesize: \d+\n(.*\n)*xfs_rtname: \S*\n/ },
      { args: ['/dev/sda1'], error: /holds ext2, not an xfs filesystem/ },
    ];
  },
});

export const xfsGrowfs = defineOp({
  name: 'xfs-growfs',
  group: 'filesystems',
  args: [
    { name: 'path', type: 'path' },
    { name: 'datasec', type: 'bool', optional: true, named: true },
    { name: 'logsec', type: 'bool', optional: true, named: true },
    { name: 'rtsec', type: 'bool', optional: true, named: true },
    { name: 'datasize', type: 'int64', optional: true, named: true },
    { name: 'logsize', type: 'int64', optional: true, named: true },
    { name: 'rtsize', type: 'int64', optional: true, named: true },
    { name: 'rtextsize', type: 'int64', optional: true, named: true },
    { name: 'maxpct', type: 'int', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'grow a mounted xfs filesystem',
  description: `Grow the xfs filesystem mounted at a guest path, as xfs_growfs(8): datasec:, logsec:,
    rtsec: grow those sections (-d -l -r), datasize:, logsize:, rtsize: give their new sizes in
    filesystem blocks, rtextsize: the realtime extent size, maxpct: the inode space limit.`,
  async impl(ctx, [path, datasec, logsec, rtsec, datasize, logsize, rtsize, rtextsize, maxpct]) {
    await fsx(ctx).xfsGrowfs(path, { datasec, logsec, rtsec, datasize, logsize, rtsize, rtextsize, maxpct });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'part:800M',
        setup: [
          ['pvcreate', '/dev/sda1'],
          ['vgcreate', 'VG', '/dev/sda1'],
          ['lvcreate', 'LV', 'VG', '320'],
          ['mkfs', 'xfs', '/dev/VG/LV'],
          ['lvresize', '/dev/VG/LV', '640'],
          ['mount', '/dev/VG/LV', '/'],
        ],
        args: ['/', 'datasec:true', 'logsec:false', 'rtsec:false'],
        check: { run: ['xfs-info', '/'], expect: /(^|\n)xfs_blocksize: 4096\nxfs_datablocks: 163840\n/ },
        title: 'xfs-growfs after lvresize (320 and 640 MB: xfs refuses filesystems under 300 MB)',
      },
      { args: ['/', 'maxpct:101'], error: /maxpct: 101: must be 0 to 100/ },
    ];
  },
});

export const xfsAdmin = defineOp({
  name: 'xfs-admin',
  group: 'filesystems',
  args: [
    device,
    { name: 'extunwritten', type: 'bool', optional: true, named: true },
    { name: 'imgfile', type: 'bool', optional: true, named: true },
    { name: 'v2log', type: 'bool', optional: true, named: true },
    { name: 'projid32bit', type: 'bool', optional: true, named: true },
    { name: 'lazycounter', type: 'bool', optional: true, named: true },
    { name: 'label', type: 'string', optional: true, named: true },
    { name: 'uuid', type: 'string', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'change parameters of an unmounted xfs filesystem',
  description: `Change parameters of the xfs filesystem on an unmounted device, as xfs_admin(8):
    extunwritten: (-e), imgfile: (-f), v2log: (-j), projid32bit: (-p), lazycounter: (-c 1 or 0),
    label: (-L, at most 12 bytes; empty clears it), uuid: (-U, a UUID or nil, generate, restore).`,
  async impl(ctx, [dev, extunwritten, imgfile, v2log, projid32bit, lazycounter, label, uuid]) {
    await fsx(ctx).xfsAdmin(dev, { extunwritten, imgfile, v2log, projid32bit, lazycounter, label, uuid });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'part:320M',
        setup: [['mkfs', 'xfs', '/dev/sda1']],
        args: ['/dev/sda1', `uuid:${STABLE_UUID}`],
        check: { run: ['vfs-uuid', '/dev/sda1'], expect: STABLE_UUID },
      },
      {
        from: 'libguestfs',
        disk: 'part:320M',
        setup: [['mkfs', 'xfs', '/dev/sda1']],
        args: ['/dev/sda1', 'label:LBL-TEST'],
        check: { run: ['vfs-label', '/dev/sda1'], expect: 'LBL-TEST' },
      },
      {
        disk: 'part:320M',
        setup: [['mkfs', 'xfs', '/dev/sda1']],
        args: ['/dev/sda1', 'lazycounter:false'],
        error: /Cannot disable lazy-counters on V5 fs/,
        title: "xfs-admin lazycounter:false: xfs_admin's refusal on a V5 xfs comes through",
      },
      { disk: 'fs:xfs:320M', args: ['/dev/sda1', 'label:X'], error: /mounted/, title: 'xfs-admin refused while mounted' },
      { disk: 'part:320M', setup: [['mkfs', 'xfs', '/dev/sda1']], args: ['/dev/sda1'], error: /give at least one change/ },
    ];
  },
  guestfishDiffers:
    "libguestfs's lazycounter:false test needs a V4 xfs: current xfsprogs make V5 (CRC) filesystems, whose lazy counters cannot be turned off",
});

export const xfsRepair = defineOp({
  name: 'xfs-repair',
  group: 'filesystems',
  args: [
    { name: 'device', type: 'string' },
    { name: 'forcelogzero', type: 'bool', optional: true, named: true },
    { name: 'nomodify', type: 'bool', optional: true, named: true },
    { name: 'noprefetch', type: 'bool', optional: true, named: true },
    { name: 'forcegeometry', type: 'bool', optional: true, named: true },
    { name: 'maxmem', type: 'int64', optional: true, named: true },
    { name: 'ihashsize', type: 'int64', optional: true, named: true },
    { name: 'bhashsize', type: 'int64', optional: true, named: true },
    { name: 'agstride', type: 'int64', optional: true, named: true },
    { name: 'logdev', type: 'string', optional: true, named: true },
    { name: 'rtdev', type: 'string', optional: true, named: true },
  ],
  returns: 'int',
  needsLaunch: true,
  writes: true,
  summary: 'check and repair an xfs filesystem',
  description: `Check and repair the xfs filesystem on an unmounted device (or in an image file at a guest
    path), as xfs_repair(8); print 0 when no corruption was found, 1 when some was (with
    nomodify:true nothing is changed). forcelogzero: (-L), noprefetch: (-P), forcegeometry:,
    maxmem: (-m, MB), ihashsize:, bhashsize:, agstride: (-o), logdev: and rtdev: (devices of
    this session).`,
  async impl(ctx, [target, forcelogzero, nomodify, noprefetch, forcegeometry, maxmem, ihashsize, bhashsize, agstride, logdev, rtdev]) {
    return fsx(ctx).xfsRepair(target, {
      forcelogzero,
      nomodify,
      noprefetch,
      forcegeometry,
      maxmem,
      ihashsize,
      bhashsize,
      agstride,
      logdev,
      rtdev,
    });
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'part:320M', setup: [['mkfs', 'xfs', '/dev/sda1']], args: ['/dev/sda1', 'nomodify:true'], expect: '0' },
      { disk: 'part:320M', setup: [['mkfs', 'xfs', '/dev/sda1']], args: ['/dev/sda1'], expect: '0' },
      {
        disk: 'part:320M',
        setup: [['mkfs', 'xfs', '/dev/sda1']],
        args: ['/dev/sda1', 'nomodify:true', 'maxmem:1'],
        expect: '1',
        title: 'maxmem: below what the repair needs stops xfs_repair (its status 1, as guestfish returns it)',
      },
      {
        disk: 'disk:400M',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'p', '64', '131071'],
          ['part-add', '/dev/sda', 'p', '131072', '-64'],
          ['mkfs', 'xfs', '/dev/sda2'],
        ],
        args: ['/dev/sda2', 'nomodify:true', 'logdev:/dev/sda1'],
        expect: '1',
        title: 'logdev: is the log xfs_repair reads (a blank one, for a filesystem whose log is internal: it finds faults)',
      },
      { disk: 'fs:xfs:320M', args: ['/dev/sda1', 'nomodify:true'], error: /mounted/ },
    ];
  },
});

export const ntfsresize = defineOp({
  name: 'ntfsresize',
  aliases: ['ntfsresize-opts'],
  group: 'filesystems',
  args: [
    device,
    { name: 'size', type: 'int64', optional: true, named: true },
    { name: 'force', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'resize an NTFS filesystem',
  description: `Resize the NTFS filesystem on an unmounted device to size: bytes, or to fill the device.
    Afterwards Windows checks the filesystem at its next boot; until then another resize needs
    force:true.`,
  async impl(ctx, [dev, size, force]) {
    await fsx(ctx).ntfsresize(dev, { size, force });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['mkfs', 'ntfs', '/dev/sda1']],
        args: ['/dev/sda1', 'size:50000000'],
        check: { run: ['vfs-type', '/dev/sda1'], expect: 'ntfs' },
      },
      {
        disk: 'part',
        setup: [
          ['mkfs', 'ntfs', '/dev/sda1'],
          ['ntfsresize', '/dev/sda1', 'size:50000000'],
        ],
        args: ['/dev/sda1', 'size:40000000'],
        error: /Volume is scheduled for check/,
        title: 'a second resize before Windows checked the volume is refused',
      },
      {
        disk: 'part',
        setup: [
          ['mkfs', 'ntfs', '/dev/sda1'],
          ['ntfsresize', '/dev/sda1', 'size:50000000'],
        ],
        args: ['/dev/sda1', 'size:40000000', 'force:true'],
        check: { run: ['vfs-type', '/dev/sda1'], expect: 'ntfs' },
        title: 'force:true resizes again before Windows checked the volume',
      },
      { args: ['/dev/sda1'], error: /mounted|holds ext2/ },
    ];
  },
});

export const ntfsfix = defineOp({
  name: 'ntfsfix',
  group: 'filesystems',
  args: [device, { name: 'clearbadsectors', type: 'bool', optional: true, named: true }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'fix common NTFS problems and have Windows check it',
  description: `Repair basic NTFS inconsistencies on an unmounted device, reset its journal and schedule a
    check at Windows's next boot (ntfsfix; it is not chkdsk). clearbadsectors:true empties the
    bad sector list.`,
  async impl(ctx, [dev, clearbadsectors]) {
    await fsx(ctx).ntfsfix(dev, { clearbadsectors });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'part',
        setup: [['mkfs', 'ntfs', '/dev/sda1']],
        args: ['/dev/sda1', 'clearbadsectors:false'],
        expect: '',
      },
    ];
  },
});

export const btrfsSubvolumeSnapshot = defineOp({
  name: 'btrfs-subvolume-snapshot',
  aliases: ['btrfs-subvolume-snapshot-opts'],
  group: 'filesystems',
  args: [
    { name: 'source', type: 'path' },
    { name: 'dest', type: 'path' },
    { name: 'ro', type: 'bool', optional: true, named: true },
    { name: 'qgroupid', type: 'string', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'snapshot a btrfs subvolume',
  description: `Make a snapshot of the btrfs subvolume at source as the new subvolume dest (guest paths on
    the same mounted btrfs). ro:true makes it read-only; qgroupid: (LEVEL/ID) adds it to a quota
    group.`,
  async impl(ctx, [source, dest, ro, qgroupid]) {
    await fsx(ctx).btrfsSubvolumeSnapshot(source, dest, { ro, qgroupid });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'fs:btrfs:200M',
        setup: [
          ['mkdir', '/dir'],
          ['btrfs-subvolume-create', '/test1'],
          ['btrfs-subvolume-create', '/test2'],
          ['btrfs-subvolume-create', '/dir/test3'],
          ['btrfs-subvolume-snapshot', '/dir/test3', '/dir/test5', 'ro:true'],
        ],
        args: ['/dir/test3', '/dir/test6', 'qgroupid:0/1000'],
        check: {
          run: ['btrfs-subvolume-list', '/'],
          expect: /btrfssubvolume_path: dir\/test5\n(.*\n)* {2}btrfssubvolume_path: dir\/test6\n/,
        },
      },
      { disk: 'fs:btrfs:200M', args: ['/nosuch', '/snap'], error: /nosuch/ },
    ];
  },
});

export const btrfsSubvolumeDelete = defineOp({
  name: 'btrfs-subvolume-delete',
  group: 'filesystems',
  args: [{ name: 'subvolume', type: 'path' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'delete a btrfs subvolume or snapshot',
  description: `Delete the btrfs subvolume or snapshot at a guest path, with everything in it.`,
  async impl(ctx, [subvolume]) {
    await fsx(ctx).btrfsSubvolumeDelete(subvolume);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'fs:btrfs:200M',
        setup: [['btrfs-subvolume-create', '/test1']],
        args: ['/test1'],
        check: { run: ['btrfs-subvolume-list', '/'], expect: '' },
      },
    ];
  },
});

export const btrfsSubvolumeSetDefault = defineOp({
  name: 'btrfs-subvolume-set-default',
  group: 'filesystems',
  args: [
    { name: 'id', type: 'int64' },
    { name: 'fs', type: 'path' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the subvolume a btrfs mounts by default',
  description: `Make the subvolume with this id (see btrfs-subvolume-list; 5 is the top level) the one the
    btrfs mounted at the guest path fs mounts when no subvolume is asked for.`,
  async impl(ctx, [id, fs]) {
    await fsx(ctx).btrfsSubvolumeSetDefault(id, fs);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no per-action test for this action (its generator points to tests/btrfs, outside the generator)',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'fs:btrfs:200M',
        setup: [['btrfs-subvolume-create', '/sub']],
        args: ['256', '/'],
        check: { run: ['btrfs-subvolume-get-default', '/'], expect: '256' },
      },
    ];
  },
});

export const btrfsSubvolumeGetDefault = defineOp({
  name: 'btrfs-subvolume-get-default',
  group: 'filesystems',
  args: [{ name: 'fs', type: 'string' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the id of the subvolume a btrfs mounts by default',
  description: `Print the id of the default subvolume of the btrfs mounted at a guest path, or mounted from
    a device (5: the top level). Needs the kernel engine.`,
  async impl(ctx, [fs]) {
    return fsx(ctx).btrfsSubvolumeGetDefault(fs);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'fs:btrfs:200M', args: ['/'], expect: '5' },
      { disk: 'fs:btrfs:200M', args: ['/dev/sda1'], expect: '5' },
      { disk: 'fs:btrfs:200M', setup: [['umount-all']], args: ['/dev/sda1'], error: /not mounted/ },
    ];
  },
  guestfishDiffers: 'libguestfs also reads an unmounted btrfs device (it mounts it itself); jfish asks for it to be mounted first',
  untranslated: ['its test on the unmounted btrfs device: jfish reads the default subvolume of a mounted btrfs only'],
});

export const btrfsSubvolumeShow = defineOp({
  name: 'btrfs-subvolume-show',
  group: 'filesystems',
  args: [{ name: 'subvolume', type: 'path' }],
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'show the details of a btrfs subvolume',
  description: `Show what btrfs knows of the subvolume at a guest path as "Key: value" lines (Name, UUID,
    Subvolume ID, Parent ID, Snapshot(s) comma-separated…). Needs the kernel engine.`,
  async impl(ctx, [subvolume]) {
    return fsx(ctx).btrfsSubvolumeShow(subvolume);
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'fs:btrfs:200M',
        setup: [['btrfs-subvolume-create', '/sub1']],
        args: ['/sub1'],
        expect: /^Name: sub1\n(.*\n)*Subvolume ID: 256\n/,
      },
      { from: 'libguestfs', disk: 'fs:btrfs:200M', setup: [['mkdir', '/dir1']], args: ['/dir1'], error: /dir1/ },
    ];
  },
});

export const btrfsFilesystemResize = defineOp({
  name: 'btrfs-filesystem-resize',
  group: 'filesystems',
  args: [
    { name: 'mountpoint', type: 'path' },
    { name: 'size', type: 'int64', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'grow or shrink a mounted btrfs',
  description: `Resize the btrfs mounted at a guest path to size: bytes, or without it to fill its device.`,
  async impl(ctx, [mountpoint, size]) {
    await fsx(ctx).btrfsFilesystemResize(mountpoint, size);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'fs:btrfs:300M', args: ['/', 'size:293601280'], check: { run: ['btrfs-filesystem-resize', '/'], expect: '' } },
      {
        disk: 'fs:btrfs:300M',
        args: ['/', 'size:104857600'],
        error: /^\/: unable to resize '\/': /,
        title: 'btrfs-filesystem-resize: the error names the guest path, not the host mount',
      },
      { disk: 'fs:btrfs:200M', args: ['/', 'size:0'], error: /size: 0: must be a positive number of bytes/ },
    ];
  },
});

/** Disks, partitions and LVs of the session, by guest name. */
function allDevices(ctx: OpContext): string[] {
  return [...ctx.session.listDevices(), ...ctx.session.listPartitions(), ...ctx.session.lvs()];
}

async function btrfsSuperOf(ctx: OpContext, name: string) {
  const src = await ctx.session.openDevice(name).catch(() => undefined);
  if (!src) return undefined;
  try {
    if (src.size < 0x10000 + 0x1000) return undefined;
    return parseBtrfsSuper(await src.read(0x10000, 0x1000));
  } finally {
    await src.close();
  }
}

export const btrfsFilesystemShow = defineOp({
  name: 'btrfs-filesystem-show',
  group: 'filesystems',
  args: [device],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the devices a btrfs spans',
  description: `List the devices of this session that the btrfs on a device spans, one per line. Fails when
    some of its devices are not in the session. The devices' superblocks are read in-process (no
    host-wide device scan): works on both engines.`,
  async impl(ctx, [dev]) {
    const sb = await btrfsSuperOf(ctx, dev);
    if (!sb) throw new JootError('EINVAL', `${dev}: not a btrfs filesystem`);
    const found: string[] = [];
    for (const d of allDevices(ctx)) if ((await btrfsSuperOf(ctx, d))?.fsid === sb.fsid) found.push(d);
    if (BigInt(found.length) < sb.numDevices)
      throw new JootError('ENOENT', `${dev}: the btrfs spans ${sb.numDevices} devices, this session has ${found.length} of them`);
    return found;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', args: ['/dev/sda'], error: /not a btrfs filesystem/ },
      { from: 'libguestfs', disk: 'fs:btrfs:200M', args: ['/dev/sda1'], expect: '/dev/sda1' },
    ];
  },
  guestfishDiffers: "libguestfs's two-device test makes the btrfs with mkfs-btrfs, which jfish does not have yet",
  untranslated: ['its two-device test: it makes the btrfs with mkfs-btrfs, which jfish does not have'],
});

async function findfs(ctx: OpContext, key: 'label' | 'uuid', value: string): Promise<string> {
  for (const name of ctx.session.listFilesystems().keys()) {
    if (name.startsWith('btrfsvol:')) continue;
    const v = key === 'label' ? await ctx.session.vfsLabel(name) : await ctx.session.vfsUuid(name);
    if (v !== '' && (key === 'label' ? v === value : v.toLowerCase() === value.toLowerCase())) return name;
  }
  throw new JootError('ENOENT', `no filesystem with ${key} '${value}'`);
}

export const findfsLabel = defineOp({
  name: 'findfs-label',
  group: 'filesystems',
  args: [{ name: 'label', type: 'string' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the device of the filesystem with a label',
  description: `Print the device holding the filesystem with this label (the first, if several have it). Only
    the session's devices are searched. Works on both engines.`,
  async impl(ctx, [label]) {
    return findfs(ctx, 'label', label);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', setup: [['mkfs', 'ext4', '/dev/sda1', 'label:DATA']], args: ['DATA'], expect: '/dev/sda1' },
      { args: ['NOWHERE'], error: /no filesystem with label 'NOWHERE'/ },
    ];
  },
});

export const findfsUuid = defineOp({
  name: 'findfs-uuid',
  group: 'filesystems',
  args: [{ name: 'uuid', type: 'string' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the device of the filesystem with a UUID',
  description: `Print the device holding the filesystem with this UUID. Only the session's devices are
    searched. Works on both engines.`,
  async impl(ctx, [uuid]) {
    return findfs(ctx, 'uuid', uuid);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['mkfs', 'ext4', '/dev/sda1', `uuid:${STABLE_UUID}`]],
        args: [STABLE_UUID.toUpperCase()],
        expect: '/dev/sda1',
      },
      { args: [STABLE_UUID], error: /no filesystem with uuid/ },
    ];
  },
});

/** Unix statvfs flags jfish can tell. */
const ST_RDONLY = 1;
/** Longest name per filesystem type, as Linux reports it (statvfs f_namemax). */
const NAMEMAX: Record<string, number> = {
  ext2: 255,
  ext3: 255,
  ext4: 255,
  xfs: 255,
  btrfs: 255,
  iso9660: 255,
  squashfs: 256,
  vfat: 1530,
  exfat: 255,
  ntfs: 255,
  ntfs3: 255,
};

export const statvfs = defineOp({
  name: 'statvfs',
  group: 'filesystems',
  args: [{ name: 'path', type: 'path' }],
  returns: 'struct',
  needsLaunch: true,
  writes: false,
  summary: 'show the statistics of the filesystem a path is on',
  description: `Show statvfs(2) of the mounted filesystem that holds a guest path: bsize, frsize, blocks,
    bfree, bavail, files, ffree, favail, fsid, flag (1: read-only), namemax. fsid is always 0
    (the host's number for its mount means nothing in the guest); namemax is the Linux limit
    of the filesystem type. Works on both engines.`,
  async impl(ctx, [path]) {
    await ctx.session.stat(path); // it exists
    const mounts = ctx.session.mountpoints();
    const norm = path.replace(/\/+$/, '') || '/';
    const m = mounts
      .filter((x) => x.mountpoint === '/' || norm === x.mountpoint || norm.startsWith(`${x.mountpoint}/`))
      .sort((a, b) => b.mountpoint.length - a.mountpoint.length)[0];
    if (!m) throw new JootError('EINVAL', `${path}: not on a mounted filesystem`);
    const u = await ctx.session.layout.usage(m.device);
    const fields: StructFields = [
      ['bsize', u.blockSize],
      ['frsize', u.blockSize],
      ['blocks', u.blocks],
      ['bfree', u.blocksFree],
      ['bavail', u.blocksAvailable],
      ['files', u.files],
      ['ffree', u.filesFree],
      ['favail', u.filesFree],
      ['fsid', 0],
      ['flag', m.readonly ? ST_RDONLY : 0],
      ['namemax', NAMEMAX[m.vfstype] ?? -1],
    ];
    return fields;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/'], expect: /(^|\n)namemax: 255\n/ },
      { args: ['/'], expect: /^bsize: 1024\nfrsize: 1024\nblocks: \d+\n(.*\n)*flag: 0\nnamemax: 255\n$/, title: 'statvfs of an ext2' },
      { readonly: true, args: ['/lost+found'], expect: /(^|\n)flag: 1\nnamemax: 255\n$/ },
      { args: ['/nosuch'], error: /nosuch/ },
    ];
  },
});

const SWAP_REFUSAL =
  'refused: it would activate swap on the host (jfish runs no appliance of its own: a guest swap area would become the host’s swap)';

function swapOp<const N extends string>(name: N, arg: { name: string; type: 'device' | 'path' | 'string' }, summary: string) {
  return defineOp({
    name,
    group: 'filesystems',
    args: [arg] as const,
    returns: 'none',
    needsLaunch: true,
    writes: false,
    summary: `${summary} (refused)`,
    description: `guestfish ${summary.replace(/^(\w+)/, '$1s')} inside its appliance. jfish has no appliance: this would
      turn swap on or off on the host itself, so it is always refused. mkswap makes swap areas.`,
    async impl() {
      throw new JootError('EPERM', SWAP_REFUSAL);
    },
    get tests(): readonly OpTest[] {
      return [
        { args: [arg.type === 'device' ? '/dev/sda1' : arg.type === 'path' ? '/swapfile' : 'x'], error: /would activate swap on the host/ },
      ];
    },
    guestfishDiffers: 'refused on purpose: swapon/swapoff would act on the host, as jfish has no appliance',
    // libguestfs's one test of each swapon action turns swap on and off again in its appliance
    untranslated: name.startsWith('swapon-')
      ? [`its test (mkswap, ${name}, swapoff): refused on purpose, it would turn swap on on the host`]
      : undefined,
  });
}

export const swapOps = [
  swapOp('swapon-device', { name: 'device', type: 'device' }, 'enable swap on a device'),
  swapOp('swapoff-device', { name: 'device', type: 'device' }, 'disable swap on a device'),
  swapOp('swapon-file', { name: 'file', type: 'path' }, 'enable swap on a file'),
  swapOp('swapoff-file', { name: 'file', type: 'path' }, 'disable swap on a file'),
  swapOp('swapon-label', { name: 'label', type: 'string' }, 'enable swap on a labelled swap partition'),
  swapOp('swapoff-label', { name: 'label', type: 'string' }, 'disable swap on a labelled swap partition'),
  swapOp('swapon-uuid', { name: 'uuid', type: 'string' }, 'enable swap on the swap partition with a UUID'),
  swapOp('swapoff-uuid', { name: 'uuid', type: 'string' }, 'disable swap on the swap partition with a UUID'),
] as const;

export const records = [
  tune2fs,
  tune2fsL,
  setE2label,
  getE2label,
  getE2uuid,
  mke2fs,
  vfsMinimumSize,
  xfsInfo,
  xfsGrowfs,
  xfsAdmin,
  xfsRepair,
  ntfsresize,
  ntfsfix,
  btrfsSubvolumeSnapshot,
  btrfsSubvolumeDelete,
  btrfsSubvolumeSetDefault,
  btrfsSubvolumeGetDefault,
  btrfsSubvolumeShow,
  btrfsFilesystemResize,
  btrfsFilesystemShow,
  findfsLabel,
  findfsUuid,
  statvfs,
  ...swapOps,
] as const;
