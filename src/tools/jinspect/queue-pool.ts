// The job process of a jinspect --worker: one, started with the worker (its start overlaps
// BullMQ's load and the Redis connection) and reused job after job, running up to the
// worker's --jobs at a time as --batch does in its one process (a process per slot would warm
// V8's JIT once per slot: twice the CPU of --batch). A job process that dies (a crash on one
// image, a kill) takes the jobs it was running with it; a fresh one takes its place. The job
// that was alone in it fails (BullMQ retries it); jobs that shared it run again, each in a
// process of its own, so that only the image that crashes a process fails, and the others
// lose no attempt. The processes are jinspect itself (the same entry, so the same V8 code
// cache), told by JOB_PROCESS_ENV to serve jobs.
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

/** The job's process exited while it ran; `shared`: other jobs were running in it too. */
class ProcessDied extends Error {
  constructor(
    message: string,
    readonly shared: boolean,
  ) {
    super(message);
  }
}

/** Starts a job process: jinspect itself, told to serve jobs (tests give a stand-in). */
export type StartJobProcess = () => ChildProcess;

/** jinspect with JOB_PROCESS_ENV, taking the worker's inspection options from `argv`. */
export function jinspectJobProcess(argv: readonly string[]): StartJobProcess {
  return () =>
    forkSelf(
      { [JOB_PROCESS_ENV]: '1', [WORKER_ARGS_ENV]: JSON.stringify(argv) },
      // structured clone: a report (a long string) crosses as it is, not escaped into JSON again
      { serialization: 'advanced' },
    );
}

interface Pending {
  resolve: (r: string) => void;
  reject: (e: Error) => void;
}

/** One job process and the jobs it runs. */
class JobProcess {
  readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** it said it was ready (a process that dies before is not replaced at once: no crash loop) */
  started = false;
  exited = false;
  readonly gone: Promise<void>;

  constructor(start: StartJobProcess) {
    this.proc = start();
    let readyNow: () => void = () => undefined;
    this.ready = new Promise<void>((r) => (readyNow = r));
    this.proc.on('message', (m: JobReply) => {
      if ('ready' in m) {
        this.started = true;
        return readyNow();
      }
      const job = this.pending.get(m.id);
      if (!job) return;
      this.pending.delete(m.id);
      if (m.ok) job.resolve(m.result);
      else job.reject(new JobFailed(m.error, m.final));
    });
    this.gone = new Promise<void>((done) =>
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        readyNow(); // a job sent to it fails by the lines below
        const shared = this.pending.size > 1;
        const why = `the job process exited (${signal ?? `status ${code}`})`;
        for (const job of this.pending.values()) job.reject(new ProcessDied(why, shared));
        this.pending.clear();
        done();
      }),
    );
    this.proc.on('error', () => undefined); // a failed send: its exit follows
  }

  async run(data: QueueJobData): Promise<string> {
    await this.ready;
    if (this.exited) throw new ProcessDied('the job process exited before its job', false);
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: JobRequest = { id, data };
      this.proc.send(req);
    });
  }

  /** Stop it (its IPC channel closed, it exits) once its jobs are done. */
  async close(): Promise<void> {
    if (!this.exited && this.proc.connected) this.proc.disconnect();
    await this.gone;
  }
}

export class JobPool {
  private shared: JobProcess;
  private readonly solos = new Set<JobProcess>();
  /** images that crashed a process they had alone: they run alone from then on */
  private readonly crashers = new Set<string>();
  private closing = false;

  constructor(private readonly start: StartJobProcess) {
    this.shared = this.startShared();
  }

  /** The shared process; one that dies after its start is replaced at once. */
  private startShared(): JobProcess {
    const p = new JobProcess(this.start);
    void p.gone.then(() => {
      if (!this.closing && this.shared === p && p.started) this.shared = this.startShared();
    });
    return p;
  }

  /** Run one job; BullMQ's concurrency bounds the jobs in flight. */
  async run(data: QueueJobData): Promise<string> {
    if (!this.crashers.has(data.path)) {
      if (this.shared.exited && !this.closing) this.shared = this.startShared();
      try {
        return await this.shared.run(data);
      } catch (e) {
        if (!(e instanceof ProcessDied) || this.closing) throw e;
        if (!e.shared) {
          this.crashers.add(data.path); // it was alone in the process: the one that crashed it
          throw e;
        }
      }
    }
    // it shared its process with the job that crashed it (or was that job): alone now
    const solo = new JobProcess(this.start);
    this.solos.add(solo);
    try {
      return await solo.run(data);
    } catch (e) {
      if (e instanceof ProcessDied) this.crashers.add(data.path);
      throw e;
    } finally {
      await solo.close();
      this.solos.delete(solo);
    }
  }

  /** Stop the processes; after the active jobs are done. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.shared, ...this.solos].map((p) => p.close()));
  }
}
