// One command's wall time and peak memory, as /usr/bin/time measures them (run.ts and engines.ts).
import { spawnSync } from 'node:child_process';

/** Run a command under /usr/bin/time: wall ms and peak RSS (MiB) of the process tree's largest member. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; rssMb: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env, encoding: 'utf8', maxBuffer: 256 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join('; ')}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMb: Math.round(kb / 1024) };
}
