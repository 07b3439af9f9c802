// One command's wall time and peak memory, as /usr/bin/time measures them (run.ts and engines.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Run a command under /usr/bin/time: wall ms and peak RSS (MiB) of the process tree's largest member. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; rssMb: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join('; ')}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMb: Math.round(kb / 1024) };
}

/** CPU ms (user + system) used so far by a live process and its live children, from /proc (Linux clock ticks: 100 a second). */
export function treeCpuMs(pid: number): number {
  const ticks = (p: number | string): number => {
    try {
      // the fields after the command name, which may hold spaces: utime stime cutime cstime are 14-17
      const f = readFileSync(`/proc/${p}/stat`, 'latin1')
        .replace(/^.*\) /, '')
        .split(' ');
      return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      return 0; // gone meanwhile
    }
  };
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean);
  } catch {
    // no such file: the process is gone
  }
  return (ticks(pid) + children.reduce((n, c) => n + ticks(c), 0)) * 10;
}

/** A command's CPU ms (user + system, its waited-for children included), as /usr/bin/time measures it. */
export function cpuOfRun(cmd: string, args: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')}… failed: ${r.stderr.trim().split('\n').slice(-2).join('; ')}`);
  const [u, s] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return Math.round(((u ?? 0) + (s ?? 0)) * 1000);
}
