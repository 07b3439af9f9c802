// jinspect --queue/--worker end to end: a real redis-server on a private port, a store of 50
// images (copies of the Debian, Alpine and Fedora fixtures, 44 qcow2 overlays of them, three
// corrupt images) put on a BullMQ queue, three workers of which one is SIGKILLed mid-job. Every
// image is completed once (a job process SIGKILLed too costs its job only), the corrupt ones
// fail with their one-line error, --collect prints
// what a local --batch prints, and no process (worker, job process, redis) is left behind.
// Then a worker with --sbom and --out DIR: the results and SBOMs in files the lines name.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';
import { cycloneDxErrors } from '../unit/sbom-validate.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { CAN_RUN_JINSPECT, JINSPECT, WHY_NOT, Workdir, jinspect, run } from './jinspect-helpers.js';

/** the store: 47 good images and 3 corrupt ones (*.img) */
const IMAGES = 50;
const CORRUPT = ['corrupt.img', 'orphan.img', 'zero.img'];
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

/** A private redis-server on `port`, its files in `dir`, once it accepts connections. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const p = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  p.stdout?.setEncoding('utf8').on('data', (s: string) => {
    log += s;
  });
  await waitFor('redis-server to start', 20_000, () => (/Ready to accept connections/.test(log) ? true : undefined));
  return p;
}

/** The job processes a worker started (its children, JOOT_QUEUE_JOB_PROCESS in their environment). */
function jobProcessesOf(worker: number): number[] {
  try {
    return readFileSync(`/proc/${worker}/task/${worker}/children`, 'latin1')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/environ`, 'latin1').includes('JOOT_QUEUE_JOB_PROCESS=1');
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
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

/** `ownGroup`: the worker leads a process group of its own (its job processes are in it). */
function startWorker(extra: string[] = [], on = url, ownGroup = false): { proc: ChildProcess; stderr: string[] } {
  const proc = spawn(JINSPECT, ['--worker', on, '--jobs', '2', '--engine=userspace', ...extra], {
    detached: ownGroup,
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
    await fixtures('debian-gpt.qcow2', 'alpine.raw', 'fedora.raw');
    store = path.join(wd.dir, 'store');
    mkdirSync(store);
    const bases = [
      ['debian-gpt.qcow2', 'debian.qcow2', 'qcow2', 15],
      ['alpine.raw', 'alpine.raw', 'raw', 15],
      ['fedora.raw', 'fedora.raw', 'raw', 14],
    ] as const;
    for (const [fixture, name, fmt, overlays] of bases) {
      // copies, not links: a backing file with several links is refused (it may alias another)
      const copied = await run('cp', ['--sparse=always', '--reflink=auto', await wd.image(fixture), path.join(store, name)]);
      expect(copied.code, copied.stderr).toBe(0);
      // backed by the store's own copies (a backing file must be beside its overlay)
      for (let i = 1; i <= overlays; i++) {
        const overlay = path.join(store, `${name.replace(/\..*/, '')}-ov${String(i).padStart(2, '0')}.qcow2`);
        const made = await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', fmt, '-b', name, overlay]);
        expect(made.code, made.stderr).toBe(0);
      }
    }
    writeFileSync(path.join(store, 'corrupt.img'), 'not a disk');
    writeFileSync(path.join(store, 'zero.img'), Buffer.alloc(1 << 20));
    // an overlay whose backing file is gone
    const orphan = await run('qemu-img', [
      'create',
      '-q',
      '-u',
      '-f',
      'qcow2',
      '-F',
      'raw',
      '-b',
      'gone.raw',
      '-o',
      'size=64M',
      path.join(store, 'orphan.img'),
    ]);
    expect(orphan.code, orphan.stderr).toBe(0);
    expect(readdirSync(store)).toHaveLength(IMAGES);

    const port = await freePort();
    redis = await startRedis(port, path.join(wd.dir, 'redis'));
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
    expect(enq.stderr).toMatch(/50 images on queue images/);
    // enqueued again: no second job for an image
    const again = await queue(['--enqueue', path.join(store, 'alpine.raw')]);
    expect(again.code, again.stderr).toBe(0);
    const waiting = JSON.parse((await queue(['--status'])).stdout) as Record<string, number>;
    expect(waiting).toEqual({ done: 0, failed: 0, waiting: IMAGES, active: 0, delayed: 0 });

    const t0 = Date.now();
    const [victim] = [startWorker(), startWorker(), startWorker()];
    // mid-job: killed as soon as it says it started a good image (one takes a while to
    // inspect; a corrupt one fails at once)
    const killed = new Promise<string>((resolve) => {
      victim!.proc.stderr!.on('data', () => {
        const started = events(victim!, 'start').find((i) => !i.endsWith('.img'));
        if (started === undefined || victim!.proc.killed) return;
        victim!.proc.kill('SIGKILL');
        resolve(started);
      });
    });
    const killedOn = await waitFor('the first worker to start a job', 60_000, () => Promise.race([killed, undefined]));
    await exited(victim!.proc, 5000);
    // the leftover check below sees the workers and their job processes by their tag
    await waitFor('the other workers and their job processes', 60_000, () => (taggedProcesses().length >= 4 ? true : undefined));
    // a crash in a job process (SIGKILL: as a reader crashing on an image) costs its job only:
    // retried, and a fresh process takes its place
    const second = workers[1]!.proc.pid!;
    const [crashed] = jobProcessesOf(second);
    expect(crashed).toBeDefined();
    process.kill(crashed!, 'SIGKILL');
    await waitFor('a job process in its place', 30_000, () => (jobProcessesOf(second).some((p) => p !== crashed) ? true : undefined));

    const final = await waitFor('all jobs to finish', 240_000, async () => {
      const s = await queue(['--status']);
      if (s.code !== 0) return undefined;
      const c = JSON.parse(s.stdout) as Record<string, number>;
      return c.done! + c.failed! === IMAGES && c.waiting === 0 && c.active === 0 && c.delayed === 0 ? c : undefined;
    });
    expect(final, workers.map((w) => w.stderr.join('')).join('\n')).toEqual({
      done: IMAGES - CORRUPT.length,
      failed: CORRUPT.length,
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    // the wall time of 50 images on three workers (one killed, its job retried after the backoff)
    console.log(`jinspect-queue: ${IMAGES} images done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // exactly once: no image completed twice over the workers (a line the victim had no time
    // to write is its last, at most); the killed job was completed by another worker
    const done = workers.flatMap((w) => events(w, 'done'));
    expect(done.length - new Set(done).size).toBe(0);
    expect(events(victim!, 'done')).not.toContain(killedOn);
    expect(workers.slice(1).flatMap((w) => events(w, 'done'))).toContain(killedOn);
    // the crashed process's job, if it had one, failed with that one line and was done after
    const lost = workers[1]!.stderr.join('').match(/: failed (.*): the job process exited \(SIGKILL\)$/m)?.[1];
    if (lost) expect(done).toContain(lost);

    const collected = await queue(['--collect']);
    expect(collected.code, collected.stderr).toBe(1); // some failed, as --batch says it
    const batch = await jinspect(['--batch', '--engine=userspace', '--no-cache', '--jobs', '2', `${store}/*`], {
      runDir: wd.runDir,
      env: { XDG_CACHE_HOME: path.join(wd.dir, 'cache') },
    });
    expect(batch.code, batch.stderr).toBe(1);
    const lines = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(lines(collected.stdout)).toHaveLength(IMAGES);
    // per image, where its two lines first differ (a whole report is kilobytes: the tail of a
    // CI log would show only the lines they have in common)
    const byImage = (s: string) => new Map(lines(s).map((l) => [(JSON.parse(l) as { image: string }).image, l]));
    const fromBatch = byImage(batch.stdout);
    const differ: string[] = [];
    for (const [image, q] of byImage(collected.stdout)) {
      const b = fromBatch.get(image) ?? '';
      if (q === b) continue;
      let at = 0;
      while (q[at] === b[at]) at++;
      differ.push(`${image}: queue …${q.slice(Math.max(0, at - 80), at + 200)}… batch …${b.slice(Math.max(0, at - 80), at + 200)}…`);
    }
    expect(differ).toEqual([]);
    const results = lines(collected.stdout).map((x) => JSON.parse(x) as { image: string; ok: boolean; error?: string });
    // every good image completed (once: one line each), the corrupt ones failed with one line
    expect(results.filter((r) => r.ok).map((r) => r.image)).toEqual(
      readdirSync(store)
        .filter((n) => !n.endsWith('.img'))
        .map((n) => path.join(store, n))
        .sort(),
    );
    const failed = results.filter((r) => !r.ok);
    expect(failed.map((r) => path.basename(r.image))).toEqual(CORRUPT);
    for (const r of failed) expect(r.error).toMatch(/^[^\n]+$/);
  }, 600_000);

  it('a worker with --sbom cyclonedx and --out DIR: the report and the SBOM in files the collected lines name', async () => {
    const out = path.join(wd.dir, 'results');
    const sbomUrl = url.replace(/\/images$/, '/sboms');
    const picked = ['alpine.raw', 'debian-ov01.qcow2', 'zero.img'].map((n) => path.join(store, n));
    const enq = await jinspect(['--queue', sbomUrl, '--enqueue', ...picked], { runDir: wd.runDir });
    expect(enq.code, enq.stderr).toBe(0);
    const w = startWorker(['--sbom', 'cyclonedx', '--out', out], sbomUrl);
    const collected = await waitFor('the three jobs', 120_000, async () => {
      const c = await jinspect(['--queue', sbomUrl, '--collect'], { runDir: wd.runDir });
      const l = c.stdout.split('\n').filter(Boolean);
      return l.length === 3 ? l.map((x) => JSON.parse(x) as { image: string; ok: boolean; file?: string; sbom_file?: string }) : undefined;
    });
    await stop(w.proc);
    const byImage = new Map(collected.map((l) => [path.basename(l.image), l]));
    expect(byImage.get('zero.img')?.ok).toBe(false);
    for (const n of ['alpine.raw', 'debian-ov01.qcow2']) {
      const l = byImage.get(n)!;
      expect(l.ok).toBe(true);
      expect(path.dirname(l.file!)).toBe(out);
      expect(l.sbom_file).toMatch(/\.cdx\.json$/);
      const report = JSON.parse(readFileSync(l.file!, 'utf8')) as { operatingsystems: unknown[] };
      expect(report.operatingsystems).toHaveLength(1);
      const sbom = readFileSync(l.sbom_file!, 'utf8');
      expect(await cycloneDxErrors(sbom)).toBeNull();
      expect(JSON.parse(sbom).metadata.properties).toContainEqual({ name: 'joot:image:name', value: n });
    }
  }, 300_000);

  it.each([
    ['^C on a worker', 'graceful', false],
    ['SIGTERM to its process group (its job process too)', 'graceful-group', true],
  ] as const)(
    '%s: it finishes the job it runs, takes no other, and exits 0; the rest wait for another',
    async (_what, name, group) => {
      const stopUrl = url.replace(/\/images$/, `/${name}`);
      const picked = Array.from({ length: 12 }, (_, i) => path.join(store, `debian-ov${String(i + 2).padStart(2, '0')}.qcow2`));
      const enq = await jinspect(['--queue', stopUrl, '--enqueue', ...picked], { runDir: wd.runDir });
      expect(enq.code, enq.stderr).toBe(0);
      const w = startWorker(['--jobs', '1'], stopUrl, group);
      // at once as it says it started one (waitFor's polling would let it do them all)
      let sent = false;
      await new Promise<void>((resolve) =>
        w.proc.stderr!.on('data', () => {
          if (events(w, 'start').length === 0 || sent) return;
          sent = true;
          if (group) process.kill(-w.proc.pid!, 'SIGTERM');
          else w.proc.kill('SIGINT');
          resolve();
        }),
      );
      expect(await exited(w.proc, 60_000)).toBe(true);
      const err = w.stderr.join('');
      expect(w.proc.exitCode, err).toBe(0);
      expect(err).toMatch(/stopping after the active jobs/);
      // what it started it finished (one job; another only where the signal came late), nothing
      // is lost or failed, and the others wait
      const started = events(w, 'start');
      expect(events(w, 'done')).toEqual(started);
      expect(started.length).toBeLessThan(picked.length);
      const status = await jinspect(['--queue', stopUrl, '--status'], { runDir: wd.runDir });
      expect(JSON.parse(status.stdout)).toEqual({
        done: started.length,
        failed: 0,
        waiting: picked.length - started.length,
        active: 0,
        delayed: 0,
      });
    },
    120_000,
  );

  it('a worker waits out a broker restart: the outage said once, then "connected again", then it takes jobs', async () => {
    const port = await freePort();
    const dir = path.join(wd.dir, 'redis-restart');
    let broker = await startRedis(port, dir);
    try {
      const restartUrl = `redis://127.0.0.1:${port}/restart`;
      const w = startWorker(['--jobs', '1'], restartUrl);
      const said = () => w.stderr.join('');
      await waitFor('the worker to be up', 60_000, () => (/ at a time\n/.test(said()) ? true : undefined));
      await stop(broker);
      await new Promise((r) => setTimeout(r, 3000)); // several of its retries
      broker = await startRedis(port, dir);
      await waitFor('the worker to connect again', 60_000, () => (/: connected again\n/.test(said()) ? true : undefined));
      // each source says the outage once, not at every retry
      const outage = said().split(' at a time\n')[1]!.split(': connected again\n')[0]!.split('\n');
      expect(outage.length, said()).toBeGreaterThan(0);
      expect(new Set(outage).size, said()).toBe(outage.length);
      const picked = ['debian-ov14.qcow2', 'debian-ov15.qcow2'].map((n) => path.join(store, n));
      const enq = await jinspect(['--queue', restartUrl, '--enqueue', ...picked], { runDir: wd.runDir });
      expect(enq.code, enq.stderr).toBe(0);
      await waitFor('both jobs', 60_000, () => (events(w, 'done').length === 2 ? true : undefined));
      await stop(w.proc);
      expect(w.proc.exitCode, said()).toBe(0);
    } finally {
      await stop(broker);
    }
  }, 180_000);

  it('usage errors: a bad address, an action without --queue, no broker at the address', async () => {
    const bad = await jinspect(['--queue', 'http://x/y', '--status'], { runDir: wd.runDir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/only redis:\/\/ addresses/);
    const lone = await jinspect(['--status'], { runDir: wd.runDir });
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/--status goes with --queue/);
    // no broker there: one line with the socket's own reason, not ioredis's "Connection is closed."
    const closedPort = await freePort();
    const refused = `jinspect: cannot reach redis at 127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}`;
    const none = await jinspect(['--queue', `redis://127.0.0.1:${closedPort}/images`, '--status'], { runDir: wd.runDir });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(refused);
    // a worker too, whose job process (started first) goes quietly
    for (let i = 0; i < 3; i++) {
      const w = await jinspect(['--worker', `redis://127.0.0.1:${closedPort}/images`], { runDir: wd.runDir });
      expect(w.code).toBe(2);
      expect(w.stderr.trim()).toBe(refused);
    }
  });
});
