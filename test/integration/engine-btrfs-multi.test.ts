// A btrfs over several disks (btrfs-multi fixtures) through jfish on both engines: the kernel
// engine mounts it naming its other members (device=), the userspace engine reads them as the
// reader's siblings. Both list it once, on its first disk, with its subvolumes, and print the
// same for a script of listings, checksums and statvfs (a missing disk's unallocated space not
// counted, as the kernel counts it); also with a disk left out (mount option
// degraded), and for a raid0 filesystem given one disk of two, the same one-line error. No loop
// device, mount or helper is left behind.
// Runs against the built code: `npm run build` first.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;
const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };

const SCRIPT = [
  'list-filesystems',
  'mounts',
  'll /',
  'find /',
  'btrfs-subvolume-list /',
  'checksum sha256 /payload/random-6m.bin',
  'checksum sha256 /payload/text-2m.txt',
  'checksum sha256 /payload/sparse',
  'checksum sha256 /zstd/mixed.bin',
  'checksum sha256 /sub/random-3m.bin',
  'cat /snaps/sub-ro/in-sub.txt',
  'getxattrs /types/xattrs',
  'tar-out /etc -',
  'statvfs /',
];

/** [what, the disks in the order given, jfish's -m] */
const CASES: [string, FixtureName[], string][] = [
  ['raid1', ['btrfs-r1-a.raw', 'btrfs-r1-b.raw'], '/dev/sda:/'],
  ['raid10', ['btrfs-r10-a.raw', 'btrfs-r10-b.raw', 'btrfs-r10-c.raw', 'btrfs-r10-d.raw'], '/dev/sda:/'],
  ['raid0 data, raid1 metadata', ['btrfs-r0-a.raw', 'btrfs-r0-b.raw'], '/dev/sda:/'],
  ['raid10 given in another order', ['btrfs-r10-c.raw', 'btrfs-r10-a.raw', 'btrfs-r10-d.raw', 'btrfs-r10-b.raw'], '/dev/sda:/'],
  ['raid1 without its first disk', ['btrfs-r1-b.raw'], '/dev/sda:/:degraded'],
  ['raid10 without its second disk', ['btrfs-r10-a.raw', 'btrfs-r10-c.raw', 'btrfs-r10-d.raw'], '/dev/sda:/:degraded'],
  ['raid1c3', ['btrfs-r1c3-a.raw', 'btrfs-r1c3-b.raw', 'btrfs-r1c3-c.raw'], '/dev/sda:/'],
  ['raid1c3 with only its last disk', ['btrfs-r1c3-c.raw'], '/dev/sda:/:degraded'],
];

async function script(engine: string, images: string[], mount: string, cmds: string[]) {
  const args = [
    `--engine=${engine}`,
    '--ro',
    ...images.flatMap((i) => ['-a', i]),
    '-m',
    mount,
    ...cmds.flatMap((c, i) => [...(i ? [':'] : []), ...c.split(' ')]),
  ];
  const r = await execa(jfish, args, { reject: false, env, encoding: 'buffer', timeout: 300_000 });
  return { code: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString() };
}

describe.skipIf(!ok)('a multi-device btrfs: the userspace engine prints what the kernel engine prints', () => {
  for (const [what, names, mount] of CASES) {
    it(`${what} (-m ${mount})`, { timeout: 600_000 }, async () => {
      const images: string[] = [];
      for (const n of names) images.push(await fixture(n));
      const before = await snapshot({ paths: images });
      const k = await script('kernel', images, mount, SCRIPT);
      const u = await script('userspace', images, mount, SCRIPT);
      expect(k.code, k.stderr).toBe(0);
      expect(u.stderr).toBe(k.stderr);
      expect(u.code).toBe(0);
      const lines = u.stdout.toString('latin1').split('\n');
      // listed once, on the first disk given, with its two subvolumes
      expect(lines.slice(0, 3)).toEqual(['/dev/sda: btrfs', 'btrfsvol:/dev/sda/snaps/sub-ro: btrfs', 'btrfsvol:/dev/sda/sub: btrfs']);
      expect(u.stdout.equals(k.stdout), 'stdout differs').toBe(true);
      await expectNoLeftovers(before);
    });
  }

  it('a disk left out and no degraded: listed, but neither engine mounts it (one line each)', { timeout: 600_000 }, async () => {
    const images = [await fixture('btrfs-r1-a.raw')];
    const cmds = ['list-filesystems', 'ls /'];
    const k = await script('kernel', images, '/dev/sda:/', cmds);
    const u = await script('userspace', images, '/dev/sda:/', cmds);
    expect(k.code).not.toBe(0);
    expect(u.code).not.toBe(0);
    expect(u.stdout.toString()).toBe(k.stdout.toString());
    for (const r of [k, u]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(u.stderr).toMatch(
      /^jfish: .*\/dev\/sda: btrfs: device 2 \(uuid [0-9a-f-]{36}\) not among the session's devices \(mount with the option degraded/,
    );
  });

  it('raid0 data with a disk left out: listed, and the same one-line error for striped data', { timeout: 600_000 }, async () => {
    const images = [await fixture('btrfs-r0-b.raw')];
    const cmds = ['list-filesystems', 'cat /snaps/sub-ro/in-sub.txt', 'checksum sha256 /payload/random-6m.bin'];
    const k = await script('kernel', images, '/dev/sda:/:degraded', cmds);
    const u = await script('userspace', images, '/dev/sda:/:degraded', cmds);
    expect(u.stdout.toString()).toBe(k.stdout.toString());
    expect(u.stdout.toString()).toBe(
      '/dev/sda: btrfs\nbtrfsvol:/dev/sda/snaps/sub-ro: btrfs\nbtrfsvol:/dev/sda/sub: btrfs\nin the subvolume\n',
    );
    expect(k.code).not.toBe(0);
    expect(u.code).not.toBe(0);
    for (const r of [k, u]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(u.stderr).toMatch(/^jfish: checksum: \/payload\/random-6m\.bin: .*device 1 .*not among the session's devices\n?$/);
  });
});
