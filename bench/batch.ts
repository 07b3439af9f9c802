// jinspect --batch against separate jinspect runs (issue 18): 100 qcow2 overlays of the Debian
// fixture inspected by 100 jinspect processes, then by one `--batch --no-cache` with --jobs 1,
// 3 and 4, side by side in one run, as images per second (--jobs 3 and 4: what the queue's
// three workers × 1 and one worker × 4 are compared with). Target: the batch at least 3×
// the throughput of separate runs. Each row runs a few times (JOOT_BENCH_BATCH_RUNS, default 3:
// a run is 100 inspections) and reports the median.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './hive.js';
import { cpuOfRun } from './timed.js';

const IMAGES = 100;
const runs = Number(process.env.JOOT_BENCH_BATCH_RUNS) || 3;

function check(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… failed: ${r.stderr.trim().split('\n').pop()}`);
}

function timeRuns(fn: () => void): { median: number; min: number; max: number } {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times[times.length - 1]! };
}

function row(name: string, t: { median: number; min: number; max: number }): Row {
  const r = (x: number) => Math.round(x * 10) / 10;
  return { name, runs, median_ms: r(t.median), min_ms: r(t.min), max_ms: r(t.max) };
}

/** The median CPU of the runs, in seconds. */
export function cpuText(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${(s[Math.floor(s.length / 2)]! / 1000).toFixed(2)} s`;
}

/** The batch rows; `base` is the Debian fixture (qcow2). */
/** The rows, and --batch's median by its --jobs (what the queue rows compare with). */
export function batchRows(jinspect: string, base: string): { rows: Row[]; byJobs: Map<number, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-batch-'));
  try {
    // a copy of the base beside the overlays (named relatively): the backing-file rule allows it
    // wherever the fixtures live, whatever links they have
    check('cp', ['--sparse=always', '--reflink=auto', base, join(dir, 'base.qcow2')]);
    const overlays = Array.from({ length: IMAGES }, (_, i) => join(dir, `vm${String(i).padStart(3, '0')}.qcow2`));
    for (const o of overlays) check('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', 'base.qcow2', o]);
    const common = ['--engine=userspace'];
    check(jinspect, [...common, overlays[0]!]); // warm-up: page cache
    const separate = timeRuns(() => {
      for (const o of overlays) check(jinspect, [...common, o]);
    });
    const rate = (ms: number) => (IMAGES / (ms / 1000)).toFixed(1);
    const rows = [row(`jinspect × ${IMAGES} overlays, one process each`, separate)];
    rows[0]!.ratio = `${rate(separate.median)} images/s`;
    const byJobs = new Map<number, number>();
    for (const jobs of [1, 3, 4]) {
      const cpu: number[] = [];
      const t = timeRuns(() => cpu.push(cpuOfRun(jinspect, ['--batch', '--no-cache', `--jobs=${jobs}`, ...common, ...overlays])));
      const x = separate.median / t.median;
      const r = row(`jinspect --batch --jobs ${jobs} × ${IMAGES} overlays`, t);
      // CPU beside wall: on a busy host the wall time follows the CPU a run needs
      r.ratio = `${rate(t.median)} images/s, ${x.toFixed(1)}× separate runs (target ≥3×: ${x >= 3 ? 'ok' : 'MISSED'}), CPU ${cpuText(cpu)}`;
      rows.push(r);
      byJobs.set(jobs, t.median);
    }
    return { rows, byJobs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
