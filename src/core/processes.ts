// Is a process still the one we knew? A pid plus its start time (field 22 of /proc/PID/stat)
// names one process for good: pids are reused, start times are not. Zombies count as dead.
import { readFileSync } from 'node:fs';

/** The start time of `pid` in clock ticks since boot, or undefined if it does not exist. */
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

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** `pid` still runs and (when `start` is given) is the process that started at `start`. */
export function alive(pid: number, start: string | undefined): boolean {
  const s = processStart(pid);
  return s !== undefined && (start === undefined || s === start) && !isZombie(pid);
}
