// The FAT12/16/32 and exFAT readers against oracles, whole tree, every fixture of each. This
// kernel has neither vfat nor exfat, so the oracles are userland:
// - vfat: mtools. `mcopy -s -m` extracts the whole tree (long names, contents, mtimes) into a
//   host directory that walkHost reads. (fusefat was tried and rejected: it shows months one
//   too late, cuts long names at 88 characters, ignores the NT lower-case bits and lists the
//   volume label as a file.)
// - exfat: exfat-fuse, mounted read-only through a loop device by withKernelMount.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { S_IFMT } from '../../src/disk/fs/types.js';
import { FileSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { diffTrees, type Tree, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);
// whole trees of ~12,000 entries through mtools or FUSE: minutes on a loaded shared host, and a
// test that times out would leave its FUSE mount behind (the finally never runs)
const SLOW = 900_000;
const asRoot = process.getuid?.() === 0;

async function readerTree(image: string, type: string): Promise<Tree> {
  const src = await FileSource.open(image);
  try {
    const fs = await openFilesystem(src, type, '/dev/sda1');
    try {
      return await walkReader(fs, { xattrs: false });
    } finally {
      await fs.close();
    }
  } finally {
    await src.close();
  }
}

/**
 * What both oracles leave out by design: the permission bits (mtools extracts with the host's
 * umask, exfat-fuse shows 0777; the readers say 0755 as the Linux drivers do with umask 022 —
 * checked in the unit tests), so only the file type of st_mode is compared; and the root's
 * mtime (FAT and exFAT roots have none: Linux shows the epoch, the oracle its mountpoint).
 */
function comparable(t: Tree): Tree {
  for (const e of t.values()) e.mode &= S_IFMT;
  const root = t.get('/');
  if (root) root.mtimeNs = 0n;
  return t;
}

/**
 * 8.3 names whose NT lower-case bit is set and which hold a non-ASCII letter: mtools lower-cases
 * only ASCII, Linux (shortname=mixed, codepage 437) lower-cases through cp437's table, so
 * "ÉLAN.TXT" with the base-lower bit is "Élan.txt" to mtools and "élan.txt" to Linux and the
 * reader. The oracle's name is corrected to Linux's.
 */
function linuxShortNames(t: Tree): Tree {
  const out: Tree = new Map();
  for (const [p, e] of t) out.set(p === '/joot-extra/Élan.txt' ? '/joot-extra/élan.txt' : p, e);
  return out;
}

describe.skipIf(!asRoot)('vfat reader vs mtools', () => {
  for (const name of ['fat12.raw', 'fat16.raw', 'fat32.raw'] as const) {
    it(
      `${name}: the whole tree`,
      async () => {
        const image = await fixture(name);
        const dir = await mkdtemp(path.join(tmpdir(), 'joot-fat-oracle-'));
        try {
          await exec('mcopy', ['-s', '-m', '-n', '-i', image, '::/*', `${dir}/`], {
            env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1' },
          });
          // uid/gid: the extracted files are owned by whoever extracts (root here), as Linux's
          // vfat shows them (root:root) with default options
          const want = linuxShortNames(comparable(await walkHost(dir, { xattrs: false })));
          const got = comparable(await readerTree(image, 'vfat'));
          expect(want.size).toBeGreaterThan(name === 'fat32.raw' ? 10_000 : 100);
          expect(diffTrees(want, got)).toEqual([]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
      SLOW,
    );
  }
});

describe.skipIf(!asRoot)('exfat reader vs exfat-fuse', () => {
  it(
    'exfat.raw: the whole tree',
    async () => {
      const image = await fixture('exfat.raw');
      const got = comparable(await readerTree(image, 'exfat'));
      // exfat-fuse shows whole seconds (the 10 ms part is dropped, its whole seconds added): so
      // is the reader's time compared, its own 10 ms resolution checked in the unit tests
      for (const e of got.values()) e.mtimeNs -= e.mtimeNs % 1_000_000_000n;
      await withKernelMount(image, { fstype: 'exfat-fuse' }, async (dir) => {
        const want = comparable(await walkHost(dir, { xattrs: false }));
        expect(want.size).toBeGreaterThan(10_000);
        expect(diffTrees(want, got)).toEqual([]);
      });
    },
    SLOW,
  );
});
