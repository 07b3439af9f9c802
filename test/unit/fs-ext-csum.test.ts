// metadata_csum: the ext reader does not verify checksums (as the journal, they are the kernel's
// business on a read-write mount), so a wrong one is never fatal on a read. An ext4 made here by
// mke2fs -d (metadata_csum, no root needed) gets a wrong checksum on an inode, on a directory
// block and on an extent tree block (each found by debugfs); e2fsck -n flags each one, and the
// reader reads the damaged image exactly as it reads the good one.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { FileSource } from '../../src/disk/source.js';
import { walkReader } from '../integration/fs-tree.js';
import { prng } from './prng.js';

const exec = promisify(execFile);
const BS = 4096;

let tmp = '';
let good = '';

/** debugfs -R REQUEST on an image, its stdout. */
async function debugfs(image: string, request: string): Promise<string> {
  return (await exec('debugfs', ['-R', request, image])).stdout;
}

/** e2fsck -fn's report and exit status (4: errors left uncorrected). */
async function fsck(image: string): Promise<{ code: number; out: string }> {
  return exec('e2fsck', ['-fn', image]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );
}

/** A copy of the good image with the byte at `at` inverted. */
async function flipped(name: string, at: number): Promise<string> {
  const p = path.join(tmp, name);
  const img = await readFile(good);
  img[at] = img[at]! ^ 0xff;
  await writeFile(p, img);
  return p;
}

async function tree(image: string) {
  const src = await FileSource.open(image);
  try {
    const fs = await openFilesystem(src, 'ext4', '/dev/sda');
    try {
      return await walkReader(fs);
    } finally {
      await fs.close();
    }
  } finally {
    await src.close();
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'joot-ext-csum-'));
  const root = path.join(tmp, 'root');
  await mkdir(path.join(root, 'dir'), { recursive: true });
  await writeFile(path.join(root, 'file.txt'), 'a file whose inode checksum is wrong\n');
  for (let i = 0; i < 40; i++) await writeFile(path.join(root, 'dir', `entry-${i}`), `entry ${i}\n`);
  // twelve data blocks between holes: more extents than the inode holds (4), so a leaf block
  const rand = prng(0xc5);
  const frag = await open(path.join(root, 'frag.bin'), 'w');
  for (let i = 0; i < 12; i++) {
    const b = Buffer.alloc(BS);
    for (let j = 0; j < BS; j++) b[j] = Math.floor(rand() * 256);
    await frag.write(b, 0, BS, 2 * i * BS);
  }
  await frag.close();
  good = path.join(tmp, 'good.img');
  await writeFile(good, '');
  await exec('truncate', ['-s', '16M', good]);
  await exec('mkfs.ext4', ['-q', '-F', '-b', String(BS), '-O', 'metadata_csum,extent', '-d', root, good]);
  expect(await debugfs(good, 'features')).toMatch(/metadata_csum/);
  expect((await fsck(good)).code).toBe(0);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('ext4 metadata_csum: a wrong checksum is not fatal on a read', () => {
  it('an inode, a directory block and an extent block with wrong checksums read as the good image does', { timeout: 120_000 }, async () => {
    const want = await tree(good);
    // the inode of /file.txt: its i_checksum_lo (0x7C)
    const imap = await debugfs(good, 'imap /file.txt');
    const m = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(imap);
    expect(m).not.toBeNull();
    const inodeAt = Number(m![1]) * BS + Number(m![2]) + 0x7c;
    // /dir's (one, linear) block: the checksum in its tail entry, the block's last 4 bytes
    const dirBlocks = (await debugfs(good, 'blocks /dir')).trim().split(/\s+/).map(Number);
    expect(dirBlocks).toHaveLength(1);
    const dirAt = dirBlocks[0]! * BS + BS - 4;
    // /frag.bin's extent leaf block (ETB0): its tail after eh_max entries
    const etb = /\(ETB0\):\s*(\d+)/.exec(await debugfs(good, 'stat /frag.bin'));
    expect(etb).not.toBeNull();
    const leaf = Number(etb![1]) * BS;
    const img = await readFile(good);
    expect(img.readUInt16LE(leaf)).toBe(0xf30a); // the extent header's magic
    const leafAt = leaf + 12 + 12 * img.readUInt16LE(leaf + 4);
    const cases = [
      { name: 'inode.img', at: inodeAt, fsck: /checksum does not match inode/ },
      { name: 'dir.img', at: dirAt, fsck: /directory passes checks but fails checksum/ },
      { name: 'extent.img', at: leafAt, fsck: /extent block passes checks, but checksum does not match extent/ },
    ];
    for (const c of cases) {
      const bad = await flipped(c.name, c.at);
      const r = await fsck(bad);
      expect({ name: c.name, code: r.code, flagged: c.fsck.test(r.out) }).toEqual({ name: c.name, code: 4, flagged: true });
      const got = await tree(bad);
      expect({ name: c.name, same: got }).toEqual({ name: c.name, same: want });
    }
    // the files themselves, not only their digests in the walk
    expect(want.get('/file.txt')?.size).toBe(37);
    expect(want.get('/frag.bin')?.size).toBe(23 * BS);
    expect([...want.keys()].filter((p) => p.startsWith('/dir/'))).toHaveLength(40);
  });
});
