// The job processes of a jinspect --worker: one per job slot, started with the worker (their
// start overlaps BullMQ's load and the Redis connection) and reused job after job, each
// running one job at a time. A process that dies (a crash on one image, a kill) fails its
// job only, which BullMQ retries; a fresh process takes its place. They are jinspect itself
// (the same entry, so the same V8 code cache), told by JOB_PROCESS_ENV to serve jobs.
import type { ChildProcess } from 'node:child_process';
import { forkSelf } from '../../core/run.js';
import { JOB_PROCESS_ENV, type JobReply, type JobRequest, type QueueJobData, WORKER_ARGS_ENV } from './queue-job-data.js';

/** A job that failed in its process; `final`: the image cannot be read (no retry). */
export class JobFailed extends Error {
  constructor(
    message: string,
    readonly final: boolean,
  ) {
    super(message);
  }
}

interface Slot {
  proc: ChildProcess;
  ready: Promise<void>;
  /** the job it runs */
  busy?: { id: number; resolve: (r: string) => void; reject: (e: Error) => void };
}

export class JobPool {
  private readonly idle: Slot[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private closing = false;

  /** `argv`: the worker's command line, whose inspection options the job processes take. */
  constructor(
    size: number,
    private readonly argv: readonly string[],
  ) {
    for (let i = 0; i < size; i++) this.idle.push(this.start());
  }

  private start(): Slot {
    const proc = forkSelf(
      { [JOB_PROCESS_ENV]: '1', [WORKER_ARGS_ENV]: JSON.stringify(this.argv) },
      // structured clone: a report (a long string) crosses as it is, not escaped into JSON again
      { serialization: 'advanced' },
    );
    let started = false;
    let readyNow: () => void = () => undefined;
    const slot: Slot = { proc, ready: new Promise<void>((r) => (readyNow = r)) };
    this.slots.add(slot);
    proc.on('message', (m: JobReply) => {
      if ('ready' in m) {
        started = true;
        return readyNow();
      }
      const job = slot.busy;
      if (!job || job.id !== m.id) return;
      slot.busy = undefined;
      if (m.ok) job.resolve(m.result);
      else job.reject(new JobFailed(m.error, m.final));
      if (!this.closing) this.idle.push(slot);
    });
    proc.on('exit', (code, signal) => {
      readyNow(); // a job sent to it fails by the lines below
      this.slots.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      const job = slot.busy;
      slot.busy = undefined;
      job?.reject(new Error(`the job process exited (${signal ?? `status ${code}`})`));
      // its place taken at once; one that never started is not (a run starts one when needed)
      if (!this.closing && started) this.idle.push(this.start());
    });
    proc.on('error', () => undefined); // a failed send: its exit follows
    return slot;
  }

  /** Run one job; BullMQ's concurrency keeps the jobs at most the slots. */
  async run(data: QueueJobData): Promise<string> {
    const slot = this.idle.shift() ?? this.start();
    await slot.ready;
    if (!this.slots.has(slot)) throw new Error('the job process exited before its job');
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      slot.busy = { id, resolve, reject };
      const req: JobRequest = { id, data };
      slot.proc.send(req);
    });
  }

  /** Stop the processes (their IPC channel closed, each exits); after the active jobs are done. */
  async close(): Promise<void> {
    this.closing = true;
    const gone = [...this.slots].map(
      (s) => new Promise<void>((r) => (s.proc.exitCode !== null || s.proc.signalCode !== null ? r() : s.proc.once('exit', () => r()))),
    );
    for (const s of this.slots) if (s.proc.connected) s.proc.disconnect();
    await Promise.all(gone);
  }
}
