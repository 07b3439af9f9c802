// Issue 17 point 5: the guest architecture of today's non-x86 guests from the ELF header of a
// guest binary (a few hundred bytes, built here), 32-bit ARM told apart by its build attributes.
import { afterAll, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { canRun, detectArch } from '../../src/inspect/linux/arch.js';
import { armVariant, cpuArchOfAttributes } from '../../src/inspect/linux/arm-attributes.js';
import { elfHeader, makeTree, removeTree } from './linux-guest-trees.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** The .ARM.attributes bytes of a GCC-built binary: a conformance string first (exercises the
 *  string form), then CPU name, CPU arch, profile 'A', and a few numeric tags. */
function attributes(cpuArch: number, le = true): Buffer {
  const attrs = Buffer.from([
    ...uleb(67),
    ...Buffer.from('2.09\0', 'latin1'),
    ...uleb(5),
    ...Buffer.from('7-A\0', 'latin1'),
    ...uleb(6),
    ...uleb(cpuArch),
    ...uleb(7),
    0x41,
    ...uleb(8),
    1,
    ...uleb(9),
    2,
    ...uleb(10),
    3,
  ]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b;
  };
  const sub = Buffer.concat([Buffer.from([1]), u32(5 + attrs.length), attrs]);
  const vendor = Buffer.from('aeabi\0', 'latin1');
  const section = Buffer.concat([u32(4 + vendor.length + sub.length), vendor, sub]);
  return Buffer.concat([Buffer.from('A', 'latin1'), section]);
}

/** A 32-bit ARM ELF of 640 bytes: header, attributes at 0x100, a 3-entry section table at 0x180. */
function armElf(cpuArch: number | undefined, le = true): Buffer {
  const b = elfHeader(1, le ? 1 : 2, 40, 640);
  const w16 = (o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w32(0x20, 0x180); // e_shoff
  w16(0x28, 52); // e_ehsize
  w16(0x2e, 40); // e_shentsize
  w16(0x30, 3); // e_shnum
  if (cpuArch !== undefined) {
    const a = attributes(cpuArch, le);
    a.copy(b, 0x100);
    const e = 0x180 + 2 * 40; // entry 2 (entry 0 is the null section, 1 .text-like)
    w32(e + 4, 0x70000003);
    w32(e + 16, 0x100);
    w32(e + 20, a.length);
  }
  w32(0x180 + 40 + 4, 1); // PROGBITS
  return b;
}

async function archOf(bin: Buffer): Promise<string | undefined> {
  const dir = await makeTree({ 'bin/bash': bin }, 'joot-arch17-');
  dirs.push(dir);
  return detectArch(new GuestReader(dir));
}

describe('arches of today from the ELF header (issue 17)', () => {
  const table: [string, Buffer][] = [
    ['aarch64', elfHeader(2, 1, 183, 320)],
    ['armv7l', armElf(10)],
    ['ppc64le', elfHeader(2, 1, 21, 320)],
    ['ppc64', elfHeader(2, 2, 21, 320)],
    ['s390x', elfHeader(2, 2, 22, 320)],
    ['riscv64', elfHeader(2, 1, 243, 320)],
    ['loongarch64', elfHeader(2, 1, 258, 320)],
  ];
  for (const [arch, bin] of table) {
    it(`${arch} (${bin.length} bytes)`, async () => {
      expect(await archOf(bin)).toBe(arch);
    });
  }

  it('32-bit ARM: v6 (Raspberry Pi OS armhf), v7, v8, big-endian; no attributes → arm', async () => {
    expect(await archOf(armElf(6))).toBe('armv6l'); // v6 (ARM1176)
    expect(await archOf(armElf(9))).toBe('armv6l'); // v6K
    expect(await archOf(armElf(14))).toBe('armv8l');
    expect(await archOf(armElf(10, false))).toBe('armv7b');
    expect(await archOf(armElf(4))).toBe('arm'); // v5TE
    expect(await archOf(armElf(undefined))).toBe('arm');
  });

  it('hostile attribute sections and tables give plain arm, never a throw', async () => {
    expect(cpuArchOfAttributes(Buffer.from('B'), true)).toBeUndefined();
    expect(cpuArchOfAttributes(Buffer.from([0x41, 0xff, 0xff, 0xff, 0x7f]), true)).toBeUndefined();
    const a = attributes(10);
    expect(cpuArchOfAttributes(a, true)).toBe(10);
    for (let cut = 1; cut < a.length; cut++) cpuArchOfAttributes(a.subarray(0, cut), true); // no throw
    const endless = Buffer.concat([a.subarray(0, 17), Buffer.alloc(40, 0xff)]); // ULEBs that never end
    expect(cpuArchOfAttributes(endless, true)).toBeUndefined();
    const huge = armElf(10);
    huge.writeUInt16LE(0xffff, 0x30); // e_shnum past the cap
    expect(await archOf(huge)).toBe('arm');
    const far = armElf(10);
    far.writeUInt32LE(0x7fffffff, 0x20); // section table past the end
    expect(await archOf(far)).toBe('arm');
    const bigSection = armElf(10);
    bigSection.writeUInt32LE(0x7fffffff, 0x180 + 80 + 20); // attributes size absurd
    expect(await archOf(bigSection)).toBe('arm');
    expect(await armVariant(Buffer.alloc(20), async () => Buffer.alloc(0))).toBeUndefined();
  });

  it('a 32-bit ARM host runs v6/v7/v8 little-endian guests', () => {
    expect(canRun('arm', 'armv7l')).toBe(true);
    expect(canRun('arm', 'armv7b')).toBe(false);
    expect(canRun('aarch64', 'armv7l')).toBe(false);
    expect(canRun('x86_64', 'i386')).toBe(true);
  });
});
