// `npm run bench`: median wall-clock times of the appliance layer and of jfish end to end,
// on the test fixtures. Prints a table and writes JSON (bench/results.json or $JOOT_BENCH_OUT).
// Arguments name groups of rows to run alone (`node dist/bench/run.js batch queue`; GROUPS below).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../src/appliance/index.js';
import { parseDpkgStatus } from '../src/inspect/apps/dpkg.js';
import { embeddedSuiteRows } from './embedded.js';
import { engineRows } from './engines.js';
import { batchRows } from './batch.js';
import { queueRows } from './queue.js';
import { fsEngineRows } from './fs-engines.js';
import { timed } from './timed.js';
import { hiveBenchRows, type Row } from './hive.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = process.env.JOOT_FIXTURES ?? join(repo, '.cache/fixtures');
const runs = Number(process.env.JOOT_BENCH_RUNS ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function measure(name: string, fn: () => Promise<void> | void, target?: number, setup?: () => void): Promise<Row> {
  setup?.();
  await fn(); // warm-up: page cache, first-run costs
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    setup?.(); // untimed
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return { name, runs, median_ms: r(median(times)), min_ms: r(Math.min(...times)), max_ms: r(Math.max(...times)), target_ms: target };
}

async function listFilesystems(image: string): Promise<void> {
  await using s = new Session();
  s.addDrive(image, { readonly: true });
  await s.launch();
  s.listFilesystems();
}

/** virt-inspector's time on the Debian fixture, once inspectionRows measured it */
let virtInspectorMs: number | undefined;

async function inspectionRows(image: string): Promise<Row[]> {
  const jinspect = join(repo, 'bin/jinspect');
  let peak = 0;
  const row = await measure(
    'jinspect debian-gpt.qcow2 (debootstrap Debian 12, GPT, qcow2)',
    () => {
      peak = Math.max(peak, timed(jinspect, [image]).rssMb);
    },
    500,
  );
  row.peak_rss_mb = peak;
  const rows = [row];
  if (process.env.JOOT_BENCH_LIBGUESTFS !== '0' && spawnSync('sh', ['-c', 'command -v virt-inspector']).status === 0) {
    const env = { ...process.env, LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
    const vi = timed('virt-inspector', ['-a', image], env);
    const ms = Math.round(vi.ms);
    virtInspectorMs = vi.ms;
    row.ratio = `${Math.round(vi.ms / row.median_ms)}x faster than virt-inspector`;
    rows.push({
      name: 'reference: virt-inspector (libguestfs, TCG) same image, 1 run',
      runs: 1,
      median_ms: ms,
      min_ms: ms,
      max_ms: ms,
      peak_rss_mb: vi.rssMb,
    });
  } else {
    console.error('bench: virt-inspector not installed: no libguestfs reference row');
  }
  return rows;
}

/** A synthetic /var/lib/dpkg/status of 3,000 installed packages, parsed in-process. */
async function dpkgParseRow(): Promise<Row> {
  let status = '';
  for (let i = 0; i < 3000; i++) {
    status += `Package: pkg${i}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: ${i}\n`;
    status += `Maintainer: Someone <someone@example.org>\nArchitecture: amd64\nSource: src${i} (1:2.${i}-1)\nVersion: 1:2.${i}-1+deb12u1\n`;
    status += `Depends: libc6 (>= 2.34)\nHomepage: https://example.org/${i}\nDescription: package number ${i}\n some longer text\n .\n more text\n\n`;
  }
  return measure(
    'dpkg status of 3,000 packages parsed (in-process)',
    () => {
      if (parseDpkgStatus(status).applications.length !== 3000) throw new Error('dpkg parse lost packages');
    },
    100,
  );
}

function jfish(args: string[]): void {
  const r = spawnSync(join(repo, 'bin/jfish'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jfish ${args.join(' ')} failed: ${r.stderr}`);
}

/**
 * jfish's remote mode: one `jfish --listen` server (three.raw, /dev/sda1 mounted), then 100
 * `jfish --remote cat /one.txt` clients: the client's wall time per command and the time the
 * server spent in the command (it reports it with JFISH_REMOTE_TIMING=1). Optional: a failure
 * prints a note and gives no rows.
 */
function remoteRows(image: string): Row[] {
  const env = { ...process.env, JOOT_CONFIG: '', JFISH_REMOTE_TIMING: '1' };
  let pid: string | undefined;
  try {
    const l = spawnSync(join(repo, 'bin/jfish'), ['--listen', '--ro', '-a', image, '-m', '/dev/sda1'], { env, encoding: 'utf8' });
    pid = /^JFISH_PID=(\d+);/.exec(l.stdout)?.[1];
    if (l.status !== 0 || !pid) throw new Error(`jfish --listen failed: ${l.stderr.trim()}`);
    const wall: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < 101; i++) {
      const t0 = performance.now();
      const r = spawnSync(join(repo, 'bin/jfish'), [`--remote=${pid}`, 'cat', '/one.txt'], { env, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`jfish --remote cat failed: ${r.stderr.trim()}`);
      if (i === 0) continue; // warm-up
      wall.push(ms);
      const m = /server time ([0-9.]+) ms/.exec(r.stderr);
      if (m) server.push(Number(m[1]));
    }
    const row = (name: string, xs: number[]): Row => {
      const r = (x: number) => Math.round(x * 100) / 100;
      return { name, runs: xs.length, median_ms: r(median(xs)), min_ms: r(Math.min(...xs)), max_ms: r(Math.max(...xs)) };
    };
    const rows = [{ ...row('100 jfish --remote commands: median per command (client wall time)', wall), target_ms: 60 }];
    if (server.length) rows.push({ ...row('100 jfish --remote commands: median per command (time in the server)', server), target_ms: 2 });
    return rows;
  } catch (e) {
    console.error(`bench: no jfish --remote rows: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  } finally {
    if (pid) spawnSync(join(repo, 'bin/jfish'), [`--remote=${pid}`, 'exit'], { env });
  }
}

/**
 * The same jfish job through libguestfs's guestfish, once (each launch boots an appliance
 * VM under TCG here: 15-50 s), when it is installed and not turned off with
 * JOOT_BENCH_LIBGUESTFS=0.
 */
function libguestfsReference(image: string): Row | undefined {
  if (process.env.JOOT_BENCH_LIBGUESTFS === '0') return undefined;
  if (spawnSync('sh', ['-c', 'command -v guestfish']).status !== 0) {
    console.error('bench: guestfish not installed: no libguestfs reference row');
    return undefined;
  }
  const env = { ...process.env, LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
  const t0 = performance.now();
  const r = spawnSync('guestfish', ['--ro', '-a', image, 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/one.txt'], {
    env,
    encoding: 'utf8',
  });
  const ms = Math.round(performance.now() - t0);
  if (r.status !== 0) {
    console.error(`bench: guestfish failed: ${r.stderr.trim().split('\n').pop()}`);
    return undefined;
  }
  return { name: 'reference: guestfish (libguestfs, TCG) same job, 1 run', runs: 1, median_ms: ms, min_ms: ms, max_ms: ms };
}

/** jformat making a new 10 GiB qcow2 (--create), the file removed after each run. */
async function jformatRows(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-'));
  const target = join(dir, 'new.qcow2');
  const jformat = (args: string[]) => () => {
    rmSync(target, { force: true });
    const r = spawnSync(join(repo, 'bin/jformat'), ['-a', target, '--create', '10G', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`jformat ${args.join(' ')} failed: ${r.stderr.trim()}`);
  };
  try {
    const rows = [
      await measure(
        'jformat -a new.qcow2 --create 10G --partition=gpt --filesystem=ext4',
        jformat(['--partition=gpt', '--filesystem=ext4']),
        1000,
      ),
      await measure(
        'jformat -a new.qcow2 --create 10G --partition=gpt --lvm --filesystem=xfs',
        jformat(['--partition=gpt', '--lvm', '--filesystem=xfs']),
        1000,
      ),
    ];
    if (process.env.JOOT_BENCH_LIBGUESTFS !== '0' && spawnSync('sh', ['-c', 'command -v virt-format']).status === 0) {
      rmSync(target, { force: true });
      execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', target, '10G']);
      const env = { ...process.env, LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
      const t0 = performance.now();
      const r = spawnSync('virt-format', ['-a', target, '--partition=gpt', '--filesystem=ext4'], { env, encoding: 'utf8' });
      const ms = Math.round(performance.now() - t0);
      if (r.status === 0) {
        rows.push({
          name: 'reference: virt-format (libguestfs, TCG) same ext4 job, 1 run',
          runs: 1,
          median_ms: ms,
          min_ms: ms,
          max_ms: ms,
        });
        rows[0]!.ratio = `${Math.round(ms / rows[0]!.median_ms)}x faster than virt-format`;
      } else console.error(`bench: virt-format failed: ${r.stderr.trim().split('\n').pop()}`);
    } else console.error('bench: virt-format not installed (or JOOT_BENCH_LIBGUESTFS=0): no reference row');
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * joot on a Debian image (debian-gpt.qcow2, registered with `joot image add`; a temp joot_home
 * and run dir): medians of `joot create`, `joot delete`, `joot enter -- true` both on a joot
 * kept ready by the previous enter and cold (after `joot cleanup`, untimed), the disk
 * space of 100 fresh joots of the image, and, where systemd-container is installed, the peer a
 * user would otherwise pick: `systemd-nspawn --ephemeral --image` on a raw copy of the image.
 */
async function jootRows(image: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'joot-bench-joot-'));
  const env = { ...process.env, JOOT_CONFIG: join(dir, 'joot.cfg'), JOOT_RUN_DIR: join(dir, 'run') };
  writeFileSync(env.JOOT_CONFIG, `joot_home = ${join(dir, 'home')}\n`);
  const joot = (args: string[]) => {
    const r = spawnSync(join(repo, 'bin/joot'), args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`joot ${args.join(' ')} failed: ${r.stderr.trim()}`);
  };
  try {
    joot(['image', 'add', 'deb', image]);
    let n = 0;
    const rows = [await measure('joot create (qcow2 overlay on a Debian image)', () => joot(['create', `c${n++}`, 'deb']), 100)];
    let d = 0;
    rows.push(await measure('joot delete', () => joot(['delete', `c${d++}`]), 100));
    joot(['create', 'e', 'deb']);
    const enter = () => joot(['enter', 'e', '--', 'true']);
    rows.push(await measure('joot enter e -- true, joot kept ready (linger): container only', enter, 300));
    rows.push(await measure('joot enter e -- true, cold: holder, attach, mount, container', enter, 300, () => joot(['cleanup'])));
    joot(['delete', 'e']);
    const home = join(dir, 'home', 'joots');
    for (let i = 0; i < 100; i++) joot(['create', `h${i}`, 'deb']);
    const kb = Number(execFileSync('du', ['-sk', home], { encoding: 'utf8' }).split('\t')[0]);
    const mb = Math.round((kb / 1024) * 10) / 10;
    rows.push({
      name: `disk space of 100 fresh joots of one image: ${mb} MiB (target 50 MiB: ${mb <= 50 ? 'ok' : 'MISSED'})`,
      runs: 1,
      median_ms: 0,
      min_ms: 0,
      max_ms: 0,
    });
    if (spawnSync('sh', ['-c', 'command -v systemd-nspawn']).status === 0) {
      const raw = join(dir, 'deb.raw');
      execFileSync('qemu-img', ['convert', '-O', 'raw', image, raw]);
      const nspawn = (args: string[]) => () => {
        const r = spawnSync('systemd-nspawn', ['--quiet', '--register=no', '--keep-unit', '--ephemeral', ...args, '--', '/bin/true'], {
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(`systemd-nspawn failed: ${r.stderr.trim().split('\n').pop()}`);
      };
      // the same Debian tree, unpacked, for where --image cannot run (no udev, or no kernel
      // partition table parser: nspawn dissects the image through both)
      const tree = join(fixtures, '.debootstrap-bookworm', 'root');
      let peer: Row | undefined;
      try {
        peer = await measure('peer: systemd-nspawn --ephemeral --image=deb.raw -- true', nspawn([`--image=${raw}`]));
      } catch (e) {
        console.error(`bench: systemd-nspawn --image cannot run here (${e instanceof Error ? e.message : String(e)})`);
        if (existsSync(tree)) {
          try {
            peer = await measure('peer: systemd-nspawn --ephemeral -D (the same Debian tree, unpacked) -- true', nspawn(['-D', tree]));
          } catch (e2) {
            console.error(
              `bench: systemd-nspawn -D cannot run here either (${e2 instanceof Error ? e2.message : String(e2)}): no peer row for joot enter`,
            );
          }
        }
      }
      if (peer) {
        rows.push(peer);
        for (const i of [2, 3])
          rows[i]!.ratio = `${Math.round((peer.median_ms / rows[i]!.median_ms) * 10) / 10}x faster than systemd-nspawn --ephemeral`;
      }
    } else console.error('bench: systemd-nspawn not installed (systemd-container): no peer row for joot enter');
    return rows;
  } catch (e) {
    console.error(`bench: no joot rows: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  } finally {
    spawnSync(join(repo, 'bin/joot'), ['purge', '--yes'], { env });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** jinspect of the phony Windows 11 guest (GPT, ESP, NTFS through ntfs-3g, real hives). */
async function windowsInspectRow(): Promise<Row> {
  execFileSync('bash', [join(repo, 'test/fixtures/build.sh'), fixtures, 'win11.raw'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const jinspect = join(repo, 'bin/jinspect');
  let peak = 0;
  const row = await measure(
    'jinspect phony Windows guest (win11.raw: GPT, ESP, NTFS, SOFTWARE+SYSTEM hives)',
    () => {
      peak = Math.max(peak, timed(jinspect, [join(fixtures, 'win11.raw')]).rssMb);
    },
    500,
  );
  row.peak_rss_mb = peak;
  return row;
}

/** The groups of rows, in the order they run; `node dist/bench/run.js GROUP…` runs only those. */
const GROUPS = [
  'attach',
  'jfish',
  'remote',
  'startup',
  'engines',
  'inspect',
  'fs-engines',
  'batch',
  'queue',
  'jformat',
  'joot',
  'dpkg',
  'windows',
  'hive',
  'embedded',
] as const;
type Group = (typeof GROUPS)[number];

function chosenGroups(argv: string[]): Set<Group> {
  const unknown = argv.filter((a) => !(GROUPS as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`bench: unknown group ${unknown.join(', ')} (groups: ${GROUPS.join(' ')})`);
  return new Set((argv.length ? argv : GROUPS) as Group[]);
}

async function main(): Promise<void> {
  const only = chosenGroups(process.argv.slice(2));
  const want = (g: Group): boolean => only.has(g);
  execFileSync('bash', [join(repo, 'test/fixtures/build.sh'), fixtures, 'mbr.raw', 'three.qcow2', 'three.raw', 'lvm.raw'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const img = (n: string) => join(fixtures, n);
  const rows: Row[] = [];
  if (want('attach')) {
    rows.push(await measure('attach+list-filesystems+close raw (mbr.raw, loop)', () => listFilesystems(img('mbr.raw'))));
    rows.push(await measure('attach+list-filesystems+close qcow2 (three.qcow2, FUSE)', () => listFilesystems(img('three.qcow2'))));
    rows.push(await measure('attach+list-filesystems+close LVM (lvm.raw, 2 LVs as loops)', () => listFilesystems(img('lvm.raw'))));
  }
  if (want('jfish')) {
    rows.push(
      await measure(
        'jfish --ro -a three.qcow2 run : mount-ro /dev/sda1 / : cat /one.txt',
        () => jfish(['--ro', '-a', img('three.qcow2'), 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/one.txt']),
        300,
      ),
    );
    rows.push(
      await measure('jfish --ro -a three.raw run : mount-ro /dev/sda1 / : cat /one.txt', () =>
        jfish(['--ro', '-a', img('three.raw'), 'run', ':', 'mount-ro', '/dev/sda1', '/', ':', 'cat', '/one.txt']),
      ),
    );
  }
  if (want('remote')) rows.push(...remoteRows(img('three.raw')));
  // as the bin/ shims start it: without NODE_EXTRA_CA_CERTS (see bin/launch.sh)
  const { NODE_EXTRA_CA_CERTS: extraCa, ...shimEnv } = process.env;
  let floor: Row | undefined;
  if (want('startup') || want('engines') || want('fs-engines')) {
    floor = await measure(
      'node startup alone (node -e 0, as the bin/ shims start it), for reference',
      () => void spawnSync(process.execPath, ['-e', '0'], { env: shimEnv }),
    );
    rows.push(floor);
  }
  if (want('engines') && floor) rows.push(...(await engineRows(measure, join(repo, 'bin/jfish'), img, floor.median_ms)));
  if (want('startup') && extraCa)
    rows.push(
      await measure(
        'node startup with NODE_EXTRA_CA_CERTS set, as in this environment (the shims unset it)',
        () => void spawnSync(process.execPath, ['-e', '0']),
      ),
    );
  execFileSync('bash', [join(repo, 'test/fixtures/build.sh'), fixtures, 'debian-gpt.qcow2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (want('inspect')) rows.push(...(await inspectionRows(img('debian-gpt.qcow2'))));
  if (want('fs-engines') && floor)
    rows.push(
      ...(await fsEngineRows(measure, {
        jinspect: join(repo, 'bin/jinspect'),
        jfish: join(repo, 'bin/jfish'),
        image: img('debian-gpt.qcow2'),
        floorMs: floor.median_ms,
        virtInspectorMs,
      })),
    );
  /** --batch's median by its --jobs: the queue rows compare with the batch of their total concurrency */
  let batchMs: Map<number, number> | undefined;
  if (want('batch'))
    try {
      const batch = batchRows(join(repo, 'bin/jinspect'), img('debian-gpt.qcow2'));
      batchMs = batch.byJobs;
      rows.push(...batch.rows);
    } catch (e) {
      console.error(`bench: batch rows left out: ${e instanceof Error ? e.message : String(e)}`);
    }
  if (want('queue'))
    try {
      rows.push(...(await queueRows(join(repo, 'bin/jinspect'), img('debian-gpt.qcow2'), batchMs)));
    } catch (e) {
      console.error(`bench: queue rows left out: ${e instanceof Error ? e.message : String(e)}`);
    }
  if (want('jfish'))
    rows.push(
      await measure(
        'jfish --ro -a debian-gpt.qcow2 -i cat /etc/hostname',
        () => jfish(['--ro', '-a', img('debian-gpt.qcow2'), '-i', 'cat', '/etc/hostname']),
        500,
      ),
    );
  if (want('jformat')) rows.push(...(await jformatRows()));
  if (want('joot')) rows.push(...(await jootRows(img('debian-gpt.qcow2'))));
  if (want('dpkg')) rows.push(await dpkgParseRow());
  if (want('windows')) rows.push(await windowsInspectRow());
  if (want('hive')) rows.push(...hiveBenchRows());
  if (want('embedded')) {
    // the embedded suite's wall time, and per test beside libguestfs's per-test cost: one
    // guestfish launch doing one action (the reference row below)
    const embedded = process.env.JOOT_BENCH_EMBEDDED === '0' ? [] : await embeddedSuiteRows(repo, fixtures);
    rows.push(...embedded);
    const perTest = embedded[1];
    if (perTest) perTest.target_ms = 5000;
    const lg = libguestfsReference(img('three.qcow2'));
    if (lg) rows.push(lg);
    if (lg && embedded[0] && perTest) {
      const each = embedded[0].median_ms / perTest.runs;
      perTest.ratio = `${Math.round(lg.median_ms / each)}x less than a guestfish launch`;
    }
  }

  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'benchmark'.padEnd(w)}  median ms    min    max  peak MiB  target`);
  for (const r of rows) {
    const verdict = r.target_ms === undefined ? '' : `${r.target_ms} ${r.median_ms <= r.target_ms ? 'ok' : 'MISSED'}`;
    const rss = r.peak_rss_mb === undefined ? '' : String(r.peak_rss_mb);
    console.log(
      `${r.name.padEnd(w)}  ${String(r.median_ms).padStart(9)} ${String(r.min_ms).padStart(6)} ${String(r.max_ms).padStart(6)} ${rss.padStart(9)}  ${verdict}${r.ratio ? `  (${r.ratio})` : ''}`,
    );
  }
  const out = process.env.JOOT_BENCH_OUT ?? join(repo, 'bench/results.json');
  const report = { date: new Date().toISOString(), node: process.version, runs, results: rows };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report));
}

await main();
