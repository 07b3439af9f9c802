// The squashfs reader without a loop device: spot checks on the fixture images read as files,
// and hostile images made by patching good ones in memory (a bad superblock, tables outside the
// device, a compression bomb, random corruption): each gives a one-line JootError, or reads.
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { SquashfsReader } from '../../src/disk/fs/squashfs/reader.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/disk/fs/types.js';
import { type ByteSource, checkRange, FileSource } from '../../src/disk/source.js';
import { type FixtureName, fixture } from '../fixtures/index.js';

class PatchedSource implements ByteSource {
  readonly name = 'patched.sqfs';
  readonly patches = new Map<number, number>();
  constructor(
    private readonly base: Buffer,
    readonly size = base.length,
  ) {}
  set(offset: number, bytes: Buffer | number[]): this {
    for (let i = 0; i < bytes.length; i++) this.patches.set(offset + i, bytes[i]!);
    return this;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const out = Buffer.from(this.base.subarray(offset, offset + length));
    for (const [at, v] of this.patches) if (at >= offset && at < offset + length) out[at - offset] = v;
    return out;
  }
  async close(): Promise<void> {}
}

const images = new Map<string, Buffer>();
async function image(name: FixtureName): Promise<Buffer> {
  let b = images.get(name);
  if (!b) {
    b = await readFile(await fixture(name));
    images.set(name, b);
  }
  return b;
}

async function path(fs: FileSystemReader, p: string): Promise<FsNode> {
  let n = await fs.root();
  for (const part of p.split('/').filter(Boolean)) {
    const next = await fs.lookup(n, part);
    if (!next) throw new Error(`${p}: no ${part}`);
    n = next;
  }
  return n;
}

async function walk(fs: FileSystemReader, budget: number): Promise<void> {
  const queue: FsNode[] = [await fs.root()];
  let seen = 0;
  while (queue.length > 0 && seen++ < budget) {
    const n = queue.shift()!;
    const st = await fs.stat(n);
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) for (const e of await fs.readdir(n)) queue.push(e.node);
    else if (type === S_IFLNK) await fs.readlink(n);
    else if (type === S_IFREG) await fs.read(n, 0, Math.min(st.size, 65536));
    await fs.listXattrs(n);
  }
}

async function expectJootError(p: Promise<unknown>, code?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  expect((e as JootError).message).not.toContain('\n');
  expect((e as JootError).message).toMatch(/^\/dev\/sda1: squashfs: /);
  if (code) expect((e as JootError).code).toBe(code);
}

const open = (s: ByteSource): Promise<SquashfsReader> => SquashfsReader.open(s, '/dev/sda1');
const u64 = (v: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

describe('squashfs reader: spot checks', () => {
  const ALL = ['sqfs-gzip.sqfs', 'sqfs-zstd.sqfs', 'sqfs-xz.sqfs', 'sqfs-lzma.sqfs', 'sqfs-lzo.sqfs', 'sqfs-lz4.sqfs'] as const;
  for (const name of ALL) {
    it(name, async () => {
      const src = await FileSource.open(await fixture(name));
      const fs = await open(src);
      const char = await fs.stat(await path(fs, '/special/char'));
      expect([char.mode & S_IFMT, char.rdevMajor, char.rdevMinor]).toEqual([S_IFCHR, 1, 3]);
      const block = await fs.stat(await path(fs, '/special/block'));
      expect([block.mode & S_IFMT, block.rdevMajor, block.rdevMinor]).toEqual([S_IFBLK, 7, 200]);
      const sparse = await path(fs, '/special/sparse');
      expect((await fs.stat(sparse)).size).toBe(64 << 20);
      expect((await fs.read(sparse, 32 << 20, 6)).toString()).toBe('middle');
      expect((await fs.read(sparse, 0, 4096)).every((b) => b === 0)).toBe(true);
      const linked = await fs.stat(await path(fs, '/special/linked2'));
      expect([linked.nlink, linked.uid, linked.gid, linked.mode & 0o7777]).toEqual([2, 1234, 5678, 0o4750]);
      expect((await fs.readdir(await path(fs, '/special/many'))).length).toBe(5000);
      expect(await fs.readlink(await path(fs, '/bin'))).toBe('usr/bin');
      const random = await path(fs, '/special/random.bin');
      expect((await fs.read(random, 0, 4 << 20)).length).toBe(3 * 1024 * 1024 + 17);
      await fs.close();
      await src.close();
    });
  }

  it('an unknown compressor is EUNSUPPORTED, named', async () => {
    const img = await image('sqfs-gzip.sqfs');
    const src = new PatchedSource(img).set(20, [7, 0]);
    await expectJootError(open(src), 'EUNSUPPORTED');
    await open(src).catch((e: JootError) => expect(e.message).toContain('compressor 7'));
  });
});

describe('squashfs reader: hostile images', () => {
  it('bad magic, version, block size, truncation, tables outside the device', async () => {
    const img = await image('sqfs-gzip.sqfs');
    await expectJootError(open(new PatchedSource(img).set(0, [0, 0, 0, 0])), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img).set(28, [3, 0])), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img).set(12, [0, 0, 3, 0])), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img, 50)), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img).set(48, u64(img.length + 4096))), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img, img.length - 4096)));
    // the root inode reference past the inode table
    const fs = await open(new PatchedSource(img).set(32, u64(0xffff_0000_0000)));
    await expectJootError(fs.root(), 'EFORMAT');
  });

  it('a compression bomb in place of a data block', async () => {
    const img = await image('sqfs-gzip.sqfs');
    const src = await FileSource.open(await fixture('sqfs-gzip.sqfs'));
    const good = await open(src);
    const n = await path(good, '/special/random.bin');
    const f = (n as unknown as { file: { start: number } }).file;
    await src.close();
    // random data is stored uncompressed (bit 24): make block 0 a 32 MiB-of-zeros zlib stream
    const bomb = deflateSync(Buffer.alloc(32 << 20), { level: 9 });
    const patched = new PatchedSource(img).set(f.start, bomb);
    const fs = await open(patched);
    const m = await path(fs, '/special/random.bin');
    // the block list (inside a compressed inode table) now says: block 0 is compressed, this long
    (m as unknown as { file: { sizes: number[] } }).file.sizes[0] = bomb.length;
    const t0 = Date.now();
    await expectJootError(fs.read(m, 0, 4096), 'EFORMAT');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('random corruption: every round reads or throws a one-line JootError', { timeout: 120_000 }, async () => {
    let seed = 0x5a;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (const name of ['sqfs-gzip.sqfs', 'sqfs-zstd.sqfs', 'sqfs-xz.sqfs', 'sqfs-lzma.sqfs', 'sqfs-lzo.sqfs', 'sqfs-lz4.sqfs'] as const) {
      const img = await image(name);
      const sb = new PatchedSource(img);
      const inodeTable = Number((await sb.read(64, 8)).readBigUInt64LE(0));
      // the metadata: from the inode table to the end
      for (let round = 0; round < 80; round++) {
        const src = new PatchedSource(img);
        const flips = 1 + rand(16);
        for (let i = 0; i < flips; i++) {
          const at = rand(8) === 0 ? rand(96) : inodeTable + rand(img.length - inodeTable);
          src.set(at, [rand(256)]);
        }
        try {
          await walk(await open(src), 150);
        } catch (e) {
          if (!(e instanceof JootError)) throw new Error(`${name} round ${round}: ${String(e)}`);
          expect(e.message).not.toContain('\n');
        }
      }
    }
  });
});
