// jinspect --queue/--worker end to end: a real redis-server on a private port, a store of
// copies and overlays of the fixtures plus two corrupt images put on a BullMQ queue, three
// workers of which one is SIGKILLed mid-job. Every image is inspected and completed once, the
// corrupt ones fail with their one-line error, --collect prints what a local --batch prints,
// and no process (worker, job process, redis) is left behind.
// The issue asks for 50 images; this store has 10 (the host is shared: the run stays short).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { CAN_RUN_JINSPECT, JINSPECT, WHY_NOT, Workdir, jinspect, run } from './jinspect-helpers.js';

const HAVE_REDIS = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].some(existsSync);
const why = WHY_NOT || (HAVE_REDIS ? '' : 'no redis-server (scripts/setup.sh installs it)');

const wd = new Workdir('jinspect-queue');
/** marks every process of this file's workers (inherited by their job processes) */
const TAG = `jinspect-queue-test-${process.pid}`;
let before: Snapshot | undefined;
let redis: ChildProcess | undefined;
let url = '';
let store = '';
const workers: { proc: ChildProcess; stderr: string[] }[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Processes that carry TAG in their environment: the workers and their job processes. */
function taggedProcesses(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/environ`, 'latin1').includes(`JOOT_QUEUE_TEST_TAG=${TAG}`)) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie holds nothing
      out.push(`${e} ${readFileSync(`/proc/${e}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function exited(p: ChildProcess, ms: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  if (!(await exited(p, 30_000))) {
    p.kill('SIGKILL');
    await exited(p, 5000);
  }
}

function startWorker(): { proc: ChildProcess; stderr: string[] } {
  const proc = spawn(JINSPECT, ['--worker', url, '--jobs', '2', '--engine=userspace'], {
    env: {
      ...process.env,
      LC_ALL: 'C',
      JOOT_RUN_DIR: wd.runDir,
      JOOT_QUEUE_LOCK_MS: '4000',
      JOOT_QUEUE_TEST_TAG: TAG,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const w = { proc, stderr: [] as string[] };
  proc.stderr?.setEncoding('utf8').on('data', (s: string) => w.stderr.push(s));
  workers.push(w);
  return w;
}

const queue = (args: string[]) => jinspect(['--queue', url, ...args], { runDir: wd.runDir });

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** `done IMAGE` lines of a worker's stderr, and the like */
function events(w: { stderr: string[] }, kind: 'start' | 'done' | 'failed'): string[] {
  const re = new RegExp(`^jinspect: worker \\d+: ${kind} (.*?)(?:: .*)?$`);
  return w.stderr
    .join('')
    .split('\n')
    .flatMap((l) => {
      const m = re.exec(l);
      return m ? [m[1]!] : [];
    });
}

describe.skipIf(!CAN_RUN_JINSPECT || !HAVE_REDIS)(`jinspect --queue/--worker${why ? ` (${why})` : ''}`, () => {
  beforeAll(async () => {
    wd.setup();
    await fixtures('debian-gpt.qcow2', 'alpine.raw');
    const debian = await wd.image('debian-gpt.qcow2');
    const alpine = await wd.image('alpine.raw');
    store = path.join(wd.dir, 'store');
    mkdirSync(store);
    // copies, not links: a backing file with several links is refused (it may alias another)
    for (const [src, name] of [
      [debian, 'debian.qcow2'],
      [alpine, 'alpine.raw'],
    ] as const) {
      const copied = await run('cp', ['--sparse=always', '--reflink=auto', src, path.join(store, name)]);
      expect(copied.code, copied.stderr).toBe(0);
    }
    for (let i = 1; i <= 3; i++) {
      // backed by the store's own copies (a backing file must be beside its overlay)
      for (const [base, fmt, name] of [
        ['debian.qcow2', 'qcow2', 'debian'],
        ['alpine.raw', 'raw', 'alpine'],
      ] as const) {
        const made = await run('qemu-img', [
          'create',
          '-q',
          '-f',
          'qcow2',
          '-F',
          fmt,
          '-b',
          base,
          path.join(store, `${name}-ov${i}.qcow2`),
        ]);
        expect(made.code, made.stderr).toBe(0);
      }
    }
    writeFileSync(path.join(store, 'corrupt.img'), 'not a disk');
    writeFileSync(path.join(store, 'zero.img'), Buffer.alloc(1 << 20));

    const redisDir = path.join(wd.dir, 'redis');
    mkdirSync(redisDir);
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    redis.stdout?.setEncoding('utf8').on('data', (s: string) => {
      log += s;
    });
    await waitFor('redis-server to start', 20_000, () => (/Ready to accept connections/.test(log) ? true : undefined));
    url = `redis://127.0.0.1:${port}/images`;
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) await stop(w.proc);
    // a job process orphaned by the SIGKILLed worker stops by itself (queue-job.ts)
    await waitFor('the job processes to end', 20_000, () => (taggedProcesses().length === 0 ? true : undefined)).catch(() => {});
    await stop(redis);
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
    expect(taggedProcesses()).toEqual([]);
    wd.teardown();
  }, 120_000);

  it('three workers, one SIGKILLed mid-job: every image done once, the corrupt ones failed, --collect = --batch', async () => {
    const enq = await queue(['--enqueue', `${store}/*`]);
    expect(enq.code, enq.stderr).toBe(0);
    expect(enq.stderr).toMatch(/10 images on queue images/);
    // enqueued again: no second job for an image
    const again = await queue(['--enqueue', path.join(store, 'alpine.raw')]);
    expect(again.code, again.stderr).toBe(0);
    const waiting = JSON.parse((await queue(['--status'])).stdout) as Record<string, number>;
    expect(waiting).toEqual({ done: 0, failed: 0, waiting: 10, active: 0, delayed: 0 });

    const [victim] = [startWorker(), startWorker(), startWorker()];
    const killedOn = await waitFor('the first worker to start a job', 60_000, () => events(victim!, 'start')[0]);
    // the leftover check below sees the workers and their job processes by their tag
    expect(taggedProcesses().length).toBeGreaterThanOrEqual(4);
    victim!.proc.kill('SIGKILL');
    await exited(victim!.proc, 5000);

    const final = await waitFor('all jobs to finish', 240_000, async () => {
      const s = await queue(['--status']);
      if (s.code !== 0) return undefined;
      const c = JSON.parse(s.stdout) as Record<string, number>;
      return c.done! + c.failed! === 10 && c.waiting === 0 && c.active === 0 && c.delayed === 0 ? c : undefined;
    });
    expect(final, workers.map((w) => w.stderr.join('')).join('\n')).toEqual({ done: 8, failed: 2, waiting: 0, active: 0, delayed: 0 });

    // exactly once: one completion per good image over all workers; the killed job was completed elsewhere
    const done = workers.flatMap((w) => events(w, 'done'));
    const good = readdirSync(store)
      .filter((n) => !n.endsWith('.img'))
      .map((n) => path.join(store, n));
    expect(done.sort()).toEqual(good.sort());
    expect(events(victim!, 'done')).not.toContain(killedOn);
    const failed = workers.flatMap((w) => events(w, 'failed'));
    expect(new Set(failed)).toEqual(new Set([path.join(store, 'corrupt.img'), path.join(store, 'zero.img')]));

    const collected = await queue(['--collect']);
    expect(collected.code, collected.stderr).toBe(1); // some failed, as --batch says it
    const batch = await jinspect(['--batch', '--engine=userspace', '--no-cache', '--jobs', '2', `${store}/*`], {
      runDir: wd.runDir,
      env: { XDG_CACHE_HOME: path.join(wd.dir, 'cache') },
    });
    expect(batch.code, batch.stderr).toBe(1);
    const lines = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(lines(collected.stdout)).toHaveLength(10);
    expect(lines(collected.stdout)).toEqual(lines(batch.stdout));
    for (const l of lines(collected.stdout).map((x) => JSON.parse(x) as { ok: boolean; error?: string }))
      if (!l.ok) expect(l.error).toMatch(/^[^\n]+$/);
  }, 420_000);

  it('usage errors: a bad address, an action without --queue', async () => {
    const bad = await jinspect(['--queue', 'http://x/y', '--status'], { runDir: wd.runDir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/only redis:\/\/ addresses/);
    const lone = await jinspect(['--status'], { runDir: wd.runDir });
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--status goes with --queue/);
  });
});
