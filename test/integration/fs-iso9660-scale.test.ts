// ISO 9660 at scale, images made here by xorriso in the temporary directory and removed after
// (too slow or too big for the fixture cache): a directory of 100,000 entries, and a file over
// 4 GiB, which ISO 9660 can only store as several extents (one directory record each, the
// multi-extent flag on all but the last). The oracles are xorriso's own listing and extent
// report (`-find … -exec report_lba`) and, for the data around the extents' boundaries, the
// source file itself.
// libisofs keeps a directory's children in a sorted list and inserts by walking it: 100,000
// names in readdir order take it over ten minutes, in descending order (a path list) seconds.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IsoReader } from '../../src/disk/fs/iso9660/reader.js';
import type { FsNode } from '../../src/disk/fs/types.js';
import { FileSource } from '../../src/disk/source.js';

const exec = promisify(execFile);

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'joot-iso-scale-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withIso<T>(image: string, fn: (fs: IsoReader) => Promise<T>): Promise<T> {
  const src = await FileSource.open(image);
  try {
    const fs = await IsoReader.open(src, '/dev/sr0');
    try {
      return await fn(fs);
    } finally {
      await fs.close();
    }
  } finally {
    await src.close();
  }
}

async function lookup(fs: IsoReader, name: string): Promise<FsNode> {
  const n = await fs.lookup(await fs.root(), name);
  if (!n) throw new Error(`no /${name}`);
  return n;
}

describe('ISO 9660 at scale (xorriso)', () => {
  it('a directory of 100,000 entries lists as xorriso lists it', { timeout: 900_000 }, async () => {
    await withTmp(async (tmp) => {
      const dir = path.join(tmp, 'src', 'many');
      await mkdir(dir, { recursive: true });
      const names = Array.from({ length: 100_000 }, (_, i) => `entry-${String(i + 1).padStart(6, '0')}`);
      for (const n of names) await writeFile(path.join(dir, n), '');
      await writeFile(path.join(dir, 'entry-050000'), 'the middle one\n');
      const list = path.join(tmp, 'paths');
      await writeFile(
        list,
        `${[...names]
          .reverse()
          .map((n) => `many/${n}=${path.join(dir, n)}`)
          .join('\n')}\n`,
      );
      const image = path.join(tmp, 'many.iso');
      await exec('xorriso', ['-as', 'mkisofs', '-quiet', '-R', '-iso-level', '3', '-l', '-graft-points', '-path-list', list, '-o', image]);
      const { stdout } = await exec('xorriso', ['-indev', image, '-find', '/many', '-type', 'f'], { maxBuffer: 1 << 26 });
      const want = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^'\/many\/(.*)'$/, '$1'))
        .sort();
      expect(want.length).toBe(100_000);
      await withIso(image, async (fs) => {
        const many = await lookup(fs, 'many');
        const got = (await fs.readdir(many)).map((e) => e.name).sort();
        expect(got).toEqual(want);
        const mid = await fs.lookup(many, 'entry-050000');
        expect((await fs.read(mid!, 0, 100)).toString()).toBe('the middle one\n');
      });
    });
  });

  it('a file over 4 GiB reads through its extents as the source file', { timeout: 1_800_000 }, async () => {
    await withTmp(async (tmp) => {
      const src = path.join(tmp, 'src');
      await mkdir(src);
      const big = path.join(src, 'big');
      const size = 4 * 2 ** 30 + 5 * 2 ** 20 + 123;
      // sparse, with marks at the start, across the 4 GiB line and at the end
      const fh = await open(big, 'w');
      try {
        await fh.truncate(size);
        for (const at of [0, 2 ** 32 - 2048 - 7, 2 ** 32 - 3, size - 20]) await fh.write(Buffer.from(`mark@${at}:`), 0, undefined, at);
      } finally {
        await fh.close();
      }
      const image = path.join(tmp, 'big.iso');
      // written sparse (dd skips the zero blocks): 2 MiB on disk instead of 4 GiB written
      await exec('bash', [
        '-o',
        'pipefail',
        '-c',
        'xorriso -as mkisofs -quiet -R -J -iso-level 3 -o - "$1" | dd of="$2" bs=1M conv=sparse iflag=fullblock status=none',
        'bash',
        src,
        image,
      ]);
      // "File data lba:  N ,  START ,  BLOCKS ,  FILE SIZE , '/big'", one line per extent
      const { stdout } = await exec('xorriso', ['-indev', image, '-find', '/big', '-exec', 'report_lba', '--']);
      const want = [...stdout.matchAll(/File data lba:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*,/g)].map((m) => ({
        pos: Number(m[1]) * 2048,
        blocks: Number(m[2]),
      }));
      expect(want.length).toBeGreaterThan(1);
      await withIso(image, async (fs) => {
        const n = await lookup(fs, 'big');
        expect((await fs.stat(n)).size).toBe(size);
        const extents = (n as unknown as { extents: { pos: number; len: number }[] }).extents;
        expect(extents.map((e) => ({ pos: e.pos, blocks: Math.ceil(e.len / 2048) }))).toEqual(want);
        expect(extents.reduce((a, e) => a + e.len, 0)).toBe(size);
        expect((await fs.read(n, 2 ** 32 - 3, 16)).toString()).toBe(`mark@${2 ** 32 - 3}:`.slice(0, 16));
        // The data where extents meet (and the file's ends) equals the source file's: windows of
        // 1 MiB around each boundary. Reading all 4 GiB twice cost the suite a minute and a half
        // and tests nothing more: inside an extent a read is one offset calculation.
        const src = await open(big, 'r');
        try {
          const edges = [0, size, ...extents.map((e) => e.len).map((_, i) => extents.slice(0, i + 1).reduce((a, e) => a + e.len, 0))];
          for (const edge of edges) {
            const from = Math.max(0, Math.min(edge - (1 << 19), size - (1 << 20)));
            const want = Buffer.alloc(1 << 20);
            await src.read(want, 0, want.length, from);
            expect((await fs.read(n, from, 1 << 20)).equals(want), `1 MiB at ${from}`).toBe(true);
          }
        } finally {
          await src.close();
        }
      });
    });
  });
});
