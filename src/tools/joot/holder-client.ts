// Talking to a joot's holder (holder.ts) over its socket, RUN/joot/ID.sock, as holder-protocol.ts
// says.
import { connect, type Socket } from 'node:net';
import { JootError } from '../../core/errors.js';
import { alive } from '../../core/processes.js';
import { sleep, trace } from '../../core/run.js';
import { readLine, type Failure, type Hello, type Request } from './holder-protocol.js';
import { Store } from './store.js';

/** Connect to the holder of joot `id` and send `req`; undefined when nobody answers. */
export async function ask<T>(id: string, req: Request): Promise<{ sock: Socket; answer: T } | undefined> {
  const sock = connect(Store.socketPath(id));
  const ok = await new Promise<boolean>((resolve) => {
    sock.once('connect', () => resolve(true));
    sock.once('error', () => resolve(false));
  });
  if (!ok) {
    sock.destroy();
    return undefined;
  }
  sock.write(`${JSON.stringify(req)}\n`);
  const line = await readLine(sock);
  if (!line) {
    sock.destroy();
    return undefined;
  }
  try {
    return { sock, answer: JSON.parse(line) as T };
  } catch {
    sock.destroy();
    return undefined;
  }
}

/** Join the holder's environment: its Hello, and the connection to keep open meanwhile. */
export async function askEnter(id: string): Promise<{ sock: Socket; hello: Hello } | undefined> {
  const r = await ask<Hello | Failure>(id, { op: 'enter' });
  if (!r) return undefined;
  if (!r.answer.ok) {
    r.sock.destroy();
    return undefined; // closing: the caller starts a new holder
  }
  return { sock: r.sock, hello: r.answer };
}

/**
 * Tell the holder we leave after a normal exit (it then keeps the joot ready), wait until it
 * has synced the guest's filesystems (the program's changes are in the overlay file when joot
 * returns), and close.
 */
export async function sayBye(sock: Socket): Promise<void> {
  if (sock.destroyed) return;
  const answer = readLine(sock);
  sock.write(`${JSON.stringify({ op: 'bye' } satisfies Request)}\n`);
  sock.resume();
  await answer;
  await new Promise<void>((resolve) => {
    if (sock.destroyed) return resolve();
    sock.once('error', () => resolve());
    sock.end(() => resolve());
  });
}

/**
 * Release joot `id` if its holder is idle (kept ready after the last exit). The caller holds
 * the joot's lock, so no enter can join meanwhile. 'busy': enters are in it; 'released': it was
 * idle and everything is released now; 'none': no holder.
 */
export async function releaseIdle(id: string, name: string): Promise<'none' | 'released' | 'busy'> {
  const h = Store.holder(id);
  if (!h) return 'none';
  if (h.clients > 0) return 'busy';
  trace(`${name}: releasing the joot kept ready by holder pid ${h.pid}`);
  const r = await ask<{ ok: boolean; clients?: number }>(id, { op: 'stop' });
  if (r && !r.answer.ok) {
    r.sock.destroy();
    return 'busy';
  }
  r?.sock.destroy();
  // it answers once everything is released, then exits; without an answer it was already going
  for (let waited = 0; alive(h.pid, h.start); waited += 20) {
    if (waited > 15_000) throw new JootError('EBUSY', `${name}: its holder (pid ${h.pid}) does not exit`);
    await sleep(20);
  }
  return 'released';
}

/** `joot cleanup`: release every joot kept ready (idle holders). Returns how many. */
export async function releaseIdleHolders(): Promise<number> {
  let n = 0;
  for (const id of Store.holderIds()) {
    if (Store.holder(id)?.clients !== 0) continue;
    let lock;
    try {
      lock = await Store.lockJoot(id, id, 5000);
    } catch {
      continue; // an enter or another command has it: not idle
    }
    try {
      if ((await releaseIdle(id, id)) === 'released') n++;
    } finally {
      lock.release();
    }
  }
  return n;
}
