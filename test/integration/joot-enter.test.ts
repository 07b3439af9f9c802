// joot end to end, with the real bin/joot on a real Debian image made by `joot image build
// --debootstrap bookworm` (debootstrap from deb.debian.org or $JOOT_DEBIAN_MIRROR, about 30 s,
// once in beforeAll): the store commands, enter (files kept between enters, dpkg, resolv.conf
// put in place and restored, exit codes, a terminal, two enters sharing one environment,
// twenty joots at once), SIGKILL of the client and of the holder, and the base image's bytes
// unchanged. Everything in a temp dir: joot_home (JOOT_CONFIG), the run dir (JOOT_RUN_DIR).
// Runs against the built code: `npm run build` first.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { onTerminal as onPty } from './guest-attack.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JOOT = join(repo, 'bin/joot');
const JFISH = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/joot.mjs'));
const root = process.getuid?.() === 0;
const tools = ['debootstrap', 'capsh', 'nsenter', 'mkfs.ext4', 'sfdisk'].every((t) =>
  ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, t))),
);
const skipReason = !built
  ? 'dist is not built (npm run build)'
  : !root
    ? 'needs root'
    : !tools
      ? 'needs debootstrap, capsh, nsenter, mkfs.ext4, sfdisk'
      : '';
if (skipReason) console.log(`skipping joot integration tests: ${skipReason}`);

let dir = '';
let run = '';
let home = '';
let cfg = '';
let base = '';
let baseSha = '';
let before: Snapshot;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { JOOT_CONFIG: cfg, JOOT_RUN_DIR: run, ...extra };
}
function joot(args: string[], opts: { input?: string; env?: Record<string, string>; timeout?: number } = {}) {
  return execa(JOOT, args, { reject: false, input: opts.input ?? '', env: env(opts.env), timeout: opts.timeout ?? 120_000 });
}
async function ok(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await joot(args, opts);
  expect(r.exitCode, `joot ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const disk = (name: string) => join(home, 'joots', name, 'disk.qcow2');

/** processes of this test's joot (holders, helpers, containers) */
function ourProcesses(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      const state = readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && cmd.includes(dir) && !cmd.includes('vitest')) out.push(`${e} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}
async function noneOfOurs(): Promise<void> {
  for (let i = 0; i < 100 && ourProcesses().length; i++) await new Promise((r) => setTimeout(r, 50));
  expect(ourProcesses().map((p) => p.slice(0, 200))).toEqual([]);
}
function pidsOf(pattern: string): number[] {
  return ourProcesses()
    .filter((p) => p.includes(pattern))
    .map((p) => Number(p.split(' ')[0]));
}
async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting; our processes: ${JSON.stringify(ourProcesses().map((p) => p.slice(0, 80)))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// a terminal for `joot enter`: guest-attack.ts's driver (steps of [text to send, text to wait
// for ('eof' for the end)]; '@sleep S' waits S seconds)
function onTerminal(args: string[], steps: [string, string][]) {
  return onPty([JOOT, ...args], steps, { env: env() });
}

describe.skipIf(skipReason !== '')('joot', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-e2e-'));
    run = join(dir, 'run');
    home = join(dir, 'home');
    cfg = join(dir, 'joot.cfg');
    mkdirSync(run);
    writeFileSync(cfg, `joot_home = ${home}\npass_thru_env = JOOT_TEST_PASS, NODE_EXTRA_CA_CERTS\n`);
    before = await snapshot({ paths: [dir], runDir: run });
    // the real thing: debootstrap --variant=minbase bookworm from the network (~30 s)
    const r = await joot(['image', 'build', 'deb', '--debootstrap', 'bookworm', '--size', '2G'], { timeout: 900_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    base = join(home, 'images', 'deb.qcow2');
    expect(r.stdout).toBe(`deb: ${base}`);
    baseSha = sha(base);
  }, 900_000);

  afterAll(async () => {
    if (!dir) return;
    // whatever a failed test left: holders, then everything they held
    for (const p of pidsOf('__holder')) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    await execa(JOOT, ['cleanup'], { reject: false, env: env() });
    try {
      await expectNoLeftovers(before, { timeoutMs: 5000 });
      await noneOfOurs();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('image build made a partitioned ext4 Debian image with a real fstab; image list describes it', async () => {
    const parts = await execa('sfdisk', ['--json', base], { reject: false });
    expect(parts.exitCode).not.toBe(0); // qcow2: sfdisk sees no table in the raw bytes
    const list = await ok(['image', 'list', '--json']);
    const rows = JSON.parse(list) as { name: string; format: string; virtual_size: number; os: string; source: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'deb', format: 'qcow2', virtual_size: 2 * 1024 ** 3, source: 'debootstrap bookworm' });
    expect(rows[0]!.os).toMatch(/debian/i);
    const fstab = await execa(JFISH, ['--ro', '-a', base, '-i', 'cat', '/etc/fstab', ':', 'cat', '/etc/hostname'], {
      reject: false,
      env: env(),
    });
    expect(fstab.stdout).toMatch(/^UUID=[0-9a-f-]{36} +\/ +ext4 /m);
    expect(fstab.stdout).toMatch(/^deb$/m);
    expect((await ok(['image', 'list'])).split('\n')[0]).toMatch(/^NAME +FORMAT +VSIZE +ON DISK +JOOTS +OS/);
  });

  it('config prints the effective settings and their file', async () => {
    const out = await ok(['config']);
    expect(out).toContain(`joot_home = ${home}`);
    expect(out).toContain(`; ${cfg}:1`);
  });

  it('names are validated; missing and existing names are one-line errors (exit 1)', async () => {
    for (const bad of ['a/b', '.hidden', '-x', 'x'.repeat(65), 'sp ace', '']) {
      const r = await joot(['create', bad, 'deb']);
      expect(r.exitCode, bad).toBe(bad === '-x' ? 2 : 1); // -x reads as an option: a usage error
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await joot(['create', 'a/b', 'deb'])).stderr).toBe("joot: 'a/b': not a valid joot name: contains a slash");
    await ok(['create', 'dup', 'deb']);
    expect(await joot(['create', 'dup', 'deb'])).toMatchObject({ exitCode: 1, stderr: 'joot: dup: a joot of that name exists' });
    expect(await joot(['enter', 'nope', '--', 'true'])).toMatchObject({ exitCode: 1, stderr: 'joot: nope: no such joot' });
    expect(await joot(['delete', 'nope'])).toMatchObject({ exitCode: 1, stderr: 'joot: nope: no such joot' });
    expect(await joot(['create', 'x', 'no-such-image'])).toMatchObject({ exitCode: 1 });
    expect((await joot(['bogus'])).exitCode).toBe(2);
    await ok(['delete', 'dup']);
  });

  it('create is copy-on-write: a fresh joot costs kilobytes; list shows it', async () => {
    await ok(['create', 'one', 'deb']);
    expect((await execa('qemu-img', ['check', disk('one')], { reject: false })).exitCode).toBe(0);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', '-U', disk('one')])).stdout) as {
      format: string;
      'backing-filename': string;
      'backing-filename-format': string;
      'actual-size': number;
    };
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': base, 'backing-filename-format': 'qcow2' });
    expect(info['actual-size']).toBeLessThan(1024 * 1024);
    const rows = JSON.parse(await ok(['list', '--json'])) as { name: string; image: string; in_use: boolean; disk_size: number }[];
    expect(rows).toEqual([expect.objectContaining({ name: 'one', image: 'deb', in_use: false })]);
    expect(await ok(['list'])).toMatch(/^NAME +IMAGE +CREATED +SIZE +STATE\none +deb /);
  });

  it('a file written in one enter is there in the next; exit codes propagate; dpkg works inside', async () => {
    expect(await ok(['enter', 'one', '--', 'sh', '-c', 'echo kept > /root/kept.txt'])).toBe('');
    expect(await ok(['enter', 'one', '--', 'cat', '/root/kept.txt'])).toBe('kept');
    expect((await joot(['enter', 'one', '--', 'sh', '-c', 'exit 42'])).exitCode).toBe(42);
    expect((await joot(['enter', 'one', '--', 'false'])).exitCode).toBe(1);
    expect((await joot(['enter', 'one', '--', 'no-such-program'])).exitCode).toBe(127);
    const dpkg = await joot(['enter', 'one', '--', 'dpkg', '-l']);
    expect(dpkg.exitCode, dpkg.stderr).toBe(0);
    expect(dpkg.stdout).toMatch(/^ii +coreutils +/m);
    expect(dpkg.stdout).toMatch(/^ii +apt +/m);
    const policy = await joot(['enter', 'one', '--', 'apt-cache', 'policy', 'coreutils']);
    expect(policy.stdout).toMatch(/Installed: \d/);
    // the guest sees /proc, /dev/null, its own hostname, pass_thru_env; not the host's other variables
    const look = await joot(
      [
        'enter',
        'one',
        '--',
        'sh',
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
        'test -e /proc/self/status && echo proc; echo x >/dev/null && echo null; hostname; echo "pass=$JOOT_TEST_PASS other=${JOOT_CONFIG:-none}"',
      ],
      { env: { JOOT_TEST_PASS: 'yes' } },
    );
    expect(look.stdout).toBe('proc\nnull\ndeb\npass=yes other=none');
    // bin/launch.sh moves NODE_EXTRA_CA_CERTS aside for node's sake; the guest still gets it
    const ca = await joot(['enter', 'one', '--', 'sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS"'], {
      env: { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/x.crt' },
    });
    expect(ca.stdout).toBe('/etc/ssl/certs/x.crt');
    // stdin reaches the program
    expect(await ok(['enter', 'one', '--', 'cat'], { input: 'from stdin' })).toBe('from stdin');
    expect(await ok(['enter', 'one'], { input: 'echo from-the-shell $((2+3))\n' })).toBe('from-the-shell 5');
  });

  it('where the filesystems go is remembered, and inspected again once the guest fstab changes', async () => {
    const planFile = join(home, 'joots', 'one', 'mounts.json');
    expect(await ok(['enter', 'one', '--', 'true'])).toBe('');
    const before = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(before.mountpoints['/']).toMatch(/^\/dev\/sda\d$/);
    expect(Object.keys(before.uuids)).toEqual(Object.values(before.mountpoints));
    expect(await ok(['enter', 'one', '--', 'sh', '-c', 'echo "# a comment" >> /etc/fstab'])).toBe('');
    await ok(['cleanup']); // the plan is read when the joot is attached again
    expect(await ok(['enter', 'one', '--', 'tail', '-n', '1', '/etc/fstab'])).toBe('# a comment');
    const after = JSON.parse(readFileSync(planFile, 'utf8'));
    expect(after.fstab).not.toBe(before.fstab);
    expect(after.mountpoints).toEqual(before.mountpoints);
  });

  it('the host resolv.conf is in place during enter, the guest own restored afterwards (absent, file)', async () => {
    const host = readFileSync('/etc/resolv.conf', 'utf8');
    // jfish looks at the disk once the joot is released (a joot kept ready holds it)
    const jf = async (args: string[]) => {
      await ok(['cleanup']);
      return execa(JFISH, ['-a', disk('one'), '-i', ...args], { reject: false, env: env() });
    };
    // the built image has none
    expect((await jf(['exists', '/etc/resolv.conf'])).stdout.trim()).toBe('false');
    expect(await ok(['enter', 'one', '--', 'cat', '/etc/resolv.conf'])).toBe(host.replace(/\n$/, ''));
    expect((await jf(['exists', '/etc/resolv.conf'])).stdout.trim()).toBe('false');
    // a guest's own regular file: shown as the host's inside, untouched
    expect((await jf(['write', '/etc/resolv.conf', 'nameserver 192.0.2.53\n'])).exitCode).toBe(0);
    expect(await ok(['enter', 'one', '--', 'cat', '/etc/resolv.conf'])).toBe(host.replace(/\n$/, ''));
    expect((await jf(['cat', '/etc/resolv.conf'])).stdout).toBe('nameserver 192.0.2.53\n'); // and guestfish's newline after it
    // a symlink (systemd-resolved style)
    expect(
      (await jf(['rm', '/etc/resolv.conf', ':', 'ln-s', '../run/systemd/resolve/stub-resolv.conf', '/etc/resolv.conf'])).exitCode,
    ).toBe(0);
    expect(await ok(['enter', 'one', '--', 'cat', '/etc/resolv.conf'])).toBe(host.replace(/\n$/, ''));
    expect((await jf(['readlink', '/etc/resolv.conf'])).stdout).toBe('../run/systemd/resolve/stub-resolv.conf');
  });

  it('network by default, none with --no-network', async () => {
    const lo = await joot(['enter', 'one', '--no-network', '--', 'cat', '/proc/net/dev']);
    expect(lo.exitCode).toBe(0);
    expect(
      lo.stdout
        .split('\n')
        .filter((l) => l.includes(':'))
        .map((l) => l.split(':')[0]!.trim()),
    ).toEqual(['lo']);
    const net = await joot(['enter', 'one', '--', 'cat', '/proc/net/dev']);
    expect(net.stdout.split('\n').filter((l) => l.includes(':')).length).toBeGreaterThan(1);
  });

  it('on a terminal: the root shell, a named tty, ^C, the exit code; ^C stops a program that ignores it as pid 1', async () => {
    const r = await onTerminal(
      ['enter', 'one'],
      [
        ['tty; echo marker-$((6*7))\n', 'marker-42'],
        ['exit 3\n', 'eof'],
      ],
    );
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.exitCode, r.stdout).toBe(3);
    const c = await onTerminal(
      ['enter', 'one', '--', 'sleep', '60'],
      [
        ['@sleep 2', ''],
        ['\u0003', 'eof'],
      ],
    );
    expect(c.exitCode, c.stdout).toBe(130);
    await ok(['cleanup']);
    await noneOfOurs();
  });

  it('two concurrent enters of one joot share one environment (one holder, one attach)', async () => {
    const first = joot([
      'enter',
      'one',
      '--',
      'sh',
      '-c',
      'echo one > /shared; i=0; while [ ! -e /two ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; cat /two',
    ]);
    await waitFor(() => existsSync(join(run, 'joot')) && readdirSync(join(run, 'joot')).some((f) => /^[0-9a-f]+\.sock$/.test(f)));
    const rows = JSON.parse(await ok(['list', '--json'])) as { name: string; in_use: boolean }[];
    expect(rows.find((x) => x.name === 'one')!.in_use).toBe(true);
    expect(await joot(['delete', 'one'])).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/^joot: one: in use/) });
    expect((await joot(['rename', 'one', 'other'])).exitCode).toBe(1);
    const second = await joot([
      'enter',
      'one',
      '--',
      'sh',
      '-c',
      'while [ ! -e /shared ]; do sleep 0.1; done; cat /shared; echo two > /two',
    ]);
    expect(second.stdout).toBe('one');
    expect(pidsOf('__holder')).toHaveLength(1);
    expect((await first).stdout).toBe('two');
    // both out: kept ready, then released by cleanup
    const after = JSON.parse(await ok(['list', '--json'])) as { name: string; in_use: boolean; ready: boolean }[];
    expect(after.find((x) => x.name === 'one')).toMatchObject({ in_use: false, ready: true });
    expect(await ok(['cleanup'])).toMatch(/released 1 joot kept ready/);
    await noneOfOurs();
    expect(await ok(['enter', 'one', '--', 'cat', '/shared', '/two'])).toBe('one\ntwo');
  });

  it('SIGKILL of the client, then of the holder: nothing left after cleanup; earlier changes intact', async () => {
    await ok(['enter', 'one', '--', 'sh', '-c', 'echo before-kill > /root/before.txt']);
    // the client killed: its container dies with it, the holder releases everything
    const c = joot(['enter', 'one', '--', 'sh', '-c', 'echo mid > /root/mid.txt; sleep 60']);
    try {
      await waitFor(() => pidsOf('sleep 60').length === 1);
    } finally {
      c.kill('SIGKILL');
    }
    const cr = await c;
    expect(cr.stderr).toBe('');
    await noneOfOurs();
    // the holder killed: the client notices, the next command reaps
    const h = joot(['enter', 'one', '--', 'sleep', '60']);
    try {
      await waitFor(() => pidsOf('sleep 60').length === 1);
    } finally {
      for (const p of pidsOf('__holder')) process.kill(p, 'SIGKILL');
    }
    const r = await h;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/holder went away/);
    expect(await ok(['cleanup'])).toMatch(/^reaped [1-9]\d* dead sessions?\n?$/);
    await expectNoLeftovers(before, { timeoutMs: 5000 });
    await noneOfOurs();
    expect(await ok(['enter', 'one', '--', 'cat', '/root/kept.txt', '/root/before.txt'])).toBe('kept\nbefore-kill');
    await ok(['cleanup']);
    await expectNoLeftovers(before);
  });

  it('after its last exit a joot stays ready for linger seconds; cleanup, delete and rename release it at once', async () => {
    const withLinger = (n: number) => {
      const f = join(dir, `linger-${n}.cfg`);
      writeFileSync(f, `joot_home = ${home}\nlinger = ${n}\n`);
      return { JOOT_CONFIG: f };
    };
    await ok(['create', 'ready', 'deb']);
    // default linger (10 s): the second enter joins the same holder
    await ok(['enter', 'ready', '--', 'true']);
    const [holder] = pidsOf('__holder');
    expect(holder).toBeGreaterThan(0);
    const rows = JSON.parse(await ok(['list', '--json'])) as { name: string; in_use: boolean; ready: boolean; holder_pid: number }[];
    expect(rows.find((x) => x.name === 'ready')).toMatchObject({ in_use: false, ready: true, holder_pid: holder });
    expect(await ok(['list'])).toMatch(new RegExp(`^ready .* ready \\(pid ${holder}\\)$`, 'm'));
    expect(await ok(['enter', 'ready', '--', 'sh', '-c', 'echo synced > /root/synced'])).toBe('');
    expect(pidsOf('__holder')).toEqual([holder]);
    // what an enter wrote is on disk when it returns: a holder killed now loses nothing
    process.kill(holder!, 'SIGKILL');
    await ok(['cleanup']);
    await noneOfOurs();
    expect(await ok(['enter', 'ready', '--', 'cat', '/root/synced'])).toBe('synced');
    expect(await ok(['cleanup'])).toMatch(/released 1 joot kept ready/);
    await noneOfOurs();
    // linger = 1: released a second after the last exit
    expect((await joot(['enter', 'ready', '--', 'true'], { env: withLinger(1) })).exitCode).toBe(0);
    expect(pidsOf('__holder')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500));
    await noneOfOurs();
    // linger = 0: released as the enter returns
    expect((await joot(['enter', 'ready', '--', 'true'], { env: withLinger(0) })).exitCode).toBe(0);
    await noneOfOurs();
    // rename and delete release a ready joot first; a client that dies releases it at once
    await ok(['enter', 'ready', '--', 'true']);
    await ok(['rename', 'ready', 'steady']);
    await noneOfOurs();
    await ok(['enter', 'steady', '--', 'true']);
    await ok(['delete', 'steady']);
    await noneOfOurs();
    await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  it('twenty joots of one image entered at once each see only their own changes', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (const n of names) await ok(['create', n, 'deb']);
    // a linger longer than the test: on a loaded machine the default 10 s ran out for some
    // joots before `cleanup`, which then released fewer than 20
    const cfg = join(dir, 'linger-long.cfg');
    writeFileSync(cfg, `joot_home = ${home}\nlinger = 600\n`);
    const env = { JOOT_CONFIG: cfg };
    const rs = await Promise.all(
      names.map((n) =>
        joot(['enter', n, '--', 'sh', '-c', `echo ${n} > /root/who; ls /root | grep -c who-; echo ${n} > /root/who-${n}`], {
          env,
          timeout: 300_000,
        }),
      ),
    );
    for (const r of rs) expect(r.exitCode, r.stderr).toBe(0);
    const seen = await Promise.all(
      names.map((n) => joot(['enter', n, '--', 'sh', '-c', 'cat /root/who; ls /root'], { env, timeout: 300_000 })),
    );
    for (const [i, r] of seen.entries()) expect(r.stdout).toBe(`c${i}\nwho\nwho-c${i}`);
    expect(await ok(['cleanup'])).toMatch(/released 20 joots kept ready/);
    await noneOfOurs();
    await ok(['delete', ...names]);
  }, 600_000);

  it('deleting a joot frees its space', async () => {
    await ok(['create', 'big', 'deb']);
    await ok(['enter', 'big', '--', 'sh', '-c', 'head -c 64M /dev/urandom > /root/big; sync']);
    const rows = JSON.parse(await ok(['list', '--json'])) as { name: string; disk_size: number }[];
    expect(rows.find((r) => r.name === 'big')!.disk_size).toBeGreaterThan(60 * 1024 * 1024);
    const df = async () => Number((await execa('df', ['--output=used', '-B1', home])).stdout.split('\n')[1]);
    const used = await df();
    await ok(['delete', 'big']);
    expect(existsSync(join(home, 'joots', 'big'))).toBe(false);
    expect(used - (await df())).toBeGreaterThan(60 * 1024 * 1024);
  });

  it('rename, save (a standalone image, registered), image rm refused while joots depend on it', async () => {
    await ok(['rename', 'one', 'uno']);
    expect(await joot(['rename', 'uno', 'a/b'])).toMatchObject({ exitCode: 1 });
    expect(await ok(['enter', 'uno', '--', 'cat', '/root/kept.txt'])).toBe('kept');
    expect(await ok(['save', 'uno', 'saved'])).toBe(`saved: ${join(home, 'images', 'saved.qcow2')}`);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', join(home, 'images', 'saved.qcow2')])).stdout) as {
      'backing-filename'?: string;
    };
    expect(info['backing-filename']).toBeUndefined();
    await ok(['create', 'fromsaved', 'saved']);
    expect(await ok(['enter', 'fromsaved', '--', 'cat', '/root/kept.txt'])).toBe('kept');
    expect(await joot(['image', 'rm', 'saved'])).toMatchObject({
      exitCode: 1,
      stderr: expect.stringMatching(/^joot: saved: 1 joot depends on it \(fromsaved\)/),
    });
    await ok(['delete', 'fromsaved']);
    await ok(['image', 'rm', 'saved']);
    expect(existsSync(join(home, 'images', 'saved.qcow2'))).toBe(false);
  });

  it('a guest of another architecture is refused with a clear message', async () => {
    await ok(['create', 'armjoot', 'deb']);
    // a 64-bit little-endian ELF header with e_machine = 183 (EM_AARCH64), as the guest's dash
    const elf = Buffer.alloc(64);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    elf.writeUInt16LE(2, 16);
    elf.writeUInt16LE(183, 18);
    elf.writeUInt32LE(1, 20);
    const fake = join(dir, 'fake-aarch64');
    writeFileSync(fake, elf);
    const up = await execa(JFISH, ['-a', disk('armjoot'), '-i', 'upload', fake, '/usr/bin/dash'], { reject: false, env: env() });
    expect(up.exitCode, up.stderr).toBe(0);
    const r = await joot(['enter', 'armjoot', '--', 'true']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('joot: armjoot: the guest is aarch64, this host is x86_64: cannot run its programs');
    await noneOfOurs();
    await ok(['delete', 'armjoot']);
  });

  it('image add registers a file without copying or writing it; image rm leaves it', async () => {
    const sample = join(dir, 'sample.raw');
    await execa('cp', ['--sparse=always', await fixture('sample.raw'), sample]);
    const before = sha(sample);
    await ok(['image', 'add', 'sample', sample]);
    expect(await joot(['image', 'add', 'sample', sample])).toMatchObject({
      exitCode: 1,
      stderr: 'joot: sample: an image of that name exists',
    });
    await ok(['create', 'onsample', 'sample']);
    await ok(['delete', 'onsample']);
    await ok(['image', 'rm', 'sample']);
    expect(sha(sample)).toBe(before);
  });

  it('the base image bytes never changed; purge asks, then removes everything', async () => {
    expect(sha(base)).toBe(baseSha);
    const no = await joot(['purge'], { input: 'no\n' });
    expect(no.exitCode).toBe(1);
    expect(existsSync(base)).toBe(true);
    const yes = await joot(['purge'], { input: 'yes\n' });
    expect(yes.exitCode, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/^purged \d+ joots? and 1 image$/);
    expect(existsSync(base)).toBe(false);
    expect(JSON.parse(await ok(['list', '--json']))).toEqual([]);
    await expectNoLeftovers(before);
  });
});
