// The differential walk for the squashfs reader: the kernel's squashfs mount of each fixture
// (loop, read-only) against the reader, every field diffTrees compares, xattrs included.
import { describe, expect, it } from 'vitest';
import { SquashfsReader } from '../../src/disk/fs/squashfs/reader.js';
import { FileSource } from '../../src/disk/source.js';
import { type FixtureName, fixture } from '../fixtures/index.js';
import { diffTrees, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const CASES: FixtureName[] = ['sqfs-gzip.sqfs', 'sqfs-zstd.sqfs'];

describe.skipIf(process.getuid?.() !== 0)('squashfs reader vs the kernel', () => {
  for (const name of CASES) {
    it(name, { timeout: 600_000 }, async () => {
      const image = await fixture(name);
      const src = await FileSource.open(image);
      try {
        const fs = await SquashfsReader.open(src, '/dev/sda1');
        // the two walks at once: the kernel's waits on its loop device while the reader runs
        const [want, got] = await withKernelMount(image, { fstype: 'squashfs' }, (dir) => Promise.all([walkHost(dir), walkReader(fs)]));
        expect(want.size).toBeGreaterThan(6000);
        expect(diffTrees(want, got)).toEqual([]);
        await fs.close();
      } finally {
        await src.close();
      }
    });
  }
});
