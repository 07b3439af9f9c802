// Shared by the hygiene-*.test.ts files: a private sandbox (image copies + JOOT_RUN_DIR), a child
// node process holding a Session from the built dist/ code, and small process helpers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { helperProcesses, loopDevices, mountEntries, processDead, procState, sessionRecords } from './leftovers.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST_INDEX = join(REPO, 'dist/src/appliance/index.js');
export const DIST_INHERITED_MOUNTS = join(REPO, 'dist/src/appliance/inherited-mounts.js');
export const BUILT =
  existsSync(DIST_INDEX) && existsSync(join(REPO, 'dist/bundle/jfish.mjs')) && existsSync(join(REPO, 'dist/bundle/joot.mjs'));
export const ROOT = process.getuid?.() === 0;
export const SKIP = !ROOT ? 'needs root (loop devices, mounts)' : !BUILT ? 'not built (run npm run build)' : '';

export interface Sandbox {
  /** everything of this test file lives under here */
  dir: string;
  /** JOOT_RUN_DIR of this file's sessions */
  run: string;
  /** a copy of a fixture under dir (sparse), so loop devices here name our own files */
  copy(name: FixtureName, as?: string): Promise<string>;
  remove(): void;
}

/** A private directory under /var/tmp (not tmpfs-limited), with a run dir. */
export function sandbox(prefix: string): Sandbox {
  const dir = mkdtempSync(join('/var/tmp', `joot-${prefix}-`));
  const run = join(dir, 'run');
  mkdirSync(join(dir, 'img'));
  return {
    dir,
    run,
    async copy(name, as) {
      const src = await fixture(name);
      const dst = join(dir, 'img', as ?? name);
      execFileSync('cp', ['--sparse=always', src, dst]);
      return dst;
    },
    remove() {
      scrub(dir, { runDir: run });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

// ---------------------------------------------------------------- the child

export interface ChildDrive {
  path: string;
  readonly?: boolean;
  format?: string;
}
export interface ChildPlan {
  drives: ChildDrive[];
  mounts?: { device: string; mountpoint: string; readonly?: boolean }[];
  /** a guest file to read once mounted (its text is printed with READY) */
  read?: string;
  /** ms to wait after printing STARTED before launch (to aim a signal at launch) */
  delayMs?: number;
}

const CHILD_SOURCE = `
import { Session } from ${JSON.stringify(DIST_INDEX)};
import { dropInheritedSessionMounts } from ${JSON.stringify(DIST_INHERITED_MOUNTS)};
await dropInheritedSessionMounts(); // as every tool does first (bin/launch.sh sets JOOT_NS_FRESH)
const plan = JSON.parse(process.env.HYG_PLAN);
const s = new Session();
for (const d of plan.drives) s.addDrive(d.path, { readonly: d.readonly, format: d.format });
process.stdout.write('STARTED\\n');
if (plan.delayMs) await new Promise((r) => setTimeout(r, plan.delayMs));
try {
  await s.launch();
  for (const m of plan.mounts ?? []) await s.mount(m.device, m.mountpoint, { readonly: m.readonly });
  const text = plan.read ? (await s.readFile(plan.read)).toString('utf8') : '';
  process.stdout.write('READY ' + JSON.stringify({ pid: process.pid, text }) + '\\n');
} catch (e) {
  process.stdout.write('FAILED ' + JSON.stringify({ code: e.code, message: e.message }) + '\\n');
  await s.close().catch(() => {});
  // not process.exit: if a signal closed the session, its handler exits 128+N once released
  process.exitCode = 3;
}
if (process.exitCode !== 3) setInterval(() => {}, 1 << 30); // hold the session until signalled
`;

export interface Child {
  proc: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the READY payload, rejects with the FAILED one or an early exit */
  ready: Promise<{ pid: number; text: string }>;
  started: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildOptions {
  runDir?: string;
  /** run inside `unshare --mount --propagation private`, as bin/launch.sh does */
  privateNs?: boolean;
  env?: Record<string, string>;
}

export function writeChildScript(dir: string): string {
  const file = join(dir, 'child.mjs');
  if (!existsSync(file)) writeFileSync(file, CHILD_SOURCE);
  return file;
}

export function startChild(dir: string, plan: ChildPlan, opts: ChildOptions = {}): Child {
  const script = writeChildScript(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, HYG_PLAN: JSON.stringify(plan), ...opts.env };
  if (opts.privateNs) env.JOOT_NS_FRESH = '1';
  if (opts.runDir) env.JOOT_RUN_DIR = opts.runDir;
  else delete env.JOOT_RUN_DIR;
  const [cmd, args] = opts.privateNs
    ? ['unshare', ['--mount', '--propagation', 'private', process.execPath, script]]
    : [process.execPath, [script]];
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => res({ code, signal })),
  );
  let onLine: () => void = () => undefined;
  proc.stdout!.on('data', (d: string) => {
    out += d;
    onLine();
  });
  proc.stderr!.on('data', (d: string) => (err += d));
  const started = new Promise<void>((res, rej) => {
    const check = () => {
      if (/^STARTED$/m.test(out)) res();
    };
    const prev = onLine;
    onLine = () => {
      prev();
      check();
    };
    void exit.then(() => rej(new Error(`child exited before STARTED: ${err}`)));
  });
  const ready = new Promise<{ pid: number; text: string }>((res, rej) => {
    const check = () => {
      const m = /^READY (.*)$/m.exec(out);
      if (m) res(JSON.parse(m[1]!) as { pid: number; text: string });
      const f = /^FAILED (.*)$/m.exec(out);
      if (f) rej(Object.assign(new Error(`child failed: ${f[1]}`), JSON.parse(f[1]!) as object));
    };
    const prev = onLine;
    onLine = () => {
      prev();
      check();
    };
    void exit.then((x) => rej(new Error(`child exited (${x.code ?? x.signal}) before READY: ${err}`)));
  });
  started.catch(() => undefined);
  ready.catch(() => undefined);
  return { proc, pid: proc.pid!, stdout: () => out, stderr: () => err, ready, started, exit };
}

/** A pid that certainly belonged to a process that is gone now. */
export function deadPid(): number {
  const out = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim();
  return Number(out);
}

/**
 * Last resort after a failed test, so one failure does not poison the host for the next: kill
 * helpers naming `dir`, unmount what is mounted under it, detach loop devices backed by files in
 * it (partitions first). Tests assert there is nothing to do here; this only limits the damage.
 */
export function scrub(dir: string, opts: { runDir?: string } = {}): void {
  const quiet = { stdio: 'ignore' as const };
  // every process naming dir: helpers, and child sessions a failed test left running
  const procs = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map((e) => procState(Number(e)))
    .filter((p): p is NonNullable<typeof p> => !!p && p.args.join(' ').includes(dir));
  for (const p of [...procs, ...helperProcesses().filter((h) => h.args.join(' ').includes(dir))]) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 3000;
  while (procs.some((p) => !processDead(p.pid)) && Date.now() < deadline) execFileSync('sleep', ['0.02']);
  // loop devices the records name (a FUSE export's loop reads as backed by "/" once the export
  // is gone, so it cannot be found by its backing file), if still the recorded attachment
  if (opts.runDir) {
    for (const rec of sessionRecords(opts.runDir)) {
      for (const r of rec.resources.filter((x) => x.kind === 'loop').reverse()) {
        const name = r.device!.replace('/dev/', '');
        if (!existsSync(`/sys/block/${name}/loop/backing_file`)) continue;
        if (readFileSync(`/sys/block/${name}/diskseq`, 'utf8').trim() !== r.diskseq) continue;
        for (let i = 0; i < 20 && loopDevices().find((l) => l.device === r.device)?.partitions.length; i++) {
          try {
            execFileSync('partx', ['-d', r.device!], quiet);
          } catch {
            execFileSync('sleep', ['0.05']);
          }
        }
        try {
          execFileSync('losetup', ['-d', r.device!], quiet);
        } catch {
          /* detached */
        }
      }
    }
  }
  const mounts = mountEntries()
    .filter((m) => m.mountpoint.startsWith(`${dir}/`))
    .sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m.mountpoint], quiet);
    } catch {
      /* already gone */
    }
  }
  const ours = loopDevices().filter((l) => l.backing.startsWith(`${dir}/`));
  // LV loops (backed by a partition of one of ours) first
  const lvLoops = loopDevices().filter((l) => ours.some((o) => l.backing.startsWith(`${o.device}p`)));
  for (const l of [...lvLoops, ...ours]) {
    try {
      execFileSync('partx', ['-d', l.device], quiet);
    } catch {
      /* no partitions */
    }
    try {
      execFileSync('losetup', ['-d', l.device], quiet);
    } catch {
      /* detached */
    }
  }
  if (opts.runDir) {
    for (const sub of ['sessions', 'tmp', 'lock']) rmSync(join(opts.runDir, sub), { recursive: true, force: true });
  }
}
