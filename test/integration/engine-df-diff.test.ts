// jfish's df and df-h give the same lines on both engines: `jfish --ro` once with the kernel
// engine (a kernel mount) and once with the userspace engine (the reader's statfs), for each
// filesystem the kernel here mounts and whose reader tells its usage (vfat, exfat and iso9660
// have no kernel driver here to compare with).
// Runs against the built code: `npm run build` first.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { type FixtureName, fixture } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;

/** [fixture, jfish's -m (DEVICE:/[:OPTIONS])] */
const CASES: [FixtureName, string][] = [
  ['ext-debian-a.raw', '/dev/sda1:/'],
  ['xfs-v5.raw', '/dev/sda:/'],
  ['xfs-scale.raw', '/dev/sda:/'],
  ['debian-btrfs.raw', '/dev/sda1:/:subvol=@'],
  ['btrfs-features.raw', '/dev/sda:/'],
  ['ntfs-tree.raw', '/dev/sda1:/'],
  ['sqfs-xz.sqfs', '/dev/sda:/'],
];

const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };

async function df(engine: string, image: string, mount: string) {
  const r = await execa(jfish, [`--engine=${engine}`, '--ro', '-a', image, '-m', mount, 'df', ':', 'df-h'], {
    reject: false,
    env,
    timeout: 120_000,
  });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ok)('df on both engines', () => {
  for (const [name, mount] of CASES) {
    it(name, { timeout: 300_000 }, async () => {
      const image = await fixture(name);
      const kernel = await df('kernel', image, mount);
      const user = await df('userspace', image, mount);
      expect(kernel.code, kernel.stderr).toBe(0);
      expect(kernel.stdout).toMatch(/^Filesystem +1K-blocks/);
      expect(user).toEqual(kernel);
    });
  }
});
