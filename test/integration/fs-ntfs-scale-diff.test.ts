// NTFS at scale: ntfs-scale.raw's /many, 100,000 entries written by ntfs-3g (a deep
// $INDEX_ALLOCATION B+tree), listed by the reader exactly as ntfs-3g lists it (FUSE, read-only
// on a loop device: this kernel has no ntfs driver), looked up in every case as NTFS folds
// names ($UpCase), in bounded time and memory.
import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NtfsReader } from '../../src/disk/fs/ntfs/reader.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);

async function partition(image: string): Promise<{ offset: number; size: number }> {
  const { stdout } = await exec('sfdisk', ['-J', image]);
  const p = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions[0]!;
  return { offset: p.start * 512, size: p.size * 512 };
}

/** The name the recipe gave entry i: one in three each lower, capitalised, upper case. */
const entryName = (i: number): string => `${['entry-', 'Entry-', 'ENTRY-'][i % 3]}${String(i).padStart(6, '0')}`;

describe.skipIf(process.getuid?.() !== 0)('NTFS at scale (ntfs-scale.raw)', () => {
  it('a directory of 100,000 entries lists as ntfs-3g lists it; lookups fold case', { timeout: 600_000 }, async () => {
    const image = await fixture('ntfs-scale.raw');
    const { offset, size } = await partition(image);
    // the oracle: ntfs-3g's listing, and its inode numbers (MFT record numbers) of a sample
    const sample = [0, 1, 2, 9_999, 50_000, 65_535, 65_536, 99_998, 99_999];
    const { names: want, inos } = await withKernelMount(image, { offset, size, fstype: 'ntfs-3g' }, async (dir) => {
      const many = path.join(dir, 'many');
      const names = (await readdir(many)).sort();
      const inos = new Map<string, number>();
      for (const i of sample) inos.set(entryName(i), (await lstat(path.join(many, entryName(i)))).ino);
      return { names, inos };
    });
    expect(want.length).toBe(100_000);
    const file = await FileSource.open(image);
    try {
      const open = () => NtfsReader.open(new SliceSource(file, offset, size, '/dev/sda1'), '/dev/sda1');
      // bounded: a first lookup in another case on a fresh reader (it reads the whole index and
      // folds its 100,000 names through $UpCase), then the listing, each in seconds and tens of MiB
      const fresh = await open();
      const t0 = performance.now();
      const first = await fresh.lookup((await fresh.lookup(await fresh.root(), 'MANY'))!, 'entry-099999');
      expect((await fresh.stat(first!)).ino).toBe(inos.get(entryName(99_999)));
      expect(performance.now() - t0).toBeLessThan(60_000); // a hang guard: about a second unloaded
      await fresh.close();
      const fs = await open();
      const many = (await fs.lookup(await fs.root(), 'Many'))!;
      expect(many).toBeDefined();
      const heap0 = process.memoryUsage().heapUsed;
      const t1 = performance.now();
      const entries = await fs.readdir(many);
      expect(performance.now() - t1).toBeLessThan(60_000);
      // the names alone are ~5 MiB of strings; heapUsed also counts garbage not yet collected
      expect((process.memoryUsage().heapUsed - heap0) / 1048576).toBeLessThan(256);
      expect(entries.map((e) => e.name).sort()).toEqual(want);
      // lookups: the name as written, all lower, all upper, swapped case; each finds the one file
      for (const [name, ino] of inos) {
        for (const variant of [
          name,
          name.toLowerCase(),
          name.toUpperCase(),
          name.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())),
        ]) {
          const n = await fs.lookup(many, variant);
          expect({ variant, ino: n && (await fs.stat(n)).ino }).toEqual({ variant, ino });
        }
      }
      for (const missing of ['entry-100000', 'entry-', 'entry-0500000', 'entry-05000', 'ENTRY-050000 ']) {
        expect({ missing, found: await fs.lookup(many, missing) }).toEqual({ missing, found: undefined });
      }
      const mid = (await fs.lookup(many, 'entry-050000'))!;
      expect((await fs.read(mid, 0, 100)).toString()).toBe('the middle one\n');
      await fs.close();
    } finally {
      await file.close();
    }
  });
});
