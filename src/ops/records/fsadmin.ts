// Making and administering filesystems: mkfs, mkswap, labels, UUIDs, checks, resizing,
// wiping, usage, btrfs subvolumes, blkid. All go through the session's layout editor, which
// refuses read-only drives and mounted devices and finds the filesystems again afterwards.
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';
import { forTheHost } from '../host-refusal.js';
import { parseSize } from '../../core/numbers.js';
import { STABLE_UUID } from './gf-setup.js';

const device = { name: 'device', type: 'device' } as const;

export const mkfs = defineOp({
  name: 'mkfs',
  aliases: ['mkfs-opts'],
  group: 'filesystems',
  args: [
    { name: 'fstype', type: 'string' },
    device,
    { name: 'blocksize', type: 'int', optional: true, named: true },
    { name: 'features', type: 'string', optional: true, named: true },
    { name: 'inode', type: 'int', optional: true, named: true },
    { name: 'sectorsize', type: 'int', optional: true, named: true },
    { name: 'label', type: 'string', optional: true, named: true },
    { name: 'uuid', type: 'string', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a filesystem',
  description: `Make a filesystem of type fstype (ext2, ext3, ext4, xfs, btrfs, vfat — also fat, msdos —,
    ntfs, swap) on a device: everything on it is lost. blocksize: is the block size in bytes (the
    cluster size for vfat and ntfs); features: ext2/3/4 features, as mke2fs -O takes them
    (features:^has_journal,metadata_csum); inode: the inode size (ext*, xfs); label: and uuid:
    set them at once (uuid: is jfish's own). sectorsize: is accepted as in guestfish, where only
    UFS uses it: jfish makes no UFS, so it changes nothing. A label too long for the filesystem is
    refused before anything is written.`,
  async impl(ctx, [type, dev, blocksize, features, inodeSize, sectorsize, label, uuid]) {
    if (sectorsize !== undefined && sectorsize < 0) throw new JootError('EINVAL', 'sectorsize must be >= 0');
    await ctx.session.layout.mkfs(dev, { type, blocksize, features, inodeSize, label, uuid });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['ext4', '/dev/sda1'], check: { run: ['vfs-type', '/dev/sda1'], expect: 'ext4' } },
      { disk: 'part', args: ['vfat', '/dev/sda1', 'label:BOOT'], check: { run: ['vfs-label', '/dev/sda1'], expect: 'BOOT' } },
      { disk: 'part', args: ['ext4', '/dev/sda1', 'label:a-label-far-too-long-for-ext'], error: /ext4 labels are limited to 16 bytes/ },
      { args: ['ext4', '/dev/sda1'], error: /mounted/, title: 'mkfs refused on a mounted device' },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [['part-disk', '/dev/sda', 'mbr']],
        args: ['ext2', '/dev/sda1'],
        after: [
          ['mount', '/dev/sda1', '/'],
          ['write', '/new', 'new file contents'],
        ],
        check: { run: ['cat', '/new'], expect: 'new file contents' },
      },
      {
        disk: 'part',
        args: ['ext4', '/dev/sda1', 'features:^has_journal', 'sectorsize:512'],
        check: { run: ['vfs-type', '/dev/sda1'], expect: 'ext4' },
      },
      { disk: 'part', args: ['xfs', '/dev/sda1', 'features:ftype'], error: /features are for ext2\/3\/4/ },
    ];
  },
});

export const mkswap = defineOp({
  name: 'mkswap',
  aliases: ['mkswap-opts'],
  group: 'filesystems',
  args: [
    device,
    { name: 'label', type: 'string', optional: true, named: true },
    { name: 'uuid', type: 'string', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a swap area',
  description: `Make a Linux swap area on a device, with an optional label: and uuid:.`,
  async impl(ctx, [dev, label, uuid]) {
    await ctx.session.layout.mkfs(dev, { type: 'swap', label, uuid });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda1', 'label:SWAP'], check: { run: ['vfs-type', '/dev/sda1'], expect: 'swap' } },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-disk', '/dev/sda', 'mbr']], args: ['/dev/sda1'] },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-disk', '/dev/sda', 'mbr']], args: ['/dev/sda1', 'label:hello'] },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [['part-disk', '/dev/sda', 'mbr']],
        args: ['/dev/sda1', `uuid:${STABLE_UUID}`],
        check: { run: ['vfs-uuid', '/dev/sda1'], expect: STABLE_UUID },
      },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [['part-disk', '/dev/sda', 'mbr']],
        args: ['/dev/sda1', 'label:hello', `uuid:${STABLE_UUID}`],
        check: { run: ['vfs-label', '/dev/sda1'], expect: 'hello' },
      },
    ];
  },
});

export const setLabel = defineOp({
  name: 'set-label',
  group: 'filesystems',
  args: [
    { name: 'mountable', type: 'device' },
    { name: 'label', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the label of a filesystem',
  description: `Set the label of the filesystem (ext*, xfs, btrfs, vfat, ntfs, swap) on a device; an empty
    label clears it. An ext2/3/4 filesystem may be mounted, as in guestfish (e2label changes it
    through the kernel); any other type is refused while mounted, since its tool would write under
    the host kernel's mount.`,
  async impl(ctx, [dev, label]) {
    await forTheHost(ctx.session.layout.setLabel(dev, label));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { setup: [['umount-all']], args: ['/dev/sda1', 'ROOT'], check: { run: ['vfs-label', '/dev/sda1'], expect: 'ROOT' } },
      { args: ['/dev/sda1', 'testlabel'], check: { run: ['vfs-label', '/dev/sda1'], expect: 'testlabel' }, from: 'libguestfs' },
      {
        disk: 'part',
        setup: [
          ['mkfs', 'vfat', '/dev/sda1'],
          ['mount', '/dev/sda1', '/'],
        ],
        args: ['/dev/sda1', 'ROOT'],
        error: /mounted.*refused for the host's sake/,
        title: 'set-label refused on a mounted filesystem other than ext',
      },
      {
        from: 'libguestfs',
        disk: 'part',
        setup: [['mkfs', 'ntfs', '/dev/sda1']],
        args: ['/dev/sda1', 'testlabel2'],
        check: { run: ['vfs-label', '/dev/sda1'], expect: 'testlabel2' },
      },
      { from: 'libguestfs', disk: 'part', setup: [['zero', '/dev/sda1']], args: ['/dev/sda1', 'testlabel2'], error: /filesystem/ },
    ];
  },
});

export const setUuid = defineOp({
  name: 'set-uuid',
  group: 'filesystems',
  args: [device, { name: 'uuid', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the UUID of a filesystem',
  description: `Set the UUID of the filesystem on a device (ext*, xfs, btrfs, swap: a UUID; vfat: a volume id
    XXXX-XXXX). An ext2/3/4 filesystem may be mounted, as in guestfish, where tune2fs allows it (not
    with metadata checksums but no checksum seed); any other type is refused while mounted, since its
    tool would write under the host kernel's mount.`,
  async impl(ctx, [dev, uuid]) {
    await forTheHost(ctx.session.layout.setUuid(dev, uuid));
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['umount-all']],
        args: ['/dev/sda1', '01234567-89ab-cdef-0123-456789abcdef'],
        check: { run: ['vfs-uuid', '/dev/sda1'], expect: '01234567-89ab-cdef-0123-456789abcdef' },
      },
      {
        from: 'libguestfs',
        args: ['/dev/sda1', STABLE_UUID],
        check: { run: ['vfs-uuid', '/dev/sda1'], expect: STABLE_UUID },
        title: 'set-uuid on the mounted ext2 of InitBasicFS',
      },
    ];
  },
});

export const fsck = defineOp({
  name: 'fsck',
  group: 'filesystems',
  args: [{ name: 'fstype', type: 'string' }, device],
  returns: 'int',
  printAs: 'hex',
  needsLaunch: true,
  writes: true,
  summary: 'check and repair a filesystem, printing fsck’s status',
  description: `Run the filesystem checker on an unmounted device, repairing what can be repaired without
    questions (fsck -a), and print fsck's status bits in hex as guestfish does: 0 no errors, 1 errors corrected, 2 the
    system should be rebooted, 4 errors left uncorrected, 8 operational error (also when the
    device holds no filesystem at all, as with guestfish). fstype must match what is there.`,
  async impl(ctx, [type, dev]) {
    const found = await ctx.session.vfsType(dev);
    // nothing there: fsck's "operational error" status, which is what guestfish returns
    if (!found) return 8;
    if (found !== type && !(type === 'fat' && found === 'vfat'))
      throw new JootError('EINVAL', `${dev}: holds ${found || 'no filesystem'}, not ${type}`);
    const r = await ctx.session.layout.fsck(dev, { repair: true });
    return r.status;
  },
  get tests(): readonly OpTest[] {
    return [
      { setup: [['umount-all']], args: ['ext2', '/dev/sda1'], expect: '0' },
      { setup: [['umount-all']], args: ['xfs', '/dev/sda1'], error: /holds ext2, not xfs/ },
      // guestfish prints fsck's status in hex (its fish_output is hexadecimal): 0, 0x8
      { from: 'libguestfs', setup: [['umount', '/dev/sda1']], args: ['ext2', '/dev/sda1'], expect: '0' },
      {
        from: 'libguestfs',
        setup: [
          ['umount', '/dev/sda1'],
          ['zero', '/dev/sda1'],
        ],
        args: ['ext2', '/dev/sda1'],
        expect: '0x8',
      },
    ];
  },
});

export const e2fsck = defineOp({
  name: 'e2fsck',
  aliases: ['e2fsck-f'],
  group: 'filesystems',
  args: [
    device,
    { name: 'correct', type: 'bool', optional: true, named: true },
    { name: 'forceall', type: 'bool', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'check an ext2/3/4 filesystem',
  description: `Force a check of the ext2/3/4 filesystem on a device. correct:true fixes what is safe to fix
    without questions; forceall:true answers yes to everything. Without either, nothing is
    changed and any error found fails the command.`,
  async impl(ctx, [dev, correct, forceall]) {
    await ctx.session.layout.e2fsck(dev, { correct, forceall });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of e2fsck or e2fsck_f',
  get tests(): readonly OpTest[] {
    return [
      { setup: [['umount-all']], args: ['/dev/sda1'], expect: '' },
      { setup: [['umount-all']], args: ['/dev/sda1', 'correct:true'], expect: '' },
    ];
  },
});

export const resize2fs = defineOp({
  name: 'resize2fs',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'grow or shrink an ext2/3/4 filesystem to fill its device',
  description: `Resize the ext2/3/4 filesystem on a device to the size of the device (after growing a
    partition or LV). It is checked with e2fsck first, as resize2fs requires.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.resize2fs(dev);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of resize2fs',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['umount-all'], ['resize2fs-size', '/dev/sda1', '50M']],
        args: ['/dev/sda1'],
        check: { run: ['e2fsck', '/dev/sda1'], expect: '' },
      },
    ];
  },
});

export const resize2fsSize = defineOp({
  name: 'resize2fs-size',
  group: 'filesystems',
  args: [device, { name: 'size', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'resize an ext2/3/4 filesystem to a size',
  description: `Resize the ext2/3/4 filesystem on a device to size bytes (suffixes allowed: 500M, 2G).`,
  async impl(ctx, [dev, size]) {
    await ctx.session.layout.resize2fs(dev, { size: parseSize(size, 'size') });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of resize2fs_size',
  get tests(): readonly OpTest[] {
    return [
      {
        setup: [['umount-all']],
        args: ['/dev/sda1', '50M'],
        check: { run: ['e2fsck', '/dev/sda1'], expect: '' },
      },
      { setup: [['umount-all']], args: ['/dev/sda1', 'lots'], error: /size/ },
    ];
  },
});

export const resize2fsM = defineOp({
  name: 'resize2fs-m',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'shrink an ext2/3/4 filesystem to its minimum size',
  description: `Shrink the ext2/3/4 filesystem on a device as far as its content allows (resize2fs -M).`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.resize2fs(dev, { size: 'min' });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of resize2fs_M',
  get tests(): readonly OpTest[] {
    return [{ setup: [['umount-all']], args: ['/dev/sda1'], check: { run: ['e2fsck', '/dev/sda1'], expect: '' } }];
  },
});

export const wipefs = defineOp({
  name: 'wipefs',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'erase filesystem, LVM and partition-table signatures',
  description: `Erase the signatures (filesystem superblock magic, LVM label, RAID, partition table) on a
    device so nothing recognises it; the rest of the data stays. On a whole disk its partitions'
    signatures go first.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.wipefs(dev);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { setup: [['umount-all']], args: ['/dev/sda1'], check: { run: ['vfs-type', '/dev/sda1'], expect: '' } },
      { from: 'libguestfs', disk: 'lvfs', setup: [['umount', '/dev/VG/LV']], args: ['/dev/VG/LV'] },
    ];
  },
});

export const zeroDevice = defineOp({
  name: 'zero-device',
  group: 'filesystems',
  args: [device],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'write zeroes over a whole device',
  description: `Make every byte of a device zero. Where the image allows it the space is given back (the
    image becomes sparse there) instead of writing zeroes. Unlike guestfish, jfish refuses it while a
    filesystem on the device is mounted (umount first): the host's kernel has that filesystem
    mounted, and zeroing it under the mount could harm the host, not only the guest.`,
  async impl(ctx, [dev]) {
    await forTheHost(ctx.session.layout.zeroDevice(dev));
    return undefined;
  },
  untranslated: [
    `its test zeroes the LV of InitBasicFSonLVM while it is mounted: jfish refuses that for the host's
    sake (the host's kernel has the filesystem mounted), as the test on lvfs here shows`,
  ],
  get tests(): readonly OpTest[] {
    return [
      { setup: [['umount-all']], args: ['/dev/sda1'], check: { run: ['vfs-type', '/dev/sda1'], expect: '' } },
      {
        disk: 'lvfs',
        args: ['/dev/VG/LV'],
        error: /^\/dev\/VG\/LV.*mounted.*: refused for the host's sake/,
        title: "zero-device of a mounted LV is refused for the host's sake",
      },
      {
        disk: 'lvfs',
        setup: [['umount-all']],
        args: ['/dev/VG/LV'],
        check: { run: ['is-zero-device', '/dev/VG/LV'], expect: 'true' },
        title: 'zero-device of an unmounted LV',
      },
    ];
  },
});

/** A printed hash holding these keys with these values, in any order. */
function hashHas(pairs: Record<string, string>): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    '^' +
      Object.entries(pairs)
        .map(([k, v]) => `(?=(?:.*\\n)*${esc(k)}: ${esc(v)}\\n)`)
        .join(''),
  );
}

function human(bytes: bigint): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let v = Number(bytes); // rounded for people anyway
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  // df -h: one decimal below 10, rounded up
  return i === 0 ? String(v) : v < 10 ? `${Math.ceil(v * 10) / 10}${units[i]}` : `${Math.ceil(v)}${units[i]}`;
}

async function dfRows(ctx: OpContext, h: boolean): Promise<string[]> {
  const rows: string[][] = [['Filesystem', h ? 'Size' : '1K-blocks', 'Used', h ? 'Avail' : 'Available', 'Use%', 'Mounted on']];
  for (const m of ctx.session.mountpoints()) {
    const u = await ctx.session.layout.usage(m.device);
    const f = h ? human : (n: bigint) => String((n + 1023n) / 1024n); // 1K blocks, rounded up, exact
    rows.push([m.device, f(u.size), f(u.used), f(u.available), `${u.usePercent}%`, m.mountpoint]);
  }
  const width = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 || c === 5 ? cell.padEnd(width[c]!) : cell.padStart(width[c]!)))
      .join(' ')
      .trimEnd(),
  );
}

// libguestfs's df returns one string; the rows here are a list so that each is guest text,
// escaped on a terminal line by line as before (one string would escape its newlines).
export const df = defineOp({
  name: 'df',
  group: 'filesystems',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'report the space used on the mounted filesystems',
  description: `Print the size, use and free space of each mounted filesystem in 1K blocks, as df does, with
    guest device names and guest mount points.`,
  async impl(ctx) {
    return dfRows(ctx, false);
  },
  guestfishDiffers: "libguestfs has no test of df (its output is df(1)'s)",
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'bootroot',
        args: [],
        expect:
          /^Filesystem +1K-blocks +Used +Available +Use% +Mounted on\n\/dev\/sda2 +\d+ +\d+ +\d+ +\d+% \/\n\/dev\/sda1 +\d+ +\d+ +\d+ +\d+% \/boot\n$/,
      },
    ];
  },
});

export const dfH = defineOp({
  name: 'df-h',
  group: 'filesystems',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'df with human-readable sizes',
  description: `Like df, with sizes as 1.5G, 300M (powers of 1024).`,
  async impl(ctx) {
    return dfRows(ctx, true);
  },
  guestfishDiffers: "libguestfs has no test of df_h (its output is df(1)'s)",
  get tests(): readonly OpTest[] {
    return [{ args: [], expect: /^Filesystem +Size +Used +Avail +Use% +Mounted on\n\/dev\/sda1 +\d+M +\S+ +\d+M +\d+% \/\n$/ }];
  },
});

export const blkid = defineOp({
  name: 'blkid',
  group: 'filesystems',
  args: [device],
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'print what blkid finds on a device',
  description: `Print blkid's low-level probe of a device as "KEY: value" lines: TYPE, UUID, LABEL, USAGE,
    and for a partition its PART_ENTRY_* fields.`,
  async impl(ctx, [dev]) {
    return ctx.session.layout.blkid(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { args: ['/dev/sda1'], expect: /(^|\n)TYPE: ext2\nUSAGE: filesystem\n(.*\n)*PART_ENTRY_NUMBER: 1\n/ },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['mkfs', 'ext2', '/dev/sda1'],
        ],
        args: ['/dev/sda1'],
        expect: hashHas({
          TYPE: 'ext2',
          USAGE: 'filesystem',
          PART_ENTRY_NUMBER: '1',
          PART_ENTRY_TYPE: '0x83',
          PART_ENTRY_OFFSET: '128',
          PART_ENTRY_SIZE: '4194049',
        }),
      },
    ];
  },
});

export const btrfsSubvolumeList = defineOp({
  name: 'btrfs-subvolume-list',
  group: 'filesystems',
  args: [{ name: 'fs', type: 'path' }],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the subvolumes of a mounted btrfs',
  description: `List the subvolumes of the btrfs filesystem mounted at the guest directory fs, as structs:
    btrfssubvolume_id, btrfssubvolume_top_level_id, btrfssubvolume_path.`,
  async impl(ctx, [fs]) {
    const subs = await ctx.session.layout.btrfsSubvolumeList(fs);
    return subs.map((s) => [
      ['btrfssubvolume_id', s.id],
      ['btrfssubvolume_top_level_id', s.topLevel],
      ['btrfssubvolume_path', s.path],
    ]);
  },
  guestfishDiffers: 'libguestfs has no test of btrfs_subvolume_list (its tests/btrfs scripts test it)',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'fs:btrfs:200M', args: ['/'], expect: '' },
      {
        disk: 'fs:btrfs:200M',
        setup: [['btrfs-subvolume-create', '/sub']],
        args: ['/'],
        expect: '[0] = {\n  btrfssubvolume_id: 256\n  btrfssubvolume_top_level_id: 5\n  btrfssubvolume_path: sub\n}',
      },
    ];
  },
});

export const btrfsSubvolumeCreate = defineOp({
  name: 'btrfs-subvolume-create',
  aliases: ['btrfs-subvolume-create-opts'],
  group: 'filesystems',
  args: [
    { name: 'dest', type: 'path' },
    { name: 'qgroupid', type: 'string', optional: true, named: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a btrfs subvolume',
  description: `Create a subvolume at the guest path dest, inside a mounted btrfs. It can then be mounted as
    btrfsvol:DEVICE/PATH. qgroupid:LEVEL/ID adds it to that quota group (btrfs subvolume create -i).`,
  async impl(ctx, [dest, qgroupid]) {
    await ctx.session.layout.btrfsSubvolumeCreate(dest, { qgroupid });
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of btrfs_subvolume_create of its own',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'fs:btrfs:200M', args: ['/sub', 'qgroupid:x'], error: /qgroupid: 'x' is not a qgroup id/ },
      { disk: 'fs:btrfs:200M', args: ['/sub'], check: { run: ['is-dir', '/sub'], expect: 'true' } },
      { args: ['/sub'], error: /not a btrfs filesystem/, title: 'btrfs-subvolume-create on ext2 fails' },
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [
  mkfs,
  mkswap,
  setLabel,
  setUuid,
  fsck,
  e2fsck,
  resize2fs,
  resize2fsSize,
  resize2fsM,
  wipefs,
  zeroDevice,
  df,
  dfH,
  blkid,
  btrfsSubvolumeList,
  btrfsSubvolumeCreate,
] as const;
