// The kernel's filesystems, loaded or loadable: a stock host has vfat and isofs as modules that
// mount(2) loads on first use, so /proc/filesystems alone said "cannot mount iso9660" there
// (found by the stock-kernel VM run, issue 19).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aliasedFilesystems, kernelFilesystems, parseProcFilesystems } from '../../src/appliance/kernel-fs.js';

describe('kernel filesystems', () => {
  it('reads /proc/filesystems, nodev lines included', () => {
    expect([...parseProcFilesystems('nodev\tsysfs\nnodev\tproc\n\text4\n\tbtrfs\n')]).toEqual(['sysfs', 'proc', 'ext4', 'btrfs']);
  });

  it('adds the types modules.alias loads by fs-TYPE, under the filesystem’s name (iso9660, not isofs)', () => {
    const alias = [
      'alias fs-iso9660 isofs',
      'alias fs-vfat vfat',
      'alias fs-msdos msdos',
      'alias char-major-10-237 loop',
      'alias devname:nbd0 nbd',
    ].join('\n');
    expect([...aliasedFilesystems(alias)]).toEqual(['iso9660', 'vfat', 'msdos']);
  });

  it('on this host: at least what /proc/filesystems lists', () => {
    const proc = parseProcFilesystems(readFileSync('/proc/filesystems', 'utf8'));
    const all = kernelFilesystems();
    for (const t of proc) expect(all.has(t), t).toBe(true);
  });
});
