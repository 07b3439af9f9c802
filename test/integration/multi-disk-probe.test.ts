// Issue 12, point 8: one blank disk must not hide the filesystems of the others. Each device is
// probed on its own, so a disk without any signature (before, between or after formatted ones)
// gets its own empty answer and every other disk its real one — for listing, mount, pvcreate and
// vgcreate alike. Runs the real bin/jfish against images made here (npm run build first).
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const skipReason = !existsSync(join(repo, 'dist/bundle/jfish.mjs'))
  ? 'jfish is not built (npm run build)'
  : process.getuid?.() !== 0
    ? 'needs root (loop devices, mounts)'
    : '';
if (skipReason) console.log(`skipping multi-disk probe tests: ${skipReason}`);

const MiB = 1024 * 1024;
let dir = '';
let before: Snapshot;

async function jf(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, JOOT_RUN_DIR: join(dir, 'run'), LC_ALL: 'C' };
  delete env.JOOT_TMPDIR;
  delete env.JOOT_BACKEND;
  const r = await execa(jfish, args, { reject: false, env, timeout: 120_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function blank(name: string): string {
  const p = join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, 32 * MiB);
  return p;
}

/** A whole-disk ext4 holding /hello.txt, made without a loop device. */
async function ext4(name: string, label: string): Promise<string> {
  const p = join(dir, name);
  const content = join(dir, `${name}.d`);
  await execa('mkdir', ['-p', content]);
  await execa('sh', ['-c', `printf '%s\\n' "${label}" > "${content}/hello.txt"`]);
  writeFileSync(p, '');
  truncateSync(p, 32 * MiB);
  await execa('mkfs.ext4', ['-q', '-F', '-L', label, '-d', content, p]);
  return p;
}

describe.skipIf(skipReason !== '')('every disk is probed: blank disks hide nothing (issue 12, point 8)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-multiprobe-'));
    before = await snapshot({ paths: [dir] });
  });
  afterAll(async () => {
    if (dir) {
      await expectNoLeftovers(before);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a blank disk before, between and after formatted ones: every ext4 is listed', async () => {
    const b1 = blank('b1.img');
    const b2 = blank('b2.img');
    const b3 = blank('b3.img');
    const d1 = await ext4('d1.img', 'one');
    const d2 = await ext4('d2.img', 'two');
    for (const [order, expected] of [
      [
        [b1, d1],
        ['/dev/sda: unknown', '/dev/sdb: ext4'],
      ],
      [
        [d1, b1],
        ['/dev/sda: ext4', '/dev/sdb: unknown'],
      ],
      [
        [b1, d1, b2, d2, b3],
        ['/dev/sda: unknown', '/dev/sdb: ext4', '/dev/sdc: unknown', '/dev/sdd: ext4', '/dev/sde: unknown'],
      ],
    ] as const) {
      const r = await jf(['--ro', ...order.flatMap((p) => ['-a', p]), 'run', ':', 'list-filesystems']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(expected);
    }
  });

  it('mount and read the ext4 that follows a blank disk, and its label', async () => {
    const b = blank('m-blank.img');
    const d = await ext4('m-data.img', 'behind');
    const r = await jf([
      '--ro',
      '-a',
      b,
      '-a',
      d,
      'run',
      ':',
      'vfs-label',
      '/dev/sdb',
      ':',
      'mount',
      '/dev/sdb',
      '/',
      ':',
      'cat',
      '/hello.txt',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('behind\nbehind\n');
  });

  it('pvcreate then vgcreate on a disk next to blank ones sees the new PV', async () => {
    const b = blank('p-blank.img');
    const p = blank('p-pv.img');
    const d = await ext4('p-data.img', 'keep');
    const r = await jf([
      '-a',
      b,
      '-a',
      p,
      '-a',
      d,
      'run',
      ':',
      'pvcreate',
      '/dev/sdb',
      ':',
      'vgcreate',
      'vgx',
      '/dev/sdb',
      ':',
      'pvs',
      ':',
      'vgs',
      ':',
      'list-filesystems',
    ]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['/dev/sdb', 'vgx', '/dev/sda: unknown', '/dev/sdc: ext4']);
  });
});
