import { describe, expect, it } from 'vitest';
import { parsePartxPairs, toPartitions, validateTable, partitionDevice } from '../../src/appliance/partitions.js';
import { parseBlkidUdev, parseSubvolumeList } from '../../src/appliance/filesystems.js';
import { hasControlChars } from '../../src/appliance/guest-names.js';
import { chainOptions } from '../../src/appliance/attach/qemu-options.js';
import { mountOptions } from '../../src/appliance/mount.js';
import { chooseBackend } from '../../src/appliance/attach/choose.js';
import type { ImageInfo } from '../../src/appliance/image.js';

describe('partx output', () => {
  const text = `NR="1" START="2048" SECTORS="40960" TYPE="0x83" UUID="73ea8ee5-01" NAME="" SCHEME="dos"
NR="2" START="43008" SECTORS="88064" TYPE="0x5" UUID="73ea8ee5-02" NAME="" SCHEME="dos"
NR="5" START="45056" SECTORS="16384" TYPE="0x83" UUID="73ea8ee5-05" NAME="my\\x20disk" SCHEME="dos"
`;
  it('parses pairs, marks extended partitions, converts to bytes', () => {
    const parts = toPartitions('/dev/loop7', parsePartxPairs(text));
    expect(parts.map((p) => [p.number, p.device, p.start, p.size, p.extended])).toEqual([
      [1, '/dev/loop7p1', 2048 * 512, 40960 * 512, false],
      [2, '/dev/loop7p2', 43008 * 512, 88064 * 512, true],
      [5, '/dev/loop7p5', 45056 * 512, 16384 * 512, false],
    ]);
    expect(parts[2]!.label).toBe('my disk');
    expect(() => validateTable(parts, 64 << 20, 'd.img')).not.toThrow();
  });
  it('refuses partitions beyond the disk, overlaps, and a bare protective MBR', () => {
    const parts = toPartitions('/dev/loop7', parsePartxPairs(text));
    expect(() => validateTable(parts, 32 << 20, 'd.img')).toThrow(/d.img: corrupt partition table: partition 2 .* beyond the end/);
    const overlap = toPartitions(
      '/dev/loop7',
      parsePartxPairs(
        'NR="1" START="2048" SECTORS="4096" TYPE="0x83" SCHEME="dos"\nNR="2" START="4096" SECTORS="4096" TYPE="0x83" SCHEME="dos"',
      ),
    );
    expect(() => validateTable(overlap, 64 << 20, 'd.img')).toThrow(/partitions 1 and 2 overlap/);
    const pmbr = toPartitions('/dev/loop7', parsePartxPairs('NR="1" START="1" SECTORS="100" TYPE="0xee" SCHEME="dos"'));
    expect(() => validateTable(pmbr, 64 << 20, 'd.img')).toThrow(/GPT/);
  });
  it('names partition devices like the kernel', () => {
    expect(partitionDevice('/dev/loop3', 2)).toBe('/dev/loop3p2');
    expect(partitionDevice('/dev/nbd0', 1)).toBe('/dev/nbd0p1');
    expect(partitionDevice('/dev/sdb', 5)).toBe('/dev/sdb5');
  });
});

describe('blkid and btrfs output', () => {
  it('parses blkid -o udev, decoding the \\xHH values exactly (the tools escape them on a terminal)', () => {
    const p = parseBlkidUdev(
      'ID_FS_UUID=abc\nID_FS_UUID_ENC=abc\nID_FS_LABEL=my_label\nID_FS_LABEL_ENC=my\\x20label\\x2cx\\x3d1\nID_FS_TYPE=ext4\nID_FS_USAGE=filesystem\n',
    );
    expect(p).toMatchObject({ type: 'ext4', uuid: 'abc', label: 'my label,x=1', usage: 'filesystem' });
    // a newline in a label is one value, never a new key
    const q = parseBlkidUdev('ID_FS_LABEL_ENC=a\\x0aID_FS_TYPE=xfs\\x1b\\x07\nID_FS_TYPE=ext4\n');
    expect(q).toMatchObject({ type: 'ext4', label: 'a\nID_FS_TYPE=xfs\x1b\x07' });
    expect(parseBlkidUdev('ID_PART_TABLE_TYPE=dos\n')).toMatchObject({ ptType: 'dos', type: undefined });
    expect(parseBlkidUdev('ID_FS_LABEL_ENC=caf\u00e9\n').label).toBe('caf\u00e9');
  });
  it('parses btrfs subvolume list, marking names that ran over a line', () => {
    expect(
      parseSubvolumeList(
        'ID 256 gen 9 top level 5 path @\nID 257 gen 10 top level 5 path @home\nID 258 gen 11 top level 257 path <FS_TREE>/@home/snap\n',
      ).map((e) => [e.id, e.path, e.continued]),
    ).toEqual([
      [256, '@', false],
      [257, '@home', false],
      [258, '@home/snap', false],
    ]);
    const evil = parseSubvolumeList(
      'ID 256 gen 7 top level 5 path x\nID 999 gen 1 top level 5 path evil\nID 257 gen 7 top level 5 path y\nmore\n',
    );
    expect(evil.map((e) => [e.id, e.path, e.continued])).toEqual([
      [256, 'x', false],
      [999, 'evil', false],
      [257, 'y', true],
    ]);
  });
  it('finds control characters in guest names', () => {
    expect(hasControlChars('plain,name=1')).toBe(false);
    expect(hasControlChars('a\u009bb')).toBe(true);
  });

  it('pins an external data file by the name probeImage checked, in every layer', () => {
    const opts = chainOptions(
      [
        { path: '/vm/top.qcow2', format: 'qcow2' },
        { path: '/vm/base.qcow2', format: 'qcow2', dataFile: '/vm/base,data.raw' },
      ],
      false,
    );
    expect(opts).toContain('backing.data-file.driver=file');
    expect(opts).toContain('backing.data-file.filename=/vm/base,,data.raw');
    expect(opts.filter((o) => o.startsWith('data-file'))).toEqual([]);
  });
});

describe('mount options', () => {
  it('always hardens, and adds no-replay options on read-only devices', () => {
    expect(mountOptions({ vfstype: 'ext4', readonly: true, deviceReadonly: true })).toEqual(['ro', 'noload', 'nosuid', 'nodev', 'noexec']);
    expect(mountOptions({ vfstype: 'xfs', readonly: true, deviceReadonly: true })).toContain('norecovery');
    expect(mountOptions({ vfstype: 'btrfs', readonly: true, deviceReadonly: true, subvolid: 257 })).toEqual([
      'subvolid=257',
      'ro',
      'rescue=nologreplay',
      'nosuid',
      'nodev',
      'noexec',
    ]);
    expect(mountOptions({ vfstype: 'ext4', readonly: true, deviceReadonly: false })).toEqual(['ro', 'nosuid', 'nodev', 'noexec']);
    expect(mountOptions({ vfstype: 'ext4', readonly: false, deviceReadonly: false, exec: true })).toEqual(['nosuid', 'nodev', 'exec']);
  });
  it('refuses options that loosen the hardening', () => {
    for (const bad of ['suid', 'dev', 'exec', 'remount', 'bind']) {
      expect(() => mountOptions({ vfstype: 'ext4', readonly: false, deviceReadonly: false, options: `noatime,${bad}` })).toThrow(
        /not allowed/,
      );
    }
    expect(mountOptions({ vfstype: 'ext4', readonly: false, deviceReadonly: false, options: 'noatime,data=ordered' })).toEqual([
      'noatime',
      'data=ordered',
      'nosuid',
      'nodev',
      'noexec',
    ]);
  });
});

describe('backend choice', () => {
  const raw: ImageInfo = { given: 'a', chain: [{ path: '/a', format: 'raw' }], format: 'raw', virtualSize: 1, isBlockDevice: false };
  const qcow: ImageInfo = { ...raw, chain: [{ path: '/a', format: 'qcow2' }], format: 'qcow2' };
  it('uses loop for raw, nbd where present, fuse otherwise', () => {
    expect(chooseBackend(raw, undefined, { nbd: false }).name).toBe('loop');
    expect(chooseBackend(qcow, undefined, { nbd: false }).name).toBe('fuse');
    expect(chooseBackend(qcow, undefined, { nbd: true }).name).toBe('nbd');
    expect(chooseBackend(raw, 'fuse', { nbd: false }).name).toBe('fuse');
    expect(() => chooseBackend(raw, 'nbd', { nbd: false })).toThrow(/kernel NBD/);
  });
});
