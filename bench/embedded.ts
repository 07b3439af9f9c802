// The embedded suite's cost per test: a fixed sample of the operation records' tests translated
// from libguestfs (`from: 'libguestfs'`), each run as test/integration/op-records.test.ts runs
// one (a copy of the prepared template disk, a fresh session, its filesystems mounted, the
// setup lines, the operation, the after and check lines, the session closed, the copy removed),
// one after another, timed end to end. libguestfs's cost for one such test is one guestfish
// launch doing one action (bench/run.ts's reference row), which the caller sets beside it.
// Only tests on `jfish -N` kinds are sampled (the fixture disks are the test suite's).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../src/appliance/session.js';
import { oneLine } from '../src/core/errors.js';
import { BufferWriter } from '../src/core/output.js';
import { erase, type Op, type OpTest } from '../src/ops/op.js';
import { createPrepared, layOutPrepared, parsePrepared } from '../src/ops/prepared.js';
import { opRecords } from '../src/ops/records/index.js';
import { makeCtx, runScript } from '../src/tools/jfish/dispatch.js';
import { Sessions } from '../src/tools/jfish/startup.js';
import { table } from '../src/tools/jfish/table.js';
import type { Row } from './hive.js';

/** What op-records.test.ts mounts for the kinds sampled here (the others mount nothing). */
const MOUNTS: Record<string, [string, string][]> = { fs: [['/dev/sda1', '/']], lvfs: [['/dev/VG/LV', '/']] };
const KINDS = new Set(['fs', 'lvfs', 'disk', 'part']);

async function jfishLines(sessions: Sessions, lines: readonly (readonly string[])[]): Promise<{ out: string; error?: string }> {
  const out = new BufferWriter();
  const ctx = makeCtx({ sessions, out, readonly: false, table });
  try {
    await runScript(
      ctx,
      lines.map((l) => [...l]),
    );
    return { out: out.text() };
  } catch (e) {
    return { out: out.text(), error: oneLine(e) };
  }
}

function matches(actual: string, want: string | RegExp): boolean {
  return typeof want === 'string' ? actual.replace(/\n$/, '') === want : want.test(actual);
}

/** `n` of the translated tests on prepared kinds, spread evenly over the records, always the same ones. */
export function embeddedSample(n: number): { op: Op; test: OpTest }[] {
  const all: { op: Op; test: OpTest }[] = [];
  for (const rec of opRecords) {
    const op = erase(rec as never);
    for (const test of op.tests) {
      const kind = (test.disk ?? 'fs').split(':')[0]!;
      if (test.from === 'libguestfs' && !test.readonly && KINDS.has(kind)) all.push({ op, test });
    }
  }
  if (all.length <= n) return all;
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
}

/** One test as op-records runs it; whether it passed. */
async function runOne(op: Op, t: OpTest, template: string, file: string): Promise<boolean> {
  execFileSync('cp', ['--sparse=always', template, file]);
  const sessions = new Sessions(() => new Session());
  sessions.addDrive(file, { format: 'raw', readonly: false });
  try {
    await sessions.session.launch();
    const mounts = (MOUNTS[(t.disk ?? 'fs').split(':')[0]!] ?? []).map(([dev, at]) => ['mount', dev, at]);
    if ((await jfishLines(sessions, [...mounts, ...(t.setup ?? [])])).error) return false;
    const r = await jfishLines(sessions, [[op.name, ...t.args]]);
    if (t.error ? !(r.error && t.error.test(r.error)) : r.error || (t.expect !== undefined && !matches(r.out, t.expect))) return false;
    if (t.after && (await jfishLines(sessions, t.after)).error) return false;
    if (t.check) {
      const c = await jfishLines(sessions, [t.check.run]);
      if (c.error || !matches(c.out, t.check.expect)) return false;
    }
    return true;
  } finally {
    await sessions.close();
    rmSync(file, { force: true });
  }
}

/** The row: median wall time per embedded test over the sample (templates made first, untimed). */
export async function embeddedSuiteRow(n = Number(process.env.JOOT_BENCH_EMBEDDED ?? 20)): Promise<Row> {
  const work = mkdtempSync(join(tmpdir(), 'joot-bench-embedded-'));
  const cwd = process.cwd();
  try {
    // relative host paths of a test (download /f local.txt) land in the work directory
    process.chdir(work);
    const sample = embeddedSample(n);
    const templates = new Map<string, string>();
    for (const { test } of sample) {
      const disk = test.disk ?? 'fs';
      if (templates.has(disk)) continue;
      const file = join(work, `template-${templates.size}.img`);
      const prepared = parsePrepared(`${file}=${disk}`, 0);
      const created: string[] = [];
      await createPrepared([{ prepared }], false, created);
      const sessions = new Sessions(() => new Session());
      sessions.addDrive(file, { format: 'raw', readonly: false });
      try {
        await layOutPrepared(sessions.session, [{ prepared }], created);
      } finally {
        await sessions.close();
      }
      templates.set(disk, file);
    }
    const times: number[] = [];
    let failed = 0;
    for (const [i, { op, test }] of sample.entries()) {
      const t0 = performance.now();
      const ok = await runOne(op, test, templates.get(test.disk ?? 'fs')!, join(work, `disk-${i}.img`));
      times.push(performance.now() - t0);
      if (!ok) failed++;
    }
    const s = [...times].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    const r = (x: number) => Math.round(x * 10) / 10;
    const total = times.reduce((a, b) => a + b, 0);
    return {
      name: `embedded suite: ${sample.length} libguestfs-translated record tests, median per test (total ${(total / 1000).toFixed(1)} s${failed ? `, ${failed} FAILED` : ''})`,
      runs: sample.length,
      median_ms: r(median),
      min_ms: r(s[0] ?? 0),
      max_ms: r(s[s.length - 1] ?? 0),
    };
  } finally {
    process.chdir(cwd);
    rmSync(work, { recursive: true, force: true });
  }
}
