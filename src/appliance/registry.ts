// Session records: a small JSON file per live session under the run directory, listing
// what it holds (loop devices, mounts, helper processes, temp dirs) in acquisition order.
// A joot that is SIGKILLed cannot clean up after itself; the next one reads the records
// of dead sessions and releases what they held (reapDeadSessions).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { readFile, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { run, trace, sleep } from './run.js';
import { JootError, oneLine } from './errors.js';

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
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

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
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
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
          throw new JootError('EBUSY', `${given}: in use by another joot session (pid ${other.pid}, ${held.readonly ? 'read-only' : 'read-write'})`);
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

/** A tiny cross-process mutex: mkdir is atomic; a holder that died is detected by pid. */
async function withRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
  const dir = join(runDir(), 'lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner'), `${process.pid} ${processStart(process.pid)}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = (() => {
        try {
          return readFileSync(join(dir, 'owner'), 'utf8').split(' ');
        } catch {
          return undefined;
        }
      })();
      if (owner && owner.length === 2 && !alive(Number(owner[0]), owner[1]!)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (i > 400) throw new JootError('EBUSY', `the joot registry lock ${dir} is held for too long`);
      await sleep(5);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The kernel's sequence number of the device's current attachment (Linux ≥ 5.15). */
export function loopDiskseq(device: string): string | undefined {
  try {
    return readFileSync(`/sys/block/${device.replace('/dev/', '')}/diskseq`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number, start: string): boolean {
  const s = processStart(pid);
  return s !== undefined && s === start;
}

async function mountedPaths(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  // field 5 is the mount point, with octal escapes for spaces etc.
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

async function releaseStale(r: Resource): Promise<void> {
  switch (r.kind) {
    case 'mount': {
      if ((await mountedPaths()).includes(r.path)) await run('umount', ['-l', r.path], { allowFailure: true });
      return;
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
        return; // not attached at all
      }
      const seq = loopDiskseq(r.device);
      const same = r.diskseq !== undefined && seq !== undefined ? seq === r.diskseq : backing === r.backing || backing.startsWith(`${r.backing} (deleted)`);
      if (same) {
        await run('partx', ['-d', r.device], { allowFailure: true });
        await run('losetup', ['-d', r.device], { allowFailure: true });
      }
      return;
    }
    case 'helper': {
      if (!alive(r.pid, r.start)) return;
      try {
        process.kill(r.pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 40 && alive(r.pid, r.start); i++) await sleep(25);
      if (alive(r.pid, r.start)) process.kill(r.pid, 'SIGKILL');
      return;
    }
    case 'dm': {
      await run('dmsetup', ['remove', '--retry', r.name], { allowFailure: true });
      return;
    }
    case 'nbd': {
      await run('qemu-nbd', ['--disconnect', r.device], { allowFailure: true });
      return;
    }
    case 'dir': {
      // Never recurse into a directory that still has something mounted below it.
      const below = (await mountedPaths()).filter((m) => m === r.path || m.startsWith(`${r.path}/`));
      for (const m of below.reverse()) await run('umount', ['-l', m], { allowFailure: true });
      await rm(r.path, { recursive: true, force: true });
      return;
    }
  }
}

/** Release everything recorded by sessions whose process is gone. Returns how many were reaped. */
export async function reapDeadSessions(): Promise<number> {
  const dir = sessionsDir();
  if (!existsSync(dir)) return 0;
  let reaped = 0;
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.json')) continue;
    const file = join(dir, f);
    let data: RecordData;
    try {
      data = JSON.parse(await readFile(file, 'utf8')) as RecordData;
    } catch {
      continue; // being written, or garbage: leave it
    }
    if (alive(data.pid, data.start)) continue;
    trace(`reaping dead session ${f} (pid ${data.pid})`);
    for (const r of [...data.resources].reverse()) {
      try {
        await releaseStale(r);
      } catch (e) {
        trace(`reaping ${r.kind} failed: ${oneLine(e)}`);
      }
    }
    rmSync(file, { force: true });
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
