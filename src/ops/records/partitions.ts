// Partition tables: guestfish's part-* commands and blockdev-getsize64, on the layout editor.
// Sectors are 512 bytes; part-list reports bytes, as guestfish does.
import { defineOp, type OpTest } from '../op.js';

const disk = { name: 'device', type: 'device' } as const;
const partnum = { name: 'partnum', type: 'int' } as const;

export const partList = defineOp({
  name: 'part-list',
  group: 'devices',
  args: [disk],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the partitions of a disk, with their bytes',
  description: `List the partitions in the table of a whole-disk device as guestfish prints them: part_num,
    part_start (first byte), part_end (last byte) and part_size, in bytes.`,
  async impl(ctx, [dev]) {
    const parts = await ctx.session.layout.partList(dev);
    return parts.map((p) => [
      ['part_num', p.number],
      ['part_start', p.start],
      ['part_end', p.end],
      ['part_size', p.size],
    ]);
  },
  guestfishDiffers: 'libguestfs has no test of part_list',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'bootroot',
        args: ['/dev/sda'],
        expect: `[0] = {
  part_num: 1
  part_start: 32768
  part_end: 33587199
  part_size: 33554432
}
[1] = {
  part_num: 2
  part_start: 33587200
  part_end: 104825343
  part_size: 71238144
}`,
        title: "a bootroot disk (100M, boot 32M) as guestfish's -N lays it out",
      },
      { disk: 'disk', args: ['/dev/sda'], error: /^\/dev\/sda: no partition table$/ },
    ];
  },
});

export const partGetParttype = defineOp({
  name: 'part-get-parttype',
  group: 'devices',
  args: [disk],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the partition table type: msdos or gpt',
  description: `Print the type of the partition table on a whole-disk device: msdos (MBR) or gpt.`,
  async impl(ctx, [dev]) {
    return ctx.session.layout.partGetParttype(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda'], expect: 'msdos' },
      { disk: 'part:100M:gpt', args: ['/dev/sda'], expect: 'gpt' },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-disk', '/dev/sda', 'gpt']], args: ['/dev/sda'], expect: 'gpt' },
    ];
  },
});

export const partInit = defineOp({
  name: 'part-init',
  group: 'devices',
  args: [disk, { name: 'parttype', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create an empty partition table',
  description: `Write a new, empty partition table of type mbr (also msdos) or gpt (also efi) on a
    whole-disk device. Every partition on it is forgotten (their data stays where it was until
    overwritten). Refused while anything on the disk is mounted.`,
  async impl(ctx, [dev, type]) {
    await ctx.session.layout.partInit(dev, type);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda', 'gpt'], expect: '', check: { run: ['part-get-parttype', '/dev/sda'], expect: 'gpt' } },
      { disk: 'disk', args: ['/dev/sda', 'sun'], error: /unknown partition table type/ },
      { disk: 'fs', args: ['/dev/sda', 'mbr'], error: /mounted/, title: 'part-init refused while a partition is mounted' },
      { from: 'libguestfs', disk: 'disk:2G', args: ['/dev/sda', 'gpt'] },
    ];
  },
});

export const partAdd = defineOp({
  name: 'part-add',
  group: 'devices',
  args: [disk, { name: 'prlogex', type: 'string' }, { name: 'startsect', type: 'int64' }, { name: 'endsect', type: 'int64' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'add a partition',
  description: `Add a partition from sector startsect to sector endsect (inclusive; 512-byte sectors). A
    negative endsect counts back from the end of the disk as parted does: -1 is its last sector
    (on GPT the last 33 are the backup table's, so the end is -34 or before). prlogex
    is primary, logical or extended (p, l, e); GPT has only primary partitions. The new partition
    has the Linux filesystem type (an extended one, type 5).`,
  async impl(ctx, [dev, kind, start, end]) {
    await ctx.session.layout.partAdd(dev, kind, start, end);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'disk',
        setup: [['part-init', '/dev/sda', 'mbr']],
        args: ['/dev/sda', 'p', '2048', '4095'],
        check: { run: ['list-partitions'], expect: '/dev/sda1' },
      },
      {
        disk: 'disk',
        setup: [['part-init', '/dev/sda', 'gpt']],
        args: ['/dev/sda', 'p', '2048', '-34'],
        check: { run: ['part-list', '/dev/sda'], expect: /part_start: 1048576\n {2}part_end: 104840703\n/ },
        title: "on GPT -34 is the last usable sector, as parted counts (guestfish's bootroot ends at -64)",
      },
      {
        disk: 'disk',
        setup: [['part-init', '/dev/sda', 'gpt']],
        args: ['/dev/sda', 'p', '2048', '-1'],
        error: /end sector 204799 is beyond the last usable sector 204766/,
        title: 'on GPT -1 is in the backup table: refused, as parted refuses it',
      },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-init', '/dev/sda', 'mbr']], args: ['/dev/sda', 'primary', '1', '-1'] },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-init', '/dev/sda', 'gpt'],
          ['part-add', '/dev/sda', 'primary', '34', '127'],
        ],
        args: ['/dev/sda', 'primary', '128', '-34'],
      },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'primary', '32', '127'],
          ['part-add', '/dev/sda', 'primary', '128', '255'],
          ['part-add', '/dev/sda', 'primary', '256', '511'],
        ],
        args: ['/dev/sda', 'primary', '512', '-1'],
      },
      {
        disk: 'disk',
        setup: [['part-init', '/dev/sda', 'gpt']],
        args: ['/dev/sda', 'p', '34', '2047'],
        check: { run: ['part-list', '/dev/sda'], expect: /part_start: 17408\n {2}part_end: 1048575\n/ },
        title: "a GPT's first usable sector is 34, as parted makes it",
      },
      {
        disk: 'disk',
        setup: [['part-init', '/dev/sda', 'gpt']],
        args: ['/dev/sda', 'p', '33', '2047'],
        error: /before the first usable sector 34/,
      },
    ];
  },
});

export const partDisk = defineOp({
  name: 'part-disk',
  group: 'devices',
  args: [disk, { name: 'parttype', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'a new partition table with one partition over the whole disk',
  description: `Write a new partition table (mbr or gpt) with a single partition over the disk, laid out as
    guestfish lays it out: from sector 128 to the 128th sector from the end (part-init, then
    part-add p 128 -128; 64 KiB aligned, the last 64 KiB left free).`,
  async impl(ctx, [dev, type]) {
    await ctx.session.layout.partDisk(dev, type);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'disk',
        args: ['/dev/sda', 'mbr'],
        check: { run: ['part-list', '/dev/sda'], expect: /^\[0\] = \{\n {2}part_num: 1\n {2}part_start: 65536\n {2}part_end: 104792575\n/ },
      },
      {
        disk: 'disk',
        args: ['/dev/sda', 'mbr'],
        check: { run: ['blkid', '/dev/sda1'], expect: /^PART_ENTRY_OFFSET: 128$/m },
        title: "part-disk mbr puts the partition at sector 128, as guestfish's test expects",
      },
      {
        disk: 'disk',
        args: ['/dev/sda', 'gpt'],
        check: { run: ['part-list', '/dev/sda'], expect: /part_start: 65536\n {2}part_end: 104792575\n/ },
      },
      { from: 'libguestfs', disk: 'disk:2G', args: ['/dev/sda', 'mbr'] },
      { from: 'libguestfs', disk: 'disk:2G', args: ['/dev/sda', 'gpt'] },
    ];
  },
});

export const partDel = defineOp({
  name: 'part-del',
  group: 'devices',
  args: [disk, partnum],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'delete a partition',
  description: `Delete partition partnum from the table of a whole-disk device. The other partitions keep
    their numbers (on MBR, logical partitions after a deleted one move down, as in the kernel).`,
  async impl(ctx, [dev, n]) {
    await ctx.session.layout.partDel(dev, n);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda', '1'], check: { run: ['list-partitions'], expect: '' } },
      { disk: 'part', args: ['/dev/sda', '3'], error: /partition 3 does not exist/ },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'primary', '1', '-1'],
        ],
        args: ['/dev/sda', '1'],
      },
    ];
  },
});

export const partSetBootable = defineOp({
  name: 'part-set-bootable',
  group: 'devices',
  args: [disk, partnum, { name: 'bootable', type: 'bool' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set or clear the bootable flag of a partition',
  description: `On MBR, set or clear the active (bootable) flag of the partition. On GPT, the
    LegacyBIOSBootable attribute. As in guestfish, also while a filesystem on the disk is mounted
    (no partition moves).`,
  async impl(ctx, [dev, n, on]) {
    await ctx.session.layout.partSetBootable(dev, n, on);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda', '1', 'true'], check: { run: ['part-get-bootable', '/dev/sda', '1'], expect: 'true' } },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-disk', '/dev/sda', 'mbr']], args: ['/dev/sda', '1', 'true'] },
      {
        args: ['/dev/sda', '1', 'true'],
        check: { run: ['part-get-bootable', '/dev/sda', '1'], expect: 'true' },
        title: 'part-set-bootable while /dev/sda1 is mounted, as guestfish (parted) allows',
      },
    ];
  },
});

export const partGetBootable = defineOp({
  name: 'part-get-bootable',
  group: 'devices',
  args: [disk, partnum],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'print whether a partition is bootable',
  description: `Print true if the partition has the bootable flag (MBR) or the LegacyBIOSBootable attribute
    (GPT), else false.`,
  async impl(ctx, [dev, n]) {
    return ctx.session.layout.partGetBootable(dev, n);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda', '1'], expect: 'false' },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'primary', '1', '-1'],
          ['part-set-bootable', '/dev/sda', '1', 'true'],
        ],
        args: ['/dev/sda', '1'],
        expect: 'true',
      },
    ];
  },
});

export const partSetName = defineOp({
  name: 'part-set-name',
  group: 'devices',
  args: [disk, partnum, { name: 'name', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the name of a GPT partition',
  description: `Set the name (label) of a GPT partition, at most 36 characters. MBR has no names.`,
  async impl(ctx, [dev, n, name]) {
    await ctx.session.layout.partSetName(dev, n, name);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda', '1', 'data'], check: { run: ['part-get-name', '/dev/sda', '1'], expect: 'data' } },
      { disk: 'part', args: ['/dev/sda', '1', 'data'], error: /only on GPT/, title: 'part-set-name on MBR is refused' },
      { from: 'libguestfs', disk: 'disk:2G', setup: [['part-disk', '/dev/sda', 'gpt']], args: ['/dev/sda', '1', 'thepartname'] },
    ];
  },
});

export const partGetName = defineOp({
  name: 'part-get-name',
  group: 'devices',
  args: [disk, partnum],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the name of a GPT partition',
  description: `Print the name of a GPT partition (empty if it has none).`,
  async impl(ctx, [dev, n]) {
    return ctx.session.layout.partGetName(dev, n);
  },
  guestfishDiffers: 'libguestfs has no test of part_get_name',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda', '1'], expect: 'p1', title: "part-disk names its GPT partition p1, as guestfish's" },
      {
        disk: 'disk',
        setup: [
          ['part-init', '/dev/sda', 'gpt'],
          ['part-add', '/dev/sda', 'p', '2048', '4095'],
        ],
        args: ['/dev/sda', '1'],
        expect: 'primary',
        title: 'part-add names a GPT partition after prlogex, as parted (guestfish) does',
      },
    ];
  },
});

export const partSetMbrId = defineOp({
  name: 'part-set-mbr-id',
  group: 'devices',
  args: [disk, partnum, { name: 'idbyte', type: 'int' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the MBR partition type byte',
  description: `Set the type byte of an MBR partition, e.g. 0x83 (Linux), 0x8e (LVM), 0x82 (swap), 0x07
    (NTFS), 0x0c (FAT32 LBA). Numbers may be written in hex (0x…) or octal (0…).`,
  async impl(ctx, [dev, n, id]) {
    await ctx.session.layout.partSetMbrId(dev, n, id);
    return undefined;
  },
  guestfishDiffers: "libguestfs has no test of part_set_mbr_id (part_get_mbr_id's test sets one)",
  get tests(): readonly OpTest[] {
    return [{ disk: 'part', args: ['/dev/sda', '1', '0x8e'], check: { run: ['part-get-mbr-id', '/dev/sda', '1'], expect: '0x8e' } }];
  },
});

export const partGetMbrId = defineOp({
  name: 'part-get-mbr-id',
  group: 'devices',
  args: [disk, partnum],
  returns: 'int',
  needsLaunch: true,
  writes: false,
  summary: 'print the MBR partition type byte',
  description: `Print the type byte of an MBR partition in hex, as guestfish does (0x83 for Linux, 0x8e for
    LVM); the library returns the number.`,
  printAs: 'hex',
  async impl(ctx, [dev, n]) {
    return ctx.session.layout.partGetMbrId(dev, n);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda', '1'], expect: '0x83' },
      { disk: 'part:100M:gpt', args: ['/dev/sda', '1'], error: /only on MBR/, title: 'part-get-mbr-id on GPT is refused' },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-init', '/dev/sda', 'mbr'],
          ['part-add', '/dev/sda', 'primary', '1', '-1'],
          ['part-set-mbr-id', '/dev/sda', '1', '0x7f'],
        ],
        args: ['/dev/sda', '1'],
        expect: '0x7f',
      },
    ];
  },
});

export const partSetGptType = defineOp({
  name: 'part-set-gpt-type',
  group: 'devices',
  args: [disk, partnum, { name: 'guid', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'set the type GUID of a GPT partition',
  description: `Set the partition type GUID of a GPT partition, e.g. 0FC63DAF-8483-4772-8E79-3D69D8477DE4
    (Linux filesystem) or C12A7328-F81F-11D2-BA4B-00A0C93EC93B (EFI System).`,
  async impl(ctx, [dev, n, guid]) {
    await ctx.session.layout.partSetGptType(dev, n, guid);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part:100M:gpt',
        args: ['/dev/sda', '1', 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'],
        check: { run: ['part-get-gpt-type', '/dev/sda', '1'], expect: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B' },
      },
      { from: 'libguestfs', disk: 'part::gpt', args: ['/dev/sda', '1', 'f'], error: /GUID/i },
      {
        from: 'libguestfs',
        disk: 'part::gpt',
        args: ['/dev/sda', '1', '01234567-89AB-CDEF-0123-456789ABCDEF'],
        check: { run: ['part-get-gpt-type', '/dev/sda', '1'], expect: '01234567-89AB-CDEF-0123-456789ABCDEF' },
      },
    ];
  },
});

export const partGetGptType = defineOp({
  name: 'part-get-gpt-type',
  group: 'devices',
  args: [disk, partnum],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the type GUID of a GPT partition',
  description: `Print the partition type GUID of a GPT partition, in upper case.`,
  async impl(ctx, [dev, n]) {
    return ctx.session.layout.partGetGptType(dev, n);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part:100M:gpt', args: ['/dev/sda', '1'], expect: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' },
      {
        from: 'libguestfs',
        disk: 'part::gpt',
        setup: [['part-set-gpt-type', '/dev/sda', '1', '01234567-89AB-CDEF-0123-456789ABCDEF']],
        args: ['/dev/sda', '1'],
        expect: '01234567-89AB-CDEF-0123-456789ABCDEF',
      },
    ];
  },
});

export const blockdevGetsize64 = defineOp({
  name: 'blockdev-getsize64',
  group: 'devices',
  args: [{ name: 'device', type: 'device' }],
  returns: 'int64',
  needsLaunch: true,
  writes: false,
  summary: 'print the size of a device in bytes',
  description: `Print the size in bytes of a disk, partition or logical volume.`,
  async impl(ctx, [dev]) {
    return ctx.session.layout.blockdevGetsize64(dev);
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['/dev/sda'], expect: '104857600' },
      { disk: 'bootroot', args: ['/dev/sda1'], expect: '33554432' },
      { from: 'libguestfs', disk: 'disk:2G', args: ['/dev/sda'], expect: '2147483648' },
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [
  partList,
  partGetParttype,
  partInit,
  partAdd,
  partDisk,
  partDel,
  partSetBootable,
  partGetBootable,
  partSetName,
  partGetName,
  partSetMbrId,
  partGetMbrId,
  partSetGptType,
  partGetGptType,
  blockdevGetsize64,
] as const;
