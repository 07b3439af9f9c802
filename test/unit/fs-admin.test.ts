// fs-admin, the pure parts: type names, label and uuid rules, the argument lists each tool
// gets, checkers' exit codes → fsck(8) bits, one-line error messages from real tool output.
import { describe, expect, it } from 'vitest';
import {
  e2fsckArgs,
  fsckPlan,
  meaningfulLine,
  mkfsCommands,
  normalizeFsType,
  resize2fsArgs,
  setLabelCommand,
  setUuidCommand,
  toolMessage,
  usageFromStatfs,
  validateLabel,
  validateRelabel,
  validateUuid,
} from '../../src/appliance/fs-admin/index.js';
import { JootError } from '../../src/core/errors.js';

function jerr(fn: () => unknown): JootError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JootError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const D = '/dev/loop9';
const U = '01234567-89ab-cdef-0123-456789abcdef';

describe('filesystem type names', () => {
  it('canonical names and aliases', () => {
    expect(normalizeFsType('EXT4')).toBe('ext4');
    expect(normalizeFsType('fat')).toBe('vfat');
    expect(normalizeFsType('msdos')).toBe('vfat');
    expect(normalizeFsType('swap')).toBe('swap');
  });
  it('an unknown type is one EINVAL line listing the supported ones', () => {
    const e = jerr(() => normalizeFsType('reiserfs'));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(
      "unknown filesystem type 'reiserfs' (supported: ext2, ext3, ext4, xfs, btrfs, vfat, ntfs, swap; fat and msdos mean vfat)",
    );
    expect(e.message).not.toContain('\n');
  });
});

describe('label rules', () => {
  it.each([
    ['ext4', 16, 'bytes'],
    ['ext2', 16, 'bytes'],
    ['xfs', 12, 'bytes'],
    ['btrfs', 254, 'bytes'],
    ['vfat', 11, 'characters'],
    ['ntfs', 128, 'UTF-16 units'],
    ['swap', 15, 'bytes'],
  ])('%s: %i %s fit, one more does not', (type, max, unit) => {
    expect(validateLabel(type, 'A'.repeat(max))).toBe(normalizeFsType(type));
    const e = jerr(() => validateLabel(type, 'A'.repeat(max + 1)));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain(`limited to ${max} ${unit}`);
  });
  it('ext* counts UTF-8 bytes, ntfs UTF-16 units', () => {
    expect(() => validateLabel('ext4', 'é'.repeat(8))).not.toThrow();
    expect(jerr(() => validateLabel('ext4', 'é'.repeat(9))).message).toMatch(/has 18/);
    expect(() => validateLabel('ntfs', 'é'.repeat(128))).not.toThrow();
  });
  it('vfat: printable ASCII, none of mkfs.fat forbidden characters, no leading space', () => {
    expect(() => validateLabel('vfat', 'EFI SYSTEM')).not.toThrow();
    expect(() => validateLabel('fat', 'boot')).not.toThrow(); // mkfs.fat keeps lowercase (with a warning)
    for (const bad of ['A*B', 'A.B', 'A:B', 'A"B', 'A/B', 'A[B'])
      expect(jerr(() => validateLabel('vfat', bad)).message).toMatch(/must not contain/);
    expect(jerr(() => validateLabel('vfat', 'ÄÖ')).message).toMatch(/printable ASCII/);
    expect(jerr(() => validateLabel('vfat', ' X')).message).toMatch(/start with a space/);
  });
  it('the empty label is valid (clears it); NUL never is', () => {
    expect(() => validateLabel('xfs', '')).not.toThrow();
    expect(jerr(() => validateLabel('ext4', 'a\0b')).code).toBe('EINVAL');
  });
  it('xfs relabel refuses what xfs_admin cannot pass on', () => {
    expect(() => validateLabel('xfs', 'a b')).not.toThrow();
    expect(jerr(() => validateRelabel('xfs', 'a b')).code).toBe('EUNSUPPORTED');
    expect(jerr(() => validateRelabel('xfs', '--')).code).toBe('EUNSUPPORTED');
    expect(() => validateRelabel('ext4', 'a b')).not.toThrow();
  });
});

describe('uuid formats', () => {
  it('standard UUIDs for ext*, xfs, btrfs, swap (lowercased)', () => {
    for (const t of ['ext4', 'xfs', 'btrfs', 'swap']) expect(validateUuid(t, U.toUpperCase()).uuid).toBe(U);
    expect(jerr(() => validateUuid('ext4', 'nope')).message).toBe(`'nope' is not a UUID (like 01234567-89ab-cdef-0123-456789abcdef)`);
    expect(jerr(() => validateUuid('xfs', '1234-ABCD')).code).toBe('EINVAL');
  });
  it('vfat volume id: 8 hex digits, with or without the dash', () => {
    expect(validateUuid('vfat', '1234-abcd').uuid).toBe('1234ABCD');
    expect(validateUuid('msdos', '1234abcd').uuid).toBe('1234ABCD');
    expect(jerr(() => validateUuid('vfat', U)).message).toMatch(/not a vfat volume id/);
  });
  it('ntfs serial: 16 hex digits', () => {
    expect(validateUuid('ntfs', '0123456789abcdef').uuid).toBe('0123456789ABCDEF');
    expect(jerr(() => validateUuid('ntfs', '0123')).message).toMatch(/16 hex digits/);
  });
});

describe('mkfs commands', () => {
  const one = (o: Parameters<typeof mkfsCommands>[1]) => mkfsCommands(D, o).map((c) => [c.cmd, ...c.args]);
  it('forced, quiet, non-interactive per type', () => {
    expect(one({ type: 'ext4' })).toEqual([['mke2fs', '-t', 'ext4', '-F', '-q', D]]);
    expect(one({ type: 'xfs' })).toEqual([['mkfs.xfs', '-f', '-q', D]]);
    expect(one({ type: 'btrfs' })).toEqual([['mkfs.btrfs', '-f', '-q', D]]);
    expect(one({ type: 'fat' })).toEqual([['mkfs.fat', '-I', D]]);
    expect(one({ type: 'ntfs' })).toEqual([['mkntfs', '-Q', '-F', '-q', D]]);
    expect(one({ type: 'swap' })).toEqual([['mkswap', '-f', D]]);
  });
  it('label, blocksize, uuid, inode size', () => {
    expect(one({ type: 'ext3', label: 'root', blocksize: 1024, uuid: U, inodeSize: 256 })).toEqual([
      ['mke2fs', '-t', 'ext3', '-F', '-q', '-L', 'root', '-b', '1024', '-U', U, '-I', '256', D],
    ]);
    expect(one({ type: 'xfs', label: 'data', blocksize: 4096, uuid: U, inodeSize: 512 })).toEqual([
      ['mkfs.xfs', '-f', '-q', '-L', 'data', '-b', 'size=4096', '-m', `uuid=${U}`, '-i', 'size=512', D],
    ]);
    expect(one({ type: 'btrfs', label: 'b', uuid: U })).toEqual([['mkfs.btrfs', '-f', '-q', '-L', 'b', '-U', U, D]]);
    expect(one({ type: 'vfat', label: 'EFI', blocksize: 4096, uuid: '1234-abcd' })).toEqual([
      ['mkfs.fat', '-I', '-n', 'EFI', '-s', '8', '-i', '1234ABCD', D],
    ]);
    expect(one({ type: 'ntfs', label: 'Windows', blocksize: 4096, uuid: '0123456789abcdef' })).toEqual([
      ['mkntfs', '-Q', '-F', '-q', '-L', 'Windows', '-c', '4096', D],
      ['ntfslabel', '--new-serial=0123456789ABCDEF', D],
    ]);
    expect(one({ type: 'swap', label: 'sw', uuid: U })).toEqual([['mkswap', '-f', '-L', 'sw', '-U', U, D]]);
    expect(one({ type: 'ext4', label: '' })).toEqual([['mke2fs', '-t', 'ext4', '-F', '-q', D]]);
  });
  it('bad options are EINVAL before anything runs', () => {
    expect(jerr(() => mkfsCommands(D, { type: 'ext4', label: 'x'.repeat(17) })).message).toMatch(/ext4 labels are limited to 16 bytes/);
    expect(jerr(() => mkfsCommands(D, { type: 'ext4', blocksize: 1000 })).message).toBe(
      'ext4: block size 1000 is not a power of two from 1024 to 65536',
    );
    expect(jerr(() => mkfsCommands(D, { type: 'swap', blocksize: 4096 })).message).toMatch(/does not apply/);
    expect(jerr(() => mkfsCommands(D, { type: 'btrfs', inodeSize: 256 })).message).toMatch(/inode size does not apply/);
    expect(jerr(() => mkfsCommands(D, { type: 'vfat', uuid: U })).code).toBe('EINVAL');
    expect(jerr(() => mkfsCommands(D, { type: 'zfs' })).code).toBe('EINVAL');
  });
});

describe('set-label and set-uuid commands', () => {
  const c = (x: { cmd: string; args: string[] }) => [x.cmd, ...x.args];
  it('labels', () => {
    expect(c(setLabelCommand(D, 'ext4', 'root'))).toEqual(['e2label', D, 'root']);
    expect(c(setLabelCommand(D, 'xfs', 'data'))).toEqual(['xfs_admin', '-L', 'data', D]);
    expect(c(setLabelCommand(D, 'xfs', ''))).toEqual(['xfs_admin', '-L', '--', D]);
    expect(c(setLabelCommand(D, 'btrfs', 'b b'))).toEqual(['btrfs', 'filesystem', 'label', D, 'b b']);
    expect(c(setLabelCommand(D, 'vfat', 'EFI'))).toEqual(['fatlabel', D, 'EFI']);
    expect(c(setLabelCommand(D, 'vfat', ''))).toEqual(['fatlabel', '-r', D]);
    expect(c(setLabelCommand(D, 'ntfs', 'Win'))).toEqual(['ntfslabel', D, 'Win']);
    expect(c(setLabelCommand(D, 'swap', 'sw'))).toEqual(['swaplabel', '-L', 'sw', D]);
    expect(() => setLabelCommand(D, 'swap', 'x'.repeat(16))).toThrow(/swap labels are limited to 15 bytes/);
  });
  it('uuids', () => {
    expect(c(setUuidCommand(D, 'ext2', U))).toEqual(['tune2fs', '-U', U, D]);
    expect(c(setUuidCommand(D, 'xfs', U))).toEqual(['xfs_admin', '-U', U, D]);
    expect(c(setUuidCommand(D, 'btrfs', U))).toEqual(['btrfstune', '-f', '-U', U, D]);
    expect(c(setUuidCommand(D, 'vfat', 'abcd-1234'))).toEqual(['fatlabel', '-i', D, 'ABCD1234']);
    expect(c(setUuidCommand(D, 'ntfs', '0123456789ABCDEF'))).toEqual(['ntfslabel', '--new-serial=0123456789ABCDEF', D]);
    expect(c(setUuidCommand(D, 'swap', U))).toEqual(['swaplabel', '-U', U, D]);
  });
});

describe('fsck plans', () => {
  it('check only by default; repair and force map to each checker', () => {
    expect(fsckPlan(D, 'ext4').args).toEqual(['-n', D]);
    expect(fsckPlan(D, 'ext4', { repair: true, force: true }).args).toEqual(['-p', '-f', D]);
    expect(fsckPlan(D, 'vfat', { repair: true }).args).toEqual(['-a', D]);
    expect(fsckPlan(D, 'xfs').args).toEqual(['-n', D]);
    expect(fsckPlan(D, 'xfs', { repair: true }).args).toEqual([D]);
    expect(fsckPlan(D, 'btrfs').args).toEqual(['check', '--readonly', D]);
    expect(fsckPlan(D, 'ntfs').args).toEqual(['-n', D]);
    expect(jerr(() => fsckPlan(D, 'btrfs', { repair: true })).code).toBe('EUNSUPPORTED');
    expect(jerr(() => fsckPlan(D, 'swap')).code).toBe('EUNSUPPORTED');
  });
  it('exit codes become fsck(8) bits', () => {
    expect(fsckPlan(D, 'ext4').status(4, '')).toBe(4);
    expect(fsckPlan(D, 'vfat').status(1, '')).toBe(4);
    expect(fsckPlan(D, 'vfat', { repair: true }).status(1, '')).toBe(1);
    expect(fsckPlan(D, 'xfs').status(1, 'would have reset inode 131 nlinks')).toBe(4);
    expect(fsckPlan(D, 'xfs').status(2, 'ERROR: The filesystem has valuable metadata changes in a log')).toBe(4);
    expect(fsckPlan(D, 'xfs').status(1, 'xfs_repair: cannot open /dev/loop9: Device or resource busy')).toBe(8);
    expect(fsckPlan(D, 'btrfs').status(1, 'ERROR: no valid Btrfs found on /dev/loop9')).toBe(8);
    expect(fsckPlan(D, 'btrfs').status(1, 'ERROR: errors found in fs roots')).toBe(4);
  });
  it('e2fsck: -f always, -p or -y, and -n when neither', () => {
    expect(e2fsckArgs(D)).toEqual(['-f', '-n', D]);
    expect(e2fsckArgs(D, { correct: true })).toEqual(['-f', '-p', D]);
    expect(e2fsckArgs(D, { forceall: true })).toEqual(['-f', '-y', D]);
    expect(jerr(() => e2fsckArgs(D, { correct: true, forceall: true })).code).toBe('EINVAL');
  });
});

describe('resize2fs arguments', () => {
  it('fill, size in KiB, minimum', () => {
    expect(resize2fsArgs(D)).toEqual([D]);
    expect(resize2fsArgs(D, { size: 512 * 1024 * 1024 })).toEqual([D, '524288K']);
    expect(resize2fsArgs(D, { size: 1n << 40n })).toEqual([D, '1073741824K']);
    expect(resize2fsArgs(D, { size: 'min' })).toEqual(['-M', D]);
    expect(jerr(() => resize2fsArgs(D, { size: 1000 })).message).toMatch(/whole number of KiB/);
  });
});

describe('one-line messages from real tool output', () => {
  it('mkfs.xfs: the complaint, not its usage dump', () => {
    const stderr =
      'Invalid value 1234567890123 for -L option\nUsage: mkfs.xfs\n/* blocksize */\t\t[-b size=num]\n<value> is xxx (512 byte blocks).\n';
    expect(toolMessage('mkfs.xfs', D, stderr)).toBe(`mkfs.xfs ${D}: Invalid value 1234567890123 for -L option`);
  });
  it('mke2fs: banner dropped, device not repeated', () => {
    const stderr = `mke2fs 1.47.0 (5-Feb-2023)\n${D} contains a ext4 file system\n\tlast mounted on /mnt\nmke2fs: ${D} is apparently in use by the system; will not make a filesystem here!\n`;
    expect(toolMessage('mke2fs', D, stderr)).toBe(`mke2fs: ${D} is apparently in use by the system; will not make a filesystem here!`);
  });
  it('btrfs: ERROR: prefix dropped', () => {
    expect(toolMessage('btrfstune', D, 'ERROR: could not parse UUID: notauuid\n')).toBe(`btrfstune ${D}: could not parse UUID: notauuid`);
  });
  it('mkfs.fat: the error, not the warning before it', () => {
    const stderr =
      'mkfs.fat: Warning: lowercase labels might not work properly on some systems\nmkfs.fat: Labels with characters *?.,;:/\\|+=<>[]" are not allowed\n\n';
    expect(meaningfulLine(stderr)).toMatch(/^mkfs.fat: Labels with characters/);
  });
  it('no output at all: the exit code', () => {
    expect(toolMessage('xfs_admin', D, '', '', 1)).toBe(`xfs_admin ${D}: failed (exit 1)`);
  });
});

describe('usage from statfs', () => {
  it('bytes and df Use%', () => {
    const u = usageFromStatfs({ bsize: 4096n, blocks: 1000n, bfree: 600n, bavail: 550n, files: 100n, ffree: 90n });
    expect(u).toMatchObject({ size: 4096000n, used: 400n * 4096n, available: 550n * 4096n, usePercent: 43 });
    expect(usageFromStatfs({ bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n }).usePercent).toBe(0);
  });

  it('is exact for an exabyte filesystem (bigints all the way)', () => {
    // 2^48 blocks of 4 KiB = 1 EiB; one block used
    const u = usageFromStatfs({ bsize: 4096n, blocks: 2n ** 48n, bfree: 2n ** 48n - 1n, bavail: 2n ** 48n - 1n, files: 0n, ffree: 0n });
    expect(u.size).toBe(1152921504606846976n);
    expect(u.available).toBe(1152921504606846976n - 4096n);
    expect(u.usePercent).toBe(1);
  });
});
