// guestfish's file-architecture, from the bytes of a guest file rather than from `file`'s
// output (libguestfs daemon/filearch.ml): an ELF executable, shared object or relocatable
// object (a vmlinux kernel too) by its header; a PE image by its optional header's magic (as
// libguestfs: PE32 is i386, PE32+ is x86_64); an initrd by the first of the binaries libguestfs
// looks for inside it. Beyond libguestfs, which fails on them: an x86 bzImage kernel (its setup
// header's 64-bit flag) and an arm64 / riscv64 Image kernel (their header magic).
import { JootError } from '../core/errors.js';
import { S_IFMT, S_IFREG, findEntry, readInitrd, unpack } from '../ops/initrd.js';
import { elfArch } from './linux/arch.js';

/** libguestfs's initrd_binaries, in its order. */
export const INITRD_BINARIES = ['bin/ls', 'bin/rm', 'bin/modprobe', 'sbin/modprobe', 'bin/sh', 'bin/bash', 'bin/dash', 'bin/nash'];

/** Bytes the header checks need (a PE header may sit a little way in). */
export const ARCH_HEAD_BYTES = 4096;

/** ELF e_type: relocatable, executable, shared object (`file` says so; core files are not). */
const ELF_TYPES = new Set([1, 2, 3]);

/**
 * guestfish's name for the architecture of an ELF or PE header or a kernel image's header, or
 * undefined when `head` is none of them (or a machine without a name).
 */
export function headerArch(head: Buffer): string | undefined {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const type = head[5] === 2 ? head.readUInt16BE(16) : head.readUInt16LE(16);
    if (!ELF_TYPES.has(type)) return undefined;
    const arch = elfArch(head);
    // file-architecture names every 32-bit ARM "arm", as guestfish's does
    return arch?.startsWith('arm') && arch !== 'arm64' ? 'arm' : arch;
  }
  return peArch(head) ?? kernelArch(head);
}

/** PE32 → i386, PE32+ → x86_64, by the optional header's magic (what `file` tells apart). */
function peArch(b: Buffer): string | undefined {
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return undefined;
  const pe = b.readUInt32LE(0x3c);
  if (pe + 26 > b.length || b.readUInt32LE(pe) !== 0x00004550) return undefined;
  const magic = b.readUInt16LE(pe + 24);
  if (magic === 0x10b) return 'i386';
  if (magic === 0x20b) return 'x86_64';
  return undefined;
}

/** A Linux kernel image that is not ELF: x86 bzImage, arm64 and riscv Image. */
function kernelArch(b: Buffer): string | undefined {
  // arm64 Image: "ARM\x64" at 0x38; riscv Image: "RSC\x05" at 0x38
  if (b.length >= 0x40 && b.readUInt32LE(0x38) === 0x644d5241) return 'aarch64';
  if (b.length >= 0x40 && b.readUInt32LE(0x38) === 0x05435352) return 'riscv64';
  // x86 boot protocol: "HdrS" at 0x202; xloadflags (protocol 2.12+) bit 0 = a 64-bit kernel
  if (b.length >= 0x238 && b.readUInt16LE(0x1fe) === 0xaa55 && b.toString('latin1', 0x202, 0x206) === 'HdrS') {
    const version = b.readUInt16LE(0x206);
    if (version >= 0x20c) return (b.readUInt16LE(0x236) & 1) === 1 ? 'x86_64' : 'i386';
    return 'i386';
  }
  return undefined;
}

/** Whether `head` starts a cpio archive. */
export function isCpio(head: Buffer): boolean {
  const s = head.toString('latin1', 0, 6);
  return s === '070701' || s === '070702';
}

/**
 * The architecture of a file whose header named none: a compressed binary (as `file -z` looks
 * inside gzip, xz, zstd and lzma data) or an initrd, by the first of libguestfs's initrd binaries
 * it holds. `image` is the whole file.
 */
export async function packedArch(image: Buffer, what: string): Promise<string> {
  let data = image;
  if (!isCpio(image)) {
    const unpacked = await unpack(image, what);
    if (!unpacked) throw new JootError('EINVAL', `${what}: unknown architecture`);
    data = unpacked;
    const arch = headerArch(data.subarray(0, ARCH_HEAD_BYTES));
    if (arch) return arch;
    if (!isCpio(data)) throw new JootError('EINVAL', `${what}: unknown architecture`);
  }
  const entries = await readInitrd(data, what);
  for (const bin of INITRD_BINARIES) {
    const e = findEntry(entries, bin);
    if (!e || (e.mode & S_IFMT) !== S_IFREG) continue;
    const arch = headerArch(e.data.subarray(0, ARCH_HEAD_BYTES));
    if (arch) return arch;
    throw new JootError('EINVAL', `${what}: unknown architecture of ${bin} in the initrd`);
  }
  throw new JootError('EINVAL', `${what}: could not determine architecture of cpio archive`);
}
