// Cross-process locks (the session registry's, joot's store and each joot's holder): a
// directory renamed into place with an `owner` file inside (pid, start time, token), so a lock
// never exists without its owner; a lock whose owner died (SIGKILL) is detected by pid + start
// time and broken, by moving it aside first so that of several processes breaking it exactly
// one removes it. Released by moving it aside too: emptied in place, another process's
// rename(2) could take the empty directory over.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { nodeCrypto } from './lazy-node.js';
import { dirname, join } from 'node:path';
import { JootError } from './errors.js';
import { alive, processStart } from './processes.js';
import { sleep, trace } from './run.js';

export { alive } from './processes.js';

function readOwner(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'owner'), 'utf8');
  } catch {
    return undefined;
  }
}

/** a lock without a readable owner is stale once this old (its taker writes it at once) */
const OWNERLESS_STALE_MS = 2000;

function stale(dir: string, owner: string | undefined): boolean {
  const [pid, start] = (owner ?? '').split(' ');
  if (pid && /^\d+$/.test(pid) && start !== undefined) return !alive(Number(pid), start);
  try {
    return Date.now() - statSync(dir).mtimeMs > OWNERLESS_STALE_MS;
  } catch {
    return false;
  }
}

function tryLock(dir: string, token: string): boolean {
  const tmp = `${dir}.new.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}`;
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
  const aside = `${dir}.stale.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}`;
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
  /** the error when the wait is over (default: "WHAT is locked by pid N for more than S s") */
  busy?: (by: string, seconds: number) => string;
}

/** A held lock; release() is idempotent. */
export interface Lock {
  release(): void;
}

export async function acquire(dir: string, opts: LockOptions): Promise<Lock> {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  const token = `${process.pid} ${processStart(process.pid) ?? ''} ${nodeCrypto().randomBytes(4).toString('hex')}`;
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
      const seconds = Math.round((opts.waitMs ?? 30_000) / 1000);
      throw new JootError('EBUSY', opts.busy ? opts.busy(by, seconds) : `${opts.what} is locked${by} for more than ${seconds} s`);
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
      const aside = `${dir}.done.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}`;
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
