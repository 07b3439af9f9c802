// The embedded suite's wall time: every operation record's test translated from libguestfs
// (`from: 'libguestfs'`), run as test/integration/op-records.test.ts runs them
// (bench/record-test-run.ts: a copy of the test's disk, a fresh session, its filesystems mounted,
// the setup lines, the operation, the after and check lines, the session closed, the copy
// removed), as many at a time as the suite runs them (JOOT_TEST_CONCURRENCY, default 4), timed
// from the first start to the last end. The disk templates and fixtures are made first, untimed.
// libguestfs's cost for one such test is one guestfish launch doing one action (bench/run.ts's
// reference row), which the caller sets beside the per-test row.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectionRecords } from '../src/inspect/records/index.js';
import { erase, type Op, type OpTest } from '../src/ops/op.js';
import { opRecords } from '../src/ops/records/index.js';
import type { Row } from './hive.js';
import { FIXTURE_DISKS, hostTouching, inOwnCwd, makePreparedTemplate, runRecordTest, testTitle } from './record-test-run.js';

/** Every libguestfs-translated test of every record. */
export function embeddedTests(): { op: Op; test: OpTest }[] {
  const all: { op: Op; test: OpTest }[] = [];
  for (const rec of [...opRecords, ...inspectionRecords]) {
    const op = erase(rec as never);
    for (const test of op.tests) if (test.from === 'libguestfs') all.push({ op, test });
  }
  return all;
}

/** Run `jobs` at a time: each worker takes the next item until none is left. */
async function pool<T>(items: readonly T[], jobs: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}

/**
 * Two rows: the whole embedded suite's wall time (one run), and its cost per test (that total over
 * the number of tests; the median, min and max of the tests' own times beside it).
 */
export async function embeddedSuiteRows(repo: string, fixturesDir: string): Promise<Row[]> {
  const tests = embeddedTests();
  const jobs = Number(process.env.JOOT_TEST_CONCURRENCY) || 4;
  const work = mkdtempSync(join(tmpdir(), 'joot-bench-embedded-'));
  try {
    const disks = [...new Set(tests.map(({ test }) => test.disk ?? 'fs'))];
    const fixtureNames = disks.filter((d) => FIXTURE_DISKS[d]).map((d) => FIXTURE_DISKS[d]!);
    execFileSync('bash', [join(repo, 'test/fixtures/build.sh'), fixturesDir, ...fixtureNames], { stdio: ['ignore', 'ignore', 'inherit'] });
    const templates = new Map<string, string>();
    for (const disk of disks) {
      const fixed = FIXTURE_DISKS[disk];
      if (fixed) templates.set(disk, join(fixturesDir, fixed));
      else {
        const file = join(work, `template-${templates.size}.img`);
        await makePreparedTemplate(disk, file);
        templates.set(disk, file);
      }
    }
    const times: number[] = [];
    const failed: string[] = [];
    const t0 = performance.now();
    await pool(tests, jobs, async ({ op, test }, i) => {
      const started = performance.now();
      const run = () => runRecordTest(op, test, templates.get(test.disk ?? 'fs')!, join(work, `disk-${i}.img`));
      const failure = await (hostTouching(op, test) ? inOwnCwd(mkdtempSync(join(work, 'host-')), run) : run()).catch((e: unknown) =>
        String(e),
      );
      times.push(performance.now() - started);
      if (failure) failed.push(`${op.name}: ${testTitle(op, test)}: ${failure}`);
    });
    const total = performance.now() - t0;
    for (const f of failed) console.error(`bench: embedded test failed: ${f}`);
    const s = [...times].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    const r = (x: number) => Math.round(x * 10) / 10;
    const bad = failed.length ? `, ${failed.length} FAILED` : '';
    return [
      {
        name: `embedded suite: all ${tests.length} libguestfs-translated record tests, ${jobs} at a time, whole run${bad}`,
        runs: 1,
        median_ms: r(total),
        min_ms: r(total),
        max_ms: r(total),
      },
      {
        name: `embedded suite: per test (whole run / ${tests.length} = ${r(total / tests.length)} ms; one test's own time: median, min, max)`,
        runs: tests.length,
        median_ms: r(median),
        min_ms: r(s[0] ?? 0),
        max_ms: r(s[s.length - 1] ?? 0),
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
