// Differential test of the userspace LVM reader (src/disk/volumes/lvm) against the kernel
// engine (src/appliance: `lvm fullreport` on loop devices): for each LVM fixture, alone and next
// to other disks, the same PvInfo/VgInfo/LvInfo objects in the same order. Where the kernel
// engine cannot open an LV on this host (no device-mapper: two segments, striped; raid, mirror,
// zero, error: not supported) the userspace reader opens it, so `unavailable` is compared by
// cause; the filesystems the kernel engine probes on the LVs it opens are the ones read here.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LvInfo } from '../../src/disk/types.js';
import { type LvmDevice, scanLvm } from '../../src/disk/volumes/lvm/index.js';
import type { ByteSource } from '../../src/disk/source.js';
import { ext4Facts, partitionDevices } from '../unit/disk-lvm-helpers.js';
import { CAN_RUN, Harness } from './session-helpers.js';

const h = new Harness('disk-lvm-diff');

/** Kernel-engine reasons that say only "this host cannot" or "joot does not map this type". */
const KERNEL_CANNOT = /needs device-mapper, which this host lacks|(raid1|raid10|raid0|mirror|zero|error) LVs are not supported/;

describe.skipIf(!CAN_RUN)('userspace LVM = kernel engine', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  for (const set of [
    ['lvm.raw'],
    ['debian-lvm.raw'],
    ['lvm-layouts.raw'],
    ['mbr.raw', 'lvm.raw', 'lvm-layouts.raw', 'debian-lvm.raw'],
  ] as const) {
    it(`pvs, vgs, lvs: ${set.join(' + ')}`, async () => {
      const paths = await Promise.all(set.map((n) => h.image(n)));
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
      } finally {
        for (const src of sources) await src.close();
      }
    });
  }
});
