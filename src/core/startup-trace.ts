// JOOT_STARTUP_TRACE=1: a tool prints where its start-up time goes, one stderr line a mark:
// `startup: WALL ms CPU ms WHAT` (since the process started; CPU is user+system, all threads).
// Off, a mark costs nothing.
import { writeStderr } from './stdio.js';

const on = process.env.JOOT_STARTUP_TRACE === '1';

export function startupMark(what: string): void {
  if (!on) return;
  const cpu = process.cpuUsage();
  writeStderr(`startup: ${performance.now().toFixed(1)} ms ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms ${what}\n`);
}
