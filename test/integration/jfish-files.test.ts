// jfish's file and inspection commands end to end: the real bin/jfish on a COPY of
// fixture('sample.raw') (README: p1 ext4 'boot', p2 ext4 'root' with Debian 12, /hello.txt,
// /etc/hostname = sample, merged-/usr links). Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish file-command integration tests: ${skipReason}`);

let dir = '';
let img = '';

function run(args: string[]) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000 });
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const HELLO = 'Hello from the joot sample image!\n';

describe.skipIf(skipReason !== '')('jfish file and inspection commands', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-files-'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads: head, tail-n, checksum, filesize, readlink, realpath, stat, find, ll', async () => {
    const hash = sha(img);
    const r = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'mount',
      '/dev/sda1',
      '/boot',
      ':',
      'head',
      '/hello.txt',
      ':',
      'tail-n',
      '1',
      '/etc/hostname',
      ':',
      'checksum',
      'sha256',
      '/hello.txt',
      ':',
      'filesize',
      '/hello.txt',
      ':',
      'readlink',
      '/bin',
      ':',
      'realpath',
      '/bin/sh',
      ':',
      'find',
      '/boot',
    ]);
    expect(r.stderr).toBe('');
    const sum = createHash('sha256').update(HELLO).digest('hex');
    expect(r.stdout).toBe(`${HELLO}sample\n${sum}\n${HELLO.length}\nusr/bin\n/usr/bin/dash\ngrub\ngrub/grub.cfg\nlost+found\n`);
    const st = await run(['--ro', '-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'stat', '/hello.txt', ':', 'll', '/']);
    expect(st.stderr).toBe('');
    expect(st.stdout).toMatch(/^dev: \d+\nino: \d+\nmode: 33188\nnlink: 1\nuid: 0\ngid: 0\nrdev: 0\nsize: 34\n/);
    expect(st.stdout).toMatch(/^total \d+$/m);
    expect(st.stdout).toMatch(/^lrwxrwxrwx +1 root root +7 .* bin -> usr\/bin$/m);
    expect(sha(img)).toBe(hash);
  });

  it('refuses writes with --ro, in one line', async () => {
    const hash = sha(img);
    const r = await run(['--ro', '-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'write', '/new', 'x']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: write: /new: the session is read-only\n');
    expect(sha(img)).toBe(hash);
  });

  it('refuses writes on a read-only mount of a read-write session', async () => {
    const r = await run(['-a', img, 'run', ':', 'mount-ro', '/dev/sda2', '/', ':', 'touch', '/new']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: touch: /new: Read-only file system\n');
  });

  it('writes read-write and the changes are there in the next session', async () => {
    const w = await run([
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'mkdir-p',
      '/srv/a/b',
      ':',
      'write',
      '/srv/a/f',
      'one\n',
      ':',
      'write-append',
      '/srv/a/f',
      'two\n',
      ':',
      'cp-a',
      '/srv/a',
      '/srv/c',
      ':',
      'mv',
      '/srv/c/f',
      '/srv/g',
      ':',
      'chmod',
      '0600',
      '/srv/g',
      ':',
      'chown',
      '1000',
      '1000',
      '/srv/g',
      ':',
      'ln-s',
      '/etc/hostname',
      '/srv/h',
      ':',
      'touch',
      '/srv/t',
      ':',
      'rm',
      '/srv/t',
      ':',
      'rmdir',
      '/srv/a/b',
      ':',
      'rm-rf',
      '/srv/c',
    ]);
    expect(w.stderr).toBe('');
    expect(w.exitCode).toBe(0);
    const r = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'find',
      '/srv',
      ':',
      'cat',
      '/srv/g',
      ':',
      'cat',
      '/srv/h',
      ':',
      'stat',
      '/srv/g',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^a\na\/f\ng\nh\none\ntwo\n\nsample\n\n/);
    expect(r.stdout).toMatch(/\nmode: 33152\nnlink: 1\nuid: 1000\ngid: 1000\n/);
  });

  it('inspects: inspect-os then the get commands', async () => {
    const r = await run([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'inspect-os',
      ':',
      'inspect-get-type',
      '/dev/sda2',
      ':',
      'inspect-get-distro',
      '/dev/sda2',
      ':',
      'inspect-get-major-version',
      '/dev/sda2',
      ':',
      'inspect-get-hostname',
      '/dev/sda2',
      ':',
      'inspect-get-package-format',
      '/dev/sda2',
      ':',
      'inspect-get-mountpoints',
      '/dev/sda2',
      ':',
      'mounts',
      ':',
      'inspect-list-applications',
      '/dev/sda2',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^\/dev\/sda2\nlinux\ndebian\n12\nsample\ndeb\n\/: \/dev\/sda2\n\/boot: \/dev\/sda1\n\[0\] = \{\n {2}app_name: apt\n/,
    );
    const first = await run(['--ro', '-a', img, 'run', ':', 'inspect-get-roots']);
    expect(first.stderr).toBe('jfish: inspect-get-roots: no inspection data: call inspect-os first\n');
    const mounted = await run(['--ro', '-a', img, 'run', ':', 'mount', '/dev/sda2', '/', ':', 'inspect-os']);
    expect(mounted.stderr).toMatch(/^jfish: inspect-os: \/dev\/sda2 is mounted: call umount-all first/);
  });
});
