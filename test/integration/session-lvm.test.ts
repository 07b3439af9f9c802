// Session integration tests, LVM (lvm.raw): PVs, VG and LVs as the contract says, linear LVs
// mounted and read (also by their /dev/mapper/VG-LV name), and the LVs this host cannot open
// (split: two segments; striped) refused with a clear error naming the LV and why, while the
// rest of the session keeps working. Nothing is ever activated in the host's LVM. Real image,
// no mocks; every session is closed in afterEach and the host is checked to be as it was.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostHasDeviceMapper } from '../../src/appliance/lvm.js';
import { CAN_RUN, expectJootError, Harness, MiB } from './session-helpers.js';

const h = new Harness('lvm');
const DM = hostHasDeviceMapper();
const lvUuid = (x: string): string => `1a7d0000-0000-4000-8000-0000000000${x}`;

describe.skipIf(!CAN_RUN)('Session: LVM', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('pvs, vgs and lvs (sorted) as in the contract', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    expect(s.pvs()).toEqual(['/dev/sda2', '/dev/sda3']);
    expect(s.vgs()).toEqual(['vg0']);
    expect(s.lvs()).toEqual(['/dev/vg0/home', '/dev/vg0/root', '/dev/vg0/split', '/dev/vg0/striped']);

    expect(s.pvsFull()).toEqual([
      { name: '/dev/sda2', vg: 'vg0', uuid: 'pv0000-0000-0000-0000-0000-0000-000002', size: 96 * MiB },
      { name: '/dev/sda3', vg: 'vg0', uuid: 'pv0000-0000-0000-0000-0000-0000-000003', size: 96 * MiB },
    ]);
    const [vg] = s.vgsFull();
    expect(vg).toMatchObject({ name: 'vg0', extentSize: 4 * MiB, pvs: ['/dev/sda2', '/dev/sda3'], lvs: s.lvs() });
    expect(vg!.uuid).toMatch(/^[\w]{6}(-[\w]{4}){5}-[\w]{6}$/);
    const lvs = s.lvsFull();
    expect(lvs.map((l) => [l.name, l.vg, l.lv, l.size, l.segtype])).toEqual([
      ['/dev/vg0/home', 'vg0', 'home', 12 * MiB, 'linear'],
      ['/dev/vg0/root', 'vg0', 'root', 40 * MiB, 'linear'],
      ['/dev/vg0/split', 'vg0', 'split', 16 * MiB, 'linear'],
      ['/dev/vg0/striped', 'vg0', 'striped', 8 * MiB, 'striped'],
    ]);
    // split and striped too: through device-mapper, or read in userspace where the host has none
    for (const l of lvs) expect(l.unavailable, l.name).toBeUndefined();
  });

  it('filesystems: boot, the LVs; not the PVs', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    const fs = s.filesystems();
    expect(fs.map((f) => f.name)).toEqual(['/dev/sda1', '/dev/vg0/home', '/dev/vg0/root', '/dev/vg0/split', '/dev/vg0/striped']);
    expect(fs.slice(0, 3)).toEqual([
      { name: '/dev/sda1', type: 'ext4', label: 'boot', uuid: '1a7d0000-0000-4000-8000-000000000001' },
      { name: '/dev/vg0/home', type: 'ext4', label: 'lvhome', uuid: lvUuid('a2') },
      { name: '/dev/vg0/root', type: 'ext4', label: 'lvroot', uuid: lvUuid('a1') },
    ]);
    expect(fs.slice(3).map((f) => [f.type, f.label])).toEqual([
      ['ext4', 'lvsplit'],
      ['ext4', 'lvstriped'],
    ]);
    expect(await s.vfsType('/dev/sda2')).toBe('LVM2_member');
    await expectJootError(s.mount('/dev/sda2', '/'), 'EINVAL', ['/dev/sda2', 'LVM2_member']);
  });

  it('mount /dev/vg0/root and read /hello.txt; home by its own name; boot', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    await s.mount('/dev/vg0/root', '/');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from lvm\n');
    expect((await s.readFile('/etc/hostname')).toString()).toBe('lvmhost\n');
    await s.mount('/dev/vg0/home', '/etc');
    expect((await s.readFile('/etc/user/home.txt')).toString()).toBe('home\n');
    expect(s.mountpoints()).toEqual([
      { device: '/dev/vg0/root', mountpoint: '/', vfstype: 'ext4', readonly: true },
      { device: '/dev/vg0/home', mountpoint: '/etc', vfstype: 'ext4', readonly: true },
    ]);
    await s.umountAll();
    await s.mount('/dev/sda1', '/');
    expect((await s.readFile('/grub.cfg')).toString()).toBe('# boot\n');
    expect(await s.vfsUuid('/dev/vg0/root')).toBe(lvUuid('a1'));
    expect(await s.vfsLabel('/dev/vg0/home')).toBe('lvhome');
  });

  it('/dev/mapper/vg0-root is an alias of /dev/vg0/root', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    expect(await s.vfsLabel('/dev/mapper/vg0-root')).toBe('lvroot');
    expect(await s.vfsUuid('/dev/mapper/vg0-home')).toBe(lvUuid('a2'));
    await s.mount('/dev/mapper/vg0-root', '/');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from lvm\n');
    // reported by its canonical name, and known as mounted under either spelling
    expect(s.mounts()).toEqual(['/dev/vg0/root']);
    await expectJootError(s.mount('/dev/vg0/root', '/etc'), 'EBUSY', ['/dev/vg0/root']);
    await s.umount('/dev/mapper/vg0-root');
    expect(s.mounts()).toEqual([]);
  });

  it('nothing is activated in the host: no device-mapper node and no host LVM name for vg0', async () => {
    // a host without device-mapper may have no /dev/mapper at all (a fresh machine of CI's kind)
    const mapper = () => (existsSync('/dev/mapper') ? readdirSync('/dev/mapper').sort() : []);
    const before = mapper();
    const s = await h.open([await h.image('lvm.raw')]);
    await s.mount('/dev/vg0/root', '/');
    if (!DM) expect(mapper()).toEqual(before);
    expect(readdirSync('/dev').includes('vg0')).toBe(false);
  });

  it('split and striped open on any host: through device-mapper, else read in userspace and exposed as a read-only loop device', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    for (const lv of ['split', 'striped']) {
      await s.mount(`/dev/vg0/${lv}`, '/');
      expect((await s.readFile(`/${lv}.txt`)).toString()).toBe(`${lv}\n`);
      await s.umount('/');
      // by its mapper name too
      expect(await s.vfsLabel(`/dev/mapper/vg0-${lv}`)).toBe(`lv${lv}`);
    }
    // the rest of the session is as before
    await s.mount('/dev/vg0/root', '/');
    await s.mount('/dev/vg0/split', '/etc');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from lvm\n');
    expect((await s.readFile('/etc/split.txt')).toString()).toBe('split\n');
    expect(s.lvs()).toHaveLength(4);
  });

  it('lvm.raw next to mbr.raw: the PVs are named on their own drive', async () => {
    const s = await h.open([await h.image('mbr.raw'), await h.image('lvm.raw')]);
    expect(s.pvs()).toEqual(['/dev/sdb2', '/dev/sdb3']);
    expect(s.vgsFull()[0]!.pvs).toEqual(['/dev/sdb2', '/dev/sdb3']);
    await s.mount('/dev/vg0/root', '/');
    await s.mount('/dev/sda1', '/etc');
    expect((await s.readFile('/etc/etc/hostname')).toString()).toBe('mbrhost\n');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from lvm\n');
  });
});
