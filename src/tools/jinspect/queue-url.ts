// The queue address jinspect --queue/--worker take: redis://[USER:PASS@]HOST:PORT/NAME, the
// Redis server that brokers the jobs and the BullMQ queue's name on it.
import { UsageError } from '../cli.js';

export interface QueueAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** the BullMQ queue name */
  name: string;
}

export function parseQueueUrl(text: string, option: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option} ${text}: not a redis://HOST:PORT/NAME address`);
  }
  if (url.protocol !== 'redis:') throw new UsageError(`${option} ${text}: only redis:// addresses are served`);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  // BullMQ joins its keys with ':'; a name without one cannot reach into another queue's keys
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name))
    throw new UsageError(`${option} ${text}: the queue name (after the port) must be 1-100 letters, digits, '.', '_' or '-'`);
  const port = url.port === '' ? 6379 : Number(url.port);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    name,
  };
}
