// The xfs reader against the kernel's xfs driver (mounted ro,norecovery: the log is not replayed,
// as the reader does not replay it), whole tree, every field diffTrees compares; xfs-dirty.raw's
// log holds transactions not yet written in place, which both sides leave out. xfs-v4.raw
// cannot be mounted here (this kernel is built without CONFIG_XFS_SUPPORT_V4), so its oracle is
// the Debian tree it was made from by `mkfs.xfs -p` (see the notes at that test).
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FileSystemReader } from '../../src/disk/fs/types.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT } from '../../src/disk/fs/types.js';
import { xfsModule } from '../../src/disk/fs/xfs/index.js';
import { FileSource } from '../../src/disk/source.js';
import { FIXTURES_DIR, fixture } from '../fixtures/index.js';
import { diffTrees, type Tree, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);

async function withReader<T>(image: string, fn: (fs: FileSystemReader) => Promise<T>): Promise<T> {
  const src = await FileSource.open(image);
  try {
    const fs = await xfsModule.open(src, '/dev/sda1');
    try {
      return await fn(fs);
    } finally {
      await fs.close();
    }
  } finally {
    await src.close();
  }
}

async function kernelDiff(name: 'xfs-v5.raw' | 'xfs-scale.raw' | 'xfs-dirty.raw'): Promise<Tree> {
  let tree!: Tree;
  const image = await fixture(name);
  await withReader(image, async (fs) => {
    await withKernelMount(image, { fstype: 'xfs', options: 'norecovery' }, async (dir) => {
      // the two walks at once: the kernel's waits on its loop device while the reader runs
      const [want, got] = await Promise.all([walkHost(dir), walkReader(fs)]);
      tree = got;
      expect(want.size).toBe(got.size);
      expect(diffTrees(want, got)).toEqual([]);
      // statfs: the geometry exactly; free space from the superblock's counters, which the
      // kernel reduces by what it sets aside for itself (a few per cent at most)
      const k = await statfs(dir);
      const r = (await fs.statfs?.())!;
      expect(r.bsize).toBe(k.bsize);
      expect(r.blocks).toBe(k.blocks);
      expect(Math.abs(r.bfree - k.bfree)).toBeLessThan(k.blocks * 0.05);
      expect(r.files - r.ffree).toBe(k.files - k.ffree);
    });
  });
  return tree;
}

describe.skipIf(process.getuid?.() !== 0)('xfs reader vs the kernel', () => {
  it('xfs-v5.raw: the Debian tree on v5 (crc, ftype, classic time stamps)', async () => {
    await kernelDiff('xfs-v5.raw');
  }, 600_000);

  it('xfs-scale.raw: 100,000-entry btree directory, 2 GiB sparse file, 100,000 extents, xattrs, odd names, bigtime', async () => {
    await kernelDiff('xfs-scale.raw');
  }, 900_000);

  it('xfs-dirty.raw: a log of unreplayed transactions is ignored, as norecovery ignores it', async () => {
    // the fixture's log is dirty (the recipe checked that replaying it changes the tree)
    const repair = await exec('xfs_repair', ['-n', await fixture('xfs-dirty.raw')]).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(repair).toContain('metadata changes in a log');
    const got = await kernelDiff('xfs-dirty.raw');
    // the tree before the logged changes (dirty-logs.sh)
    expect(got.has('/base/gone.txt') && got.has('/base/old-name.txt')).toBe(true);
    expect(got.has('/new-dir') || got.has('/base/new.bin') || got.has('/base/new-name.txt')).toBe(false);
    expect(got.get('/base/grow.txt')?.size).toBe('to be grown\n'.length);
    expect(got.get('/base/a.txt')?.xattrs).toEqual({ 'user.note': Buffer.from('before').toString('hex') });
  }, 600_000);

  it('xfs-v4.raw: the Debian tree on v4 (no crc, no ftype), against the tree it was made from', async () => {
    const image = await fixture('xfs-v4.raw');
    const want = await walkHost(`${FIXTURES_DIR}/.debootstrap-bookworm/root`);
    // mkfs.xfs -p writes modes without the sticky bit (its protofile has no field for it)
    for (const e of want.values()) e.mode &= ~0o1000;
    await withReader(image, async (fs) => {
      const got = await walkReader(fs);
      // /xfs-extra is the recipe's own addition (README.md), checked below
      const extra = new Map([...got].filter(([p]) => p === '/xfs-extra' || p.startsWith('/xfs-extra/')));
      for (const p of extra.keys()) got.delete(p);
      expect(want.size).toBe(got.size);
      // mkfs.xfs -p stamps every inode with the build time, makes each hard link a copy and
      // writes no xattrs: those three fields of the tree are not the image's
      expect(diffTrees(want, got, { ignore: ['mtimeNs', 'linkGroup', 'xattrs'] })).toEqual([]);
      const root = await fs.stat(await fs.root());
      expect(root.mode & S_IFMT).toBe(S_IFDIR);
      const times = new Set([...got.values()].map((e) => e.mtimeNs / 1_000_000_000n));
      expect(times.size).toBeLessThan(60); // one build, within a minute
      const v = (n: number) => Buffer.alloc(n, 'v').toString('hex');
      expect(extra.get('/xfs-extra/long')?.target).toBe(`/${'x'.repeat(999)}`);
      expect(extra.get('/xfs-extra/file')?.xattrs).toEqual({
        'user.small': v(10),
        'trusted.root': v(5),
        'security.selinux': v(20),
        'user.big': v(3000),
      });
      const many = extra.get('/xfs-extra/many')!.xattrs;
      expect(Object.keys(many)).toHaveLength(200);
      expect(many['user.attribute-with-a-long-name-77']).toBe(v(38));
      expect(extra.get('/xfs-extra/fifo')?.mode).toBe(S_IFIFO | 0o644);
      const chr = await fs.stat((await fs.lookup((await fs.lookup(await fs.root(), 'xfs-extra'))!, 'chr'))!);
      expect([chr.mode, chr.gid, chr.rdevMajor, chr.rdevMinor]).toEqual([S_IFCHR | 0o620, 5, 1, 3]);
      const blk = await fs.stat((await fs.lookup((await fs.lookup(await fs.root(), 'xfs-extra'))!, 'blk'))!);
      expect([blk.mode, blk.rdevMajor, blk.rdevMinor]).toEqual([S_IFBLK | 0o660, 8, 1]);
    });
  }, 600_000);
});
