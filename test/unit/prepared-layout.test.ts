// jfish -N's layouts in sectors, as guestfish's prep code computes them (its part-disk from
// sector 128 to the 128th from the end; bootroot's boot partition from sector 64, its root one
// to the 64th from the end); the integration test (guestfish-scripts.test.ts) compares the
// result on disk with what guestfish printed.
import { describe, expect, it } from 'vitest';
import { parsePrepared, preparedPartitions } from '../../src/ops/prepared.js';

const G = 1024 ** 3;

describe('jfish -N layouts', () => {
  it("takes guestfish's defaults: 1G disks, a 128M boot partition, MBR, ext2", () => {
    const p = parsePrepared('bootroot', 1);
    expect(p).toMatchObject({ file: 'test1.img', size: G, layout: { table: 'mbr', boot: { sectors: 262144, fs: { type: 'ext2' } } } });
    expect(parsePrepared('disk', 2)).toEqual({ file: 'test2.img', size: G, layout: undefined });
  });

  it('part-disk: sectors 128 to the 128th from the end', () => {
    const p = parsePrepared('x.img=fs:ext4:100M:gpt', 1);
    expect(p.layout).toMatchObject({ table: 'gpt', content: { kind: 'fs', fs: { type: 'ext4' } } });
    expect(preparedPartitions(p.layout!, p.size)).toEqual([[128, 204800 - 128]]);
  });

  it('bootroot: the boot partition from sector 64 for bootsize/512 sectors, root to the 64th from the end', () => {
    const p = parsePrepared('bootrootlv:/dev/VG/LV:ext2:ext4:64M:16M', 1);
    expect(p.layout!.content).toMatchObject({ kind: 'lvm', vg: 'VG', lv: 'LV', fs: { type: 'ext4' } });
    expect(preparedPartitions(p.layout!, p.size)).toEqual([
      [64, 64 + 32768 - 1],
      [64 + 32768, 131072 - 64],
    ]);
  });

  it('parameters left empty take the defaults given (the record tests use 100M disks)', () => {
    expect(parsePrepared('part::gpt', 1, { size: '100M' })).toMatchObject({ size: 100 * 1024 ** 2, layout: { table: 'gpt' } });
  });

  it('refuses a boot partition under one sector and a bad table type', () => {
    expect(() => parsePrepared('bootroot:ext2:ext2:1G:100', 1)).toThrow(/at least one sector/);
    expect(() => parsePrepared('part:1G:sun', 1)).toThrow(/^-N: sun: the partition table is mbr or gpt$/);
  });
});
