// The NTFS reader against ntfs-3g (FUSE, default options, read-only on a loop device: this
// kernel has no ntfs driver): every NTFS partition of the fixtures, whole tree, every field.
// Junction targets: ntfs-3g prefixes the mount point to targets it resolves on the volume
// (/mnt/x/dir or /mnt/x/.NTFS-3G/D:/…); the reader gives them guest-rooted (/dir), so the
// oracle's mount-point prefix is taken off (target and size) before comparing.
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NtfsReader } from '../../src/disk/fs/ntfs/reader.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { diffTrees, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);

async function partition(image: string, n: number): Promise<{ offset: number; size: number }> {
  const { stdout } = await exec('sfdisk', ['-J', image]);
  const t = JSON.parse(stdout).partitiontable as { sectorsize?: number; partitions: { node: string; start: number; size: number }[] };
  const p = t.partitions.find((x) => x.node.endsWith(String(n)))!;
  const ss = t.sectorsize ?? 512;
  return { offset: p.start * ss, size: p.size * ss };
}

const CASES = [
  ['ntfs-tree.raw', 1],
  ['ntfs.raw', 1],
  ['windows.raw', 1],
  ['win10.raw', 1],
  ['win10.raw', 2],
  ['win11.raw', 3],
] as const;

describe.skipIf(process.getuid?.() !== 0)('NTFS reader = ntfs-3g', () => {
  for (const [name, part] of CASES) {
    it(`${name} p${part}`, async () => {
      const image = await fixture(name);
      const { offset, size } = await partition(image, part);
      let hostStatfs: { bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number } | undefined;
      const want = await withKernelMount(image, { offset, size, fstype: 'ntfs-3g' }, async (dir) => {
        const { bsize, blocks, bfree, bavail, files, ffree } = await statfs(dir);
        hostStatfs = { bsize, blocks, bfree, bavail, files, ffree };
        const tree = await walkHost(dir);
        for (const e of tree.values()) {
          if (!e.target?.startsWith(`${dir}/`)) continue;
          e.target = e.target.slice(dir.length);
          e.size -= dir.length;
        }
        return tree;
      });
      const file = await FileSource.open(image);
      try {
        const fs = await NtfsReader.open(new SliceSource(file, offset, size, '/dev/sda1'), '/dev/sda1');
        const got = await walkReader(fs);
        expect(diffTrees(want, got)).toEqual([]);
        expect(got.size).toBe(want.size);
        expect(await fs.statfs()).toEqual(hostStatfs);
        await fs.close();
      } finally {
        await file.close();
      }
    });
  }
});
