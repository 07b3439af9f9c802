// jfish's remote mode: `eval "$(jfish --listen …)"` starts a background server holding the
// session, `jfish --remote CMD` runs commands in it, `jfish --remote exit` or SIGTERM ends it
// and releases everything. Against the built bin/jfish and a copy of sample.raw. Needs root.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, waitProcessDead, type Snapshot } from './leftovers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish remote integration tests: ${skipReason}`);

let dir = '';
let image = '';
let runDir = '';
let before: Snapshot;

function env(extra: Record<string, string> = {}): Record<string, string> {
  // the socket goes to $JOOT_RUN_DIR/jfish (no XDG_RUNTIME_DIR): scoped to this test
  return { JOOT_CONFIG: '', JOOT_RUN_DIR: runDir, XDG_RUNTIME_DIR: '', JFISH_PID: '', ...extra };
}

function run(args: string[], extra: Record<string, string> = {}) {
  return execa(jfish, args, { reject: false, env: env(extra), timeout: 60_000, cwd: dir });
}

async function listen(): Promise<number> {
  const r = await run(['--listen', '-a', image, '-i', '--ro']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const m = /^JFISH_PID=(\d+); export JFISH_PID$/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  return Number(m![1]);
}

const sockOf = (pid: number) => join(runDir, 'jfish', `jfish-${pid}.sock`);

describe.skipIf(skipReason !== '')('jfish --listen / --remote', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-remote-'));
    runDir = join(dir, 'run');
    image = join(dir, 'sample.raw');
    copyFileSync(await fixture('sample.raw'), image);
    before = await snapshot({ paths: [dir], runDir });
  }, 600_000);

  afterAll(async () => {
    if (dir) {
      await expectNoLeftovers(before);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves 20 commands, reports errors as one line with exit 1, and ends on `exit`', async () => {
    const pid = await listen();
    const pidEnv = { JFISH_PID: String(pid) };
    const sock = sockOf(pid);
    expect(existsSync(sock)).toBe(true);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toBeTruthy();
    for (let i = 0; i < 6; i++) {
      const cat = await run(['--remote', 'cat', '/etc/hostname'], pidEnv);
      expect(cat.stdout).toBe('sample\n'); // and guestfish's newline after cat's bytes
      expect(cat.stderr).toBe('');
      expect(cat.exitCode).toBe(0);
      const ls = await run([`--remote=${pid}`, 'ls', '/'], pidEnv);
      expect(ls.stdout.split('\n')).toEqual(expect.arrayContaining(['etc', 'hello.txt', 'usr']));
      expect(ls.exitCode).toBe(0);
      const bad = await run(['--remote', 'cat', '/no/such/file'], pidEnv);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(/^jfish: cat: [^\n]*\/no\/such\/file[^\n]*$/);
      expect(bad.exitCode).toBe(1);
    }
    // several commands at once; output and errors stay apart, the first error stops the rest
    const multi = await run(['--remote', 'echo', 'a', ':', 'cat', '/etc/hostname', ':', 'nosuchcommand', ':', 'echo', 'b'], pidEnv);
    expect(multi.stderr).toMatch(/^jfish: nosuchcommand: unknown command/);
    expect(multi.exitCode).toBe(1);
    const both = await run(['--remote', 'echo', 'a', ':', 'cat', '/etc/hostname'], pidEnv);
    expect(both.stdout).toBe('a\nsample\n');

    const exit = await run(['--remote', 'exit'], pidEnv);
    expect(exit.stderr).toBe('');
    expect(exit.exitCode).toBe(0);
    expect(existsSync(sock)).toBe(false);
    await waitProcessDead(pid);
    await expectNoLeftovers(before);
    const after = await run(['--remote', 'echo', 'x'], pidEnv);
    expect(after.stderr).toMatch(new RegExp(`^jfish: --remote: no jfish server with pid ${pid}`));
    expect(after.exitCode).toBe(1);
  }, 120_000);

  it('SIGTERM ends the server and releases everything', async () => {
    const pid = await listen();
    expect((await run(['--remote', 'cat', '/etc/hostname'], { JFISH_PID: String(pid) })).stdout).toBe('sample\n');
    process.kill(pid, 'SIGTERM');
    await waitProcessDead(pid);
    expect(existsSync(sockOf(pid))).toBe(false);
    await expectNoLeftovers(before);
  }, 120_000);

  it('deleting the socket ends the server', async () => {
    const pid = await listen();
    rmSync(sockOf(pid));
    await waitProcessDead(pid);
    await expectNoLeftovers(before);
  }, 120_000);

  it('a missing or bad JFISH_PID is a clear error', async () => {
    const none = await run(['--remote', 'echo', 'x']);
    expect(none.stderr).toMatch(/^jfish: --remote: no server given: set JFISH_PID/);
    expect(none.exitCode).toBe(2);
    const junk = await run(['--remote', 'echo', 'x'], { JFISH_PID: 'abc' });
    expect(junk.stderr).toBe("jfish: --remote: JFISH_PID 'abc' is not a process id");
    expect(junk.exitCode).toBe(2);
    const gone = await run(['--remote=999999', 'echo', 'x']);
    expect(gone.stderr).toMatch(/^jfish: --remote: no jfish server with pid 999999 /);
    expect(gone.exitCode).toBe(1);
  });

  it('--listen reports a startup failure and leaves nothing running', async () => {
    const r = await run(['--listen', '-a', join(dir, 'missing.raw'), '-i', '--ro']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^jfish: .*missing\.raw/);
    expect(r.exitCode).toBe(1);
  });
});
