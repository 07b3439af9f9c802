// A job process of jinspect --worker (queue-pool.ts starts it: jinspect with JOB_PROCESS_ENV
// set and an IPC channel): it takes the worker's jobs, as many at a time as the worker sends,
// and inspects each image as --batch does, answering with the result's members (the report,
// or the files written under the worker's --out; the SBOM with --sbom). It lives as long as
// its worker (queue-pool.ts says what a crash costs). A JootError (a corrupt image, no OS
// found) is final: the job fails at once with its one line.
import { resolve } from 'node:path';
import { oneLine } from '../../core/errors.js';
import { JootError } from '../../core/errors.js';
import { startupMark } from '../../core/startup-trace.js';
import { writeStderr } from '../../core/stdio.js';
import { UsageError } from '../cli.js';
import { backingOptions } from '../backing.js';
import { loadConfig } from '../config.js';
import { engineOptions } from '../engine-options.js';
import { inspectOptions, parseArgs } from './args.js';
import { type ImageResultOptions, imageResult } from './batch-result.js';
import { type JobReply, type JobRequest, WORKER_ARGS_ENV } from './queue-job-data.js';

/** The worker's inspection options, parsed as the worker's own command line was. */
function workerOptions(): ImageResultOptions {
  const argv = JSON.parse(process.env[WORKER_ARGS_ENV] ?? '[]') as string[];
  const args = parseArgs(argv);
  const config = loadConfig();
  return {
    inspect: inspectOptions(args),
    strict: args.strict,
    session: { ...backingOptions(config, args.backingDirs), ...engineOptions(config, args, true) },
    // absolute: --collect may run anywhere the shared storage is
    out: args.out === undefined ? undefined : resolve(args.out),
    sbom: args.sbom,
    sbomHash: args.sbomHash,
  };
}

/** Serve the worker's jobs until it goes away; never returns (the process exits then). */
export function serveJobs(): Promise<number> {
  const options = workerOptions();
  // a worker that stops (or gives up at its start) may close the channel as this writes to it:
  // the 'disconnect' below ends this process, and a failed write is no error of its own
  const send = (m: JobReply): void => {
    if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
  };
  // the worker stopped, or died (SIGKILL: its lock lapses and another worker takes the job
  // again): this process stops rather than finish work nobody will collect
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C on the worker's terminal, or a SIGTERM to its process group (timeout(1), a service
  // manager stopping the group), reaches its job processes too: the worker finishes the active
  // jobs before it stops, and so do they (they exit when it disconnects, or dies)
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.on('message', (m: JobRequest) => {
    const { path, format } = m.data;
    imageResult({ path, format }, options).then(
      (result) => {
        // the inspection's own record (the worker's lines are about jobs, which may be retried)
        writeStderr(`jinspect: job ${process.pid}: inspected ${m.data.image}\n`);
        send({ id: m.id, ok: true, result });
      },
      (e: unknown) => send({ id: m.id, ok: false, error: oneLine(e), final: e instanceof JootError || e instanceof UsageError }),
    );
  });
  startupMark('job process ready');
  send({ ready: true });
  return new Promise<number>(() => undefined);
}
