// The names of VGs that share a name (src/disk/volumes/lvm/vg-names.ts): the one whose first PV
// comes first in disk order keeps it, the others are VG@DEV; never two alike, never a real VG's.
import { describe, expect, it } from 'vitest';
import { compareDiskOrder, compareShownNames, shownVgNames, storedVgName } from '../../src/disk/volumes/lvm/vg-names.js';
import { validLvmName } from '../../src/disk/volumes/lvm/index.js';

describe('shownVgNames', () => {
  it('a name nobody shares stays as it is', () => {
    const m = shownVgNames([
      { name: 'vg0', uuid: 'u1', pvs: ['/dev/sda2'] },
      { name: 'data', uuid: 'u2', pvs: ['/dev/sdb'] },
    ]);
    expect([...m]).toEqual([
      ['u1', 'vg0'],
      ['u2', 'data'],
    ]);
  });

  it('namesakes: by their first PV in disk order (sdz before sdaa, sda10 after sda9), not by scan order', () => {
    const m = shownVgNames([
      { name: 'vg0', uuid: 'u3', pvs: ['/dev/sdaa1'] },
      { name: 'vg0', uuid: 'u1', pvs: ['/dev/sdz', '/dev/sdc3'] },
      { name: 'vg0', uuid: 'u2', pvs: ['/dev/sdb10', '/dev/sdb9'] },
      { name: 'vg0', uuid: 'u4', pvs: ['/dev/md127'] },
    ]);
    expect(Object.fromEntries(m)).toEqual({ u2: 'vg0', u1: 'vg0@sdc3', u3: 'vg0@sdaa1', u4: 'vg0@md127' });
  });

  it('two namesakes on one disk are told apart by their partitions; a shown name is no VG name', () => {
    const m = shownVgNames([
      { name: 'vg0', uuid: 'u1', pvs: ['/dev/sdb1'] },
      { name: 'vg0', uuid: 'u2', pvs: ['/dev/sdb2'] },
    ]);
    expect(Object.fromEntries(m)).toEqual({ u1: 'vg0', u2: 'vg0@sdb2' });
    expect(validLvmName('vg0@sdb2')).toBe(false);
    expect(storedVgName('vg0@sdb2')).toBe('vg0');
    expect(storedVgName('vg0')).toBe('vg0');
  });

  it('devices whose last components agree (/dev/mapper/x, /dev/md/x): the uuid instead', () => {
    const m = shownVgNames([
      { name: 'vg', uuid: 'u1', pvs: ['/dev/sda'] },
      { name: 'vg', uuid: 'u2', pvs: ['/dev/mapper/x'] },
      { name: 'vg', uuid: 'u3', pvs: ['/dev/md/x'] },
    ]);
    expect(new Set(m.values()).size).toBe(3);
    expect(m.get('u1')).toBe('vg');
    expect([m.get('u2'), m.get('u3')].sort()).toEqual(['vg@u3', 'vg@x']);
  });
});

describe('ordering', () => {
  it('disk order: sd devices by drive then partition number, others after by name', () => {
    const list = ['/dev/md127', '/dev/sdaa', '/dev/sdb2', '/dev/sdb10', '/dev/sda', '/dev/mapper/luks-1'];
    expect(list.sort(compareDiskOrder)).toEqual(['/dev/sda', '/dev/sdb2', '/dev/sdb10', '/dev/sdaa', '/dev/mapper/luks-1', '/dev/md127']);
  });

  it('shown names: the usual order without @DEV, each namesake right after its plain name', () => {
    const lvs = ['/dev/vg0@sdc/root', '/dev/vg0/swap', '/dev/vg01/a', '/dev/vg0/root', '/dev/vg0@sdb2/root', '/dev/vg-a/x'];
    expect(lvs.sort(compareShownNames)).toEqual([
      '/dev/vg-a/x',
      '/dev/vg0/root',
      '/dev/vg0@sdb2/root',
      '/dev/vg0@sdc/root',
      '/dev/vg0/swap',
      '/dev/vg01/a',
    ]);
  });
});
