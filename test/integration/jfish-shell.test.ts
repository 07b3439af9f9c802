// jfish as a shell: -f scripts, stdin scripts, !cmd / <!cmd / | pipeline, -i and -m, and the
// interactive shell driven through a pseudo-terminal (pty-drive.py) — against the built
// bin/jfish and the sample.raw / multiboot.raw fixtures. Needs root and `npm run build`.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish shell integration tests: ${skipReason}`);

let dir = '';
let sample = '';
let multiboot = '';
let before: { loops: string[]; mounts: string[] };

async function loops(): Promise<string[]> {
  return (await execa('losetup', ['-a'], { reject: false })).stdout.split('\n').filter((l) => l.includes('fixtures') || l.includes(dir));
}
function mounts(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => /joot/.test(l));
}

function run(args: string[], input = '', env: Record<string, string> = {}) {
  return execa(jfish, args, { reject: false, input, env: { JOOT_CONFIG: '', ...env }, timeout: 60_000, cwd: dir });
}

/** Drive the interactive shell: steps of [text to type, what to wait for]. */
function pty(args: string[], steps: [string, string][], home: string) {
  return execa('python3', [join(here, 'pty-drive.py'), JSON.stringify([jfish, ...args]), JSON.stringify(steps)], {
    reject: false,
    env: { HOME: home, JOOT_CONFIG: '', TERM: 'xterm' },
    timeout: 120_000,
  });
}

/** The transcript without terminal escapes and carriage returns. */
function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

describe.skipIf(skipReason !== '')('jfish shell', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-shell-'));
    sample = await fixture('sample.raw');
    multiboot = await fixture('multiboot.raw');
    before = { loops: await loops(), mounts: mounts() };
  }, 600_000);

  afterAll(async () => {
    // nothing left attached or mounted by these tests
    expect(await loops()).toEqual(before.loops);
    expect(mounts()).toEqual(before.mounts);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs a -f script (a #! line works); a '-' line's failure is printed and the script goes on", async () => {
    const script = join(dir, 'script.jf');
    writeFileSync(
      script,
      [
        `#!/usr/bin/env -S ${jfish} -f`,
        '# comment',
        'run',
        '-cat /etc/hostname',
        'mount-ro /dev/sda2 /',
        'cat /etc/hostname',
        'echo "done"   here',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const r = await execa(script, ['--ro', '-a', sample], { reject: false, env: { JOOT_CONFIG: '' }, timeout: 60_000 });
    expect(r.stderr).toMatch(/^jfish: cat: .*mounted.*$/);
    expect(r.stdout).toBe('sample\n\ndone here');
    expect(r.exitCode).toBe(0);
    const same = await run(['--ro', '-a', sample, '-f', script]);
    expect(same.stdout).toBe('sample\n\ndone here');
  });

  it('stops a script at the first failing line with exit 1 and `jfish: CMD: message`', async () => {
    const r = await run(['--ro', '-a', sample], 'run\nlist-devices\nmount-ro /dev/sda9 /\necho not reached\n');
    expect(r.stdout).toBe('/dev/sda');
    expect(r.stderr).toMatch(/^jfish: mount-ro: .*sda9.*$/);
    expect(r.exitCode).toBe(1);
  });

  it('reads a script from stdin when there are no commands', async () => {
    const r = await run(['--ro', '-a', sample], 'run\nlist-filesystems\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/sda1: ext4\n/dev/sda2: ext4');
    expect(r.exitCode).toBe(0);
  });

  it('!cmd runs on the host, <!cmd runs its output, | pipes the output through the host', async () => {
    const r = await run(
      ['--ro', '-a', sample],
      '!echo local $((1+2))\n<!echo run; echo list-devices\nlist-filesystems | wc -l\n!false\necho no\n',
    );
    expect(r.stdout).toBe('local 3\n/dev/sda\n2');
    expect(r.stderr).toBe('jfish: !false: exited with status 1\n'.trimEnd());
    expect(r.exitCode).toBe(1);
  });

  it('lcd changes the local directory for ! commands', async () => {
    const r = await run([], 'lcd /\n!pwd\n');
    expect(r.stdout).toBe('/');
    expect(r.exitCode).toBe(0);
  });

  it('-i mounts the operating system (silently when not interactive)', async () => {
    const r = await run(['--ro', '-i', '-a', sample, 'cat', '/etc/hostname', ':', 'mounts']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sample\n\n/dev/sda2\n/dev/sda1');
    expect(r.exitCode).toBe(0);
  });

  it('-i refuses multi-boot guests and disks without an OS', async () => {
    const m = await run(['--ro', '-i', '-a', multiboot, 'mounts']);
    expect(m.stderr).toMatch(/^jfish: multi-boot operating systems are not supported by the -i option/);
    expect(m.exitCode).toBe(1);
    const none = await run(['--ro', '-i', '-a', await fixture('nofs.raw'), 'mounts']);
    expect(none.stderr).toBe('jfish: no operating system was found on the disk');
    expect(none.exitCode).toBe(1);
  });

  it('-m mounts the named filesystems (on / by default)', async () => {
    const r = await run(['--ro', '-a', sample, '-m', '/dev/sda2', '-m', '/dev/sda1:/boot', 'cat', '/etc/hostname', ':', 'ls', '/boot']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sample\n\ngrub\nlost+found');
    const bad = await run(['--ro', '-a', sample, '-m', '/dev/sda9', 'mounts']);
    expect(bad.stderr).toMatch(/^jfish: -m \/dev\/sda9:\/: /);
    expect(bad.exitCode).toBe(1);
  });

  it('takes --ro/--rw from the configuration file, and refuses a bad one', async () => {
    const cfg = join(dir, 'joot.cfg');
    writeFileSync(cfg, 'read_only = yes\n');
    const copy = join(dir, 'copy.raw');
    copyFileSync(sample, copy);
    const sum = async () => (await execa('sha256sum', [copy])).stdout;
    const hash = await sum();
    const ro = await run(['-a', copy, '-m', '/dev/sda2', 'write', '/x', 'y'], '', { JOOT_CONFIG: cfg });
    expect(ro.exitCode).toBe(1);
    expect(ro.stderr).toMatch(/^jfish: write: /);
    expect(await sum()).toBe(hash);
    const rw = await run(['--rw', '-a', copy, '-m', '/dev/sda2', 'write', '/x', 'y', ':', 'cat', '/x'], '', { JOOT_CONFIG: cfg });
    expect(rw.stderr).toBe('');
    expect(rw.stdout).toBe('y');
    expect(await sum()).not.toBe(hash);
    writeFileSync(cfg, 'read_only = perhaps\n');
    const bad = await run(['-a', sample, 'run'], '', { JOOT_CONFIG: cfg });
    expect(bad.stderr).toMatch(new RegExp(`^jfish: ${cfg}:1: `));
    expect(bad.exitCode).toBe(1);
  });

  it('is an interactive shell on a terminal: prompt, completion, errors, history, exit', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const r = await pty(
      ['--ro', '-i', '-a', sample],
      [
        ['list-filesystems\r', 'prompt'],
        ['list-f\t', 'ilesystems'],
        ['\r', 'prompt'],
        ['cat /etc/hostn\t', 'ame'],
        ['\r', 'prompt'],
        ['bogus\r', 'prompt'],
        ['exit\r', 'eof'],
      ],
      home,
    );
    const t = plain(r.stdout);
    expect(r.exitCode).toBe(0);
    expect(t).toContain('Welcome to jfish');
    expect(t).toContain('Operating system: ');
    expect(t).toMatch(/\/dev\/sda2 mounted on \/\n\/dev\/sda1 mounted on \/boot\n/);
    expect(t.split('><fs> list-filesystems\n/dev/sda1: ext4\n/dev/sda2: ext4\n')).toHaveLength(3);
    expect(t).toContain('><fs> cat /etc/hostname\nsample\n');
    expect(t).toContain("jfish: bogus: unknown command (try 'help')");
    expect(readFileSync(join(home, '.jfish_history'), 'utf8')).toBe('list-filesystems\nlist-filesystems\ncat /etc/hostname\nbogus\nexit\n');
  });
});
