// The userspace engine's kernel fallback met while reading: a squashfs made by mksquashfs with
// `-comp xz -Xbcj arm`, whose file of ARM branch instructions is compressed through xz's ARM
// branch filter (which the reader does not implement: EUNSUPPORTED) while the rest of the image
// is not. The reader mounts it and serves what it reads; the first read of that file hands the
// filesystem to the kernel (one warning line, -v says so) for that read and the rest of the
// session. --no-kernel-mounts, kernel_mounts = never and a user other than root get the reader's
// refusal in one line saying why the kernel does not take over; inside jfish's sandbox, once a
// command ran, the line says how to run outside it. And each read-only tool takes
// --no-kernel-mounts, refusing in one line: jfish and jinspect an erofs (no reader at all),
// jwinreg a SOFTWARE hive that ntfs-3g marked as WOF-compressed (refused by the NTFS reader).
// Runs against the built code: `npm run build` first.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (tool: string) => join(repo, 'bin', tool);
const have = (check: string): boolean => {
  try {
    execFileSync('sh', ['-c', check], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ok =
  existsSync(join(repo, 'dist/bundle')) &&
  process.getuid?.() === 0 &&
  have('command -v mksquashfs && command -v unsquashfs && grep -qw squashfs /proc/filesystems');
const haveErofs = have('command -v mkfs.erofs && grep -qw erofs /proc/filesystems');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** 32,768 ARM BL instructions that all call one address: xz's ARM filter makes them one repeated word. */
function armCode(): Buffer {
  const b = Buffer.alloc(4 * 32768);
  for (let i = 0; i < 32768; i++) b.writeUInt32LE((0xeb000000 | (((0x100000 - (i * 4 + 8)) >> 2) & 0xffffff)) >>> 0, i * 4);
  return b;
}

describe.skipIf(!ok)('a feature the reader does not read, met while reading, hands the filesystem to the kernel', () => {
  let dir = '';
  let img = '';
  let imgHash = '';
  const arm = armCode();
  const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };
  // read in-process, then the ARM-filtered file (handed over), then in-process names again
  const cmd = (...pre: string[]) => [
    ...pre,
    '--engine=userspace',
    '--ro',
    '-a',
    img,
    'run',
    ':',
    'mount-ro',
    '/dev/sda',
    '/',
    ':',
    'cat',
    '/hello.txt',
    ':',
    'checksum',
    'sha256',
    '/arm.bin',
    ':',
    'ls',
    '/',
  ];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joot-engine-handover-'));
    chmodSync(dir, 0o755); // nobody reads the image too
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, 'hello.txt'), 'hello from squashfs\n');
    writeFileSync(join(tree, 'arm.bin'), arm);
    img = join(dir, 'arm.sqfs');
    execFileSync('mksquashfs', [tree, img, '-comp', 'xz', '-Xbcj', 'arm', '-noappend', '-quiet', '-all-root'], { stdio: 'ignore' });
    chmodSync(img, 0o644);
    // what this test stands on: the image does use the ARM filter (mksquashfs keeps it only where it wins)
    expect(execFileSync('unsquashfs', ['-s', img]).toString()).toMatch(/Filters selected: arm/);
    imgHash = sha(readFileSync(img));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('as root (outside the sandbox): one warning line; the read and the rest through the kernel; -v says which engine served what', async () => {
    const before = await snapshot({ paths: [dir] });
    const r = await execa(bin('jfish'), cmd('-v'), { reject: false, env: { ...env, JOOT_NO_SANDBOX: '1' } });
    expect(r.stdout).toBe(`hello from squashfs\n\n${sha(arm)}\narm.bin\nhello.txt`);
    expect(r.exitCode).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('joot: warning:'));
    expect(warnings).toEqual([
      'joot: warning: /dev/sda: squashfs: the xz filter ARM BCJ is not read: reading /dev/sda through a read-only kernel mount from here on',
    ]);
    expect(r.stderr).toContain('joot: mount /dev/sda on /: squashfs read in-process\n');
    expect(r.stderr).toMatch(/^joot: \/dev\/sda: squashfs served by the kernel \(read-only mount\)$/m);
    expect(sha(readFileSync(img))).toBe(imgHash);
    await expectNoLeftovers(before);
  });

  it("inside jfish's sandbox, after a command ran: one line saying how to run it outside", async () => {
    const r = await execa(bin('jfish'), cmd(), { reject: false, env });
    expect(r.stdout).toBe('hello from squashfs\n');
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      "jfish: checksum: /arm.bin: /dev/sda: squashfs: the xz filter ARM BCJ is not read: a kernel mount needs to run outside joot's sandbox (jfish ran cat: run it again with JOOT_NO_SANDBOX=1)",
    ]);
  });

  it('--no-kernel-mounts: that read refused in one line, the others served in-process', async () => {
    const before = await snapshot({ paths: [dir] });
    const r = await execa(bin('jfish'), cmd('--no-kernel-mounts'), { reject: false, env: { ...env, JOOT_NO_SANDBOX: '1' } });
    expect(r.stdout).toBe('hello from squashfs\n');
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'jfish: checksum: /arm.bin: /dev/sda: squashfs: the xz filter ARM BCJ is not read (the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never)',
    ]);
    await expectNoLeftovers(before);
  });

  it('kernel_mounts = never in the configuration: refused likewise', async () => {
    const cfg = join(dir, 'joot.cfg');
    writeFileSync(cfg, 'kernel_mounts = never\n');
    const r = await execa(bin('jfish'), cmd(), { reject: false, env: { ...env, JOOT_CONFIG: cfg, JOOT_NO_SANDBOX: '1' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'jfish: checksum: /arm.bin: /dev/sda: squashfs: the xz filter ARM BCJ is not read (the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never)',
    ]);
  });

  it('as nobody: refused in one line, saying the fallback needs root', async () => {
    const home = mkdtempSync(join(tmpdir(), 'joot-handover-home-'));
    chmodSync(home, 0o777);
    try {
      const before = await snapshot({ paths: [dir, home] });
      const r = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', bin('jfish'), ...cmd()], {
        reject: false,
        env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_RUNTIME_DIR: '', JOOT_CONFIG: '', JOOT_ENGINE: '' },
        extendEnv: false,
        input: '',
      });
      expect(r.stdout).toBe('hello from squashfs\n');
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toEqual([
        'jfish: checksum: /arm.bin: /dev/sda: squashfs: the xz filter ARM BCJ is not read (the kernel fallback needs root)',
      ]);
      await expectNoLeftovers(before);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe.skipIf(
  !(existsSync(join(repo, 'dist/bundle')) && process.getuid?.() === 0 && haveErofs && have('command -v ntfs-3g && command -v setfattr')),
)('every read-only tool takes --no-kernel-mounts, refusing in one line', () => {
  let dir = '';
  let img = '';
  const env = { ...process.env, JOOT_CONFIG: '', JOOT_ENGINE: '' };
  beforeAll(() => {
    // erofs: no reader reads it; a Debian root (jinspect's) with a Windows tree (jwinreg's)
    dir = mkdtempSync(join(tmpdir(), 'joot-no-kernel-mounts-'));
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'etc'), { recursive: true });
    mkdirSync(join(tree, 'Windows', 'System32', 'config'), { recursive: true });
    writeFileSync(join(tree, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n');
    writeFileSync(join(tree, 'etc', 'hostname'), 'erofs-guest\n');
    img = join(dir, 'erofs.img');
    execFileSync('mkfs.erofs', [img, tree], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refusal =
    /^\S+: .*\/dev\/sda: the userspace engine does not read erofs filesystems \(the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never\)\)?$/;

  it('jfish', async () => {
    const r = await execa(bin('jfish'), ['--no-kernel-mounts', '--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda', '/'], {
      reject: false,
      env,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(refusal);
  });

  it('jinspect', async () => {
    const r = await execa(bin('jinspect'), ['--no-kernel-mounts', img], { reject: false, env });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(refusal);
  });

  it("jinspect --batch: the image's error line says it", async () => {
    const r = await execa(bin('jinspect'), ['--batch', '--no-kernel-mounts', img], { reject: false, env });
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      image: img,
      ok: false,
      error:
        'no operating system found (/dev/sda: the userspace engine does not read erofs filesystems (the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never))',
    });
  });

  it('jwinreg (a SOFTWARE hive behind a WOF reparse point, set by ntfs-3g)', async () => {
    // a copy of windows.raw whose SOFTWARE hive ntfs-3g marks as WOF-compressed (its
    // system.ntfs_reparse_data: tag 0x80000017, WOF provider 2, XPRESS4K): the NTFS reader
    // refuses its contents, so the hive's read wants the kernel path
    const wof = join(dir, 'wof.raw');
    execFileSync('cp', ['--sparse=always', await fixture('windows.raw'), wof]);
    const part = JSON.parse(execFileSync('sfdisk', ['--json', wof]).toString()).partitiontable.partitions[0] as {
      start: number;
      size: number;
    };
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    const loop = execFileSync('losetup', ['-f', '--show', '-o', String(part.start * 512), '--sizelimit', String(part.size * 512), wof])
      .toString()
      .trim();
    try {
      execFileSync('ntfs-3g', [loop, mnt]);
      try {
        execFileSync('setfattr', [
          '-h',
          '-n',
          'system.ntfs_reparse_data',
          '-v',
          '0x170000801000000001000000020000000100000000000000',
          join(mnt, 'Windows/System32/config/SOFTWARE'),
        ]);
      } finally {
        execFileSync('umount', [mnt]);
      }
    } finally {
      execFileSync('losetup', ['-d', loop]);
    }
    const before = await snapshot({ paths: [dir] });
    const r = await execa(
      bin('jwinreg'),
      ['--no-kernel-mounts', wof, 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion', 'ProductName'],
      {
        reject: false,
        env,
      },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(
      /^jwinreg: .*\/dev\/sda1: ntfs: MFT record \d+: contents behind reparse tag 0x80000017 \(WOF or dedup\) are not read \(the kernel fallback is off: --no-kernel-mounts or kernel_mounts = never\)$/,
    );
    await expectNoLeftovers(before);
  });
});
