// The NTFS reader without root: fixture images read through FileSource + SliceSource. Spot
// checks of what the differential test cannot name (case-insensitive lookup, junction targets,
// streams, the sparse and compressed files), LZNT1 on crafted chunks, and hostile images made by
// patching good ones: each gives a one-line JootError in bounded time, never a crash or a hang.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { failer } from '../../src/disk/fs/ntfs/errors.js';
import { NtfsReader } from '../../src/disk/fs/ntfs/reader.js';
import { findAttr, type Inode } from '../../src/disk/fs/ntfs/inode.js';
import { applyFixups } from '../../src/disk/fs/ntfs/record.js';
import { lznt1Decompress } from '../../src/disk/fs/ntfs/lznt1.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFDIR, S_IFMT } from '../../src/disk/fs/types.js';
import { type ByteSource, checkRange, FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { walkReader } from '../integration/fs-tree.js';

/** Partition N of an MBR image: byte offset and size. */
function mbrPartition(sector0: Buffer, n: number): { offset: number; size: number } {
  const e = 446 + (n - 1) * 16;
  return { offset: sector0.readUInt32LE(e + 8) * 512, size: sector0.readUInt32LE(e + 12) * 512 };
}

async function openPart(image: string, n = 1): Promise<{ fs: NtfsReader; close: () => Promise<void> }> {
  const file = await FileSource.open(image);
  const { offset, size } = mbrPartition(await file.read(0, 512), n);
  const fs = await NtfsReader.open(new SliceSource(file, offset, size, '/dev/sda1'), '/dev/sda1');
  return { fs, close: () => file.close() };
}

async function resolve(fs: FileSystemReader, p: string): Promise<FsNode> {
  let n = await fs.root();
  for (const c of p.split('/').filter(Boolean)) {
    const next = await fs.lookup(n, c);
    if (!next) throw new Error(`${p}: no ${c}`);
    n = next;
  }
  return n;
}

/** A partition held in memory, with single-byte patches laid over it (no copy per round). */
class MemSource implements ByteSource {
  readonly name = '/dev/sda1';
  constructor(
    readonly buf: Buffer,
    readonly patches = new Map<number, number>(),
  ) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const out = Buffer.from(this.buf.subarray(offset, offset + length));
    for (const [at, v] of this.patches) if (at >= offset && at < offset + length) out[at - offset] = v;
    return out;
  }
  async close(): Promise<void> {}
}

async function ntfsRawPartition(): Promise<Buffer> {
  const img = await readFile(await fixture('ntfs.raw'));
  const { offset, size } = mbrPartition(img, 1);
  return Buffer.from(img.subarray(offset, offset + size));
}

/** Open and walk everything (names, stats, links, contents, streams). */
async function walkAll(buf: Buffer, patches?: Map<number, number>): Promise<void> {
  const fs = await NtfsReader.open(new MemSource(buf, patches), '/dev/sda1');
  await walkReader(fs);
  await fs.close();
}

async function expectJootError(p: Promise<unknown>, code?: string): Promise<JootError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  const j = e as JootError;
  expect(j.message).not.toContain('\n');
  expect(j.message).toMatch(/^\/dev\/sda1: /);
  if (code) expect(j.code).toBe(code);
  return j;
}

/** Byte offset in the partition of MFT record n (the $MFT's first run holds the low records). */
function recordOffset(buf: Buffer, n: number): number {
  const cs = buf.readUInt16LE(11) * buf[13]!;
  const rs = buf.readInt8(64) > 0 ? buf.readInt8(64) * cs : 2 ** -buf.readInt8(64);
  return Number(buf.readBigUInt64LE(48)) * cs + n * rs;
}

/** Offset in a FILE record of the first attribute of `type`. */
function attrOffset(buf: Buffer, rec: number, type: number): number {
  let off = rec + buf.readUInt16LE(rec + 20);
  while (buf.readUInt32LE(off) !== 0xffffffff) {
    if (buf.readUInt32LE(off) === type) return off;
    off += buf.readUInt32LE(off + 4);
  }
  throw new Error(`no attribute 0x${type.toString(16)}`);
}

describe('NTFS reader on the fixtures', () => {
  it('ntfs-tree.raw: names, case, links, streams, sparse and compressed files', async () => {
    const { fs, close } = await openPart(await fixture('ntfs-tree.raw'));
    try {
      expect(fs.label).toBe('ntfstree');
      expect(fs.caseInsensitive).toBe(true);
      // case-insensitive through $UpCase, the exact name first where names differ only in case
      expect((await resolve(fs, 'ETC/HOSTNAME')).ino).toBe((await resolve(fs, 'etc/hostname')).ino);
      const names = await resolve(fs, 'names');
      const readme = await fs.read((await fs.lookup(names, 'README'))!, 0, 100);
      expect(readme.toString()).toBe('upper\n');
      expect((await fs.read((await fs.lookup(names, 'readme'))!, 0, 100)).toString()).toBe('lower\n');
      expect((await fs.read((await fs.lookup(names, 'CAFÉ.TXT'))!, 0, 100)).toString()).toBe('accent\n');
      expect((await fs.readdir(names)).map((e) => e.name)).toContain('smile-😀.txt');
      // junctions: into the volume (real case), to another drive (ntfs-3g's /.NTFS-3G)
      expect(await fs.readlink(await resolve(fs, 'links/junction'))).toBe('/links/target/sub');
      expect(await fs.readlink(await resolve(fs, 'links/junction-other'))).toBe('/.NTFS-3G/D:/Elsewhere');
      expect(await fs.readlink(await resolve(fs, 'links/rel-symlink'))).toBe('target/file.txt');
      // symlink reparse points: absolute (file, directory), relative (case fixed, through ..)
      expect(await fs.readlink(await resolve(fs, 'links/reparse-abs'))).toBe('/links/target/file.txt');
      expect(await fs.readlink(await resolve(fs, 'links/reparse-dir'))).toBe('/links/target/sub');
      expect(await fs.readlink(await resolve(fs, 'links/reparse-rel'))).toBe('target/file.txt');
      expect(await fs.readlink(await resolve(fs, 'links/reparse-up'))).toBe('target/../hardlink.txt');
      expect(await fs.readlink(await resolve(fs, 'links/reparse-other'))).toBe('/.NTFS-3G/E:/nothere.txt');
      await expectJootError(fs.readlink(await resolve(fs, 'links/target/file.txt')), 'EINVAL');
      await expectJootError(fs.readdir(await resolve(fs, 'links/target/file.txt')), 'EINVAL');
      // streams
      const x = await fs.listXattrs(await resolve(fs, 'streams/file.txt'));
      expect(x.get('user.note')?.toString()).toBe('a short stream');
      expect(x.get('user.big')?.length).toBe(20000);
      // the 2 GiB sparse file
      const sp = await resolve(fs, 'sparse.bin');
      expect((await fs.stat(sp)).size).toBe(2 ** 31);
      expect((await fs.read(sp, 0, 6)).toString()).toBe('start\n');
      expect((await fs.read(sp, 2 ** 30 - 2, 9)).toString()).toBe('\0\0middle\n');
      expect((await fs.read(sp, 2 ** 31 - 4, 100)).toString()).toBe('end\n');
      expect((await fs.read(sp, 2 ** 31, 100)).length).toBe(0);
      // compressed: a unit read from its middle, a hole, the tail
      const cf = await resolve(fs, 'compressed/small.txt');
      expect((await fs.read(cf, 0, 100)).toString()).toBe('small compressed file\n');
      const holey = await resolve(fs, 'compressed/holey.txt');
      expect((await fs.read(holey, 1000, 16)).equals(Buffer.alloc(16))).toBe(true);
      expect((await fs.stat(holey)).size).toBe(300040);
      // the 10,000-entry directory
      expect((await fs.readdir(await resolve(fs, 'big'))).length).toBe(10000);
      expect(await fs.lookup(await resolve(fs, 'big'), 'ENTRY-9999')).toBeDefined();
      expect(await fs.lookup(await resolve(fs, 'big'), 'entry-10000')).toBeUndefined();
      // system files are hidden, as ntfs-3g hides them
      expect(await fs.lookup(await fs.root(), '$MFT')).toBeUndefined();
      expect(((await fs.stat(await fs.root())).mode & S_IFMT) === S_IFDIR).toBe(true);
      await expectJootError(fs.root({ subvolume: '@' }), 'EINVAL');
    } finally {
      await close();
    }
  });

  it('win10.raw: the registry hives Windows inspection reads', async () => {
    const { fs, close } = await openPart(await fixture('win10.raw'));
    try {
      for (const h of ['SOFTWARE', 'SYSTEM', 'software', 'system']) {
        const n = await resolve(fs, `windows/system32/CONFIG/${h}`);
        expect((await fs.read(n, 0, 4)).toString()).toBe('regf');
      }
      expect(fs.label).toBe('Windows');
    } finally {
      await close();
    }
  });
});

describe('LZNT1', () => {
  const fail = failer('/dev/sda1');
  it('stored and compressed chunks', () => {
    const out = Buffer.alloc(8192);
    // chunk 1 stored (4096 bytes of 'a'), chunk 2: literals 'ab' then a back reference (dist 2, len 6)
    const stored = Buffer.concat([Buffer.from([0xff, 0x3f]), Buffer.alloc(4096, 0x61)]);
    const tok = Buffer.alloc(2);
    tok.writeUInt16LE(((2 - 1) << 12) | (6 - 3));
    const body = Buffer.concat([Buffer.from([0b100, 0x61, 0x62]), tok]);
    const hdr = Buffer.alloc(2);
    hdr.writeUInt16LE(0xb000 | (body.length - 1));
    lznt1Decompress(Buffer.concat([stored, hdr, body, Buffer.alloc(2)]), out, fail, 'test');
    expect(out.subarray(0, 4096).equals(Buffer.alloc(4096, 0x61))).toBe(true);
    expect(out.subarray(4096, 4104).toString()).toBe('abababab');
  });

  it('a bomb (a back reference past 4096 bytes) and a reference before the chunk are refused', () => {
    const out = Buffer.alloc(65536);
    const tokens: Buffer[] = [Buffer.from([0xfe, 0x61])];
    // each token copies as much as its length field allows, far past one chunk
    for (let i = 0; i < 7; i++) tokens.push(Buffer.from([0xff, 0x0f]));
    const body = Buffer.concat(tokens);
    const hdr = Buffer.alloc(2);
    hdr.writeUInt16LE(0xb000 | (body.length - 1));
    expect(() => lznt1Decompress(Buffer.concat([hdr, body]), out, fail, 'test')).toThrow(JootError);
    const back = Buffer.from([0x02, 0xb0, 0x01, 0x00, 0x00]);
    expect(() => lznt1Decompress(back, out, fail, 'test')).toThrow(/back reference/);
    const cut = Buffer.from([0x10, 0xb0, 0x00, 0x61]);
    expect(() => lznt1Decompress(cut, out, fail, 'test')).toThrow(/past the compressed data/);
  });
});

describe('NTFS reader on hostile images', () => {
  it('a good ntfs.raw walks', async () => {
    await walkAll(await ntfsRawPartition());
  });

  it('truncated: to a boot sector, to 1 MiB', async () => {
    const buf = await ntfsRawPartition();
    await expectJootError(walkAll(buf.subarray(0, 100)), 'EFORMAT');
    await expectJootError(walkAll(buf.subarray(0, 1 << 20)));
  });

  it('boot sector: bad OEM id, cluster size, record size, $MFT past the end', async () => {
    const good = await ntfsRawPartition();
    const patch = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    await expectJootError(walkAll(patch((b) => b.write('FAT32   ', 3, 'latin1'))), 'EFORMAT');
    await expectJootError(walkAll(patch((b) => (b[13] = 3))), 'EFORMAT');
    await expectJootError(walkAll(patch((b) => (b[64] = 0x70))), 'EFORMAT');
    await expectJootError(walkAll(patch((b) => b.writeBigUInt64LE(1n << 40n, 48))), 'EFORMAT');
  });

  it('a torn MFT record (update sequence mismatch) is EFORMAT', async () => {
    const b = await ntfsRawPartition();
    const root = recordOffset(b, 5);
    b[root + 511] = b[root + 511]! ^ 0xff;
    const e = await expectJootError(walkAll(b), 'EFORMAT');
    expect(e.message).toMatch(/torn/);
  });

  it('a resident value claiming more bytes than its record, a runlist past the device', async () => {
    const good = await ntfsRawPartition();
    const b = Buffer.from(good);
    const si = attrOffset(b, recordOffset(b, 5), 0x10);
    b.writeUInt32LE(0x7fffffff, si + 16);
    await expectJootError(walkAll(b), 'EFORMAT');
    // the root's $INDEX_ALLOCATION moved to a cluster far past the device
    const c = Buffer.from(good);
    const ia = attrOffset(c, recordOffset(c, 5), 0xa0);
    const mp = ia + c.readUInt16LE(ia + 32);
    const h = c[mp]!;
    const lenBytes = h & 15;
    const offBytes = h >> 4;
    c.fill(0, mp + 1 + lenBytes, mp + 1 + lenBytes + offBytes);
    c[mp + lenBytes + offBytes] = 0x40; // a large positive LCN
    await expectJootError(walkAll(c));
  });

  it('an index block whose entry points back to the block itself (a loop) is EFORMAT', async () => {
    const image = await fixture('ntfs-tree.raw');
    const { fs, close } = await openPart(image);
    let blockOff: number;
    let raw: Buffer;
    const big = await resolve(fs, 'big');
    try {
      // the big directory's B+tree: $INDEX_ROOT -> node block (VCN v) -> leaf blocks
      const ino = await (fs as unknown as { inode(n: number): Promise<Inode> }).inode(big.ino);
      const root = findAttr(ino, 0x90, '$I30')!.value!;
      let e = 16 + root.readUInt32LE(16);
      while (!(root.readUInt16LE(e + 12) & 1)) e += root.readUInt16LE(e + 8);
      const vcn = Number(root.readBigInt64LE(e + root.readUInt16LE(e + 8) - 8));
      const ia = findAttr(ino, 0xa0, '$I30')!;
      const cs = 4096;
      const run = ia.runs!.find((r) => r.vcn <= vcn && vcn < r.vcn + r.length)!;
      const file = await FileSource.open(image);
      const { offset } = mbrPartition(await file.read(0, 512), 1);
      blockOff = offset + (run.lcn + vcn - run.vcn) * cs;
      raw = await file.read(blockOff, 4096);
      await file.close();
      const fixed = Buffer.from(raw);
      applyFixups(fixed, 'INDX', 'test', failer('/dev/sda1'));
      let patched = false;
      for (let x = 24 + fixed.readUInt32LE(24); !patched; ) {
        const len = fixed.readUInt16LE(x + 8);
        const flags = fixed.readUInt16LE(x + 12);
        const at = x + len - 8;
        if (flags & 1 && Math.floor(at / 512) === Math.floor((at + 7) / 512) && at % 512 < 502) {
          raw.writeBigInt64LE(BigInt(vcn), at);
          patched = true;
        }
        if (flags & 2) break;
        x += len;
      }
      expect(patched).toBe(true);
    } finally {
      await close();
    }
    const file = await FileSource.open(image);
    try {
      const { offset, size } = mbrPartition(await file.read(0, 512), 1);
      const src: ByteSource = {
        name: '/dev/sda1',
        size,
        read: async (o, l) => {
          const r = await file.read(offset + o, l);
          const rel = blockOff - offset;
          if (o < rel + 4096 && o + l > rel) {
            const from = Math.max(o, rel);
            raw.copy(r, from - o, from - rel, Math.min(o + l, rel + 4096) - rel);
          }
          return r;
        },
        close: async () => {},
      };
      const fs2 = await NtfsReader.open(src, '/dev/sda1');
      const err = await expectJootError(fs2.readdir(big), 'EFORMAT');
      expect(err.message).toMatch(/reached twice/);
    } finally {
      await file.close();
    }
  });

  it('a junction whose target runs through itself resolves without recursing', async () => {
    const image = await fixture('ntfs-tree.raw');
    const file = await FileSource.open(image);
    try {
      const { offset, size } = mbrPartition(await file.read(0, 512), 1);
      const part = new SliceSource(file, offset, size, '/dev/sda1');
      const fs = await NtfsReader.open(part, '/dev/sda1');
      const j = await resolve(fs, 'links/junction');
      const recOff = recordOffset(await part.read(0, 512), j.ino);
      const rec = await part.read(recOff, 1024);
      const from = Buffer.from('\\??\\C:\\LINKS\\Target\\SUB', 'utf16le');
      const at = rec.indexOf(from);
      expect(at).toBeGreaterThan(0);
      Buffer.from('\\??\\C:\\links\\junction\\x', 'utf16le').copy(rec, at);
      const src: ByteSource = {
        name: '/dev/sda1',
        size,
        read: async (o, l) => {
          const r = await part.read(o, l);
          if (o < recOff + 1024 && o + l > recOff) {
            const f = Math.max(o, recOff);
            rec.copy(r, f - o, f - recOff, Math.min(o + l, recOff + 1024) - recOff);
          }
          return r;
        },
        close: async () => {},
      };
      const fs2 = await NtfsReader.open(src, '/dev/sda1');
      expect(await fs2.readlink(j)).toBe('/.NTFS-3G/C:/links/junction/x');
      await expectJootError(fs2.readdir(j), 'EINVAL');
    } finally {
      await file.close();
    }
  });

  it('seeded random corruption of the metadata: each round reads or throws a JootError', async () => {
    const good = await ntfsRawPartition();
    const mft = recordOffset(good, 0);
    const regions: [number, number][] = [
      [0, 512],
      [mft, 40 * 1024],
    ];
    let s = 0x5eed;
    const rnd = (): number => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let ok = 0;
    let refused = 0;
    const t0 = Date.now();
    for (let round = 0; round < 300; round++) {
      const patches = new Map<number, number>();
      for (let k = 0; k < 8; k++) {
        const [start, len] = regions[Math.floor(rnd() * regions.length)]!;
        patches.set(start + Math.floor(rnd() * len), Math.floor(rnd() * 256));
      }
      try {
        await walkAll(good, patches);
        ok++;
      } catch (e) {
        if (!(e instanceof JootError)) throw new Error(`round ${round}: ${String((e as Error).stack ?? e)}`);
        expect(e.message).not.toContain('\n');
        refused++;
      }
    }
    expect(ok + refused).toBe(300);
    expect(Date.now() - t0).toBeLessThan(60000);
  });
});
