// src/disk/nbd/server.ts against real NBD clients (qemu-img, nbdcopy, nbdinfo, qemu-io: the
// server is in this process, so they run through the async runner) and against a hand-driven
// hostile client. No root: it reads the fixture image file directly.
import { createConnection, type Socket } from 'node:net';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/core/run.js';
import { Incoming } from '../../src/disk/nbd/incoming.js';
import * as P from '../../src/disk/nbd/protocol.js';
import { MAX_CONNECTIONS, MAX_OPTION_DATA, serveNbd, type NbdServer } from '../../src/disk/nbd/server.js';
import { FileSource, SliceSource, type ByteSource } from '../../src/disk/source.js';
import { JootError } from '../../src/core/errors.js';
import { fixture } from '../fixtures/index.js';
import { PatternSource, patternBytes } from './pattern-source.js';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-nbd-server-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function serve(src: ByteSource): Promise<{ server: NbdServer; uri: string; sock: string }> {
  const sock = join(dir, `s${n++}.sock`);
  const server = await serveNbd(src, sock);
  return { server, sock, uri: `nbd+unix:///?socket=${sock}` };
}

// ---------------------------------------------------------------- a raw client

class RawClient {
  private constructor(
    readonly sock: Socket,
    private readonly inc: Incoming,
  ) {}
  static async connect(path: string): Promise<RawClient> {
    const sock = createConnection(path);
    await once(sock, 'connect');
    sock.on('error', () => {});
    return new RawClient(sock, new Incoming(sock, 'test client'));
  }
  send(b: Buffer): void {
    this.sock.write(b);
  }
  take(n: number): Promise<Buffer> {
    return this.inc.take(n);
  }
  /** resolves when the server has closed the connection */
  closed(): Promise<unknown> {
    return this.sock.closed ? Promise.resolve() : once(this.sock, 'close');
  }
  end(): void {
    this.sock.destroy();
  }

  async greet(flags = P.CLIENT_FLAG_FIXED_NEWSTYLE | P.CLIENT_FLAG_NO_ZEROES): Promise<number> {
    const hello = await this.take(18);
    expect(hello.readBigUInt64BE(0)).toBe(P.NBDMAGIC);
    expect(hello.readBigUInt64BE(8)).toBe(P.IHAVEOPT);
    const f = Buffer.alloc(4);
    f.writeUInt32BE(flags);
    this.send(f);
    return hello.readUInt16BE(16);
  }

  option(opt: number, data: Buffer = Buffer.alloc(0), len = data.length): void {
    const h = Buffer.alloc(16);
    h.writeBigUInt64BE(P.IHAVEOPT, 0);
    h.writeUInt32BE(opt, 8);
    h.writeUInt32BE(len, 12);
    this.send(Buffer.concat([h, data]));
  }

  async reply(): Promise<{ opt: number; type: number; data: Buffer }> {
    const h = await this.take(20);
    expect(h.readBigUInt64BE(0)).toBe(P.OPTION_REPLY_MAGIC);
    return { opt: h.readUInt32BE(8), type: h.readUInt32BE(12), data: await this.take(h.readUInt32BE(16)) };
  }

  /** NBD_OPT_GO on the default export: the size and transmission flags */
  async go(): Promise<{ size: bigint; flags: number }> {
    this.option(P.OPT_GO, Buffer.alloc(6));
    let info: { size: bigint; flags: number } | undefined;
    for (;;) {
      const r = await this.reply();
      if (r.type === P.REP_INFO && r.data.readUInt16BE(0) === P.INFO_EXPORT)
        info = { size: r.data.readBigUInt64BE(2), flags: r.data.readUInt16BE(10) };
      if (r.type === P.REP_ACK) return info!;
      expect(r.type).toBe(P.REP_INFO);
    }
  }

  request(type: number, offset: bigint, length: number, cookie = 7n, payload?: Buffer): void {
    const r = Buffer.alloc(28);
    r.writeUInt32BE(P.REQUEST_MAGIC, 0);
    r.writeUInt16BE(type, 6);
    r.writeBigUInt64BE(cookie, 8);
    r.writeBigUInt64BE(offset, 16);
    r.writeUInt32BE(length, 24);
    this.send(payload ? Buffer.concat([r, payload]) : r);
  }

  async simpleReply(dataLength = 0): Promise<{ error: number; cookie: bigint; data?: Buffer }> {
    const h = await this.take(16);
    expect(h.readUInt32BE(0)).toBe(P.SIMPLE_REPLY_MAGIC);
    const error = h.readUInt32BE(4);
    const cookie = h.readBigUInt64BE(8);
    if (error !== 0 || dataLength === 0) return { error, cookie };
    return { error, cookie, data: await this.take(dataLength) };
  }
}

async function readyClient(sock: string): Promise<RawClient> {
  const c = await RawClient.connect(sock);
  await c.greet();
  await c.go();
  return c;
}

/** a quick proof the server still serves */
async function stillServes(sock: string, src: ByteSource, offset = 4096, length = 512): Promise<void> {
  const c = await readyClient(sock);
  c.request(P.CMD_READ, BigInt(offset), length);
  const r = await c.simpleReply(length);
  expect(r.error).toBe(0);
  expect(r.data!.equals(await src.read(offset, length))).toBe(true);
  c.end();
}

// ---------------------------------------------------------------- real clients

describe('real NBD clients read what the source holds', () => {
  it('a pattern source: nbdinfo, qemu-img convert, nbdcopy, qemu-io', async () => {
    const src = new PatternSource(8 * MiB + 512);
    const { server, uri, sock } = await serve(src);
    try {
      const info = JSON.parse((await run('nbdinfo', ['--json', uri])).stdout) as { exports: Record<string, unknown>[] };
      const e = info.exports[0]!;
      expect(e['export-size']).toBe(src.size);
      expect(e.is_read_only).toBe(true);
      expect(e.can_multi_conn).toBe(true);
      expect(e.can_trim).toBe(false);
      expect(e.block_size_maximum).toBe(P.MAX_REQUEST);
      const list = (await run('nbdinfo', ['--list', '--json', uri])).stdout;
      expect((JSON.parse(list) as { exports: unknown[] }).exports).toHaveLength(1);

      const want = patternBytes(0, src.size);
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri, join(dir, 'q.raw')]);
      expect(readFileSync(join(dir, 'q.raw')).equals(want)).toBe(true);
      await run('nbdcopy', [uri, join(dir, 'c.raw')]);
      expect(readFileSync(join(dir, 'c.raw')).equals(want)).toBe(true);

      // qemu-io: an unaligned read checked against the pattern; a write is refused
      const b = patternBytes(12345, 8);
      const r = await run('qemu-io', ['-r', '-f', 'raw', uri, '-c', `read -v 12345 8`]);
      expect(r.stdout).toContain([...b].map((x) => x.toString(16).padStart(2, '0')).join(' '));
      const w = await run('qemu-io', ['-f', 'raw', uri, '-c', 'write 0 512'], { allowFailure: true });
      expect(w.exitCode).not.toBe(0);
    } finally {
      await server.close();
    }
    expect(existsSync(sock)).toBe(false);
  });

  it("a SliceSource of mbr.raw's first partition equals the image's bytes there", async () => {
    const image = await fixture('mbr.raw');
    const file = await FileSource.open(image);
    const p1 = new SliceSource(file, 2048 * 512, 49152 * 512, '/dev/sda1');
    const { server, uri } = await serve(p1);
    try {
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', uri, join(dir, 'p1.raw')]);
      const want = readFileSync(image).subarray(2048 * 512, (2048 + 49152) * 512);
      expect(readFileSync(join(dir, 'p1.raw')).equals(want)).toBe(true);
      const info = (await run('nbdinfo', [uri])).stdout;
      expect(info).toMatch(/ext4 filesystem data/);
    } finally {
      await server.close();
      await file.close();
    }
  });

  it('serves several clients at once, and close() ends live connections and removes the socket', async () => {
    const src = new PatternSource(4 * MiB);
    const { server, sock, uri } = await serve(src);
    const clients = await Promise.all([1, 2, 3].map(() => readyClient(sock)));
    await Promise.all([run('nbdcopy', ['--connections=4', uri, join(dir, 'm.raw')]), ...clients.map((c) => stillServesOn(c, src))]);
    expect(readFileSync(join(dir, 'm.raw')).equals(patternBytes(0, src.size))).toBe(true);
    await server.close();
    await Promise.all(clients.map((c) => c.closed()));
    expect(existsSync(sock)).toBe(false);
    await server.close(); // idempotent
  });
});

async function stillServesOn(c: RawClient, src: ByteSource): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const off = i * 65536 + 3;
    c.request(P.CMD_READ, BigInt(off), 1000, BigInt(i));
    const r = await c.simpleReply(1000);
    expect(r.cookie).toBe(BigInt(i));
    expect(r.data!.equals(await src.read(off, 1000))).toBe(true);
  }
}

// ---------------------------------------------------------------- the protocol, by hand

describe('the handshake and commands', () => {
  let server: NbdServer;
  let sock: string;
  const src = new PatternSource(MiB);
  beforeAll(async () => ({ server, sock } = await serve(src)));
  afterAll(() => server.close());

  it('advertises fixed newstyle without zeroes; EXPORT_NAME gives size and read-only flags', async () => {
    const c = await RawClient.connect(sock);
    expect(await c.greet()).toBe(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES);
    c.option(P.OPT_EXPORT_NAME, Buffer.from('anything'));
    const r = await c.take(10);
    expect(r.readBigUInt64BE(0)).toBe(BigInt(MiB));
    expect(r.readUInt16BE(8)).toBe(P.TFLAG_HAS_FLAGS | P.TFLAG_READ_ONLY | P.TFLAG_CAN_MULTI_CONN);
    c.request(P.CMD_READ, 0n, 16);
    expect((await c.simpleReply(16)).data!.equals(patternBytes(0, 16))).toBe(true);
    c.request(P.CMD_DISC, 0n, 0);
    await c.closed();
  });

  it('EXPORT_NAME without NO_ZEROES pads with 124 zeroes', async () => {
    const c = await RawClient.connect(sock);
    await c.greet(P.CLIENT_FLAG_FIXED_NEWSTYLE);
    c.option(P.OPT_EXPORT_NAME);
    const r = await c.take(134);
    expect(r.subarray(10).equals(Buffer.alloc(124))).toBe(true);
    c.request(P.CMD_READ, 8n, 8);
    expect((await c.simpleReply(8)).data!.equals(patternBytes(8, 8))).toBe(true);
    c.end();
  });

  it('LIST, INFO (with block sizes), unknown options, ABORT', async () => {
    const c = await RawClient.connect(sock);
    await c.greet();
    c.option(P.OPT_LIST);
    expect(await c.reply()).toMatchObject({ opt: P.OPT_LIST, type: P.REP_SERVER, data: Buffer.alloc(4) });
    expect((await c.reply()).type).toBe(P.REP_ACK);
    c.option(P.OPT_LIST, Buffer.from('x'));
    expect((await c.reply()).type).toBe(P.REP_ERR_INVALID >>> 0);

    const info = Buffer.alloc(8);
    info.writeUInt16BE(1, 4);
    info.writeUInt16BE(P.INFO_BLOCK_SIZE, 6);
    c.option(P.OPT_INFO, info);
    const a = await c.reply();
    expect(a.data.readBigUInt64BE(2)).toBe(BigInt(MiB));
    const b = await c.reply();
    expect(b.data.readUInt16BE(0)).toBe(P.INFO_BLOCK_SIZE);
    expect(b.data.readUInt32BE(10)).toBe(P.MAX_REQUEST);
    expect((await c.reply()).type).toBe(P.REP_ACK);
    // a name length pointing past the option's data
    const bad = Buffer.alloc(6);
    bad.writeUInt32BE(1000, 0);
    c.option(P.OPT_GO, bad);
    expect((await c.reply()).type).toBe(P.REP_ERR_INVALID >>> 0);

    for (const opt of [P.OPT_STRUCTURED_REPLY, 5, 9, 10, 0xffffffff]) {
      c.option(opt, Buffer.from('some data'));
      expect(await c.reply()).toMatchObject({ opt, type: P.REP_ERR_UNSUP >>> 0 });
    }
    c.option(P.OPT_ABORT);
    expect((await c.reply()).type).toBe(P.REP_ACK);
    await c.closed();
  });

  it('reads outside the export, over 32 MiB, of 2^40 bytes or of nothing get EINVAL; the connection stays usable', async () => {
    const c = await readyClient(sock);
    const cases: [bigint, number][] = [
      [BigInt(MiB), 1],
      [BigInt(MiB) - 1n, 2],
      [0n, P.MAX_REQUEST + 1],
      [0n, 0xffffffff],
      [1n << 40n, 512],
      [0xffffffffffffffffn, 1],
      [0n, 0],
    ];
    for (const [off, len] of cases) {
      c.request(P.CMD_READ, off, len);
      expect((await c.simpleReply()).error).toBe(P.NBD_EINVAL);
    }
    c.request(P.CMD_READ, BigInt(MiB - 4), 4);
    expect((await c.simpleReply(4)).data!.equals(patternBytes(MiB - 4, 4))).toBe(true);
    c.end();
  });

  it('writes, trims and zeroes get EPERM (the payload is skipped), unknown commands EINVAL, flush succeeds', async () => {
    const c = await readyClient(sock);
    c.request(P.CMD_WRITE, 0n, 70000, 1n, Buffer.alloc(70000, 0xee));
    expect(await c.simpleReply()).toMatchObject({ error: P.NBD_EPERM, cookie: 1n });
    c.request(P.CMD_TRIM, 0n, 4096, 2n);
    expect(await c.simpleReply()).toMatchObject({ error: P.NBD_EPERM, cookie: 2n });
    c.request(P.CMD_WRITE_ZEROES, 0n, 4096, 3n);
    expect(await c.simpleReply()).toMatchObject({ error: P.NBD_EPERM, cookie: 3n });
    for (const t of [P.CMD_BLOCK_STATUS, 99, 0xffff]) {
      c.request(t, 0n, 4096, 4n);
      expect(await c.simpleReply()).toMatchObject({ error: P.NBD_EINVAL, cookie: 4n });
    }
    c.request(P.CMD_FLUSH, 0n, 0, 5n);
    expect(await c.simpleReply()).toMatchObject({ error: 0, cookie: 5n });
    c.request(P.CMD_READ, 0n, 8, 6n);
    expect((await c.simpleReply(8)).data!.equals(patternBytes(0, 8))).toBe(true);
    c.end();
  });

  it("a source's read error is EIO on the wire, never a crash", async () => {
    const failing: ByteSource = {
      name: 'failing',
      size: MiB,
      read: async (o) => {
        if (o >= 4096) throw new JootError('EIO', 'failing: bad sector');
        return Buffer.alloc(512, 1);
      },
      close: async () => {},
    };
    const s = await serve(failing);
    try {
      const c = await readyClient(s.sock);
      c.request(P.CMD_READ, 8192n, 512);
      expect((await c.simpleReply()).error).toBe(P.NBD_EIO);
      c.request(P.CMD_READ, 0n, 512);
      expect((await c.simpleReply(512)).data!.equals(Buffer.alloc(512, 1))).toBe(true);
      c.end();
      const r = await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', s.uri, join(dir, 'f.raw')], { allowFailure: true });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/Input\/output error/);
    } finally {
      await s.server.close();
    }
  });
});

describe('hostile clients: disconnected, the server stays up', () => {
  let server: NbdServer;
  let sock: string;
  const src = new PatternSource(MiB);
  beforeAll(async () => ({ server, sock } = await serve(src)));
  afterAll(() => server.close());

  it('garbage instead of client flags, or flags without fixed newstyle', async () => {
    for (const flags of [0xffffffff, 0, P.CLIENT_FLAG_NO_ZEROES]) {
      const c = await RawClient.connect(sock);
      await c.greet(flags);
      await c.closed();
    }
    await stillServes(sock, src);
  });

  it('a bad option magic, a huge option length', async () => {
    const c = await RawClient.connect(sock);
    await c.greet();
    c.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await c.closed();
    const d = await RawClient.connect(sock);
    await d.greet();
    d.option(P.OPT_GO, Buffer.alloc(0), 0xffffffff);
    await d.closed();
    const e = await RawClient.connect(sock);
    await e.greet();
    e.option(P.OPT_INFO, Buffer.alloc(0), MAX_OPTION_DATA + 1);
    await e.closed();
    await stillServes(sock, src);
  });

  it('a bad request magic; a write too long to follow', async () => {
    const c = await readyClient(sock);
    c.send(Buffer.alloc(28, 0x41));
    await c.closed();
    const d = await readyClient(sock);
    d.request(P.CMD_WRITE, 0n, 0xffffffff);
    await d.closed();
    await stillServes(sock, src);
  });

  it('clients that vanish mid-handshake, mid-request and mid-reply', async () => {
    const a = await RawClient.connect(sock);
    a.end(); // before reading the greeting
    const b = await RawClient.connect(sock);
    await b.greet();
    b.send(Buffer.from(P.IHAVEOPT.toString(16), 'hex').subarray(0, 5)); // half an option header
    b.end();
    const c = await readyClient(sock);
    c.send(Buffer.alloc(10)); // a third of a request
    c.end();
    const d = await readyClient(sock);
    d.request(P.CMD_WRITE, 0n, 4096, 1n, Buffer.alloc(100)); // a write without most of its payload
    d.end();
    const e = await readyClient(sock);
    for (let i = 0; i < 8; i++) e.request(P.CMD_READ, 0n, MiB, BigInt(i)); // replies nobody reads
    e.end();
    await stillServes(sock, src);
  });

  it('a flood of pipelined requests whose replies are never read stays bounded', async () => {
    const big = new PatternSource(64 * MiB);
    const s = await serve(big);
    try {
      const c = await readyClient(s.sock);
      c.sock.pause(); // never read a reply
      const reads = big.reads;
      for (let i = 0; i < 2000; i++) c.request(P.CMD_READ, 0n, P.MAX_REQUEST, BigInt(i));
      await new Promise((r) => setTimeout(r, 1000));
      // the server stops taking requests once the socket's send buffer is full: a few 32 MiB
      // reads, not 2000 (64 GiB)
      expect(big.reads - reads).toBeLessThan(8);
      c.end();
      await stillServes(s.sock, big);
    } finally {
      await s.server.close();
    }
  });
});

describe('slow and greedy clients', () => {
  it('a client that never finishes the handshake is cut off', async () => {
    const src = new PatternSource(MiB);
    const sock = join(dir, 'slow.sock');
    const server = await serveNbd(src, sock, { handshakeMs: 300 });
    try {
      const silent = await RawClient.connect(sock);
      const greeted = await RawClient.connect(sock);
      await greeted.greet(); // and then nothing
      const t = Date.now();
      await Promise.all([silent.closed(), greeted.closed()]);
      expect(Date.now() - t).toBeLessThan(5000);
      // a client in transmission may idle
      const idle = await readyClient(sock);
      await new Promise((r) => setTimeout(r, 600));
      idle.request(P.CMD_READ, 0n, 8);
      expect((await idle.simpleReply(8)).data!.equals(patternBytes(0, 8))).toBe(true);
      idle.end();
    } finally {
      await server.close();
    }
  });

  it(`connections past ${MAX_CONNECTIONS} are refused at once; the served ones keep working`, async () => {
    const src = new PatternSource(4 * MiB);
    const { server, sock } = await serve(src);
    try {
      const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => readyClient(sock)));
      const extra = await RawClient.connect(sock);
      await extra.closed();
      await stillServesOn(held[MAX_CONNECTIONS - 1]!, src);
      held[0]!.end();
      await held[0]!.closed();
      await new Promise((r) => setTimeout(r, 100)); // the server sees the close
      await stillServes(sock, src);
      for (const c of held) c.end();
    } finally {
      await server.close();
    }
  });
});

describe('closing', () => {
  it('close() while a read is in flight: the client is cut off, the late read goes nowhere', async () => {
    let finish: (b: Buffer) => void = () => {};
    const slow: ByteSource = {
      name: 'slow',
      size: MiB,
      read: () => new Promise<Buffer>((r) => (finish = r)),
      close: async () => {},
    };
    const { server, sock } = await serve(slow);
    const c = await readyClient(sock);
    c.request(P.CMD_READ, 0n, 4096);
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    await c.closed();
    finish(Buffer.alloc(4096));
    await new Promise((r) => setTimeout(r, 50)); // the reply to a closed socket is dropped quietly
    expect(existsSync(sock)).toBe(false);
  });
});

describe('serveNbd refuses', () => {
  it('a socket path that exists or is too long for a unix socket', async () => {
    const src = new PatternSource(4096);
    const { server, sock } = await serve(src);
    try {
      await expect(serveNbd(src, sock)).rejects.toThrow(/already exists/);
      await expect(serveNbd(src, join(dir, 'x'.repeat(120)))).rejects.toThrow(/too long for a unix socket path/);
    } finally {
      await server.close();
    }
  });
});
