// The protocol between a joot's holder (holder.ts) and its clients (holder-client.ts) over the
// holder's socket, RUN/joot/ID.sock: the client sends one JSON request line, the holder answers
// with one JSON line. Its own file, so that neither side imports the other.
//
//   {"op":"enter"}  answer: the Hello (or a Failure while it is closing). The connection then
//                   stays open while the enter's program runs; after it the enter sends
//                   {"op":"bye"}, the holder syncs the guest's filesystems and answers
//                   {"ok":true}, and the enter closes. A close without a goodbye is a client
//                   that died: the holder releases the joot at once when it was the last,
//                   else it keeps the joot ready for `linger` seconds.
//   {"op":"stop"}   from a command that holds the joot's lock (delete, rename, save, purge,
//                   cleanup): an idle holder releases everything, answers {"ok":true} and
//                   exits; one with enters in it answers {"ok":false,"clients":N}.
import type { Socket } from 'node:net';

export type Request = { op: 'enter' } | { op: 'stop' } | { op: 'bye' };

/** The holder's answer to an enter: what the enter needs to start its container. */
export interface Hello {
  ok: true;
  pid: number;
  root: string;
  shell: string;
  hostname?: string;
  hasSh: boolean;
}

/** A refusal (the holder is closing, or could not start). */
export interface Failure {
  ok: false;
  code: string;
  message: string;
}

/** One line from a socket, or undefined when it closes first. Leaves the socket paused. */
export function readLine(sock: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i >= 0) {
        sock.off('data', onData);
        sock.pause();
        resolve(buf.slice(0, i));
      }
    };
    sock.on('data', onData);
    sock.once('close', () => resolve(undefined));
    sock.once('error', () => resolve(undefined));
  });
}
