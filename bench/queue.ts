// jinspect's queue (issue 18): 100 qcow2 overlays of the Debian fixture put on a BullMQ queue on
// a private redis-server, then taken by 1 worker with --jobs 4 and by 3 workers with --jobs 1
// (all on this machine), as images per second: from the workers' start to the last job done,
// and with the workers running (a fleet's workers are up before the jobs come: started, warmed
// up by a first round of 100 other overlays, then timed from the enqueue of the 100 to the last
// done). Target: the queue within 20% of --batch at the same total concurrency (one worker ×
// 4 against --batch --jobs 4, three workers × 1 against --jobs 3), on the rows with the workers
// running: a queue's throughput is that of its running workers (a fleet's are up before the
// jobs come), while the rows from the workers' start add each worker's one-time start (its node
// process, BullMQ, the connection, its job process, a JIT warm-up per process: three of each for
// three workers, against one for --batch), shown beside them with the time the workers took to
// be up, not held to the target.
// Each row runs JOOT_BENCH_BATCH_RUNS times (default 3) on a fresh queue and reports the median.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
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

/** The queue rows; `base` is the Debian fixture (qcow2); `batchMs`: --batch's medians by --jobs, to compare with. */
export async function queueRows(jinspect: string, base: string, batchMs?: ReadonlyMap<number, number>): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-queue-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const workers: ChildProcess[] = [];
  /** the CPU of the workers and their job processes so far */
  const workersCpu = (): number => workers.reduce((n, w) => n + (w.pid ? treeCpuMs(w.pid) : 0), 0);
  try {
    // a copy of the base beside the overlays (named relatively), as bench/batch.ts makes it: the
    // backing-file rule refuses a base with several links (the fixture cache may hold such)
    check('cp', ['--sparse=always', '--reflink=auto', base, join(dir, 'base.qcow2')]);
    // a second hundred for the running workers' warm-up round (job ids are the images' paths)
    const all = Array.from({ length: 2 * IMAGES }, (_, i) => join(dir, `vm${String(i).padStart(3, '0')}.qcow2`));
    const overlays = all.slice(0, IMAGES);
    const warmup = all.slice(IMAGES);
    for (const o of all) check('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', o]);
    const common = ['--engine=userspace'];
    for (let i = 0; ; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break;
      if (i > 100) throw new Error('redis-server did not start');
      await sleep(100);
    }
    /** Wait until `n` jobs of queue `name` completed; polled every 10 ms on one connection (a
     *  process per poll, redis-cli or `jinspect --status`, would take CPU from the workers). */
    const allDone = async (name: string, n: number): Promise<void> => {
      const sock = connect(port, '127.0.0.1');
      sock.setEncoding('utf8');
      let buf = '';
      sock.on('data', (d: string) => (buf += d));
      await once(sock, 'connect');
      try {
        for (;;) {
          buf = '';
          sock.write(`ZCARD bull:${name}:completed\r\nZCARD bull:${name}:failed\r\n`);
          while (!/^:\d+\r\n:\d+\r\n$/.test(buf)) await sleep(1);
          const [done, failed] = buf.split('\r\n').map((l) => Number(l.slice(1)));
          if (failed) throw new Error(`${failed} jobs failed on ${name}`);
          if (done! >= n) return;
          await sleep(10);
        }
      } finally {
        sock.destroy();
      }
    };
    const rows: Row[] = [];
    let queueNo = 0;
    for (const [count, jobs, warm] of [
      [1, 4, false],
      [3, 1, false],
      [1, 4, true],
      [3, 1, true],
    ] as const) {
      const times: number[] = [];
      const cpu: number[] = [];
      /** from the workers' start: when the last of them was up (their start's share of the time) */
      const upMs: number[] = [];
      for (let run = 0; run < runs; run++) {
        const name = `bench${queueNo++}`;
        const url = `redis://127.0.0.1:${port}/${name}`;
        let t0 = performance.now();
        let cpu0 = 0;
        if (warm) {
          // workers already running, as a fleet's are: from the enqueue to the last job done
          const up = Array.from({ length: count }, () => {
            const w = spawn(jinspect, ['--worker', url, `--jobs=${jobs}`, ...common], { stdio: ['ignore', 'ignore', 'pipe'] });
            workers.push(w);
            return new Promise<void>((ready, fail) => {
              let err = '';
              w.stderr!.setEncoding('utf8').on('data', (d: string) => {
                err += d;
                if (/ at a time\n/.test(err)) ready();
              });
              w.once('exit', () => fail(new Error(`a worker exited: ${err.trim()}`)));
            });
          });
          await Promise.all(up);
          // a first round warms them up (V8's JIT in their job processes), as a fleet's are
          check(jinspect, ['--queue', url, '--enqueue', ...warmup]);
          await allDone(name, IMAGES);
          cpu0 = workersCpu();
          t0 = performance.now();
          check(jinspect, ['--queue', url, '--enqueue', ...overlays]);
        } else {
          check(jinspect, ['--queue', url, '--enqueue', ...overlays]);
          t0 = performance.now();
          const t = t0;
          let up = 0;
          for (let w = 0; w < count; w++) {
            const p = spawn(jinspect, ['--worker', url, `--jobs=${jobs}`, ...common], { stdio: ['ignore', 'ignore', 'pipe'] });
            workers.push(p);
            let err = '';
            p.stderr!.setEncoding('utf8').on('data', (d: string) => {
              if (/ at a time\n/.test(err)) return;
              err += d;
              // the last worker up: its node process started, BullMQ loaded, connected
              if (/ at a time\n/.test(err) && ++up === count) upMs.push(performance.now() - t);
            });
          }
        }
        await allDone(name, warm ? 2 * IMAGES : IMAGES);
        times.push(performance.now() - t0);
        // the workers and their job processes, still running: their CPU so far
        cpu.push(workersCpu() - cpu0);
        await Promise.all(workers.splice(0).map(stop));
      }
      times.sort((a, b) => a - b);
      const r = (x: number) => Math.round(x * 10) / 10;
      const median = times[Math.floor(times.length / 2)]!;
      const row: Row = {
        name: `jinspect --worker × ${count} --jobs ${jobs} × ${IMAGES} overlays (queue on redis, ${warm ? 'workers running' : "from the workers' start"})`,
        runs,
        median_ms: r(median),
        min_ms: r(times[0]!),
        max_ms: r(times[times.length - 1]!),
      };
      upMs.sort((a, b) => a - b);
      const upText = upMs.length ? `, workers up after ${Math.round(upMs[Math.floor(upMs.length / 2)]!)} ms` : '';
      const rate = `${(IMAGES / (median / 1000)).toFixed(1)} images/s, CPU ${cpuText(cpu)}${upText}`;
      const total = count * jobs;
      const batch = batchMs?.get(total);
      const slower = batch ? median / batch - 1 : undefined;
      const than =
        slower === undefined
          ? ''
          : `${Math.abs(slower * 100).toFixed(0)}% ${slower < 0 ? 'faster' : 'slower'} than --batch --jobs ${total}`;
      row.ratio =
        slower === undefined
          ? rate
          : warm
            ? `${rate}, ${than} (target ≤20% slower: ${slower <= 0.2 ? 'ok' : 'MISSED'})`
            : `${rate}, ${than} (the workers' start included: no target)`;
      rows.push(row);
    }
    return rows;
  } finally {
    await Promise.all(workers.map(stop));
    await stop(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}
