// fscrypt without the key, rootless, on ext-crypt.raw p1 (the kernel comparison is
// test/integration/fs-ext-crypt-diff.test.ts): what the reader does with the no-key forms, and
// hostile ciphertext — a name shorter than fscrypt pads any name, an encrypted symlink whose
// stored length runs past its bytes — giving one-line EFORMAT errors as the kernel's EUCLEAN.
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import type { ExtContext } from '../../src/disk/fs/ext/context.js';
import { encryptedEntries, lookupNoKey } from '../../src/disk/fs/ext/encrypted-dir.js';
import type { Inode } from '../../src/disk/fs/ext/inode.js';
import { noKeyName } from '../../src/disk/fs/ext/nokey.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { S_IFLNK, S_IFMT } from '../../src/disk/fs/types.js';
import { type ByteSource, checkRange, FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';

const MiB = 1024 * 1024;

/** A source with some bytes replaced (offset → byte). */
class PatchedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  constructor(
    private readonly base: ByteSource,
    private readonly patches: Map<number, number>,
  ) {
    this.name = base.name;
    this.size = base.size;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    const b = Buffer.from(await this.base.read(offset, length));
    for (const [o, v] of this.patches) if (o >= offset && o < offset + length) b[o - offset] = v;
    return b;
  }
  async close(): Promise<void> {}
}

/** Byte offset of inode `ino` within the filesystem, from the superblock and its group descriptor. */
async function inodeOffset(src: ByteSource, ino: number): Promise<number> {
  const sb = await src.read(1024, 1024);
  const bs = 1024 << sb.readUInt32LE(0x18);
  const ipg = sb.readUInt32LE(0x28);
  const isize = sb.readUInt16LE(0x58);
  const is64 = (sb.readUInt32LE(0x60) & 0x80) !== 0;
  const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
  const g = Math.floor((ino - 1) / ipg);
  const d = await src.read((sb.readUInt32LE(0x14) + 1) * bs + g * descSize, descSize);
  const table = d.readUInt32LE(8) + (descSize >= 64 ? d.readUInt32LE(0x28) * 2 ** 32 : 0);
  return table * bs + ((ino - 1) % ipg) * isize;
}

async function expectFormat(p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(JootError);
  expect((e as JootError).code).toBe('EFORMAT');
  expect((e as JootError).message).toMatch(re);
  expect((e as JootError).message).not.toContain('\n');
}

describe('ext reader: fscrypt names without the key', () => {
  it('no-key names, readlink of an encrypted symlink, and what cannot be decoded', async () => {
    const file = await FileSource.open(await fixture('ext-crypt.raw'));
    try {
      const part = new SliceSource(file, MiB, 32 * MiB, '/dev/sdz1');
      const open = (src: ByteSource = part) => openFilesystem(src, 'ext4', '/dev/sdz1');
      const fs = await open();
      const at = async (f: FileSystemReader, name: string): Promise<FsNode> => (await f.lookup(await f.root(), name))!;
      const secret = await at(fs, 'secret');
      const entries = await fs.readdir(secret);
      expect(entries).toHaveLength(8);
      for (const e of entries) expect(e.name).toMatch(/^[A-Za-z0-9_-]+$/);
      const stats = await Promise.all(entries.map((e) => fs.stat(e.node)));
      const fast = entries[stats.findIndex((s) => (s.mode & S_IFMT) === S_IFLNK && s.size === 32)]!;
      const target = await fs.readlink(fast.node);
      expect(target).toHaveLength(32);
      expect(target.startsWith('AAAAAAAAAA')).toBe(true); // a symlink's no-key form has no dirhash
      await expect(fs.readlink(fast.node, { follow: true })).rejects.toMatchObject({ code: 'EUNSUPPORTED' });
      const secretIo = await inodeOffset(part, secret.ino);
      const linkIo = await inodeOffset(part, fast.node.ino);
      await fs.close();

      // the third record of /secret's one block (after '.' and '..') claims a 3-byte name
      const dirBlock = (await part.read(secretIo + 0x28 + 20, 4)).readUInt32LE(0) * 1024;
      const shortName = new PatchedSource(part, new Map([[dirBlock + 24 + 6, 3]]));
      const bad = await open(shortName);
      await expectFormat(bad.readdir(await at(bad, 'secret')), /shorter than fscrypt pads any name/);
      await bad.close();

      // the fast symlink's stored ciphertext length: past i_block, then too short to be fscrypt's
      for (const [len, re] of [
        [59, /bad ciphertext length 59/],
        [5, /too short/],
      ] as const) {
        const src = new PatchedSource(
          part,
          new Map([
            [linkIo + 0x28, len],
            [linkIo + 0x29, 0],
          ]),
        );
        const f = await open(src);
        const link = (await f.lookup(await at(f, 'secret'), fast.name))!;
        await expectFormat(f.readlink(link), re);
        await expectFormat(f.stat(link), re);
        await f.close();
      }
    } finally {
      await file.close();
    }
  });
});

describe('ext reader: an encrypted casefolded directory without the key', () => {
  // no tool here makes one (this kernel has no CONFIG_UNICODE): records are built by hand
  const ctx = {
    sb: { compat: 0x20, blockSize: 4096, hashVersion: 1, hashUnsigned: 0, hashSeed: [0, 0, 0, 0] },
    error: (code: string, message: string) => new JootError(code as 'EFORMAT', message),
  } as unknown as ExtContext;
  const dir = { ino: 12, flags: 0x800 | 0x40000000, size: 4096 } as Inode;
  /** a record: inode, rec_len, name_len, type, the name padded to 4, then (if given) the two hash words */
  const record = (name: Buffer, hash?: [number, number]) => {
    const at = (8 + name.length + 3) & ~3;
    const rec = Buffer.alloc(at + (hash ? 8 : 0));
    rec.writeUInt32LE(20, 0);
    rec.writeUInt16LE(rec.length, 4);
    rec[6] = name.length;
    name.copy(rec, 8);
    if (hash) {
      rec.writeUInt32LE(hash[0], at);
      rec.writeUInt32LE(hash[1], at + 4);
    }
    return { name: rec.subarray(8, 8 + name.length), ino: 20, rec, lblk: 0 };
  };

  it('takes each no-key name dirhash from after the name, as ext4_hash_in_dirent directories keep it', () => {
    const cipher = Buffer.alloc(17, 0x5a);
    const l = encryptedEntries(ctx, dir, [record(cipher, [0xdeadbeee, 0x01020304])], new Map(), true);
    expect(l.entries[0]!.noKey).toBe(noKeyName(cipher, 0xdeadbeee, 0x01020304));
    expect(lookupNoKey(l, noKeyName(cipher, 0, 0))).toBe(20);
  });
  it('a record without room for the hash is corrupt', () => {
    expect(() => encryptedEntries(ctx, dir, [record(Buffer.alloc(17, 1))], new Map(), true)).toThrow(/no room for its hash/);
  });
});
