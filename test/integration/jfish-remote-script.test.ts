// `jfish --remote < SCRIPT`: a script sent to a `jfish --listen` server, run there line by line
// as local jfish runs one (stop at the first error, '-' lines go on), with the host commands
// (`!cmd`, `<!cmd`, `CMD | pipeline`) run by the client, in its directory and environment.
// Against the built bin/jfish and a copy of sample.raw. Needs root. Every server started is
// killed in afterAll, whatever happened.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, waitProcessDead, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish remote script tests: ${skipReason}`);

let dir = '';
let image = '';
let runDir = '';
let before: Snapshot;
const servers = new Set<number>();

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { JOOT_CONFIG: '', JOOT_RUN_DIR: runDir, XDG_RUNTIME_DIR: '', JFISH_PID: '', ...extra };
}

function run(args: string[], opts: { input?: string; cwd?: string; env?: Record<string, string> } = {}) {
  return execa(jfish, args, {
    reject: false,
    env: env(opts.env),
    timeout: 60_000,
    cwd: opts.cwd ?? dir,
    // without a script, stdin is empty (never a terminal here)
    input: opts.input ?? '',
  });
}

async function listen(...args: string[]): Promise<Record<string, string>> {
  const r = await run(['--listen', '-a', image, ...args]);
  expect(r.stderr).toBe('');
  const m = /^JFISH_PID=(\d+); export JFISH_PID$/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  servers.add(Number(m![1]));
  return { JFISH_PID: m![1]! };
}

async function stop(pidEnv: Record<string, string>): Promise<void> {
  const pid = Number(pidEnv.JFISH_PID);
  const r = await run(['--remote', 'exit'], { env: pidEnv });
  expect(r.exitCode).toBe(0);
  await waitProcessDead(pid);
  servers.delete(pid);
}

describe.skipIf(skipReason !== '')('jfish --remote < SCRIPT', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-remote-script-'));
    runDir = join(dir, 'run');
    image = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), image);
    mkdirSync(join(dir, 'client'));
    before = await snapshot({ paths: [dir], runDir });
  }, 600_000);

  afterAll(async () => {
    for (const pid of servers) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const pid of servers) await waitProcessDead(pid);
    if (dir) {
      try {
        await expectNoLeftovers(before);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);

  it('runs a script in the server; host commands run on the client side', async () => {
    const pid = await listen('--ro', '-i');
    const client = join(dir, 'client');
    const script = [
      '# a comment',
      'echo start',
      '!echo "client: $PWD $WHO" ; echo made > made.txt',
      'cat /etc/hostname | tr a-z A-Z',
      'ls / | grep -c .',
      '<!printf "echo from include\\ncat /hello.txt\\n"',
      'time echo timed',
      'supported | grep -c yes',
      '',
    ].join('\n');
    const r = await run(['--remote'], { input: script, cwd: client, env: { ...pid, WHO: 'the-client' } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    // cat prints an empty line after a file's last newline, as guestfish does
    expect(lines.slice(0, 4)).toEqual(['start', `client: ${client} the-client`, 'SAMPLE', '']);
    expect(Number(lines[4])).toBeGreaterThan(5);
    expect(lines.slice(5, 9)).toEqual(['from include', 'Hello from the joot sample image!', '', 'timed']);
    expect(lines[9]).toMatch(/^elapsed time: \d+\.\d\d seconds$/);
    expect(Number(lines[10])).toBeGreaterThan(0);
    expect(readFileSync(join(client, 'made.txt'), 'utf8')).toBe('made\n');

    // lcd moves jfish's directory: host commands follow it, as in local jfish
    const lcd = await run(['--remote'], { input: `lcd ${dir}\n!pwd\n`, cwd: client, env: pid });
    expect(lcd.stdout).toBe(dir);
    await stop(pid);
  }, 120_000);

  it('stops at the first error with exit 1, goes on after a - line, like a local script', async () => {
    const pid = await listen('--ro', '-i');
    const r = await run(['--remote'], { input: 'echo a\n-cat /nope\n- !exit 3\necho b\ncat /nope\necho not reached\n', env: pid });
    expect(r.stdout).toBe('a\nb');
    expect(r.stderr.split('\n')).toEqual([
      expect.stringMatching(/^jfish: cat: .*\/nope/),
      'jfish: !exit 3: exited with status 3',
      expect.stringMatching(/^jfish: cat: .*\/nope/),
    ]);
    expect(r.exitCode).toBe(1);
    // a failing host command stops the script too, and so does a bad line
    const host = await run(['--remote'], { input: '!false\necho not reached\n', env: pid });
    expect(host.stderr).toBe('jfish: !false: exited with status 1');
    expect(host.exitCode).toBe(1);
    const quote = await run(['--remote'], { input: 'echo "unterminated\necho not reached\n', env: pid });
    expect(quote.stderr).toMatch(/^jfish: .*quote/);
    expect(quote.stdout).toBe('');
    const pipe = await run(['--remote'], { input: 'cat /nope | wc -l\necho not reached\n', env: pid });
    expect(pipe.stdout).toBe('');
    expect(pipe.exitCode).toBe(1);
    // the server is fine after all that; an empty script does nothing
    expect((await run(['--remote'], { input: '', env: pid })).exitCode).toBe(0);
    expect((await run(['--remote', 'cat', '/etc/hostname'], { env: pid })).stdout).toBe('sample\n');
    await stop(pid);
  }, 120_000);

  it('download and pipelines work from a script, and exit in a script ends the server', async () => {
    const pid = await listen('--ro', '-i');
    const r = await run(['--remote'], {
      input: 'download /etc/hostname host-copy\n!cat host-copy\ncat /hello.txt | od -c | head -1\nexit\necho not reached\n',
      env: pid,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('sample');
    expect(r.stdout.split('\n')[1]).toMatch(/^0000000 +H +e +l +l +o/);
    expect(r.exitCode).toBe(0);
    const n = Number(pid.JFISH_PID);
    await waitProcessDead(n);
    servers.delete(n);
    await expectNoLeftovers(before);
  }, 120_000);

  it('a terminal-less --remote with nothing on stdin and no server is a clear error', async () => {
    const r = await run(['--remote'], { input: 'echo x\n' });
    expect(r.stderr).toMatch(/^jfish: --remote: no server given/);
    expect(r.exitCode).toBe(2);
  });
});
