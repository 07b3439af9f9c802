// The bytes a peer sends on a stream socket, taken in exact-length pieces (an NBD header, an
// option's data) by one reader at a time. What is buffered stays bounded: past HIGH_WATER the
// socket is paused until the reader catches up, so a client that floods requests costs no
// more memory than one that sends them one by one.
import type { Socket } from 'node:net';
import { JootError } from '../../core/errors.js';

const HIGH_WATER = 256 * 1024;
/** the most one take() may ask for: a caller wanting more skips it instead */
export const MAX_TAKE = 128 * 1024;

interface Waiter {
  n: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

export class Incoming {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiter: Waiter | undefined;
  private ended: Error | undefined;

  constructor(
    private readonly sock: Socket,
    private readonly name: string,
  ) {
    sock.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      if (this.have >= HIGH_WATER) sock.pause();
      this.wake();
    });
    const end = () => this.finish(new JootError('EIO', `${name}: the client closed the connection`));
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', (e) => this.finish(new JootError('EIO', `${name}: ${e.message}`)));
  }

  /** Exactly `n` bytes (n ≤ MAX_TAKE); rejects when the peer goes away first. */
  take(n: number): Promise<Buffer> {
    if (n > MAX_TAKE) return Promise.reject(new JootError('EINVAL', `${this.name}: ${n} bytes asked in one piece`));
    if (this.waiter) return Promise.reject(new JootError('ESTATE', `${this.name}: two readers`));
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.wake();
    });
  }

  /** Read and drop `n` bytes (a write's payload), a piece at a time. */
  async skip(n: number): Promise<void> {
    for (let left = n; left > 0; ) {
      const piece = Math.min(left, MAX_TAKE);
      await this.take(piece);
      left -= piece;
    }
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.have >= w.n) {
      this.waiter = undefined;
      w.resolve(this.consume(w.n));
    } else if (this.ended) {
      this.waiter = undefined;
      w.reject(this.ended);
    }
  }

  private consume(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const c = this.chunks[0]!;
      const use = Math.min(c.length, n - done);
      c.copy(out, done, 0, use);
      done += use;
      if (use === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(use);
    }
    this.have -= n;
    if (this.have < HIGH_WATER && this.sock.isPaused()) this.sock.resume();
    return out;
  }

  private finish(e: Error): void {
    this.ended ??= e;
    this.wake();
  }
}
