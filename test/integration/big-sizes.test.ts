// Sizes and offsets beyond 2^53 are exact in what jfish prints (issue 12, point 9): a 1 EiB
// qcow2 (tiny on disk) for blockdev-getsize64 and part-list, an xfs guest holding a sparse file
// of an odd size above 2^60 for filesize, stat and ll, and raw images on a tmpfs (an ext4 /tmp
// cannot hold such files) for the image size: one a double holds exactly is used as it is, one it
// cannot (above 4 EiB) is refused with one line rather than rounded. Against the built bin/jfish; needs root.
// The tmpfs and the host mount used to make the xfs file are undone in finally/afterAll.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

// what this file checks is the kernel engine's (attach, mount, loop devices; exact sizes beyond
// 2^53, which the userspace readers refuse): the read-only tools' userspace default is set aside
process.env.JOOT_ENGINE = 'kernel';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping big size tests: ${skipReason}`);

const EiB = 2n ** 60n;
const ODD_FILE = EiB + 513n; // 1152921504606847489: String(Number(x)) would say ...847500

let dir = '';
let runDir = '';
let tmpfs = '';
let before: Snapshot;

async function jf(args: string[]) {
  const r = await execa(jfish, args, { reject: false, env: { JOOT_CONFIG: '', JOOT_RUN_DIR: runDir }, timeout: 120_000, cwd: dir });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
}

describe.skipIf(skipReason !== '')('sizes beyond 2^53', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'big-sizes-'));
    runDir = join(dir, 'run');
    tmpfs = join(dir, 'tmpfs');
    mkdirSync(tmpfs);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'big-sizes', tmpfs]);
    before = await snapshot({ paths: [dir], runDir });
  }, 60_000);

  afterAll(async () => {
    if (!dir) return;
    try {
      await expectNoLeftovers(before);
    } finally {
      await execa('umount', [tmpfs], { reject: false });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a 1 EiB qcow2: blockdev-getsize64 and part-list are exact', async () => {
    const img = join(dir, 'exa.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=2M', img, '1E']);
    const r = await jf([
      '-a',
      img,
      'run',
      ':',
      'blockdev-getsize64',
      '/dev/sda',
      ':',
      'part-init',
      '/dev/sda',
      'gpt',
      ':',
      'part-add',
      '/dev/sda',
      'p',
      '2048',
      '4095',
      ':',
      'part-add',
      '/dev/sda',
      'p',
      '4096',
      '-34',
      ':',
      'part-list',
      '/dev/sda',
      ':',
      'blockdev-getsize64',
      '/dev/sda2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // a negative end counts from the end of the disk, as parted does: -34 is GPT's last usable sector
    const end2 = EiB / 512n - 34n;
    const size2 = (end2 - 4096n + 1n) * 512n;
    expect(r.stdout.split('\n')).toEqual([
      String(EiB),
      '[0] = {',
      '  part_num: 1',
      `  part_start: ${2048 * 512}`,
      `  part_end: ${4096 * 512 - 1}`,
      `  part_size: ${2048 * 512}`,
      '}',
      '[1] = {',
      '  part_num: 2',
      `  part_start: ${4096 * 512}`,
      `  part_end: ${(end2 + 1n) * 512n - 1n}`,
      `  part_size: ${size2}`,
      '}',
      String(size2),
    ]);
    expect(r.stdout).toContain('1152921504606846976');
  }, 120_000);

  it('a file of 2^60+513 bytes on an xfs guest: filesize, stat and ll are exact', async () => {
    const img = join(dir, 'xfs.raw');
    await execa('truncate', ['-s', '300M', img]);
    await execa('mkfs.xfs', ['-q', img]);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    await execa('mount', ['-o', 'loop', img, mnt]);
    try {
      await execa('truncate', ['-s', String(ODD_FILE), join(mnt, 'big')]);
    } finally {
      await execa('umount', [mnt]);
    }
    const r = await jf([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount-ro',
      '/dev/sda',
      '/',
      ':',
      'filesize',
      '/big',
      ':',
      'stat',
      '/big',
      ':',
      'll',
      '/',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('1152921504606847489');
    expect(lines).toContain('size: 1152921504606847489');
    expect(lines.find((l) => l.endsWith(' big'))).toMatch(/ 1152921504606847489 .* big$/);
  }, 120_000);

  it('raw images: a size a double holds is exact, one it cannot is refused in one line', async () => {
    const exact = join(tmpfs, 'exact.raw');
    await execa('truncate', ['-s', String(EiB + 512n), exact]);
    const ok = await jf(['--ro', '-a', exact, 'run', ':', 'blockdev-getsize64', '/dev/sda']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('1152921504606847488');
    expect(ok.exitCode).toBe(0);

    // qemu-img rounds a raw size up to whole sectors; beyond 2^62 a double holds only multiples
    // of 1024, so 2^62 + 512 would be rounded: refused
    const odd = join(tmpfs, 'odd.raw');
    await execa('truncate', ['-s', String(4n * EiB + 512n), odd]);
    const bad = await jf(['--ro', '--format=raw', '-a', odd, 'run']);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^jfish: [^\n]*odd\.raw: a virtual size of 4611686018427388416 bytes is not supported[^\n]*$/);
    expect(bad.exitCode).toBe(1);
  }, 120_000);
});
