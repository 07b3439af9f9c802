// Session records: a small JSON file per live session under the run directory, listing
// what it holds (loop devices, mounts, helper processes, temp dirs) in acquisition order.
// A joot that is SIGKILLed cannot clean up after itself; the next one reads the records
// of dead sessions and releases what they held (reapDeadSessions).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { readFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeCrypto } from '../core/lazy-node.js';
import { run, trace, sleep } from '../core/run.js';
import { JootError, oneLine } from '../core/errors.js';
import { withLock } from '../core/dir-lock.js';
import { alive, processStart } from '../core/processes.js';
import { mountedPaths } from '../core/mountinfo.js';

export { processStart } from '../core/processes.js';

export type Resource =
  | { kind: 'dir'; path: string }
  | { kind: 'helper'; name: string; pid: number; start: string }
  /** diskseq: the kernel's per-attach sequence number of the device (/sys/block/loopN/diskseq) */
  | { kind: 'loop'; device: string; backing: string; diskseq?: string }
  | { kind: 'mount'; path: string }
  | { kind: 'nbd'; device: string }
  | { kind: 'dm'; name: string };

export function runDir(): string {
  return process.env.JOOT_RUN_DIR ?? '/run/joot';
}
function sessionsDir(): string {
  return join(runDir(), 'sessions');
}

/** Field 22 of /proc/PID/stat: the start time, which tells a reused pid from the original. */
export interface ImageClaim {
  path: string;
  readonly: boolean;
}

interface RecordData {
  pid: number;
  start: string;
  resources: Resource[];
  images?: ImageClaim[];
}

export class SessionRecord {
  readonly id = `${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
  private data: RecordData;
  private file: string;
  private closed = false;

  constructor() {
    mkdirSync(sessionsDir(), { recursive: true, mode: 0o700 });
    this.file = join(sessionsDir(), `${this.id}.json`);
    this.data = { pid: process.pid, start: processStart(process.pid) ?? '', resources: [] };
    this.flush();
  }

  add(r: Resource): void {
    this.data.resources.push(r);
    this.flush();
  }

  remove(r: Resource): void {
    const i = this.data.resources.lastIndexOf(r);
    if (i >= 0) this.data.resources.splice(i, 1);
    this.flush();
  }

  /**
   * Claim an image for this session: refused while another live joot session holds it
   * read-write, or holds it at all when we want to write. (qemu's own locks cover images
   * qemu opens; this covers loop-attached raw images too, and gives a clearer message.)
   */
  async claimImage(claim: ImageClaim, given: string): Promise<void> {
    await withRegistryLock(async () => {
      for (const f of await readdir(sessionsDir())) {
        if (!f.endsWith('.json') || f === `${this.id}.json`) continue;
        let other: RecordData;
        try {
          other = JSON.parse(await readFile(join(sessionsDir(), f), 'utf8')) as RecordData;
        } catch {
          continue;
        }
        if (!alive(other.pid, other.start)) continue;
        const held = other.images?.find((i) => i.path === claim.path);
        if (held && (!held.readonly || !claim.readonly)) {
          throw new JootError(
            'EBUSY',
            `${given}: in use by another joot session (pid ${other.pid}, ${held.readonly ? 'read-only' : 'read-write'})`,
          );
        }
      }
      (this.data.images ??= []).push(claim);
      this.flush();
    });
  }

  close(): void {
    this.closed = true;
    rmSync(this.file, { force: true });
  }

  // Synchronous on purpose: a record must be on disk before the resource is used,
  // or a SIGKILL right after acquiring would leak it.
  private flush(): void {
    if (this.closed) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.file);
  }
}

// Held only while one claim reads the other records (milliseconds), but twenty sessions
// starting at once on a loaded machine queue behind each other: 3 s proved too short in CI;
// 10 s still bounds the wait behind a live holder that never lets go.
const LOCK_WAIT_MS = 10_000;

/** A tiny cross-process mutex on RUN/lock (see dir-lock.ts). */
export async function withRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(runDir(), { recursive: true, mode: 0o700 });
  const dir = join(runDir(), 'lock');
  return withLock(
    dir,
    {
      what: `the joot registry lock ${dir}`,
      waitMs: LOCK_WAIT_MS,
      busy: (by, s) => `the joot registry lock ${dir} is held${by} for more than ${s} s`,
    },
    fn,
  );
}

/** The kernel's sequence number of the device's current attachment (Linux ≥ 5.15). */
export function loopDiskseq(device: string): string | undefined {
  try {
    return readFileSync(`/sys/block/${device.replace('/dev/', '')}/diskseq`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function loopPartitions(device: string): string[] {
  const name = device.replace('/dev/', '');
  try {
    return readdirSync(`/sys/block/${name}`).filter((e) => e.startsWith(`${name}p`));
  } catch {
    return [];
  }
}

/** Release one resource of a dead session. Returns false when it is still held (retry later). */
async function releaseStale(r: Resource): Promise<boolean> {
  switch (r.kind) {
    case 'mount': {
      if ((await mountedPaths()).includes(r.path)) await run('umount', ['-l', r.path], { allowFailure: true });
      return !(await mountedPaths()).includes(r.path);
    }
    case 'loop': {
      // Only detach the very attachment we recorded: loop numbers are reused, and the same
      // image may be attached again (by another session) on the same number. The kernel's
      // diskseq changes with every attach, so it tells them apart; the backing path cannot
      // always (a FUSE export file whose mount is gone reads as "/"). Records without a
      // diskseq fall back to comparing the backing file.
      const name = r.device.replace('/dev/', '');
      let backing = '';
      try {
        backing = (await readFile(`/sys/block/${name}/loop/backing_file`, 'utf8')).trim();
      } catch {
        return true; // not attached at all
      }
      const seq = loopDiskseq(r.device);
      const same =
        r.diskseq !== undefined && seq !== undefined
          ? seq === r.diskseq
          : backing === r.backing || backing.startsWith(`${r.backing} (deleted)`);
      if (!same) return true;
      // Partitions first: this kernel keeps partx-added partitions after the detach. Right after
      // a SIGKILL one may still be mounted in the dying session's mount namespace (kept alive
      // for a moment by its exiting helpers): wait a little, and never detach under a busy
      // partition (losetup -d would only mark the device to clear itself, orphaning them).
      for (let i = 0; loopPartitions(r.device).length > 0; i++) {
        await run('partx', ['-d', r.device], { allowFailure: true });
        if (loopPartitions(r.device).length === 0) break;
        if (i >= 20) return false;
        await sleep(50);
      }
      await run('losetup', ['-d', r.device], { allowFailure: true });
      return true;
    }
    case 'helper': {
      if (!alive(r.pid, r.start)) return true;
      try {
        process.kill(r.pid, 'SIGTERM');
      } catch {
        return true;
      }
      for (let i = 0; i < 40 && alive(r.pid, r.start); i++) await sleep(25);
      if (alive(r.pid, r.start)) process.kill(r.pid, 'SIGKILL');
      for (let i = 0; i < 40 && alive(r.pid, r.start); i++) await sleep(25);
      return !alive(r.pid, r.start);
    }
    case 'dm': {
      await run('dmsetup', ['remove', '--retry', r.name], { allowFailure: true });
      return true;
    }
    case 'nbd': {
      await run('qemu-nbd', ['--disconnect', r.device], { allowFailure: true });
      return true;
    }
    case 'dir': {
      // Never recurse into a directory that still has something mounted below it.
      const below = (await mountedPaths()).filter((m) => m === r.path || m.startsWith(`${r.path}/`));
      for (const m of below.reverse()) await run('umount', ['-l', m], { allowFailure: true });
      if ((await mountedPaths()).some((m) => m === r.path || m.startsWith(`${r.path}/`))) return false;
      await rm(r.path, { recursive: true, force: true });
      return true;
    }
  }
}

async function readRecord(file: string): Promise<RecordData | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as RecordData;
    return Array.isArray(data.resources) ? data : undefined;
  } catch {
    return undefined; // missing, being written, or garbage
  }
}

// A record being reaped is renamed to ID.json.reaping-PID-START first: rename is atomic, so of
// several joots reaping at once exactly one releases each dead session (two reapers releasing
// the same loop device race: one detaches it, a new session attaches the number, the other
// detaches that). A reaper that dies midway leaves its claim, which the next one takes over.
const REAPING = /^(.*\.json)\.reaping-(\d+)-(\d+)$/;

/** Release everything recorded by sessions whose process is gone. Returns how many were reaped. */
export async function reapDeadSessions(): Promise<number> {
  const dir = sessionsDir();
  if (!existsSync(dir)) return 0;
  const me = `${process.pid}-${processStart(process.pid) ?? 0}`;
  let reaped = 0;
  const files = await readdir(dir);
  for (const f of files) {
    const claimedBy = REAPING.exec(f);
    // ID.json.tmp alone: the process died writing its very first record
    const orphanTmp = f.endsWith('.json.tmp') && !files.includes(f.slice(0, -4));
    if (!f.endsWith('.json') && !claimedBy && !orphanTmp) continue;
    if (claimedBy && (`${claimedBy[2]}-${claimedBy[3]}` === me || alive(Number(claimedBy[2]), claimedBy[3]!))) continue;
    const base = claimedBy ? claimedBy[1]! : orphanTmp ? f.slice(0, -4) : f;
    const data = await readRecord(join(dir, f));
    if (!data) continue;
    if (!claimedBy && alive(data.pid, data.start)) continue;
    const claim = join(dir, `${base}.reaping-${me}`);
    try {
      renameSync(join(dir, f), claim);
    } catch {
      continue; // another joot claimed it first
    }
    trace(`reaping dead session ${base} (pid ${data.pid})`);
    // A record is rewritten through ID.json.tmp + rename: if the process died in between, the
    // .tmp holds its last acquisition. Release what either lists (releasing is idempotent).
    const pending = await readRecord(join(dir, `${base}.tmp`));
    const resources = [...((await readRecord(claim))?.resources ?? data.resources)];
    for (const r of pending?.resources ?? []) if (!resources.some((x) => JSON.stringify(x) === JSON.stringify(r))) resources.push(r);
    // Helpers first: a dead session's helpers are useless, and they may keep its private mount
    // namespace (and so its mounts and busy partitions) alive. Then the rest, newest first.
    const order = [...resources.filter((r) => r.kind === 'helper'), ...resources.filter((r) => r.kind !== 'helper').reverse()];
    const kept = new Set<Resource>();
    for (const r of order) {
      try {
        if (!(await releaseStale(r))) kept.add(r);
      } catch (e) {
        trace(`reaping ${r.kind} failed: ${oneLine(e)}`);
        kept.add(r);
      }
    }
    rmSync(join(dir, `${base}.tmp`), { force: true });
    if (kept.size) {
      // what is still held stays recorded (in acquisition order) for the next reaper
      trace(`dead session ${base}: ${kept.size} resource(s) still held, kept for later`);
      writeFileSync(claim, JSON.stringify({ ...data, resources: resources.filter((r) => kept.has(r)) }));
      renameSync(claim, join(dir, base));
      continue;
    }
    rmSync(claim, { force: true });
    reaped++;
  }
  return reaped;
}

/** For tests and `joot cleanup`: the records currently on disk. */
export function listRecords(): string[] {
  const dir = sessionsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json'));
}
