// What a joot session may leave behind on the host — loop devices (and partitions that partx
// added to them), mounts, helper processes, session records and session temp dirs — as a
// snapshot to diff: take one before, use joot, then expectNoLeftovers(before).
//
//   const before = await snapshot({ paths: [myTmp] });   // only what mentions myTmp…
//   …
//   await expectNoLeftovers(before);                    // polls briefly, then fails with a diff
//
// Other test files run in parallel (other vitest workers, other run dirs), so a snapshot can be
// scoped: with `paths`, only resources that mention one of them count (a loop device whose
// backing file is under a path, a mount whose mount point or source is, a helper whose command
// line names one, a session record whose content does). Put the images (copies in a temp dir
// of the test) and JOOT_RUN_DIR under such a path and nothing of other workers gets in the
// way. Without `paths`, everything joot-like on the host counts.
//
// For a session that was killed, recordedResources() reads its record (what it holds), and
// expectReleased() checks each of those is gone — the precise check, for the default run dir.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const HELPER_COMMANDS = /^(qemu-storage-daemon|qemu-storage-da|qemu-nbd|nbdfuse|fusefat|ntfs-3g|fuse2fs|setpriv)$/;

export interface Scope {
  /** only resources mentioning one of these strings count (default: every joot-like resource) */
  paths?: string[];
  /** the run directory to look at (default: $JOOT_RUN_DIR, else /run/joot) */
  runDir?: string;
}

export interface Snapshot {
  scope: Required<Scope>;
  /** attached loop devices: `loop3 <- /backing/file` */
  loops: string[];
  /** partitions left on a loop device that is no longer attached: `loop3p1` */
  orphanPartitions: string[];
  /** mounts in this process's namespace: `/mount/point (fstype /source)` */
  mounts: string[];
  /** helper processes (not zombies): `pid comm args…` */
  processes: string[];
  /** session record files in RUN/sessions */
  records: string[];
  /** entries of RUN/tmp (the session temp dirs) */
  tempDirs: string[];
  /** the registry lock RUN/lock, if present (and any lock.* directory next to it) */
  lock: string[];
}

export function defaultRunDir(): string {
  return process.env.JOOT_RUN_DIR ?? '/run/joot';
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Mount-table strings use octal escapes for spaces, tabs, newlines and backslashes. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface LoopState {
  device: string; // /dev/loopN
  backing: string;
  diskseq?: string;
  partitions: string[]; // loopNp1 …
}

/** Every loop device that is attached, or that still has partitions. */
export function loopDevices(): LoopState[] {
  const out: LoopState[] = [];
  for (const name of list('/sys/block')) {
    if (!/^loop\d+$/.test(name)) continue;
    const backing = read(`/sys/block/${name}/loop/backing_file`)?.trim() ?? '';
    const partitions = list(`/sys/block/${name}`).filter((e) => e.startsWith(`${name}p`));
    if (!backing && partitions.length === 0) continue;
    out.push({ device: `/dev/${name}`, backing, diskseq: read(`/sys/block/${name}/diskseq`)?.trim(), partitions });
  }
  return out;
}

export interface MountEntry {
  mountpoint: string;
  fstype: string;
  source: string;
}

export function mountEntries(mountinfo = '/proc/self/mountinfo'): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of (read(mountinfo) ?? '').split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-');
    out.push({ mountpoint: unescapeMount(f[4] ?? ''), fstype: f[dash + 1] ?? '', source: unescapeMount(f[dash + 2] ?? '') });
  }
  return out;
}

export interface ProcState {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  args: string[];
}

export function procState(pid: number): ProcState | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  const args = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
  return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state: rest[0] ?? '', ppid: Number(rest[1]), args };
}

/** Helper-like processes (qemu-storage-daemon, qemu-nbd, nbdfuse, FUSE drivers, setpriv). */
export function helperProcesses(opts: { zombies?: boolean } = {}): ProcState[] {
  const out: ProcState[] = [];
  for (const e of list('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = procState(Number(e));
    if (!p) continue;
    const base = (p.args[0] ?? '').split('/').pop() ?? '';
    if (!HELPER_COMMANDS.test(base) && !HELPER_COMMANDS.test(p.comm)) continue;
    if (!opts.zombies && (p.state === 'Z' || p.state === 'X')) continue;
    out.push(p);
  }
  return out;
}

/** Gone, or a zombie (dead, waiting for its parent or init to reap it). */
export function processDead(pid: number): boolean {
  const p = procState(pid);
  return p === undefined || p.state === 'Z' || p.state === 'X';
}

/** Wait (up to 10 s) until `pid` is dead (processDead), and expect that it is. */
export async function waitProcessDead(pid: number): Promise<void> {
  for (let i = 0; i < 200 && !processDead(pid); i++) await new Promise((r) => setTimeout(r, 50));
  expect(processDead(pid)).toBe(true);
}

export async function snapshot(scope: Scope = {}): Promise<Snapshot> {
  const sc: Required<Scope> = { paths: scope.paths ?? [], runDir: scope.runDir ?? defaultRunDir() };
  const scoped = sc.paths.length > 0;
  const mentions = (s: string) => !scoped || sc.paths.some((p) => s.includes(p));

  const loopsNow = loopDevices();
  const loops = loopsNow.filter((l) => l.backing && mentions(l.backing)).map((l) => `${l.device.slice(5)} <- ${l.backing}`);
  // a detached device with partitions left cannot be told apart by owner: counted unscoped only
  const orphanPartitions = scoped ? [] : loopsNow.filter((l) => !l.backing).flatMap((l) => l.partitions);

  const ourLoops = new Set(loopsNow.filter((l) => l.backing && mentions(l.backing)).map((l) => l.device));
  const mounts = mountEntries()
    .filter((m) => {
      if (scoped) return mentions(m.mountpoint) || mentions(m.source) || ourLoops.has(m.source.replace(/p\d+$/, ''));
      return (
        m.mountpoint.startsWith(`${sc.runDir}/`) ||
        /^\/dev\/loop\d/.test(m.source) ||
        /joot/.test(m.mountpoint) ||
        (m.fstype.startsWith('fuse') && m.fstype !== 'fusectl')
      );
    })
    .map((m) => `${m.mountpoint} (${m.fstype} ${m.source})`);

  const processes = helperProcesses()
    .filter((p) => mentions(p.args.join(' ')))
    .map((p) => `${p.pid} ${p.args.join(' ') || p.comm}`);

  const sessions = join(sc.runDir, 'sessions');
  const records = list(sessions).filter(
    (f) => !scoped || sc.paths.some((p) => sessions.startsWith(p)) || mentions(read(join(sessions, f)) ?? ''),
  );
  const tmp = join(sc.runDir, 'tmp');
  const tempDirs = list(tmp).filter((f) => !scoped || sc.paths.some((p) => join(tmp, f).startsWith(p) || p.startsWith(join(tmp, f))));
  // RUN/lock, and the lock.new.* / lock.stale.* directories taking or breaking it leaves behind
  const lock = !scoped || mentions(join(sc.runDir, 'lock')) ? list(sc.runDir).filter((f) => f === 'lock' || f.startsWith('lock.')) : [];

  return { scope: sc, loops, orphanPartitions, mounts, processes, records, tempDirs, lock };
}

export type Leftovers = Partial<Record<Exclude<keyof Snapshot, 'scope'>, string[]>>;

/** What `after` has that `before` had not. */
export function diff(before: Snapshot, after: Snapshot): Leftovers {
  const out: Leftovers = {};
  for (const k of ['loops', 'orphanPartitions', 'mounts', 'processes', 'records', 'tempDirs', 'lock'] as const) {
    const was = new Set(before[k]);
    const extra = after[k].filter((x) => !was.has(x));
    if (extra.length) out[k] = extra;
  }
  return out;
}

export interface CheckOptions {
  /** keep looking this long for things to go away (helpers exit asynchronously) */
  timeoutMs?: number;
  /** widen the scope of `before` with these (e.g. a session temp dir learnt later) */
  paths?: string[];
}

/** Poll until nothing new is left (compared with `before`); returns what is left. */
export async function leftoversSince(before: Snapshot, opts: CheckOptions = {}): Promise<Leftovers> {
  const deadline = Date.now() + (opts.timeoutMs ?? 3000);
  const scope = { ...before.scope, paths: before.scope.paths.length ? [...before.scope.paths, ...(opts.paths ?? [])] : [] };
  for (;;) {
    const left = diff(before, await snapshot(scope));
    if (Object.keys(left).length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function expectNoLeftovers(before: Snapshot, opts: CheckOptions = {}): Promise<void> {
  expect(await leftoversSince(before, opts), 'resources left behind').toEqual({});
}

// ---------------------------------------------------------------- session records

export interface RecordedResource {
  kind: string;
  path?: string;
  device?: string;
  backing?: string;
  diskseq?: string;
  pid?: number;
  start?: string;
  name?: string;
}

export interface SessionRecordFile {
  file: string;
  pid: number;
  resources: RecordedResource[];
  images: { path: string; readonly: boolean }[];
}

/** The session records on disk (optionally only those of process `pid`). */
export function sessionRecords(runDir = defaultRunDir(), pid?: number): SessionRecordFile[] {
  const dir = join(runDir, 'sessions');
  const out: SessionRecordFile[] = [];
  for (const f of list(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const data = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        pid: number;
        resources: RecordedResource[];
        images?: SessionRecordFile['images'];
      };
      if (pid !== undefined && data.pid !== pid) continue;
      out.push({ file: join(dir, f), pid: data.pid, resources: data.resources, images: data.images ?? [] });
    } catch {
      // being rewritten: skip
    }
  }
  return out;
}

/** Why each recorded resource is not released yet (empty when all are). */
export function unreleased(resources: RecordedResource[], mountinfo = '/proc/self/mountinfo'): string[] {
  const problems: string[] = [];
  const mounts = mountEntries(mountinfo);
  for (const r of resources) {
    switch (r.kind) {
      case 'loop': {
        const name = r.device!.replace('/dev/', '');
        const backing = read(`/sys/block/${name}/loop/backing_file`)?.trim();
        const seq = read(`/sys/block/${name}/diskseq`)?.trim();
        if (backing && (r.diskseq === undefined ? backing === r.backing : seq === r.diskseq))
          problems.push(`${r.device} still attached (${backing})`);
        if (!backing) {
          const parts = list(`/sys/block/${name}`).filter((e) => e.startsWith(`${name}p`));
          if (parts.length) problems.push(`${r.device} detached but its partitions remain: ${parts.join(' ')}`);
        }
        break;
      }
      case 'mount':
        if (mounts.some((m) => m.mountpoint === r.path)) problems.push(`${r.path} still mounted`);
        break;
      case 'helper':
        if (!processDead(r.pid!)) problems.push(`${r.name} (pid ${r.pid}) still running`);
        break;
      case 'dir':
        if (existsSync(r.path!)) problems.push(`${r.path} still exists`);
        break;
      default:
        if (r.path && existsSync(r.path)) problems.push(`${r.kind} ${r.path} still exists`);
    }
  }
  return problems;
}

export async function expectReleased(resources: RecordedResource[], opts: { timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 3000);
  let left = unreleased(resources);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    left = unreleased(resources);
  }
  expect(left, 'recorded resources not released').toEqual([]);
}

/** Is `path` a directory (false when missing). */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
