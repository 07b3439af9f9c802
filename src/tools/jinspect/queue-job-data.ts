// What jinspect --enqueue puts in a job, and the messages between a worker and its job
// processes: shared by queue.ts, queue-pool.ts and queue-job.ts without either side loading the other.

/** A job's data: the image as given to --enqueue, its absolute path (what workers open), its format. */
export interface QueueJobData {
  image: string;
  path: string;
  format?: string;
}

/** The environment variable that carries the worker's command line (JSON) to its job processes. */
export const WORKER_ARGS_ENV = 'JOOT_QUEUE_WORKER_ARGS';
/** Set in a job process's environment: jinspect started with it (and an IPC channel) serves jobs. */
export const JOB_PROCESS_ENV = 'JOOT_QUEUE_JOB_PROCESS';

/** worker → job process: inspect this image */
export interface JobRequest {
  id: number;
  data: QueueJobData;
}

/** job process → worker: ready for jobs (its code loaded), or a job's result */
export type JobReply =
  | { ready: true }
  | { id: number; ok: true; result: string }
  | { id: number; ok: false; error: string /** a read failure of the image (not worth a retry) */; final: boolean };
