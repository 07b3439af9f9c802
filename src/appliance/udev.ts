// udev: where a udev daemon runs, its blkid probes race our partition re-reads and it
// creates device nodes asynchronously; `udevadm settle` waits for it. Without a daemon
// (containers, this CI) settle is a 20 ms no-op, so it is skipped.
import { existsSync } from 'node:fs';
import { run, type Runner } from '../core/run.js';

export function udevRunning(): boolean {
  return existsSync('/run/udev/control');
}

export async function settle(runner: Runner = run): Promise<void> {
  if (udevRunning()) await runner('udevadm', ['settle', '--timeout=10'], { allowFailure: true });
}
