// btrfs statfs on the userspace engine against the kernel's, on the mount the kernel engine makes
// (a read-only loop device, `-o ro,rescue=nologreplay`): the fixtures (single data, DUP
// metadata) and filesystems made here by mkfs.btrfs --rootdir with DUP data, mixed block groups
// and no free space tree, each in a sparse file on the temporary directory, removed after.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FsStatfs } from '../../src/disk/fs/types.js';
import { type ByteSource, FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);
const OPTIONS = 'rescue=nologreplay';

async function kernel(image: string, part: { offset?: number; size?: number }): Promise<FsStatfs> {
  return withKernelMount(image, { ...part, fstype: 'btrfs', options: OPTIONS }, async (dir) => {
    const { bsize, blocks, bfree, bavail, files, ffree } = await statfs(dir);
    return { bsize, blocks, bfree, bavail, files, ffree };
  });
}

async function reader(image: string, part: { offset?: number; size?: number }): Promise<FsStatfs> {
  const file = await FileSource.open(image);
  try {
    const src: ByteSource = part.offset !== undefined ? new SliceSource(file, part.offset, part.size!, '/dev/sda1') : file;
    const fs = await openFilesystem(src, 'btrfs', '/dev/sda1');
    try {
      return await fs.statfs!();
    } finally {
      await fs.close();
    }
  } finally {
    await file.close();
  }
}

describe.skipIf(process.getuid?.() !== 0)('btrfs statfs vs the kernel', () => {
  it('debian-btrfs.raw (partitioned) and btrfs-features.raw', { timeout: 120_000 }, async () => {
    const deb = await fixture('debian-btrfs.raw');
    const t = JSON.parse((await exec('sfdisk', ['--json', deb])).stdout) as {
      partitiontable: { partitions: { start: number; size: number }[] };
    };
    const p = t.partitiontable.partitions[0]!;
    const part = { offset: p.start * 512, size: p.size * 512 };
    expect(await reader(deb, part)).toEqual(await kernel(deb, part));
    const feat = await fixture('btrfs-features.raw');
    expect(await reader(feat, {})).toEqual(await kernel(feat, {}));
  });

  it('DUP data, mixed block groups, no free space tree (mkfs.btrfs --rootdir)', { timeout: 300_000 }, async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'joot-btrfs-statfs-'));
    try {
      const root = path.join(tmp, 'root');
      await mkdir(path.join(root, 'd'), { recursive: true });
      for (let i = 0; i < 50; i++) await writeFile(path.join(root, 'd', `f${i}`), Buffer.alloc(100_000 + i * 997, i));
      const img = path.join(tmp, 'b.img');
      for (const opts of [['-d', 'dup', '-m', 'dup'], ['-M'], ['-d', 'single', '-m', 'single', '-R', '^free-space-tree']]) {
        await rm(img, { force: true });
        await writeFile(img, '');
        await truncate(img, 400 << 20);
        await exec('mkfs.btrfs', ['-q', ...opts, '--rootdir', root, img]);
        expect({ opts, statfs: await reader(img, {}) }).toEqual({ opts, statfs: await kernel(img, {}) });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
