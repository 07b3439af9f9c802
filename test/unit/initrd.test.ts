// The in-process initrd reader (src/ops/initrd.ts): newc cpio alone, compressed with gzip, xz,
// zstd and lzma (the encoders are the host's programs where the test uses them, and the
// format-only "stored" encoders of initrd-samples), the early-microcode concatenation, and
// hostile headers refused with one line.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findEntry, readInitrd } from '../../src/ops/initrd.js';
import { earlyMicrocode, gzipStored, newcArchive, xzStored, zstdStored } from '../../src/ops/initrd-samples.js';

const archive = newcArchive([
  { name: '.' },
  { name: 'bin' },
  { name: 'bin/busybox', data: 'BB' },
  { name: 'bin/sh', data: 'busybox', symlink: true },
  { name: 'etc/hostname', data: 'box\n' },
]);
const names = ['.', 'bin', 'bin/busybox', 'bin/sh', 'etc/hostname'];

const host = (prog: string, args: string[], input: Buffer) => execFileSync(prog, args, { input, maxBuffer: 1 << 26 });

describe('readInitrd', () => {
  it.each([
    ['uncompressed', () => archive],
    ['gzip', () => host('gzip', ['-c'], archive)],
    ['gzip, stored blocks', () => gzipStored(archive)],
    ['xz (crc32, as the kernel builds it)', () => host('xz', ['-c', '--check=crc32'], archive)],
    ['xz (crc64, xz default)', () => host('xz', ['-c'], archive)],
    ['xz, stored chunks', () => xzStored(archive)],
    ['zstd', () => host('zstd', ['-q', '-c'], archive)],
    ['zstd, raw blocks', () => zstdStored(archive)],
    ['lzma', () => host('xz', ['-c', '--format=lzma'], archive)],
  ])('%s', async (_, make) => {
    const entries = await readInitrd(make(), '/boot/initrd');
    expect(entries.map((e) => e.name)).toEqual(names);
    expect(findEntry(entries, '/bin/sh')?.data.toString()).toBe('BB');
  });

  it('early microcode (uncompressed) then a compressed archive, with padding between', async () => {
    const early = newcArchive([{ name: 'kernel/x86/microcode/AuthenticAMD.bin', data: 'ucode' }]);
    const padded = Buffer.concat([early, Buffer.alloc(512 - (early.length % 512))]);
    for (const main of [gzipStored(archive), host('zstd', ['-q', '-c'], archive), host('xz', ['-c', '--check=crc32'], archive)]) {
      const entries = await readInitrd(earlyMicrocode(padded, main), 'i');
      expect(entries.map((e) => e.name)).toEqual(['kernel/x86/microcode/AuthenticAMD.bin', ...names]);
    }
  });

  it('zstd followed by zero padding', async () => {
    const entries = await readInitrd(Buffer.concat([host('zstd', ['-q', '-c'], archive), Buffer.alloc(300)]), 'i');
    expect(entries.map((e) => e.name)).toEqual(names);
  });

  it('cpio -o -H newc output, as mkinitramfs writes it', async () => {
    const made = execFileSync('sh', ['-c', 'cd /etc && printf "%s\\n" hostname passwd | cpio --quiet -o -H newc'], { maxBuffer: 1 << 24 });
    const entries = await readInitrd(made, 'i');
    expect(entries.map((e) => e.name)).toEqual(['hostname', 'passwd']);
  });

  it.each([
    ['not an initrd', Buffer.from('hello world'), /^i: not an initrd \(neither a cpio archive nor compressed\)$/],
    ['a header cut short', archive.subarray(0, 60), /^i: a cpio header runs past the end of the data$/],
    ['data past the end', archive.subarray(0, 300), /^i: .*runs past the end/],
    ['a bad hex field', Buffer.from(`070701${'z'.repeat(104)}`), /^i: a bad cpio header field at byte 0$/],
    ['an old binary cpio', Buffer.from([0xc7, 0x71, 0, 0]), /^i: an old-format \(odc or binary\) cpio archive/],
    ['bzip2', host('bzip2', ['-c'], archive), /^i: bzip2-compressed initrds are not read/],
    ['corrupt gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(30, 0xff)]), /^i: the gzip data does not decompress/],
  ])('refuses %s with one line', async (_, bytes, message) => {
    await expect(readInitrd(bytes, 'i')).rejects.toThrow(message);
  });

  it('a huge name size is refused', async () => {
    const b = Buffer.from(archive);
    b.write('00ffffff', 6 + 11 * 8, 'latin1');
    await expect(readInitrd(b, 'i')).rejects.toThrow(/^i: a cpio name of 16777215 bytes at byte 0$/);
  });

  it('a symlink loop inside the archive finds nothing', async () => {
    const loop = newcArchive([
      { name: 'a', data: 'b', symlink: true },
      { name: 'b', data: 'a', symlink: true },
    ]);
    expect(findEntry(await readInitrd(loop, 'i'), 'a')).toBeUndefined();
  });
});

describe('the stored encoders make what xz and zstd read', () => {
  it.each([
    ['xz', xzStored, ['xz', ['-dc']]],
    ['zstd', zstdStored, ['zstd', ['-q', '-dc']]],
  ] as const)('%s', (_, encode, [prog, args]) => {
    const big = Buffer.concat([archive, Buffer.alloc(200_000, 7)]);
    expect(host(prog, [...args], encode(big)).equals(big)).toBe(true);
  });
});
