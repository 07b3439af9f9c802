// The processor of jinspect --worker's jobs, run by BullMQ in a child process of the worker
// (its sandboxed processor file: dist/bundle/jinspect-job.mjs): a crash while reading one
// image costs that job only. It inspects the image as --batch does and returns the report's
// JSON text, which BullMQ stores in Redis as the job's return value. A JootError (a corrupt
// image, no OS found) is final: the job fails at once with its one line; anything else (a
// crash, an unexpected error) is retried by BullMQ with backoff.
import { oneLine } from '../../core/errors.js';
import { JootError } from '../../core/errors.js';
import { writeStderr } from '../../core/stdio.js';
import { UsageError } from '../cli.js';
import { backingOptions } from '../backing.js';
import { loadConfig } from '../config.js';
import { engineOptions } from '../engine-options.js';
import { parseArgs } from './args.js';
import { inspectOne, type BatchOptions } from './batch.js';
import { WORKER_ARGS_ENV, type QueueJobData } from './queue-job-data.js';

// The worker died (SIGKILL): its lock lapses and another worker takes the job again, so this
// orphan stops rather than finish work nobody will collect.
process.on('disconnect', () => process.exit(1));

let options: Pick<BatchOptions, 'session' | 'inspect' | 'strict'> | undefined;

/** The worker's inspection options, parsed as the worker's own command line was. */
function workerOptions(): Pick<BatchOptions, 'session' | 'inspect' | 'strict'> {
  if (options) return options;
  const argv = JSON.parse(process.env[WORKER_ARGS_ENV] ?? '[]') as string[];
  const args = parseArgs(argv);
  const config = loadConfig();
  options = {
    inspect: { applications: args.applications, sections: args.sections },
    strict: args.strict,
    session: { ...backingOptions(config, args.backingDirs), ...engineOptions(config, args, true) },
  };
  return options;
}

export default async function process_(job: { data: QueueJobData }): Promise<string> {
  const { path, format } = job.data;
  try {
    const report = await inspectOne({ path, format }, workerOptions());
    // the inspection's own record (the worker's lines are about jobs, which may be retried)
    writeStderr(`jinspect: job ${process.pid}: inspected ${job.data.image}\n`);
    return report;
  } catch (e) {
    if (e instanceof JootError || e instanceof UsageError) {
      const final = new Error(oneLine(e));
      // BullMQ tells a final failure by this name (the error crosses the process by its fields)
      final.name = 'UnrecoverableError';
      throw final;
    }
    throw e;
  }
}
