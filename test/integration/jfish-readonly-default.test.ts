// jfish's default engine for a script that only reads (issue 15): when neither --engine,
// $JOOT_ENGINE nor the configuration chooses, a run whose every command is known before launch
// (command line, -f, stdin) and only reads goes to the userspace engine, although -a adds the
// drives read-write; one writer keeps today's default (the kernel engine, as root). Observed
// three ways: -v's `engine:` line, a `!losetup -j IMAGE` line of the script (the kernel engine
// attaches the image to a loop device, the userspace engine reads it in-process) and the image's
// bytes (a kernel read-write mount changes an ext4's superblock; reading in-process changes
// nothing). Output is the kernel engine's. Needs root (the kernel engine).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (the kernel engine)' : '';
if (skipReason) console.log(`skipping jfish read-only default tests: ${skipReason}`);

const READS_ONLY = 'joot: engine: userspace (every command of the script only reads)';

let dir = '';
let before: Snapshot;

/** jfish with no engine chosen anywhere (no configuration, no $JOOT_ENGINE). */
function run(args: string[], input?: string, more: Record<string, string> = {}) {
  const env = { JOOT_CONFIG: '', JOOT_ENGINE: '', JOOT_RUN_DIR: join(dir, 'run'), ...more };
  return execa(jfish, args, { reject: false, env, timeout: 60_000, cwd: dir, input: input ?? '' });
}

/** A fresh sparse copy of a fixture, named `name` in the test directory. */
async function copy(fixtureName: string, name: string): Promise<string> {
  const to = join(dir, name);
  await execa('cp', ['--sparse=always', await fixture(fixtureName), to]);
  return to;
}

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const engineLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('joot: engine:'));

describe.skipIf(skipReason !== '')('jfish: the userspace engine for a script that only reads', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-ro-default-'));
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

  it('commands on the command line: -v says userspace and why; the image is not touched', async () => {
    const img = await copy('alpine.raw', 'argv.raw');
    const sum = sha(img);
    const r = await run(['-v', '-a', img, '-i', 'cat', '/etc/hostname', ':', 'll', '/etc/apk']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(engineLine(r.stderr)).toBe(READS_ONLY);
    expect(r.stdout).toMatch(/^alpine\n\ntotal /);
    expect(sha(img)).toBe(sum);
  });

  it('a -f script and a script on stdin: nothing attached while it runs', async () => {
    const img = await copy('alpine.raw', 'script.raw');
    const text = `run\nmount /dev/sda1 /\n!losetup -j ${img} | wc -l\n-cat /etc/hostname | tr a-z A-Z\n`;
    writeFileSync(join(dir, 'ro.jf'), text);
    for (const r of [await run(['-v', '-a', img, '-f', 'ro.jf']), await run(['-v', '-a', img], text)]) {
      expect(r.exitCode, r.stderr).toBe(0);
      expect(engineLine(r.stderr)).toBe(READS_ONLY);
      expect(r.stdout).toBe('0\nALPINE\n');
    }
  });

  it('one writer: the kernel engine (as root), and the write lands', async () => {
    const img = await copy('alpine.raw', 'writer.raw');
    const text = `run\nmount /dev/sda1 /\n!losetup -j ${img} | wc -l\ncat /etc/hostname\ntouch /written\n`;
    const r = await run(['-v', '-a', img], text);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(engineLine(r.stderr)).toBe('joot: engine: kernel (the default for root: touch writes)');
    expect(r.stdout).toBe('1\nalpine\n');
    const check = await run(['-a', img, '-i', 'exists', '/written']);
    expect(check.stdout).toBe('true');
  });

  it('an unknown command, a <! line and time of a writer keep the default', async () => {
    const img = await copy('alpine.raw', 'unknown.raw');
    const unknown = await run(['-v', '-a', img, 'run', ':', 'frobnicate']);
    expect(engineLine(unknown.stderr)).toBe("joot: engine: kernel (the default for root: unknown command 'frobnicate')");
    const include = await run(['-v', '-a', img], 'run\n<!echo list-filesystems\n');
    expect(engineLine(include.stderr)).toBe('joot: engine: kernel (the default for root: line 2: <! runs commands known only then)');
    expect(include.stdout).toBe('/dev/sda1: ext4');
    const timed = await run(['-v', '-a', img, '-i', 'time', 'mkdir', '/d']);
    expect(engineLine(timed.stderr)).toBe('joot: engine: kernel (the default for root: mkdir writes)');
  });

  it('--engine and $JOOT_ENGINE still choose', async () => {
    const img = await copy('alpine.raw', 'chosen.raw');
    const r = await run(['-v', '--engine=kernel', '-a', img, '-i', 'cat', '/etc/hostname']);
    expect(engineLine(r.stderr)).toBe('joot: engine: kernel (--engine)');
    expect(r.stdout).toBe('alpine\n');
    const env = await run(['-v', '-a', img, '-i', 'cat', '/etc/hostname'], undefined, { JOOT_ENGINE: 'kernel' });
    expect(engineLine(env.stderr)).toBe('joot: engine: kernel ($JOOT_ENGINE)');
    expect(env.stdout).toBe('alpine\n');
  });

  // read-only scripts, each run on two fresh copies: by default and on --engine=kernel
  const scripts: { name: string; fixture: string; args: string[] }[] = [
    {
      name: 'alpine, -i',
      fixture: 'alpine.raw',
      args: [
        '-i',
        'cat',
        '/etc/hostname',
        ':',
        'll',
        '/etc/apk',
        ':',
        'checksum',
        'sha256',
        '/etc/os-release',
        ':',
        'is-dir',
        '/etc',
        ':',
        'vfs-type',
        '/dev/sda1',
        ':',
        'find',
        '/etc/apk',
        ':',
        'mounts',
        ':',
        'df',
      ],
    },
    {
      name: 'sample, -m and devices',
      fixture: 'sample.raw',
      args: ['-m', '/dev/sda2', 'list-filesystems', ':', 'part-list', '/dev/sda', ':', 'find', '/', ':', 'glob', 'head', '/etc/h*'],
    },
    {
      name: 'three.qcow2, run and mount',
      fixture: 'three.qcow2',
      args: [
        'run',
        ':',
        'list-partitions',
        ':',
        'mount',
        '/dev/sda3',
        '/',
        ':',
        'ls',
        '/',
        ':',
        'vfs-uuid',
        '/dev/sda1',
        ':',
        'blkid',
        '/dev/sda2',
      ],
    },
  ];
  for (const s of scripts) {
    it(`output as on --engine=kernel: ${s.name}`, async () => {
      const ext = s.fixture.slice(s.fixture.lastIndexOf('.'));
      const a = await copy(s.fixture, `same-default${ext}`);
      const b = await copy(s.fixture, `same-kernel${ext}`);
      const byDefault = await run(['-v', '-a', a, ...s.args]);
      const onKernel = await run(['--engine=kernel', '-a', b, ...s.args]);
      expect(engineLine(byDefault.stderr)).toBe(READS_ONLY);
      expect(onKernel.exitCode, onKernel.stderr).toBe(0);
      expect(byDefault.exitCode, byDefault.stderr).toBe(0);
      expect(byDefault.stdout).toBe(onKernel.stdout.replaceAll(b, a));
      expect(byDefault.stdout.split('\n').length).toBeGreaterThan(3);
    });
  }
});
