// guestfish's file-architecture: the architecture a guest binary, library, kernel or initrd is
// built for, from its header bytes (src/inspect/file-arch.ts); no `file` or cpio runs on
// guest data, and an initrd is read in-process.
import { JootError } from '../../core/errors.js';
import { guestBytes } from '../../ops/guest-bytes.js';
import { MAX_INITRD_BYTES } from '../../ops/initrd.js';
import { gzipStored, newcArchive, xzStored } from '../../ops/initrd-samples.js';
import { defineOp, type OpTest } from '../../ops/op.js';
import { ELF_SAMPLES, arm64ImageHeader, bzImageHeader, elfHeader, peHeader } from '../arch-samples.js';
import { ARCH_HEAD_BYTES, headerArch, packedArch } from '../file-arch.js';
import { readHeadOf } from '../linux/arch.js';

const elf = (name: string, arch: string, type = 2) => guestBytes(name, elfHeader({ ...ELF_SAMPLES[arch]!, type }));

/** libguestfs's test files (its test.iso's bin-*, lib-*.so, initrd-*), made on the test disk with their names. */
function libguestfsCase(file: string, expect: string, bytes: Buffer): OpTest {
  return { from: 'libguestfs', setup: guestBytes(`/${file}`, bytes), args: [`/${file}`], expect };
}

const lib = (arch: string) => elfHeader({ ...ELF_SAMPLES[arch]!, type: 3 });

function initrdOf(arch: string): Buffer {
  return newcArchive([{ name: 'bin' }, { name: 'bin/ls', data: elfHeader(ELF_SAMPLES[arch]!) }]);
}

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
  guestfishDiffers:
    "libguestfs's test files (bin-*-dynamic, lib-*.so, bin-win*.exe, initrd-x86_64.img… of its test.iso) are real binaries; here each is its header (its initrd a cpio holding one), made on the test disk under the same name",
  get tests(): readonly OpTest[] {
    return [
      libguestfsCase('bin-aarch64-dynamic', 'aarch64', elfHeader(ELF_SAMPLES.aarch64!)),
      libguestfsCase('bin-armv7-dynamic', 'arm', elfHeader(ELF_SAMPLES.arm!)),
      libguestfsCase('bin-i586-dynamic', 'i386', elfHeader(ELF_SAMPLES.i386!)),
      libguestfsCase('bin-ppc64-dynamic', 'ppc64', elfHeader(ELF_SAMPLES.ppc64!)),
      libguestfsCase('bin-ppc64le-dynamic', 'ppc64le', elfHeader(ELF_SAMPLES.ppc64le!)),
      libguestfsCase('bin-riscv64-dynamic', 'riscv64', elfHeader(ELF_SAMPLES.riscv64!)),
      libguestfsCase('bin-s390x-dynamic', 's390x', elfHeader(ELF_SAMPLES.s390x!)),
      libguestfsCase('bin-sparc-dynamic', 'sparc', elfHeader(ELF_SAMPLES.sparc!)),
      libguestfsCase('bin-win32.exe', 'i386', peHeader(false)),
      libguestfsCase('bin-win64.exe', 'x86_64', peHeader(true)),
      libguestfsCase('bin-x86_64-dynamic', 'x86_64', elfHeader(ELF_SAMPLES.x86_64!)),
      libguestfsCase('lib-aarch64.so', 'aarch64', lib('aarch64')),
      libguestfsCase('lib-armv7.so', 'arm', lib('arm')),
      libguestfsCase('lib-i586.so', 'i386', lib('i386')),
      libguestfsCase('lib-ppc64.so', 'ppc64', lib('ppc64')),
      libguestfsCase('lib-ppc64le.so', 'ppc64le', lib('ppc64le')),
      libguestfsCase('lib-sparc.so', 'sparc', lib('sparc')),
      libguestfsCase('lib-win32.dll', 'i386', peHeader(false)),
      libguestfsCase('lib-win64.dll', 'x86_64', peHeader(true)),
      libguestfsCase('lib-x86_64.so', 'x86_64', lib('x86_64')),
      libguestfsCase('initrd-x86_64.img', 'x86_64', initrdOf('x86_64')),
      libguestfsCase('initrd-x86_64.img.gz', 'x86_64', gzipStored(initrdOf('x86_64'))),
      libguestfsCase('bin-x86_64-dynamic.gz', 'x86_64', gzipStored(elfHeader(ELF_SAMPLES.x86_64!))),
      libguestfsCase('lib-i586.so.xz', 'i386', xzStored(lib('i386'))),
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
