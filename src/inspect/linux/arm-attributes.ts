// Which 32-bit ARM a guest binary is built for: the ELF header says only "ARM" (e_machine 40),
// the build attributes section (SHT_ARM_ATTRIBUTES, "aeabi" vendor, Tag_CPU_arch; ARM IHI 0045)
// says v6, v7 or v8. The names are the kernel's `uname -m` (and libvirt's): armv6l, armv7l,
// armv8l, with "b" for big-endian. Only ARM guests pay for this (two more small reads).
// Guest bytes are hostile: every count, offset and length is checked before use.

/** Reads `length` bytes at `position` of the guest file (fewer at its end). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

const SHT_ARM_ATTRIBUTES = 0x70000003;
/** More sections than this is not a binary worth reading the table of. */
const MAX_SECTIONS = 4096;
/** Real attribute sections are about 50 bytes. */
const MAX_ATTRIBUTES = 64 * 1024;
const TAG_CPU_ARCH = 6;

/** Tag_CPU_arch → the uname -m stem (without the l/b of the byte order). */
function stemOf(cpuArch: number): string | undefined {
  if (cpuArch >= 14) return 'armv8'; // v8-A AArch32 and later profiles
  if (cpuArch >= 10) return 'armv7'; // v7, v6-M, v6S-M, v7E-M
  if (cpuArch >= 6) return 'armv6'; // v6, v6KZ, v6T2, v6K
  return undefined; // v4/v5: "arm" as libguestfs says
}

/** ULEB128 at buf[pos]: [value, next position], or undefined past `end` / when too long. */
function uleb(buf: Buffer, pos: number, end: number): [number, number] | undefined {
  let v = 0;
  for (let shift = 0; shift < 35 && pos < end; shift += 7) {
    const b = buf[pos++]!;
    v += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [v, pos];
  }
  return undefined;
}

/** Tag_CPU_arch from an attributes section's bytes, or undefined. */
export function cpuArchOfAttributes(sec: Buffer, le: boolean): number | undefined {
  if (sec.length < 1 || sec[0] !== 0x41) return undefined; // format-version 'A'
  const u32 = (o: number) => (le ? sec.readUInt32LE(o) : sec.readUInt32BE(o));
  let pos = 1;
  while (pos + 4 <= sec.length) {
    const len = u32(pos);
    const end = pos + len;
    if (len < 5 || end > sec.length) return undefined;
    const nul = sec.indexOf(0, pos + 4);
    if (nul < 0 || nul >= end) return undefined;
    const vendor = sec.toString('latin1', pos + 4, nul);
    if (vendor === 'aeabi') {
      // sub-subsections: tag (1 = the whole file), u32 size, then attributes
      let p = nul + 1;
      while (p + 5 <= end) {
        const kind = sec[p]!;
        const size = u32(p + 1);
        const subEnd = p + size;
        if (size < 5 || subEnd > end) return undefined;
        if (kind === 1) {
          let q = p + 5;
          while (q < subEnd) {
            const t = uleb(sec, q, subEnd);
            if (!t) return undefined;
            const [tag, afterTag] = t;
            q = afterTag;
            if (tag === TAG_CPU_ARCH) return uleb(sec, q, subEnd)?.[0];
            // the value's form: strings for 4, 5, 67 and odd tags above 32; 32 is a number and
            // a string; the rest numbers (ARM IHI 0045, "Attribute tags and their values")
            const isString = tag === 4 || tag === 5 || tag === 67 || (tag > 32 && tag % 2 === 1);
            if (tag === 32) {
              const n = uleb(sec, q, subEnd);
              if (!n) return undefined;
              q = n[1];
            }
            if (isString || tag === 32) {
              const z = sec.indexOf(0, q);
              if (z < 0 || z >= subEnd) return undefined;
              q = z + 1;
            } else {
              const n = uleb(sec, q, subEnd);
              if (!n) return undefined;
              q = n[1];
            }
          }
        }
        p = subEnd;
      }
    }
    pos = end;
  }
  return undefined;
}

/**
 * The uname -m name of a 32-bit ARM ELF file whose first bytes are `head` (at least the 52-byte
 * ELF32 header): armv6l / armv7l / armv8l (…b big-endian), or undefined when its attributes do
 * not say (then it is plain "arm").
 */
export async function armVariant(head: Buffer, readAt: ReadAt): Promise<string | undefined> {
  if (head.length < 52 || head[4] !== 1) return undefined; // ELFCLASS32 only
  const le = head[5] === 1;
  const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const shoff = u32(head, 0x20);
  const shentsize = u16(0x2e);
  const shnum = u16(0x30);
  if (shoff === 0 || shentsize < 40 || shnum === 0 || shnum > MAX_SECTIONS) return undefined;
  const table = await readAt(shoff, shentsize * shnum);
  if (table.length < shentsize * shnum) return undefined;
  for (let i = 0; i < shnum; i++) {
    const e = i * shentsize;
    if (u32(table, e + 4) !== SHT_ARM_ATTRIBUTES) continue;
    const off = u32(table, e + 16);
    const size = u32(table, e + 20);
    if (size === 0 || size > MAX_ATTRIBUTES) return undefined;
    const sec = await readAt(off, size);
    if (sec.length < size) return undefined;
    const cpu = cpuArchOfAttributes(sec, le);
    const stem = cpu === undefined ? undefined : stemOf(cpu);
    return stem === undefined ? undefined : stem + (le ? 'l' : 'b');
  }
  return undefined;
}
