// The ISO 9660 reader without a loop device: spot checks on the fixture images read as files,
// and hostile images made by patching good ones in memory (a directory loop, a CE loop, a
// recursive relocation, extents past the end, a zisofs bomb, truncation, random corruption):
// each gives a one-line JootError in bounded time, or reads.
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { IsoReader } from '../../src/disk/fs/iso9660/reader.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../src/disk/fs/types.js';
import { isoDate } from '../../src/disk/fs/iso9660/record.js';
import { type ByteSource, checkRange, FileSource } from '../../src/disk/source.js';
import { type FixtureName, fixture } from '../fixtures/index.js';

/** An image in memory, with byte patches laid over it. */
class PatchedSource implements ByteSource {
  readonly name = 'patched.iso';
  readonly size: number;
  readonly patches = new Map<number, number>();
  constructor(
    private readonly base: Buffer,
    size = base.length,
  ) {
    this.size = size;
  }
  set(offset: number, bytes: Buffer | number[]): this {
    for (let i = 0; i < bytes.length; i++) this.patches.set(offset + i, bytes[i]!);
    return this;
  }
  u32(offset: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(v, 0);
    b.writeUInt32BE(v, 4);
    return this.set(offset, b);
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const out = Buffer.from(this.base.subarray(offset, offset + length));
    if (this.patches.size > 0) {
      for (const [at, v] of this.patches) if (at >= offset && at < offset + length) out[at - offset] = v;
    }
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

/** Walk at most `budget` nodes: readdir, stat, readlink and the first 64 KiB of every file. */
async function walk(fs: FileSystemReader, budget = 100_000): Promise<number> {
  const queue: FsNode[] = [await fs.root()];
  let seen = 0;
  while (queue.length > 0 && seen < budget) {
    const n = queue.shift()!;
    seen++;
    const st = await fs.stat(n);
    const type = st.mode & S_IFMT;
    if (type === S_IFDIR) for (const e of await fs.readdir(n)) queue.push(e.node);
    else if (type === S_IFLNK) await fs.readlink(n);
    else if (type === S_IFREG) await fs.read(n, 0, Math.min(st.size, 65536));
  }
  return seen;
}

async function expectJootError(p: Promise<unknown>, code?: string): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  const j = e as JootError;
  expect(j.message).not.toContain('\n');
  expect(j.message).toMatch(/^\/dev\/sr0: iso9660: /);
  if (code) expect(j.code).toBe(code);
  return j;
}

/** Byte offset of the directory record named `raw` (its file identifier) in the directory at block `extent`. */
function findRecord(img: Buffer, extent: number, raw: string): number {
  const start = extent * 2048;
  const size = img.readUInt32LE(start + 10);
  for (let off = start; off < start + size; ) {
    const len = img[off]!;
    if (len === 0) {
      off = (Math.floor(off / 2048) + 1) * 2048;
      continue;
    }
    const name = img.toString('latin1', off + 33, off + 33 + img[off + 32]!);
    if (name === raw) return off;
    off += len;
  }
  throw new Error(`no record ${raw}`);
}

const ROOT_EXTENT = 0x8000 + 156 + 2;

describe('ISO 9660 reader: spot checks', () => {
  it('Rock Ridge + Joliet: Rock Ridge wins; hard links, symlinks, the boot catalog', async () => {
    const src = await FileSource.open(await fixture('iso-debian.iso'));
    const fs = await IsoReader.open(src, '/dev/sr0');
    expect(fs.caseInsensitive).toBe(false);
    const perl = await fs.stat(await path(fs, '/usr/bin/perl'));
    const perl2 = await fs.stat(await path(fs, '/usr/bin/perl5.36.0'));
    expect(perl.nlink).toBe(2);
    expect(perl2.nlink).toBe(2);
    expect(perl.ino).not.toBe(perl2.ino);
    expect(await fs.readlink(await path(fs, '/bin'))).toBe('usr/bin');
    expect((await fs.stat(await path(fs, '/bin'))).size).toBe(7);
    const cat = await fs.stat(await path(fs, '/boot/boot.cat'));
    expect(cat.size).toBe(2048);
    expect((await fs.read(await path(fs, '/boot/boot.img'), 0, 4096)).toString()).toBe('B'.repeat(2048));
    expect(await fs.lookup(await fs.root(), 'ETC')).toBeUndefined();
    expect((await fs.statfs!()).bsize).toBe(2048);
    await fs.close();
    await src.close();
  });

  it('Rock Ridge special files: device numbers (PN), fifo, socket, symlink components, relocated depth', async () => {
    const src = await FileSource.open(await fixture('iso-special.iso'));
    const fs = await IsoReader.open(src, '/dev/sr0');
    const char = await fs.stat(await path(fs, '/char'));
    expect([char.mode & S_IFMT, char.rdevMajor, char.rdevMinor]).toEqual([S_IFCHR, 1, 3]);
    const block = await fs.stat(await path(fs, '/block'));
    expect([block.mode & S_IFMT, block.rdevMajor, block.rdevMinor]).toEqual([S_IFBLK, 7, 200]);
    expect((await fs.stat(await path(fs, '/fifo'))).mode & S_IFMT).toBe(S_IFIFO);
    expect((await fs.stat(await path(fs, '/socket'))).mode & S_IFMT).toBe(S_IFSOCK);
    expect(await fs.readlink(await path(fs, '/root-link'))).toBe('/');
    expect(await fs.readlink(await path(fs, '/dot-link'))).toBe('.');
    expect(await fs.readlink(await path(fs, '/dotdot-link'))).toBe('dangling/../../..');
    expect(await fs.readlink(await path(fs, '/abs-link'))).toBe('/etc/./passwd');
    const long = await fs.readlink(await path(fs, '/long-target'));
    expect(long).toBe(`${'x'.repeat(200)}/${'y'.repeat(250)}/z`);
    expect((await fs.stat(await path(fs, '/long-target'))).size).toBe(long.length);
    const linked = await fs.stat(await path(fs, '/sub/linked3'));
    expect(linked.nlink).toBe(3);
    const setuid = await fs.stat(await path(fs, '/setuid'));
    expect(setuid.mode).toBe(S_IFREG | 0o4755);
    const owned = await fs.stat(await path(fs, '/owned'));
    expect([owned.uid, owned.gid, owned.mode & 0o7777]).toEqual([1234, 5678, 0o640]);
    expect((await fs.readdir(await path(fs, '/many'))).length).toBe(20_000);
    expect(await fs.lookup(await path(fs, '/many'), 'entry-012345')).toBeDefined();
    await fs.close();
    await src.close();
  });

  it('dates: the 7-byte form with its zone, the 17-byte long form with hundredths', () => {
    // 2024-01-02 12:34:56 at UTC+1 (4 quarter hours)
    expect(isoDate(Buffer.from([124, 1, 2, 12, 34, 56, 4]), false)).toBe(BigInt(Date.UTC(2024, 0, 2, 11, 34, 56)) * 1_000_000n);
    // an offset beyond ±13 h is ignored
    expect(isoDate(Buffer.from([124, 1, 2, 12, 34, 56, 100]), false)).toBe(BigInt(Date.UTC(2024, 0, 2, 12, 34, 56)) * 1_000_000n);
    const long = Buffer.concat([Buffer.from('2038011903140857', 'latin1'), Buffer.from([0xfc])]);
    expect(isoDate(long, true)).toBe(BigInt(Date.UTC(2038, 0, 19, 4, 14, 8)) * 1_000_000n + 570_000_000n);
  });

  it('Joliet only: case-insensitive lookups, UCS-2 names, trailing dots dropped', async () => {
    const src = await FileSource.open(await fixture('iso-joliet.iso'));
    const fs = await IsoReader.open(src, '/dev/sr0');
    expect(fs.caseInsensitive).toBe(true);
    const names = (await fs.readdir(await fs.root())).map((e) => e.name);
    expect(names).toContain('Mixed Case Name.Text');
    expect(names).toContain('ünïcødé ☃');
    expect(names).toContain('trailing.dots');
    const n = await fs.lookup(await fs.root(), 'mixed case name.text');
    expect(n).toBeDefined();
    expect((await fs.stat(n!)).mode).toBe(S_IFREG | 0o555);
    await fs.close();
    await src.close();
  });

  it('plain ISO 9660: lower-case names without ;1, 0555 root-owned', async () => {
    const src = await FileSource.open(await fixture('iso-plain.iso'));
    const fs = await IsoReader.open(src, '/dev/sr0');
    const names = (await fs.readdir(await fs.root())).map((e) => e.name).sort();
    expect(names).toContain('passwd');
    expect(names).toContain('apt');
    expect(names.every((x) => x === x.toLowerCase() && !x.includes(';'))).toBe(true);
    const st = await fs.stat(await path(fs, '/apt'));
    expect(st.mode).toBe(S_IFDIR | 0o555);
    expect(st.uid).toBe(0);
    await fs.close();
    await src.close();
  });

  it('zisofs: files read decompressed with their real size', async () => {
    const src = await FileSource.open(await fixture('iso-zisofs.iso'));
    const fs = await IsoReader.open(src, '/dev/sr0');
    const z = await path(fs, '/zeros.bin');
    expect((await fs.stat(z)).size).toBe(1024 * 1024);
    const b = await fs.read(z, 1000, 100_000);
    expect(b.length).toBe(100_000);
    expect(b.every((x) => x === 0)).toBe(true);
    const t = await path(fs, '/tiny');
    expect((await fs.read(t, 0, 100)).toString()).toBe('tiny\n');
    await fs.close();
    await src.close();
  });
});

describe('ISO 9660 reader: hostile images', () => {
  const open = (s: ByteSource): Promise<IsoReader> => IsoReader.open(s, '/dev/sr0');

  it('not an ISO, truncated, the root outside the device', async () => {
    const img = await image('iso-plain.iso');
    await expectJootError(open(new PatchedSource(Buffer.alloc(64 * 1024))), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img, 0x8000 + 2048)), 'EIO');
    await expectJootError(open(new PatchedSource(img).u32(ROOT_EXTENT, 0xfffffff0)), 'EIO');
    await expectJootError(open(new PatchedSource(img).set(0x8000 + 128, [0, 3])), 'EFORMAT');
    await expectJootError(open(new PatchedSource(img).set(0x8000 + 156, [20])), 'EFORMAT');
  });

  it('a directory whose extent is its parent: readdir ends, the loop shows as a repeated inode', async () => {
    const img = await image('iso-plain.iso');
    const rootExtent = img.readUInt32LE(ROOT_EXTENT);
    const rec = findRecord(img, rootExtent, 'APT');
    const fs = await open(new PatchedSource(img).u32(rec + 2, rootExtent));
    const root = await fs.root();
    const apt = await fs.lookup(root, 'apt');
    expect(apt!.ino).toBe(root.ino);
    expect((await fs.readdir(apt!)).length).toBe((await fs.readdir(root)).length);
  });

  it('a file claiming 4 GiB past the end of the device, a directory past the end', async () => {
    const img = await image('iso-plain.iso');
    const rootExtent = img.readUInt32LE(ROOT_EXTENT);
    const rec = findRecord(img, rootExtent, 'PASSWD.;1');
    const fs = await open(new PatchedSource(img).u32(rec + 10, 0xffffffff));
    const n = await fs.lookup(await fs.root(), 'passwd');
    expect((await fs.stat(n!)).size).toBe(0xffffffff);
    await expectJootError(fs.read(n!, 0xffff0000, 4096), 'EIO');
    const dir = findRecord(img, rootExtent, 'APT');
    const fs2 = await open(new PatchedSource(img).u32(dir + 2, 0x7ffffff0));
    await expectJootError(fs2.readdir(await fs2.root()), 'EIO');
  });

  it('a record crossing its block, a record shorter than its name', async () => {
    const img = await image('iso-debian.iso');
    const rootExtent = img.readUInt32LE(ROOT_EXTENT);
    const etc = img.readUInt32LE(findRecord(img, rootExtent, 'ETC') + 2);
    // the last record of /etc's first block, made long enough to run into the next block
    let last = etc * 2048;
    for (let off = last; off < etc * 2048 + 2048 && img[off]! > 0; off += img[off]!) last = off;
    const rel = last - etc * 2048;
    expect(2048 - rel + 2).toBeLessThanOrEqual(255);
    const fs = await open(new PatchedSource(img).set(last, [2048 - rel + 2]));
    await expectJootError(fs.readdir(await path(fs, '/etc')), 'EFORMAT');
    const fs2 = await open(new PatchedSource(img).set(last + 32, [250]));
    await expectJootError(fs2.readdir(await path(fs2, '/etc')), 'EFORMAT');
  });

  it('a multi-extent file: one entry, its extents read in order', async () => {
    const img = await image('iso-plain.iso');
    const root = img.readUInt32LE(ROOT_EXTENT);
    const group = findRecord(img, root, 'GROUP.;1');
    const host = findRecord(img, root, 'HOSTNAME.;1');
    expect(group + img[group]!).toBe(host);
    const src = await FileSource.open(await fixture('iso-plain.iso'));
    const plain = await open(src);
    const want = Buffer.concat([
      await plain.read(await path(plain, '/group'), 0, 1 << 20),
      await plain.read(await path(plain, '/hostname'), 0, 1 << 20),
    ]);
    await src.close();
    const fs = await open(new PatchedSource(img).set(group + 25, [img[group + 25]! | 0x80]));
    const names = (await fs.readdir(await fs.root())).map((e) => e.name);
    expect(names).toContain('group');
    expect(names).not.toContain('hostname');
    const n = await path(fs, '/group');
    expect((await fs.stat(n)).size).toBe(want.length);
    expect(await fs.read(n, 0, 1 << 20)).toEqual(want);
    expect(await fs.read(n, want.length - 20, 100)).toEqual(want.subarray(want.length - 20));
  });

  it('a CE loop, a relocation (CL) past the end or to nothing', async () => {
    const img = await image('iso-special.iso');
    const rootExtent = img.readUInt32LE(ROOT_EXTENT);
    // the root's `.` record: its system use area starts after the 1-byte name (no padding)
    const dot = rootExtent * 2048;
    const su = dot + 34;
    const suLen = img[dot]! - 34;
    const ce = Buffer.alloc(28);
    ce.write('CE', 0, 'latin1');
    ce[2] = 28;
    ce[3] = 1;
    ce.writeUInt32LE(rootExtent, 4);
    ce.writeUInt32BE(rootExtent, 8);
    ce.writeUInt32LE(34, 12);
    ce.writeUInt32BE(34, 16);
    ce.writeUInt32LE(suLen, 20);
    ce.writeUInt32BE(suLen, 24);
    // after SP (7 bytes): a CE that continues into this very area, forever
    await expectJootError(open(new PatchedSource(img).set(su + 7, ce)), 'EFORMAT');
    // the deep tree reads through its relocation (CL)...
    const deep = async (fs: IsoReader): Promise<FsNode> => {
      let n = await path(fs, '/deep');
      for (let i = 1; i <= 12; i++) {
        const next = await fs.lookup(n, `level${i}`);
        if (!next) throw new Error(`no level${i}`);
        n = next;
      }
      return n;
    };
    const fs = await open(new PatchedSource(img));
    expect((await fs.readdir(await deep(fs))).map((e) => e.name)).toEqual(['bottom.txt']);
    // ...and a CL pointing past the end, or at a block of zeros, is an error there
    const cl = img.indexOf(Buffer.from([0x43, 0x4c, 0x0c, 0x01]), 0x8000);
    expect(cl).toBeGreaterThan(0);
    await expectJootError(
      open(new PatchedSource(img).u32(cl + 4, 0x7ffffff0)).then((f) => deep(f)),
      'EIO',
    );
    await expectJootError(
      open(new PatchedSource(img).u32(cl + 4, 1)).then((f) => deep(f)),
      'EFORMAT',
    );
  });

  it('a zisofs block pointer past the data, and a bomb', async () => {
    const img = await image('iso-zisofs.iso');
    const src = new PatchedSource(img);
    const fs = await open(src);
    const z = await path(fs, '/zeros.bin');
    const first = (z as unknown as { extents: { pos: number }[] }).extents[0]!.pos;
    // the header is 16 bytes; pointer 1 (end of block 0) follows pointer 0
    const fs2 = await open(new PatchedSource(img).set(first + 20, [0xff, 0xff, 0xff, 0x0f]));
    await expectJootError(fs2.read(await path(fs2, '/zeros.bin'), 0, 4096), 'EFORMAT');
    const fs3 = await open(new PatchedSource(img).set(first + 20, [0xff, 0xff, 0xff, 0xff]));
    await expectJootError(fs3.read(await path(fs3, '/zeros.bin'), 0, 4096), 'EFORMAT');
    // a bomb: 32 MiB of zeros deflated in place of adduser.conf's first block
    const conf0 = await path(fs, '/etc/adduser.conf');
    const c0 = (conf0 as unknown as { extents: { pos: number }[] }).extents[0]!.pos;
    const bomb = deflateSync(Buffer.alloc(32 << 20), { level: 9 });
    const q0 = img.readUInt32LE(c0 + 16);
    const end = Buffer.alloc(4);
    end.writeUInt32LE(q0 + bomb.length);
    const fs5 = await open(new PatchedSource(img).set(c0 + q0, bomb).set(c0 + 20, end));
    const t0 = Date.now();
    await expectJootError(fs5.read(await path(fs5, '/etc/adduser.conf'), 0, 4096), 'EFORMAT');
    expect(Date.now() - t0).toBeLessThan(5000);
    // garbage in place of a zlib stream (zeros.bin's blocks are all empty: take a real one)
    const conf = await path(fs, '/etc/adduser.conf');
    const at = (conf as unknown as { extents: { pos: number }[] }).extents[0]!.pos;
    const p0 = img.readUInt32LE(at + 16);
    const fs4 = await open(new PatchedSource(img).set(at + p0, [1, 2, 3, 4, 5, 6, 7, 8]));
    await expectJootError(fs4.read(await path(fs4, '/etc/adduser.conf'), 0, 4096), 'EFORMAT');
  });

  it('random corruption: every round reads or throws a one-line JootError', { timeout: 120_000 }, async () => {
    let seed = 0x150;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const t0 = Date.now();
    for (const name of ['iso-plain.iso', 'iso-joliet.iso', 'iso-zisofs.iso'] as const) {
      const img = await image(name);
      // the descriptors and the directories: everything before the first file's data
      const span = Math.min(img.length, 160 * 1024) - 0x8000;
      for (let round = 0; round < 100; round++) {
        const src = new PatchedSource(img);
        const flips = 1 + rand(24);
        for (let i = 0; i < flips; i++) src.set(0x8000 + rand(span), [rand(256)]);
        try {
          const fs = await open(src);
          await walk(fs, 150);
        } catch (e) {
          if (!(e instanceof JootError)) throw new Error(`${name} round ${round}: ${String(e)}`);
          expect(e.message).not.toContain('\n');
        }
      }
    }
    expect(Date.now() - t0).toBeLessThan(90_000);
  });
});
