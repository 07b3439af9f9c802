// withKernelHandover on real readers, without root: the squashfs reader over an image that
// mksquashfs made with `-comp xz -Xbcj arm` (one file's blocks through xz's ARM filter, which
// the reader refuses as EUNSUPPORTED) hands over to a hostDirFs of unsquashfs's extraction of
// the same image standing in for the kernel's mount. What it must do: serve in-process until
// the first refusal; then that read and every later one from the other reader, nodes handed out
// before included (found again by path), asking for it once; and where the other reader is
// refused (the fallback off, not root), fail that read with the refusal and go on in-process.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostDirFs } from '../../src/appliance/host-dir-fs.js';
import { type HandoverRoot, withKernelHandover } from '../../src/appliance/kernel-handover.js';
import type { JootError } from '../../src/core/errors.js';
import { openFilesystem } from '../../src/disk/fs/index.js';
import type { FileSystemReader } from '../../src/disk/fs/types.js';
import { FileSource } from '../../src/disk/source.js';

const have = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v mksquashfs && command -v unsquashfs'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** ARM BL instructions that all call one address: xz's ARM filter makes them one repeated word. */
function armCode(): Buffer {
  const b = Buffer.alloc(4 * 32768);
  for (let i = 0; i < 32768; i++) b.writeUInt32LE((0xeb000000 | (((0x100000 - (i * 4 + 8)) >> 2) & 0xffffff)) >>> 0, i * 4);
  return b;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(fs: FileSystemReader, name: string): Promise<Buffer> {
  const node = (await fs.lookup(await fs.root(), name))!;
  const size = (await fs.stat(node)).size;
  return fs.read(node, 0, size);
}

describe.skipIf(!have)('withKernelHandover', () => {
  let dir = '';
  let extracted = '';
  let src: FileSource;
  const arm = armCode();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'joot-handover-unit-'));
    const tree = join(dir, 'tree');
    await mkdir(tree);
    await writeFile(join(tree, 'hello.txt'), 'hello\n');
    await writeFile(join(tree, 'arm.bin'), arm);
    const img = join(dir, 'arm.sqfs');
    execFileSync('mksquashfs', [tree, img, '-comp', 'xz', '-Xbcj', 'arm', '-noappend', '-quiet', '-all-root'], { stdio: 'ignore' });
    extracted = join(dir, 'x');
    execFileSync('unsquashfs', ['-q', '-n', '-d', extracted, img], { stdio: 'ignore' });
    src = await FileSource.open(img);
  });
  afterAll(async () => {
    await src?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the reader alone refuses the ARM-filtered file as EUNSUPPORTED', async () => {
    const fs = await openFilesystem(src, 'squashfs', '/dev/sda');
    await expect(readAll(fs, 'arm.bin')).rejects.toMatchObject({ code: 'EUNSUPPORTED' });
    expect((await readAll(fs, 'hello.txt')).toString()).toBe('hello\n');
    await fs.close();
  });

  it('hands over at the first refusal: that read and every later one, once', async () => {
    const asked: (HandoverRoot | undefined)[] = [];
    const first = await openFilesystem(src, 'squashfs', '/dev/sda');
    const fs = withKernelHandover(first, async (_why, root) => {
      asked.push(root);
      return hostDirFs(extracted, 'squashfs', '/dev/sda');
    });
    const root = await fs.root();
    const hello = (await fs.lookup(root, 'hello.txt'))!;
    expect((await fs.read(hello, 0, 6)).toString()).toBe('hello\n');
    expect(fs.servedBy).toBeUndefined();
    expect(sha(await readAll(fs, 'arm.bin'))).toBe(sha(arm));
    expect(fs.servedBy).toBe('kernel');
    // a node handed out before the handover, found again by its path
    expect((await fs.read(hello, 0, 6)).toString()).toBe('hello\n');
    expect((await fs.readdir(root)).map((e) => e.name).sort()).toEqual(['arm.bin', 'hello.txt']);
    expect(asked).toEqual([{}]);
    await fs.close();
  });

  it('refused, the read fails with the refusal and the reader goes on in-process', async () => {
    const first = await openFilesystem(src, 'squashfs', '/dev/sda');
    const fs = withKernelHandover(first, async (why: JootError) => {
      throw why.withMessage(`${why.message} (the kernel fallback is off)`);
    });
    await expect(readAll(fs, 'arm.bin')).rejects.toThrow(/the xz filter ARM BCJ is not read \(the kernel fallback is off\)$/);
    expect(fs.servedBy).toBeUndefined();
    expect((await readAll(fs, 'hello.txt')).toString()).toBe('hello\n');
    await fs.close();
  });
});
