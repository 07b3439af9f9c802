// jfish's read-only file commands give the same bytes on both engines: the same script of
// listings, stats, reads, searches, checksums and a tar-out run by `jfish --ro` once with the
// kernel engine (a kernel mount) and once with the userspace engine (the reader in-process), on
// a filesystem of each family the kernel here mounts itself (squashfs has its own fs-squashfs
// diff). The one field that differs by design is st_dev (a host device number against a
// per-mount one): it is left out.
// Runs against the built code: `npm run build` first.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { fixture, type FixtureName } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;

/** [fixture, jfish's -m for the Debian tree on / (DEVICE:/[:OPTIONS]), extra commands] */
const CASES: [FixtureName, string, string[]][] = [
  ['ext-debian-a.raw', '/dev/sda1:/', ['tar-out /joot-xattrs - xattrs:true selinux:true acls:true']],
  ['ext-debian-c.raw', '/dev/sda2:/', []],
  ['xfs-v5.raw', '/dev/sda:/', []],
  ['debian-btrfs.raw', '/dev/sda1:/:subvol=@', ['btrfs-subvolume-list /']],
];

const COMMON = [
  'll /',
  'll /etc',
  'ls /usr/share/doc',
  'find /etc',
  'stat /etc/passwd',
  'lstat /etc/os-release',
  'readlink /etc/os-release',
  'realpath /etc/os-release',
  'filesize /etc/passwd',
  'is-dir /usr/bin',
  'is-file /etc/os-release',
  'exists /nowhere',
  'cat /etc/hostname',
  'head-n 3 /etc/passwd',
  'tail /etc/group',
  'grep root /etc/passwd',
  'checksum sha256 /etc/passwd',
  'file /etc/passwd',
  'glob filesize /etc/*.conf',
  'tar-out /etc -',
];

const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };

async function script(engine: string, image: string, mount: string, cmds: string[]) {
  const args = [`--engine=${engine}`, '--ro', '-a', image, '-m', mount, ...cmds.flatMap((c, i) => [...(i ? [':'] : []), ...c.split(' ')])];
  const r = await execa(jfish, args, { reject: false, env, encoding: 'buffer', timeout: 300_000 });
  return { code: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString() };
}

/** st_dev differs by design between a host mount and an in-process one. */
const noDev = (b: Buffer): Buffer => Buffer.from(b.toString('latin1').replace(/^dev: \d+$/gm, 'dev: -'), 'latin1');

describe.skipIf(!ok)("jfish's read-only file commands: the userspace engine prints what the kernel engine prints", () => {
  for (const [name, mount, extra] of CASES) {
    it(`${name} (-m ${mount})`, { timeout: 900_000 }, async () => {
      const image = await fixture(name);
      const cmds = [...COMMON, ...extra];
      const k = await script('kernel', image, mount, cmds);
      const u = await script('userspace', image, mount, cmds);
      expect(k.code, k.stderr).toBe(0);
      expect(u.stderr).toBe(k.stderr);
      expect(u.code).toBe(0);
      expect(noDev(u.stdout).equals(noDev(k.stdout)), 'stdout differs').toBe(true);
    });
  }
});
