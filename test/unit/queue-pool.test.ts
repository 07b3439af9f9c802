// The worker's job processes (src/tools/jinspect/queue-pool.ts), with a stand-in job process
// that speaks the same protocol: jobs share one process; when it dies, the jobs that shared it
// run again each alone, so only the image that crashes a process fails, and from then on that
// image runs alone (it can no longer take others down with it).
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobPool } from '../../src/tools/jinspect/queue-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'joot-queue-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// answers "IMAGE by PID" after 100 ms; an image named "crash" kills its process
const script = join(dir, 'job.mjs');
writeFileSync(
  script,
  `process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.data.path === 'crash') process.kill(process.pid, 'SIGKILL');
  else setTimeout(() => process.send({ id: m.id, ok: true, result: m.data.path + ' by ' + process.pid }), 100);
});
process.send({ ready: true });
`,
);

const started: ChildProcess[] = [];
const start = (): ChildProcess => {
  const p = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  started.push(p);
  return p;
};
const job = (path: string) => ({ image: path, path });
const pidOf = (result: string) => Number(result.split(' by ')[1]);

describe('JobPool', () => {
  it('runs jobs side by side in one process; a crash costs only the job that caused it', async () => {
    const pool = new JobPool(start);
    try {
      const first = await Promise.all([pool.run(job('a')), pool.run(job('b'))]);
      expect(new Set(first.map(pidOf)).size).toBe(1); // one process for both
      const shared = pidOf(first[0]!);

      const round = await Promise.allSettled([pool.run(job('c')), pool.run(job('crash')), pool.run(job('d'))]);
      expect(round[1]).toMatchObject({ status: 'rejected', reason: { message: 'the job process exited (SIGKILL)' } });
      // c and d shared the process that crashed: each ran again, alone
      const survivors = round.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      expect(survivors.map((r) => r.split(' by ')[0])).toEqual(['c', 'd']);
      expect(survivors.map(pidOf)).not.toContain(shared);
      expect(new Set(survivors.map(pidOf)).size).toBe(2);

      // a fresh shared process took the place of the one that died
      const next = pidOf(await pool.run(job('e')));
      expect(next).not.toBe(shared);
      // the image that crashed now runs alone: retried, it no longer takes the others down
      const again = await Promise.allSettled([pool.run(job('crash')), pool.run(job('f'))]);
      expect(again[0]!.status).toBe('rejected');
      expect(again[1]).toEqual({ status: 'fulfilled', value: `f by ${next}` });
    } finally {
      await pool.close();
    }
    // every process it started is gone
    for (const p of started) expect(p.exitCode !== null || p.signalCode !== null).toBe(true);
  });
});
