// The differential walk for the btrfs reader: every subvolume of every btrfs fixture, mounted by
// the kernel on its own (`-o subvolid=N`, read-only) and opened by the reader at the same
// subvolume, compared entry by entry. Walking per subvolume keeps hard-link groups meaningful:
// inode numbers repeat across subvolumes (each root directory is 256 on its own st_dev). The
// reader's subvolume list is compared with `btrfs subvolume list -a -p -u`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSystemReader } from '../../src/disk/fs/types.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { diffTrees, type Tree, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;

interface Part {
  offset: number;
  size: number;
}

async function btrfsPart(image: string, partitioned: boolean): Promise<Part> {
  const size = (await FileSource.open(image).then(async (s) => {
    const n = s.size;
    await s.close();
    return n;
  })) as number;
  if (!partitioned) return { offset: 0, size };
  const t = JSON.parse((await exec('sfdisk', ['--json', image])).stdout) as {
    partitiontable: { partitions: { start: number; size: number }[] };
  };
  const p = t.partitiontable.partitions[0]!;
  return { offset: p.start * 512, size: p.size * 512 };
}

/**
 * The kernel shows a subvolume that is not linked where a directory entry names it (a snapshot
 * taken of a directory that held a nested subvolume) as an empty stub directory, inode 2, whose
 * mtime is the time the kernel made it up: take the reader's there.
 */
function stubTimes(want: Tree, got: Tree): void {
  for (const [p, w] of want) {
    const g = got.get(p);
    if (w.ino === 2 && g && g.ino === 2) w.mtimeNs = g.mtimeNs;
  }
}

async function kernelSubvolumes(
  image: string,
  part: Part,
  extra: string[],
): Promise<{ id: number; parentId: number; generation: number; uuid?: string; path: string }[]> {
  return withKernelMount(image, { ...part, fstype: 'btrfs', options: ['subvolid=5', ...extra].join(',') }, async (dir) => {
    const { stdout } = await exec('btrfs', ['subvolume', 'list', '-a', '-p', '-u', dir]);
    return stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const m = /^ID (\d+) gen (\d+) parent (\d+) top level \d+ uuid (\S+) path (.*)$/.exec(line);
        if (!m) throw new Error(`unparsed: ${line}`);
        const v: { id: number; parentId: number; generation: number; uuid?: string; path: string } = {
          id: Number(m[1]),
          generation: Number(m[2]),
          parentId: Number(m[3]),
          path: m[5]!.replace(/^<FS_TREE>\//, ''),
        };
        if (m[4] !== '-') v.uuid = m[4];
        return v;
      });
  });
}

/** `options`: mount options of every kernel mount of the fixture (besides ro and the subvolume) */
const FIXTURES: { name: string; partitioned: boolean; options?: string[] }[] = [
  { name: 'debian-btrfs.raw', partitioned: true },
  { name: 'btrfs-features.raw', partitioned: false },
  // a log tree the reader does not replay: the kernel's oracle replays none either
  { name: 'btrfs-log.raw', partitioned: false, options: ['rescue=nologreplay'] },
];

describe.skipIf(!isRoot)('btrfs reader vs the kernel', () => {
  for (const fx of FIXTURES) {
    describe(fx.name, () => {
      let image: string;
      let part: Part;
      let src: FileSource;
      let fs: FileSystemReader;
      beforeAll(async () => {
        image = await fixture(fx.name);
        part = await btrfsPart(image, fx.partitioned);
        src = await FileSource.open(image);
        fs = await openFilesystem(new SliceSource(src, part.offset, part.size, '/dev/sda1'), 'btrfs', '/dev/sda1');
      });
      afterAll(async () => {
        await fs?.close();
        await src?.close();
      });

      it('lists the subvolumes as btrfs subvolume list -a -p -u does', async () => {
        const want = await kernelSubvolumes(image, part, fx.options ?? []);
        const got = await fs.subvolumes!();
        expect(got.sort((a, b) => a.id - b.id)).toEqual(want.sort((a, b) => a.id - b.id));
      });

      it('walks every subvolume as the kernel shows it', async () => {
        const ids = [5, ...(await fs.subvolumes!()).map((v) => v.id)];
        for (const id of ids) {
          const root = await fs.root({ subvolume: id });
          // the two walks at once: the kernel's waits on its loop device while the reader runs
          const [want, got] = await withKernelMount(
            image,
            { ...part, fstype: 'btrfs', options: [`subvolid=${id}`, ...(fx.options ?? [])].join(',') },
            (dir) => Promise.all([walkHost(dir), walkReader(fs, { root })]),
          );
          expect(want.size).toBeGreaterThan(1);
          stubTimes(want, got);
          expect({ id, diff: diffTrees(want, got) }).toEqual({ id, diff: [] });
        }
      }, 1_800_000); // the top level of btrfs-features.raw alone hashes 2.4 GB on each side

      if (fx.name === 'btrfs-log.raw') {
        it('holds a log tree, which the reader does not replay', async () => {
          const { stdout } = await exec('btrfs', ['inspect-internal', 'dump-super', image]);
          expect(Number(/^log_root\s+(\d+)/m.exec(stdout)?.[1])).toBeGreaterThan(0);
          // the tree before the fsynced changes (dirty-logs.sh), in the top level and a subvolume
          const top = await walkReader(fs, { root: await fs.root({ subvolume: 5 }) });
          expect(top.has('/base/gone.txt') && top.has('/base/old-name.txt') && top.has('/subvol/kept.txt')).toBe(true);
          expect(['/new-dir', '/base/new.bin', '/base/new-name.txt', '/subvol/logged.txt'].filter((p) => top.has(p))).toEqual([]);
          expect(top.get('/base/grow.txt')?.size).toBe('to be grown\n'.length);
        });
      }

      it('opens the default subvolume as a mount without options does', async () => {
        const want = await withKernelMount(image, { ...part, fstype: 'btrfs', options: fx.options?.join(',') }, async (dir) =>
          (await exec('stat', ['-c', '%i %Y', dir])).stdout.trim(),
        );
        const st = await fs.stat(await fs.root());
        expect(`${st.ino} ${st.mtimeNs / 1_000_000_000n}`).toBe(want);
        const byPath = await fs.root({ subvolume: (await fs.subvolumes!())[0]!.path });
        expect((await fs.stat(byPath)).ino).toBe(256);
      });
    });
  }
});
