// The btrfs reader on filesystems over several devices (btrfs-multi fixtures: raid1, raid10,
// raid0 data with raid1 metadata and raid1c3, one image per device) against the kernel: every subvolume
// walked both ways (the kernel mounts the loop devices read-only with device= naming the others),
// also degraded (one device left out: the reader reads the remaining copies, the kernel mounts
// `-o degraded`), and with one copy of a metadata node and of a data extent overwritten on one
// device (found with btrfs-map-logical): the reader returns the good copy, and a data sector bad
// on every copy is a one-line EIO.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { FileSource } from '../../src/disk/source.js';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { diffTrees, readerFileHash, type Tree, walkHost, walkReader } from './fs-tree.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;

const SETS: { name: string; images: FixtureName[]; degradable: boolean }[] = [
  { name: 'raid1', images: ['btrfs-r1-a.raw', 'btrfs-r1-b.raw'], degradable: true },
  { name: 'raid10', images: ['btrfs-r10-a.raw', 'btrfs-r10-b.raw', 'btrfs-r10-c.raw', 'btrfs-r10-d.raw'], degradable: true },
  { name: 'raid0 data, raid1 metadata', images: ['btrfs-r0-a.raw', 'btrfs-r0-b.raw'], degradable: false },
  { name: 'raid1c3', images: ['btrfs-r1c3-a.raw', 'btrfs-r1c3-b.raw', 'btrfs-r1c3-c.raw'], degradable: true },
];

const NAMES = ['/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd'];

/** The reader over image files, the first opened, the others offered as its siblings. */
async function openReader(files: string[]): Promise<{ fs: FileSystemReader; close: () => Promise<void> }> {
  const srcs = await Promise.all(files.map((f) => FileSource.open(f)));
  const close = async () => {
    for (const s of srcs) await s.close();
  };
  try {
    const siblings = async () => srcs.slice(1).map((source, i) => ({ device: NAMES[i + 1]!, source }));
    const fs = await openFilesystem(srcs[0]!, 'btrfs', NAMES[0]!, { siblings });
    return {
      fs,
      close: async () => {
        await fs.close();
        await close();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Attach the images read-only for as long as `fn` runs; the kernel forgets them afterwards. */
async function withLoops<T>(files: string[], fn: (loops: string[]) => Promise<T>): Promise<T> {
  const loops: string[] = [];
  try {
    for (const f of files) loops.push((await exec('losetup', ['-r', '-f', '--show', f])).stdout.trim());
    return await fn(loops);
  } finally {
    for (const l of loops) {
      await exec('btrfs', ['device', 'scan', '--forget', l]).catch(() => undefined);
      await exec('losetup', ['-d', l]);
    }
  }
}

/** The kernel's mount of the filesystem over `files` (first device, device= for the others), read-only. */
async function withMount<T>(files: string[], options: string, fn: (dir: string, loops: string[]) => Promise<T>): Promise<T> {
  return withLoops(files, async (loops) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'joot-btrfs-multi-'));
    try {
      const opts = ['ro', 'rescue=nologreplay', ...loops.slice(1).map((l) => `device=${l}`), options].filter(Boolean).join(',');
      await exec('mount', ['-t', 'btrfs', '-o', opts, loops[0]!, dir]);
      try {
        return await fn(dir, loops);
      } finally {
        await exec('umount', [dir]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Both walks at once; both settle before the mount goes (a failing reader walk would leave the kernel's busy). */
async function bothWalks(dir: string, fs: FileSystemReader, root: FsNode): Promise<[Tree, Tree]> {
  const [want, got] = await Promise.allSettled([walkHost(dir), walkReader(fs, { root })]);
  if (want.status === 'rejected') throw want.reason;
  if (got.status === 'rejected') throw got.reason;
  return [want.value, got.value];
}

/** Walk every subvolume both ways; the differences, per subvolume id. */
async function diffAll(kernelFiles: string[], readerFiles: string[], options = ''): Promise<{ id: number; diff: string[] }[]> {
  const r = await openReader(readerFiles);
  try {
    const ids = [5, ...(await r.fs.subvolumes!()).map((v) => v.id)];
    expect(ids.length).toBe(3);
    const out: { id: number; diff: string[] }[] = [];
    for (const id of ids) {
      const root = await r.fs.root({ subvolume: id });
      const [want, got] = await withMount(kernelFiles, [options, `subvolid=${id}`].filter(Boolean).join(','), (dir) =>
        bothWalks(dir, r.fs, root),
      );
      expect(want.size).toBeGreaterThan(1);
      out.push({ id, diff: diffTrees(want, got) });
    }
    return out;
  } finally {
    await r.close();
  }
}

const clean = (ids: number[]) => ids.map((id) => ({ id, diff: [] }));

/** Sparse copies of the images in a fresh directory (to be overwritten). */
async function copies(files: string[]): Promise<{ dir: string; files: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'joot-btrfs-corrupt-'));
  const out: string[] = [];
  for (const f of files) {
    const to = path.join(dir, path.basename(f));
    await exec('cp', ['--sparse=always', f, to]);
    out.push(to);
  }
  return { dir, files: out };
}

interface Where {
  mirror: number;
  physical: number;
  file: string;
}

/** btrfs-map-logical's answer for `logical`: each mirror's device (as its image file) and offset. */
async function mapLogical(logical: number, loops: string[], files: string[]): Promise<Where[]> {
  const { stdout } = await exec('btrfs-map-logical', ['-l', String(logical), '-b', '4096', loops[0]!]);
  const out: Where[] = [];
  for (const m of stdout.matchAll(/^mirror (\d+) logical \d+ physical (\d+) device (\S+)$/gm)) {
    const i = loops.indexOf(m[3]!);
    if (i < 0) throw new Error(`btrfs-map-logical named ${m[3]}, not one of ${loops.join(' ')}`);
    out.push({ mirror: Number(m[1]), physical: Number(m[2]), file: files[i]! });
  }
  if (out.length < 2) throw new Error(`btrfs-map-logical found ${out.length} mirrors of ${logical}: ${stdout}`);
  return out.sort((a, b) => a.mirror - b.mirror);
}

async function overwrite(w: Where, length: number): Promise<void> {
  const fh = await open(w.file, constants.O_RDWR);
  try {
    await fh.write(randomBytes(length), 0, length, w.physical);
  } finally {
    await fh.close();
  }
}

describe('siblings that are not members', () => {
  it('another btrfs, the opened device again and a device of no filesystem are passed over', async () => {
    const [a, b, other, text] = await Promise.all(
      (['btrfs-r1-a.raw', 'btrfs-r1-b.raw', 'btrfs-r10-b.raw', 'text.img'] as const).map(async (n) => FileSource.open(await fixture(n))),
    );
    try {
      const hash = async (siblings: FileSource[]) => {
        const fs = await openFilesystem(a!, 'btrfs', '/dev/sda', {
          siblings: async () => siblings.map((source, i) => ({ device: NAMES[i + 1]!, source })),
        });
        try {
          const dir = await fs.lookup(await fs.root({ subvolume: 5 }), 'payload');
          const f = await fs.lookup(dir!, 'random-6m.bin');
          const st = await fs.stat(f!);
          return { missing: fs.missingDevices, sha256: await readerFileHash(fs, f!, st.size) };
        } finally {
          await fs.close();
        }
      };
      const alone = await hash([other!, a!, text!]);
      expect(alone.missing).toEqual([expect.stringMatching(/^device 2 \(uuid [0-9a-f-]{36}\)$/)]);
      const whole = await hash([other!, a!, text!, b!]);
      expect(whole).toEqual({ missing: [], sha256: alone.sha256 });
    } finally {
      for (const s of [a, b, other, text]) await s?.close();
    }
  });
});

describe.skipIf(!isRoot)('btrfs reader on multi-device filesystems vs the kernel', () => {
  for (const set of SETS) {
    describe(set.name, () => {
      let files: string[];
      beforeAll(async () => {
        files = [];
        for (const f of set.images) files.push(await fixture(f));
      });

      it('walks every subvolume as the kernel shows it', async () => {
        expect(await diffAll(files, files)).toEqual(clean([5, 256, 257]));
      }, 300_000);

      it('opened on its last device, finds the others', async () => {
        const r = await openReader([...files].reverse());
        try {
          const sub = await r.fs.lookup(await r.fs.root({ subvolume: 5 }), 'payload');
          expect(sub).toBeDefined();
          expect((await r.fs.readdir(sub!)).map((e) => e.name).sort()).toEqual(['random-6m.bin', 'small', 'sparse', 'text-2m.txt']);
        } finally {
          await r.close();
        }
      });

      if (set.degradable) {
        it('degraded (one device left out): read from the remaining copies, as the kernel mounts it -o degraded', async () => {
          const rest = files.filter((_, i) => i !== 1);
          expect(await diffAll(rest, rest, 'degraded')).toEqual(clean([5, 256, 257]));
        }, 300_000);
      } else {
        it('with a device of the striped data left out: a one-line EIO naming the device', async () => {
          const r = await openReader(files.slice(0, 1));
          try {
            const root = await r.fs.root({ subvolume: 5 });
            const dir = await r.fs.lookup(root, 'payload');
            const f = await r.fs.lookup(dir!, 'random-6m.bin');
            const e = await r.fs.read(f!, 0, 1 << 20).then(
              () => undefined,
              (x: unknown) => x as { code: string; message: string },
            );
            expect(e?.code).toBe('EIO');
            expect(e?.message).toMatch(
              /^\/dev\/sda: btrfs: logical address \d+ is on device 2 \(uuid [0-9a-f-]{36}\), which is not among the session's devices$/,
            );
          } finally {
            await r.close();
          }
        });
      }

      if (set.degradable) {
        let work: { dir: string; files: string[] } | undefined;
        afterAll(async () => {
          if (work) await rm(work.dir, { recursive: true, force: true });
        });

        it('returns the good copy where one copy of a metadata node and of a data extent is overwritten', async () => {
          work = await copies(files);
          const w = work;
          // where things are: the root and chunk tree roots, the first extent of a 6 MiB file
          const targets = await withMount(w.files, '', async (dir, loops) => {
            const sb = (await exec('btrfs', ['inspect-internal', 'dump-super', loops[0]!])).stdout;
            const root = Number(/^root\s+(\d+)$/m.exec(sb)![1]);
            const chunkRoot = Number(/^chunk_root\s+(\d+)$/m.exec(sb)![1]);
            const frag = (await exec('filefrag', ['-v', path.join(dir, 'payload/random-6m.bin')])).stdout;
            const m = /^\s*0:\s+0\.\.\s*\d+:\s+(\d+)\.\./m.exec(frag);
            if (!m) throw new Error(`unparsed filefrag: ${frag}`);
            const data = Number(m[1]) * 4096;
            return {
              root: await mapLogical(root, loops, w.files),
              chunkRoot: await mapLogical(chunkRoot, loops, w.files),
              data: await mapLogical(data, loops, w.files),
            };
          });
          // the copy the reader tries first (the chunk's first stripe, btrfs-map-logical's mirror 1)
          await overwrite(targets.root[0]!, 16384);
          await overwrite(targets.chunkRoot[0]!, 16384);
          await overwrite(targets.data[0]!, 4096);
          const r = await openReader(w.files);
          try {
            const root = await r.fs.root({ subvolume: 5 });
            const [want, got] = await withMount(files, 'subvolid=5', (dir) => bothWalks(dir, r.fs, root));
            expect(diffTrees(want, got)).toEqual([]);
          } finally {
            await r.close();
          }
          // the same sector bad on every copy: one line, EIO
          for (const c of targets.data.slice(1)) await overwrite(c, 4096);
          const bad = await openReader(w.files);
          try {
            const dir = await bad.fs.lookup(await bad.fs.root({ subvolume: 5 }), 'payload');
            const f = await bad.fs.lookup(dir!, 'random-6m.bin');
            const e = await bad.fs.read(f!, 0, 8192).then(
              () => undefined,
              (x: unknown) => x as { code: string; message: string },
            );
            expect(e?.code).toBe('EIO');
            expect(e?.message).toMatch(/^\/dev\/sda: btrfs: data at logical \d+ fails its checksum on every copy$/);
          } finally {
            await bad.close();
          }
        }, 300_000);
      }
    });
  }
});
