// The userspace engine against its oracle, the kernel engine: every disk image of the fixture
// list (ALL_FIXTURES, which fixtures.test.ts holds equal to build.sh --list) opened both ways —
// the disks of one guest together, LUKS volumes with their keys — and every device-level answer
// compared: devices, partitions (and the layout editor's part-list / part-get-* /
// blockdev-getsize64 / blkid), filesystems with their type, label and uuid, PVs, VGs and LVs
// (with the reason an LV cannot be opened, in the same words), md arrays and their md-detail,
// opened LUKS volumes, and the bytes of every disk, partition, LV, array and LUKS volume (a sha256
// digest through download's openDevice) of the smaller images. The one thing left out: btrfs
// subvolumes (btrfsvol:…), which need the btrfs reader of the userspace filesystems. Images both
// must refuse are refused by both, with the same code. One session per engine per image set.
// (blkid -p, sfdisk --json and lvm fullreport run directly are the oracles of
// disk-partitions-diff, disk-lvm-diff and the fs-*-diff tests.)
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { type LuksKey, parseKeySpec } from '../../src/disk/keys.js';
import { ALL_FIXTURES, fixtures, type FixtureName } from '../fixtures/index.js';
import { CAN_RUN } from './session-helpers.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

/** What a disk image of the fixture list is called. */
const DISK_IMAGE = /\.(raw|img|qcow2|vmdk|vdi|vhdx|vpc|iso|sqfs)$/;

/** The disks of one guest, opened together (an md array spans them). */
const TOGETHER: FixtureName[][] = [
  ['md-a.img', 'md-b.img', 'md-c.img'],
  ['os-md-a.img', 'os-md-b.img', 'os-md-c.img'],
  ['md4-a.img', 'md4-b.img', 'md4-c.img', 'md4-d.img'],
  // one btrfs over several disks
  ['btrfs-r1-a.raw', 'btrfs-r1-b.raw'],
  ['btrfs-r10-a.raw', 'btrfs-r10-b.raw', 'btrfs-r10-c.raw', 'btrfs-r10-d.raw'],
  ['btrfs-r0-a.raw', 'btrfs-r0-b.raw'],
  ['btrfs-r1c3-a.raw', 'btrfs-r1c3-b.raw', 'btrfs-r1c3-c.raw'],
];

/** Images both engines must refuse at launch: the same error code, one line naming the image. */
const REFUSED = new Set<string>([
  'empty.img',
  'text.img',
  'truncated.qcow2',
  'corrupt-mbr.raw',
  'corrupt-gpt.raw',
  'backing-device.qcow2',
  'backing-shadow.qcow2',
]);

/** Every image set: each disk image of the fixture list in exactly one. */
const SETS: FixtureName[][] = (() => {
  const grouped = new Set(TOGETHER.flat());
  const alone = ALL_FIXTURES.filter((n) => DISK_IMAGE.test(n) && !grouped.has(n)).map((n) => [n]);
  return [...alone, ...TOGETHER];
})();

/**
 * Whose every byte is digested: the sets of 128 MiB or less (their disks' virtual sizes), and the
 * bigger ones this test has always read; the rest, tables and probes only (the suite's time).
 */
const BYTES_LIMIT = 128n * 1024n * 1024n;
const BYTES_ALWAYS = new Set<string>(['gpt.raw', 'lvm.raw', 'three.qcow2', 'debian-lvm.raw']);

async function digested(s: Session, set: readonly string[]): Promise<boolean> {
  if (BYTES_ALWAYS.has(set[0]!)) return true;
  let size = 0n;
  for (const d of s.listDevices()) size += await s.layout.blockdevGetsize64(d);
  return size <= BYTES_LIMIT;
}

/**
 * The LUKS keys of the fixtures (the passphrases the recipes used, as the README's facts files
 * list them), by LUKS UUID: a key that matches no volume of a set opens nothing.
 */
async function luksKeys(): Promise<LuksKey[]> {
  const [file] = await fixtures('os-volumes.json');
  const v = JSON.parse(readFileSync(file!, 'utf8')) as { keys: Record<string, string>; luks: Record<string, string> };
  return Object.entries(v.luks).map(([name, uuid]) => parseKeySpec(`${uuid}:key:${v.keys[name]}`));
}

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
  await settle('vgs', () => s.vgsFull());
  await settle('lvs', () => s.lvsFull());
  await settle('md', () => s.listMdDevices());
  await settle('dm', () => s.listDmDevices());
  for (const m of s.listMdDevices()) await settle(`${m} md-detail`, () => s.mdDetail(m));
  for (const d of s.listDevices()) {
    await settle(`${d} parttype`, () => s.layout.partGetParttype(d));
    await settle(`${d} part-list`, () => s.layout.partList(d));
    await settle(`${d} size`, () => s.layout.blockdevGetsize64(d));
  }
  for (const p of s.partitions()) {
    await settle(`${p.name} bootable`, () => s.layout.partGetBootable(p.disk, p.number));
    if (p.scheme === 'gpt') {
      await settle(`${p.name} name`, () => s.layout.partGetName(p.disk, p.number));
      await settle(`${p.name} gpt-type`, () => s.layout.partGetGptType(p.disk, p.number));
    } else await settle(`${p.name} mbr-id`, () => s.layout.partGetMbrId(p.disk, p.number));
  }
  // md arrays, LUKS volumes and the LVs on them: on a host without md and device-mapper both
  // engines read their bytes through the same userspace decoder, so they are digested in
  // engine-volumes (against what libguestfs's appliance read), not here
  const decoded = new Set([...s.listMdDevices(), ...s.listDmDevices()]);
  const vgsOnDecoded = new Set(
    s
      .pvsFull()
      .filter((p) => decoded.has(p.name))
      .map((p) => p.vg),
  );
  const lvsOnDecoded = new Set(
    s
      .lvsFull()
      .filter((l) => vgsOnDecoded.has(l.vg))
      .map((l) => l.name),
  );
  const devs = [...s.listDevices(), ...s.listPartitions(), ...s.lvs(), ...decoded];
  for (const d of devs) {
    await settle(`${d} vfs`, async () => [await s.vfsType(d), await s.vfsLabel(d), await s.vfsUuid(d)]);
    await settle(`${d} blkid`, () => s.layout.blkid(d));
    const bytes = opts.bytes && !decoded.has(d) && !lvsOnDecoded.has(d) && !s.partitions().find((p) => p.name === d)?.extended;
    if (bytes) await settle(`${d} sha256`, () => sha256(s, d));
  }
  return out;
}

/**
 * What the kernel engine cannot read on this host while the userspace engine can (an LV that
 * needs device-mapper where the kernel engine does not hand it to the userspace stack): its
 * answers for those devices are left out of the comparison, and the userspace engine must answer
 * them without an error instead ("the right facts where it cannot"). An LV that neither reads
 * is compared, with its reason.
 */
function withoutUnreadable(a: Record<string, unknown>, unreadable: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    if (unreadable.has(k.split(' ')[0]!)) continue;
    if (k === 'filesystems') out[k] = (v as { name: string }[]).filter((f) => !unreadable.has(f.name));
    else if (k === 'lvs')
      out[k] = (v as { name: string; unavailable?: string }[]).map((l) => {
        if (!unreadable.has(l.name)) return l;
        const { unavailable: _, ...rest } = l;
        return rest;
      });
    else out[k] = v;
  }
  return out;
}

describe.skipIf(!CAN_RUN)('userspace engine = kernel engine, device level, on every fixture image', () => {
  it('every disk image of the fixture list is in one set', () => {
    const listed = ALL_FIXTURES.filter((n) => DISK_IMAGE.test(n));
    expect(SETS.flat().sort()).toEqual([...listed].sort());
    for (const r of REFUSED) expect(listed).toContain(r);
  });

  for (const set of SETS) {
    const title = set.join(' + ');
    it(title, async () => {
      const paths = await fixtures(...set);
      const keys = await luksKeys();
      const before = await snapshot({ paths });
      const got: Record<string, unknown>[] = [];
      const refusals: { code: string; message: string }[] = [];
      const unavailable: Set<string>[] = [];
      for (const engine of ['kernel', 'userspace'] as const) {
        await using s = new Session({ engine, keys });
        for (const p of paths) s.addDrive(p, { readonly: true });
        const refused = await s.launch().then(
          () => undefined,
          (x: unknown) => x as { code: string; message: string },
        );
        if (refused) {
          refusals.push({ code: refused.code, message: refused.message });
          continue;
        }
        // LVs this engine cannot open (the kernel engine's that the userspace engine reads: below)
        unavailable.push(
          new Set(
            s
              .lvsFull()
              .filter((l) => l.unavailable)
              .map((l) => l.name),
          ),
        );
        got.push(await answers(s, { bytes: await digested(s, set) }));
      }
      if (REFUSED.has(set[0]!)) {
        expect(refusals.length, `both engines refuse ${title}`).toBe(2);
        expect(refusals[1]!.code).toBe(refusals[0]!.code);
        for (const e of refusals) {
          expect(e.message).toContain(paths[0]);
          expect(e.message).not.toContain('\n');
        }
      } else {
        expect(refusals, `both engines open ${title}`).toEqual([]);
        const unreadable = new Set([...unavailable[0]!].filter((lv) => !unavailable[1]!.has(lv)));
        const [kernel, user] = got as [Record<string, unknown>, Record<string, unknown>];
        expect(withoutUnreadable(user, unreadable)).toEqual(withoutUnreadable(kernel, unreadable));
        for (const [k, v] of Object.entries(user)) if (unreadable.has(k.split(' ')[0]!)) expect(String(v)).not.toMatch(/^error/);
        for (const lv of unreadable) {
          const fs = (user.filesystems as { name: string; type: string }[]).find((f) => f.name === lv);
          expect(fs?.type, `${lv} read in userspace`).not.toBe('unknown');
        }
      }
      await expectNoLeftovers(before);
    });
  }
});
