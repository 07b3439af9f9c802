// Long-running helper processes (qemu-storage-daemon, qemu-nbd, FUSE drivers): started,
// waited for until ready, registered for release, and stopped in order.
import { JootError } from '../core/errors.js';
import { spawnHelper, sleep, trace } from '../core/run.js';
import { processStart } from './registry.js';
import type { CleanupStack } from './cleanup.js';

export interface HelperHandle {
  pid: number;
  /** resolves when the process exits */
  exited: Promise<{ exitCode?: number; signal?: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  stack: CleanupStack;
  /** polled until it returns true; the helper is then considered ready */
  ready: () => Promise<boolean> | boolean;
  timeoutMs?: number;
  /** turn the helper's stderr into the error to throw when it dies before ready */
  failure: (stderr: string, exitCode?: number) => JootError;
}

export async function startHelper(name: string, cmd: string, args: string[], opts: StartOptions): Promise<HelperHandle> {
  const { child } = await spawnHelper(cmd, args);
  const pid = child.pid;
  if (pid === undefined) {
    const r = await child;
    throw opts.failure(String(r.stderr ?? ''), r.exitCode);
  }
  let done = false;
  const exited = child.then((r) => {
    done = true;
    return { exitCode: r.exitCode, signal: r.signal, stderr: String(r.stderr ?? '') };
  });
  const handle: HelperHandle = {
    pid,
    exited,
    async stop() {
      if (done) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = sleep(5000).then(() => 'timeout' as const);
      if ((await Promise.race([exited, timer])) === 'timeout') {
        trace(`${name} (pid ${pid}) ignored SIGTERM; killing`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await exited;
      }
    },
  };
  opts.stack.push({ kind: 'helper', name, pid, start: processStart(pid) ?? '' }, () => handle.stop());

  const deadline = Date.now() + (opts.timeoutMs ?? 15000);
  // short polls: readiness usually comes within a few ms, and every ms shows in a CLI's time
  for (let delay = 1; ; delay = Math.min(delay * 2, 4)) {
    if (done) {
      const r = await exited;
      throw opts.failure(r.stderr, r.exitCode);
    }
    if (await opts.ready()) return handle;
    if (Date.now() > deadline) throw new JootError('ECMD', `${name} did not become ready within ${opts.timeoutMs ?? 15000} ms`);
    await sleep(delay);
  }
}

/** The most useful line of a helper's stderr, without the program-name prefix. */
export function helperMessage(stderr: string, prog: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(new RegExp(`^${prog}:\\s*`), '').trim())
    .filter(Boolean);
  // qemu prints the failing option first: "--blockdev driver=…: Failed to get "write" lock"
  const last = lines.find((l) => /lock|Could not|error|fail/i.test(l)) ?? lines[0] ?? 'no output';
  return last.replace(/^--\S+ \S+: /, '');
}
