// The FAT12/16/32 and exFAT readers against oracles, whole tree, every fixture of each. This
// kernel has neither vfat nor exfat, so the oracles are userland:
// - vfat: mtools. `mcopy -s -m` extracts the whole tree (long names, contents, mtimes) into a
//   host directory that walkHost reads. (fusefat was tried and rejected: it shows months one
//   too late, cuts long names at 88 characters, ignores the NT lower-case bits and lists the
//   volume label as a file.)
// - exfat: exfat-fuse, mounted read-only through a loop device by withKernelMount.
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { FileSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { comparable, mtoolsTree } from './fs-oracles.js';
import { diffTrees, type Tree, walkHost, walkReader, withKernelMount } from './fs-tree.js';

// whole trees of ~12,000 entries through mtools or FUSE: minutes on a loaded shared host, and a
// test that times out would leave its FUSE mount behind (the finally never runs)
const SLOW = 900_000;
const asRoot = process.getuid?.() === 0;

async function readerTree(image: string, type: string): Promise<Tree> {
  const src = await FileSource.open(image);
  try {
    const fs = await openFilesystem(src, type, '/dev/sda1');
    try {
      return await walkReader(fs, { xattrs: false });
    } finally {
      await fs.close();
    }
  } finally {
    await src.close();
  }
}

/**
 * 8.3 names whose NT lower-case bit is set and which hold a non-ASCII letter: mtools lower-cases
 * only ASCII, Linux (shortname=mixed, codepage 437) lower-cases through cp437's table, so
 * "ÉLAN.TXT" with the base-lower bit is "Élan.txt" to mtools and "élan.txt" to Linux and the
 * reader. The oracle's name is corrected to Linux's.
 */
function linuxShortNames(t: Tree): Tree {
  const out: Tree = new Map();
  for (const [p, e] of t) out.set(p === '/joot-extra/Élan.txt' ? '/joot-extra/élan.txt' : p, e);
  return out;
}

describe.skipIf(!asRoot)('vfat reader vs mtools', () => {
  for (const name of ['fat12.raw', 'fat16.raw', 'fat32.raw'] as const) {
    it(
      `${name}: the whole tree`,
      async () => {
        const image = await fixture(name);
        const want = linuxShortNames(await mtoolsTree(image));
        const got = comparable(await readerTree(image, 'vfat'));
        expect(want.size).toBeGreaterThan(name === 'fat32.raw' ? 10_000 : 100);
        expect(diffTrees(want, got)).toEqual([]);
      },
      SLOW,
    );
  }
});

describe.skipIf(!asRoot)('exfat reader vs exfat-fuse', () => {
  it(
    'exfat.raw: the whole tree',
    async () => {
      const image = await fixture('exfat.raw');
      const got = comparable(await readerTree(image, 'exfat'));
      // exfat-fuse shows whole seconds (the 10 ms part is dropped, its whole seconds added): so
      // is the reader's time compared, its own 10 ms resolution checked in the unit tests
      for (const e of got.values()) e.mtimeNs -= e.mtimeNs % 1_000_000_000n;
      await withKernelMount(image, { fstype: 'exfat-fuse' }, async (dir) => {
        const want = comparable(await walkHost(dir, { xattrs: false }));
        expect(want.size).toBeGreaterThan(10_000);
        expect(diffTrees(want, got)).toEqual([]);
      });
    },
    SLOW,
  );
});
