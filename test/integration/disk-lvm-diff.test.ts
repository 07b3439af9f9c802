// Differential test of the userspace LVM reader (src/disk/volumes/lvm) against the kernel
// engine (src/appliance: `lvm fullreport` on loop devices): for each LVM fixture, alone and next
// to other disks, the same PvInfo/VgInfo/LvInfo objects in the same order. Where the kernel
// engine cannot open an LV on this host (no device-mapper: two segments, striped; raid, mirror,
// zero, error: not supported) the userspace reader opens it, so `unavailable` is compared by
// cause; the filesystems the kernel engine probes on the LVs it opens are the ones read here.
import { open } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/core/run.js';
import { lvmCrc } from '../../src/disk/volumes/lvm/crc.js';
import type { LvInfo } from '../../src/disk/types.js';
import { type LvmDevice, scanLvm } from '../../src/disk/volumes/lvm/index.js';
import type { ByteSource } from '../../src/disk/source.js';
import { ext4Facts, partitionDevices } from '../unit/disk-lvm-helpers.js';
import { CAN_RUN, Harness } from './session-helpers.js';

const h = new Harness('disk-lvm-diff');

/** Rename the VG in every PV's metadata copy of `image` (same length), fixing the checksums. */
async function renameVg(image: string, from: string, to: string): Promise<void> {
  const table = JSON.parse((await run('sfdisk', ['--json', image])).stdout) as { partitiontable: { partitions: { start: number }[] } };
  const fh = await open(image, 'r+');
  try {
    for (const p of table.partitiontable.partitions) {
      const mda = p.start * 512 + 4096;
      const hdr = Buffer.alloc(512);
      await fh.read(hdr, 0, 512, mda);
      if (hdr.toString('latin1', 4, 20) !== ' LVM2 x[5A%r0N*>') continue;
      const off = Number(hdr.readBigUInt64LE(40));
      const len = Number(hdr.readBigUInt64LE(48));
      if (len === 0) continue; // an orphan PV: no VG text
      const text = Buffer.alloc(len);
      await fh.read(text, 0, len, mda + off);
      const s = text.toString('latin1');
      expect(s.startsWith(`${from} {`)).toBe(true);
      const renamed = Buffer.from(to + s.slice(from.length), 'latin1');
      await fh.write(renamed, 0, len, mda + off);
      hdr.writeUInt32LE(lvmCrc(renamed), 56);
      hdr.writeUInt32LE(lvmCrc(hdr.subarray(4)), 0);
      await fh.write(hdr, 0, 512, mda);
    }
  } finally {
    await fh.close();
  }
}

/** Kernel-engine reasons that say only "this host cannot" or "joot does not map this type". */
const KERNEL_CANNOT = /needs device-mapper, which this host lacks|(raid1|raid10|raid0|mirror|zero|error) LVs are not supported/;

describe.skipIf(!CAN_RUN)('userspace LVM = kernel engine', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('two VGs named vg0 on two disks: each keeps its LVs, the second as vg0@sdb1 (its first PV), on both', async () => {
    const other = await h.image('lvm-layouts.raw', 'copy');
    await renameVg(other, 'vgl', 'vg0');
    const names = await compare([await h.image('lvm.raw'), other]);
    expect(names.vgs).toEqual(['vg0', 'vg0@sdb1']);
    expect(names.lvs).toContain('/dev/vg0/root');
    expect(names.lvs.filter((n) => n.startsWith('/dev/vg0@sdb1/')).length).toBeGreaterThan(3);
  });

  it('debian-lvm.raw and its clone (same VG name, new uuids by the lvm tools), in both orders', async () => {
    const a = await h.image('debian-lvm.raw');
    const b = await h.image('debian-lvm-clone.raw');
    expect((await compare([a, b])).vgs).toEqual(['vgdeb', 'vgdeb@sdb2']);
    expect((await compare([b, a])).vgs).toEqual(['vgdeb', 'vgdeb@sdb2']);
  });

  for (const set of [
    ['lvm.raw'],
    ['debian-lvm.raw'],
    ['lvm-layouts.raw'],
    ['mbr.raw', 'lvm.raw', 'lvm-layouts.raw', 'debian-lvm.raw'],
  ] as const) {
    it(`pvs, vgs, lvs: ${set.join(' + ')}`, async () => {
      await compare(await Promise.all(set.map((n) => h.image(n))));
    });
  }
});

/** The two engines' PVs, VGs, LVs and the filesystems on the LVs agree; the names of both. */
async function compare(paths: string[]): Promise<{ vgs: string[]; lvs: string[] }> {
  const s = await h.open(paths);
  const devices: LvmDevice[] = [];
  const sources: ByteSource[] = [];
  try {
    for (const [i, p] of paths.entries()) {
      const d = await partitionDevices(p, `/dev/sd${String.fromCharCode(97 + i)}`);
      devices.push(...d.devices);
      sources.push(...d.sources);
    }
    const u = await scanLvm(devices);
    expect(u.problems).toEqual([]);
    expect(u.pvs).toEqual(s.pvsFull());
    expect(u.vgs).toEqual(s.vgsFull());
    const strip = (l: LvInfo): LvInfo => {
      const { unavailable: _, ...rest } = l;
      return rest;
    };
    const k = s.lvsFull();
    expect(u.lvs.map(strip)).toEqual(k.map(strip));
    for (const [i, kl] of k.entries()) {
      const ul = u.lvs[i]!;
      if (kl.unavailable === undefined || KERNEL_CANNOT.test(kl.unavailable)) expect(ul.unavailable, ul.name).toBeUndefined();
      else expect(ul.unavailable, ul.name).toBeDefined();
    }
    // filesystems: what blkid found on the kernel engine's LVs, read through open()
    for (const f of s.filesystems().filter((x) => x.name.startsWith('/dev/vg') && x.type === 'ext4')) {
      expect(await ext4Facts(u.open(f.name)), f.name).toEqual({ label: f.label, uuid: f.uuid });
    }
    return { vgs: u.vgs.map((v) => v.name), lvs: u.lvs.map((l) => l.name) };
  } finally {
    for (const src of sources) await src.close();
  }
}
