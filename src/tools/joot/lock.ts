// Cross-process locks for joot's store and for each joot's holder: a directory renamed into
// place with an `owner` file inside (pid, start time, token), so a lock never exists without
// its owner; a lock whose owner died (SIGKILL) is detected by pid + start time and broken, by
// moving it aside first so that of several joots breaking it exactly one removes it. The
// same scheme as the session registry's lock (appliance/registry.ts), for any directory.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { JootError } from '../../appliance/errors.js';
import { processStart } from '../../appliance/registry.js';
import { sleep, trace } from '../../appliance/run.js';

/** The process `pid` started at `start` still runs (zombies count as dead). */
export function alive(pid: number, start: string | undefined): boolean {
  const s = processStart(pid);
  if (s === undefined || (start !== undefined && s !== start)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function readOwner(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'owner'), 'utf8');
  } catch {
    return undefined;
  }
}

function stale(dir: string, owner: string | undefined): boolean {
  const [pid, start] = (owner ?? '').split(' ');
  if (pid && /^\d+$/.test(pid) && start !== undefined) return !alive(Number(pid), start);
  try {
    return Date.now() - statSync(dir).mtimeMs > 2000;
  } catch {
    return false;
  }
}

function tryLock(dir: string, token: string): boolean {
  const tmp = `${dir}.new.${process.pid}.${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { mode: 0o700 });
  try {
    writeFileSync(join(tmp, 'owner'), token);
    renameSync(tmp, dir);
    return true;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') return false;
    throw e;
  }
}

function breakStale(dir: string, owner: string | undefined): void {
  const aside = `${dir}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(dir, aside);
  } catch {
    return;
  }
  if (readOwner(aside) === owner) {
    rmSync(aside, { recursive: true, force: true });
    return;
  }
  try {
    renameSync(aside, dir);
  } catch {
    /* taken again meanwhile */
  }
}

export interface LockOptions {
  /** give up after this long (default 30 s) */
  waitMs?: number;
  /** for the error message: what is locked */
  what: string;
}

/** A held lock; release() is idempotent. */
export interface Lock {
  release(): void;
}

export async function acquire(dir: string, opts: LockOptions): Promise<Lock> {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  const token = `${process.pid} ${processStart(process.pid) ?? ''} ${randomBytes(4).toString('hex')}`;
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (tryLock(dir, token)) break;
    const owner = readOwner(dir);
    if (stale(dir, owner)) {
      trace(`breaking the stale lock ${dir} (owner: ${owner?.trim() || 'none'})`);
      breakStale(dir, owner);
      continue;
    }
    if (Date.now() > deadline) {
      const by = owner ? ` by pid ${owner.split(' ')[0]}` : '';
      throw new JootError('EBUSY', `${opts.what} is locked${by} for more than ${Math.round((opts.waitMs ?? 30_000) / 1000)} s`);
    }
    await sleep(delay);
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      // moved aside first: emptied in place, another process's rename(2) could take it over
      if (readOwner(dir) !== token) return;
      const aside = `${dir}.done.${process.pid}.${randomBytes(4).toString('hex')}`;
      try {
        renameSync(dir, aside);
      } catch {
        return;
      }
      rmSync(aside, { recursive: true, force: true });
    },
  };
}

export async function withLock<T>(dir: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquire(dir, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
