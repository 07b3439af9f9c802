// The userspace filesystems against the kernel engine, side by side in one run (issue 15):
// jinspect of the Debian fixture, `jfish --ro -a IMG -i cat /etc/hostname` and a `tar-out /usr -`
// of the Debian root, each on both engines, with the floor (`node -e 0`) and virt-inspector
// measured by run.ts in the same run. Targets: jinspect on the userspace engine within 80 ms of
// the floor and ≥200× faster than virt-inspector; tar-out throughput at least the kernel
// engine's; peak RSS under 100 MiB. A row that cannot run says why and is left out.
import { spawnSync } from 'node:child_process';
import type { Row } from './hive.js';
import { timed } from './timed.js';

type Measure = (name: string, fn: () => Promise<void> | void, target?: number) => Promise<Row>;

export interface FsEngineInputs {
  jinspect: string;
  jfish: string;
  /** the Debian fixture (qcow2) */
  image: string;
  floorMs: number;
  /** virt-inspector's time on the same image in this run, when it was measured */
  virtInspectorMs?: number;
}

function run(cmd: string, args: string[]): number {
  const r = spawnSync(cmd, args, { encoding: 'buffer', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.toString().trim().split('\n').pop()}`);
  return r.stdout.length;
}

/** The peak RSS target of a userspace row (a row whose RSS was not measured misses it). */
function rssVerdict(r: Row): string {
  const mb = r.peak_rss_mb;
  return `peak RSS target 100 MiB: ${mb !== undefined && mb <= 100 ? 'ok' : 'MISSED'}`;
}

export async function fsEngineRows(measure: Measure, io: FsEngineInputs): Promise<Row[]> {
  const rows: Row[] = [];
  const tryRow = async (fn: () => Promise<Row>): Promise<Row | undefined> => {
    try {
      const r = await fn();
      rows.push(r);
      return r;
    } catch (e) {
      console.error(`bench: row left out: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const ins: Record<string, Row | undefined> = {};
  for (const engine of ['kernel', 'userspace'] as const) {
    const args = [`--engine=${engine}`, io.image];
    ins[engine] = await tryRow(async () => {
      const r = await measure(
        `jinspect --engine=${engine} debian-gpt.qcow2`,
        () => void run(io.jinspect, args),
        engine === 'userspace' ? io.floorMs + 80 : undefined,
      );
      r.peak_rss_mb = timed(io.jinspect, args).rssMb;
      return r;
    });
  }
  const u = ins.userspace;
  if (u) {
    const parts = [`${Math.round(u.median_ms - io.floorMs)} ms above node -e 0`];
    if (ins.kernel) parts.push(`${(ins.kernel.median_ms / u.median_ms).toFixed(1)}× faster than the kernel engine`);
    if (io.virtInspectorMs !== undefined) {
      const x = io.virtInspectorMs / u.median_ms;
      parts.push(`${Math.round(x)}× faster than virt-inspector (target ≥200×: ${x >= 200 ? 'ok' : 'MISSED'})`);
    }
    parts.push(rssVerdict(u));
    u.ratio = parts.join('; ');
  }
  for (const engine of ['kernel', 'userspace'] as const) {
    await tryRow(() =>
      measure(`jfish --engine=${engine} --ro -a debian-gpt.qcow2 -i cat /etc/hostname`, () => {
        if (run(io.jfish, [`--engine=${engine}`, '--ro', '-a', io.image, '-i', 'cat', '/etc/hostname']) === 0) throw new Error('no output');
      }),
    );
  }
  const tar: Record<string, { row: Row; bytes: number } | undefined> = {};
  for (const engine of ['kernel', 'userspace'] as const) {
    let bytes = 0;
    const row = await tryRow(async () => {
      const r = await measure(`jfish --engine=${engine} --ro -a debian-gpt.qcow2 -i tar-out /usr -`, () => {
        bytes = run(io.jfish, [`--engine=${engine}`, '--ro', '-a', io.image, '-i', 'tar-out', '/usr', '-']);
      });
      r.peak_rss_mb = timed(io.jfish, [`--engine=${engine}`, '--ro', '-a', io.image, '-i', 'tar-out', '/usr', '/dev/null']).rssMb;
      return r;
    });
    if (row) tar[engine] = { row, bytes };
  }
  for (const engine of ['kernel', 'userspace'] as const) {
    const t = tar[engine];
    if (!t) continue;
    const mbs = t.bytes / (1 << 20) / (t.row.median_ms / 1000);
    t.row.ratio = `${mbs.toFixed(0)} MiB/s of tar`;
    if (engine === 'userspace' && tar.kernel) {
      const k = tar.kernel.bytes / (1 << 20) / (tar.kernel.row.median_ms / 1000);
      t.row.ratio += `; target ≥ the kernel engine's ${k.toFixed(0)} MiB/s: ${mbs >= k ? 'ok' : 'MISSED'}`;
    }
    // the RSS target is the userspace engine's (the kernel engine's reads are the kernel's)
    if (engine === 'userspace') t.row.ratio += `; ${rssVerdict(t.row)}`;
  }
  return rows;
}
