// jfish's start-up against node's, interleaved (one run of each command in turn, so that a
// busy machine slows them alike): `node -e 0` as the shims start it (without
// NODE_EXTRA_CA_CERTS), then `jfish --engine=userspace --ro -a IMG run : list-filesystems` on
// three.qcow2 and lvm.raw, the engine rows of `npm run bench`. Medians of JOOT_BENCH_RUNS (15)
// after one warm-up. `node dist/bench/startup.js [--kernel]` (--kernel adds the kernel engine
// on three.qcow2). On a shared machine, `chrt -f 50 taskset -c 1 node dist/bench/startup.js`
// gives steadier numbers (one core, ahead of the other work); JOOT_STARTUP_TRACE=1 bin/jfish …
// shows where one run's time goes.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = process.env.JOOT_FIXTURES ?? join(repo, '.cache/fixtures');
const runs = Number(process.env.JOOT_BENCH_RUNS ?? 15);
const jfish = join(repo, 'bin/jfish');
const { NODE_EXTRA_CA_CERTS: _extraCa, ...shimEnv } = process.env;

const lf = (engine: string, image: string): [string, string[]] => [
  jfish,
  [`--engine=${engine}`, '--ro', '-a', join(fixtures, image), 'run', ':', 'list-filesystems'],
];
const commands: [string, string, string[]][] = [
  ['node -e 0 (the floor)', process.execPath, ['-e', '0']],
  ['userspace three.qcow2', ...lf('userspace', 'three.qcow2')],
  ['userspace lvm.raw', ...lf('userspace', 'lvm.raw')],
];
if (process.argv.includes('--kernel')) commands.push(['kernel three.qcow2', ...lf('kernel', 'three.qcow2')]);

const times = commands.map((): number[] => []);
for (let i = 0; i <= runs; i++) {
  for (const [n, [name, cmd, args]] of commands.entries()) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env: shimEnv, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr.trim()}`);
    if (i > 0) times[n]!.push(ms); // run 0 warms the page cache (and writes jfish's code cache)
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const floor = median(times[0]!);
for (const [n, [name]] of commands.entries()) {
  const m = median(times[n]!);
  const target = name.startsWith('userspace') ? ` (target ≤ 50: ${m - floor <= 50 ? 'ok' : 'MISSED'})` : '';
  const above = n === 0 ? '' : `  ${(m - floor).toFixed(1)} ms above the floor${target}`;
  console.log(
    `${name.padEnd(24)} median ${m.toFixed(1).padStart(7)} ms  min ${Math.min(...times[n]!)
      .toFixed(1)
      .padStart(7)} ms${above}`,
  );
}
