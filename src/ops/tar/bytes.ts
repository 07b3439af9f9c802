// Reading a byte stream (any AsyncIterable of chunks: a file, stdin, a decompressor's
// output) in exact amounts, without ever holding more than one incoming chunk: the tar
// reader asks for 512-byte headers and then streams each member's data through.
import { JootError } from '../../core/errors.js';

export class ByteSource {
  private readonly it: AsyncIterator<Buffer | string>;
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Make at least one byte available; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.buf.length === 0) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      this.buf = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
    return true;
  }

  /** The next `n` bytes (fewer at the end of the stream) without consuming them. */
  async peek(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = Buffer.concat([this.buf, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
    }
    return this.buf.subarray(0, n);
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async readSome(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Exactly `n` bytes; undefined if the stream ends before the first byte; throws if it ends
   *  in the middle. */
  async readExact(n: number): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = await this.readSome(n - got);
      if (!c) {
        if (got === 0) return undefined;
        throw new JootError('EINVAL', 'Unexpected EOF in archive');
      }
      parts.push(c);
      got += c.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Discard `n` bytes; throws if the stream ends first. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const c = await this.readSome(Math.min(left, 1 << 20));
      if (!c) throw new JootError('EINVAL', 'Unexpected EOF in archive');
      left -= c.length;
    }
  }

  /** Read and drop everything left (lets a decompressor run to its end and report errors). */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (!this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
    }
  }

  /** Stop reading early (closes the underlying iterator). */
  async close(): Promise<void> {
    this.ended = true;
    await this.it.return?.();
  }
}
