// Session integration tests, filesystems: ext2, ext4, xfs, btrfs (and its subvolumes), swap
// (listed, never mounted), vfat through the kernel's driver where it has one (loaded or
// loadable: the stock-kernel VM), else fusefat (this host), and ntfs through ntfs-3g, with vfs-type / vfs-label / vfs-uuid as in the fixture contract. Real images, no
// mocks; every session is closed in afterEach and the host is checked to be as it was.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kernelFilesystems } from '../../src/appliance/kernel-fs.js';
import {
  CAN_RUN,
  descendants,
  expectJootError,
  GPT_FILESYSTEMS,
  Harness,
  HAVE_FUSEFAT,
  HAVE_NTFS3G,
  MBR_FILESYSTEMS,
} from './session-helpers.js';

const h = new Harness('filesystems');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KERNEL_VFAT = kernelFilesystems().has('vfat');
const VFAT_BY = KERNEL_VFAT ? 'the kernel' : 'fusefat';
const HAVE_UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].some((p) => existsSync(p));

/** Does process `pid` (in its own mount namespace) see a fuseblk mount of ours? */
function copiedInto(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .some((l) => l.includes(h.dir) && l.includes(' fuseblk '));
  } catch {
    return false;
  }
}

describe.skipIf(!CAN_RUN)('Session: filesystems', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('vfs-type, vfs-label and vfs-uuid of every filesystem of mbr.raw and gpt.raw', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    for (const f of MBR_FILESYSTEMS) {
      expect(await s.vfsType(f.name), f.name).toBe(f.type);
      expect(await s.vfsLabel(f.name), f.name).toBe(f.label);
      expect(await s.vfsUuid(f.name), f.name).toBe(f.uuid);
    }
    await s.close();
    const g = await h.open([await h.image('gpt.raw')]);
    for (const f of GPT_FILESYSTEMS) {
      expect(await g.vfsType(f.name), f.name).toBe(f.type);
      expect(await g.vfsLabel(f.name), f.name).toBe(f.label);
      expect(await g.vfsUuid(f.name), f.name).toBe(f.uuid);
    }
    // a disk with a partition table has no filesystem type of its own
    expect(await g.vfsType('/dev/sda')).toBe('');
  });

  it('ext4 and ext2 (mbr.raw): mounted read-only and read', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    await s.mount('/dev/sda1', '/');
    await s.mount('/dev/sda5', '/dir');
    expect(s.mountpoints()).toEqual([
      { device: '/dev/sda1', mountpoint: '/', vfstype: 'ext4', readonly: true },
      { device: '/dev/sda5', mountpoint: '/dir', vfstype: 'ext2', readonly: true },
    ]);
    expect(await s.readdir('/')).toEqual(['dir', 'escape', 'etc', 'hello.txt', 'link', 'lost+found']);
    expect(await s.readdir('/dir')).toEqual(['five.txt', 'lost+found']);
    expect((await s.readFile('/dir/five.txt')).toString()).toBe('five\n');
    const m = h.guestMounts();
    expect(m.map((x) => x.guest)).toEqual(['/', '/dir']);
    expect(m[0]!.fstype).toBe('ext4');
    expect(['ext2', 'ext4']).toContain(m[1]!.fstype); // the ext4 driver serves ext2 where the kernel lists no ext2
    await s.umount('/dir');
    expect(await s.readdir('/dir')).toEqual(['a.txt']);
    await s.mount('/dev/sda7', '/dir');
    expect((await s.readFile('/dir/seven.txt')).toString()).toBe('seven\n');
    const st = await s.stat('/dir/seven.txt');
    expect(st).toMatchObject({ isFile: true, isDirectory: false, size: 6 });
  });

  it('xfs (gpt.raw /dev/sda3)', async () => {
    const s = await h.open([await h.image('gpt.raw')]);
    await s.mount('/dev/sda3', '/');
    expect(await s.readdir('/')).toEqual(['x.txt']);
    expect((await s.readFile('/x.txt')).toString()).toBe('xfs\n');
    expect(h.guestMounts().map((m) => m.fstype)).toEqual(['xfs']);
  });

  it('btrfs: top level, and the subvolumes @, @home, @home/snap listed and mountable', async () => {
    const s = await h.open([await h.image('gpt.raw')]);
    expect(
      s
        .filesystems()
        .filter((f) => f.name.startsWith('btrfsvol:'))
        .map((f) => f.name),
    ).toEqual(['btrfsvol:/dev/sda4/@', 'btrfsvol:/dev/sda4/@home', 'btrfsvol:/dev/sda4/@home/snap']);
    // the device itself: the default subvolume, the top level
    await s.mount('/dev/sda4', '/');
    expect(await s.readdir('/')).toEqual(['@', '@home']);
    await s.umount('/');

    await s.mount('btrfsvol:/dev/sda4/@', '/');
    expect((await s.readFile('/etc/hostname')).toString()).toBe('btrhost\n');
    await s.umount('/');

    await s.mount('btrfsvol:/dev/sda4/@home', '/');
    expect((await s.readFile('/user/notes.txt')).toString()).toBe('notes\n');
    expect(await s.readdir('/')).toEqual(['snap', 'user']);
    // the nested subvolume mounted below it
    await s.mount('btrfsvol:/dev/sda4/@home/snap', '/user');
    expect(await s.readdir('/user')).toEqual(['snap.txt']);
    expect((await s.readFile('/user/snap.txt')).toString()).toBe('snap\n');
    expect(s.mountpoints()).toEqual([
      { device: 'btrfsvol:/dev/sda4/@home', mountpoint: '/', vfstype: 'btrfs', readonly: true },
      { device: 'btrfsvol:/dev/sda4/@home/snap', mountpoint: '/user', vfstype: 'btrfs', readonly: true },
    ]);
    // each subvolume is what the kernel mounted
    expect(h.guestMounts().map((m) => [m.guest, m.superOptions.find((o) => o.startsWith('subvol='))])).toEqual([
      ['/', 'subvol=/@home'],
      ['/user', 'subvol=/@home/snap'],
    ]);
    await s.umountAll();

    expect(await s.vfsType('btrfsvol:/dev/sda4/@home')).toBe('btrfs');
    expect(await s.vfsLabel('btrfsvol:/dev/sda4/@home/snap')).toBe('btr');
    expect(await s.vfsUuid('btrfsvol:/dev/sda4/@')).toBe('6a700000-0000-4000-8000-000000000004');
    await expectJootError(s.mount('btrfsvol:/dev/sda4/@nope', '/'), 'ENOENT', ['btrfsvol:/dev/sda4/@nope']);
    await expectJootError(s.mount('btrfsvol:/dev/sda3/@', '/'), 'ENOENT', ['btrfsvol:/dev/sda3/@']);
  });

  it('mount btrfsvol:/dev/sda4/@home at / and read /user/notes.txt', async () => {
    const s = await h.open([await h.image('gpt.raw')]);
    await s.mount('btrfsvol:/dev/sda4/@home', '/');
    expect((await s.readFile('/user/notes.txt')).toString()).toBe('notes\n');
  });

  it('swap is listed but refused by mount with a clear error', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    expect(s.listFilesystems().get('/dev/sda6')).toBe('swap');
    expect(await s.vfsType('/dev/sda6')).toBe('swap');
    await expectJootError(s.mount('/dev/sda6', '/'), 'EINVAL', ['/dev/sda6', 'swap', 'not a mountable filesystem']);
    await s.mount('/dev/sda1', '/');
    await expectJootError(s.mount('/dev/sda6', '/dir'), 'EINVAL', ['/dev/sda6', 'swap']);
    // even when the caller names a type
    await expectJootError(s.mount('/dev/sda6', '/dir', { vfstype: 'ext4' }), 'ECMD', ['/dev/sda6']);
    expect(s.mounts()).toEqual(['/dev/sda1']);
    expect(h.guestMounts().map((m) => m.guest)).toEqual(['/']);
  });

  it.skipIf(!KERNEL_VFAT && !HAVE_FUSEFAT)(`vfat through ${VFAT_BY} (gpt.raw /dev/sda1): read /EFI/BOOT/hello.txt`, async () => {
    const s = await h.open([await h.image('gpt.raw')]);
    await s.mount('/dev/sda1', '/');
    expect((await s.readFile('/EFI/BOOT/hello.txt')).toString()).toBe('hello from esp\n');
    expect(await s.readdir('/EFI')).toEqual(['BOOT']);
    // fusefat shows 8.3 names as stored (mtools wrote no long name for an all-lowercase 8.3
    // name, only the NT lower-case flags, which fusefat ignores); lookups are case-insensitive
    expect((await s.readdir('/EFI/BOOT')).map((n) => n.toLowerCase())).toEqual(['hello.txt']);
    expect(await s.isDir('/EFI')).toBe(true);
    expect(s.mountpoints()).toEqual([{ device: '/dev/sda1', mountpoint: '/', vfstype: 'vfat', readonly: true }]);
    const [m] = h.guestMounts();
    expect(m!.fstype).toBe(KERNEL_VFAT ? 'vfat' : 'fuse.fusefat');
    expect(m!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(descendants().filter((p) => p.cmd.includes('fusefat'))).toHaveLength(KERNEL_VFAT ? 0 : 1);
    // unmounting stops the driver
    await s.umount('/');
    expect(descendants().filter((p) => p.cmd.includes('fusefat'))).toEqual([]);
    // and it can be mounted again, below an ext4 root this time
    await s.mount('/dev/sda2', '/');
    await s.mount('/dev/sda1', '/etc');
    expect((await s.readFile('/etc/EFI/BOOT/hello.txt')).toString()).toBe('hello from esp\n');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from gpt\n');
  });

  it.skipIf(!HAVE_NTFS3G)('ntfs through ntfs-3g (ntfs.raw /dev/sda1): type, label, uuid, /hello.txt', async () => {
    const s = await h.open([await h.image('ntfs.raw')]);
    expect(s.partitions()).toMatchObject([
      { name: '/dev/sda1', scheme: 'dos', type: '0x7', uuid: '4e544653-01', start: 1024 * 1024, size: 31 * 1024 * 1024 },
    ]);
    expect(s.filesystems()).toEqual([{ name: '/dev/sda1', type: 'ntfs', label: 'winvol', uuid: '4E54465300000001' }]);
    expect(await s.vfsType('/dev/sda1')).toBe('ntfs');
    expect(await s.vfsLabel('/dev/sda1')).toBe('winvol');
    expect(await s.vfsUuid('/dev/sda1')).toBe('4E54465300000001');
    await s.mount('/dev/sda1', '/');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from ntfs\n');
    expect(await s.readdir('/')).toContain('hello.txt');
    expect(await s.stat('/hello.txt')).toMatchObject({ isFile: true, size: 16 });
    const [m] = h.guestMounts();
    expect(m!.fstype).toBe('fuseblk');
    expect(m!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    expect(descendants().filter((p) => p.cmd.includes('ntfs-3g'))).toHaveLength(1);
    await s.umount('/');
    expect(descendants().filter((p) => p.cmd.includes('ntfs-3g'))).toEqual([]);
  });

  it.skipIf(!HAVE_NTFS3G || !HAVE_UNSHARE)('close does not wait for a FUSE mount copied into another mount namespace', async () => {
    const s = await h.open([await h.image('ntfs.raw')]);
    await s.mount('/dev/sda1', '/');
    // someone unshares a mount namespace while the session has its mounts (as every joot tool
    // started through bin/launch.sh does): that namespace gets a copy of the ntfs-3g mount
    const other = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '30'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !copiedInto(other.pid!); i++) await new Promise((r) => setTimeout(r, 10));
      expect(copiedInto(other.pid!)).toBe(true);
      const t0 = Date.now();
      await s.close();
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(descendants().filter((p) => p.cmd.includes('ntfs-3g'))).toEqual([]);
    } finally {
      other.kill('SIGKILL');
      if (other.exitCode === null && other.signalCode === null) await new Promise((r) => other.once('exit', r));
    }
  });

  it.skipIf(!HAVE_UNSHARE)('a joot tool started meanwhile drops its copy of the mounts: the device mounts again read-only', async () => {
    // This process is in the host's mount namespace (as any program using the library): a tool
    // started through bin/ gets a private namespace, a copy of this one. Were the copy of the
    // read-write mount kept, the filesystem would stay active after the umount below, and the
    // read-only mount (inspection's) would fail "already mounted".
    const s = await h.open([[await h.image('sample.raw', 'copy'), { format: 'raw', readonly: false }]]);
    await s.mount('/dev/sda2', '/');
    const [m] = h.guestMounts();
    const tool = spawn(join(repo, 'bin/jfish'), [], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, JOOT_NO_UNSHARE: '' } });
    try {
      let out = '';
      tool.stdout!.setEncoding('utf8');
      const ready = new Promise<void>((resolve, reject) => {
        tool.stdout!.on('data', (d: string) => {
          out += d;
          if (out.includes('ready')) resolve();
        });
        tool.once('exit', () => reject(new Error(`jfish exited early: ${out}`)));
      });
      tool.stdin!.end('echo ready\n!sleep 60\n'); // jfish reads its whole script first
      await ready;
      const theirs = readFileSync(`/proc/${tool.pid}/mountinfo`, 'utf8');
      expect(readlinkSync(`/proc/${tool.pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      expect(theirs).not.toContain(` ${m!.mountpoint} `);
      await s.umount('/');
      await s.mount('/dev/sda2', '/', { readonly: true });
      expect((await s.readFile('/etc/hostname')).toString()).toBe('sample\n');
    } finally {
      tool.kill('SIGTERM');
      if (tool.exitCode === null && tool.signalCode === null) await new Promise((r) => tool.once('exit', r));
    }
  });

  it.skipIf(!HAVE_UNSHARE)('another program unshared meanwhile holds a copy for a second: the read-only mount waits it out', async () => {
    // not a joot tool, so nothing drops the copy: the filesystem stays active until the program ends
    const s = await h.open([[await h.image('sample.raw', 'copy'), { format: 'raw', readonly: false }]]);
    await s.mount('/dev/sda2', '/');
    const [m] = h.guestMounts();
    const other = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '1'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200; i++) {
        let theirs = '';
        try {
          theirs = readFileSync(`/proc/${other.pid}/mountinfo`, 'utf8');
        } catch {
          // not started yet
        }
        if (readlinkSync(`/proc/${other.pid}/ns/mnt`) !== readlinkSync('/proc/self/ns/mnt') && theirs.includes(` ${m!.mountpoint} `)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await s.umount('/');
      await s.mount('/dev/sda2', '/', { readonly: true });
      expect((await s.readFile('/etc/hostname')).toString()).toBe('sample\n');
    } finally {
      if (other.exitCode === null && other.signalCode === null) await new Promise((r) => other.once('exit', r));
    }
  });

  it.skipIf(!HAVE_NTFS3G)('a wrong vfstype through a FUSE driver fails cleanly', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    await expectJootError(s.mount('/dev/sda1', '/', { vfstype: 'ntfs' }), 'ECMD', ['ntfs-3g', '/dev/sda1']);
    expect(s.mountpoints()).toEqual([]);
    expect(descendants()).toEqual([]);
    await s.mount('/dev/sda1', '/');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
  });
});
