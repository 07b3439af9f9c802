// A read-only NBD server for one ByteSource on a unix socket: how a volume decoded in
// userspace (an md array, an opened LUKS volume, an LV) reaches the kernel on a host without
// device-mapper or md (nbdfuse turns the export into a file, a loop device into a block
// device). The fixed newstyle handshake and simple replies only; the export's name is
// ignored (there is one). Clients are untrusted peers: every length is checked before use,
// one connection holds at most one request's data at a time, and a client that breaks the
// protocol is disconnected without disturbing the others.
import type { Server, Socket } from 'node:net';
import { rm, stat } from 'node:fs/promises';
import { JootError, oneLine } from '../../core/errors.js';
import { trace } from '../../core/run.js';
import type { ByteSource } from '../source.js';
import { Incoming } from './incoming.js';
import * as P from './protocol.js';

export interface NbdServer {
  readonly socketPath: string;
  /** End every connection, stop listening and remove the socket. Idempotent. */
  close(): Promise<void>;
}

/** the most data one option may carry (real clients send a name and a few info requests) */
export const MAX_OPTION_DATA = 64 * 1024;
/** connections served at once; more are refused at accept */
export const MAX_CONNECTIONS = 64;
export interface ServeOptions {
  /** a client has this long to finish the handshake (default 30 s) */
  handshakeMs?: number;
}
/** the longest unix socket path Linux takes (sun_path is 108 bytes, NUL included) */
const MAX_SOCKET_PATH = 107;

const TFLAGS = P.TFLAG_HAS_FLAGS | P.TFLAG_READ_ONLY | P.TFLAG_CAN_MULTI_CONN;
const PREFERRED_BLOCK = 4096;

/** Serve `src` read-only on a new unix socket at `socketPath` (which must not exist). */
export async function serveNbd(src: ByteSource, socketPath: string, opts: ServeOptions = {}): Promise<NbdServer> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    throw new JootError('EINVAL', `${socketPath}: too long for a unix socket path (at most ${MAX_SOCKET_PATH} bytes)`);
  }
  if (!Number.isSafeInteger(src.size) || src.size < 0) throw new JootError('EINVAL', `${src.name}: size ${src.size} cannot be served`);
  const conns = new Set<Socket>();
  // node:net loads with the first export served, not with every run that could serve one
  const { createServer } = await import('node:net');
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, (sock) => {
    if (conns.size >= MAX_CONNECTIONS) {
      sock.destroy();
      return;
    }
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => {}); // reported through Incoming; never an unhandled 'error'
    serveConnection(src, sock, opts.handshakeMs ?? 30_000).catch((e: unknown) => trace(`nbd server ${src.name}: ${oneLine(e)}`));
  });
  await listen(server, socketPath);
  let closed: Promise<void> | undefined;
  return {
    socketPath,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        for (const s of conns) s.destroy();
        await stopped;
        await rm(socketPath, { force: true });
      })();
      return closed;
    },
  };
}

async function listen(server: Server, socketPath: string): Promise<void> {
  if (await stat(socketPath).catch(() => undefined)) throw new JootError('EBUSY', `${socketPath}: already exists`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw new JootError('EIO', `${socketPath}: cannot listen: ${oneLine(e)}`);
  });
}

/** One client, start to end; any protocol violation or lost peer ends it (throws). */
async function serveConnection(src: ByteSource, sock: Socket, handshakeMs: number): Promise<void> {
  const peer = `nbd client of ${src.name}`;
  const inc = new Incoming(sock, peer);
  const timer = setTimeout(() => sock.destroy(), handshakeMs);
  try {
    let go: boolean;
    try {
      go = await handshake(src, sock, inc);
    } finally {
      clearTimeout(timer);
    }
    if (go) await transmission(src, sock, inc);
    sock.end();
  } catch (e) {
    sock.destroy();
    throw e;
  }
}

function send(sock: Socket, data: Buffer): Promise<void> {
  if (sock.destroyed) return Promise.reject(new JootError('EIO', 'the client went away'));
  // wait for the socket to take it: a client that reads slowly holds one reply, not many
  return new Promise((resolve, reject) => {
    if (sock.write(data)) resolve();
    else {
      const done = () => {
        sock.off('drain', done);
        sock.off('close', done);
        if (sock.destroyed) reject(new JootError('EIO', 'the client went away'));
        else resolve();
      };
      sock.on('drain', done);
      sock.on('close', done);
    }
  });
}

// ---------------------------------------------------------------- handshake

/** Returns true to enter transmission, false when the client aborted. */
async function handshake(src: ByteSource, sock: Socket, inc: Incoming): Promise<boolean> {
  const hello = Buffer.alloc(18);
  hello.writeBigUInt64BE(P.NBDMAGIC, 0);
  hello.writeBigUInt64BE(P.IHAVEOPT, 8);
  hello.writeUInt16BE(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES, 16);
  await send(sock, hello);
  const clientFlags = (await inc.take(4)).readUInt32BE(0);
  const known = P.CLIENT_FLAG_FIXED_NEWSTYLE | P.CLIENT_FLAG_NO_ZEROES;
  if ((clientFlags & ~known) !== 0 || !(clientFlags & P.CLIENT_FLAG_FIXED_NEWSTYLE)) {
    throw new JootError('EINVAL', `client flags 0x${clientFlags.toString(16)} not supported`);
  }
  const noZeroes = (clientFlags & P.CLIENT_FLAG_NO_ZEROES) !== 0;

  for (let options = 0; ; options++) {
    // a client cannot keep the handshake going forever (HANDSHAKE_MS bounds it too)
    if (options > 1000) throw new JootError('EINVAL', 'too many options');
    const head = await inc.take(P.OPTION_HEADER);
    if (head.readBigUInt64BE(0) !== P.IHAVEOPT) throw new JootError('EINVAL', 'bad option magic');
    const opt = head.readUInt32BE(8);
    const len = head.readUInt32BE(12);
    if (len > MAX_OPTION_DATA) throw new JootError('EINVAL', `option ${opt} carries ${len} bytes`);
    const data = await inc.take(len);
    switch (opt) {
      case P.OPT_EXPORT_NAME: {
        // no reply possible on failure: the size and flags, then transmission
        const out = Buffer.alloc(noZeroes ? 10 : 134);
        out.writeBigUInt64BE(BigInt(src.size), 0);
        out.writeUInt16BE(TFLAGS, 8);
        await send(sock, out);
        return true;
      }
      case P.OPT_ABORT:
        await send(sock, optionReply(opt, P.REP_ACK)).catch(() => {});
        return false;
      case P.OPT_LIST:
        if (len !== 0) await send(sock, optionReply(opt, P.REP_ERR_INVALID));
        else {
          await send(sock, optionReply(opt, P.REP_SERVER, Buffer.alloc(4))); // one export, named ""
          await send(sock, optionReply(opt, P.REP_ACK));
        }
        break;
      case P.OPT_INFO:
      case P.OPT_GO: {
        const wanted = infoRequests(data);
        if (!wanted) {
          await send(sock, optionReply(opt, P.REP_ERR_INVALID));
          break;
        }
        const info = Buffer.alloc(12);
        info.writeUInt16BE(P.INFO_EXPORT, 0);
        info.writeBigUInt64BE(BigInt(src.size), 2);
        info.writeUInt16BE(TFLAGS, 10);
        await send(sock, optionReply(opt, P.REP_INFO, info));
        if (wanted.includes(P.INFO_BLOCK_SIZE)) {
          const bs = Buffer.alloc(14);
          bs.writeUInt16BE(P.INFO_BLOCK_SIZE, 0);
          bs.writeUInt32BE(1, 2);
          bs.writeUInt32BE(PREFERRED_BLOCK, 6);
          bs.writeUInt32BE(P.MAX_REQUEST, 10);
          await send(sock, optionReply(opt, P.REP_INFO, bs));
        }
        await send(sock, optionReply(opt, P.REP_ACK));
        if (opt === P.OPT_GO) return true;
        break;
      }
      default:
        await send(sock, optionReply(opt, P.REP_ERR_UNSUP));
    }
  }
}

/** The info types an NBD_OPT_INFO/GO asks for, or undefined when its data is malformed. */
function infoRequests(data: Buffer): number[] | undefined {
  if (data.length < 6) return undefined;
  const nameLen = data.readUInt32BE(0);
  if (nameLen > data.length - 6) return undefined;
  const n = data.readUInt16BE(4 + nameLen);
  if (data.length !== 6 + nameLen + 2 * n) return undefined;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(data.readUInt16BE(6 + nameLen + 2 * i));
  return out;
}

function optionReply(opt: number, type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(20);
  head.writeBigUInt64BE(P.OPTION_REPLY_MAGIC, 0);
  head.writeUInt32BE(opt, 8);
  head.writeUInt32BE(type >>> 0, 12);
  head.writeUInt32BE(data.length, 16);
  return Buffer.concat([head, data]);
}

// ---------------------------------------------------------------- transmission

async function transmission(src: ByteSource, sock: Socket, inc: Incoming): Promise<void> {
  for (;;) {
    const req = await inc.take(P.REQUEST_SIZE);
    if (req.readUInt32BE(0) !== P.REQUEST_MAGIC) throw new JootError('EINVAL', 'bad request magic');
    const type = req.readUInt16BE(6);
    const cookie = req.subarray(8, 16);
    const offset = req.readBigUInt64BE(16);
    const length = req.readUInt32BE(24);
    switch (type) {
      case P.CMD_READ: {
        const { error, data } = await readRange(src, offset, length);
        if (!data) await send(sock, simpleReply(error, cookie));
        else {
          void send(sock, simpleReply(0, cookie)).catch(() => {}); // the data's send reports a lost peer
          await send(sock, data);
        }
        break;
      }
      case P.CMD_WRITE:
        // the payload follows the request whatever we answer: drop it, or give up on a
        // length no real client sends (the stream cannot be followed past it)
        if (length > P.MAX_REQUEST) throw new JootError('EINVAL', `write of ${length} bytes`);
        await inc.skip(length);
        await send(sock, simpleReply(P.NBD_EPERM, cookie));
        break;
      case P.CMD_TRIM:
      case P.CMD_WRITE_ZEROES:
        await send(sock, simpleReply(P.NBD_EPERM, cookie));
        break;
      case P.CMD_FLUSH:
        await send(sock, simpleReply(0, cookie)); // nothing is ever written: nothing to flush
        break;
      case P.CMD_DISC:
        return;
      default:
        await send(sock, simpleReply(P.NBD_EINVAL, cookie));
    }
  }
}

async function readRange(src: ByteSource, offset: bigint, length: number): Promise<{ error: number; data?: Buffer }> {
  if (length === 0 || length > P.MAX_REQUEST || offset + BigInt(length) > BigInt(src.size)) return { error: P.NBD_EINVAL };
  try {
    const data = await src.read(Number(offset), length);
    if (data.length !== length) return { error: P.NBD_EIO };
    return { error: 0, data };
  } catch (e) {
    trace(`nbd server: ${src.name}: read of ${length} bytes at ${offset} failed: ${oneLine(e)}`);
    return { error: P.NBD_EIO };
  }
}

function simpleReply(error: number, cookie: Buffer): Buffer {
  const r = Buffer.alloc(P.SIMPLE_REPLY_SIZE);
  r.writeUInt32BE(P.SIMPLE_REPLY_MAGIC, 0);
  r.writeUInt32BE(error, 4);
  cookie.copy(r, 8);
  return r;
}
