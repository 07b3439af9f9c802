// The command lines and output parsers behind tune2fs, mke2fs, xfs-*, vfs-minimum-size and
// btrfs-* (src/appliance/layout/fs-tools.ts): no tool runs here.
import { describe, expect, it } from 'vitest';
import {
  mke2fsArgs,
  parseBtrfsDefault,
  parseBtrfsSubvolumeShow,
  parseBtrfsSuper,
  parseNtfsMinimum,
  parseResize2fsMinimum,
  parseTune2fsList,
  parseXfsInfo,
  tune2fsArgs,
  xfsAdminArgs,
  xfsGrowfsArgs,
  xfsRepairArgs,
} from '../../src/appliance/layout/fs-tools.js';
import { splitLvName } from '../../src/appliance/layout/lvm-extra.js';

describe('tune2fs', () => {
  it('maps guestfish optional arguments, the interval in seconds, the device after --', () => {
    expect(tune2fsArgs('/dev/loop0', { force: true, maxmountcount: 0, intervalbetweenchecks: 86400, group: 1, user: 2 })).toEqual([
      '-f',
      '-c',
      '0',
      '-g',
      '1',
      '-i',
      '86400s',
      '-u',
      '2',
      '--',
      '/dev/loop0',
    ]);
    expect(tune2fsArgs('/dev/loop0', {})).toEqual(['--', '/dev/loop0']);
  });

  it('refuses bad values before anything runs', () => {
    expect(() => tune2fsArgs('/d', { errorbehavior: 'explode' })).toThrow(/use continue, remount-ro or panic/);
    expect(() => tune2fsArgs('/d', { reservedblockspercentage: 80 })).toThrow(/0 to 50/);
    expect(() => tune2fsArgs('/d', { mountcount: -3 })).toThrow(/at least 0/);
    expect(() => tune2fsArgs('/d', { user: 1.5 })).toThrow(/whole number/);
  });

  it('parses tune2fs -l into ordered pairs, values trimmed, colons in values kept', () => {
    const out = [
      'tune2fs 1.47.0 (5-Feb-2023)',
      'Filesystem volume name:   <none>',
      'Filesystem magic number:  0xEF53',
      'Filesystem created:       Sat Dec  5 06:00:00 2026',
      '',
      'no colon here',
    ].join('\n');
    expect(parseTune2fsList(out)).toEqual([
      ['Filesystem volume name', '<none>'],
      ['Filesystem magic number', '0xEF53'],
      ['Filesystem created', 'Sat Dec  5 06:00:00 2026'],
    ]);
  });
});

describe('mke2fs', () => {
  it('turns options into flags, -E and -O lists, device and block count last', () => {
    expect(
      mke2fsArgs('/dev/loop1', {
        blockscount: 1000,
        blocksize: 4096,
        label: 'DATA',
        fstype: 'ext4',
        stridesize: 8,
        discard: false,
        hasjournal: false,
        flexbg: true,
        journaldevice: '/dev/loop2',
      }),
    ).toEqual([
      '-q',
      '-b',
      '4096',
      '-J',
      'device=/dev/loop2',
      '-L',
      'DATA',
      '-t',
      'ext4',
      '-E',
      'stride=8,nodiscard',
      '-O',
      'flex_bg,^has_journal',
      '--',
      '/dev/loop1',
      '1000',
    ]);
  });

  it('refuses what mke2fs would misread or truncate', () => {
    expect(() => mke2fsArgs('/d', { fstype: 'xfs' })).toThrow(/ext2, ext3 or ext4/);
    expect(() => mke2fsArgs('/d', { label: 'x'.repeat(17) })).toThrow(/16 bytes/);
    expect(() => mke2fsArgs('/d', { uuid: 'nope' })).toThrow(/not a UUID/);
    expect(() => mke2fsArgs('/d', { quotatype: true })).toThrow(/use quota:true/);
    // no -f: a fragment is a block; fragsize alone gives the block size
    expect(() => mke2fsArgs('/d', { blocksize: 4096, fragsize: 1024 })).toThrow(/fragments are blocks/);
    expect(mke2fsArgs('/d', { blocksize: 4096, fragsize: 4096 })).toEqual(['-q', '-b', '4096', '--', '/d']);
    expect(mke2fsArgs('/d', { fragsize: 2048 })).toEqual(['-q', '-b', '2048', '--', '/d']);
  });
});

describe('minimum sizes', () => {
  it('reads resize2fs -P, ntfsresize --info', () => {
    expect(parseResize2fsMinimum('Estimated minimum size of the filesystem: 2345\n')).toBe(2345);
    expect(() => parseResize2fsMinimum('garbage')).toThrow(/no estimate/);
    expect(parseNtfsMinimum('Checking filesystem consistency ...\nYou might resize at 2785280 bytes or 3 MB (freeing 97 MB).\n')).toBe(
      2785280,
    );
    expect(() => parseNtfsMinimum('nothing')).toThrow(/no minimum size/);
  });
});

const XFS_INFO = `meta-data=/dev/loop0             isize=512    agcount=4, agsize=20480 blks
         =                       sectsz=512   attr=2, projid32bit=1
         =                       crc=1        finobt=1, sparse=1, rmapbt=1
data     =                       bsize=4096   blocks=81920, imaxpct=25
         =                       sunit=0      swidth=0 blks
naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
log      =internal log           bsize=4096   blocks=16384, version=2
         =                       sectsz=512   sunit=0 blks, lazy-count=1
realtime =none                   extsz=4096   blocks=0, rtextents=0
`;

describe('xfs', () => {
  it('parses xfs_info into the xfsinfo struct, the host device replaced by the guest name', () => {
    const s = new Map(parseXfsInfo(XFS_INFO, '/dev/sda1'));
    expect(s.get('xfs_mntpoint')).toBe('/dev/sda1');
    expect(s.get('xfs_inodesize')).toBe(512);
    expect(s.get('xfs_agcount')).toBe(4);
    expect(s.get('xfs_blocksize')).toBe(4096);
    expect(s.get('xfs_datablocks')).toBe(81920);
    expect(s.get('xfs_dirversion')).toBe(2);
    expect(s.get('xfs_cimode')).toBe(0);
    expect(s.get('xfs_logname')).toBe('internal');
    expect(s.get('xfs_logblocks')).toBe(16384);
    expect(s.get('xfs_lazycount')).toBe(1);
    expect(s.get('xfs_rtname')).toBe('none');
    expect(s.get('xfs_rtextents')).toBe(0);
    expect([...s.keys()]).toHaveLength(25);
    expect(JSON.stringify([...s.values()])).not.toContain('loop0');
  });

  it('fills what xfs_info leaves out with -1, and refuses output without geometry', () => {
    const s = new Map(parseXfsInfo('data     =                       bsize=4096   blocks=10\n', '/'));
    expect(s.get('xfs_agcount')).toBe(-1);
    expect(s.get('xfs_logname')).toBe('');
    expect(() => parseXfsInfo('nothing', '/')).toThrow(/no geometry/);
  });

  it('builds xfs_growfs, xfs_admin and xfs_repair command lines', () => {
    expect(xfsGrowfsArgs('/mnt', { datasec: true, maxpct: 30 })).toEqual(['-d', '-m', '30', '--', '/mnt']);
    expect(xfsAdminArgs('/dev/loop0', { lazycounter: false, label: '' })).toEqual(['-c', '0', '-L', '--', '--', '/dev/loop0']);
    expect(() => xfsAdminArgs('/d', {})).toThrow(/at least one change/);
    expect(() => xfsAdminArgs('/d', { label: 'thirteen-byte' })).toThrow(/12 bytes/);
    expect(() => xfsAdminArgs('/d', { label: "a'$(x)" })).toThrow(/quotes, backslashes and \$/);
    expect(xfsRepairArgs('/dev/loop0', { nomodify: true, ihashsize: 64, forcegeometry: true })).toEqual([
      '-n',
      '-o',
      'force_geometry',
      '-o',
      'ihash=64',
      '--',
      '/dev/loop0',
    ]);
    expect(xfsRepairArgs('/img', {}, true)).toEqual(['-f', '--', '/img']);
  });
});

describe('btrfs', () => {
  it('reads get-default', () => {
    expect(parseBtrfsDefault('ID 5 (FS_TREE)\n')).toBe(5);
    expect(parseBtrfsDefault('ID 256 gen 7 top level 5 path sub\n')).toBe(256);
    expect(() => parseBtrfsDefault('')).toThrow(/no ID/);
  });

  it('reads subvolume show, snapshots joined with commas', () => {
    const out = [
      'a',
      '\tName: \t\t\ta',
      '\tSubvolume ID: \t\t256',
      '\tFlags: \t\t\t-',
      '\tSnapshot(s):',
      '\t\t\t\tb',
      '\t\t\t\tdir/c: with a colon',
      '\tQuota group:\t\tn/a',
      '',
    ].join('\n');
    expect(parseBtrfsSubvolumeShow(out)).toEqual([
      ['Name', 'a'],
      ['Subvolume ID', '256'],
      ['Flags', '-'],
      ['Snapshot(s)', 'b,dir/c: with a colon'],
      ['Quota group', 'n/a'],
    ]);
  });

  it('reads the fsid and device count of a superblock, nothing from other bytes', () => {
    const sb = Buffer.alloc(4096);
    sb.write('_BHRfS_M', 0x40, 'latin1');
    Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(sb, 0x20);
    sb.writeBigUInt64LE(2n, 0x88);
    expect(parseBtrfsSuper(sb)).toEqual({ fsid: '00112233445566778899aabbccddeeff', numDevices: 2n });
    expect(parseBtrfsSuper(Buffer.alloc(4096))).toBeUndefined();
    expect(parseBtrfsSuper(Buffer.alloc(16))).toBeUndefined();
  });
});

describe('LV names', () => {
  it('splits /dev/VG/LV and VG/LV, refusing what LVM refuses', () => {
    expect(splitLvName('/dev/VG/LV')).toEqual({ vg: 'VG', lv: 'LV' });
    expect(splitLvName('vg0/root')).toEqual({ vg: 'vg0', lv: 'root' });
    expect(() => splitLvName('/dev/sda1')).toThrow(/not a logical volume name/);
    expect(() => splitLvName('/dev/VG/snapshot')).toThrow(/reserved/);
  });
});
