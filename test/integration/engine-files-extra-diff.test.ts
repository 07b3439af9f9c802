// The read-only file commands of records/files-extra.ts print the same on both engines: one
// script run by `jfish --ro` with the kernel engine (a kernel mount) and with the userspace
// engine (the in-process reader). st_dev differs by design (a host device number against a
// per-mount one) and is left out.
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

const CASES: [FixtureName, string][] = [
  ['ext-debian-a.raw', '/dev/sda1:/'],
  ['xfs-v5.raw', '/dev/sda:/'],
];

const COMMANDS = [
  'is-symlink /etc/os-release',
  'is-fifo /etc/os-release followsymlinks:true',
  'is-blockdev /dev/sda',
  'is-chardev /etc/passwd',
  'is-socket /nowhere',
  'is-zero /etc/hostname',
  'case-sensitive-path /ETC/Passwd',
  'read-lines /etc/hostname',
  'read-file /etc/hostname',
  'wc-l /etc/passwd',
  'wc-w /etc/passwd',
  'wc-c /etc/passwd',
  'du /etc',
  'statns /etc/passwd',
  'lstatns /etc/os-release',
  'lstatnslist /etc passwd nope os-release',
  'strings /etc/passwd',
  'strings-e l /etc/passwd',
  'hexdump /etc/passwd',
  'find0 /etc -',
  'ls0 /etc -',
  'llz /etc',
];

const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };

async function script(engine: string, image: string, mount: string) {
  const args = [
    `--engine=${engine}`,
    '--ro',
    '-a',
    image,
    '-m',
    mount,
    ...COMMANDS.flatMap((c, i) => [...(i ? [':'] : []), ...c.split(' ')]),
  ];
  const r = await execa(jfish, args, { reject: false, env, encoding: 'buffer', timeout: 300_000 });
  return { code: r.exitCode, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr).toString() };
}

const noDev = (b: Buffer): string => b.toString('latin1').replace(/^( *st_dev): \d+$/gm, '$1: -');

describe.skipIf(!ok)('the extra read-only file commands: the userspace engine prints what the kernel engine prints', () => {
  for (const [name, mount] of CASES) {
    it(`${name} (-m ${mount})`, { timeout: 900_000 }, async () => {
      const image = await fixture(name);
      const k = await script('kernel', image, mount);
      const u = await script('userspace', image, mount);
      expect(k.code, k.stderr).toBe(0);
      expect(u.stderr).toBe(k.stderr);
      expect(u.code).toBe(0);
      expect(noDev(u.stdout)).toBe(noDev(k.stdout));
    });
  }
});
