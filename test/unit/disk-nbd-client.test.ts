// The NBD client against a scripted server (node:net on a unix socket): the handshake, reads
// split at 32 MiB, server errors and broken connections as one-line JootErrors naming the
// image; and the block cache (cache.ts) in front of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JootError } from '../../src/core/errors.js';
import { CachedSource, LruBytes } from '../../src/disk/containers/cache.js';
import { NbdClient } from '../../src/disk/containers/nbd-client.js';
import * as P from '../../src/disk/nbd/protocol.js';
import type { ByteSource } from '../../src/disk/source.js';

type Mode = 'ok' | 'refuse' | 'read-error' | 'hangup' | 'bad-magic';

let dir = '';
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'joot-nbd-client-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A server exporting `disk` that misbehaves as `mode` says; `lengths` records each read's length. */
async function serve(disk: Buffer, mode: Mode): Promise<{ path: string; server: Server; lengths: number[]; discs: number }> {
  const path = join(dir, `s${n++}`);
  const lengths: number[] = [];
  const state = { path, server: undefined as unknown as Server, lengths, discs: 0 };
  state.server = createServer((sock: Socket) => {
    let buf = Buffer.alloc(0);
    let phase: 'flags' | 'option' | 'transmission' = 'flags';
    const hello = Buffer.alloc(18);
    hello.writeBigUInt64BE(P.NBDMAGIC, 0);
    hello.writeBigUInt64BE(P.IHAVEOPT, 8);
    hello.writeUInt16BE(P.FLAG_FIXED_NEWSTYLE | P.FLAG_NO_ZEROES, 16);
    sock.write(hello);
    const optReply = (type: number, data: Buffer): Buffer => {
      const h = Buffer.alloc(20);
      h.writeBigUInt64BE(P.OPTION_REPLY_MAGIC, 0);
      h.writeUInt32BE(P.OPT_GO, 8);
      h.writeUInt32BE(type >>> 0, 12);
      h.writeUInt32BE(data.length, 16);
      return Buffer.concat([h, data]);
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (phase === 'flags') {
          if (buf.length < 4) return;
          buf = buf.subarray(4);
          phase = 'option';
        } else if (phase === 'option') {
          if (buf.length < 16) return;
          const len = buf.readUInt32BE(12);
          if (buf.length < 16 + len) return;
          buf = buf.subarray(16 + len);
          if (mode === 'refuse') {
            sock.write(optReply(P.REP_ERR_UNKNOWN, Buffer.from('export "" not found\nreally')));
            return;
          }
          const info = Buffer.alloc(12);
          info.writeUInt16BE(P.INFO_EXPORT, 0);
          info.writeBigUInt64BE(BigInt(disk.length), 2);
          info.writeUInt16BE(P.TFLAG_HAS_FLAGS | P.TFLAG_READ_ONLY, 10);
          sock.write(Buffer.concat([optReply(P.REP_INFO, info), optReply(P.REP_ACK, Buffer.alloc(0))]));
          phase = 'transmission';
        } else {
          if (buf.length < 28) return;
          const type = buf.readUInt16BE(6);
          const handle = buf.subarray(8, 16);
          const off = Number(buf.readBigUInt64BE(16));
          const len = buf.readUInt32BE(24);
          buf = buf.subarray(28);
          if (type === P.CMD_DISC) {
            state.discs++;
            sock.end();
            return;
          }
          lengths.push(len);
          const rep = Buffer.alloc(16);
          rep.writeUInt32BE(mode === 'bad-magic' ? 0x12345678 : P.SIMPLE_REPLY_MAGIC, 0);
          handle.copy(rep, 8);
          if (mode === 'read-error' && off >= 4096) {
            rep.writeUInt32BE(P.NBD_EIO, 4);
            sock.write(rep);
          } else if (mode === 'hangup') {
            sock.end(Buffer.concat([rep, disk.subarray(off, off + Math.floor(len / 2))]));
          } else sock.write(Buffer.concat([rep, disk.subarray(off, off + len)]));
        }
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => state.server.listen(path, r));
  return state;
}

const pattern = (size: number): Buffer => {
  const b = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) b.writeUInt32LE(i, i);
  return b;
};

async function failure(p: Promise<unknown>): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  expect((e as JootError).message).not.toContain('\n');
  expect((e as JootError).message).toContain('disk.img');
  return e as JootError;
}

describe('NbdClient', () => {
  it('handshakes, reads any range, splits reads at 32 MiB, disconnects on close', async () => {
    const disk = pattern(40 * 1024 * 1024);
    const s = await serve(disk, 'ok');
    const c = await NbdClient.connect(s.path, 'disk.img');
    expect(c.size).toBe(disk.length);
    expect((await c.read(12345, 100)).equals(disk.subarray(12345, 12445))).toBe(true);
    const all = await c.read(0, disk.length);
    expect(all.equals(disk)).toBe(true);
    expect(s.lengths.slice(1)).toEqual([P.MAX_REQUEST, disk.length - P.MAX_REQUEST]);
    // concurrent reads are answered in order, each with its own bytes
    const rs = await Promise.all([0, 1, 2, 3].map((i) => c.read(i * 1000, 999)));
    for (const [i, r] of rs.entries()) expect(r.equals(disk.subarray(i * 1000, i * 1000 + 999))).toBe(true);
    await failure(c.read(disk.length - 1, 2));
    await c.close();
    await c.close();
    expect(s.discs).toBe(1);
    s.server.close();
  });

  it('a refused export, a read error, a bad reply, a server that hangs up: one-line JootErrors', async () => {
    const disk = pattern(64 * 1024);
    const r = await serve(disk, 'refuse');
    expect((await failure(NbdClient.connect(r.path, 'disk.img'))).message).toMatch(/refused the export.*not found really/);
    r.server.close();

    const e = await serve(disk, 'read-error');
    const c = await NbdClient.connect(e.path, 'disk.img');
    expect((await failure(c.read(8192, 10))).message).toMatch(/errno 5/);
    expect((await c.read(0, 10)).equals(disk.subarray(0, 10))).toBe(true); // still in step
    await c.close();
    e.server.close();

    for (const mode of ['bad-magic', 'hangup'] as const) {
      const s = await serve(disk, mode);
      const k = await NbdClient.connect(s.path, 'disk.img');
      await failure(k.read(0, 4096));
      await failure(k.read(0, 10)); // the connection is done
      await k.close();
      s.server.close();
    }
    await failure(NbdClient.connect(join(dir, 'nobody-listens'), 'disk.img'));
  });
});

describe('block cache', () => {
  it('LruBytes keeps the recent entries under its byte cap', () => {
    const l = new LruBytes<number>(100);
    l.set(1, Buffer.alloc(40));
    l.set(2, Buffer.alloc(40));
    l.get(1);
    l.set(3, Buffer.alloc(40));
    expect(l.get(2)).toBeUndefined();
    expect(l.get(1)).toBeDefined();
    expect(l.size).toBeLessThanOrEqual(100);
    l.set(4, Buffer.alloc(200)); // bigger than the cap: never kept
    expect(l.get(4)).toBeUndefined();
  });

  it('CachedSource reads whole blocks once, returns exact ranges, bypasses bulk reads', async () => {
    const disk = pattern(1000 * 1000 + 7);
    const reads: [number, number][] = [];
    const base: ByteSource = {
      name: 'disk.img',
      size: disk.length,
      read: async (o, l) => {
        reads.push([o, l]);
        return Buffer.from(disk.subarray(o, o + l));
      },
      close: async () => undefined,
    };
    const c = new CachedSource(base, 4096, 64 * 1024);
    expect((await c.read(4000, 200)).equals(disk.subarray(4000, 4200))).toBe(true);
    expect(reads).toEqual([
      [0, 4096],
      [4096, 4096],
    ]);
    expect((await c.read(4090, 10)).equals(disk.subarray(4090, 4100))).toBe(true);
    expect(reads.length).toBe(2);
    // the last block is short
    expect((await c.read(disk.length - 10, 10)).equals(disk.subarray(disk.length - 10))).toBe(true);
    // a bulk read goes straight through
    await c.read(0, 32 * 1024);
    expect(reads.at(-1)).toEqual([0, 32 * 1024]);
    await expect(c.read(disk.length, 1)).rejects.toThrow(JootError);
    // random ranges
    for (let i = 0; i < 200; i++) {
      const o = Math.floor(Math.random() * disk.length);
      const l = Math.min(disk.length - o, Math.floor(Math.random() * 16000));
      expect((await c.read(o, l)).equals(disk.subarray(o, o + l))).toBe(true);
    }
  });
});
