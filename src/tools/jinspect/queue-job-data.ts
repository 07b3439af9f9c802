// What jinspect --enqueue puts in a job and how a worker hands its options to the child
// process that runs the job: shared by queue.ts and queue-job.ts without either loading the other.

/** A job's data: the image as given to --enqueue, its absolute path (what workers open), its format. */
export interface QueueJobData {
  image: string;
  path: string;
  format?: string;
}

/** The environment variable that carries the worker's command line (JSON) to its job processes. */
export const WORKER_ARGS_ENV = 'JOOT_QUEUE_WORKER_ARGS';
