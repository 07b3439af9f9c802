// The xfs reader without root: the fixture images read as files (FileSource), spot checks of
// what the differential test cannot see, and hostile images made by patching good ones — each a
// one-line JootError in bounded time, never a crash or a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFBLK, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG } from '../../src/disk/fs/types.js';
import { xfsModule } from '../../src/disk/fs/xfs/index.js';
import { parseSuperblock } from '../../src/disk/fs/xfs/superblock.js';
import { XfsVolume } from '../../src/disk/fs/xfs/volume.js';
import { type ByteSource, FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { prng } from './prng.js';

/** A source with some bytes replaced (the base file is never written). */
class PatchedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  constructor(
    private base: ByteSource,
    private patches: [number, Buffer][],
  ) {
    this.name = base.name;
    this.size = base.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    const b = Buffer.from(await this.base.read(offset, length));
    for (const [at, bytes] of this.patches) {
      const from = Math.max(at, offset);
      const to = Math.min(at + bytes.length, offset + length);
      if (from < to) bytes.copy(b, from - offset, from - at, to - at);
    }
    return b;
  }
  async close(): Promise<void> {}
}

async function resolve(fs: FileSystemReader, path: string): Promise<FsNode> {
  let n = await fs.root();
  for (const part of path.split('/').filter(Boolean)) {
    const next = await fs.lookup(n, part);
    if (!next) throw new Error(`${path}: ${part} not found`);
    n = next;
  }
  return n;
}

/** Walk everything under `start` but the named subtrees: stat, readdir, readlink, xattrs, up to 64 KiB of each file. */
async function walk(fs: FileSystemReader, start: FsNode, skip: Set<string> = new Set()): Promise<number> {
  let count = 0;
  const visit = async (n: FsNode, depth: number): Promise<void> => {
    if (depth > 200 || count > 5000) return;
    count++;
    const st = await fs.stat(n);
    await fs.listXattrs(n);
    const t = st.mode & S_IFMT;
    if (t === S_IFREG) await fs.read(n, 0, Math.min(st.size, 65536));
    else if (t === 0o120000) await fs.readlink(n);
    else if (t === S_IFDIR) for (const e of await fs.readdir(n)) if (!skip.has(e.name)) await visit(e.node, depth + 1);
  };
  await visit(start, 0);
  return count;
}

function expectCleanError(e: unknown): void {
  if (!(e instanceof JootError)) throw e;
  expect(e.message).not.toContain('\n');
  expect(e.message).toContain('/dev/sdz1');
}

/** Open and walk a hostile image: either it reads or it fails with a one-line JootError. */
async function survive(src: ByteSource, skip?: Set<string>): Promise<'ok' | string> {
  try {
    const fs = await xfsModule.open(src, '/dev/sdz1');
    await walk(fs, await fs.root(), skip);
    await fs.close();
    return 'ok';
  } catch (e) {
    expectCleanError(e);
    return (e as JootError).code;
  }
}

let v5: FileSource;
let v4: FileSource;
let scale: FileSource;
let scaleVol: XfsVolume;

beforeAll(async () => {
  v5 = await FileSource.open(await fixture('xfs-v5.raw'));
  v4 = await FileSource.open(await fixture('xfs-v4.raw'));
  scale = await FileSource.open(await fixture('xfs-scale.raw'));
  const fail = (code: 'EFORMAT' | 'EUNSUPPORTED', m: string) => new JootError(code, m);
  scaleVol = new XfsVolume(scale, 'scale', parseSuperblock(await scale.read(0, 512), fail));
}, 600_000);
afterAll(async () => {
  await v5?.close();
  await v4?.close();
  await scale?.close();
});

describe('xfs reader: good images', () => {
  it('reads the Debian tree on v5 and v4', async () => {
    for (const src of [v5, v4]) {
      const fs = await xfsModule.open(src, '/dev/sda1');
      expect(fs.type).toBe('xfs');
      const hostname = await resolve(fs, '/etc/hostname');
      expect((await fs.read(hostname, 0, 100)).toString()).toBe('debian\n');
      expect(await fs.read(hostname, 7, 10)).toHaveLength(0);
      expect(await fs.readlink(await resolve(fs, '/bin'))).toBe('usr/bin');
      expect(await fs.lookup(await fs.root(), 'no-such-name')).toBeUndefined();
      const names = (await fs.readdir(await fs.root())).map((e) => e.name);
      expect(names).toEqual(expect.arrayContaining(['etc', 'usr', 'var']));
      expect(names).not.toContain('.');
      await expect(fs.readdir(hostname)).rejects.toThrow(JootError);
      await expect(fs.readlink(hostname)).rejects.toThrow(JootError);
      await expect(fs.root({ subvolume: '@' })).rejects.toThrow(JootError);
      const sf = (await fs.statfs?.())!;
      expect(sf.bsize).toBe(4096);
      expect(sf.files - sf.ffree).toBeGreaterThan(6000);
      await fs.close();
      await fs.close();
    }
  });

  it('reads the scale image: btree directory, sparse and fragmented files, unwritten extents, special files, xattrs', async () => {
    const fs = await xfsModule.open(scale, '/dev/sda1');
    const big = await resolve(fs, '/dirs/big');
    const entries = await fs.readdir(big);
    expect(entries).toHaveLength(100_000);
    const last = (await fs.lookup(big, 'f099999'))!;
    expect((await fs.stat(last)).mode & S_IFMT).toBe(S_IFIFO);
    const sparse = await resolve(fs, '/sparse');
    expect((await fs.stat(sparse)).size).toBe(2 ** 31);
    expect((await fs.read(sparse, 2 ** 30 + 12340, 11)).toString('latin1')).toBe('\0\0\0\0\0middle');
    expect((await fs.read(sparse, 2 ** 31 - 5, 100)).toString('latin1')).toBe('\0\0end');
    const ext = await resolve(fs, '/extents');
    const blk = await fs.read(ext, 2 * 54321 * 1024, 2048);
    expect(blk.subarray(0, 18).toString()).toBe('000054321000054321');
    expect(blk.subarray(1024).equals(Buffer.alloc(1024))).toBe(true);
    const pre = await fs.read(await resolve(fs, '/prealloc'), 0, 1 << 20);
    expect(pre.subarray(300 * 1024, 302 * 1024).equals(Buffer.alloc(2048, 0x41))).toBe(true);
    expect(pre.subarray(0, 300 * 1024).equals(Buffer.alloc(300 * 1024))).toBe(true);
    const dev = await fs.stat(await resolve(fs, '/special/block'));
    expect(dev.mode & S_IFMT).toBe(S_IFBLK);
    expect([dev.rdevMajor, dev.rdevMinor]).toEqual([7, 200]);
    expect(await fs.readlink(await resolve(fs, '/links/long'))).toBe(`/${'x'.repeat(999)}`);
    const remote = await fs.listXattrs(await resolve(fs, '/xattr/remote'));
    expect(remote.get('user.big')?.equals(Buffer.from(Array.from({ length: 60000 }, (_, i) => i % 251)))).toBe(true);
    expect((await fs.listXattrs(await resolve(fs, '/xattr/many'))).size).toBe(300);
    const future = await fs.stat(await resolve(fs, '/times-future'));
    expect(future.mtimeNs).toBe(BigInt(Date.UTC(2100, 0, 2, 3, 4, 5)) * 1_000_000n + 123_456_789n);
    const past = await fs.stat(await resolve(fs, '/times-past'));
    expect(past.mtimeNs).toBe(BigInt(Date.UTC(1950, 5, 7, 8, 9, 10)) * 1_000_000n + 987_654_321n);
    let deep = await resolve(fs, '/deep');
    for (let i = 1; i <= 100; i++) deep = (await fs.lookup(deep, `level-${i}`))!;
    expect((await fs.read((await fs.lookup(deep, 'bottom'))!, 0, 100)).toString()).toBe('at the bottom');
    await fs.close();
  }, 120_000);
});

describe('xfs reader: hostile images', () => {
  const SMALL = new Set(['big', 'extents', 'sparse', 'usr', 'var']);

  it('refuses bad superblocks with one line', async () => {
    const cases: [number, Buffer][] = [
      [0, Buffer.from('XFSC')],
      [4, Buffer.from([0, 0, 0x10, 1])], // block size not a power of two
      [88, Buffer.from([0, 0, 0, 0])], // no allocation groups
      [8, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])], // dblocks beyond 2^53
      [100, Buffer.from([0xb4, 0xa3])], // version 3
      [216, Buffer.from([0x80, 0, 0, 0])], // unknown incompatible feature
      [56, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])], // root inode 1 (not an inode)
    ];
    for (const [at, bytes] of cases) {
      const r = await survive(new PatchedSource(v5, [[at, bytes]]));
      expect(r).not.toBe('ok');
    }
    await expect(xfsModule.open(new SliceSource(v5, 0, 100, 'tiny'), '/dev/sdz1')).rejects.toThrow(JootError);
  });

  it('reads a v1 inode core (16-bit link count) and refuses a v3 core on v4', async () => {
    const fs = await xfsModule.open(v4, '/dev/sda1');
    const ino = (await resolve(fs, '/etc/hostname')).ino;
    await fs.close();
    const fail = (code: 'EFORMAT' | 'EUNSUPPORTED', m: string) => new JootError(code, m);
    const vol = new XfsVolume(v4, 'v4', parseSuperblock(await v4.read(0, 512), fail));
    const at = vol.inoToByte(ino);
    const v1 = await xfsModule.open(new PatchedSource(v4, [[at + 4, Buffer.from([1, 2, 0, 5])]]), '/dev/sda1');
    expect((await v1.stat({ ino })).nlink).toBe(5);
    expect((await v1.read({ ino }, 0, 100)).toString()).toBe('debian\n');
    const v3 = await xfsModule.open(new PatchedSource(v4, [[at + 4, Buffer.from([3])]]), '/dev/sdz1');
    await expect(v3.stat({ ino })).rejects.toThrow(/inode version 3 on a v4/);
  });

  it('fails cleanly on a truncated image', async () => {
    for (const size of [64 * 1024, 1 << 20, 8 << 20, 40 << 20]) {
      const r = await survive(new SliceSource(v5, 0, size, v5.name));
      expect(['ok', 'EIO', 'EFORMAT']).toContain(r);
    }
    expect(await survive(new SliceSource(v5, 0, 1 << 20, v5.name))).toBe('EIO');
  });

  it('catches bad inodes, directories, extent lists and btrees', async () => {
    const fs = await xfsModule.open(scale, '/dev/sda1');
    const at = async (path: string) => scaleVol.inoToByte((await resolve(fs, path)).ino);
    const ext = await at('/extents');
    const short = await at('/dirs/short');
    const block = await at('/dirs/block');
    const small = await at('/xattr/small');
    const many = await at('/xattr/many');
    const longlink = await at('/links/long');
    const root = scaleVol.inoToByte(scaleVol.sb.rootino);
    const lit = 176;
    const smallInode = await scale.read(small, 256);
    expect(smallInode[83]).toBe(1); // short-form attributes
    const smallFork = small + lit + smallInode[82]! * 8;
    const extForkoff = (await scale.read(ext + 82, 1))[0]!;
    const extFork = extForkoff === 0 ? scaleVol.sb.inodesize - lit : extForkoff * 8;
    const cases: [string, [number, Buffer][]][] = [
      ['root inode magic', [[root, Buffer.from('XX')]]],
      ['root inode version', [[root + 4, Buffer.from([9])]]],
      ['a size beyond 2^53', [[small + 56, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]]],
      ['a btree root claiming 65535 records', [[ext + lit + 2, Buffer.from([0xff, 0xff])]]],
      ['a btree root at level 60', [[ext + lit, Buffer.from([0, 60])]]],
      ['a btree pointer to block 0 (the superblock)', [[ext + lit + 4 + Math.floor((extFork - 4) / 16) * 8, Buffer.alloc(8)]]],
      ['an attr fork offset beyond the inode', [[ext + 82, Buffer.from([0xff])]]],
      ['a short-form directory claiming 255 entries', [[short + lit, Buffer.from([255])]]],
      ['a short-form directory entry name of 255 bytes', [[short + lit + 6, Buffer.from([255])]]],
      ['a directory with 2^32-1 extents', [[block + 76, Buffer.from([0xff, 0xff, 0xff, 0xff])]]],
      ['an extent far outside the filesystem', [[block + lit + 8, Buffer.from([0xff, 0xff, 0xff, 0xff])]]],
      ['a symlink of 2^40 bytes', [[longlink + 56, Buffer.from([0, 0, 1, 0, 0, 0, 0, 0])]]],
      ['a short-form xattr fork claiming 65535 bytes', [[smallFork, Buffer.from([0xff, 0xff])]]],
      ['a short-form xattr entry running past the fork', [[smallFork + 4, Buffer.from([200, 200])]]],
      ['an attr fork in an unknown format', [[many + 83, Buffer.from([7])]]],
    ];
    await fs.close();
    for (const [what, patches] of cases) {
      const t0 = Date.now();
      const r = await survive(new PatchedSource(scale, patches), new Set(['big', 'sparse', 'leaf']));
      expect(Date.now() - t0, what).toBeLessThan(20_000);
      expect(r, what).not.toBe('ok');
    }
  }, 120_000);

  it('catches a directory data block and an attribute node pointing at themselves', async () => {
    const fs = await xfsModule.open(scale, '/dev/sda1');
    // the first data block of a block-format directory, its magic smashed
    const dir = await resolve(fs, '/dirs/block');
    const dirExtent = scaleVol.inoToByte(dir.ino) + 176;
    const rec = await scale.read(dirExtent, 16);
    const fsb = (rec.readUInt32BE(4) & 0x1ff) * 2 ** 43 + rec.readUInt32BE(8) * 2 ** 11 + (rec.readUInt32BE(12) >>> 21);
    expect(await survive(new PatchedSource(scale, [[scaleVol.fsbToByte(fsb), Buffer.from('ZZZZ')]]), SMALL)).toBe('EFORMAT');
    // the attribute node of /xattr/many: every child pointer turned back to block 0 (itself)
    const manyIno = (await resolve(fs, '/xattr/many')).ino;
    const many = scaleVol.inoToByte(manyIno);
    const inode = await scale.read(many, scaleVol.sb.inodesize);
    const afork = 176 + inode[82]! * 8;
    expect(inode[83]).toBe(3); // btree attribute fork
    await fs.close();
    // logical attribute block 0 (the da node) through the reader's own mapping: every child
    // pointer turned back to block 0 itself
    const { forkExtents } = await import('../../src/disk/fs/xfs/bmap.js');
    const exts = await forkExtents(scaleVol, manyIno, inode.subarray(afork), 3, inode.readUInt16BE(80), 'attribute');
    expect(exts[0]!.off).toBe(0);
    const node = scaleVol.fsbToByte(exts[0]!.fsb);
    const b = await scale.read(node, scaleVol.sb.blocksize);
    expect(b.readUInt16BE(8)).toBe(0x3ebe); // a v5 da node
    const count = b.readUInt16BE(56);
    const patches: [number, Buffer][] = [];
    for (let i = 0; i < count; i++) patches.push([node + 64 + i * 8 + 4, Buffer.alloc(4)]);
    const loop = new PatchedSource(scale, patches);
    const looped = await xfsModule.open(loop, '/dev/sdz1');
    await expect(looped.listXattrs({ ino: manyIno })).rejects.toThrow(/reached twice/);
  }, 60_000);

  it('survives random corruption of the metadata it reads (seeded)', async () => {
    // the metadata windows a walk of the small part of the scale image reads
    const seen = new Set<number>();
    const spy: ByteSource = {
      name: scale.name,
      size: scale.size,
      read: (o, l) => {
        if (l <= 65536) seen.add(o);
        return scale.read(o, l);
      },
      close: async () => {},
    };
    const fs = await xfsModule.open(spy, '/dev/sdz1');
    await walk(fs, await fs.root(), new Set([...SMALL, 'leaf', 'deep', 'many']));
    await fs.close();
    const windows = [...seen];
    const rand = prng(0x5f5);
    const tiny = new Set([...SMALL, 'leaf', 'deep', 'many']);
    const t0 = Date.now();
    const results = new Map<string, number>();
    for (let round = 0; round < 250; round++) {
      const patches: [number, Buffer][] = [];
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) {
        const w = windows[Math.floor(rand() * windows.length)]!;
        patches.push([w + Math.floor(rand() * 65536), Buffer.from([Math.floor(rand() * 256)])]);
      }
      if (round % 10 === 0) patches.push([Math.floor(rand() * 512), Buffer.from([Math.floor(rand() * 256)])]);
      const r = await survive(new PatchedSource(scale, patches), tiny);
      results.set(r, (results.get(r) ?? 0) + 1);
    }
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(results.get('EFORMAT') ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it('survives random corruption of a v4 image too (seeded)', async () => {
    const good = await xfsModule.open(v4, '/dev/sdz1');
    // all of the root but /xfs-extra (special files, remote symlink, leaf and node attribute forks)
    const skip = new Set((await good.readdir(await good.root())).map((e) => e.name).filter((n) => n !== 'xfs-extra'));
    await good.close();
    const seen = new Set<number>();
    const spy: ByteSource = {
      name: v4.name,
      size: v4.size,
      read: (o, l) => {
        if (l <= 65536) seen.add(o);
        return v4.read(o, l);
      },
      close: async () => {},
    };
    const fs = await xfsModule.open(spy, '/dev/sdz1');
    expect(await walk(fs, await fs.root(), skip)).toBe(8);
    await fs.close();
    const windows = [...seen];
    const rand = prng(0x4f4);
    const results = new Map<string, number>();
    for (let round = 0; round < 150; round++) {
      const patches: [number, Buffer][] = [];
      for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) {
        const w = windows[Math.floor(rand() * windows.length)]!;
        patches.push([w + Math.floor(rand() * 65536), Buffer.from([Math.floor(rand() * 256)])]);
      }
      const r = await survive(new PatchedSource(v4, patches), skip);
      results.set(r, (results.get(r) ?? 0) + 1);
    }
    expect(results.get('EFORMAT') ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
