// guestfish's initrd-list and initrd-cat: the members of a guest's initrd, read in-process
// (src/ops/initrd.ts) on both engines: no cpio or decompressor runs on guest bytes, and
// nothing is unpacked onto the host (libguestfs's initrd-cat unpacks into a temporary
// directory, where a member that is a symlink could point anywhere).
import { JootError } from '../../core/errors.js';
import type { Session } from '../../appliance/index.js';
import { MAX_INITRD_BYTES, S_IFMT, S_IFREG, findEntry, readInitrd, type CpioEntry } from '../initrd.js';
import { earlyMicrocode, gzipStored, newcArchive } from '../initrd-samples.js';
import { guestBytes } from '../guest-bytes.js';
import { defineOp, type OpTest } from '../op.js';

async function entriesOf(session: Session, path: string): Promise<CpioEntry[]> {
  const image = await session.reader.readFile(path, { maxBytes: MAX_INITRD_BYTES });
  return readInitrd(image, path);
}

/** A small initrd in the early-microcode form, as /boot/initrd.img on the test disk. */
function sampleInitrd(): Buffer {
  const early = newcArchive([
    { name: 'kernel' },
    { name: 'kernel/x86' },
    { name: 'kernel/x86/microcode' },
    { name: 'kernel/x86/microcode/GenuineIntel.bin', data: 'ucode' },
  ]);
  const main = newcArchive([
    { name: '.' },
    { name: 'bin' },
    { name: 'bin/busybox', data: 'not really\n' },
    { name: 'bin/sh', data: 'busybox', symlink: true },
    { name: 'init', data: '#!/bin/sh\nexec /sbin/init\n' },
  ]);
  return earlyMicrocode(early, gzipStored(main));
}

const SAMPLE = (): (readonly string[])[] => [['mkdir', '/boot'], ...guestBytes('/boot/initrd.img', sampleInitrd())];
const PLAIN = (): (readonly string[])[] =>
  guestBytes('/initrd', newcArchive([{ name: 'etc' }, { name: 'etc/hostname', data: 'initrd\n' }]));

export const initrdList = defineOp({
  name: 'initrd-list',
  group: 'files',
  args: [{ name: 'path', type: 'path' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the files in an initrd',
  description: `List the names of the files in the initrd (initramfs) at path, one per line, in archive
    order, as cpio -t prints them. The initrd is one or more newc cpio archives, each uncompressed
    or compressed with gzip, xz, zstd or lzma: the early-microcode form Debian and Fedora write (an
    uncompressed cpio followed by a compressed one) lists the members of both. Read in-process:
    up to 512 MiB stored, 1 GiB unpacked and 500000 members.`,
  async impl(ctx, [path]) {
    return (await entriesOf(ctx.session, path)).map((e) => e.name);
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/initrd'], expect: 'empty\nknown-1\nknown-2\nknown-3\nknown-4\nknown-5' },
      { setup: PLAIN(), args: ['/initrd'], expect: 'etc\netc/hostname', title: 'an uncompressed cpio archive' },
      {
        setup: SAMPLE(),
        args: ['/boot/initrd.img'],
        expect: 'kernel\nkernel/x86\nkernel/x86/microcode\nkernel/x86/microcode/GenuineIntel.bin\n.\nbin\nbin/busybox\nbin/sh\ninit',
        title: 'early microcode then a gzip-compressed cpio',
      },
      {
        setup: [['write', '/f', 'not an initrd\n']],
        args: ['/f'],
        error: /^\/f: not an initrd \(neither a cpio archive nor compressed\)$/,
      },
      { args: ['/nope'], error: /\/nope: No such file or directory/ },
    ];
  },
});

export const initrdCat = defineOp({
  name: 'initrd-cat',
  group: 'files',
  args: [
    { name: 'initrdpath', type: 'path' },
    { name: 'filename', type: 'string' },
  ],
  returns: 'stream',
  needsLaunch: true,
  writes: false,
  summary: 'print a file from inside an initrd',
  description: `Print the contents of the file filename inside the initrd at initrdpath, byte for byte, as
    guestfish prints a buffer (no newline added). filename is the member's name without a leading
    "/" (as initrd-list prints it). A member that is a symlink is followed inside the initrd;
    directories and special files are refused. The initrd forms and limits are initrd-list's.`,
  async impl(ctx, [path, filename]) {
    const e = findEntry(await entriesOf(ctx.session, path), filename);
    if (!e) throw new JootError('ENOENT', `${path}: ${filename}: no such file in the initrd`);
    if ((e.mode & S_IFMT) !== S_IFREG) throw new JootError('EINVAL', `${path}: ${filename}: not a regular file in the initrd`);
    await ctx.out.write(e.data);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'iso', args: ['/initrd', 'known-4'], expect: 'abc\ndef\nghi' },
      { setup: PLAIN(), args: ['/initrd', 'etc/hostname'], expect: 'initrd' },
      {
        setup: SAMPLE(),
        args: ['/boot/initrd.img', 'kernel/x86/microcode/GenuineIntel.bin'],
        expect: 'ucode',
        title: 'a file of the early uncompressed archive',
      },
      { setup: SAMPLE(), args: ['/boot/initrd.img', '/bin/sh'], expect: 'not really', title: 'a symlink followed inside the initrd' },
      { setup: SAMPLE(), args: ['/boot/initrd.img', 'bin'], error: /^\/boot\/initrd\.img: bin: not a regular file in the initrd$/ },
      { setup: SAMPLE(), args: ['/boot/initrd.img', 'nope'], error: /^\/boot\/initrd\.img: nope: no such file in the initrd$/ },
    ];
  },
});

export const records = [initrdList, initrdCat] as const;
