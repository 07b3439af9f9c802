// The FAT12/16/32 and exFAT readers without root: the fixture images read as files. Spot checks
// of what Linux's drivers show (names, case, modes, times), then hostile images made by patching
// good ones in memory — each a one-line JootError in bounded time, never anything else.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { ExfatReader } from '../../src/disk/fs/exfat/reader.js';
import { exfatTimeNs } from '../../src/disk/fs/exfat/time.js';
import { FatReader } from '../../src/disk/fs/fat/reader.js';
import type { FatTable } from '../../src/disk/fs/fat/table.js';
import { fatSeconds } from '../../src/disk/fs/fat/time.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFDIR, S_IFMT } from '../../src/disk/fs/types.js';
import { type ByteSource, checkRange, FileSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { prng } from './prng.js';

/** A source that reads `base` with some bytes replaced, optionally cut short. */
class PatchedSource implements ByteSource {
  readonly name = '/dev/sdz1';
  readonly size: number;
  constructor(
    private readonly base: ByteSource,
    readonly patches: Map<number, number>,
    size?: number,
  ) {
    this.size = size ?? base.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const b = Buffer.from(await this.base.read(offset, length));
    for (const [at, v] of this.patches) if (at >= offset && at < offset + length) b[at - offset] = v;
    return b;
  }
  async close(): Promise<void> {}
}

function put32(p: Map<number, number>, at: number, v: number): void {
  for (let i = 0; i < 4; i++) p.set(at + i, (v >>> (8 * i)) & 0xff);
}
function put16(p: Map<number, number>, at: number, v: number): void {
  p.set(at, v & 0xff);
  p.set(at + 1, (v >> 8) & 0xff);
}

async function withImage<T>(name: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const src = await FileSource.open(await fixture(name));
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}

/** The whole image in memory: the random rounds read it thousands of times, file reads cost a thread-pool trip each. */
async function withImageInMemory<T>(name: string, fn: (src: ByteSource) => Promise<T>): Promise<T> {
  const data = await readFile(await fixture(name));
  const src: ByteSource = {
    name,
    size: data.length,
    async read(offset, length) {
      checkRange(src, offset, length);
      return data.subarray(offset, offset + length);
    },
    async close() {},
  };
  return fn(src);
}

async function path(fs: FileSystemReader, p: string): Promise<FsNode> {
  let n = await fs.root();
  for (const part of p.split('/').filter(Boolean)) {
    const next = await fs.lookup(n, part);
    if (!next) throw new Error(`no ${p}`);
    n = next;
  }
  return n;
}

async function text(fs: FileSystemReader, p: string): Promise<string> {
  const n = await path(fs, p);
  return (await fs.read(n, 0, (await fs.stat(n)).size)).toString();
}

/** Walk everything (bounded: a hostile directory may lead back to an ancestor) and read each file. */
async function walkAll(fs: FileSystemReader, budget = 3000, skip?: string): Promise<number> {
  let seen = 0;
  const visit = async (n: FsNode, depth: number): Promise<void> => {
    if (++seen > budget || depth > 60) return;
    const st = await fs.stat(n);
    if ((st.mode & S_IFMT) === S_IFDIR) {
      for (const e of await fs.readdir(n)) if (e.name !== skip) await visit(e.node, depth + 1);
    } else {
      await fs.read(n, 0, Math.min(st.size, 4096));
    }
  };
  await visit(await fs.root(), 0);
  await fs.statfs?.();
  return seen;
}

async function expectJootError(p: Promise<unknown>, code?: string): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a JootError').toBeInstanceOf(JootError);
  const je = e as JootError;
  expect(je.message).not.toContain('\n');
  if (code) expect(je.code).toBe(code);
  return je;
}

const SEQ = Array.from({ length: 40000 }, (_, i) => `${i + 1}\n`).join('');

describe('vfat reader', () => {
  for (const [name, bits, label] of [
    ['fat12.raw', 12, 'JOOTFAT12'],
    ['fat16.raw', 16, 'JOOTFAT16'],
    ['fat32.raw', 32, 'JOOTFAT32'],
  ] as const) {
    it(`${name}: FAT${bits}, names, case, modes, times, a fragmented file`, async () => {
      await withImage(name, async (src) => {
        const fs = (await openFilesystem(src, 'vfat', '/dev/sda1')) as FatReader;
        expect(fs.geo.bits).toBe(bits);
        expect(fs.geo.label).toBe(label);
        const x = await path(fs, 'joot-extra');
        const names = (await fs.readdir(x)).map((e) => e.name);
        for (const n of [
          'lower.txt',
          'UPPER.TXT',
          'Mixed.Txt',
          'base.TXT',
          'EXT.txt',
          'élan.txt',
          'Café.txt',
          '日本語のファイル.txt',
          `${'n'.repeat(251)}.txt`,
        ]) {
          expect(names).toContain(n);
        }
        // case-insensitive, by long name or by 8.3 alias
        expect(await fs.lookup(x, 'LOWER.TXT')).toBe(await fs.lookup(x, 'lower.txt'));
        expect(await fs.lookup(x, 'read-o~1.txt')).toBe(await fs.lookup(x, 'read-only.txt'));
        expect(await fs.lookup(x, 'nope')).toBeUndefined();
        expect((await fs.stat(await path(fs, 'joot-extra/read-only.txt'))).mode).toBe(0o100555);
        expect((await fs.stat(await path(fs, 'joot-extra/lower.txt'))).mode).toBe(0o100755);
        const root = await fs.stat(await fs.root());
        expect([root.mode, root.uid, root.gid, root.mtimeNs]).toEqual([0o40755, 0, 0, 0n]);
        expect((await fs.stat(await path(fs, 'joot-extra/lower.txt'))).mtimeNs).toBe(315532800n * 1_000_000_000n);
        expect((await fs.stat(await path(fs, 'joot-extra/Mixed.Txt'))).mtimeNs).toBe(
          BigInt(Date.UTC(2000, 1, 29, 12, 34, 56) / 1000) * 1_000_000_000n,
        );
        expect(await text(fs, 'joot-extra/frag/fragmented.txt')).toBe(SEQ);
        expect(
          await text(
            fs,
            `joot-extra/deep/${Array.from({ length: 40 }, (_, i) => `level${String(i + 1).padStart(2, '0')}`).join('/')}/bottom.txt`,
          ),
        ).toBe('bottom\n');
        const frag = await path(fs, 'joot-extra/frag/fragmented.txt');
        const first = (frag as FsNode & { entry: { firstCluster: number } }).entry.firstCluster;
        const chain = await (fs as unknown as { fat: FatTable }).fat.chain(first, 'test');
        expect(chain.filter((c, i) => i > 0 && c !== chain[i - 1]! + 1).length).toBeGreaterThan(10);
        expect((await fs.read(frag, 100_000, 10)).toString()).toBe(SEQ.slice(100_000, 100_010));
        expect((await fs.read(frag, SEQ.length - 3, 100)).length).toBe(3);
        const sf = await fs.statfs();
        expect(sf.bfree).toBeGreaterThan(0);
        expect(sf.bfree).toBeLessThan(sf.blocks);
        await expectJootError(fs.readlink(frag), 'EINVAL');
        await expectJootError(fs.readdir(frag), 'EINVAL');
        if (bits === 32) expect((await fs.readdir(await path(fs, 'joot-extra/many'))).length).toBe(10_000);
        await fs.close();
      });
    });
  }

  it('timestamps as Linux computes them: 2 s steps, the 2100 non-leap year, out-of-range fields', () => {
    const date = (y: number, m: number, d: number) => ((y - 1980) << 9) | (m << 5) | d;
    expect(fatSeconds(date(2107, 12, 31), (23 << 11) | (59 << 5) | 29)).toBe(Date.UTC(2107, 11, 31, 23, 59, 58) / 1000);
    expect(fatSeconds(date(2100, 3, 1), 0)).toBe(Date.UTC(2100, 2, 1) / 1000);
    expect(fatSeconds(0, 0)).toBe(315532800); // day 0 and month 0 count as 1
  });
});

describe('exfat reader', () => {
  it('exfat.raw: label, up-case lookup, 10 ms times, modes, a fragmented file, statfs', async () => {
    await withImage('exfat.raw', async (src) => {
      const fs = (await openFilesystem(src, 'exfat', '/dev/sda1')) as ExfatReader;
      expect(fs.label).toBe('JOOTEXFAT');
      const x = await path(fs, 'joot-extra');
      const names = (await fs.readdir(x)).map((e) => e.name);
      for (const n of [
        'lower.txt',
        'UPPER.TXT',
        'Mixed.Txt',
        'Café.txt',
        'smile-😀.txt',
        '日本語のファイル.txt',
        `${'n'.repeat(251)}.txt`,
      ]) {
        expect(names).toContain(n);
      }
      expect(await fs.lookup(x, 'CAFÉ.TXT')).toBe(await fs.lookup(x, 'café.txt'));
      // both kinds of file data: contiguous runs (NoFatChain) and FAT chains
      const kinds = new Set(
        (await fs.readdir(await path(fs, 'ETC'))).map((e) => (e.node as FsNode & { entry: { contiguous: boolean } }).entry.contiguous),
      );
      expect(kinds.has(true)).toBe(true);
      expect(await fs.lookup(x, 'Café.txt')).toBeDefined();
      // (exfat-fuse ignores chmod: the fixture has no read-only attribute to check)
      expect((await fs.stat(await path(fs, 'joot-extra/lower.txt'))).mode).toBe(0o100755);
      expect((await fs.stat(x)).mode).toBe(0o40755);
      // an odd second: only the 10 ms field can say it (exfat-fuse writes whole seconds)
      expect((await fs.stat(await path(fs, 'joot-extra/Mixed.Txt'))).mtimeNs).toBe(BigInt(Date.UTC(2000, 1, 29, 12, 34, 57)) * 1_000_000n);
      expect(await text(fs, 'joot-extra/frag/fragmented.txt')).toBe(SEQ);
      expect((await fs.readdir(await path(fs, 'joot-extra/many'))).length).toBe(10_000);
      const sf = await fs.statfs();
      expect(sf.bfree).toBeGreaterThan(0);
      expect(sf.bfree).toBeLessThan(sf.blocks);
      await fs.close();
    });
  });

  it('timestamps: 10 ms part and UTC offset (15-minute steps, both signs)', () => {
    const stamp = ((2020 - 1980) << 25) | (5 << 21) | (6 << 16) | (7 << 11) | (8 << 5) | 4;
    const utc = BigInt(Date.UTC(2020, 4, 6, 7, 8, 8)) * 1_000_000n;
    expect(exfatTimeNs(stamp, 157, 0)).toBe(utc + 1_570_000_000n);
    expect(exfatTimeNs(stamp, 0, 0x80 | 4)).toBe(utc - 3600n * 1_000_000_000n); // UTC+1
    expect(exfatTimeNs(stamp, 0, 0x80 | 0x7c)).toBe(utc + 3600n * 1_000_000_000n); // UTC-1
  });
});

describe('hostile FAT images', () => {
  it('bad boot sectors, a looping chain, a chain off the volume, a short chain, a truncated device', async () => {
    await withImage('fat16.raw', async (src) => {
      const open = (p: Map<number, number>, size?: number) => FatReader.open(new PatchedSource(src, p, size), '/dev/sdz1');
      const boot = await src.read(0, 512);
      for (const [at, v] of [
        [11, 0],
        [13, 3],
        [16, 0],
        [14, 0],
        [22, 0],
      ] as const) {
        const p = new Map<number, number>([[at, v]]);
        if (at === 11 || at === 14 || at === 22) p.set(at + 1, 0);
        const e = await expectJootError(open(p), 'EFORMAT');
        expect(e.message).toMatch(/^\/dev\/sdz1: vfat: /);
      }
      await expectJootError(open(new Map(), 100), 'EFORMAT');
      // the fragmented file's first cluster points back to itself / off the volume / is free
      const good = await FatReader.open(src, '/dev/sdz1');
      const frag = (await path(good, 'joot-extra/frag/fragmented.txt')) as FsNode & { entry: { firstCluster: number } };
      const c = frag.entry.firstCluster;
      const fatAt = boot.readUInt16LE(14) * boot.readUInt16LE(11) + c * 2;
      for (const v of [c, 0xfff0, 0, 1]) {
        const fs = await open(new Map([...[[fatAt, v & 0xff] as const], [fatAt + 1, v >> 8]]));
        const n = await path(fs, 'joot-extra/frag/fragmented.txt');
        await expectJootError(fs.read(n, 0, 100_000), 'EFORMAT');
      }
      // a truncated device: the data area ends early
      const cut = await open(new Map(), good.geo.dataOffset + 16 * 1024);
      const e = await expectJootError(walkAll(cut, 100_000));
      expect(['EIO', 'EFORMAT']).toContain(e.code);
    });
  });

  it('a bad long-name checksum falls back to the 8.3 name; a size beyond the chain is refused', async () => {
    await withImage('fat12.raw', async (src) => {
      const good = await FatReader.open(src, '/dev/sdz1');
      type Fat = FsNode & { entry: { firstCluster: number; index: number } };
      const x = (await path(good, 'joot-extra')) as Fat;
      const dirAt = good.geo.dataOffset + (x.entry.firstCluster - 2) * good.geo.clusterSize;
      const mixed = (await path(good, 'joot-extra/Mixed.Txt')) as Fat;
      const slotAt = dirAt + (mixed.entry.index - 1) * 32;
      expect((await src.read(slotAt + 11, 1))[0]).toBe(0x0f);
      const sum = (await src.read(slotAt + 13, 1))[0]!;
      const fs = await FatReader.open(new PatchedSource(src, new Map([[slotAt + 13, sum ^ 1]])), '/dev/sdz1');
      const names = (await fs.readdir(await path(fs, 'joot-extra'))).map((e) => e.name);
      expect(names).toContain('MIXED.TXT');
      expect(names).not.toContain('Mixed.Txt');
      // lower.txt claims 4 GiB - 1
      const lower = (await path(good, 'joot-extra/lower.txt')) as Fat;
      const p = new Map<number, number>();
      put32(p, dirAt + lower.entry.index * 32 + 28, 0xffffffff);
      const big = await FatReader.open(new PatchedSource(src, p), '/dev/sdz1');
      const n = await path(big, 'joot-extra/lower.txt');
      expect((await big.stat(n)).size).toBe(0xffffffff);
      await expectJootError(big.read(n, 0, 4096), 'EFORMAT');
      await expectJootError(big.read(n, 0, 2 ** 40), 'EINVAL');
    });
  });

  it('a directory loop (a subdirectory pointing at its parent) stays bounded', async () => {
    await withImage('fat12.raw', async (src) => {
      const good = await FatReader.open(src, '/dev/sdz1');
      type Fat = FsNode & { entry: { firstCluster: number; index: number } };
      const x = (await path(good, 'joot-extra')) as Fat;
      const deep = (await path(good, 'joot-extra/deep')) as Fat;
      // joot-extra's first cluster holds deep's entry (a small directory)
      const at = good.geo.dataOffset + (x.entry.firstCluster - 2) * good.geo.clusterSize + deep.entry.index * 32;
      expect(deep.entry.index * 32).toBeLessThan(good.geo.clusterSize);
      const p = new Map<number, number>();
      put16(p, at + 26, x.entry.firstCluster);
      const fs = await FatReader.open(new PatchedSource(src, p), '/dev/sdz1');
      const loop = await path(fs, 'joot-extra/deep/deep/deep/deep');
      expect(await fs.lookup(loop, 'lower.txt')).toBeDefined();
      expect(await walkAll(fs, 500)).toBeGreaterThan(500);
    });
  });

  it('random corruption of the metadata: read fine or a JootError, nothing else', { timeout: 240_000 }, async () => {
    for (const [name, seed] of [
      ['fat12.raw', 12],
      ['fat16.raw', 16],
      ['fat32.raw', 32],
    ] as const) {
      await withImageInMemory(name, async (src) => {
        const boot = await src.read(0, 512);
        const fs0 = await FatReader.open(src, '/dev/sdz1');
        const metaEnd = fs0.geo.dataOffset + 64 * 1024;
        const rand = prng(seed);
        const t0 = Date.now();
        for (let round = 0; round < 120; round++) {
          const p = new Map<number, number>();
          const flips = 1 + Math.floor(rand() * 8);
          for (let i = 0; i < flips; i++) {
            const at = rand() < 0.2 ? Math.floor(rand() * 64) : Math.floor(rand() * metaEnd);
            p.set(at, Math.floor(rand() * 256));
          }
          try {
            // fat32.raw's /joot-extra/many (10,000 long names, 30,000 slots) is left out: parsed
            // afresh each round it took nine tenths of the rounds' time (its spot test reads it)
            await walkAll(await FatReader.open(new PatchedSource(src, p), '/dev/sdz1'), 200, 'many');
          } catch (e) {
            if (!(e instanceof JootError)) throw new Error(`${name} round ${round}: ${String(e)}`);
            expect(e.message).not.toContain('\n');
          }
        }
        expect(boot.length).toBe(512);
        expect(Date.now() - t0).toBeLessThan(180_000); // a hang guard: seconds unloaded, a minute on a loaded shared host
      });
    }
  });
});

describe('hostile exFAT images', () => {
  it('bad boot sector, bad up-case checksum, a bad entry-set checksum, loops and huge sizes', async () => {
    await withImage('exfat.raw', async (src) => {
      const open = (p: Map<number, number>, size?: number) => ExfatReader.open(new PatchedSource(src, p, size), '/dev/sdz1');
      for (const [at, v] of [
        [3, 0x41],
        [108, 20],
        [109, 30],
        [110, 0],
        [96, 0],
      ] as const) {
        const e = await expectJootError(open(new Map([[at, v]])), 'EFORMAT');
        expect(e.message).toMatch(/^\/dev\/sdz1: exfat: /);
      }
      await expectJootError(open(new Map(), 300));
      const good = await ExfatReader.open(src, '/dev/sdz1');
      const geo = good.geo;
      // locate the file entry of /joot-extra/lower.txt in its directory's first cluster
      const x = (await path(good, 'joot-extra')) as FsNode & { entry: { firstCluster: number; contiguous: boolean } };
      const lower = (await good.lookup(x, 'lower.txt')) as FsNode & { entry: { index: number } };
      const dirAt = geo.heapOffset + (x.entry.firstCluster - 2) * geo.clusterSize;
      const entAt = dirAt + lower.entry.index * 32;
      expect(entAt + 96).toBeLessThan(dirAt + geo.clusterSize);
      expect((await src.read(entAt, 1))[0]).toBe(0x85);
      // a wrong set checksum: the set is dropped as corrupt
      const ck = (await src.read(entAt + 2, 1))[0]!;
      const fsBadSet = await open(new Map([[entAt + 2, ck ^ 0xff]]));
      expect(await fsBadSet.lookup(await path(fsBadSet, 'joot-extra'), 'lower.txt')).toBeUndefined();
      // up-case table checksum: the root's 0x82 entry (first cluster of the root directory)
      const rootAt = geo.heapOffset + (geo.rootCluster - 2) * geo.clusterSize;
      const rootBytes = await src.read(rootAt, geo.clusterSize);
      let upAt = -1;
      for (let i = 0; i < rootBytes.length; i += 32) if (rootBytes[i] === 0x82) upAt = rootAt + i;
      expect(upAt).toBeGreaterThan(0);
      await expectJootError(open(new Map([[upAt + 4, (await src.read(upAt + 4, 1))[0]! ^ 1]])), 'EFORMAT');
      // the fragmented file's chain: a loop, off the volume
      const frag = (await path(good, 'joot-extra/frag/fragmented.txt')) as FsNode & {
        entry: { firstCluster: number; contiguous: boolean };
      };
      expect(frag.entry.contiguous).toBe(false);
      const fatAt = geo.fatOffset + frag.entry.firstCluster * 4;
      for (const v of [frag.entry.firstCluster, 0x0ffffff0, 0xfffffff7]) {
        const p = new Map<number, number>();
        put32(p, fatAt, v);
        const fs = await open(p);
        await expectJootError(fs.read(await path(fs, 'joot-extra/frag/fragmented.txt'), 0, 300_000), 'EFORMAT');
      }
      // huge claimed sizes (stream DataLength) with the set checksum recomputed
      const set = Buffer.from(await src.read(entAt, 96));
      set.writeBigUInt64LE(1n << 60n, 32 + 24);
      set.writeBigUInt64LE(1n << 40n, 32 + 8);
      const { setChecksum } = await import('../../src/disk/fs/exfat/dir.js');
      set.writeUInt16LE(setChecksum(set), 2);
      const p = new Map<number, number>();
      for (let i = 0; i < 96; i++) p.set(entAt + i, set[i]!);
      const fsHuge = await open(p);
      await expectJootError(fsHuge.readdir(await path(fsHuge, 'joot-extra')), 'EFORMAT');
      set.writeBigUInt64LE(1n << 40n, 32 + 24);
      set.writeUInt16LE(setChecksum(set), 2);
      for (let i = 0; i < 96; i++) p.set(entAt + i, set[i]!);
      const fsBig = await open(p);
      const big = await path(fsBig, 'joot-extra/lower.txt');
      await expectJootError(fsBig.read(big, 0, 1 << 20), 'EFORMAT');
    });
  });

  it('random corruption of the metadata: read fine or a JootError, nothing else', async () => {
    await withImageInMemory('exfat.raw', async (src) => {
      const good = await ExfatReader.open(src, '/dev/sdz1');
      const geo = good.geo;
      const rootAt = geo.heapOffset + (geo.rootCluster - 2) * geo.clusterSize;
      const x = (await path(good, 'joot-extra')) as FsNode & { entry: { firstCluster: number } };
      const xAt = geo.heapOffset + (x.entry.firstCluster - 2) * geo.clusterSize;
      const rand = prng(0xe4fa7);
      const t0 = Date.now();
      for (let round = 0; round < 300; round++) {
        const p = new Map<number, number>();
        const flips = 1 + Math.floor(rand() * 6);
        for (let i = 0; i < flips; i++) {
          const r = rand();
          const at =
            r < 0.15
              ? Math.floor(rand() * 512)
              : r < 0.35
                ? geo.fatOffset + Math.floor(rand() * Math.min(geo.fatBytes, 64 * 1024))
                : r < 0.7
                  ? rootAt + Math.floor(rand() * geo.clusterSize)
                  : xAt + Math.floor(rand() * geo.clusterSize);
          p.set(at, Math.floor(rand() * 256));
        }
        try {
          const fs = await ExfatReader.open(new PatchedSource(src, p), '/dev/sdz1');
          await walkAll(fs, 120);
        } catch (e) {
          if (!(e instanceof JootError)) throw new Error(`round ${round}: ${String(e)}`);
          expect(e.message).not.toContain('\n');
        }
      }
      expect(Date.now() - t0).toBeLessThan(180_000); // a hang guard: seconds unloaded, a minute on a loaded shared host
    });
  });
});
