// fstab entries on LUKS volumes: the session's own /dev/mapper/luks-UUID, the guest's crypttab
// names (source by path, UUID=, PARTUUID=, /dev/disk/by-uuid/), UUID= of the filesystem inside,
// and volumes no key opened (said by device, listed in `locked`).
import { describe, expect, it } from 'vitest';
import { parseCrypttab } from '../../src/inspect/crypttab.js';
import { type DeviceModel, resolveFstab } from '../../src/inspect/fstab.js';
import { filesystemsOf } from '../../src/inspect/filesystems-of.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const model: DeviceModel = {
  filesystems: [
    { name: '/dev/sda1', type: 'ext4', label: 'boot', uuid: '11111111-0000-4000-8000-000000000000' },
    { name: '/dev/vg/root', type: 'ext4', uuid: '22222222-0000-4000-8000-000000000000' },
    { name: `/dev/mapper/luks-${A}`, type: 'ext4', label: 'home', uuid: '33333333-0000-4000-8000-000000000000' },
  ],
  partitions: [
    { name: '/dev/sda1', disk: '/dev/sda', number: 1 },
    { name: '/dev/sda2', disk: '/dev/sda', number: 2, uuid: 'cafe0000-0000-4000-8000-000000000002' },
    { name: '/dev/sda3', disk: '/dev/sda', number: 3 },
  ],
  disks: ['/dev/sda'],
  lvs: [
    { name: '/dev/vg/root', vg: 'vg', lv: 'root' },
    { name: '/dev/vg/home', vg: 'vg', lv: 'home' },
  ],
  btrfsSubvolumes: {},
  luks: [
    { device: '/dev/vg/home', uuid: A, opened: `/dev/mapper/luks-${A}` },
    { device: '/dev/sda2', uuid: B },
  ],
};

const resolve = (fstab: string, crypttab?: string) => resolveFstab(fstab, model, { rootDevice: '/dev/vg/root', crypttab });

describe('crypttab', () => {
  it('parses names and sources, skipping comments, blank and one-field lines, with octal escapes', () => {
    expect(parseCrypttab('# c\n\nhome UUID=x none luks\nswap\tPARTUUID=y /dev/urandom swap\nodd\nsp\\040ace /dev/sdb\n')).toEqual([
      { name: 'home', source: 'UUID=x' },
      { name: 'swap', source: 'PARTUUID=y' },
      { name: 'sp ace', source: '/dev/sdb' },
    ]);
  });

  it('opened volumes: by the session mapping, by crypttab name (any source form), by the inner UUID=', () => {
    const mapping = `/dev/mapper/luks-${A}`;
    for (const source of ['/dev/vg/home', `UUID=${A}`, `UUID=${A.toUpperCase()}`, `/dev/disk/by-uuid/${A}`, '/dev/mapper/vg-home']) {
      const r = resolve(
        '/dev/vg/root / ext4 defaults 0 1\n/dev/mapper/crypthome /home ext4 defaults 0 2\n',
        `crypthome ${source} none luks\n`,
      );
      expect(
        r.mountpoints.map((m) => [m.mountpoint, m.device]),
        source,
      ).toEqual([
        ['/', '/dev/vg/root'],
        ['/home', mapping],
      ]);
      expect(r.warnings, source).toEqual([]);
    }
    expect(resolve(`${mapping} /home ext4 defaults 0 2\n`).mountpoints[0]?.device).toBe(mapping);
    expect(resolve('UUID=33333333-0000-4000-8000-000000000000 /home ext4 defaults 0 2\n').mountpoints[0]?.device).toBe(mapping);
  });

  it('a volume no key opened: named by device in the warning and listed in locked; the rest resolves', () => {
    const r = resolve(
      '/dev/vg/root / ext4 defaults 0 1\n/dev/mapper/data /srv ext4 defaults 0 2\n/dev/sda1 /boot ext4 defaults 0 2\n',
      'data PARTUUID=cafe0000-0000-4000-8000-000000000002 none luks\n',
    );
    expect(r.mountpoints.map((m) => m.mountpoint)).toEqual(['/', '/boot']);
    expect(r.locked).toEqual(['/dev/sda2']);
    expect(r.warnings).toEqual([
      'fstab line 2: "/dev/mapper/data" is the LUKS volume on /dev/sda2 (crypttab: PARTUUID=cafe0000-0000-4000-8000-000000000002), which was not opened (give its key: --key /dev/sda2:key:…)',
    ]);
    expect(filesystemsOf(model, ['/dev/vg/root', ...r.locked])).toEqual([
      { device: '/dev/sda2', type: 'crypto_LUKS', uuid: B },
      { device: '/dev/vg/root', type: 'ext4', label: undefined, uuid: '22222222-0000-4000-8000-000000000000' },
    ]);
    const byName = resolve(`/dev/mapper/luks-${B} /srv ext4 defaults 0 2\n`);
    expect([byName.locked, byName.warnings.length]).toEqual([['/dev/sda2'], 1]);
  });

  it('a crypttab source that is no LUKS volume, and an unknown mapper name, are said; nofail stays quiet', () => {
    const r = resolve(
      '/dev/mapper/x /x ext4 defaults 0 2\n/dev/mapper/y /y ext4 defaults 0 2\n/dev/mapper/data /z ext4 nofail 0 2\n',
      'x /dev/sda3 none\ndata /dev/sda2 none\n',
    );
    expect(r.mountpoints).toEqual([]);
    expect(r.warnings).toEqual([
      'fstab line 1: "/dev/mapper/x": crypttab\'s source "/dev/sda3" is no LUKS volume of this session',
      expect.stringMatching(/^fstab line 2: "\/dev\/mapper\/y" is not a known LVM logical volume/),
    ]);
    expect(r.locked).toEqual(['/dev/sda2']);
  });
});
