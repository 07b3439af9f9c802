import { describe, it, expect } from 'vitest';
import { detectArch, elfArch, readHeadOf } from '../../src/inspect/linux/arch.js';
import type { GuestFiles } from '../../src/inspect/types.js';
import { elfHeader, treeReaders } from './linux-guest-trees.js';

const reader = treeReaders('joot-arch-');

describe('ELF machine → virt-inspector arch', () => {
  const table: [string, 1 | 2, 1 | 2, number][] = [
    ['x86_64', 2, 1, 62],
    ['i386', 1, 1, 3],
    ['i386', 1, 1, 6],
    ['aarch64', 2, 1, 183],
    ['arm', 1, 1, 40],
    ['ppc64', 2, 2, 21],
    ['ppc64le', 2, 1, 21],
    ['ppc', 1, 2, 20],
    ['s390x', 2, 2, 22],
    ['s390', 1, 2, 22],
    ['riscv64', 2, 1, 243],
    ['riscv32', 1, 1, 243],
    ['sparc64', 2, 2, 43],
    ['sparc', 1, 2, 2],
    ['ia64', 2, 1, 50],
    ['mips64el', 2, 1, 8],
    ['mips', 1, 2, 8],
    ['loongarch64', 2, 1, 258],
  ];
  for (const [arch, cls, data, machine] of table) {
    it(`${arch} (class ${cls}, ${data === 1 ? 'LSB' : 'MSB'}, e_machine ${machine})`, () => {
      expect(elfArch(elfHeader(cls, data, machine))).toBe(arch);
    });
  }

  it('not ELF, short, bad class, unknown machine → undefined', () => {
    expect(elfArch(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(elfArch(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]))).toBeUndefined();
    expect(elfArch(elfHeader(2, 1, 62).fill(7, 4, 5))).toBeUndefined();
    expect(elfArch(elfHeader(2, 1, 0x7777))).toBeUndefined();
  });
});

describe('detectArch over a guest tree', () => {
  it('follows guest symlinks (/bin → usr/bin, busybox applets)', async () => {
    const files = await reader({
      bin: { symlink: '/usr/bin' },
      'usr/bin/busybox': elfHeader(2, 1, 183, 4096),
      'usr/bin/sh': { symlink: '/bin/busybox' },
      'usr/bin/ls': { symlink: 'busybox' },
    });
    expect(await detectArch(files)).toBe('aarch64');
  });

  it('skips scripts, dangling links and directories for the next candidate', async () => {
    const files = await reader({
      'bin/bash': '#!/bin/sh\nexec /bin/dash "$@"\n',
      'bin/ls': { symlink: '/nonexistent' },
      'bin/echo/x': '',
      'bin/rm': elfHeader(2, 2, 22, 512),
    });
    expect(await detectArch(files)).toBe('s390x');
  });

  it('nothing usable → undefined', async () => {
    expect(await detectArch(await reader({ 'etc/fstab': '' }))).toBeUndefined();
  });

  it('uses an injected readHead and reads only the head', async () => {
    const files = await reader({ 'bin/bash': elfHeader(2, 1, 243, 8192) });
    const asked: [string, number][] = [];
    const arch = await detectArch(files, {
      readHead: async (p, n) => {
        asked.push([p, n]);
        return (await files.readFile(p)).subarray(0, n);
      },
    });
    expect(arch).toBe('riscv64');
    expect(asked).toEqual([['/bin/bash', 64]]);
  });

  it("uses the reader's own readHead when it has one", async () => {
    const files = await reader({ 'bin/bash': elfHeader(2, 1, 62, 128) });
    let used = false;
    const withHead = Object.assign(Object.create(files) as GuestFiles, {
      readHead: async (p: string, n: number) => {
        used = true;
        return (await files.readFile(p)).subarray(0, n);
      },
    });
    expect(await readHeadOf(withHead)('/bin/bash', 20)).toHaveLength(20);
    expect(used).toBe(true);
  });
});
