// Userspace LVM (src/disk/volumes/lvm) on real images made by the lvm tools, read as files
// without root: the PVs, VGs and LVs of the fixtures' contract (test/fixtures/README.md), in the
// kernel engine's shapes, and LV bytes that are where the contract (LVM's own extents) says.
// test/integration/disk-lvm-diff.test.ts compares the same answers with the kernel engine's.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ByteSource } from '../../src/disk/source.js';
import { type LvmVolumes, scanLvm } from '../../src/disk/volumes/lvm/index.js';
import { FIXTURES_DIR, fixture } from '../fixtures/index.js';
import { ext4Facts, layoutPattern, MiB, partitionDevices } from './disk-lvm-helpers.js';

const LVM_ID = /^[\w!#]{6}(-[\w!#]{4}){5}-[\w!#]{6}$/;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('userspace LVM: lvm.raw', () => {
  let v: LvmVolumes;
  let srcs: ByteSource[];
  let disk: ByteSource;
  beforeAll(async () => {
    const { devices, sources } = await partitionDevices(await fixture('lvm.raw'));
    srcs = sources;
    disk = sources[0]!;
    v = await scanLvm(devices);
  });
  afterAll(async () => {
    for (const s of srcs) await s.close();
  });

  it('pvs, vgs and lvs as in the contract, in the kernel engine’s shapes and order', () => {
    expect(v.problems).toEqual([]);
    expect(v.pvs).toEqual([
      { name: '/dev/sda2', vg: 'vg0', uuid: 'pv0000-0000-0000-0000-0000-0000-000002', size: 96 * MiB },
      { name: '/dev/sda3', vg: 'vg0', uuid: 'pv0000-0000-0000-0000-0000-0000-000003', size: 96 * MiB },
    ]);
    expect(v.vgs).toHaveLength(1);
    expect(v.vgs[0]).toEqual({
      name: 'vg0',
      uuid: expect.stringMatching(LVM_ID),
      extentSize: 4 * MiB,
      pvs: ['/dev/sda2', '/dev/sda3'],
      lvs: ['/dev/vg0/home', '/dev/vg0/root', '/dev/vg0/split', '/dev/vg0/striped'],
    });
    expect(v.lvs.map((l) => [l.name, l.vg, l.lv, l.size, l.segtype, l.unavailable])).toEqual([
      ['/dev/vg0/home', 'vg0', 'home', 12 * MiB, 'linear', undefined],
      ['/dev/vg0/root', 'vg0', 'root', 40 * MiB, 'linear', undefined],
      ['/dev/vg0/split', 'vg0', 'split', 16 * MiB, 'linear', undefined],
      ['/dev/vg0/striped', 'vg0', 'striped', 8 * MiB, 'striped', undefined],
    ]);
    for (const l of v.lvs) expect(l.uuid).toMatch(LVM_ID);
    expect(Object.keys(v.lvs[0]!).sort()).toEqual(['lv', 'name', 'segtype', 'size', 'uuid', 'vg']);
  });

  it('each LV reads its filesystem: labels and UUIDs of the contract', async () => {
    const lvUuid = (x: string): string => `1a7d0000-0000-4000-8000-0000000000${x}`;
    for (const [lv, label, uuid] of [
      ['root', 'lvroot', lvUuid('a1')],
      ['home', 'lvhome', lvUuid('a2')],
      ['split', 'lvsplit', lvUuid('a3')],
      ['striped', 'lvstriped', lvUuid('a4')],
    ] as const) {
      const src = v.open(`/dev/vg0/${lv}`);
      expect(src.name).toBe(`/dev/vg0/${lv}`);
      expect(await ext4Facts(src)).toEqual({ label, uuid });
    }
  });

  it('LV bytes are the PV extents the contract gives (pe_start 1 MiB, 4 MiB extents)', async () => {
    const p2 = 67584 * 512 + MiB; // extent 0 of pv0
    const p3 = 272384 * 512 + MiB; // extent 0 of pv1
    const ext = 4 * MiB;
    const root = v.open('/dev/vg0/root');
    expect(sha(await root.read(0, 40 * MiB))).toBe(sha(await disk.read(p2, 40 * MiB)));
    const split = await v.open('/dev/vg0/split').read(0, 16 * MiB);
    expect(sha(split)).toBe(sha(Buffer.concat([await disk.read(p2 + 13 * ext, 2 * ext), await disk.read(p2 + 16 * ext, 2 * ext)])));
    // striped: 64 KiB chunks alternating between pv0 extent 15 and pv1 extent 0
    const striped = await v.open('/dev/vg0/striped').read(0, 8 * MiB);
    const parts: Buffer[] = [];
    for (let k = 0; k < 128; k++) parts.push(await disk.read((k % 2 === 0 ? p2 + 15 * ext : p3) + Math.floor(k / 2) * 65536, 65536));
    expect(sha(striped)).toBe(sha(Buffer.concat(parts)));
    // a read across the stripe and segment boundaries equals the same bytes of a whole read
    expect((await v.open('/dev/vg0/striped').read(65536 - 100, 300)).equals(striped.subarray(65536 - 100, 65536 + 200))).toBe(true);
    expect((await v.open('/dev/vg0/split').read(8 * MiB - 7, 14)).equals(split.subarray(8 * MiB - 7, 8 * MiB + 7))).toBe(true);
  });

  it('open: reads outside the LV are EIO; unknown LVs ENOENT', async () => {
    const root = v.open('/dev/vg0/root');
    expect(root.size).toBe(40 * MiB);
    await expect(root.read(40 * MiB - 1, 2)).rejects.toMatchObject({ code: 'EIO' });
    expect(() => v.open('/dev/vg0/nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => v.open('/dev/vgX/root')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('devices without a label are skipped; one PV alone leaves its VG partial', async () => {
    const { devices, sources } = await partitionDevices(await fixture('lvm.raw'));
    try {
      const only = await scanLvm(devices.filter((d) => d.name === '/dev/sda3' || d.name === '/dev/sda1'));
      expect(only.pvs.map((p) => p.name)).toEqual(['/dev/sda3']);
      expect(only.vgs[0]!.pvs).toEqual(['/dev/sda3']);
      for (const l of only.lvs) {
        expect(l.unavailable).toMatch(
          new RegExp(`^${l.name}: missing PV pv0000-0000-0000-0000-0000-0000-000002: a disk of volume group vg0 was not added$`),
        );
      }
      expect(() => only.open('/dev/vg0/root')).toThrow(expect.objectContaining({ code: 'EUNSUPPORTED' }));
    } finally {
      for (const s of sources) await s.close();
    }
  });
});

describe('userspace LVM: debian-lvm.raw', () => {
  it('one PV, VG vgdeb, four linear LVs with their filesystems', async () => {
    const { devices, sources } = await partitionDevices(await fixture('debian-lvm.raw'));
    try {
      const v = await scanLvm(devices);
      expect(v.problems).toEqual([]);
      expect(v.pvs).toEqual([{ name: '/dev/sda2', vg: 'vgdeb', uuid: 'deb1a0-0000-0000-0000-0000-0000-000002', size: expect.any(Number) }]);
      expect(v.vgs.map((g) => [g.name, g.extentSize, g.pvs, g.lvs])).toEqual([
        ['vgdeb', 4 * MiB, ['/dev/sda2'], ['/dev/vgdeb/root', '/dev/vgdeb/swap_1', '/dev/vgdeb/var', '/dev/vgdeb/var-log']],
      ]);
      expect(v.lvs.map((l) => [l.name, l.size, l.segtype, l.unavailable])).toEqual([
        ['/dev/vgdeb/root', 256 * MiB, 'linear', undefined],
        ['/dev/vgdeb/swap_1', 32 * MiB, 'linear', undefined],
        ['/dev/vgdeb/var', 64 * MiB, 'linear', undefined],
        ['/dev/vgdeb/var-log', 16 * MiB, 'linear', undefined],
      ]);
      const uuid = (x: string): string => `deb1a000-0000-4000-8000-0000000000${x}`;
      expect(await ext4Facts(v.open('/dev/vgdeb/root'))).toEqual({ label: 'root', uuid: uuid('a1') });
      expect(await ext4Facts(v.open('/dev/vgdeb/var'))).toEqual({ label: 'var', uuid: uuid('a2') });
      expect(await ext4Facts(v.open('/dev/vgdeb/var-log'))).toEqual({ label: 'varlog', uuid: uuid('a3') });
      // swap: "SWAPSPACE2" at the end of the first page, label at 1024+28
      const swap = await v.open('/dev/vgdeb/swap_1').read(0, 4096);
      expect(swap.toString('latin1', 4086, 4096)).toBe('SWAPSPACE2');
      expect(swap.toString('latin1', 1024 + 28, 1024 + 34)).toBe('swap_1');
    } finally {
      for (const s of sources) await s.close();
    }
  });
});

describe('userspace LVM: lvm-layouts.raw (striped, two segments, raid1/10/0, mirror, thin, zero, error)', () => {
  let v: LvmVolumes;
  let srcs: ByteSource[];
  let devs: Awaited<ReturnType<typeof partitionDevices>>['devices'];
  beforeAll(async () => {
    const { devices, sources } = await partitionDevices(await fixture('lvm-layouts.raw'));
    srcs = sources;
    devs = devices;
    v = await scanLvm(devices);
  });
  afterAll(async () => {
    for (const s of srcs) await s.close();
  });

  const readable = ['m1', 'r0', 'r1', 'r10', 'striped2', 'striped3', 'twoseg'];

  it('lists the public LVs (not the raid images, mirror legs or the thin pool), the orphan PV', () => {
    expect(v.problems).toEqual([]);
    expect(v.pvs.map((p) => [p.name, p.vg, p.uuid, p.size])).toEqual([
      ['/dev/sda1', 'vgl', '1a7dpv-0000-0000-0000-0000-0000-00000a', 59 * MiB],
      ['/dev/sda2', 'vgl', '1a7dpv-0000-0000-0000-0000-0000-00000b', 59 * MiB],
      ['/dev/sda3', 'vgl', '1a7dpv-0000-0000-0000-0000-0000-00000c', 59 * MiB],
      ['/dev/sda4', '', '1a7dpv-0000-0000-0000-0000-0000-00000d', 8 * MiB],
    ]);
    expect(v.vgs.map((g) => [g.name, g.extentSize, g.pvs])).toEqual([['vgl', MiB, ['/dev/sda1', '/dev/sda2', '/dev/sda3']]]);
    expect(v.lvs.map((l) => [l.lv, l.size / MiB, l.segtype, l.unavailable])).toEqual([
      ['err', 1, 'error', undefined],
      ['m1', 4, 'mirror', undefined],
      ['r0', 6, 'raid0', undefined],
      ['r1', 4, 'raid1', undefined],
      ['r10', 8, 'raid10', undefined],
      ['striped2', 8, 'striped', undefined],
      ['striped3', 6, 'striped', undefined],
      [
        'thin1',
        16,
        'thin',
        '/dev/vgl/thin1: thin LVs are not supported: joot reads linear, striped, mirror, raid0, raid1, raid10, zero and error LVs',
      ],
      ['twoseg', 8, 'linear', undefined],
      ['zer', 2, 'zero', undefined],
    ]);
    expect(v.vgs[0]!.lvs).toEqual(v.lvs.map((l) => l.name));
  });

  it('every layout reads the pattern lvm-layouts.sh laid out at the extents lvm reported', async () => {
    for (const lv of readable) {
      const src = v.open(`/dev/vgl/${lv}`);
      const all = await src.read(0, src.size);
      expect(sha(all), lv).toBe(sha(layoutPattern('vgl', lv, 0, src.size)));
      // odd ranges across chunk, stripe and segment boundaries
      for (const [off, len] of [
        [16 * 1024 - 3, 7],
        [64 * 1024 - 1, 65538],
        [3 * MiB - 5, 10],
        [src.size - 513, 513],
      ] as const) {
        expect((await src.read(off, len)).equals(all.subarray(off, off + len)), `${lv} ${off}+${len}`).toBe(true);
      }
    }
  });

  it('zero reads zeros, error is an EIO naming the LV, thin is EUNSUPPORTED', async () => {
    expect((await v.open('/dev/vgl/zer').read(12345, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    await expect(v.open('/dev/vgl/err').read(0, 512)).rejects.toMatchObject({
      code: 'EIO',
      message: expect.stringMatching(/^\/dev\/vgl\/err: /),
    });
    expect(() => v.open('/dev/vgl/thin1')).toThrow(
      expect.objectContaining({
        code: 'EUNSUPPORTED',
        message: '/dev/vgl/thin1: thin LVs are not supported: joot reads linear, striped, mirror, raid0, raid1, raid10, zero and error LVs',
      }),
    );
    expect(() => v.open('/dev/vgl/pool')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => v.open('/dev/vgl/r1_rimage_0')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('without the first PV: raid1, mirror and raid10 read a healthy leg; the others name the missing PV', async () => {
    const part = await scanLvm(devs.filter((d) => d.name !== '/dev/sda1'));
    const missing = '1a7dpv-0000-0000-0000-0000-0000-00000a';
    expect(part.vgs[0]!.pvs).toEqual(['/dev/sda2', '/dev/sda3']);
    for (const lv of ['m1', 'r1', 'r10']) {
      const src = part.open(`/dev/vgl/${lv}`);
      expect(sha(await src.read(0, src.size)), lv).toBe(sha(layoutPattern('vgl', lv, 0, src.size)));
    }
    for (const lv of ['r0', 'striped2', 'striped3', 'twoseg']) {
      expect(part.lvs.find((l) => l.lv === lv)!.unavailable).toBe(
        `/dev/vgl/${lv}: missing PV ${missing}: a disk of volume group vgl was not added`,
      );
    }
    // raid10 with both copies of some chunks gone (images 0 and 1: pv0 and pv1)
    const two = await scanLvm(devs.filter((d) => d.name === '/dev/sda3'));
    expect(two.lvs.find((l) => l.lv === 'r10')!.unavailable).toMatch(/^\/dev\/vgl\/r10: missing PV /);
  });
});

// Images another part of issue 14 builds inside libguestfs's appliance (a kernel with
// device-mapper), with the appliance's own answers in a facts file: used when present.
const applianceImage = (name: string): string | undefined => {
  const p = path.join(FIXTURES_DIR, name);
  return existsSync(p) && existsSync(p.replace(/\.img$/, '.facts.json')) ? p : undefined;
};
interface ApplianceFacts {
  lvs: string[];
  'list-filesystems': [string, string][];
  'pvs-full': { pv_name: string; pv_uuid: string; pv_size: string }[];
  'vgs-full': { vg_name: string; vg_uuid: string; vg_extent_size: string }[];
}
const facts = (img: string): ApplianceFacts => JSON.parse(readFileSync(img.replace(/\.img$/, '.facts.json'), 'utf8')) as ApplianceFacts;
const undashed = (id: string): string => id.replace(/-/g, '');

describe('userspace LVM: images made in the libguestfs appliance (as its guestfish reports them)', () => {
  const striped = applianceImage('lvm-striped.img');
  it.skipIf(!striped)('lvm-striped.img: the PVs, VG and LVs guestfish lists; both ext4s read, backup superblocks included', async () => {
    const { devices, sources } = await partitionDevices(striped!);
    try {
      const v = await scanLvm(devices);
      const f = facts(striped!);
      expect(v.problems).toEqual([]);
      expect(v.pvs.map((p) => [p.name, undashed(p.uuid), String(p.size)])).toEqual(
        f['pvs-full'].map((p) => [p.pv_name, p.pv_uuid, p.pv_size]),
      );
      expect(v.vgs.map((g) => [g.name, undashed(g.uuid), String(g.extentSize)])).toEqual(
        f['vgs-full'].map((g) => [g.vg_name, g.vg_uuid, g.vg_extent_size]),
      );
      expect(v.lvs.map((l) => [l.name, l.unavailable])).toEqual(f.lvs.map((n) => [n, undefined]));
      let backups = 0;
      for (const [name, type] of f['list-filesystems']) {
        expect(type).toBe('ext4');
        const src = v.open(name);
        const primary = await ext4Facts(src);
        expect(primary, name).toBeDefined();
        // the first backup superblock lies a block group further on: deep inside the mapping
        const sb = await src.read(1024, 1024);
        const blockSize = 1024 << sb.readUInt32LE(0x18);
        const perGroup = sb.readUInt32LE(0x20);
        const backup = (perGroup + (blockSize === 1024 ? 1 : 0)) * blockSize;
        if (backup + 2048 <= src.size) {
          const b = await src.read(backup, 1024);
          expect(b.readUInt16LE(0x38), `${name} backup superblock`).toBe(0xef53);
          expect(b.subarray(0x68, 0x78).equals(sb.subarray(0x68, 0x78))).toBe(true);
          backups++;
        }
      }
      expect(backups).toBeGreaterThan(0);
    } finally {
      for (const s of sources) await s.close();
    }
  });

  const lvmLuks = applianceImage('lvm-luks.img');
  it.skipIf(!lvmLuks)('lvm-luks.img: the LV guestfish lists, holding a LUKS header', async () => {
    const { devices, sources } = await partitionDevices(lvmLuks!);
    try {
      const v = await scanLvm(devices);
      const f = facts(lvmLuks!);
      expect(v.problems).toEqual([]);
      expect(v.pvs.map((p) => [p.name, undashed(p.uuid)])).toEqual(f['pvs-full'].map((p) => [p.pv_name, p.pv_uuid]));
      expect(v.lvs.map((l) => l.name)).toEqual(f.lvs);
      expect((await v.open(f.lvs[0]!).read(0, 6)).equals(Buffer.from('LUKS\xba\xbe', 'latin1'))).toBe(true);
    } finally {
      for (const s of sources) await s.close();
    }
  });

  const luksLvm = applianceImage('luks-lvm.img');
  it.skipIf(!luksLvm)('luks-lvm.img: the PV is inside LUKS, so nothing is found without opening it', async () => {
    const { devices, sources } = await partitionDevices(luksLvm!);
    try {
      const v = await scanLvm(devices);
      expect([v.pvs, v.vgs, v.lvs, v.problems]).toEqual([[], [], [], []]);
    } finally {
      for (const s of sources) await s.close();
    }
  });
});
