// The btrfs reader without root: the fixture images read through FileSource (no loop device),
// spot checks of what the differential test cannot show (the default subvolume, subvolume
// stubs, lookups), then hostile images made by patching a good one's bytes in an overlay —
// truncated, checksums broken in one and in both DUP copies, a tree pointing at itself, huge
// claimed sizes, a compressed extent claiming to expand beyond the cap — and a seeded
// random-corruption loop. Each must read fine or fail with a one-line JootError, in bounded time.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { crc32c } from '../../src/disk/crc32.js';
import { decompress } from '../../src/disk/fs/btrfs/decompress.js';
import { lzo1xDecompress } from '../../src/disk/fs/lzo1x.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFDIR, S_IFMT, S_IFREG } from '../../src/disk/fs/types.js';
import { type ByteSource, FileSource, SliceSource } from '../../src/disk/source.js';
import { CAN_BUILD_FIXTURES, FIXTURES_DIR, fixture } from '../fixtures/index.js';

const HAVE = CAN_BUILD_FIXTURES || existsSync(path.join(FIXTURES_DIR, 'btrfs-features.raw'));

/** A source whose bytes are the base's with patches laid over them; it records what is read. */
class Overlay implements ByteSource {
  readonly name = 'overlay';
  readonly patches = new Map<number, Buffer>();
  readonly reads: [number, number][] = [];
  constructor(
    private readonly base: ByteSource,
    readonly size = base.size,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    this.reads.push([offset, length]);
    if (offset < 0 || offset + length > this.size) throw new JootError('EIO', `overlay: read at ${offset} outside`);
    const b = await this.base.read(offset, length);
    for (const [at, p] of this.patches) {
      const from = Math.max(at, offset);
      const to = Math.min(at + p.length, offset + length);
      if (to > from) p.copy(b, from - offset, from - at, to - at);
    }
    return b;
  }
  async close(): Promise<void> {}
}

function fixCsum(b: Buffer): void {
  b.writeUInt32LE(crc32c(b.subarray(0x20)), 0);
}

const HEADER = 0x65;

/** Items of a leaf: key and where its data lies in the node. */
function leafItems(n: Buffer): { obj: bigint; type: number; off: bigint; at: number; size: number }[] {
  const out = [];
  const count = n.readUInt32LE(0x60);
  for (let i = 0; i < count; i++) {
    const k = HEADER + i * 25;
    out.push({
      obj: n.readBigUInt64LE(k),
      type: n[k + 8]!,
      off: n.readBigUInt64LE(k + 9),
      at: HEADER + n.readUInt32LE(k + 17),
      size: n.readUInt32LE(k + 21),
    });
  }
  return out;
}

/**
 * A small walk that touches every kind of metadata: directories, inodes, extents, xattrs (not
 * the 100,000-entry directory: the corruption rounds must stay fast).
 */
async function smallWalk(fs: FileSystemReader, root?: FsNode): Promise<number> {
  let seen = 0;
  const visit = async (node: FsNode, depth: number): Promise<void> => {
    const st = await fs.stat(node);
    await fs.listXattrs(node);
    seen++;
    if ((st.mode & S_IFMT) === S_IFREG) await fs.read(node, 0, Math.min(st.size, 64 * 1024));
    if ((st.mode & S_IFMT) !== S_IFDIR || depth > 1) return;
    const entries = await fs.readdir(node);
    for (const e of entries.filter((x) => x.name !== 'many').slice(0, 12)) await visit(e.node, depth + 1);
  };
  await visit(root ?? (await fs.root()), 0);
  return seen;
}

function expectJootError(e: unknown): void {
  if (!(e instanceof JootError)) throw new Error(`not a JootError: ${String((e as Error)?.stack ?? e)}`);
  expect(e.message).not.toContain('\n');
  expect(['EFORMAT', 'EIO', 'EUNSUPPORTED', 'ENOENT', 'EINVAL']).toContain(e.code);
}

async function outcome(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
    return 'ok';
  } catch (e) {
    expectJootError(e);
    return (e as JootError).message;
  }
}

describe.skipIf(!HAVE)('btrfs reader on btrfs-features.raw', () => {
  let src: FileSource;
  let fs: FileSystemReader;
  const name = '/dev/sdb';
  beforeAll(async () => {
    src = await FileSource.open(await fixture('btrfs-features.raw'));
    fs = await openFilesystem(src, 'btrfs', name);
  });
  afterAll(async () => {
    await fs?.close();
    await src?.close();
  });

  const walkTo = async (root: FsNode, p: string): Promise<FsNode> => {
    let n = root;
    for (const part of p.split('/').filter(Boolean)) {
      const next = await fs.lookup(n, part);
      if (!next) throw new Error(`no ${part} in ${p}`);
      n = next;
    }
    return n;
  };

  it('lists subvolumes and opens the set-default one, by path and by id', async () => {
    const subs = await fs.subvolumes!();
    expect(subs.map((s) => s.path).sort()).toEqual(['data', 'data/nested', 'data/nested/inner', 'plain', 'snaps/data-ro', 'snaps/data-rw']);
    const data = subs.find((s) => s.path === 'data')!;
    expect(subs.find((s) => s.path === 'data/nested/inner')!.parentId).toBe(subs.find((s) => s.path === 'data/nested')!.id);
    const def = await fs.root();
    expect((await fs.readdir(def)).map((e) => e.name)).toContain('mixed.bin');
    const byId = await fs.root({ subvolume: data.id });
    const byPath = await fs.root({ subvolume: '/data/' });
    expect(await fs.stat(byId)).toEqual(await fs.stat(def));
    expect(await fs.stat(byPath)).toEqual(await fs.stat(def));
    const top = await fs.root({ subvolume: 5 });
    expect((await fs.readdir(top)).map((e) => e.name).sort()).toEqual(['big', 'data', 'many', 'plain', 'snaps', 'top.txt']);
    await expect(fs.root({ subvolume: 'no/such' })).rejects.toThrow(JootError);
    await expect(fs.root({ subvolume: 9999 })).rejects.toThrow(JootError);
  });

  it('shows nested subvolumes as their root directory, and unlinked ones as the kernel stub', async () => {
    const def = await fs.root();
    const nested = await walkTo(def, 'nested');
    expect((await fs.stat(nested)).ino).toBe(256);
    expect((await fs.readdir(nested)).map((e) => e.name).sort()).toEqual(['inner', 'n.txt']);
    const inner = await walkTo(nested, 'inner/i.txt');
    expect((await fs.read(inner, 0, 100)).toString()).toBe('in the inner subvolume\n');
    const stub = await walkTo(await fs.root({ subvolume: 'snaps/data-ro' }), 'nested');
    const st = await fs.stat(stub);
    expect([st.ino, st.mode, st.nlink]).toEqual([2, 0o40755, 1]);
    expect(await fs.readdir(stub)).toEqual([]);
  });

  it('reads compressed, sparse, preallocated and inline data, symlinks, xattrs and device numbers', async () => {
    const def = await fs.root();
    for (const c of ['zlib', 'lzo', 'zstd', 'plain']) {
      const f = await walkTo(def, `${c}/payload-0`);
      const b = await fs.read(f, 0, 64);
      expect(b.toString()).toBe('line 0 of a compressible file\nline 1 of a compressible file\nline');
      const tail = await fs.read(f, (await fs.stat(f)).size - 31, 100);
      expect(tail.toString()).toBe('line 199999 of a compressible file\n'.slice(-31));
      expect((await fs.read(await walkTo(def, `${c}/tiny`), 0, 10)).toString()).toBe('tiny\n');
    }
    const top = await fs.root({ subvolume: 5 });
    const sparse = await walkTo(top, 'big/sparse-2g');
    expect((await fs.stat(sparse)).size).toBe(2 ** 31);
    expect((await fs.read(sparse, 2 ** 30 + 12345, 7)).toString()).toBe('middle\n');
    expect((await fs.read(sparse, 2 ** 31 - 4, 100)).toString()).toBe('end\n');
    expect((await fs.read(sparse, 64 * 2 ** 20, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    const ext = await walkTo(top, 'big/extents-100k');
    expect((await fs.read(ext, 100000 * 4096 + 65536, 10)).toString()).toBe('tail');
    const x = await fs.listXattrs(await walkTo(def, 'types/xattrs'));
    expect(x.get('security.selinux')?.toString()).toBe('system_u:object_r:etc_t:s0');
    expect(x.get('user.comment')?.toString()).toBe('a comment');
    expect(x.get('user.empty')?.length).toBe(0);
    expect(x.has('system.posix_acl_access')).toBe(true);
    expect(await fs.readlink(await walkTo(def, 'types/rel-link'))).toBe('../top.txt');
    expect((await fs.readlink(await walkTo(def, 'types/long-link'))).length).toBe(4000);
    const dev = await fs.stat(await walkTo(def, 'types/bigdev'));
    expect([dev.rdevMajor, dev.rdevMinor]).toEqual([300, 70000]);
    await expect(fs.readlink(await walkTo(def, 'types/hard1'))).rejects.toThrow(JootError);
    await expect(fs.readdir(await walkTo(def, 'types/hard1'))).rejects.toThrow(JootError);
    await expect(fs.read(def, 0, 1)).rejects.toThrow(JootError);
  });

  it('reads a 100,000-entry directory and looks names up by hash', async () => {
    const many = await walkTo(await fs.root({ subvolume: 5 }), 'many');
    const t0 = Date.now();
    const entries = await fs.readdir(many);
    expect(entries.length).toBe(100_000);
    expect(await fs.lookup(many, 'entry-099999')).toBeDefined();
    expect(await fs.lookup(many, 'entry-100000')).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

describe.skipIf(!HAVE)('btrfs reader on hostile images', () => {
  let base: FileSource;
  beforeAll(async () => {
    base = await FileSource.open(await fixture('btrfs-features.raw'));
  });
  afterAll(async () => {
    await base?.close();
  });
  const open = (src: ByteSource) => openFilesystem(src, 'btrfs', '/dev/sdx');

  /** The physical offsets of the tree nodes a small walk reads (node size: 16 KiB here). */
  async function nodesRead(): Promise<{ ov: Overlay; nodes: number[]; nodeSize: number }> {
    const ov = new Overlay(base);
    const fs = await open(ov);
    await smallWalk(fs);
    await fs.subvolumes!();
    await fs.close();
    const nodeSize = (await base.read(0x10000 + 0x94, 4)).readUInt32LE(0);
    const nodes = [...new Set(ov.reads.filter(([, l]) => l === nodeSize).map(([o]) => o))];
    return { ov, nodes, nodeSize };
  }

  it('refuses truncated devices and garbage cleanly', async () => {
    for (const size of [0, 4096, 0x10000 + 100, 0x10000 + 4096, 1 << 20, 8 << 20]) {
      const msg = await outcome(async () => smallWalk(await open(new SliceSource(base, 0, size, 'cut'))));
      expect(msg).not.toBe('ok');
    }
    const ov = new Overlay(base);
    ov.patches.set(0x10040, Buffer.from('NOTBTRFS'));
    ov.patches.set(0x4000040, Buffer.from('NOTBTRFS'));
    expect(await outcome(() => open(ov))).toMatch(/no valid superblock/);
  });

  it('falls back to the superblock mirror and to the second DUP copy of a node', async () => {
    const ov = new Overlay(base);
    ov.patches.set(0x10000 + 0x100, Buffer.from([0xff, 0xee])); // primary's checksum breaks
    expect(await smallWalk(await open(ov))).toBeGreaterThan(5);
    const { nodes } = await nodesRead();
    const first = nodes[0]!; // the chunk tree's root, first copy
    const ov2 = new Overlay(base);
    ov2.patches.set(first + 0x200, Buffer.from([0x12, 0x34, 0x56]));
    expect(await smallWalk(await open(ov2))).toBeGreaterThan(5);
    const mirror = ov2.reads.find(([o, l]) => l === 16384 && o !== first)![0];
    ov2.patches.set(mirror + 0x200, Buffer.from([0x12, 0x34, 0x56]));
    expect(await outcome(async () => smallWalk(await open(ov2)))).toMatch(/bad checksum/);
  });

  it('reads a mirrored chunk from the copy on this device, and names the device it lacks (no sibling given)', async () => {
    const sb = await base.read(0x10000, 4096);
    const chunk = 0x32b + 17; // the first sys_chunk_array entry's chunk item
    expect(sb.readUInt16LE(chunk + 44)).toBe(2); // DUP: two stripes on this device
    const withSb = (edit: (b: Buffer) => void): Overlay => {
      const b = Buffer.from(sb);
      edit(b);
      fixCsum(b);
      const ov = new Overlay(base);
      ov.patches.set(0x10000, b);
      return ov;
    };
    // RAID1 across this device and a missing one: the copy here serves
    const raid1 = withSb((b) => {
      b.writeBigUInt64LE((1n << 4n) | 2n, chunk + 24);
      b.writeBigUInt64LE(7n, chunk + 48);
    });
    expect(await smallWalk(await open(raid1))).toBeGreaterThan(5);
    // every copy on another device: one line naming it
    const away = withSb((b) => {
      b.writeBigUInt64LE(7n, chunk + 48);
      b.writeBigUInt64LE(7n, chunk + 48 + 32);
    });
    const msg = await outcome(() => open(away));
    expect(msg).toMatch(/^\/dev\/sdx: btrfs: .*device 7 \(uuid [0-9a-f-]{36}\).*not among the session's devices$/);
    // RAID5 is refused as such
    const raid5 = withSb((b) => b.writeBigUInt64LE((1n << 7n) | 2n, chunk + 24));
    expect(await outcome(() => open(raid5))).toMatch(/unsupported: raid5\/6$/);
  });

  it('catches a tree pointing at itself or back, huge sizes and compression bombs', async () => {
    const { nodes, nodeSize } = await nodesRead();
    const internal: number[] = [];
    const leaves: number[] = [];
    for (const at of nodes) ((await base.read(at + 0x64, 1))[0] ? internal : leaves).push(at);
    expect(internal.length).toBeGreaterThan(0);
    const patched = async (at: number, edit: (n: Buffer) => void): Promise<string> => {
      const n = await base.read(at, nodeSize);
      edit(n);
      fixCsum(n);
      const ov = new Overlay(base);
      ov.patches.set(at, n);
      const t0 = Date.now();
      const r = await outcome(async () => {
        const fs = await open(ov);
        await smallWalk(fs);
        await smallWalk(fs, await fs.root({ subvolume: 5 }));
        await fs.readdir(await fs.root({ subvolume: 5 }));
      });
      expect(Date.now() - t0).toBeLessThan(20_000);
      return r;
    };
    for (const at of internal) {
      // every child pointer at the node itself: a level mismatch
      const self = await patched(at, (n) => {
        for (let i = 0; i < n.readUInt32LE(0x60); i++) n.writeBigUInt64LE(n.readBigUInt64LE(0x30), HEADER + i * 33 + 17);
      });
      expect(self).not.toBe('ok');
      // the last child pointer at the first child: keys go backwards
      const back = await patched(at, (n) => {
        const c = n.readUInt32LE(0x60);
        if (c > 1) n.writeBigUInt64LE(n.readBigUInt64LE(HEADER + 17), HEADER + (c - 1) * 33 + 17);
      });
      expect(typeof back).toBe('string');
    }
    let sizes = 0;
    let bombs = 0;

    for (const at of leaves) {
      const n = await base.read(at, nodeSize);
      for (const it of leafItems(n)) {
        if (it.type === 1 && it.obj >= 256n && sizes < 3) {
          sizes++;
          const r = await patched(at, (b) => b.writeBigUInt64LE(1n << 62n, it.at + 16));
          expect(r).toMatch(/beyond 2\^53|ok/);
        }
        if (it.type === 108 && n[it.at + 16] !== 0 && bombs < 6) {
          bombs++;
          const r = await patched(at, (b) => b.writeBigUInt64LE(BigInt(it.size < 53 ? 1 << 30 : 1 << 30), it.at + 8));
          expect(typeof r).toBe('string');
          const r2 = await patched(at, (b) => b.fill(0xa5, it.at + 21 + (it.size >= 53 ? 32 : 0), it.at + it.size));
          expect(typeof r2).toBe('string');
        }
      }
    }
  });

  it('survives seeded random corruption of the metadata it reads', async () => {
    const { nodes, nodeSize } = await nodesRead();
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const t0 = Date.now();
    const results = { ok: 0, err: 0 };
    for (let round = 0; round < 300; round++) {
      const ov = new Overlay(base);
      const sb = round % 10 === 0;
      const at = sb ? 0x10000 : nodes[rand(nodes.length)]!;
      const b = await base.read(at, sb ? 4096 : nodeSize);
      const flips = 1 + rand(8);
      for (let i = 0; i < flips; i++) {
        // mostly the header and item table, where the structure is
        const pos = rand(4) === 0 ? rand(b.length) : 0x30 + rand(Math.min(b.length - 0x30, 600));
        b[pos] = rand(4) === 0 ? 0xff : b[pos]! ^ (1 << rand(8));
      }
      if (rand(5) !== 0) fixCsum(b);
      ov.patches.set(at, b);
      const r = await outcome(async () => {
        const fs = await open(ov);
        await smallWalk(fs);
        await fs.subvolumes!();
      });
      results[r === 'ok' ? 'ok' : 'err']++;
    }
    expect(results.ok + results.err).toBe(300);
    expect(results.err).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(120_000);
  });
});

describe('compressed extents that expand 1000x', () => {
  it('stop at the extent size: zlib and LZO refuse, zstd is cut', async () => {
    const zlibBomb = deflateSync(Buffer.alloc(1 << 20));
    expect(zlibBomb.length * 1000).toBeLessThan(1 << 20);
    expect(await decompress(1, zlibBomb, 4096, 4096)).toBeUndefined();
    // a zstd frame of eight 128 KiB RLE blocks (1 MiB from 33 bytes)
    const blocks = Array.from({ length: 8 }, (_, i) => {
      const h = ((128 * 1024) << 3) | (1 << 1) | (i === 7 ? 1 : 0);
      return Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x41]);
    });
    const zstdBomb = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50]), ...blocks]);
    const out = await decompress(3, zstdBomb, 4096, 4096);
    expect(out?.length).toBe(4096);
    expect(out?.every((c) => c === 0x41)).toBe(true);
    // LZO: one literal, then an M3 match of 255*200 bytes
    const lzo = Buffer.concat([Buffer.from([17 + 1, 0x61, 32]), Buffer.alloc(200), Buffer.from([0xff, 0, 0, 0x11, 0, 0])]);
    expect(lzo1xDecompress(lzo, 4096)).toBeUndefined();
    expect(lzo1xDecompress(lzo, 1 << 20)?.length).toBe(1 + 200 * 255 + 31 + 255 + 2);
  });
});

describe('LZO1X decompressor', () => {
  it('decodes literal runs and matches, and refuses bad streams', () => {
    // 'abcabcabcabc' + end: a literal run of 3 (first byte 17+3), an M2 match... built by hand:
    // literals "abc", then M1-after-literals cannot express distance 3, so use M3 (len 9, dist 3)
    const stream = Buffer.from([17 + 3, 0x61, 0x62, 0x63, 32 | 7, (2 << 2) & 0xff, 0, 0x11, 0, 0]);
    expect(lzo1xDecompress(stream, 100)?.toString()).toBe('abcabcabcabc');
    expect(lzo1xDecompress(stream, 5)).toBeUndefined();
    expect(lzo1xDecompress(stream.subarray(0, 6), 100)).toBeUndefined();
    expect(lzo1xDecompress(Buffer.from([17 + 1, 0x61, 32 | 7, 0xff, 0xff, 0x11, 0, 0]), 100)).toBeUndefined();
    expect(lzo1xDecompress(Buffer.alloc(64), 100)).toBeUndefined();
  });
});
