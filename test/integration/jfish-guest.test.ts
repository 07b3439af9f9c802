// jfish's guest-program commands end to end (sh, sh-lines, command, command-lines): the real
// bin/jfish on COPIES of fixture('debian-usr.raw') (README: a debootstrapped Debian 12 whose /usr
// is a separate ext4 on p2, so programs run from a second guest mount, both mounted noexec by
// the session) and fixture('sample.raw') (made to look aarch64 for the refusal). Runs against
// the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/src/tools/jfish/main.js'));
const root = process.getuid?.() === 0;
const hasCapsh = ['/usr/sbin/capsh', '/sbin/capsh', '/usr/bin/capsh'].some((p) => existsSync(p));
const skipReason = !built
  ? 'dist is not built (npm run build)'
  : !root
    ? 'needs root (loop devices, mounts)'
    : !hasCapsh
      ? 'needs capsh (libcap2-bin)'
      : '';
if (skipReason) console.log(`skipping jfish guest-program integration tests: ${skipReason}`);

let dir = '';
let run = '';
let deb = '';
let before: Snapshot;

function jf(args: string[], opts: { input?: string } = {}) {
  return execa(jfish, args, { reject: false, stripFinalNewline: false, timeout: 120_000, input: opts.input, env: { JOOT_RUN_DIR: run } });
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** processes whose command line starts with `prefix`, or mentions it when `anywhere` */
function processesWith(prefix: string, anywhere = false): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      if (anywhere ? cmd.includes(prefix) : cmd.startsWith(prefix)) out.push(`${e} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** every mount of every namespace on the host that this test's guest exec made */
function guestExecMounts(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      for (const l of readFileSync(`/proc/${e}/mountinfo`, 'utf8').split('\n'))
        if (l.includes(' jootdev ') && l.includes(run)) out.push(`${e}: ${l}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.skipIf(skipReason !== '')('jfish sh / command', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-guest-'));
    run = join(dir, 'run');
    mkdirSync(run);
    deb = join(dir, 'debian-usr.raw');
    await execa('cp', ['--sparse=always', await fixture('debian-usr.raw'), deb]);
    before = await snapshot({ paths: [dir], runDir: run });
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sh runs the guest shell: /proc, /dev/null, guest files; output as it comes', async () => {
    const r = await jf([
      '-a',
      deb,
      '-i',
      'sh',
      'echo hi; ls /proc | head -1; cat /etc/hostname; echo gone >/dev/null && echo null-ok; printf tail',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n1\ndebian-usr\nnull-ok\ntail\n');
    expect(r.exitCode).toBe(0);
  });

  it('command splits its string with jfish word rules, finds bare names in the guest PATH and runs /usr programs', async () => {
    // /usr is its own guest mount, noexec in the session: the program still runs
    const r = await jf(['-a', deb, '-i', 'command', `/usr/bin/printf "%s|" a 'b c' "d\\te" x|y`, ':', 'command', 'ls -d /usr /etc']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a|b c|d\te|x|y|\n/etc\n/usr\n\n');
  });

  it('the -lines variants end the last line', async () => {
    const r = await jf(['-a', deb, '-i', 'sh-lines', 'printf "a\\nb"', ':', 'command-lines', 'echo c']);
    expect(r.stdout).toBe('a\nb\nc\n');
  });

  it('a non-zero exit is an error with the status and the last line of stderr', async () => {
    const r = await jf(['-a', deb, '-i', 'command', 'ls /nope']);
    expect(r.exitCode).toBe(1);
    // argv[0] is the path the program was found at
    expect(r.stderr).toBe("jfish: command: exit status 2: /usr/bin/ls: cannot access '/nope': No such file or directory\n");
    const s = await jf(['-a', deb, '-i', 'sh', 'echo out; echo first >&2; echo last >&2; exit 7']);
    expect(s.stdout).toBe('out\n');
    expect(s.stderr).toBe('jfish: sh: exit status 7: last\n');
    const n = await jf(['-a', deb, '-i', 'command', 'no-such-program']);
    expect(n.stderr).toMatch(/^jfish: command: no-such-program: not found in the guest's PATH/);
  });

  it('is refused on --ro and without a root filesystem', async () => {
    const hash = sha(deb);
    const r = await jf(['--ro', '-a', deb, '-i', 'sh', 'echo x > /tmp/x']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('jfish: sh: refused on a read-only session (--ro): guest programs may write to the disk\n');
    expect(sha(deb)).toBe(hash);
    const n = await jf(['-a', deb, 'run', ':', 'command', 'ls']);
    expect(n.stderr).toMatch(/^jfish: command: no filesystem is mounted on \//);
  });

  it("a private /dev without the host's disks; no mknod, no mount, no network", async () => {
    const r = await jf([
      '-a',
      deb,
      '-i',
      'sh',
      'ls /dev | tr "\\n" " "; echo; ls /dev/loop0 /dev/sda 2>&1 | wc -l; mknod /dev/x b 7 0 2>&1 || echo mknod-refused; mount -t tmpfs t /mnt 2>&1 || echo mount-refused; ls /sys/class/net | tr "\\n" " "',
    ]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ');
    expect(lines[1]).toBe('2'); // two "cannot access" lines
    expect(r.stdout).toContain('mknod-refused');
    expect(r.stdout).toContain('mount-refused');
    expect(lines.slice(-2)).toEqual(['lo ', '']); // then the newline guestfish prints after a string
  });

  it("writes stay in the guest; the session's mounts stay noexec; no namespace mount is left in the session", async () => {
    const script = [
      // /proc/sys is read-only (rewriting a host sysctl with its own value is harmless anyway)
      'sh "echo written > /root/from-guest; cat /proc/sys/kernel/sysrq > /proc/sys/kernel/sysrq 2>/dev/null || echo sysctl-ro"',
      'cat /root/from-guest',
      '!grep -E " (/[^ ]*/sysroot[^ ]*) " /proc/$PPID/mountinfo | grep -c noexec',
      '!grep -c jootdev /proc/$PPID/mountinfo || true',
    ].join('\n');
    const r = await jf(['-a', deb, '-i'], { input: `${script}\n` });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sysctl-ro\n\nwritten\n\n2\n0\n');
  });

  it('an interrupted program is killed with everything it started; nothing is left behind', async () => {
    const marker = `joot-guest-test-${process.pid}`;
    // a background sleep, and a marked shell waiting in the foreground
    const child = jf(['-a', deb, '-i', 'sh', `sleep 7231 & sh -c "sleep 7232; :" ${marker}`]);
    const deadline = Date.now() + 20_000;
    while (processesWith('sleep 723').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processesWith('sleep 723')).toHaveLength(2);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    // the signal is reported once; the command it cut short adds no error of its own
    expect(r.stderr).toBe('joot: SIGTERM, releasing disks\n');
    expect(processesWith(marker, true)).toEqual([]);
    expect(processesWith('sleep 723')).toEqual([]);
    expect(guestExecMounts()).toEqual([]);
    await expectNoLeftovers(before);
  }, 60_000);

  it('nothing is left behind after runs that succeed and fail', async () => {
    await jf(['-a', deb, '-i', 'sh', 'sleep 0.1 & true', ':', 'command', 'false']);
    expect(guestExecMounts()).toEqual([]);
    await expectNoLeftovers(before);
  });

  it.skipIf(process.arch !== 'x64')('refuses a guest of another architecture', async () => {
    const img = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), img);
    // a 64-bit little-endian ELF header with e_machine = 183 (EM_AARCH64), as the guest's dash
    const elf = Buffer.alloc(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    elf.writeUInt16LE(2, 16);
    elf.writeUInt16LE(183, 18);
    elf.writeUInt32LE(1, 20);
    const fake = join(dir, 'fake-aarch64');
    writeFileSync(fake, elf);
    const r = await jf(['-a', img, '-i', 'upload', fake, '/usr/bin/dash', ':', 'sh', 'echo hi']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`jfish: sh: the guest is aarch64, this host is x86_64: cannot run its programs\n`);
  });
});
