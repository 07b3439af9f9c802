// The md/LUKS/LVM fixtures made in the libguestfs appliance (test/fixtures/README.md, "Volumes
// made in the libguestfs appliance"): their facts files checked with tools of this host, which
// cannot assemble md or open LUKS but can read the layers below: sfdisk --json on the images,
// blkid -p on read-only loop partitions, cryptsetup luksDump/luksUUID on the LUKS partition.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_BUILD_FIXTURES, fixtures } from '../fixtures/index.js';
import { blkid, FixtureDisks, ok, sfdisk } from './fixture-disks.js';

interface Facts {
  images: Record<string, string>;
  'list-devices': string[];
  'list-partitions': string[];
  blkid: Record<string, [string, string][]>;
  vfs: Record<string, [string, string][]>;
  'blockdev-getsize64': Record<string, string>;
  'luks-uuid'?: Record<string, string>;
  luksDump?: Record<string, string>;
}

// blkid's answers that name the device itself (the appliance's /dev/sdX, our /dev/loopNpM)
const DEVICE_KEYS = new Set(['DEVNAME', 'PART_ENTRY_DISK']);
const strip = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([k]) => !DEVICE_KEYS.has(k)));

const GROUPS = [
  { facts: 'md.facts.json', images: ['md-a.img', 'md-b.img', 'md-c.img'] },
  { facts: 'luks-lvm.facts.json', images: ['luks-lvm.img'] },
  { facts: 'lvm-luks.facts.json', images: ['lvm-luks.img'] },
  { facts: 'lvm-striped.facts.json', images: ['lvm-striped.img'] },
] as const;

const describeRoot = CAN_BUILD_FIXTURES ? describe : describe.skip;

describeRoot('fixtures made in the libguestfs appliance', () => {
  let disks!: FixtureDisks;
  beforeAll(async () => {
    disks = new FixtureDisks('joot-guestfs-volumes-');
    await fixtures(...GROUPS.flatMap((g) => [g.facts, ...g.images]));
  });
  afterAll(async () => {
    await disks?.close();
  });

  for (const g of GROUPS) {
    it(`${g.facts}: the partitions, blkid -p and LUKS headers agree with the images`, async () => {
      const [factsFile, ...files] = await fixtures(g.facts, ...g.images);
      const facts = JSON.parse(readFileSync(factsFile as string, 'utf8')) as Facts;
      expect(facts['list-devices'].length).toBe(files.length);
      for (const [i, file] of files.entries()) {
        const disk = facts['list-devices'][i] as string;
        const table = await sfdisk(file as string);
        const parts = facts['list-partitions'].filter((p) => p.startsWith(disk));
        expect(table.label).toBe('gpt');
        expect(table.partitions.length).toBe(parts.length);
        await disks.withDisk(file as string, async (loop) => {
          expect(strip(await blkid(loop))).toEqual(strip(Object.fromEntries(facts.blkid[disk] ?? [])));
          expect(Number(await ok('blockdev', ['--getsize64', loop]))).toBe(Number(facts['blockdev-getsize64'][disk]));
          for (const [n, p] of parts.entries()) {
            const dev = `${loop}p${n + 1}`;
            expect(strip(await blkid(dev)), p).toEqual(strip(Object.fromEntries(facts.blkid[p] ?? [])));
            expect(Number(await ok('blockdev', ['--getsize64', dev])), p).toBe(Number(facts['blockdev-getsize64'][p]));
            const dump = facts.luksDump?.[p];
            if (dump !== undefined) {
              expect(await ok('cryptsetup', ['luksDump', dev])).toBe(dump);
              expect((await ok('cryptsetup', ['luksUUID', dev])).trim()).toBe(facts['luks-uuid']?.[p]);
            }
          }
        });
      }
    });
  }

  it('md.facts.json: every md member partition is a linux_raid_member of an array the appliance listed', async () => {
    const [f] = await fixtures('md.facts.json');
    const facts = JSON.parse(readFileSync(f as string, 'utf8')) as Facts & { 'md-detail': Record<string, [string, string][]> };
    const members = new Map<string, string>();
    for (const [md, detail] of Object.entries(facts['md-detail'])) {
      for (const [k, v] of detail) if (k.endsWith('_dev')) members.set(v, md);
    }
    expect(members.size).toBe(24);
    for (const [dev, md] of members) {
      const b = Object.fromEntries(facts.blkid[dev] ?? []);
      expect(b.TYPE, dev).toBe('linux_raid_member');
      const uuid = new Map(facts['md-detail'][md]).get('uuid') as string;
      // blkid spells the array UUID with dashes where mdadm uses colons
      expect(b.UUID?.replaceAll('-', ''), dev).toBe(uuid.replaceAll(':', ''));
    }
  });
});
