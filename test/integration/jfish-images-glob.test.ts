// jfish's image-file commands (sparse, disk-create), glob, mount-options / mount-vfs and
// --cmd-help, end to end with the real bin/jfish; results checked with qemu-img.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish image/glob tests: ${skipReason}`);

let dir = '';
let img = '';
let before: Snapshot;
const fish = (args: string[]) =>
  execa(jfish, args, {
    cwd: dir,
    reject: false,
    stripFinalNewline: false,
    timeout: 120_000,
    env: { ...process.env, JOOT_RUN_DIR: join(dir, 'run') },
  });
const info = (f: string) => JSON.parse(execFileSync('qemu-img', ['info', '--output=json', f], { encoding: 'utf8' }));

describe.skipIf(skipReason !== '')('jfish sparse, disk-create, glob, mount-options, --cmd-help', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-images-'));
    img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
    before = await snapshot({ paths: [dir] });
  }, 600_000);
  afterAll(async () => {
    try {
      await expectNoLeftovers(before);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sparse adds a new raw disk; disk-create makes raw, qcow2 and overlays; existing files are refused', async () => {
    const r = await fish(['sparse', 'new.img', '10M', ':', 'run', ':', 'list-devices', ':', 'blockdev-getsize64', '/dev/sda']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`/dev/sda\n${10 * 1024 * 1024}\n`);
    expect(info(join(dir, 'new.img'))).toMatchObject({ format: 'raw', 'virtual-size': 10 * 1024 * 1024 });

    const c = await fish([
      'disk-create',
      'a.qcow2',
      'qcow2',
      '1G',
      'preallocation:metadata',
      'compat:1.1',
      ':',
      'disk-create',
      'b.qcow2',
      'qcow2',
      '-1',
      'backingfile:a.qcow2',
      'backingformat:qcow2',
      ':',
      'disk-create',
      'c.raw',
      'raw',
      '20M',
    ]);
    expect(c.stderr).toBe('');
    expect(info(join(dir, 'a.qcow2'))).toMatchObject({ format: 'qcow2', 'virtual-size': 1024 ** 3 });
    expect(info(join(dir, 'b.qcow2'))).toMatchObject({
      format: 'qcow2',
      'virtual-size': 1024 ** 3,
      'backing-filename': 'a.qcow2',
      'backing-filename-format': 'qcow2',
    });
    expect(info(join(dir, 'c.raw'))).toMatchObject({ format: 'raw', 'virtual-size': 20 * 1024 * 1024 });

    for (const [args, msg] of [
      [['sparse', 'new.img', '10M'], /^jfish: sparse: new\.img: exists already/],
      [['disk-create', 'd.raw', 'iso', '1M'], /^jfish: disk-create: iso: unsupported format/],
      [['disk-create', 'd.qcow2', 'qcow2', '-1'], /size -1 needs backingfile/],
      [['disk-create', 'd.qcow2', 'qcow2', '1G', 'backingfile:a.qcow2'], /needs backingformat/],
      [['--ro', 'sparse', 'e.img', '1M'], /read-only/],
      [['-a', img, 'run', ':', 'sparse', 'f.img', '1M'], /drives must be added before run/],
    ] as [string[], RegExp][]) {
      const x = await fish(args);
      expect(x.exitCode, args.join(' ')).toBe(1);
      expect(x.stderr, args.join(' ')).toMatch(msg);
    }
    expect(existsSync(join(dir, 'd.qcow2')) || existsSync(join(dir, 'e.img')) || existsSync(join(dir, 'f.img'))).toBe(false);
  });

  it('glob runs a command for each guest match, never leaving the guest', async () => {
    const r = await fish([
      '-a',
      img,
      'run',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'mkdir',
      '/g',
      ':',
      'write',
      '/g/a.log',
      'A',
      ':',
      'write',
      '/g/b.log',
      'B',
      ':',
      'write',
      '/g/c.txt',
      'C',
      ':',
      'ln-s',
      '/etc',
      '/g/link.log',
      ':',
      'glob',
      'echo',
      '/g/*.log',
      ':',
      'glob',
      'rm',
      '/g/[ab].log',
      ':',
      'ls',
      '/g',
      ':',
      'glob',
      'echo',
      '/nomatch/*',
      ':',
      'glob',
      'echo',
      '/g/{c,x}.txt',
      'and',
      '/g/*.log',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/g/a.log\n/g/b.log\n/g/link.log\nc.txt\nlink.log\n/nomatch/*\n/g/c.txt and /g/link.log\n');
    // /g/link.log -> /etc: the expansion below it lists the GUEST's /etc (no passwd- there),
    // never the host's
    const host = await fish([
      '--ro',
      '-a',
      img,
      'run',
      ':',
      'mount-ro',
      '/dev/sda2',
      '/',
      ':',
      'glob',
      'echo',
      '/g/link.log/pass*',
      ':',
      'glob',
      'echo',
      '/**/hostname',
    ]);
    expect(host.stderr).toBe('');
    expect(host.stdout).toBe('/g/link.log/passwd\n/etc/hostname\n');
  });

  it('mount-options and mount-vfs pass the options; suid is refused', async () => {
    const r = await fish([
      '-a',
      img,
      'run',
      ':',
      'mount-options',
      'ro,noatime',
      '/dev/sda2',
      '/',
      ':',
      'mountpoints',
      ':',
      'umount',
      '/',
      ':',
      'mount-vfs',
      'ro',
      'ext4',
      '/dev/sda2',
      '/',
      ':',
      'cat',
      '/etc/hostname',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/sda2: /\nsample\n\n');
    const w = await fish(['-a', img, 'run', ':', 'mount-options', 'ro', '/dev/sda2', '/', ':', 'write', '/x', 'y']);
    expect(w.exitCode).toBe(1);
    expect(w.stderr).toMatch(/^jfish: write: \/x: Read-only file system/);
    const s = await fish(['-a', img, 'run', ':', 'mount-options', 'suid', '/dev/sda2', '/']);
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toMatch(/^jfish: mount-options: .*suid/);
  });

  it('--cmd-help lists the commands or shows one', async () => {
    const all = await fish(['--cmd-help']);
    expect(all.exitCode).toBe(0);
    expect(all.stdout).toMatch(/^ +glob +expand guest wildcards/m);
    const one = await fish(['--cmd-help', 'disk-create']);
    expect(one.stdout).toMatch(/disk-create filename format size \[backingfile:\.\.\]/);
    const bad = await fish(['--cmd-help', 'nope']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('jfish: --cmd-help: unknown command: nope\n');
  });
});
