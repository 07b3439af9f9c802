// The two engines side by side in one run: `jfish --ro -a IMG run : list-filesystems` on the
// 3-partition qcow2 and on the LVM image, with each engine, against `node -e 0` (the floor).
// Targets (issue 14): the userspace engine within 50 ms of the floor and at least 2× faster
// than the kernel engine on the qcow2; peak RSS under 100 MiB, also for a 1 TiB sparse qcow2 —
// whose cost must follow the metadata read, not the image size (a 2 GiB image of the same
// content is measured next to it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './hive.js';
import { timed } from './timed.js';

type Measure = (name: string, fn: () => Promise<void> | void, target?: number) => Promise<Row>;

/** A qcow2 of `size` with a GPT and an ext4 in its first 64 MiB (same content at any size). */
function sparseQcow2(dir: string, name: string, size: string): string {
  const raw = join(dir, `${name}.raw`);
  const out = join(dir, `${name}.qcow2`);
  execFileSync('truncate', ['-s', '80M', raw]);
  execFileSync('sfdisk', ['-q', raw], { input: 'label: gpt\nstart=2048, size=131072, type=L\n' });
  execFileSync('mkfs.ext4', ['-q', '-F', '-E', 'offset=1048576', '-L', 'big', raw, '64M']);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, out]);
  execFileSync('qemu-img', ['resize', '-q', out, size]);
  rmSync(raw);
  return out;
}

export async function engineRows(measure: Measure, jfishBin: string, img: (n: string) => string, floorMs: number): Promise<Row[]> {
  const rows: Row[] = [];
  const lf = (engine: string, image: string) => () => {
    const r = spawnSync(jfishBin, [`--engine=${engine}`, '--ro', '-a', image, 'run', ':', 'list-filesystems'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`jfish --engine=${engine} list-filesystems failed: ${r.stderr.trim()}`);
  };
  for (const [label, image] of [
    ['three.qcow2', img('three.qcow2')],
    ['lvm.raw', img('lvm.raw')],
  ] as const) {
    const k = await measure(`jfish --engine=kernel --ro -a ${label} run : list-filesystems`, lf('kernel', image));
    const u = await measure(`jfish --engine=userspace --ro -a ${label} run : list-filesystems`, lf('userspace', image), floorMs + 50);
    u.peak_rss_mb = timed(jfishBin, ['--engine=userspace', '--ro', '-a', image, 'run', ':', 'list-filesystems']).rssMb;
    u.ratio = `${(k.median_ms / u.median_ms).toFixed(1)}× faster than the kernel engine, ${Math.round(u.median_ms - floorMs)} ms above node -e 0${label === 'three.qcow2' ? `; target ≥2×: ${k.median_ms / u.median_ms >= 2 ? 'ok' : 'MISSED'}` : ''}`;
    rows.push(k, u);
  }
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-engines-'));
  try {
    for (const [label, size] of [
      ['2 GiB', '2G'],
      ['1 TiB', '1T'],
    ] as const) {
      const image = sparseQcow2(dir, label.replace(' ', ''), size);
      const r = await measure(`jfish --engine=userspace --ro -a sparse ${label} qcow2 run : list-filesystems`, lf('userspace', image));
      r.peak_rss_mb = timed(jfishBin, ['--engine=userspace', '--ro', '-a', image, 'run', ':', 'list-filesystems']).rssMb;
      r.ratio = `peak RSS target 100 MiB: ${r.peak_rss_mb <= 100 ? 'ok' : 'MISSED'}`;
      rows.push(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
