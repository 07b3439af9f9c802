// The userspace engine's kernel fallback: a filesystem no in-process reader reads (erofs, made
// by mkfs.erofs) is said in one line and, as root, mounted read-only through the kernel instead
// (its device exposed as a read-only loop device); --no-kernel-mounts (or `kernel_mounts =
// never`) refuses it in one line. Either way the image is unchanged and nothing is left behind.
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const haveErofs = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v mkfs.erofs && grep -qw erofs /proc/filesystems']);
    return true;
  } catch {
    return false;
  }
})();
const ok = existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0 && haveErofs;

describe.skipIf(!ok)('the userspace engine hands a filesystem it does not read to the kernel', () => {
  let dir = '';
  let img = '';
  let hash = '';
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joot-engine-fallback-'));
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    writeFileSync(join(tree, 'etc', 'hostname'), 'erofs-guest\n');
    img = join(dir, 'erofs.img');
    execFileSync('mkfs.erofs', [img, tree], { stdio: 'ignore' });
    hash = sha(img);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };
  const cmd = ['--engine=userspace', '--ro', '-a', '', 'run', ':', 'mount-ro', '/dev/sda', '/', ':', 'cat', '/etc/hostname'];

  it('as root: one warning line, then the files through a read-only kernel mount', async () => {
    const before = await snapshot({ paths: [dir] });
    const r = await execa(
      jfish,
      cmd.map((a) => a || img),
      { reject: false, env },
    );
    expect(r.stderr).toMatch(
      /^joot: warning: \/dev\/sda: the userspace engine does not read erofs filesystems: mounting it read-only through the kernel instead$/,
    );
    expect(r.stdout).toBe('erofs-guest\n');
    expect(r.exitCode).toBe(0);
    expect(sha(img)).toBe(hash);
    await expectNoLeftovers(before);
  });

  it('--no-kernel-mounts: refused in one line', async () => {
    const before = await snapshot({ paths: [dir] });
    const r = await execa(jfish, ['--no-kernel-mounts', ...cmd.map((a) => a || img)], { reject: false, env });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /\/dev\/sda: the userspace engine does not read erofs filesystems \(the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never\)$/m,
    );
    expect(sha(img)).toBe(hash);
    await expectNoLeftovers(before);
  });

  it('kernel_mounts = never in the configuration file: refused likewise', async () => {
    const cfg = join(dir, 'joot.cfg');
    writeFileSync(cfg, 'kernel_mounts = never\n');
    const r = await execa(
      jfish,
      cmd.map((a) => a || img),
      { reject: false, env: { ...env, JOOT_CONFIG: cfg } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /does not read erofs filesystems \(the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never\)\n?$/,
    );
  });
});
