// Which VG an lvm change names (src/appliance/layout/vg-target.ts): the stored name, and for one
// of several namesakes only that VG's PVs in --devices, so the host's lvm sees one VG of the name.
import { describe, expect, it } from 'vitest';
import { vgNameTaken, vgTarget } from '../../src/appliance/layout/vg-target.js';
import type { VgInfo } from '../../src/appliance/types.js';

const vg = (name: string, pvs: string[]): VgInfo => ({ name, uuid: `uuid-${name}`, extentSize: 4 << 20, pvs, lvs: [] });
const hosts: Record<string, string> = {
  '/dev/loop1': '/dev/sda',
  '/dev/loop2p1': '/dev/sdb1',
  '/dev/loop2p2': '/dev/sdb2',
  '/dev/loop3': '/dev/sdc',
};
const access = (vgs: VgInfo[]) => ({
  vgs: () => vgs,
  lvmScope: () => Object.keys(hosts),
  canonicalOf: (h: string) => hosts[h] ?? h,
});

describe('vgTarget', () => {
  it('a VG nobody shares a name with: its name, the whole scope', () => {
    expect(vgTarget(access([vg('vg0', ['/dev/sda']), vg('data', ['/dev/sdc'])]), 'vg0')).toEqual({
      name: 'vg0',
      scope: ['/dev/loop1', '/dev/loop2p1', '/dev/loop2p2', '/dev/loop3'],
    });
  });

  it('namesakes: the stored name, and only the VG’s own PVs (the plain one too)', () => {
    const a = access([vg('vg0', ['/dev/sda']), vg('vg0@sdb1', ['/dev/sdb1', '/dev/sdb2']), vg('data', ['/dev/sdc'])]);
    expect(vgTarget(a, 'vg0@sdb1')).toEqual({ name: 'vg0', scope: ['/dev/loop2p1', '/dev/loop2p2'] });
    expect(vgTarget(a, 'vg0')).toEqual({ name: 'vg0', scope: ['/dev/loop1'] });
    expect(() => vgTarget(a, 'vg0@sdc')).toThrow(expect.objectContaining({ code: 'ENOENT', message: 'vg0@sdc: no such volume group' }));
    expect(vgNameTaken(a, 'vg0')).toBe(true);
    expect(vgNameTaken(a, 'data')).toBe(true);
    expect(vgNameTaken(a, 'vg1')).toBe(false);
  });
});
