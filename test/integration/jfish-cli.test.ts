// The real bin/jfish against a real image built here: a 16 MiB raw disk, MBR with two ext4
// partitions made by mke2fs -d at their offsets (no loop device needed to build it).
// Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/appliance/session.js')) && existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const skipReason = !built
  ? 'dist/src/appliance/session.js or dist/src/tools/jfish/main.js is not built yet (run npm run build)'
  : !root
    ? 'needs root (loop devices, mounts)'
    : '';
if (skipReason) console.log(`skipping jfish CLI integration tests: ${skipReason}`);

const UUID1 = '0b3c9a52-5e2f-4b1a-9d7e-1f2a3b4c5d6e';
const MiB = 1024 * 1024;

let dir = '';
let img = '';
let before: { mounts: string[]; loops: string[] };

function jootLines(lines: string[]): string[] {
  return lines.filter((l) => /joot/i.test(l) || l.includes(dir));
}
async function loopLines(): Promise<string[]> {
  return (await execa('losetup', ['-a'], { reject: false })).stdout.split('\n').filter(Boolean);
}
function mountLines(): string[] {
  return readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean);
}
function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Run bin/jfish; output kept byte-exact. */
function run(args: string[], env: Record<string, string> = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, env, timeout: 60_000 });
}

async function buildImage(): Promise<void> {
  const d1 = join(dir, 'p1');
  const d2 = join(dir, 'p2');
  mkdirSync(join(d1, 'etc'), { recursive: true });
  mkdirSync(d2);
  writeFileSync(join(d1, 'hello.txt'), 'hello from joot\n');
  writeFileSync(join(d1, 'etc', 'hostname'), 'testhost\n');
  writeFileSync(join(d2, 'big.bin'), Buffer.alloc(3 * MiB, 'x'));
  img = join(dir, 'disk.img');
  writeFileSync(img, '');
  await execa('truncate', ['-s', '16M', img]);
  // p1: sectors 2048..16383 (7 MiB), p2: 16384..end (8 MiB)
  await execa('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, size=14336, type=83\nstart=16384, type=83\n' });
  await execa('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'one', '-U', UUID1, '-d', d1, '-E', `offset=${1 * MiB}`, img, '7168']);
  await execa('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'two', '-d', d2, '-E', `offset=${8 * MiB}`, img, '8192']);
}

describe.skipIf(skipReason !== '')('jfish CLI', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-cli-'));
    await buildImage();
    before = { mounts: mountLines(), loops: await loopLines() };
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists filesystems read-only and never writes the image', async () => {
    const hash = sha(img);
    const r = await run(['--ro', '-a', img, 'run', ':', 'list-filesystems']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/sda1: ext4\n/dev/sda2: ext4\n');
    expect(r.exitCode).toBe(0);
    const more = await run([
      '--ro',
      '--format=raw',
      '-a',
      img,
      'run',
      ':',
      'list-devices',
      ':',
      'list-partitions',
      ':',
      'vfs-label',
      '/dev/sda2',
      ':',
      'vfs-uuid',
      '/dev/sda1',
      ':',
      'vfs-type',
      '/dev/sda1',
    ]);
    expect(more.stderr).toBe('');
    expect(more.stdout).toBe(`/dev/sda\n/dev/sda1\n/dev/sda2\ntwo\n${UUID1}\next4\n`);
    expect(sha(img)).toBe(hash);
  });

  it('mounts read-only and reads a file byte for byte', async () => {
    const r = await run(['--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/hello.txt']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from joot\n\n');
    expect(r.exitCode).toBe(0);
  });

  it('lists a directory, tests paths, shows mounts', async () => {
    const r = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda1',
      '/',
      ':',
      'ls',
      '/',
      ':',
      'is-file',
      '/hello.txt',
      ':',
      'is-file',
      '/etc',
      ':',
      'is-dir',
      '/etc',
      ':',
      'exists',
      '/nope',
      ':',
      'mounts',
      ':',
      'mountpoints',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('etc\nhello.txt\nlost+found\ntrue\nfalse\ntrue\nfalse\n/dev/sda1\n/dev/sda1: /\n');
    expect(r.exitCode).toBe(0);
  });

  it('echoes commands with -x', async () => {
    const r = await run(['--ro', '-x', '-a', img, 'run', ':', 'list-devices']);
    expect(r.stderr).toBe('run\nlist-devices\n');
    expect(r.stdout).toBe('/dev/sda\n');
  });

  it('fails at a missing guest file with one line naming the command', async () => {
    const r = await run(['--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/missing.txt', ':', 'ls', '/']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^jfish: cat: .*missing\.txt.*\n$/);
    expect(r.stderr).not.toMatch(/\n {4}at /);
  });

  it('refuses a command before run', async () => {
    const r = await run(['--ro', '-a', img, 'list-devices']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: list-devices: call run before using this command\n');
  });

  it('reports a wrong argument count with the usage', async () => {
    const r = await run(['--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: mount-ro: expected 2 arguments: usage: mount-ro mountable mountpoint\n');
  });

  it('reports a nonexistent image in one line', async () => {
    const r = await run(['--ro', '-a', join(dir, 'no-such.img'), 'run']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^jfish: .*no-such\.img.*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('gives one line naming the file and exit 1 for each kind of bad image', async () => {
    const cases: [string, RegExp][] = [
      ['empty.img', /empty file/],
      ['text.img', /not a disk image/],
      ['truncated.qcow2', /corrupt qcow2 image/],
      ['corrupt-mbr.raw', /corrupt partition table/],
      ['corrupt-gpt.raw', /corrupt partition table: GPT/],
      ['backing-shadow.qcow2', /backing file names \/etc\/shadow, outside the image's directory \(refused/],
      ['backing-device.qcow2', /backing file names \/dev\/zero, which is a character device, not a regular file \(refused\)/],
    ];
    const paths = await fixtures(...cases.map(([name]) => name));
    for (const [i, [name, why]] of cases.entries()) {
      const r = await run(['--ro', '-a', paths[i]!, 'run', ':', 'list-filesystems']);
      expect(r.exitCode, name).toBe(1);
      expect(r.stdout, name).toBe('');
      expect(r.stderr.split('\n'), name).toHaveLength(2);
      expect(r.stderr, name).toMatch(new RegExp(`^jfish: run: .*${name.replace('.', '\\.')}: `));
      expect(r.stderr, name).toMatch(why);
    }
    const d = await run(['--ro', '-a', dir, 'run']);
    expect(d.stderr).toMatch(/is a directory, not a disk image\n$/);
  });

  it('prints --help and --version; no commands and no terminal reads a script from stdin', async () => {
    const h = await run(['--help']);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toMatch(/^Usage: jfish /);
    const v = await run(['--version']);
    expect(v.stdout).toMatch(/^jfish \(joot\) \d+\.\d+\.\d+\n$/);
    const none = await execa(jfish, ['-a', img], { reject: false, input: '', timeout: 60_000 });
    expect(none.exitCode).toBe(0);
    expect(none.stdout + none.stderr).toBe('');
    const bad = await run(['--bogus', '-a', img, 'run']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^jfish: .*bogus.*\n$/);
  });

  it('lists commands with help, without needing a drive', async () => {
    const r = await run(['help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ +list-filesystems +/m);
  });

  it('survives a reader that goes away (EPIPE)', async () => {
    const r = await execa(
      'bash',
      ['-c', `"$0" --ro -a "$1" run : mount-ro /dev/sda2 / : cat /big.bin | head -c 5; echo " \${PIPESTATUS[0]}"`, jfish, img],
      { reject: false },
    );
    expect(r.stdout).toBe('xxxxx 0');
    expect(r.stderr).toBe('');
  });

  it('cleans up its own mounts outside a private namespace (JOOT_NO_UNSHARE=1)', async () => {
    const r = await run(['--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/etc/hostname'], {
      JOOT_NO_UNSHARE: '1',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('testhost\n\n');
    const err = await run(['--ro', '-a', img, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/missing'], { JOOT_NO_UNSHARE: '1' });
    expect(err.exitCode).toBe(1);
  });

  it('leaves no loop device or mount behind', async () => {
    // Only joot's own leftovers count: other test files may be using loops and mounts right now.
    expect((await loopLines()).filter((l) => l.includes(dir))).toEqual([]);
    expect(jootLines((await loopLines()).filter((l) => !before.loops.includes(l)))).toEqual([]);
    const added = mountLines().filter((l) => !before.mounts.includes(l));
    expect(jootLines(added)).toEqual([]);
  });
});
