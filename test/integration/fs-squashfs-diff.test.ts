// The differential walk for the squashfs reader: the kernel's squashfs mount of each fixture
// (loop, read-only) against the reader, every field diffTrees compares, xattrs included. This
// kernel has no lzma squashfs: that fixture is checked against `unsquashfs -d` (squashfs-tools,
// its own lzma decoder), extracted as root into a temporary directory and removed after.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SquashfsReader } from '../../src/disk/fs/squashfs/reader.js';
import { FileSource } from '../../src/disk/source.js';
import { type FixtureName, fixture } from '../fixtures/index.js';
import { diffTrees, type Tree, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);
const CASES: FixtureName[] = ['sqfs-gzip.sqfs', 'sqfs-zstd.sqfs', 'sqfs-xz.sqfs', 'sqfs-lzo.sqfs', 'sqfs-lz4.sqfs', 'sqfs-lzma.sqfs'];

async function withUnsquashfs(image: string, fn: (dir: string) => Promise<Tree>): Promise<Tree> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'joot-unsquashfs-'));
  try {
    const dir = path.join(tmp, 'root');
    await exec('unsquashfs', ['-no-progress', '-quiet', '-d', dir, image], { maxBuffer: 1 << 24 });
    return await fn(dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

describe.skipIf(process.getuid?.() !== 0)('squashfs reader vs the kernel', () => {
  for (const name of CASES) {
    it(name, { timeout: 600_000 }, async () => {
      const image = await fixture(name);
      const src = await FileSource.open(image);
      try {
        const fs = await SquashfsReader.open(src, '/dev/sda1');
        // the two walks at once: the kernel's waits on its loop device while the reader runs
        const [want, got] = await Promise.all([
          name === 'sqfs-lzma.sqfs'
            ? withUnsquashfs(image, (dir) => walkHost(dir))
            : withKernelMount(image, { fstype: 'squashfs' }, (dir) => walkHost(dir)),
          walkReader(fs),
        ]);
        expect(want.size).toBeGreaterThan(6000);
        expect(diffTrees(want, got)).toEqual([]);
        await fs.close();
      } finally {
        await src.close();
      }
    });
  }
});
