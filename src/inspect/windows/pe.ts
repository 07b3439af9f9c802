// The architecture of a Windows guest from the PE header of one of its System32 binaries
// (libguestfs runs `file` on %systemroot%\System32\cmd.exe; here the COFF machine field is
// read directly). virt-inspector's names: i386, x86_64, aarch64, arm, ia64.
import type { GuestFiles } from '../types.js';
import { nocaseFile } from './paths.js';

/** System32 binaries tried in order (relative to the systemroot). */
export const PE_BINARIES = ['System32/cmd.exe', 'System32/ntoskrnl.exe', 'System32/kernel32.dll', 'explorer.exe', 'regedit.exe'];

const MACHINES: Record<number, string> = {
  0x014c: 'i386',
  0x8664: 'x86_64',
  0xaa64: 'aarch64',
  0x01c0: 'arm',
  0x01c2: 'arm',
  0x01c4: 'arm',
  0x0200: 'ia64',
};

const HEAD = 4096;

/** The PE machine of an image's first bytes, or undefined when it is not a PE image. */
export function peMachine(head: Uint8Array): number | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length < 0x40 || b[0] !== 0x4d || b[1] !== 0x5a) return undefined; // "MZ"
  const lfanew = b.readUInt32LE(0x3c);
  if (lfanew + 6 > b.length) return undefined;
  if (b.readUInt32LE(lfanew) !== 0x00004550) return undefined; // "PE\0\0"
  return b.readUInt16LE(lfanew + 4);
}

/** virt-inspector's name for a PE header's machine, or undefined. */
export function peArch(head: Uint8Array): string | undefined {
  const m = peMachine(head);
  return m === undefined ? undefined : MACHINES[m];
}

/** The arch of the first System32 binary with a known PE machine. */
export async function windowsArch(files: GuestFiles, systemroot: string): Promise<string | undefined> {
  for (const rel of PE_BINARIES) {
    const p = await nocaseFile(files, `${systemroot}/${rel}`);
    if (!p) continue;
    try {
      const arch = peArch(await files.readHead(p, HEAD));
      if (arch) return arch;
    } catch {
      // unreadable: try the next one
    }
  }
  return undefined;
}
