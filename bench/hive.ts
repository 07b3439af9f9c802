// Bench rows for the registry hive library: reading every key and value of a 50 MB hive
// (target under 1 s). The hive is generated once by joot's writer into .cache/hives/.
// `hiveBenchRows()` returns rows in bench/run.ts's Row shape; run this file alone to print them.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hive, REG_BINARY, REG_EXPAND_SZ } from '../src/hive/index.js';

/** One benchmark result, as bench/run.ts prints and writes it. */
export interface Row {
  name: string;
  peak_rss_mb?: number;
  ratio?: string;
  runs: number;
  median_ms: number;
  min_ms: number;
  max_ms: number;
  target_ms?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
// Works from bench/ (sources) and dist/bench/ (compiled).
const repo = existsSync(join(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');

/** A ~50 MB SOFTWARE-like hive: 200 × 200 keys with six values each, and some big binaries. */
export function bigHive(cacheDir = join(repo, '.cache/hives')): string {
  const file = join(cacheDir, 'big-50mb.hive');
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  const h = Hive.create('ROOT');
  for (let a = 0; a < 200; a++) {
    const vendor = h.root().addChild(`Vendor ${a} Corporation`);
    for (let b = 0; b < 200; b++) {
      const k = vendor.addChild(`Product{${(a * 1000 + b).toString(16).padStart(8, '0')}-1234-5678-9abc-def012345678}`);
      k.setString('DisplayName', `Product number ${b} of vendor ${a}, a fine piece of software`);
      k.setString('InstallLocation', `%ProgramFiles%\\Vendor ${a}\\Product ${b}\\`, REG_EXPAND_SZ);
      k.setDword('Version', a * 65536 + b);
      k.setQword('InstallTime', BigInt(a) * 1000000n + BigInt(b));
      k.setMultiString('Components', ['core', `plugin-${b}`, `locale-${a % 7}`]);
      k.setValue('Settings', REG_BINARY, Buffer.alloc(160 + (b % 50), b & 0xff));
      if (b % 100 === 0) k.setValue('Blob', REG_BINARY, Buffer.alloc(48000, a & 0xff));
    }
  }
  writeFileSync(`${file}.tmp`, h.serialize());
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Open the hive and read every key (name, path) and every value (name, type, data). */
export function readEverything(buf: Buffer): { keys: number; values: number; bytes: number } {
  const h = Hive.open(buf);
  let keys = 0;
  let values = 0;
  let bytes = 0;
  for (const node of h.walk()) {
    keys++;
    bytes += node.name.length;
    for (const v of node.values()) {
      values++;
      bytes += v.name.length + v.data.length + v.type * 0;
    }
  }
  return { keys, values, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function hiveBenchRows(runs = Number(process.env.JOOT_BENCH_RUNS ?? 7)): Row[] {
  const file = bigHive();
  const buf = readFileSync(file);
  readEverything(buf); // warm-up
  const times: number[] = [];
  let counts = { keys: 0, values: 0, bytes: 0 };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    counts = readEverything(buf);
    times.push(performance.now() - t0);
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  const mb = Math.round(buf.length / 1048576);
  return [
    {
      name: `hive: read every key and value of a ${mb} MiB hive (${counts.keys} keys, ${counts.values} values)`,
      runs,
      median_ms: r(median(times)),
      min_ms: r(Math.min(...times)),
      max_ms: r(Math.max(...times)),
      target_ms: 1000,
      peak_rss_mb: Math.round(process.memoryUsage().rss / 1048576),
    },
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(hiveBenchRows(), null, 2));
}
