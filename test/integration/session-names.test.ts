// Session integration tests, names: only canonical guest names (/dev/sda1, /dev/VG/LV,
// btrfsvol:/dev/sdX/SUBVOL) in everything a session returns and in every error message it throws
// — never a host loop/NBD device, a /run/joot path or a session temp directory. And the
// guest-rooted reader through the session: absolute symlinks resolve inside the guest.
// This file keeps the default temp directory (under /run/joot), so that hiding it is what is
// tested. Real images, no mocks; every session is closed in afterEach and the host is checked to
// be as it was.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JootError, type Session } from '../../src/appliance/index.js';
import { CAN_RUN, expectJootError, Harness, hostNamesIn } from './session-helpers.js';

const h = new Harness('names', { privateTmp: false });

const CANONICAL = /^(\/dev\/sd[a-z]+\d*|\/dev\/[A-Za-z0-9+_.-]+\/[A-Za-z0-9+_.-]+|btrfsvol:\/dev\/sd[a-z]+\d*\/.+)$/;

/** Every name-bearing thing the session returns, as one JSON text. */
function everything(s: Session): string {
  return JSON.stringify({
    devices: s.listDevices(),
    partitions: s.partitions(),
    filesystems: s.filesystems(),
    list: [...s.listFilesystems()],
    pvs: s.pvsFull(),
    vgs: s.vgsFull(),
    lvs: s.lvsFull(),
    mountpoints: s.mountpoints(),
    mounts: s.mounts(),
  });
}

describe.skipIf(!CAN_RUN)('Session: canonical names', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('everything returned uses canonical names only (mbr + gpt + lvm, with mounts)', async () => {
    const s = await h.open([await h.image('mbr.raw'), await h.image('gpt.raw'), await h.image('lvm.raw')]);
    await s.mount('/dev/sdb2', '/');
    await s.mount('/dev/vg0/root', '/etc');
    await s.mount('btrfsvol:/dev/sdb4/@home', '/etc/etc');
    await s.mount('/dev/mapper/vg0-home', '/etc/etc/user');
    const all = everything(s);
    expect(hostNamesIn(all), all).toEqual([]);
    expect(all).not.toMatch(/\/dev\/(loop|nbd|dm-|mapper\/)/);

    const names = [
      ...s.listDevices(),
      ...s.partitions().flatMap((p) => [p.name, p.disk]),
      ...s.filesystems().map((f) => f.name),
      ...s.pvsFull().map((p) => p.name),
      ...s.vgsFull().flatMap((v) => [...v.pvs, ...v.lvs]),
      ...s.lvsFull().map((l) => l.name),
      ...s.mountpoints().map((m) => m.device),
      ...s.mounts(),
    ];
    for (const n of names) expect(n).toMatch(CANONICAL);
    expect(s.mounts().sort()).toEqual(['/dev/sdb2', '/dev/vg0/home', '/dev/vg0/root', 'btrfsvol:/dev/sdb4/@home']);
    expect(s.pvs()).toEqual(['/dev/sdc2', '/dev/sdc3']);
    // unavailable reasons are in guest terms too
    for (const l of s.lvsFull()) if (l.unavailable) expect(hostNamesIn(l.unavailable)).toEqual([]);
    // guest stat results carry no host paths either (they are numbers and flags)
    expect(Object.keys(await s.stat('/etc/etc/user/user/home.txt')).sort()).toEqual([
      'gid',
      'ino',
      'isDirectory',
      'isFile',
      'isSymbolicLink',
      'mode',
      'mtimeMs',
      'nlink',
      'size',
      'uid',
    ]);
  });

  it('error messages name guest devices and guest paths only', async () => {
    const s = await h.open([await h.image('mbr.raw'), await h.image('lvm.raw')]);
    const messages: string[] = [];
    const err = async (p: Promise<unknown> | (() => unknown), code: string, includes: (string | RegExp)[]) =>
      messages.push((await expectJootError(p, code, includes)).message);

    // before anything is mounted
    await err(s.readFile('/hello.txt'), 'ESTATE', [/no filesystem is mounted on \//]);
    await err(s.mount('/dev/sda1', '/dir'), 'ESTATE', ['/dir']);
    await err(s.mount('/dev/sdz1', '/'), 'ENOENT', ['/dev/sdz1: No such device']);
    await err(s.mount('/dev/sda9', '/'), 'ENOENT', ['/dev/sda9']);
    await err(s.mount('/dev/vg9/nope', '/'), 'ENOENT', ['/dev/vg9/nope']);
    await err(s.vfsType('/dev/sdc'), 'ENOENT', ['/dev/sdc']);
    await err(s.mount('/dev/sda1', 'relative'), 'EINVAL', ['relative']);
    // failures of mount(8) itself: its message names the host device, rewritten to the guest's
    await err(s.mount('/dev/sda1', '/', { vfstype: 'xfs' }), 'ECMD', ['/dev/sda1']);
    await err(s.mount('/dev/sda5', '/', { options: 'no_such_option_at_all' }), 'ECMD', ['/dev/sda5']);
    await err(s.mount('/dev/vg0/root', '/', { vfstype: 'btrfs' }), 'ECMD', ['/dev/vg0/root']);
    // an LV read in userspace and exposed as a loop device: mount(8)'s message names it too
    await err(s.mount('/dev/vg0/split', '/', { vfstype: 'xfs' }), 'ECMD', ['/dev/vg0/split']);
    await err(s.mount('/dev/sda2', '/'), 'EINVAL', ['/dev/sda2']);
    await err(s.mount('/dev/sdb2', '/'), 'EINVAL', ['/dev/sdb2', 'LVM2_member']);

    await s.mount('/dev/sda1', '/');
    // guest files
    await err(s.readFile('/no/such/file.txt'), 'ENOENT', ['/no/such/file.txt: No such file or directory']);
    await err(s.readFile('/missing.txt'), 'ENOENT', ['/missing.txt']);
    await err(s.readdir('/hello.txt'), 'EINVAL', ['/hello.txt']);
    await err(s.readFile('/dir'), 'EINVAL', ['/dir']);
    await err(s.readlink('/hello.txt'), 'EINVAL', ['/hello.txt']);
    await err(s.stat('/hello.txt/x'), 'EINVAL', ['/hello.txt/x']);
    await err(s.readFile('/escape'), 'ENOENT', ['/escape']);
    // mount over a non-directory, over a missing path, on an occupied mountpoint, twice
    await err(s.mount('/dev/sda5', '/hello.txt'), 'EINVAL', ['/hello.txt', /not a directory/]);
    await err(s.mount('/dev/sda5', '/link'), 'EINVAL', ['/link']);
    await err(s.mount('/dev/sda5', '/nowhere'), 'ENOENT', ['/nowhere']);
    await err(s.mount('/dev/sda7', '/'), 'EBUSY', [/^\/: /]);
    await err(s.mount('/dev/vda1', '/dir'), 'EBUSY', ['/dev/sda1: already mounted']);
    await s.mount('/dev/sda5', '/dir');
    await err(s.umount('/'), 'EBUSY', ['/dir']);
    await err(s.umount('/etc'), 'EINVAL', ['/etc']);
    await s.umountAll();
    await err(s.mount('btrfsvol:/dev/sda1/@', '/'), 'ENOENT', ['btrfsvol:/dev/sda1/@']);

    expect(messages.length).toBeGreaterThan(25);
    for (const m of messages) {
      expect(m).not.toMatch(/\/dev\/(loop|nbd|dm-)|\/dev\/mapper\/joot|\/run\/joot|sysroot|<session>/);
    }
  });

  it('errors after close, and a failed launch, are in guest terms too', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    await s.mount('/dev/sda1', '/');
    await s.close();
    await expectJootError(s.readFile('/hello.txt'), 'ESTATE', [/closed/]);
    await expectJootError(s.mount('/dev/sda1', '/'), 'ESTATE', [/closed/]);
    await expectJootError(() => s.listPartitions(), 'ESTATE', [/closed/]);
    const bad = await h.image('corrupt-mbr.raw');
    const e = await expectJootError(h.open([await h.image('mbr.raw'), bad]), 'EFORMAT', [`${bad}:`]);
    expect(e).toBeInstanceOf(JootError);
  });

  it('accepted spellings map to the canonical names', async () => {
    const s = await h.open([await h.image('mbr.raw'), await h.image('gpt.raw'), await h.image('lvm.raw')]);
    await s.mount('/dev/vda1', '/');
    await s.mount('/dev/hda5', '/dir');
    await s.mount('btrfsvol:/dev/vdb4/@home', '/etc');
    await s.mount('/dev/mapper/vg0-root', '/dir/lost+found');
    expect(s.mountpoints().map((m) => [m.mountpoint, m.device])).toEqual([
      ['/', '/dev/sda1'],
      ['/dir', '/dev/sda5'],
      ['/dir/lost+found', '/dev/vg0/root'],
      ['/etc', 'btrfsvol:/dev/sdb4/@home'],
    ]);
    await s.umount('/dev/mapper/vg0-root');
    await s.umount('/dev/xvda5');
    await s.umount('btrfsvol:/dev/sdb4/@home');
    expect(s.mounts()).toEqual(['/dev/sda1']);
  });

  describe('the guest-rooted reader through the session (mbr.raw)', () => {
    it('/escape → /etc/shadow fails with ENOENT: the guest has none, the host’s is never read', async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      await s.mount('/dev/sda1', '/');
      const e = await expectJootError(s.readFile('/escape'), 'ENOENT', ['/escape']);
      expect(e.message).not.toMatch(/root:|\$[0-9y]\$/); // nothing of a shadow file
      expect(await s.exists('/escape')).toBe(false);
      expect(await s.isFile('/escape')).toBe(false);
      await expectJootError(s.stat('/escape'), 'ENOENT', ['/escape']);
      // the link itself is there, pointing where it says
      expect(await s.readlink('/escape')).toBe('/etc/shadow');
      expect(await s.lstat('/escape')).toMatchObject({ isSymbolicLink: true });
      await expectJootError(s.readFile('/etc/shadow'), 'ENOENT', ['/etc/shadow']);
    });

    it('/link → /etc/hostname reads the guest’s /etc/hostname', async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      await s.mount('/dev/sda1', '/');
      expect((await s.readFile('/link')).toString()).toBe('mbrhost\n');
      expect(await s.readlink('/link')).toBe('/etc/hostname');
      expect(await s.stat('/link')).toMatchObject({ isFile: true, isSymbolicLink: false, size: 8 });
      expect(await s.lstat('/link')).toMatchObject({ isSymbolicLink: true });
      expect(await s.isFile('/link')).toBe(true);
      // an absolute link resolves across a mount below the root, inside the guest
      await s.mount('/dev/sda7', '/etc');
      await expectJootError(s.readFile('/link'), 'ENOENT', ['/link']);
      expect(await s.readdir('/etc')).toEqual(['lost+found', 'seven.txt']);
      await s.umount('/etc');
      expect((await s.readFile('/link')).toString()).toBe('mbrhost\n');
    });

    it('.. never climbs above the guest root', async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      await s.mount('/dev/sda1', '/');
      expect((await s.readFile('/../../../../etc/hostname')).toString()).toBe('mbrhost\n');
      expect(await s.readdir('/dir/../..')).toEqual(['dir', 'escape', 'etc', 'hello.txt', 'link', 'lost+found']);
    });
  });
});
