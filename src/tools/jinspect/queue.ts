// jinspect's cluster mode, on a BullMQ queue with Redis as the broker (loaded only here, so a
// plain jinspect never pays for it):
//   --queue URL --enqueue IMG…  one job per image, its id from the image's absolute path (an
//                               image enqueued again is not a second job)
//   --worker URL [--jobs N]     take jobs, N at a time, in a job process (queue-pool.ts,
//                               queue-job.ts); with --out DIR the results go there
//   --queue URL --status        the counts of done, failed, waiting, active and delayed jobs
//   --queue URL --collect       the results as NDJSON, in --batch's line format
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { oneLine } from '../../core/errors.js';
import { jsonText } from '../../core/escape.js';
import { startupMark } from '../../core/startup-trace.js';
import { StdoutWriter, writeStderr } from '../../core/stdio.js';
import { UsageError } from '../cli.js';
import { expandInputs, MAX_JOBS } from './batch.js';
import { resultLine } from './batch-result.js';
import type { QueueJobData } from './queue-job-data.js';
import { JobFailed, JobPool, jinspectJobProcess } from './queue-pool.js';
import type { QueueAddress } from './queue-url.js';

/** tries of one job (a crash, an unexpected error); a JootError fails it at once */
const ATTEMPTS = 3;
/** the first retry's delay, doubled at each further one */
const BACKOFF_MS = 2000;
/** a page of --collect */
const PAGE = 100;

type Redis = import('ioredis').Redis;

/** The bundle's vendor-bullmq.mjs and vendor-ioredis.mjs carry each CommonJS package as their default export. */
const unwrap = <T>(m: T): T => (m as T & { default?: T }).default ?? m;
const loadBullmq = async () => unwrap(await import('bullmq'));

async function connect(a: QueueAddress, forWorker: boolean): Promise<Redis> {
  const { Redis } = unwrap(await import('ioredis'));
  const redis = new Redis({
    host: a.host,
    port: a.port,
    username: a.username,
    password: a.password,
    // BullMQ's blocking commands need this; a worker waits out a broker restart, a client call does not
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (forWorker ? Math.min(times * 500, 5000) : times > 3 ? null : 250),
    lazyConnect: true,
  });
  let reported = '';
  let up = false;
  redis.on('error', (e: unknown) => {
    const line = oneLine(e);
    // a running worker says so as it waits out the broker; before the first connection the
    // usage error below is the one line
    if (forWorker && up && line !== reported) writeStderr(`jinspect: redis ${a.host}:${a.port}: ${line}\n`);
    reported = line;
  });
  redis.on('ready', () => {
    if (forWorker && up && reported !== '') writeStderr(`jinspect: redis ${a.host}:${a.port}: connected again\n`);
    reported = ''; // the next outage is said again
  });
  try {
    await redis.connect();
    up = true;
  } catch (e) {
    redis.disconnect();
    // ioredis gives up with "Connection is closed."; the socket's own error says why
    throw new UsageError(`cannot reach redis at ${a.host}:${a.port}: ${reported || oneLine(e)}`);
  }
  return redis;
}

/** The job id of an image: its absolute path, hashed (BullMQ ids may not hold ':'). */
function jobId(path: string): string {
  return `img-${createHash('sha256').update(path).digest('hex').slice(0, 40)}`;
}

async function withQueue<T>(a: QueueAddress, use: (q: import('bullmq').Queue) => Promise<T>): Promise<T> {
  const { Queue } = await loadBullmq();
  const redis = await connect(a, false);
  const queue = new Queue(a.name, { connection: redis });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

export async function runEnqueue(a: QueueAddress, inputs: { path: string; format?: string }[], from?: string): Promise<number> {
  const images = await expandInputs({ inputs, from });
  if (images.length === 0) throw new UsageError('--enqueue: no image matched');
  await withQueue(a, async (queue) => {
    for (let i = 0; i < images.length; i += PAGE) {
      const page = images.slice(i, i + PAGE).map((img) => {
        const path = resolve(img.path);
        const data: QueueJobData = { image: img.path, path, format: img.format };
        return {
          name: 'inspect',
          data,
          opts: { jobId: jobId(path), attempts: ATTEMPTS, backoff: { type: 'exponential', delay: BACKOFF_MS } },
        };
      });
      await queue.addBulk(page);
    }
  });
  writeStderr(`jinspect: ${images.length} image${images.length === 1 ? '' : 's'} on queue ${a.name}\n`);
  return 0;
}

export async function runStatus(a: QueueAddress): Promise<number> {
  const c = await withQueue(a, (q) => q.getJobCounts('completed', 'failed', 'waiting', 'prioritized', 'active', 'delayed'));
  const n = (k: string): number => c[k] ?? 0;
  const line = jsonText({
    done: n('completed'),
    failed: n('failed'),
    waiting: n('waiting') + n('prioritized'),
    active: n('active'),
    delayed: n('delayed'),
  });
  await new StdoutWriter().write(`${line}\n`);
  return 0;
}

/** Every finished job's line, page by page (memory bounded); exit 1 when any failed. */
export async function runCollect(a: QueueAddress): Promise<number> {
  const out = new StdoutWriter();
  let failed = 0;
  await withQueue(a, async (queue) => {
    for (const state of ['completed', 'failed'] as const) {
      for (let start = 0; ; start += PAGE) {
        const jobs = await queue.getJobs([state], start, start + PAGE - 1, true);
        for (const job of jobs) {
          if (!job) continue;
          const data = job.data as QueueJobData;
          if (state === 'completed') await out.write(`${resultLine(data.image, String(job.returnvalue), undefined)}\n`);
          else {
            failed++;
            await out.write(`${resultLine(data.image, undefined, job.failedReason || 'failed')}\n`);
          }
        }
        if (jobs.length < PAGE) break;
      }
    }
  });
  return failed ? 1 : 0;
}

/** A lock duration for tests ($JOOT_QUEUE_LOCK_MS): a killed worker's job is taken again sooner. */
function lockMs(): number | undefined {
  const v = process.env.JOOT_QUEUE_LOCK_MS;
  return v && /^[1-9][0-9]{2,6}$/.test(v) ? Number(v) : undefined;
}

/**
 * Take jobs until SIGINT/SIGTERM, then finish the active ones and stop. `argv`: the worker's
 * command line, which its job processes parse for the inspection options; `out`: its --out.
 */
export async function runWorker(a: QueueAddress, jobs: number, argv: readonly string[], out?: string): Promise<number> {
  const concurrency = Math.max(1, Math.min(jobs, MAX_JOBS));
  if (out !== undefined) await mkdir(out, { recursive: true });
  // the job processes start first: their start overlaps BullMQ's load and the connection
  const pool = new JobPool(jinspectJobProcess(argv));
  startupMark('job processes forked');
  try {
    return await takeJobs(a, concurrency, pool);
  } finally {
    await pool.close();
  }
}

async function takeJobs(a: QueueAddress, concurrency: number, pool: JobPool): Promise<number> {
  const { Worker, UnrecoverableError } = await loadBullmq();
  startupMark('bullmq loaded');
  const redis = await connect(a, true);
  startupMark('connected');
  const lock = lockMs();
  const processor = async (job: { data: QueueJobData }): Promise<string> => {
    try {
      return await pool.run(job.data);
    } catch (e) {
      // a read failure of the image is final (BullMQ does not retry it); a crash is retried
      throw e instanceof JobFailed && e.final ? new UnrecoverableError(e.message) : e;
    }
  };
  const worker = new Worker(a.name, processor, {
    connection: redis,
    concurrency,
    ...(lock ? { lockDuration: lock, stalledInterval: Math.max(100, Math.floor(lock / 2)) } : {}),
  });
  const image = (job: { data: unknown } | undefined): string => (job?.data as QueueJobData | undefined)?.image ?? '?';
  worker.on('active', (job) => writeStderr(`jinspect: worker ${process.pid}: start ${image(job)}\n`));
  worker.on('completed', (job) => writeStderr(`jinspect: worker ${process.pid}: done ${image(job)}\n`));
  worker.on('failed', (job, e) => writeStderr(`jinspect: worker ${process.pid}: failed ${image(job)}: ${oneLine(e)}\n`));
  // BullMQ repeats an error at each retry (a broker down for minutes): said once until it changes
  let lastError = '';
  worker.on('error', (e) => {
    const line = oneLine(e);
    if (line !== lastError) writeStderr(`jinspect: worker ${process.pid}: ${line}\n`);
    lastError = line;
  });
  redis.on('ready', () => (lastError = ''));
  writeStderr(`jinspect: worker ${process.pid} on queue ${a.name} at ${a.host}:${a.port}, ${concurrency} at a time\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      writeStderr(`jinspect: worker ${process.pid}: stopping after the active jobs\n`);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await worker.close();
  await redis.quit().catch(() => redis.disconnect());
  return 0;
}
