// Every read-only tool, run once more by an unprivileged user, prints what root prints (issue
// 15): jinspect of every inspection fixture; jfish's read-only file commands (listings, stats,
// reads, searches, checksums, df, tar-out, download and copy-out to a host directory) on a
// filesystem of every family the userspace engine reads; jwinreg's reads. nobody (setpriv to
// uid 65534, its own HOME, none of root's environment) and root both use the userspace engine
// (root's kernel engine is compared with it by engine-inspect-diff and engine-files-diff), so
// this proves that nothing the engine does depends on privilege. The images stay unchanged and
// nothing is left behind. Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { INSPECTION_FIXTURES } from './inspection-fixtures.js';
import { fileSha256 } from './file-digest.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (tool: string) => join(repo, 'bin', tool);
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0;

const INSPECTED = INSPECTION_FIXTURES;

/** [fixture, jfish's -m (DEVICE:/[:OPTIONS])] per filesystem family: each holds Debian's /etc */
const FILESYSTEMS: [FixtureName, string][] = [
  ['ext-debian-a.raw', '/dev/sda1:/'],
  ['xfs-v5.raw', '/dev/sda:/'],
  ['debian-btrfs.raw', '/dev/sda1:/:subvol=@'],
  ['fat32.raw', '/dev/sda:/'],
  ['exfat.raw', '/dev/sda:/'],
  ['ntfs-tree.raw', '/dev/sda1:/'],
  ['iso-debian.iso', '/dev/sda:/'],
  ['sqfs-zstd.sqfs', '/dev/sda:/'],
];

const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];

describe.skipIf(!ok)('read-only tools as nobody print what they print as root', () => {
  let home = '';
  const rootEnv = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: 'userspace' };

  /** `tool args` as root and as nobody, each with `out` (a host directory of its own) in place of OUT */
  async function both(tool: string, args: string[]) {
    const outs = ['root', 'nobody'].map((who) => {
      const d = join(home, who);
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d);
      if (who === 'nobody') execFileSync('chown', ['65534:65534', d]);
      return d;
    });
    const withOut = (d: string) => args.map((a) => a.replace('OUT', d));
    const asRoot = await execa(bin(tool), withOut(outs[0]!), { reject: false, env: rootEnv, input: '', encoding: 'buffer' });
    const asNobody = await execa('setpriv', [...NOBODY, bin(tool), ...withOut(outs[1]!)], {
      reject: false,
      env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_RUNTIME_DIR: '', JOOT_ENGINE: 'userspace' },
      extendEnv: false,
      input: '',
      encoding: 'buffer',
    });
    const view = (r: typeof asRoot, d: string) => ({
      code: r.exitCode,
      stderr: Buffer.from(r.stderr).toString(),
      stdout: createHash('sha256').update(Buffer.from(r.stdout)).digest('hex'),
      files: readdirSync(d, { recursive: true, encoding: 'utf8' })
        .sort()
        .map((f) => [f, lstatSync(join(d, f)).isFile() ? fileSha256(join(d, f)) : 'not a file']),
    });
    return { root: view(asRoot, outs[0]!), nobody: view(asNobody, outs[1]!) };
  }

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'joot-nonroot-reads-'));
    chmodSync(home, 0o755);
  });
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function check(images: string[], tool: string, args: string[]) {
    for (const img of images) {
      execFileSync('setpriv', [...NOBODY, 'head', '-c', '1', img], { stdio: 'ignore' }); // readable by nobody where it lies
    }
    const hashes = images.map(fileSha256);
    const before = await snapshot({ paths: [...images, home] });
    const r = await both(tool, args);
    expect(r.root.code, r.root.stderr).toBe(0);
    expect(r.nobody).toEqual(r.root);
    expect(images.map(fileSha256)).toEqual(hashes);
    for (const who of ['root', 'nobody']) rmSync(join(home, who), { recursive: true, force: true });
    expect(readdirSync(home)).toEqual([]);
    await expectNoLeftovers(before);
  }

  for (const name of INSPECTED) {
    it(`jinspect ${name}`, async () => {
      const img = await fixture(name);
      await check([img], 'jinspect', [img]);
    });
  }

  for (const [name, mount] of FILESYSTEMS) {
    it(`jfish --ro ${name} (-m ${mount})`, { timeout: 300_000 }, async () => {
      const img = await fixture(name);
      const cmds = [
        'll /',
        'find /etc/apt',
        'll /etc/apt',
        'df',
        'tar-out /etc/apt -',
        'copy-out /etc/apt OUT',
        'stat /etc/passwd',
        'cat /etc/passwd',
        'checksum sha256 /etc/passwd',
        'grep root /etc/passwd',
        'download /etc/passwd OUT/downloaded',
      ];
      await check([img], 'jfish', ['--ro', '-a', img, '-m', mount, ...cmds.flatMap((c, i) => [...(i ? [':'] : []), ...c.split(' ')])]);
    });
  }

  it('jwinreg reads and --export (win11.raw)', { timeout: 300_000 }, async () => {
    const img = await fixture('win11.raw');
    await check([img], 'jwinreg', [img, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', 'ProductName']);
    await check([img], 'jwinreg', ['--export', img, 'HKLM\\SYSTEM\\Select']);
  });
});
