// file-architecture's header reading (src/inspect/file-arch.ts): each architecture's ELF header,
// shared objects, PE32 / PE32+, kernels, compressed binaries and initrds.
import { describe, expect, it } from 'vitest';
import { ELF_SAMPLES, arm64ImageHeader, bzImageHeader, elfHeader, peHeader } from '../../src/inspect/arch-samples.js';
import { headerArch, packedArch } from '../../src/inspect/file-arch.js';
import { earlyMicrocode, gzipStored, newcArchive, xzStored, zstdStored } from '../../src/ops/initrd-samples.js';

describe('headerArch', () => {
  it.each(Object.keys(ELF_SAMPLES))('an ELF executable and shared object of %s', (arch) => {
    expect(headerArch(elfHeader(ELF_SAMPLES[arch]!))).toBe(arch);
    expect(headerArch(elfHeader({ ...ELF_SAMPLES[arch]!, type: 3 }))).toBe(arch);
    expect(headerArch(elfHeader({ ...ELF_SAMPLES[arch]!, type: 1 }))).toBe(arch);
  });

  it('names s390 and riscv32 by class, and refuses core files', () => {
    expect(headerArch(elfHeader({ bits: 32, littleEndian: false, machine: 22 }))).toBe('s390');
    expect(headerArch(elfHeader({ bits: 32, littleEndian: true, machine: 243 }))).toBe('riscv32');
    expect(headerArch(elfHeader({ ...ELF_SAMPLES.x86_64!, type: 4 }))).toBeUndefined();
  });

  it('PE32 is i386 and PE32+ x86_64, as guestfish says', () => {
    expect(headerArch(peHeader(false))).toBe('i386');
    expect(headerArch(peHeader(true))).toBe('x86_64');
  });

  it('kernels: bzImage (64-bit or not) and arm64 Image', () => {
    expect(headerArch(bzImageHeader(true))).toBe('x86_64');
    expect(headerArch(bzImageHeader(false))).toBe('i386');
    expect(headerArch(arm64ImageHeader())).toBe('aarch64');
  });

  it('short or unknown data names nothing', () => {
    expect(headerArch(Buffer.from('\x7fELF'))).toBeUndefined();
    expect(headerArch(Buffer.alloc(100))).toBeUndefined();
    expect(headerArch(Buffer.from('MZ'))).toBeUndefined();
  });
});

describe('packedArch', () => {
  const initrd = (arch: string, bin = 'bin/ls') => newcArchive([{ name: 'bin' }, { name: bin, data: elfHeader(ELF_SAMPLES[arch]!) }]);

  it('compressed binaries', async () => {
    expect(await packedArch(gzipStored(elfHeader(ELF_SAMPLES.x86_64!)), 'f')).toBe('x86_64');
    expect(await packedArch(xzStored(elfHeader(ELF_SAMPLES.i386!)), 'f')).toBe('i386');
    expect(await packedArch(zstdStored(elfHeader(ELF_SAMPLES.riscv64!)), 'f')).toBe('riscv64');
  });

  it('initrds, compressed or not, in the early-microcode form too', async () => {
    expect(await packedArch(initrd('aarch64'), 'i')).toBe('aarch64');
    expect(await packedArch(gzipStored(initrd('s390x', 'bin/sh')), 'i')).toBe('s390x');
    const early = newcArchive([{ name: 'kernel/x86/microcode/GenuineIntel.bin', data: 'u' }]);
    expect(await packedArch(earlyMicrocode(early, zstdStored(initrd('x86_64', 'sbin/modprobe'))), 'i')).toBe('x86_64');
  });

  it('follows bin/sh → busybox inside the initrd', async () => {
    const a = newcArchive([
      { name: 'bin/busybox', data: elfHeader(ELF_SAMPLES.ppc64le!) },
      { name: 'bin/sh', data: 'busybox', symlink: true },
    ]);
    expect(await packedArch(a, 'i')).toBe('ppc64le');
  });

  it('errors', async () => {
    await expect(packedArch(newcArchive([{ name: 'etc' }]), 'i')).rejects.toThrow(/^i: could not determine architecture of cpio archive$/);
    await expect(packedArch(Buffer.from('just text'), 't')).rejects.toThrow(/^t: unknown architecture$/);
    await expect(packedArch(gzipStored(Buffer.from('text')), 't')).rejects.toThrow(/^t: unknown architecture$/);
  });
});
