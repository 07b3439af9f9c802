// Headers of binaries for tests, a few hundred bytes each: ELF executables and shared objects
// of each architecture, PE32 / PE32+ images and kernel images, built from the header layouts
// (elf.h, the PE/COFF specification, the kernels' boot headers) rather than downloaded.

export interface ElfSample {
  /** ELFCLASS32 or ELFCLASS64 */
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  /** e_machine */
  readonly machine: number;
  /** e_type: 2 executable (default), 3 shared object, 1 relocatable, 4 core */
  readonly type?: number;
}

/** The architectures guestfish names, with their ELF identity. */
export const ELF_SAMPLES: Readonly<Record<string, ElfSample>> = {
  i386: { bits: 32, littleEndian: true, machine: 3 },
  x86_64: { bits: 64, littleEndian: true, machine: 62 },
  aarch64: { bits: 64, littleEndian: true, machine: 183 },
  arm: { bits: 32, littleEndian: true, machine: 40 },
  ppc64le: { bits: 64, littleEndian: true, machine: 21 },
  ppc64: { bits: 64, littleEndian: false, machine: 21 },
  ppc: { bits: 32, littleEndian: false, machine: 20 },
  s390x: { bits: 64, littleEndian: false, machine: 22 },
  riscv64: { bits: 64, littleEndian: true, machine: 243 },
  loongarch64: { bits: 64, littleEndian: true, machine: 258 },
  sparc: { bits: 32, littleEndian: false, machine: 2 },
  sparc64: { bits: 64, littleEndian: false, machine: 43 },
};

/** An ELF header (with an empty program header table) of `s`, padded to 256 bytes. */
export function elfHeader(s: ElfSample): Buffer {
  const b = Buffer.alloc(256);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = s.bits === 64 ? 2 : 1;
  b[5] = s.littleEndian ? 1 : 2;
  b[6] = 1; // EV_CURRENT
  const u16 = (v: number, at: number) => (s.littleEndian ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (s.littleEndian ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  u16(s.type ?? 2, 16);
  u16(s.machine, 18);
  u32(1, 20); // e_version
  u16(s.bits === 64 ? 64 : 52, s.bits === 64 ? 52 : 40); // e_ehsize
  return b;
}

/** A PE image's headers: PE32 (`plus` false) or PE32+, machine i386 / x86-64. */
export function peHeader(plus: boolean): Buffer {
  const b = Buffer.alloc(512);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(plus ? 0x8664 : 0x14c, 0x84);
  b.writeUInt16LE(plus ? 240 : 224, 0x94); // SizeOfOptionalHeader
  b.writeUInt16LE(plus ? 0x20b : 0x10b, 0x98);
  return b;
}

/** An x86 bzImage's boot sector and setup header (protocol 2.15), 64-bit or not. */
export function bzImageHeader(x86_64: boolean): Buffer {
  const b = Buffer.alloc(1024);
  b.writeUInt16LE(0xaa55, 0x1fe);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x20f, 0x206);
  if (x86_64) b.writeUInt16LE(0x1 | 0x2, 0x236); // XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
  return b;
}

/** An arm64 Image header ("ARM\x64" at 0x38). */
export function arm64ImageHeader(): Buffer {
  const b = Buffer.alloc(64);
  b.write('ARMd', 0x38, 'latin1');
  return b;
}
