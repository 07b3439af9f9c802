// The mount and umount checks both engines' mount tables share (appliance/stages/mount-checks.ts):
// one set of words whichever engine answers.
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { byMountpoint, checkMountable, checkMountpoint, findUnmountable } from '../../src/appliance/stages/mount-checks.js';
import type { MountInfo } from '../../src/appliance/types.js';

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(JootError);
    return { code: (e as JootError).code, message: (e as JootError).message };
  }
  throw new Error('not refused');
}

const mnt = (device: string, mountpoint: string): MountInfo => ({ device, mountpoint, vfstype: 'ext4', readonly: true });

describe('mount checks', () => {
  it('a mountpoint is absolute, slashes alone are /, and below / wants / first', () => {
    expect(checkMountpoint('///', false)).toBe('/');
    expect(checkMountpoint('/boot', true)).toBe('/boot');
    expect(refusal(() => checkMountpoint('boot', true))).toEqual({
      code: 'EINVAL',
      message: 'boot: mountpoint must be an absolute guest path',
    });
    expect(refusal(() => checkMountpoint('/boot', false))).toEqual({ code: 'ESTATE', message: '/boot: mount a filesystem on / first' });
  });

  it('no filesystem, swap and an LVM PV are not mountable', () => {
    expect(checkMountable('/dev/sda1', 'ext4')).toBe('ext4');
    expect(refusal(() => checkMountable('/dev/sda1', undefined)).message).toBe('/dev/sda1: no filesystem found');
    expect(refusal(() => checkMountable('/dev/sda6', 'swap')).message).toBe('/dev/sda6: is swap, not a mountable filesystem');
    expect(refusal(() => checkMountable('/dev/sda2', 'LVM2_member')).code).toBe('EINVAL');
  });

  it('umount finds a mount by mountpoint or device, never one with mounts below it', () => {
    const mounted = [mnt('/dev/sda1', '/'), mnt('/dev/sda2', '/boot'), mnt('/dev/sda3', '/boot/efi')];
    expect(findUnmountable(mounted, '/boot/efi')).toBe(mounted[2]);
    expect(findUnmountable(mounted, '/dev/sda3')).toBe(mounted[2]);
    expect(refusal(() => findUnmountable(mounted, '/srv'))).toEqual({ code: 'EINVAL', message: '/srv: not mounted' });
    expect(refusal(() => findUnmountable(mounted, '/boot'))).toEqual({ code: 'EBUSY', message: '/boot: /boot/efi is mounted below it' });
    expect(refusal(() => findUnmountable(mounted, '/')).message).toBe('/: /boot is mounted below it');
    expect(
      [...mounted]
        .reverse()
        .sort(byMountpoint)
        .map((m) => m.mountpoint),
    ).toEqual(['/', '/boot', '/boot/efi']);
  });
});
