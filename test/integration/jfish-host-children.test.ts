// What a `!cmd` (and `<!cmd`, `CMD | pipeline`) of jfish starts on the host ends with jfish:
// after a normal exit and after a SIGKILL of jfish, every process it started — the shell and
// a grandchild it put in the background — is gone within a bounded wait, and the grandchild's
// heartbeat file stops growing (host-children.ts: a PID namespace whose init dies with jfish).
// Output and exit status of `!cmd` are as before. Needs root and `npm run build`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procState, processDead, waitProcessDead } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist/bundle/jfish.mjs is not built (run npm run build)' : !root ? 'needs root (a PID namespace)' : '';
if (skipReason) console.log(`skipping jfish host-children tests: ${skipReason}`);

/** Live descendants of `pid` (not zombies). */
function descendantsOf(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    const p = procState(Number(n));
    if (p && p.state !== 'Z' && p.state !== 'X') parent.set(p.pid, p.ppid);
  }
  return [...parent.keys()].filter((c) => {
    for (let p = parent.get(c); p !== undefined && p > 1; p = parent.get(p)) if (p === pid) return true;
    return false;
  });
}

/** Live processes whose command line mentions `s`. */
function mentioning(s: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pid !== process.pid && !processDead(pid) && (procState(pid)?.args.join(' ') ?? '').includes(s));
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);

describe.skipIf(skipReason !== '')('jfish host commands end with jfish', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joot-hostkids-'));
  });
  afterAll(() => {
    for (const pid of mentioning(dir)) process.kill(pid, 'SIGKILL'); // only if a test failed
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A line that forks a heartbeat writer into the background, then waits. */
  const heartbeat = (hb: string, wait: string) => `!sh -c 'while :; do date +%s%N >> ${hb}; sleep 0.05; done & ${wait}'`;

  it('SIGKILL of jfish during `!cmd`: the shell, its background grandchild and all else are gone', async () => {
    const hb = join(dir, 'hb-kill');
    const child = spawn(jfish, [], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, JOOT_CONFIG: '' } });
    child.stdin.end(`${heartbeat(hb, 'sleep 300')}\n`);
    const exited = new Promise((r) => child.on('exit', r));
    await until('the heartbeat', () => size(hb) > 0);
    const kids = descendantsOf(child.pid!);
    expect(kids.length).toBeGreaterThanOrEqual(3); // the shell, the loop, sleep 300 (and what holds them)
    // the shell itself is jfish's own child, as before (its process group, terminal and signals)
    expect(kids.map(procState).some((p) => p !== undefined && p.ppid === child.pid && p.args[0] === '/bin/sh')).toBe(true);
    child.kill('SIGKILL');
    await exited;
    for (const pid of kids) await waitProcessDead(pid);
    expect(mentioning(hb)).toEqual([]);
    const s = size(hb);
    await new Promise((r) => setTimeout(r, 300));
    expect(size(hb)).toBe(s); // the heartbeat stopped
  });

  it('SIGKILL of jfish: what an earlier, finished `!cmd` left in the background is gone', async () => {
    const hb = join(dir, 'hb-idle');
    const child = spawn(jfish, [], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, JOOT_CONFIG: '' } });
    // the first line returns at once (its shell is gone, the loop goes on); then jfish waits
    child.stdin.end(`${heartbeat(hb, 'true')}\n!sleep 300\n`);
    const exited = new Promise((r) => child.on('exit', r));
    await until('the heartbeat', () => size(hb) > 0);
    const kids = descendantsOf(child.pid!);
    child.kill('SIGKILL');
    await exited;
    for (const pid of kids) await waitProcessDead(pid);
    expect(mentioning(hb)).toEqual([]);
  });

  it('a normal exit ends them too; output and exit status of `!cmd` are unchanged', async () => {
    const hb = join(dir, 'hb-exit');
    const r = await execa(jfish, [], {
      input: `${heartbeat(hb, 'true')}\n!echo out; echo err >&2\n-!exit 3\n<!echo echo included\necho piped | tr p P\n`,
      reject: false,
      env: { JOOT_CONFIG: '' },
      timeout: 60_000,
    });
    expect(r.stdout).toBe('out\nincluded\nPiPed');
    expect(r.stderr).toBe('err\njfish: !exit 3: exited with status 3');
    expect(r.exitCode).toBe(0);
    await until('the background loop to end', () => mentioning(hb).length === 0);
    const s = size(hb);
    await new Promise((r) => setTimeout(r, 300));
    expect(size(hb)).toBe(s);
  });
});
