// canonical-device-name's rules (guestfish's): hd/vd names become sd names, an LV's
// device-mapper name becomes /dev/VG/LV (dashes inside names doubled), the rest is unchanged.
import { describe, expect, it } from 'vitest';
import { canonicalDeviceName } from '../../src/ops/records/block-space.js';

describe('canonicalDeviceName', () => {
  const lvs = ['/dev/VG/LV', '/dev/my-vg/root-lv'];
  it.each([
    ['/dev/hda', '/dev/sda'],
    ['/dev/vdaaa', '/dev/sdaaa'],
    ['/dev/vdb12', '/dev/sdb12'],
    ['/dev/sdb', '/dev/sdb'],
    ['/dev/md127', '/dev/md127'],
    ['/dev/mapper/VG-LV', '/dev/VG/LV'],
    ['/dev/mapper/my--vg-root--lv', '/dev/my-vg/root-lv'],
    ['/dev/mapper/luks-1', '/dev/mapper/luks-1'],
    ['/dev/hd', '/dev/hd'],
    ['sda', 'sda'],
  ])('%s → %s', (given, want) => {
    expect(canonicalDeviceName(given, lvs)).toBe(want);
  });
});
