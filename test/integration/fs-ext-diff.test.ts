// The ext2/3/4 reader against the kernel: every partition of the ext fixtures (each mkfs variant
// with the Debian tree, and the scale image) walked whole through a read-only kernel mount
// (`noload` where there is a journal, as the reader ignores it) and through the reader; every
// field diffTrees compares, plus nlink, blocks, rdev, the other timestamps and statfs.
import { execFile } from 'node:child_process';
import { lstat, readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { diffTrees, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);

interface Part {
  image: string;
  /** the partition (0: the whole image, a filesystem without a partition table) */
  index: number;
  fstype: string;
  /** an fscrypt directory: its names and contents are ciphertext without the key (compared by fs-ext-crypt-diff) */
  encrypted?: string;
}

const PARTS: Part[] = [
  { image: 'ext-debian-a.raw', index: 1, fstype: 'ext4' },
  { image: 'ext-debian-a.raw', index: 2, fstype: 'ext4' },
  { image: 'ext-debian-b.raw', index: 1, fstype: 'ext4' },
  { image: 'ext-debian-b.raw', index: 2, fstype: 'ext4' },
  { image: 'ext-debian-c.raw', index: 1, fstype: 'ext2' },
  { image: 'ext-debian-c.raw', index: 2, fstype: 'ext3' },
  { image: 'ext-scale.raw', index: 1, fstype: 'ext4' },
  { image: 'ext-features.raw', index: 1, fstype: 'ext4', encrypted: '/secret' },
  { image: 'ext-features.raw', index: 2, fstype: 'ext4' },
  // the large inode sizes (512, 1024): xattrs and inline data in the inodes' extra space
  { image: 'ext-inodes.raw', index: 1, fstype: 'ext4' },
  { image: 'ext-inodes.raw', index: 2, fstype: 'ext4' },
  // made by mke2fs -d rather than the kernel: another layout of the same tree
  { image: 'debian-usr.raw', index: 1, fstype: 'ext4' },
  { image: 'debian-usr.raw', index: 2, fstype: 'ext4' },
  // captured mounted: its journal holds committed transactions (needs_recovery), which the
  // reader ignores as a `noload` mount does
  { image: 'dirty.raw', index: 0, fstype: 'ext4' },
  // its journal holds changes not yet written in place (dirty-logs.sh): the walk shows the tree
  // before them on both sides, checked below
  { image: 'ext-dirty.raw', index: 0, fstype: 'ext4' },
];

async function partition(image: string, index: number): Promise<{ offset: number; size: number }> {
  if (index === 0) return { offset: 0, size: (await stat(image)).size };
  const { stdout } = await exec('sfdisk', ['-J', image]);
  const parts = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions;
  const p = parts[index - 1]!;
  return { offset: p.start * 512, size: p.size * 512 };
}

/** glibc's dev_t as major:minor */
function devString(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** nlink, blocks, rdev and the other timestamps of every path, through lookups from the root. */
async function compareStats(dir: string, fs: FileSystemReader, skip: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string, node: FsNode): Promise<void> => {
    if (out.length > 30) return;
    const host = await lstat(path.join(dir, rel), { bigint: true });
    const st = await fs.stat(node);
    const want = {
      nlink: Number(host.nlink),
      blocks: Number(host.blocks),
      rdev: host.isCharacterDevice() || host.isBlockDevice() ? devString(host.rdev) : '',
      atimeNs: host.atimeNs,
      ctimeNs: host.ctimeNs,
      birthtimeNs: host.birthtimeNs,
      ino: Number(host.ino),
    };
    const got = {
      nlink: st.nlink,
      blocks: st.blocks,
      rdev: st.rdevMajor !== undefined ? `${st.rdevMajor}:${st.rdevMinor}` : '',
      atimeNs: st.atimeNs,
      ctimeNs: st.ctimeNs,
      birthtimeNs: st.birthtimeNs ?? 0n,
      ino: st.ino,
    };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (want[k] !== got[k]) out.push(`${rel}: ${k} ${String(want[k])} != ${String(got[k])}`);
    }
    if (!host.isDirectory()) return;
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const child = rel === '/' ? `/${name}` : `${rel}/${name}`;
      if (skip(child)) continue;
      const n = await fs.lookup(node, name);
      if (!n) {
        out.push(`${child}: lookup found nothing`);
        continue;
      }
      await visit(child, n);
    }
  };
  await visit('/', await fs.root());
  return out;
}

describe.skipIf(process.getuid?.() !== 0)('ext2/3/4 reader vs the kernel', () => {
  for (const p of PARTS) {
    // the scale image walks 100,000 files on each side: slow on a busy machine
    it(`${p.image} ${p.index ? `p${p.index}` : 'whole disk'} (${p.fstype})`, {
      timeout: p.image === 'ext-scale.raw' ? 1_800_000 : 600_000,
    }, async () => {
      const image = await fixture(p.image);
      const { offset, size } = await partition(image, p.index);
      const file = await FileSource.open(image);
      try {
        const dev = p.index ? `/dev/sda${p.index}` : '/dev/sda';
        const src = new SliceSource(file, offset, size, dev);
        const { stdout } = await exec('blkid', ['-p', '-O', String(offset), '-S', String(size), '-s', 'TYPE', '-o', 'value', image]);
        const type = stdout.trim();
        if (p.image === 'dirty.raw' || p.image === 'ext-dirty.raw') {
          const { stdout: head } = await exec('dumpe2fs', ['-h', image]);
          expect(head).toMatch(/^Filesystem features:.* needs_recovery/m);
        }
        const fs = await openFilesystem(src, type, dev);
        expect(fs.type).toBe(type);
        const options = type === 'ext2' ? undefined : 'noload';
        await withKernelMount(image, { offset, size, fstype: p.fstype, options }, async (dir) => {
          const skip = (rel: string) => rel === p.encrypted;
          // the two walks at once: the kernel's waits on its loop device while the reader runs
          const [want, got] = await Promise.all([walkHost(dir, { skip }), walkReader(fs, { skip })]);
          expect(diffTrees(want, got)).toEqual([]);
          if (p.image === 'ext-dirty.raw') {
            // the tree before the journalled changes (a replay would show these otherwise)
            expect(got.has('/base/gone.txt') && got.has('/base/old-name.txt')).toBe(true);
            expect(['/new-dir', '/base/new.bin', '/base/new-name.txt'].filter((x) => got.has(x))).toEqual([]);
            expect(got.get('/base/grow.txt')?.size).toBe('to be grown\n'.length);
          }
          // the 100,000 entries of /big were compared above; their lookups would only repeat it
          const skipStats = (rel: string) => skip(rel) || (rel.startsWith('/big/') && !rel.endsWith('0000-pad'));
          expect(await compareStats(dir, fs, skipStats)).toEqual([]);
          if (p.encrypted) {
            const node = (await fs.lookup(await fs.root(), p.encrypted.slice(1)))!;
            const host = await lstat(path.join(dir, p.encrypted), { bigint: true });
            expect((await fs.stat(node)).mtimeNs).toBe(host.mtimeNs);
            // listed as the kernel lists it without the key (fs-ext-crypt-diff compares it all)
            const names = (await fs.readdir(node)).map((e) => e.name).sort();
            expect(names).toEqual((await readdir(path.join(dir, p.encrypted))).sort());
          }
          const k = await statfs(dir);
          const s = await fs.statfs!();
          expect(s).toEqual({ bsize: k.bsize, blocks: k.blocks, bfree: k.bfree, bavail: k.bavail, files: k.files, ffree: k.ffree });
        });
        await fs.close();
      } finally {
        await file.close();
      }
    });
  }
});
