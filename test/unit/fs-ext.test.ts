// The ext2/3/4 reader without root: spot checks on the fixture images read as files (no loop
// device), then hostile images — a good one with bytes patched — each giving a one-line
// JootError in bounded time, and a seeded random-corruption loop where every round reads fine
// or fails with a JootError, nothing else.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../src/disk/fs/types.js';
import { type ByteSource, checkRange, FileSource, SliceSource } from '../../src/disk/source.js';
import { FIXTURES_DIR, fixture } from '../fixtures/index.js';

const MiB = 1024 * 1024;

/** A source with some bytes replaced (offset → byte), over a good one. */
class PatchedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  constructor(
    private readonly base: ByteSource,
    readonly patches: Map<number, number>,
    size?: number,
  ) {
    this.name = base.name;
    this.size = size ?? base.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const b = Buffer.from(await this.base.read(offset, length));
    for (const [o, v] of this.patches) if (o >= offset && o < offset + length) b[o - offset] = v;
    return b;
  }
  async close(): Promise<void> {}
}

const le32 = (m: Map<number, number>, off: number, v: number) => {
  for (let i = 0; i < 4; i++) m.set(off + i, (v >>> (8 * i)) & 0xff);
};
const le16 = (m: Map<number, number>, off: number, v: number) => {
  m.set(off, v & 0xff);
  m.set(off + 1, (v >> 8) & 0xff);
};

async function resolve(fs: FileSystemReader, p: string): Promise<FsNode> {
  let n = await fs.root();
  for (const part of p.split('/').filter(Boolean)) {
    const next = await fs.lookup(n, part);
    if (!next) throw new Error(`${p}: ${part} not found`);
    n = next;
  }
  return n;
}

async function text(fs: FileSystemReader, p: string, offset = 0, length = 4096): Promise<string> {
  return (await fs.read(await resolve(fs, p), offset, length)).toString('utf8');
}

/** Byte offset of inode `ino` within the filesystem, from the superblock and descriptor (as the spec lays them out). */
async function inodeOffset(src: ByteSource, ino: number): Promise<number> {
  const sb = await src.read(1024, 1024);
  const bs = 1024 << sb.readUInt32LE(0x18);
  const ipg = sb.readUInt32LE(0x28);
  const isize = sb.readUInt16LE(0x58);
  const is64 = (sb.readUInt32LE(0x60) & 0x80) !== 0;
  const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
  const g = Math.floor((ino - 1) / ipg);
  const gdt = (sb.readUInt32LE(0x14) + 1) * bs;
  const d = await src.read(gdt + g * descSize, descSize);
  const table = d.readUInt32LE(8) + (descSize >= 64 ? d.readUInt32LE(0x28) * 2 ** 32 : 0);
  return table * bs + ((ino - 1) % ipg) * isize;
}

/** Open, then read a little of everything (bounded: the first `max` nodes, 64 KiB of each file). */
async function readAround(src: ByteSource, max = 80): Promise<number> {
  const fs = await openFilesystem(src, 'ext4', '/dev/sdz1');
  let seen = 0;
  const visit = async (n: FsNode, depth: number): Promise<void> => {
    if (seen++ > max || depth > 6) return;
    const st = await fs.stat(n);
    await fs.listXattrs(n);
    const t = st.mode & S_IFMT;
    if (t === S_IFLNK) await fs.readlink(n);
    if (t === S_IFREG) await fs.read(n, 0, Math.min(st.size, 65536));
    // (the 100,000-entry directory would make each round slow)
    if (t === S_IFDIR && st.size < 256 * 1024) for (const e of (await fs.readdir(n)).slice(0, 20)) await visit(e.node, depth + 1);
  };
  await visit(await fs.root(), 0);
  await fs.statfs?.();
  await fs.close();
  return seen;
}

async function expectJootError(p: Promise<unknown>, code?: string): Promise<JootError> {
  const t0 = performance.now();
  try {
    await p;
  } catch (e) {
    if (!(e instanceof JootError)) throw new Error(`not a JootError: ${String(e)}`, { cause: e });
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(/^\/dev\/sdz1: ext/);
    if (code) expect(e.code).toBe(code);
    expect(performance.now() - t0).toBeLessThan(5000);
    return e;
  }
  throw new Error('no error');
}

let scaleFile: FileSource;
let scale: ByteSource;
let ext2File: FileSource;
let ext2: ByteSource;

beforeAll(async () => {
  const [s, c] = [await fixture('ext-scale.raw'), await fixture('ext-debian-c.raw')];
  scaleFile = await FileSource.open(s);
  scale = new SliceSource(scaleFile, MiB, scaleFile.size - MiB - 33 * 512, '/dev/sdz1');
  ext2File = await FileSource.open(c);
  ext2 = new SliceSource(ext2File, MiB, 200 * MiB, '/dev/sdz1');
}, 900_000);
afterAll(async () => {
  await scaleFile?.close();
  await ext2File?.close();
});

describe('ext reader: spot checks', () => {
  it('the scale image: file types, device numbers, timestamps, sparse and unwritten data, many extents, big directory', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    expect(fs.type).toBe('ext4');
    const char = await fs.stat(await resolve(fs, 'types/char-big'));
    expect(char.mode & S_IFMT).toBe(S_IFCHR);
    expect([char.rdevMajor, char.rdevMinor]).toEqual([300, 70000]);
    const old = await fs.stat(await resolve(fs, 'times/1901'));
    // the kernel clamped it to ext4's earliest time, nanoseconds dropped
    expect(old.mtimeNs).toBe(-2147483648n * 1_000_000_000n);
    const late = await fs.stat(await resolve(fs, 'times/2446'));
    // the latest second ext4 can hold (the kernel stored it without the nanoseconds)
    expect(late.mtimeNs).toBe(15032385535n * 1_000_000_000n);
    const y2039 = await fs.stat(await resolve(fs, 'times/2039'));
    expect(y2039.mtimeNs).toBe(2147483648n * 1_000_000_000n + 987654321n);
    expect((await fs.stat(await resolve(fs, 'sparse-2g'))).size).toBe(2 ** 31);
    expect(await text(fs, 'sparse-2g', 2 ** 30, 7)).toBe('middle\n');
    expect(await text(fs, 'sparse-2g', 2 ** 31 - 4, 100)).toBe('end\n');
    expect((await fs.read(await resolve(fs, 'sparse-2g'), 12345678, 1000)).equals(Buffer.alloc(1000))).toBe(true);
    expect(await text(fs, 'many-extents', 2 * 99999 * 1024, 16)).toBe('0009999900099999');
    expect((await fs.read(await resolve(fs, 'many-extents'), 2 * 99998 * 1024 + 1024, 1024)).equals(Buffer.alloc(1024))).toBe(true);
    expect((await fs.read(await resolve(fs, 'unwritten'), 0, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect(await text(fs, 'unwritten', 100 * 1024, 44)).toBe('written in the middle of a fallocated range\n');
    expect(await fs.readlink(await resolve(fs, 'types/link-59'))).toBe('s'.repeat(59));
    expect(await fs.readlink(await resolve(fs, 'types/link-60'))).toBe('s'.repeat(60));
    expect(await fs.readlink(await resolve(fs, 'types/link-1000'))).toBe('l'.repeat(1000));
    const big = await resolve(fs, 'big');
    expect((await fs.readdir(big)).length).toBe(100000);
    expect(await fs.lookup(big, 'entry-099999-pad')).toBeDefined();
    expect(await fs.lookup(big, 'entry-100000-pad')).toBeUndefined();
    const x = await fs.listXattrs(await resolve(fs, 'xattrs/small'));
    expect(x.get('security.selinux')?.toString()).toBe('unconfined_u:object_r:user_home_t:s0\0');
    expect(x.get('user.empty')?.length).toBe(0);
    expect(x.get('system.posix_acl_access')?.readUInt32LE(0)).toBe(2);
    expect((await fs.listXattrs(await resolve(fs, 'xattrs/shared-2'))).get('user.shared')).toEqual(Buffer.alloc(600, 'y'));
    const deep = await resolve(fs, Array.from({ length: 150 }, (_, i) => `level-${String(i).padStart(3, '0')}-dir`).join('/'));
    expect((await fs.readdir(deep)).map((e) => e.name)).toEqual(['bottom.txt']);
    const st = await fs.statfs!();
    expect(st.bsize).toBe(1024);
    expect(st.files).toBeGreaterThan(100000);
    await expectJootError(fs.read(big, 0, 10), 'EINVAL');
    await expectJootError(fs.readdir(await resolve(fs, 'sparse-2g')), 'EINVAL');
    await fs.close();
  });

  it('ext2 (block maps) and inline data read what the tree holds', async () => {
    const tree = path.join(FIXTURES_DIR, '.debootstrap-bookworm', 'root');
    const fs = await openFilesystem(ext2, 'ext2', '/dev/sdz1');
    expect(fs.type).toBe('ext2');
    const want = await readFile(path.join(tree, 'usr/bin/dpkg'));
    const node = await resolve(fs, 'usr/bin/dpkg');
    expect((await fs.read(node, 0, want.length + 10)).equals(want)).toBe(true);
    await fs.close();
    const bFile = await FileSource.open(await fixture('ext-debian-b.raw'));
    try {
      const inline = await openFilesystem(new SliceSource(bFile, MiB, 200 * MiB, '/dev/sdz1'), 'ext4', '/dev/sdz1');
      for (const p of ['etc/debian_version', 'etc/hostname', 'etc/passwd', 'etc/apt/sources.list.d']) {
        const st = await inline.stat(await resolve(inline, p)).catch(() => undefined);
        if (!st || (st.mode & S_IFMT) !== S_IFREG) continue;
        expect(await text(inline, p, 0, 65536)).toBe(await readFile(path.join(tree, p), 'utf8'));
      }
      await inline.close();
    } finally {
      await bFile.close();
    }
  });

  it('readInto writes what read returns into the asked range only (whole runs straight in; holes, tails, inline copied)', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    const cases: [string, number, number][] = [
      ['many-extents', 0, 64 * 1024], // many runs: copied
      ['many-extents', 2 * 99999 * 1024, 4096], // past a hole, the end of the file
      ['sparse-2g', 2 ** 30 - 1024, 8192], // a hole, then data
      ['sparse-2g', 2 ** 31 - 1024, 8192], // short at the end of the file
      ['unwritten', 0, 200 * 1024], // unwritten extents read as zeros
      ['types/link-60', 0, 10], // no regular file: the same error
    ];
    for (const [p, off, len] of cases) {
      const node = await resolve(fs, p);
      const want = await fs.read(node, off, len).catch((e: unknown) => e);
      const out = Buffer.alloc(len + 10, 0xaa);
      const got = await fs.readInto!(node, off, len, out, 5).catch((e: unknown) => e);
      if (want instanceof Error) {
        expect(got).toBeInstanceOf(JootError);
        continue;
      }
      expect(got).toBe((want as Buffer).length);
      expect(out.subarray(5, 5 + (got as number)).equals(want as Buffer)).toBe(true);
      expect(out.subarray(0, 5).every((x) => x === 0xaa)).toBe(true);
      expect(out.subarray(5 + (got as number)).every((x) => x === 0xaa)).toBe(true);
    }
    await fs.close();
    const tree = path.join(FIXTURES_DIR, '.debootstrap-bookworm', 'root');
    const ext2fs = await openFilesystem(ext2, 'ext2', '/dev/sdz1');
    const want = await readFile(path.join(tree, 'usr/bin/dpkg'));
    const node = await resolve(ext2fs, 'usr/bin/dpkg');
    const out = Buffer.alloc(want.length);
    for (let off = 0; off < want.length; off += 64 * 1024) await ext2fs.readInto!(node, off, 64 * 1024, out, off);
    expect(out.equals(want)).toBe(true);
    await ext2fs.close();
  });
});

describe('ext reader: features', () => {
  it('EA inodes, meta_bg, an fscrypt directory (no-key names, contents EUNSUPPORTED), bigalloc', async () => {
    const file = await FileSource.open(await fixture('ext-features.raw'));
    try {
      const fs = await openFilesystem(new SliceSource(file, MiB, 40 * MiB, '/dev/sdz1'), 'ext4', '/dev/sdz1');
      expect((await fs.listXattrs(await resolve(fs, 'ea/huge'))).get('user.huge')).toEqual(Buffer.alloc(20000, 'h'));
      const mixed = await fs.listXattrs(await resolve(fs, 'ea/mixed'));
      expect(mixed.get('trusted.big')).toEqual(Buffer.alloc(5000, 't'));
      expect(mixed.get('user.small')?.toString()).toBe('small');
      expect(await text(fs, 'plain/file')).toBe('plain text\n');
      const secret = await resolve(fs, 'secret');
      expect((await fs.stat(secret)).mode & S_IFMT).toBe(S_IFDIR);
      // listed in no-key form (fs-ext-crypt-diff compares with the kernel); contents refused
      const listed = await fs.readdir(secret);
      expect(listed).toHaveLength(3);
      expect(await fs.lookup(secret, 'file')).toBeUndefined();
      const types = await Promise.all(listed.map(async (x) => (await fs.stat(x.node)).mode & S_IFMT));
      const encFile = listed[types.indexOf(S_IFREG)]!;
      expect((await fs.lookup(secret, encFile.name))?.ino).toBe(encFile.node.ino);
      const e = await expectJootError(fs.read(encFile.node, 0, 10), 'EUNSUPPORTED');
      expect(e.message).toContain('encrypted, no key');
      await fs.close();
      const big = await openFilesystem(new SliceSource(file, 41 * MiB, file.size - 41 * MiB - 33 * 512, '/dev/sdz2'), 'ext4', '/dev/sdz2');
      expect(await text(big, 'small')).toBe('small\n');
      const want = await readFile(path.join(FIXTURES_DIR, '.debootstrap-bookworm', 'root', 'usr/bin/dpkg'));
      expect((await big.read(await resolve(big, 'bin/dpkg'), 0, want.length)).equals(want)).toBe(true);
      await big.close();
    } finally {
      await file.close();
    }
  });
});

describe('ext reader: casefold', () => {
  // no kernel here mounts casefold (no CONFIG_UNICODE): the flags are set on the scale image
  it('a casefolded directory finds names whatever their case; others do not', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    const odd = (await fs.stat(await resolve(fs, 'odd'))).ino;
    await fs.close();
    const io = await inodeOffset(scale, odd);
    const flags = (await scale.read(io + 0x20, 4)).readUInt32LE(0);
    const incompat = (await scale.read(1024 + 0x60, 4)).readUInt32LE(0);
    const m = new Map<number, number>();
    le32(m, 1024 + 0x60, incompat | 0x20000);
    le32(m, io + 0x20, (flags | 0x40000000) >>> 0);
    const cf = await openFilesystem(new PatchedSource(scale, m), 'ext4', '/dev/sdz1');
    const dir = await resolve(cf, 'odd');
    expect(await cf.lookup(dir, 'WITH SPACE')).toBeDefined();
    expect(await cf.lookup(dir, 'UTF8-É-Ü-日本語-🙂')).toBeDefined();
    expect((await cf.readdir(dir)).map((e) => e.name)).toContain('with space');
    expect(await cf.lookup(await cf.root(), 'ODD')).toBeUndefined();
    await cf.close();
  });
});

describe('ext reader: hostile images', () => {
  const patched = (base: ByteSource, f: (m: Map<number, number>) => void, size?: number) => {
    const m = new Map<number, number>();
    f(m);
    return new PatchedSource(base, m, size);
  };

  it('a bad superblock: magic, block size, group geometry, a device too small', async () => {
    await expectJootError(readAround(patched(scale, (m) => le16(m, 1024 + 0x38, 0x1234))), 'EFORMAT');
    await expectJootError(readAround(patched(scale, (m) => le32(m, 1024 + 0x18, 30))), 'EFORMAT');
    await expectJootError(readAround(patched(scale, (m) => le32(m, 1024 + 0x28, 0))), 'EFORMAT');
    await expectJootError(readAround(patched(scale, (m) => le32(m, 1024 + 0x20, 0))), 'EFORMAT');
    await expectJootError(readAround(patched(scale, (m) => le16(m, 1024 + 0x58, 3))), 'EFORMAT');
    await expectJootError(readAround(patched(scale, () => {}, 50 * MiB)), 'EFORMAT');
    await expectJootError(readAround(patched(scale, (m) => le32(m, 1024 + 0x0, 0xffffffff))), 'EFORMAT');
  });

  it('an inode table beyond the device, a root that is no directory', async () => {
    const sb = await scale.read(1024, 1024);
    const gdt = (sb.readUInt32LE(0x14) + 1) * 1024;
    await expectJootError(readAround(patched(scale, (m) => le32(m, gdt + 8, 0x7ffffff0))));
    const root = await inodeOffset(scale, 2);
    await expectJootError(readAround(patched(scale, (m) => le16(m, root, 0o100644))), 'EFORMAT');
  });

  it('extent trees: bad magic, too many entries, a self-loop, an extent past the device, a size past 2^53', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    const many = (await fs.stat(await resolve(fs, 'many-extents'))).ino;
    const small = (await fs.stat(await resolve(fs, 'types/linked'))).ino;
    await fs.close();
    const mo = await inodeOffset(scale, many);
    const so = await inodeOffset(scale, small);
    const readFile = async (src: ByteSource, p: string) => {
      const f = await openFilesystem(src, 'ext4', '/dev/sdz1');
      const n = await resolve(f, p);
      const st = await f.stat(n);
      for (let off = 0; off < st.size; off += 4 * MiB) await f.read(n, off, 4 * MiB);
    };
    await expectJootError(
      readFile(
        patched(scale, (m) => le16(m, mo + 0x28, 0xbeef)),
        'many-extents',
      ),
      'EFORMAT',
    );
    await expectJootError(
      readFile(
        patched(scale, (m) => le16(m, mo + 0x28 + 2, 200)),
        'many-extents',
      ),
      'EFORMAT',
    );
    // the root's first index points at a block whose header claims the root's own depth
    const rootNode = (await scale.read(mo + 0x28, 60)) as Buffer;
    const child = rootNode.readUInt32LE(12 + 4);
    const depth = rootNode.readUInt16LE(6);
    await expectJootError(
      readFile(
        patched(scale, (m) => le16(m, child * 1024 + 6, depth)),
        'many-extents',
      ),
      'EFORMAT',
    );
    // a leaf extent in the small file pointing past the end
    await expectJootError(
      readFile(
        patched(scale, (m) => le32(m, so + 0x28 + 12 + 8, 0x7ffffff0)),
        'types/linked',
      ),
    );
    await expectJootError(
      readFile(
        patched(scale, (m) => le32(m, so + 0x6c, 0xffffffff)),
        'types/linked',
      ),
      'EFORMAT',
    );
  });

  it('directories: a zero record length, an inode out of range, a huge size, a name past its record', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    const odd = await resolve(fs, 'odd');
    const oddIno = (await fs.stat(odd)).ino;
    await fs.close();
    const io = await inodeOffset(scale, oddIno);
    const leaf = (await scale.read(io + 0x28, 60)).readUInt32LE(12 + 8);
    const block = leaf * 1024;
    const list = async (src: ByteSource) => {
      const f = await openFilesystem(src, 'ext4', '/dev/sdz1');
      await f.readdir(await resolve(f, 'odd'));
    };
    await list(scale);
    await expectJootError(list(patched(scale, (m) => le16(m, block + 4, 0))), 'EFORMAT');
    await expectJootError(list(patched(scale, (m) => le32(m, block, 0xfffffff0))), 'EFORMAT');
    await expectJootError(list(patched(scale, (m) => m.set(block + 6, 250))), 'EFORMAT');
    await expectJootError(list(patched(scale, (m) => le32(m, io + 0x6c, 0x10000))), 'EFORMAT');
  });

  it('xattrs: a value past its block, a bad block header, a bad ACL', async () => {
    const fs = await openFilesystem(scale, 'ext4', '/dev/sdz1');
    const ino = (await fs.stat(await resolve(fs, 'xattrs/shared-1'))).ino;
    const small = (await fs.stat(await resolve(fs, 'xattrs/small'))).ino;
    await fs.close();
    const io = await inodeOffset(scale, ino);
    const blk = (await scale.read(io + 0x68, 4)).readUInt32LE(0) * 1024;
    const xattrs = async (src: ByteSource, p: string) => {
      const f = await openFilesystem(src, 'ext4', '/dev/sdz1');
      await f.listXattrs(await resolve(f, p));
    };
    await expectJootError(
      xattrs(
        patched(scale, (m) => le16(m, blk + 32 + 2, 1020)),
        'xattrs/shared-1',
      ),
      'EFORMAT',
    );
    await expectJootError(
      xattrs(
        patched(scale, (m) => le32(m, blk, 0)),
        'xattrs/shared-1',
      ),
      'EFORMAT',
    );
    await expectJootError(
      xattrs(
        patched(scale, (m) => le32(m, blk + 32 + 8, 0xffffff)),
        'xattrs/shared-1',
      ),
      'EFORMAT',
    );
    // the ACL's version: find the access ACL entry (index 2) of 'small' in its inode or block
    const so = await inodeOffset(scale, small);
    const raw = await scale.read(so, 256);
    const extra = raw.readUInt16LE(0x80);
    let o = 128 + extra + 4;
    let patchAt = -1;
    while (o + 16 <= 256 && raw.readUInt32LE(o) !== 0) {
      if (raw[o + 1] === 2) patchAt = so + 128 + extra + 4 + raw.readUInt16LE(o + 2);
      o += (16 + raw[o]! + 3) & ~3;
    }
    if (patchAt < 0) {
      const b = raw.readUInt32LE(0x68) * 1024;
      const blkBuf = await scale.read(b, 1024);
      for (o = 32; o + 16 <= 1024 && blkBuf.readUInt32LE(o) !== 0; o += (16 + blkBuf[o]! + 3) & ~3) {
        if (blkBuf[o + 1] === 2) patchAt = b + blkBuf.readUInt16LE(o + 2);
      }
    }
    expect(patchAt).toBeGreaterThan(0);
    await expectJootError(
      xattrs(
        patched(scale, (m) => le32(m, patchAt, 7)),
        'xattrs/small',
      ),
      'EFORMAT',
    );
  });

  it('ext2 block maps: a pointer past the filesystem', async () => {
    const fs = await openFilesystem(ext2, 'ext2', '/dev/sdz1');
    const ino = (await fs.stat(await resolve(fs, 'usr/bin/dpkg'))).ino;
    await fs.close();
    const io = await inodeOffset(ext2, ino);
    const read = async (src: ByteSource) => {
      const f = await openFilesystem(src, 'ext2', '/dev/sdz1');
      const n = await resolve(f, 'usr/bin/dpkg');
      await f.read(n, 0, (await f.stat(n)).size);
    };
    await read(ext2);
    await expectJootError(read(patched(ext2, (m) => le32(m, io + 0x28 + 13 * 4, 0x7fffffff))), 'EFORMAT');
    await expectJootError(read(patched(ext2, (m) => le32(m, io + 0x28, 0x7fffffff))), 'EFORMAT');
  });

  it('random corruption of the metadata: every round reads or fails with a JootError', async () => {
    let seed = 0x5eed;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // the metadata a good walk reads (reads of up to 16 KiB: superblock, descriptors, inode
    // tables, extent nodes, directory and xattr blocks), where flips are sure to be seen
    const hot = new Map<ByteSource, [number, number][]>();
    for (const base of [scale, ext2]) {
      const reads: [number, number][] = [];
      const recorder: ByteSource = {
        name: base.name,
        size: base.size,
        read: (o, l) => {
          if (l <= 16384) reads.push([o, l]);
          return base.read(o, l);
        },
        close: async () => {},
      };
      await readAround(recorder);
      hot.set(base, reads);
    }
    const t0 = performance.now();
    let failed = 0;
    let rounds = 0;
    for (; rounds < 300 && performance.now() - t0 < 30_000; rounds++) {
      const base = rounds % 2 ? scale : ext2;
      const reads = hot.get(base)!;
      const m = new Map<number, number>();
      const flips = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < flips; i++) {
        const [o, l] = reads[Math.floor(rand() * reads.length)]!;
        m.set(o + Math.floor(rand() * l), Math.floor(rand() * 256));
      }
      try {
        await readAround(new PatchedSource(base, m));
      } catch (e) {
        if (!(e instanceof JootError)) throw new Error(`round ${rounds}: not a JootError: ${String(e)}`, { cause: e });
        expect(e.message).not.toMatch(/[\r\n]/);
        failed++;
      }
    }
    expect(rounds).toBeGreaterThan(50);
    console.log(`ext random corruption: ${rounds} rounds, ${failed} failed cleanly, ${Math.round(performance.now() - t0)} ms`);
    expect(failed).toBeGreaterThan(0);
  }, 120_000);
});
