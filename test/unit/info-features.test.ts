// available / feature-available / filesystem-available / version (src/ops/features.ts,
// src/ops/records/info.ts): each group's claim matches jfish's command table, and the answers
// for each engine on made-up hosts.
import { describe, expect, it } from 'vitest';
import { FEATURES, featureAvailable, filesystemAvailable, type Host } from '../../src/ops/features.js';
import { versionFields } from '../../src/ops/records/info.js';
import { lookup } from '../../src/tools/jfish/table.js';

const host = (programs: string[], fs: string[]): Host => ({ program: (p) => programs.includes(p), kernelFs: (f) => fs.includes(f) });

describe('optional groups', () => {
  it.each(FEATURES.map((f) => [f.group, f] as const))('%s: implemented says whether jfish has its commands', (_, f) => {
    const present = f.commands.map((c) => lookup(c) !== undefined);
    if (f.implemented) expect(present.every(Boolean)).toBe(true);
    else expect(present.every(Boolean), `every command of ${f.group} exists now: mark it implemented`).toBe(false);
  });

  it('kernel engine: the host programs decide', () => {
    const lvm2 = FEATURES.find((f) => f.group === 'lvm2')!;
    expect(featureAvailable(lvm2, 'kernel', host(['lvm'], []))).toBe(true);
    expect(featureAvailable(lvm2, 'kernel', host([], []))).toBe(false);
  });

  it('userspace engine: reading groups yes, writing groups no, whatever the host has', () => {
    const zerofree = FEATURES.find((f) => f.group === 'zerofree')!;
    const lvm2 = FEATURES.find((f) => f.group === 'lvm2')!;
    expect(featureAvailable(zerofree, 'userspace', host(['zerofree'], []))).toBe(false);
    expect(featureAvailable(lvm2, 'userspace', host([], []))).toBe(true);
    expect(featureAvailable(FEATURES.find((f) => f.group === 'inotify')!, 'userspace', host([], []))).toBe(false);
  });
});

describe('filesystemAvailable', () => {
  const readers = ['ext2', 'ext3', 'ext4', 'xfs', 'iso9660', 'ntfs', 'vfat'];
  it('kernel engine: the host kernel, ntfs-3g and fusefat', () => {
    expect(filesystemAvailable('ext4', 'kernel', host([], ['ext4']), readers, true)).toBe(true);
    expect(filesystemAvailable('ext2', 'kernel', host([], ['ext4']), readers, true)).toBe(true);
    expect(filesystemAvailable('xfs', 'kernel', host([], ['ext4']), readers, true)).toBe(false);
    expect(filesystemAvailable('ntfs', 'kernel', host(['ntfs-3g'], []), readers, true)).toBe(true);
    expect(filesystemAvailable('vfat', 'kernel', host(['fusefat'], []), readers, true)).toBe(true);
  });
  it('userspace engine: its readers, and the kernel only as root', () => {
    expect(filesystemAvailable('xfs', 'userspace', host([], []), readers, false)).toBe(true);
    expect(filesystemAvailable('f2fs', 'userspace', host([], ['f2fs']), readers, false)).toBe(false);
    expect(filesystemAvailable('f2fs', 'userspace', host([], ['f2fs']), readers, true)).toBe(true);
  });
});

describe('version', () => {
  it('splits major, minor, release and extra as guestfish prints them', () => {
    expect(versionFields('0.1.0')).toEqual([
      ['major', 0],
      ['minor', 1],
      ['release', 0],
      ['extra', ''],
    ]);
    expect(versionFields('1.48.6-rc1')).toEqual([
      ['major', 1],
      ['minor', 48],
      ['release', 6],
      ['extra', '-rc1'],
    ]);
    expect(versionFields('unknown')).toEqual([
      ['major', 0],
      ['minor', 0],
      ['release', 0],
      ['extra', 'unknown'],
    ]);
  });
});
