// jinspect's queue (issue 18): 100 qcow2 overlays of the Debian fixture put on a BullMQ queue on
// a private redis-server, then taken by 1 worker with --jobs 4 and by 3 workers with --jobs 1
// (all on this machine), as images per second from the workers' start to the last job done.
// Target: the queue within 20% of --batch at the same total concurrency (--jobs 4). Each row
// runs JOOT_BENCH_BATCH_RUNS times (default 3) on a fresh queue and reports the median.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuText } from './batch.js';
import type { Row } from './hive.js';
import { treeCpuMs } from './timed.js';

const IMAGES = 100;
const runs = Number(process.env.JOOT_BENCH_BATCH_RUNS) || 3;

function check(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… failed: ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout;
}

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([gone, sleep(30_000)]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

/** The queue rows; `base` is the Debian fixture (qcow2); `batchJobs4Ms`: --batch --jobs 4's median, to compare with. */
export async function queueRows(jinspect: string, base: string, batchJobs4Ms?: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-queue-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const workers: ChildProcess[] = [];
  try {
    // a copy of the base beside the overlays (named relatively), as bench/batch.ts makes it: the
    // backing-file rule refuses a base with several links (the fixture cache may hold such)
    check('cp', ['--sparse=always', '--reflink=auto', base, join(dir, 'base.qcow2')]);
    const overlays = Array.from({ length: IMAGES }, (_, i) => join(dir, `vm${String(i).padStart(3, '0')}.qcow2`));
    for (const o of overlays) check('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', o]);
    const common = ['--engine=userspace'];
    for (let i = 0; ; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
      if (i > 100) throw new Error('redis-server did not start');
      await sleep(100);
    }
    const rows: Row[] = [];
    let queueNo = 0;
    for (const [count, jobs] of [
      [1, 4],
      [3, 1],
    ] as const) {
      const times: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < runs; run++) {
        const name = `bench${queueNo++}`;
        const url = `redis://127.0.0.1:${port}/${name}`;
        check(jinspect, ['--queue', url, '--enqueue', ...overlays]);
        const t0 = performance.now();
        for (let w = 0; w < count; w++) workers.push(spawn(jinspect, ['--worker', url, `--jobs=${jobs}`, ...common], { stdio: 'ignore' }));
        // polled with redis-cli: a `jinspect --status` every 100 ms would take CPU from the workers
        const zcard = (set: string): number =>
          Number(spawnSync('redis-cli', ['-p', String(port), 'zcard', `bull:${name}:${set}`], { encoding: 'utf8' }).stdout.trim());
        for (;;) {
          const failed = zcard('failed');
          if (failed) throw new Error(`${failed} jobs failed: ${check(jinspect, ['--queue', url, '--collect']).slice(0, 300)}`);
          if (zcard('completed') === IMAGES) break;
          await sleep(100);
        }
        times.push(performance.now() - t0);
        // the workers and their job processes, still running: their CPU so far
        cpu.push(workers.reduce((n, w) => n + (w.pid ? treeCpuMs(w.pid) : 0), 0));
        await Promise.all(workers.splice(0).map(stop));
      }
      times.sort((a, b) => a - b);
      const r = (x: number) => Math.round(x * 10) / 10;
      const median = times[Math.floor(times.length / 2)]!;
      const row: Row = {
        name: `jinspect --worker × ${count} --jobs ${jobs} × ${IMAGES} overlays (queue on redis)`,
        runs,
        median_ms: r(median),
        min_ms: r(times[0]!),
        max_ms: r(times[times.length - 1]!),
      };
      const rate = `${(IMAGES / (median / 1000)).toFixed(1)} images/s, CPU ${cpuText(cpu)}`;
      const slower = batchJobs4Ms ? median / batchJobs4Ms - 1 : undefined;
      row.ratio =
        slower === undefined
          ? rate
          : `${rate}, ${(slower * 100).toFixed(0)}% slower than --batch --jobs 4 (target ≤20%: ${slower <= 0.2 ? 'ok' : 'MISSED'})`;
      rows.push(row);
    }
    return rows;
  } finally {
    await Promise.all(workers.map(stop));
    await stop(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}
