// guestfish's file-architecture: the architecture a guest binary, library, kernel or initrd is
// built for, from its header bytes (src/inspect/file-arch.ts); no `file` or cpio runs on
// guest data, and an initrd is read in-process.
import { JootError } from '../../core/errors.js';
import { guestBytes } from '../../ops/guest-bytes.js';
import { MAX_INITRD_BYTES } from '../../ops/initrd.js';
import { newcArchive } from '../../ops/initrd-samples.js';
import { defineOp, type OpTest } from '../../ops/op.js';
import { ELF_SAMPLES, arm64ImageHeader, bzImageHeader, elfHeader } from '../arch-samples.js';
import { ARCH_HEAD_BYTES, headerArch, packedArch } from '../file-arch.js';
import { readHeadOf } from '../linux/arch.js';

const elf = (name: string, arch: string, type = 2) => guestBytes(name, elfHeader({ ...ELF_SAMPLES[arch]!, type }));

/**
 * libguestfs's tests: each of its test.iso's binaries (guestfs-test.iso holds libguestfs's own
 * files) with the architecture its generator expects.
 */
const LIBGUESTFS_BINARIES: readonly [string, string][] = [
  ['bin-aarch64-dynamic', 'aarch64'],
  ['bin-armv7-dynamic', 'arm'],
  ['bin-i586-dynamic', 'i386'],
  ['bin-ppc64-dynamic', 'ppc64'],
  ['bin-ppc64le-dynamic', 'ppc64le'],
  ['bin-riscv64-dynamic', 'riscv64'],
  ['bin-s390x-dynamic', 's390x'],
  ['bin-sparc-dynamic', 'sparc'],
  ['bin-win32.exe', 'i386'],
  ['bin-win64.exe', 'x86_64'],
  ['bin-x86_64-dynamic', 'x86_64'],
  ['lib-aarch64.so', 'aarch64'],
  ['lib-armv7.so', 'arm'],
  ['lib-i586.so', 'i386'],
  ['lib-ppc64.so', 'ppc64'],
  ['lib-ppc64le.so', 'ppc64le'],
  ['lib-riscv64.so', 'riscv64'],
  ['lib-s390x.so', 's390x'],
  ['lib-sparc.so', 'sparc'],
  ['lib-win32.dll', 'i386'],
  ['lib-win64.dll', 'x86_64'],
  ['lib-x86_64.so', 'x86_64'],
  ['initrd-x86_64.img', 'x86_64'],
  ['initrd-x86_64.img.gz', 'x86_64'],
  ['bin-x86_64-dynamic.gz', 'x86_64'],
  ['lib-i586.so.xz', 'i386'],
  ['lib-i586.so.zst', 'i386'],
];

export const fileArchitecture = defineOp({
  name: 'file-architecture',
  group: 'inspection',
  args: [{ name: 'filename', type: 'path' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the architecture of a binary, library, kernel or initrd',
  description: `Print the architecture a guest file is built for, with guestfish's names: i386, x86_64,
    aarch64, arm (every 32-bit ARM), ppc, ppc64, ppc64le, riscv32, riscv64, s390, s390x, sparc,
    sparc64, ia64, and the usual lower-case names of other machines (loongarch64, mips64el, …).
    It reads the header: an ELF executable, shared library or object (a vmlinux kernel too); a
    Windows PE image (PE32 is i386, PE32+ is x86_64, as guestfish says); a gzip, xz, zstd or lzma
    compressed file by what it holds (as guestfish, which runs file -z); an initrd (cpio,
    compressed or not), by the first of bin/ls, bin/rm, bin/modprobe, sbin/modprobe, bin/sh,
    bin/bash, bin/dash, bin/nash inside it. Unlike guestfish, which fails on them, an x86 bzImage
    kernel and an arm64 Image kernel are named too. Anything else is an error.`,
  async impl(ctx, [path]) {
    const head = await readHeadOf(ctx.session.reader)(path, ARCH_HEAD_BYTES);
    const arch = headerArch(head);
    if (arch) return arch;
    if (head.length < 6) throw new JootError('EINVAL', `${path}: unknown architecture`);
    return packedArch(await ctx.session.reader.readFile(path, { maxBytes: MAX_INITRD_BYTES }), path);
  },
  get tests(): readonly OpTest[] {
    return [
      ...LIBGUESTFS_BINARIES.map(([file, arch]): OpTest => ({ from: 'libguestfs', disk: 'iso', args: [`/${file}`], expect: arch })),
      { setup: elf('/la', 'loongarch64'), args: ['/la'], expect: 'loongarch64' },
      { setup: elf('/vmlinux', 's390x', 2), args: ['/vmlinux'], expect: 's390x', title: 'an ELF kernel (vmlinux)' },
      { setup: guestBytes('/vmlinuz', bzImageHeader(true)), args: ['/vmlinuz'], expect: 'x86_64', title: 'an x86-64 bzImage' },
      { setup: guestBytes('/Image', arm64ImageHeader()), args: ['/Image'], expect: 'aarch64', title: 'an arm64 Image kernel' },
      { setup: elf('/core', 'x86_64', 4), args: ['/core'], error: /^\/core: unknown architecture$/, title: 'an ELF core file' },
      { setup: [['write', '/t', 'text\n']], args: ['/t'], error: /^\/t: unknown architecture$/ },
      { disk: 'iso', args: ['/known-1'], error: /^\/known-1: unknown architecture$/, title: 'a text file (userspace engine)' },
      {
        disk: 'iso',
        args: ['/initrd'],
        error: /^\/initrd: could not determine architecture of cpio archive$/,
        title: 'an initrd without binaries (userspace engine)',
      },
      {
        setup: guestBytes('/initrd', newcArchive([{ name: 'etc' }])),
        args: ['/initrd'],
        error: /^\/initrd: could not determine architecture of cpio archive$/,
      },
    ];
  },
});

export const records = [fileArchitecture] as const;
