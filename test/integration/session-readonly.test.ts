// Session integration tests, read-only means read-only: the sha256 of each image file (and of a
// backing file) is the same before and after a read-only session that mounted every mountable
// filesystem in it and read its files — including dirty.raw, an ext4 whose journal needs
// recovery, which must still mount and read. Mount options are checked in /proc/self/mountinfo:
// always nosuid,nodev and (unless exec is asked for) noexec; ro on read-only drives, rw on a
// read-write session. Real images, no mocks; every session is closed in afterEach and the host is
// checked to be as it was.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/appliance/index.js';
import { FIXTURES_DIR, type FixtureName } from '../fixtures/index.js';
import { CAN_RUN, expectJootError, Harness, HAVE_FUSEFAT, HAVE_NTFS3G, readAllTopLevel, sha256 } from './session-helpers.js';

const h = new Harness('readonly');

/**
 * Mount every filesystem the session lists, one at a time on /, and read what is there.
 * Returns how many were mounted and the files read (name → content) per filesystem.
 */
async function mountEverything(s: Session): Promise<Map<string, Map<string, Buffer>>> {
  const read = new Map<string, Map<string, Buffer>>();
  for (const f of s.filesystems()) {
    if (f.type === 'swap' || f.type === 'unknown') continue;
    if (f.type === 'vfat' && !HAVE_FUSEFAT) continue;
    if (f.type === 'ntfs' && !HAVE_NTFS3G) continue;
    await s.mount(f.name, '/');
    const files = await readAllTopLevel(s);
    // and one level down, for the fixtures that keep their files in directories
    for (const name of await s.readdir('/')) {
      if (name !== 'lost+found' && (await s.isDir(`/${name}`))) for (const [k, v] of await readAllTopLevel(s, `/${name}`)) files.set(k, v);
    }
    read.set(f.name, files);
    // every mount of a read-only drive is read-only and hardened
    for (const m of h.guestMounts())
      expect(m.mountOptions, `${f.name}: ${m.mountOptions.join(',')}`).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    await s.umount('/');
  }
  return read;
}

interface Snap {
  sha: string;
  mtimeMs: number;
  size: number;
}
async function snap(file: string): Promise<Snap> {
  const st = statSync(file);
  return { sha: await sha256(file), mtimeMs: st.mtimeMs, size: st.size };
}

const text = (files: Map<string, Map<string, Buffer>>, fs: string, file: string): string | undefined =>
  files.get(fs)?.get(file)?.toString();

describe.skipIf(!CAN_RUN)('Session: read-only means read-only', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  const cases: {
    images: FixtureName[];
    also?: FixtureName[];
    backend?: 'fuse';
    backingImages?: string[];
    check: (r: Map<string, Map<string, Buffer>>) => void;
  }[] = [
    {
      images: ['mbr.raw'],
      check: (r) => {
        expect([...r.keys()]).toEqual(['/dev/sda1', '/dev/sda5', '/dev/sda7']);
        expect(text(r, '/dev/sda1', '/hello.txt')).toBe('hello from mbr\n');
        expect(text(r, '/dev/sda1', '/etc/hostname')).toBe('mbrhost\n');
        expect(text(r, '/dev/sda1', '/link')).toBe('mbrhost\n');
        expect(text(r, '/dev/sda5', '/five.txt')).toBe('five\n');
        expect(text(r, '/dev/sda7', '/seven.txt')).toBe('seven\n');
      },
    },
    {
      images: ['mbr.raw'],
      backend: 'fuse',
      check: (r) => expect(text(r, '/dev/sda1', '/hello.txt')).toBe('hello from mbr\n'),
    },
    {
      images: ['gpt.raw'],
      check: (r) => {
        expect([...r.keys()].length).toBe(HAVE_FUSEFAT ? 7 : 6);
        if (HAVE_FUSEFAT) expect(r.has('/dev/sda1')).toBe(true);
        expect(text(r, '/dev/sda2', '/hello.txt')).toBe('hello from gpt\n');
        expect(text(r, '/dev/sda3', '/x.txt')).toBe('xfs\n');
        expect(text(r, 'btrfsvol:/dev/sda4/@', '/etc/hostname')).toBe('btrhost\n');
        expect(text(r, 'btrfsvol:/dev/sda4/@home', '/user/notes.txt')).toBe('notes\n');
        expect(text(r, 'btrfsvol:/dev/sda4/@home/snap', '/snap.txt')).toBe('snap\n');
      },
    },
    {
      images: ['lvm.raw'],
      check: (r) => {
        // split (two segments) and striped need device-mapper, which this host lacks: read in
        // userspace and exposed as read-only loop devices where the host has none
        expect([...r.keys()]).toEqual(['/dev/sda1', '/dev/vg0/home', '/dev/vg0/root', '/dev/vg0/split', '/dev/vg0/striped']);
        expect(text(r, '/dev/vg0/split', '/split.txt')).toBe('split\n');
        expect(text(r, '/dev/vg0/striped', '/striped.txt')).toBe('striped\n');
        expect(text(r, '/dev/vg0/root', '/hello.txt')).toBe('hello from lvm\n');
        expect(text(r, '/dev/vg0/home', '/user/home.txt')).toBe('home\n');
        expect(text(r, '/dev/sda1', '/grub.cfg')).toBe('# boot\n');
      },
    },
    {
      images: ['three.qcow2'],
      check: (r) => {
        expect(text(r, '/dev/sda1', '/one.txt')).toBe('1\n');
        expect(text(r, '/dev/sda2', '/two.txt')).toBe('2\n');
        expect(text(r, '/dev/sda3', '/three.txt')).toBe('3\n');
      },
    },
    {
      images: ['overlay.qcow2'],
      also: ['base-for-overlay.raw'],
      // its base lies outside its directory (here): allowed by name, as joot's registered images
      backingImages: [path.join(FIXTURES_DIR, 'base-for-overlay.raw')],
      check: (r) => expect(text(r, '/dev/sda1', '/overlay.txt')).toBe('from overlay\n'),
    },
    {
      images: ['dirty.raw'],
      check: (r) => {
        expect(text(r, '/dev/sda', '/dirty.txt')).toBe('dirty\n');
        for (let i = 1; i <= 5; i++) expect(text(r, '/dev/sda', `/files/f${i}.txt`)).toBe(`file ${i}\n`);
      },
    },
    {
      images: ['dirty.raw'],
      backend: 'fuse',
      check: (r) => expect(text(r, '/dev/sda', '/dirty.txt')).toBe('dirty\n'),
    },
    {
      images: ['ntfs.raw'],
      check: (r) => {
        if (HAVE_NTFS3G) expect(text(r, '/dev/sda1', '/hello.txt')).toBe('hello from ntfs\n');
      },
    },
    {
      images: ['mbr.raw', 'gpt.raw', 'lvm.raw'],
      check: (r) => {
        expect(text(r, '/dev/sda1', '/hello.txt')).toBe('hello from mbr\n');
        expect(text(r, '/dev/sdb2', '/hello.txt')).toBe('hello from gpt\n');
        expect(text(r, '/dev/vg0/root', '/hello.txt')).toBe('hello from lvm\n');
      },
    },
  ];

  for (const c of cases) {
    const title = `${c.images.join(' + ')}${c.also ? ` (and its base ${c.also.join(', ')})` : ''}${c.backend ? ` via ${c.backend}` : ''}: same bytes after mounting and reading everything`;
    it(title, async () => {
      const files = await Promise.all(c.images.map((n) => h.image(n)));
      const others = c.also ? await Promise.all(c.also.map((n) => h.image(n))) : [];
      // overlay.qcow2 reads its base by absolute path: the fixture itself, not our hard link
      const watched = [...files, ...others];
      const before = await Promise.all(watched.map(snap));
      const s = await h.open(files, {
        ...(c.backend ? { backend: c.backend } : {}),
        ...(c.backingImages ? { backingImages: c.backingImages } : {}),
      });
      expect(s.readonly).toBe(true);
      c.check(await mountEverything(s));
      await s.close();
      const after = await Promise.all(watched.map(snap));
      expect(after).toEqual(before);
    });
  }

  it('dirty.raw still needs recovery after a read-only session (the journal was not replayed)', async () => {
    const img = await h.image('dirty.raw');
    const s = await h.open([img]);
    await s.mount('/dev/sda', '/');
    expect((await s.readFile('/dirty.txt')).toString()).toBe('dirty\n');
    // no replay on a read-only device: noload (shown as norecovery) in the super options
    const [m] = h.guestMounts();
    expect(m!.superOptions).toEqual(expect.arrayContaining(['ro', 'norecovery']));
    await s.close();
    const header = execFileSync('dumpe2fs', ['-h', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(header).toMatch(/^Filesystem features:.*\bneeds_recovery\b/m);
  });

  describe('mount options', () => {
    it('read-only session: ro,nosuid,nodev,noexec on every mount, whatever the caller asks', async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      await s.mount('/dev/sda1', '/');
      // asking for a writable mount of a read-only drive still gives a read-only one
      await s.mount('/dev/sda5', '/dir', { readonly: false });
      const ms = h.guestMounts();
      expect(ms.map((m) => m.guest)).toEqual(['/', '/dir']);
      for (const m of ms) expect(m.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
      expect(s.mountpoints().map((m) => m.readonly)).toEqual([true, true]);
    });

    it("a caller's suid / dev / exec option is refused; nothing is mounted", async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      for (const opt of ['suid', 'dev', 'exec', 'noatime,suid', 'dev,noatime']) {
        await expectJootError(s.mount('/dev/sda1', '/', { options: opt }), 'EPERM', [/'(suid|dev|exec)'/]);
      }
      await expectJootError(s.mount('/dev/sda1', '/', { options: 'rw' }), 'EINVAL', ['rw']);
      expect(s.mountpoints()).toEqual([]);
      expect(h.guestMounts()).toEqual([]);
      // harmless options pass through
      await s.mount('/dev/sda1', '/', { options: 'noatime' });
      expect(h.guestMounts()[0]!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec', 'noatime']));
    });

    it('exec: true drops noexec (and only that)', async () => {
      const s = await h.open([await h.image('mbr.raw')]);
      await s.mount('/dev/sda1', '/', { exec: true });
      await s.mount('/dev/sda5', '/dir');
      const [root, dir] = h.guestMounts();
      expect(root!.mountOptions).not.toContain('noexec');
      expect(root!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev']));
      expect(dir!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
      await expectJootError(s.mount('/dev/sda7', '/etc', { exec: true, options: 'suid' }), 'EPERM', ['suid']);
    });

    it('read-write session (on a copy): mounts are rw, still nosuid,nodev,noexec; readonly: true gives ro', async () => {
      const copy = await h.image('mbr.raw', 'copy');
      const s = await h.open([[copy, { readonly: false }]]);
      expect(s.readonly).toBe(false);
      await s.mount('/dev/sda1', '/');
      await s.mount('/dev/sda5', '/dir', { readonly: true });
      const [root, dir] = h.guestMounts();
      expect(root!.mountOptions).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
      expect(dir!.mountOptions).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
      expect(s.mountpoints()).toEqual([
        { device: '/dev/sda1', mountpoint: '/', vfstype: 'ext4', readonly: false },
        { device: '/dev/sda5', mountpoint: '/dir', vfstype: 'ext2', readonly: true },
      ]);
      expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
    });

    it('mixed session: a read-write drive and a read-only one', async () => {
      const copy = await h.image('mbr.raw', 'copy');
      const ro = await h.image('gpt.raw');
      const before = await snap(ro);
      const s = await h.open([[copy, { readonly: false }], ro]);
      expect(s.readonly).toBe(false);
      await s.mount('/dev/sda1', '/');
      await s.mount('/dev/sdb2', '/dir');
      const [a, b] = h.guestMounts();
      expect(a!.mountOptions).toContain('rw');
      expect(b!.mountOptions).toContain('ro');
      expect(s.mountpoints().map((m) => m.readonly)).toEqual([false, true]);
      await s.close();
      expect(await snap(ro)).toEqual(before);
    });

    it.skipIf(!HAVE_NTFS3G || !HAVE_FUSEFAT)('read-write session: the FUSE drivers mount rw too (ntfs-3g, fusefat)', async () => {
      const s = await h.open([
        [await h.image('ntfs.raw', 'copy'), { readonly: false }],
        [await h.image('gpt.raw', 'copy'), { readonly: false }],
      ]);
      await s.mount('/dev/sdb2', '/'); // ext4, with an /etc to mount on
      await s.mount('/dev/sda1', '/etc');
      expect((await s.readFile('/etc/hello.txt')).toString()).toBe('hello from ntfs\n');
      let ms = h.guestMounts();
      expect(ms.map((m) => [m.guest, m.fstype])).toEqual([
        ['/', 'ext4'],
        ['/etc', 'fuseblk'],
      ]);
      for (const m of ms) expect(m.mountOptions).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
      await s.umount('/etc');
      await s.mount('/dev/sdb1', '/etc');
      expect((await s.readFile('/etc/EFI/BOOT/hello.txt')).toString()).toBe('hello from esp\n');
      ms = h.guestMounts();
      expect(ms.map((m) => [m.guest, m.fstype])).toEqual([
        ['/', 'ext4'],
        ['/etc', 'fuse.fusefat'],
      ]);
      for (const m of ms) expect(m.mountOptions).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));
    });
  });
});
