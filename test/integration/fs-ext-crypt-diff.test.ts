// fscrypt without the key, against the kernel: ext-crypt.raw p1 (an e4crypt v1 directory whose
// key was removed after the build) mounted read-only by the kernel and read by the ext reader.
// Both list the same no-key names (short, long with a SHA-256, with and without the dirhash of an
// htree directory), types, modes, sizes (an encrypted symlink's size is its no-key target's
// length) and readlink targets; every listed name looks up to the same inode; other spellings of
// a no-key name resolve (or not) as on the kernel; reading an encrypted file fails on both.
import { execFile } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openFilesystem } from '../../src/disk/fs/index.js';
import { GuestTree } from '../../src/disk/fs/tree.js';
import type { FileSystemReader, FsNode } from '../../src/disk/fs/types.js';
import { FileSource, SliceSource } from '../../src/disk/source.js';
import { fixture } from '../fixtures/index.js';
import { diffTrees, walkHost, walkReader, withKernelMount } from './fs-tree.js';

const exec = promisify(execFile);

async function partition(image: string, index: number): Promise<{ offset: number; size: number }> {
  const { stdout } = await exec('sfdisk', ['-J', image]);
  const parts = (JSON.parse(stdout) as { partitiontable: { partitions: { start: number; size: number }[] } }).partitiontable.partitions;
  const p = parts[index - 1]!;
  return { offset: p.start * 512, size: p.size * 512 };
}

async function nodeAt(fs: FileSystemReader, rel: string): Promise<FsNode> {
  let node = await fs.root();
  for (const part of rel.split('/').filter(Boolean)) {
    const next = await fs.lookup(node, part);
    if (!next) throw new Error(`${rel}: ${part} not found`);
    node = next;
  }
  return node;
}

/** The kernel's answer to a lookup: the inode, or the errno. */
async function hostIno(p: string): Promise<number | string> {
  try {
    return Number((await lstat(p)).ino);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

/** Another spelling of no-key name `name`: its dirhash words replaced. */
function rehashed(name: string, hash: number): string {
  const b = Buffer.from(name, 'base64url');
  b.writeUInt32LE(hash, 0);
  b.writeUInt32LE(0, 4);
  return b.toString('base64url');
}

describe.skipIf(process.getuid?.() !== 0)('ext reader: fscrypt without the key vs the kernel', () => {
  it('ext-crypt.raw p1: names, types, modes, sizes, targets, lookups and read errors', { timeout: 300_000 }, async () => {
    const image = await fixture('ext-crypt.raw');
    const { offset, size } = await partition(image, 1);
    const file = await FileSource.open(image);
    try {
      const fs = await openFilesystem(new SliceSource(file, offset, size, '/dev/sda1'), 'ext4', '/dev/sda1');
      await withKernelMount(image, { offset, size, fstype: 'ext4', options: 'noload' }, async (dir) => {
        // contents are compared where there is a key to read them: outside /secret
        const [want, got] = await Promise.all([walkHost(dir, { hashes: false }), walkReader(fs, { hashes: false })]);
        expect(diffTrees(want, got)).toEqual([]);
        const names = [...want.keys()];
        // /secret/many, itself named in no-key form: 306 entries, an htree directory
        const perDir = new Map<string, number>();
        for (const n of names) perDir.set(path.posix.dirname(n), (perDir.get(path.posix.dirname(n)) ?? 0) + 1);
        expect([...perDir.values()]).toContain(306);
        // the 200-byte name: 252 characters, the long form
        expect(names.some((n) => n.startsWith('/secret/') && n.length === '/secret/'.length + 252)).toBe(true);
        expect(want.get('/plain/file')!.size).toBe(6);

        // every listed name looks up to what the kernel's lookup finds; other spellings as well
        const probes: string[] = [];
        for (const rel of names) {
          if (!rel.startsWith('/secret/')) continue;
          probes.push(rel);
          const base = path.posix.basename(rel);
          const hash = Buffer.from(base, 'base64url').readUInt32LE(0);
          // other dirhashes: ignored for a short name; for a long one in an htree directory they
          // pick the leaf blocks searched (a nearby hash may share the leaf, an odd one goes on)
          for (const h of [0, 0x12345678, (hash + 2) >>> 0, (hash - 2) >>> 0, (hash | 1) >>> 0, 0xfffffffe]) {
            probes.push(`${path.posix.dirname(rel)}/${rehashed(base, h)}`);
          }
        }
        probes.push('/secret/AAAAAAAAAAAA', '/secret/not*base64', '/secret/AAAAAAAAAAAAA');
        const mismatches: string[] = [];
        for (const rel of probes) {
          const k = await hostIno(path.join(dir, rel));
          let u: number | string;
          try {
            u = (await fs.stat(await nodeAt(fs, rel))).ino;
          } catch {
            u = 'ENOENT';
          }
          if (k !== u) mismatches.push(`${rel}: kernel ${k}, reader ${u}`);
        }
        expect(mismatches).toEqual([]);

        // reading: the kernel refuses without the key (ENOKEY); the reader says so in one line
        const secretFile = names.find((n) => n.startsWith('/secret/') && want.get(n)!.size === 10000)!;
        await expect(readFile(path.join(dir, secretFile))).rejects.toMatchObject({ errno: -126 }); // ENOKEY
        const node = await nodeAt(fs, secretFile);
        await expect(fs.read(node, 0, 100)).rejects.toMatchObject({
          code: 'EUNSUPPORTED',
          message: expect.stringContaining('encrypted, no key'),
        });
        expect(await fs.read(await nodeAt(fs, '/plain/file'), 0, 100)).toEqual(await readFile(path.join(dir, 'plain/file')));
        expect((await readdir(path.join(dir, 'secret'))).sort()).toEqual(
          (await fs.readdir(await nodeAt(fs, '/secret'))).map((e) => e.name).sort(),
        );

        // following an encrypted symlink through the guest-rooted resolver: one line naming the path
        const links = names.filter((n) => n.startsWith('/secret/') && (want.get(n)!.mode & 0o170000) === 0o120000);
        expect(links).toHaveLength(2);
        const tree = new GuestTree();
        await tree.mount('/', fs, await fs.root(), '/dev/sda1');
        for (const link of links) {
          await expect(readFile(path.join(dir, link))).rejects.toBeTruthy();
          const err = await tree.locate(link, true).then(
            () => undefined,
            (e: Error) => e,
          );
          expect(err?.message).toContain(link);
          expect(err?.message).toContain('encrypted, no key');
          expect(err?.message).not.toContain('\n');
          expect((await tree.locate(link, false)).stat.size).toBe(want.get(link)!.target!.length);
        }
      });
      await fs.close();
    } finally {
      await file.close();
    }
  });
});
