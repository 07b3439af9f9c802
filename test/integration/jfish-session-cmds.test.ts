// jfish's session commands through the built bin/jfish, on copies of sample.raw: add, add-ro
// (with format:/readonly: named arguments), reopen, supported, time. Needs root.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish session command tests: ${skipReason}`);

let dir = '';
let a = '';
let b = '';
let before: Snapshot;

function run(args: string[], input?: string) {
  const env = { JOOT_CONFIG: '', JOOT_RUN_DIR: join(dir, 'run') };
  return execa(jfish, args, { reject: false, env, timeout: 60_000, cwd: dir, ...(input === undefined ? {} : { input }) });
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe.skipIf(skipReason !== '')('jfish session commands', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-session-cmds-'));
    a = join(dir, 'a.raw');
    b = join(dir, 'b.raw');
    const sample = await fixture('sample.raw');
    copyFileSync(sample, a);
    copyFileSync(sample, b);
    before = await snapshot({ paths: [dir], runDir: join(dir, 'run') });
  }, 600_000);

  afterAll(async () => {
    if (!dir) return;
    try {
      await expectNoLeftovers(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('add and add-ro add drives before run, with format: and readonly:', async () => {
    const sums = [sha(a), sha(b)];
    const r = await run([
      'add',
      'a.raw',
      'format:raw',
      'readonly:true',
      ':',
      'add-drive-ro',
      b,
      ':',
      'run',
      ':',
      'list-devices',
      ':',
      'mount-ro',
      '/dev/sdb2',
      '/',
      ':',
      'cat',
      '/etc/hostname',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/sda\n/dev/sdb\nsample\n');
    expect(r.exitCode).toBe(0);
    // the same from a script
    const s = await run([], `add-ro a.raw format:raw\nrun\nlist-devices\n`);
    expect(s.stdout).toBe('/dev/sda');
    expect(s.exitCode).toBe(0);
    expect([sha(a), sha(b)]).toEqual(sums);
  }, 60_000);

  it('refuses add after run, unknown or bad named arguments, and a wrong format', async () => {
    const late = await run(['--ro', '-a', a, 'run', ':', 'add', b, ':', 'echo', 'not reached']);
    expect(late.stderr).toBe('jfish: add: drives must be added before run');
    expect(late.stdout).toBe('');
    expect(late.exitCode).toBe(1);
    const unknown = await run(['add', a, 'bogus:virtio']);
    expect(unknown.stderr).toMatch(
      /^jfish: add: 'bogus:virtio': expected an optional argument \(format:, readonly:, iface:, [^)]*\): usage: add filename \[format:\.\.\] \[readonly:true\|false\] \[iface:\.\.\]/,
    );
    expect(unknown.exitCode).toBe(1);
    const bool = await run(['add-ro', a, 'readonly:true']);
    expect(bool.stderr).toMatch(/^jfish: add-ro: 'readonly:true': expected an optional argument \(format:\)/);
    const ro = await run(['--ro', 'add', a, 'readonly:false']);
    expect(ro.stderr).toBe('jfish: add: readonly:false: jfish was started with --ro (every drive is read-only)');
    const fmt = await run(['add-ro', a, 'format:qcow2', ':', 'run']);
    expect(fmt.stderr.split('\n')).toHaveLength(1);
    expect(fmt.stderr).toMatch(/^jfish: run: .*qcow2/);
    expect(fmt.exitCode).toBe(1);
    const help = await run(['help', 'add-ro']);
    expect(help.stdout).toContain('add-ro filename [format:..]');
  }, 60_000);

  it('reopen: a new session on the same drives, launched again, nothing mounted', async () => {
    const sum = sha(a);
    const r = await run([
      '--ro',
      '-a',
      a,
      'add-ro',
      b,
      ':',
      'run',
      ':',
      'mount-ro',
      '/dev/sda2',
      '/',
      ':',
      'cat',
      '/etc/hostname',
      ':',
      'reopen',
      ':',
      'mountpoints',
      ':',
      'list-devices',
      ':',
      'mount-ro',
      '/dev/sdb2',
      '/',
      ':',
      'cat',
      '/etc/hostname',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sample\n\n/dev/sda\n/dev/sdb\nsample\n');
    expect(r.exitCode).toBe(0);
    // not launched before: not launched after, and drives can still be added
    const early = await run(['add-ro', a, ':', 'reopen', ':', 'add-ro', b, ':', 'run', ':', 'list-devices']);
    expect(early.stderr).toBe('');
    expect(early.stdout).toBe('/dev/sda\n/dev/sdb');
    // -i mounts are released too
    const insp = await run([
      '--ro',
      '-a',
      a,
      '-i',
      'mountpoints',
      ':',
      'echo',
      'reopening',
      ':',
      'reopen',
      ':',
      'mountpoints',
      ':',
      'echo',
      'end',
    ]);
    expect(insp.stderr).toBe('');
    expect(insp.stdout).toMatch(/^\/dev\/sda2: \/\n(.*\n)*reopening\nend$/);
    expect(sha(a)).toBe(sum);
    await expectNoLeftovers(before);
  }, 60_000);

  it('reopen keeps a read-write session read-write', async () => {
    const r = await run([
      '-a',
      a,
      'run',
      ':',
      'reopen',
      ':',
      'mount',
      '/dev/sda2',
      '/',
      ':',
      'write',
      '/reopened',
      'yes',
      ':',
      'cat',
      '/reopened',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('yes');
    const back = await run(['--ro', '-a', a, '-m', '/dev/sda2', 'cat', '/reopened']);
    expect(back.stdout).toBe('yes');
  }, 60_000);

  it('supported lists the feature groups this host has, without drives', async () => {
    const r = await run(['supported']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    for (const l of lines) expect(l).toMatch(/^ *[a-z0-9]+ (yes|no)$/);
    expect(new Set(lines.map((l) => l.lastIndexOf(' '))).size).toBe(1); // right-aligned, as guestfish does
    const got = Object.fromEntries(lines.map((l) => l.trim().split(' ') as [string, string]));
    expect(Object.keys(got)).toEqual(expect.arrayContaining(['btrfs', 'lvm2', 'ntfs3g', 'ntfsprogs', 'xfs']));
    // what the test suite itself relies on (lvm fixtures, ntfs via ntfs-3g)
    expect(got.lvm2).toBe('yes');
    expect(got.ntfs3g).toBe('yes');
    expect(got.nbd).toBe(existsSync('/dev/nbd0') ? got.nbd : 'no');
  });

  it('time runs the command and prints the elapsed time after its output', async () => {
    const r = await run(['--ro', '-a', a, 'time', 'run', ':', 'time', 'mount-ro', '/dev/sda2', '/', ':', 'time', 'cat', '/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^elapsed time: \d+\.\d\d seconds\nelapsed time: \d+\.\d\d seconds\nsample\n\nelapsed time: \d+\.\d\d seconds$/,
    );
    const bad = await run(['--ro', '-a', a, 'time', 'cat', '/etc/hostname']);
    expect(bad.stderr).toBe('jfish: cat: call run before using this command');
    expect(bad.stdout).toBe('');
    expect(bad.exitCode).toBe(1);
    const none = await run(['time']);
    expect(none.stderr).toMatch(/^jfish: time: expected at least 1 argument/);
  }, 60_000);
});
