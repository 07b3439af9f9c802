// One cleanup stack per session: every acquired resource is pushed with its release,
// released in reverse order on close, on error and on SIGINT/SIGTERM. Each entry is
// also written to the session's record (see registry.ts) so that a later joot can reap
// what a SIGKILLed one left.
import { oneLine } from '../core/errors.js';
import { trace } from '../core/run.js';
import { writeStderr } from '../core/stdio.js';
import type { Resource, SessionRecord } from './registry.js';

interface Entry {
  resource: Resource;
  release: () => Promise<void>;
}

export class CleanupStack implements AsyncDisposable {
  private entries: Entry[] = [];
  private disposed = false;
  private aborted?: Error;
  constructor(private readonly record?: SessionRecord) {}

  /**
   * Register a resource that is now held; `release` undoes it. After abort() the resource is
   * still registered (so the unwind releases it) and then `push` throws, stopping whatever was
   * acquiring. On a stack already disposed it is released at once, and `push` throws.
   */
  push(resource: Resource, release: () => Promise<void>): void {
    if (this.disposed) {
      void release().catch((err: unknown) => trace(`late cleanup of ${describe(resource)} failed: ${oneLine(err)}`));
      throw this.aborted ?? new Error(`${describe(resource)} acquired after its session was closed`);
    }
    this.entries.push({ resource, release });
    this.record?.add(resource);
    if (this.aborted) throw this.aborted;
  }

  /** Make every later push() throw `reason` (after registering its resource). */
  abort(reason: Error): void {
    this.aborted ??= reason;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Release the most recently acquired entries down to (and excluding) the first `keep`. */
  async unwindTo(keep: number): Promise<Error[]> {
    const errors: Error[] = [];
    while (this.entries.length > keep) {
      const e = this.entries.pop()!;
      try {
        await e.release();
      } catch (err) {
        trace(`cleanup of ${describe(e.resource)} failed: ${oneLine(err)}`);
        errors.push(err instanceof Error ? err : new Error(String(err)));
      }
      this.record?.remove(e.resource);
    }
    return errors;
  }

  /** Release one specific entry (e.g. a single umount) out of order. */
  async releaseOne(match: (r: Resource) => boolean): Promise<boolean> {
    const i = this.entries.findLastIndex((e) => match(e.resource));
    if (i < 0) return false;
    const [e] = this.entries.splice(i, 1);
    await e!.release();
    this.record?.remove(e!.resource);
    return true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors = await this.unwindTo(0);
    this.record?.close();
    if (errors.length) throw errors[0];
  }
}

export function describe(r: Resource): string {
  switch (r.kind) {
    case 'mount':
      return `mount ${r.path}`;
    case 'loop':
      return `loop device ${r.device}`;
    case 'helper':
      return `${r.name} (pid ${r.pid})`;
    case 'dir':
      return `directory ${r.path}`;
    case 'nbd':
      return `NBD device ${r.device}`;
    case 'dm':
      return `device-mapper device ${r.name}`;
  }
}

// --- closing live sessions on SIGINT / SIGTERM -------------------------------------

const live = new Set<AsyncDisposable>();
let handlersInstalled = false;
let exiting: NodeJS.Signals | undefined;

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** The signal this process is exiting on, once one arrived (CLIs exit with 128+N then). */
export function interruptedBy(): NodeJS.Signals | undefined {
  return exiting;
}

/** 128 + the signal's number: what a shell reports for a process killed by it. */
export function signalExitCode(sig: NodeJS.Signals): number {
  return SIGNAL_EXIT[sig] ?? 1;
}

async function onSignal(sig: NodeJS.Signals): Promise<void> {
  // A second ^C while disks are being released must not cut the release short.
  if (exiting) return;
  exiting = sig;
  const code = signalExitCode(sig);
  writeStderr(`joot: ${sig}, releasing disks\n`);
  await Promise.allSettled([...live].map((d) => d[Symbol.asyncDispose]()));
  process.exit(code);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const handlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((sig) => [sig, () => void onSignal(sig)]));

/**
 * Keep `d` on the list of things to release if the process is interrupted. The handlers are
 * installed only while something is live: a program using the library gets its own signal
 * behaviour back once its sessions are closed.
 */
export function trackLive(d: AsyncDisposable): void {
  live.add(d);
  if (!handlersInstalled) {
    handlersInstalled = true;
    for (const [sig, h] of handlers) process.on(sig, h);
  }
}

export function untrackLive(d: AsyncDisposable): void {
  live.delete(d);
  if (live.size === 0 && handlersInstalled && !exiting) {
    handlersInstalled = false;
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
