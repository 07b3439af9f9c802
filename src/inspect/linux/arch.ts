// The guest architecture from the ELF header of a guest binary, with virt-inspector's names
// (libguestfs daemon/filearch.ml canonical_elf_arch, which maps `file`'s output; here the
// header fields are read directly, so no `file` command runs on guest data).
// Also the host's architecture in the same names, and whether it runs a guest's programs
// natively (jfish's command and sh, joot enter).

import { endianness } from 'node:os';
import type { GuestFiles } from '../types.js';
import { armVariant, type ReadAt } from './arm-attributes.js';

/** Reads the first `n` bytes of a guest file (following guest symlinks). */
export type ReadHead = (path: string, n: number) => Promise<Buffer>;

/** libguestfs's candidates (arch_binaries) first, then a few more for minimal systems. */
export const ARCH_BINARIES: readonly string[] = [
  '/bin/bash',
  '/bin/ls',
  '/bin/echo',
  '/bin/rm',
  '/bin/sh',
  '/usr/bin/bash',
  '/usr/bin/ls',
  '/bin/busybox',
  '/sbin/init',
  '/usr/lib/systemd/systemd',
];

/** Bytes needed: e_ident (16) + e_type (2) + e_machine (2). */
const ELF_HEAD = 64;

/** Without a readHead, the fallback reads whole files: a cap keeps a hostile binary cheap. */
const FALLBACK_MAX_BYTES = 16 * 1024 * 1024;

// e_machine values (elf.h).
const EM_SPARC = 2;
const EM_386 = 3;
const EM_68K = 4;
const EM_486 = 6;
const EM_MIPS = 8;
const EM_MIPS_RS3_LE = 10;
const EM_PARISC = 15;
const EM_SPARC32PLUS = 18;
const EM_PPC = 20;
const EM_PPC64 = 21;
const EM_S390 = 22;
const EM_ARM = 40;
const EM_SH = 42;
const EM_SPARCV9 = 43;
const EM_IA_64 = 50;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const EM_RISCV = 243;
const EM_LOONGARCH = 258;
const EM_ALPHA = 0x9026;

/**
 * The architecture named by an ELF header, or undefined when `head` is not ELF or the machine
 * is unknown. virt-inspector's names: i386, x86_64, aarch64, arm (32-bit ARM: detectArch then
 * reads the build attributes for armv6l / armv7l / armv8l, see arm-attributes.ts), ppc,
 * ppc64 / ppc64le (by byte order), s390 / s390x and riscv32 / riscv64 (by class), sparc,
 * sparc64, ia64. For machines libguestfs passes through as `file` prints them (MIPS,
 * LoongArch…), joot uses the usual lower-case names instead (mips, mipsel, mips64, mips64el,
 * loongarch64, …).
 */
export function elfArch(head: Uint8Array): string | undefined {
  if (head.length < 20) return undefined;
  if (head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return undefined;
  const cls = head[4]; // 1 = 32-bit, 2 = 64-bit
  const data = head[5]; // 1 = little endian (LSB), 2 = big endian (MSB)
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const is64 = cls === 2;
  const le = data === 1;
  const machine = le ? head[18]! | (head[19]! << 8) : (head[18]! << 8) | head[19]!;
  switch (machine) {
    case EM_386:
    case EM_486:
      return 'i386';
    case EM_X86_64:
      return 'x86_64'; // x32 binaries too, as with `file` ("x86-64")
    case EM_SPARC:
    case EM_SPARC32PLUS:
      return 'sparc';
    case EM_SPARCV9:
      return 'sparc64';
    case EM_IA_64:
      return 'ia64';
    case EM_PPC64:
      return le ? 'ppc64le' : 'ppc64';
    case EM_PPC:
      return 'ppc';
    case EM_AARCH64:
      return 'aarch64';
    case EM_ARM:
      return 'arm';
    case EM_RISCV:
      return is64 ? 'riscv64' : 'riscv32';
    case EM_S390:
      return is64 ? 's390x' : 's390';
    case EM_MIPS:
    case EM_MIPS_RS3_LE:
      return (is64 ? 'mips64' : 'mips') + (le ? 'el' : '');
    case EM_LOONGARCH:
      return is64 ? 'loongarch64' : 'loongarch32';
    case EM_PARISC:
      return is64 ? 'parisc64' : 'parisc';
    case EM_68K:
      return 'm68k';
    case EM_SH:
      return le ? 'sh4' : 'sh4eb';
    case EM_ALPHA:
      return 'alpha';
    default:
      return undefined;
  }
}

/** Positional reads of one guest file: through openFile when the reader has it, else a capped
 *  whole-file read (test fakes). */
export function readAtOf(files: GuestFiles, path: string): ReadAt {
  return async (position, length) => {
    if (files.openFile) {
      const fh = await files.openFile(path);
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close().catch(() => undefined);
      }
    }
    const whole = await files.readFile(path, { maxBytes: FALLBACK_MAX_BYTES });
    return whole.subarray(position, position + length);
  };
}

/** A readHead over GuestFiles: the reader's own readHead when it has one, else a capped
 *  whole-file read (GuestReader.readFile refuses, rather than truncates, larger files). */
export function readHeadOf(files: GuestFiles): ReadHead {
  const own = (files as { readHead?: unknown }).readHead;
  if (typeof own === 'function') {
    return (path, n) => (own as ReadHead).call(files, path, n);
  }
  return async (path, n) => {
    const buf = await files.readFile(path, { maxBytes: FALLBACK_MAX_BYTES });
    return buf.subarray(0, n);
  };
}

/**
 * The architecture of the first candidate binary (guest symlinks followed inside the guest)
 * that is a regular file with a known ELF header; undefined when none is.
 */
export async function detectArch(
  files: GuestFiles,
  opts: { readHead?: ReadHead; readAt?: (files: GuestFiles, path: string) => ReadAt; candidates?: readonly string[] } = {},
): Promise<string | undefined> {
  const readHead = opts.readHead ?? readHeadOf(files);
  for (const bin of opts.candidates ?? ARCH_BINARIES) {
    try {
      if (!(await files.isFile(bin))) continue;
      const head = await readHead(bin, ELF_HEAD);
      const arch = elfArch(head);
      // 32-bit ARM: the build attributes tell v6 / v7 / v8 apart (armv7l, …); else "arm"
      if (arch === 'arm') return (await armVariant(head, (opts.readAt ?? readAtOf)(files, bin)).catch(() => undefined)) ?? arch;
      if (arch !== undefined) return arch;
    } catch {
      // unreadable or too large for the fallback: try the next candidate
    }
  }
  return undefined;
}

/** The host's architecture in virt-inspector's names (those elfArch returns). */
export function hostArch(arch: string = process.arch, le = endianness() === 'LE'): string {
  const names: Record<string, string> = {
    x64: 'x86_64',
    ia32: 'i386',
    arm64: 'aarch64',
    arm: 'arm',
    ppc64: le ? 'ppc64le' : 'ppc64',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loongarch64',
    mips: 'mips',
    mipsel: 'mipsel',
  };
  return names[arch] ?? arch;
}

/** Whether a host of architecture `host` runs `guest` binaries natively. */
export function canRun(host: string, guest: string): boolean {
  // Node says only "arm" for a 32-bit ARM host: take it as running any little-endian 32-bit ARM
  if (host === 'arm' && /^arm(v[678]l)?$/.test(guest)) return true;
  return guest === host || (host === 'x86_64' && guest === 'i386');
}
