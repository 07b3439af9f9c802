// A small NBD client over a unix socket (node:net): the fixed newstyle handshake, NBD_OPT_GO
// for the export named "", NBD_CMD_READ with simple replies (one request at a time; reads
// split at 32 MiB), NBD_CMD_DISC on close. It reads what joot's own qemu-storage-daemon
// exports; the server's answers are still checked (sizes, magics, handles) before use.
import type { Socket } from 'node:net';
import { JootError } from '../../core/errors.js';
import * as P from '../nbd/protocol.js';
import { checkRange, type ByteSource } from '../source.js';

/** A byte stream read in exact-sized pieces. */
class Reader {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiter: (() => void) | undefined;
  private ended: Error | undefined;

  constructor(sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.have += d.length;
      this.wake();
    });
    sock.on('close', () => {
      this.ended ??= new Error('connection closed');
      this.wake();
    });
    sock.on('error', (e) => {
      this.ended = e;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async take(n: number): Promise<Buffer> {
    while (this.have < n) {
      if (this.ended) throw this.ended;
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
const MAX_OPTION_REPLY = 64 * 1024; // option replies are small; a bigger one is not a server we know

export class NbdClient implements ByteSource {
  private queue: Promise<unknown> = Promise.resolve();
  private handle = 0n;
  private closed = false;
  /** after a failed exchange the stream is out of step: every later read fails too */
  private broken: JootError | undefined;

  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly sock: Socket,
    private readonly reader: Reader,
  ) {}

  /** Connect to the NBD server on unix socket `path` and open its export ""; `name` is what messages say. */
  static async connect(path: string, name: string): Promise<NbdClient> {
    // node:net loads here, with the first export used (most runs read no NBD export)
    const { connect } = await import('node:net');
    const sock = connect(path);
    const reader = new Reader(sock);
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      // a server that never answers must not hang the open
      const timer = setTimeout(() => sock.destroy(new Error(`no handshake in ${HANDSHAKE_TIMEOUT_MS / 1000} s`)), HANDSHAKE_TIMEOUT_MS);
      try {
        const size = await handshake(sock, reader, name);
        return new NbdClient(name, size, sock, reader);
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      sock.destroy();
      throw e instanceof JootError ? e : new JootError('EIO', `${name}: NBD connection failed: ${(e as Error).message}`);
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const p = this.queue.then(() => this.readNow(offset, length));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async readNow(offset: number, length: number): Promise<Buffer> {
    if (this.closed) throw new JootError('ESTATE', `${this.name}: closed`);
    if (this.broken) throw this.broken;
    const parts: Buffer[] = [];
    for (let done = 0; done < length; ) {
      const n = Math.min(P.MAX_REQUEST, length - done);
      parts.push(await this.request(offset + done, n));
      done += n;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private async request(offset: number, length: number): Promise<Buffer> {
    const handle = ++this.handle;
    const req = Buffer.alloc(28);
    req.writeUInt32BE(P.REQUEST_MAGIC, 0);
    req.writeUInt16BE(0, 4);
    req.writeUInt16BE(P.CMD_READ, 6);
    req.writeBigUInt64BE(handle, 8);
    req.writeBigUInt64BE(BigInt(offset), 16);
    req.writeUInt32BE(length, 24);
    const rep = await this.exchange(async () => {
      this.sock.write(req);
      const r = await this.reader.take(16);
      if (r.readUInt32BE(0) !== P.SIMPLE_REPLY_MAGIC || r.readBigUInt64BE(8) !== handle) {
        throw new JootError('EIO', `${this.name}: the NBD server sent a malformed reply`);
      }
      return r;
    });
    // a simple reply with an error carries no data: the stream stays in step
    const err = rep.readUInt32BE(4);
    if (err !== 0) throw new JootError('EIO', `${this.name}: read of ${length} bytes at ${offset} failed on the NBD server (errno ${err})`);
    return this.exchange(async () => Buffer.from(await this.reader.take(length)));
  }

  /** A step of the protocol; when it fails the stream is out of step, so the connection is done. */
  private async exchange<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      this.broken = e instanceof JootError ? e : new JootError('EIO', `${this.name}: NBD read failed: ${(e as Error).message}`);
      this.sock.destroy();
      throw this.broken;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    const disc = Buffer.alloc(28);
    disc.writeUInt32BE(P.REQUEST_MAGIC, 0);
    disc.writeUInt16BE(P.CMD_DISC, 6);
    await new Promise<void>((resolve) => {
      if (this.sock.destroyed) return resolve();
      this.sock.once('close', () => resolve());
      this.sock.end(disc);
      setTimeout(() => {
        this.sock.destroy();
        resolve();
      }, 1000).unref();
    });
  }
}

/** The fixed newstyle handshake with NBD_OPT_GO; the export's size. */
async function handshake(sock: Socket, r: Reader, name: string): Promise<number> {
  const fail = (what: string): JootError => new JootError('EIO', `${name}: NBD handshake failed: ${what}`);
  const hello = await r.take(18);
  if (hello.readBigUInt64BE(0) !== P.NBDMAGIC || hello.readBigUInt64BE(8) !== P.IHAVEOPT) throw fail('not a newstyle NBD server');
  const flags = hello.readUInt16BE(16);
  if (!(flags & P.FLAG_FIXED_NEWSTYLE)) throw fail('the server does not speak fixed newstyle');
  const cflags = Buffer.alloc(4);
  cflags.writeUInt32BE(P.CLIENT_FLAG_FIXED_NEWSTYLE | (flags & P.FLAG_NO_ZEROES ? P.CLIENT_FLAG_NO_ZEROES : 0));
  // NBD_OPT_GO: export name length, name (""), no information requests
  const opt = Buffer.alloc(16 + 6);
  opt.writeBigUInt64BE(P.IHAVEOPT, 0);
  opt.writeUInt32BE(P.OPT_GO, 8);
  opt.writeUInt32BE(6, 12);
  opt.writeUInt32BE(0, 16);
  opt.writeUInt16BE(0, 20);
  sock.write(Buffer.concat([cflags, opt]));
  let size: number | undefined;
  for (let i = 0; i < 64; i++) {
    const head = await r.take(20);
    if (head.readBigUInt64BE(0) !== P.OPTION_REPLY_MAGIC || head.readUInt32BE(8) !== P.OPT_GO) throw fail('malformed option reply');
    const type = head.readUInt32BE(12);
    const len = head.readUInt32BE(16);
    if (len > MAX_OPTION_REPLY) throw fail(`option reply of ${len} bytes`);
    const data = await r.take(len);
    if (type & P.REP_FLAG_ERROR) {
      const msg = data.toString('utf8').replace(/\s+/g, ' ').trim();
      throw fail(`the server refused the export (error 0x${type.toString(16)}${msg ? `: ${msg}` : ''})`);
    }
    if (type === P.REP_INFO && len >= 2 && data.readUInt16BE(0) === P.INFO_EXPORT) {
      if (len < 12) throw fail('short export information');
      const s = data.readBigUInt64BE(2);
      if (s > BigInt(Number.MAX_SAFE_INTEGER)) throw new JootError('EUNSUPPORTED', `${name}: an export of ${s} bytes is beyond 2^53 bytes`);
      size = Number(s);
    } else if (type === P.REP_ACK) {
      if (size === undefined) throw fail('the server gave no export size');
      return size;
    }
  }
  throw fail('too many option replies');
}
