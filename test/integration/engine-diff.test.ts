// The userspace engine against its oracle, the kernel engine: every fixture image opened both
// ways, and every device-level answer compared — devices, partitions (and the layout editor's
// part-list / part-get-* / blockdev-getsize64 / blkid), filesystems with their type, label and
// uuid, PVs, VGs and LVs, and the bytes of every disk, partition and LV (a sha256 digest
// through download's openDevice). The one thing left out: btrfs subvolumes (btrfsvol:…), which
// need the btrfs reader of the userspace filesystems.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { CAN_RUN } from './session-helpers.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const IMAGES: FixtureName[] = [
  'mbr.raw',
  'gpt.raw',
  'lvm.raw',
  'three.qcow2',
  'overlay.qcow2',
  'mbr.vmdk',
  'mbr.vdi',
  'mbr.vhdx',
  'mbr.vpc',
  'debian-lvm.raw',
  'debian-btrfs.raw',
  'ntfs.raw',
  'win10.raw',
  'multiboot.raw',
];

/** Images both engines must refuse at launch: the same error code, one line naming the image. */
const REFUSED: FixtureName[] = [
  'empty.img',
  'truncated.qcow2',
  'corrupt-mbr.raw',
  'corrupt-gpt.raw',
  'backing-device.qcow2',
  'backing-shadow.qcow2',
];

const STEP = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(STEP);

/**
 * A digest of a device's bytes: sha256 over its size, then per 4 MiB chunk a tag and the
 * chunk's bytes, or the tag alone for a chunk of zeros. It changes exactly when the bytes do (a
 * plain sha256 would say no more here, where both engines' digests are compared with each
 * other), without hashing the gigabytes of zeros of gpt.raw and the LVM images: every byte is
 * still read through both engines.
 */
async function sha256(s: Session, dev: string): Promise<string> {
  const src = await s.openDevice(dev);
  try {
    const h = createHash('sha256').update(`${src.size}:`);
    for (let off = 0; off < src.size; off += STEP) {
      const len = Math.min(STEP, src.size - off);
      const b = await src.read(off, len);
      if (b.length === len && b.equals(ZEROS.subarray(0, len))) h.update('Z');
      else h.update('D').update(b);
    }
    return h.digest('hex');
  } finally {
    await src.close();
  }
}

/** Everything device-level a session says about its disks. */
async function answers(s: Session, opts: { bytes: boolean }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const settle = async (key: string, fn: () => unknown) => {
    try {
      out[key] = await fn();
    } catch (e) {
      out[key] = `error: ${(e as Error).message}`;
    }
  };
  await settle('devices', () => s.listDevices());
  await settle('partitions', () => s.partitions());
  await settle('filesystems', () => s.filesystems().filter((f) => !f.name.startsWith('btrfsvol:')));
  await settle('pvs', () => s.pvsFull());
  await settle('vgs', () => s.vgsFull().map((v) => ({ ...v, uuid: v.uuid })));
  await settle('lvs', () => s.lvsFull());
  for (const d of s.listDevices()) {
    await settle(`${d} parttype`, () => s.layout.partGetParttype(d));
    await settle(`${d} part-list`, () => s.layout.partList(d));
    await settle(`${d} size`, () => s.layout.blockdevGetsize64(d));
  }
  const devs = [...s.listPartitions(), ...s.lvs()];
  for (const p of s.partitions()) {
    await settle(`${p.name} bootable`, () => s.layout.partGetBootable(p.disk, p.number));
    if (p.scheme === 'gpt') {
      await settle(`${p.name} name`, () => s.layout.partGetName(p.disk, p.number));
      await settle(`${p.name} gpt-type`, () => s.layout.partGetGptType(p.disk, p.number));
    } else await settle(`${p.name} mbr-id`, () => s.layout.partGetMbrId(p.disk, p.number));
  }
  for (const d of [...s.listDevices(), ...devs]) {
    await settle(`${d} vfs`, async () => [await s.vfsType(d), await s.vfsLabel(d), await s.vfsUuid(d)]);
    await settle(`${d} blkid`, () => s.layout.blkid(d));
    if (opts.bytes && !s.partitions().find((p) => p.name === d)?.extended) await settle(`${d} sha256`, () => sha256(s, d));
  }
  return out;
}

/**
 * What the kernel engine cannot read on this host (an LV in several segments or striped needs
 * device-mapper): its answers for those devices are left out of the comparison, and the
 * userspace engine must answer them without an error instead ("the right facts where it cannot").
 */
function withoutUnreadable(a: Record<string, unknown>, unreadable: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (unreadable.has(k.split(' ')[0]!)) continue;
    if (k === 'filesystems') out[k] = (v as { name: string }[]).filter((f) => !unreadable.has(f.name));
    else if (k === 'lvs') out[k] = (v as { name: string; unavailable?: string }[]).map(({ unavailable: _, ...l }) => l);
    else out[k] = v;
  }
  return out;
}

describe.skipIf(!CAN_RUN)('userspace engine = kernel engine, device level', () => {
  for (const name of REFUSED) {
    it(`${name}: refused by both`, async () => {
      const path = await fixture(name);
      const before = await snapshot({ paths: [path] });
      const errors: { code: string; message: string }[] = [];
      for (const engine of ['kernel', 'userspace'] as const) {
        await using s = new Session({ engine });
        s.addDrive(path, { readonly: true });
        const e = await s.launch().then(
          () => undefined,
          (x: unknown) => x as { code: string; message: string },
        );
        expect(e, `${engine} engine refuses ${name}`).toBeDefined();
        errors.push({ code: e!.code, message: e!.message });
      }
      expect(errors[1]!.code).toBe(errors[0]!.code);
      for (const e of errors) {
        expect(e.message).toContain(path);
        expect(e.message).not.toContain('\n');
      }
      await expectNoLeftovers(before);
    });
  }

  for (const name of IMAGES) {
    it(name, async () => {
      const path = await fixture(name);
      const before = await snapshot({ paths: [path] });
      const bytes = !name.startsWith('win') && name !== 'debian-btrfs.raw'; // the big ones: tables and probes only
      const got: Record<string, unknown>[] = [];
      let unreadable = new Set<string>();
      for (const engine of ['kernel', 'userspace'] as const) {
        await using s = new Session({ engine });
        s.addDrive(path, { readonly: true });
        await s.launch();
        if (engine === 'kernel')
          unreadable = new Set(
            s
              .lvsFull()
              .filter((l) => l.unavailable)
              .map((l) => l.name),
          );
        got.push(await answers(s, { bytes }));
      }
      const [kernel, user] = got as [Record<string, unknown>, Record<string, unknown>];
      expect(withoutUnreadable(user, unreadable)).toEqual(withoutUnreadable(kernel, unreadable));
      for (const [k, v] of Object.entries(user)) if (unreadable.has(k.split(' ')[0]!)) expect(String(v)).not.toMatch(/^error/);
      for (const lv of unreadable) {
        const fs = (user.filesystems as { name: string; type: string }[]).find((f) => f.name === lv);
        expect(fs?.type, `${lv} read in userspace`).not.toBe('unknown');
      }
      await expectNoLeftovers(before);
    });
  }
});
