// The differential walk for the ISO 9660 reader. This host's kernel has no iso9660 driver, so
// the oracle is xorriso (libisofs, an independent reader) extracting the whole image onto the
// host (`-osirrox on -extract`), walked with walkHost; the tree it restores is what the kernel
// would show, except for the fields set out below, which the oracle cannot give or gives
// differently by design:
// - linkGroup: isofs gives every directory record its own inode number (its position), so the
//   kernel never shows hard links as one inode, and xorriso restores them as separate files;
//   instead the reader's inode numbers are checked to be unique, as the kernel's are.
// - symlink mtimes: xorriso does not restore them (lutimes), so they are compared on files and
//   directories only (the tree root, which xorriso creates, is left out too).
// - without Rock Ridge (Joliet, plain): the kernel invents mode 0555 and owner 0:0 where
//   xorriso invents its own defaults, so the oracle's are replaced by the kernel's.
// - sockets and device nodes: xorriso does not restore them; their paths and types come from
//   `xorriso -find / -type s|b|c` (device numbers are checked in the unit test).
// - Rock Ridge names of 254 bytes or more: the kernel stops at the last NM entry that keeps the
//   name under 254 bytes, xorriso shows them whole; such names are checked on their own.
// - Joliet names: the kernel drops trailing dots ("Windows doesn't like periods at the end of a
//   name"), xorriso keeps them, so the oracle's names are cut the kernel's way.
import { describe, expect, it } from 'vitest';
import { IsoReader } from '../../src/disk/fs/iso9660/reader.js';
import { S_IFMT } from '../../src/disk/fs/types.js';
import { FileSource } from '../../src/disk/source.js';
import { type FixtureName, fixture } from '../fixtures/index.js';
import { isoKernelDefaults, isoKernelJolietNames, isoSpecials, isoUnknowable, withIsoExtraction } from './fs-oracles.js';
import { diffTrees, type Tree, walkHost, walkReader } from './fs-tree.js';

/** Entries of `tree` with a name component of 254 bytes or more, taken out. */
function takeLongNames(tree: Tree): string[] {
  const out: string[] = [];
  for (const p of [...tree.keys()]) {
    if (p.split('/').some((c) => Buffer.byteLength(c) >= 254)) {
      out.push(p);
      tree.delete(p);
    }
  }
  return out;
}

const CASES: { name: FixtureName; rock: boolean; joliet?: boolean; min: number }[] = [
  { name: 'iso-debian.iso', rock: true, min: 1500 },
  { name: 'iso-special.iso', rock: true, min: 20_000 },
  { name: 'iso-joliet.iso', rock: false, joliet: true, min: 150 },
  { name: 'iso-plain.iso', rock: false, min: 20 },
  { name: 'iso-zisofs.iso', rock: true, min: 400 },
];

describe('ISO 9660 reader vs xorriso extraction', () => {
  for (const c of CASES) {
    it(c.name, { timeout: 600_000 }, async () => {
      const image = await fixture(c.name);
      const src = await FileSource.open(image);
      try {
        const fs = await IsoReader.open(src, '/dev/sr0');
        const got = await walkReader(fs);
        let want = await withIsoExtraction(image, (dir) => walkHost(dir, { xattrs: false }));
        if (!c.rock) isoKernelDefaults(want);
        if (c.joliet) want = isoKernelJolietNames(want);
        isoUnknowable(want, got);
        for (const [p, type] of await isoSpecials(image)) {
          expect(want.has(p)).toBe(false);
          expect((got.get(p)?.mode ?? 0) & S_IFMT, p).toBe(type);
          got.delete(p);
        }
        const long = takeLongNames(want);
        if (c.name === 'iso-special.iso') {
          expect(long).toEqual([`/${'n'.repeat(255)}`]);
          const cut = [...got.keys()].filter((p) => /^\/n+$/.test(p));
          expect(cut.length).toBe(1);
          expect(cut[0]!.length - 1).toBeLessThan(254);
          expect(got.get(cut[0]!)?.size).toBe('longest name\n'.length);
          got.delete(cut[0]!);
        }
        expect(want.size).toBeGreaterThanOrEqual(c.min);
        expect(diffTrees(want, got, { ignore: ['linkGroup'] })).toEqual([]);
        // the kernel's inode numbers are record positions: unique across the tree
        const inos = new Map<number, string>();
        for (const [p, e] of got) {
          const other = inos.get(e.ino);
          expect(other, `${p} shares inode ${e.ino} with ${other}`).toBeUndefined();
          inos.set(e.ino, p);
        }
        await fs.close();
      } finally {
        await src.close();
      }
    });
  }
});
