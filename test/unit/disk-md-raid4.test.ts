// md RAID4 (level 4: data on the first members, parity always on the last) in userspace, against
// the array guestfish md-create (level:raid4) made in libguestfs's appliance over md4-a…d.img
// (test/fixtures/recipes/guestfs-md-raid4.sh) and what its kernel answered (md4.facts.json):
// md-detail, size and the sha256 of the array's bytes, healthy and with any one member left out
// (a data member rebuilt from the parity, or the parity itself gone); two gone is unavailable.
// No root: the images are read as files.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JootError } from '../../src/core/errors.js';
import { FileSource } from '../../src/disk/source.js';
import { type MdArray, type MdDevice, scanMd } from '../../src/disk/volumes/md/index.js';
import { fixtures } from '../fixtures/index.js';
import { gptPartitions, sha256 } from './md-tools.js';

interface Raid4Facts {
  uuid: string;
  level: string;
  chunk: number;
  size: number;
  sha256: string;
  /** the images in role order (the last one holds the parity) */
  members: string[];
  detail: string[];
}

const IMAGES = ['md4-a.img', 'md4-b.img', 'md4-c.img', 'md4-d.img'];
let disks: FileSource[] = [];
let devices: MdDevice[][] = []; // per image: the disk, then its partition
let facts: Raid4Facts;

beforeAll(async () => {
  const paths = await fixtures('md4-a.img', 'md4-b.img', 'md4-c.img', 'md4-d.img', 'md4.facts.json');
  facts = JSON.parse(readFileSync(paths[4] as string, 'utf8')) as Raid4Facts;
  disks = await Promise.all(paths.slice(0, 4).map((p) => FileSource.open(p as string)));
  devices = await Promise.all(
    disks.map(async (d, i) => {
      const base = `/dev/sd${'abcd'[i]}`;
      return [{ name: base, source: d }, ...(await gptPartitions(d, base))];
    }),
  );
});

afterAll(async () => {
  for (const d of disks) await d.close();
});

/** Our name of the member in role `n`: the partition of that image, as this session adds them. */
const memberName = (n: number): string => `/dev/sd${'abcd'[IMAGES.indexOf(facts.members[n] as string)]}1`;

/** The appliance's md-detail (mdadm -D --export) as guestfs md-detail words it, with our member names. */
function expectedDetail(): [string, string][] {
  const kv = new Map(facts.detail.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  // the appliance's kernel names of the members (sdX1) → ours, through their roles
  const ours = new Map<string, string>();
  for (const [k, v] of kv) if (k.endsWith('_ROLE')) ours.set(k.slice('MD_DEVICE_'.length, -'_ROLE'.length), memberName(Number(v)));
  return facts.detail.map((l) => {
    let [k, v] = [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
    const m = /^MD_DEVICE_(.+)_(ROLE|DEV)$/.exec(k);
    if (m) {
      const name = ours.get(m[1] as string) as string;
      k = `MD_DEVICE_${name.slice(1).replaceAll('/', '_')}_${m[2]}`;
      if (m[2] === 'DEV') v = name;
    }
    return [k.slice(3).toLowerCase(), v];
  });
}

function theArray(arrays: MdArray[]): MdArray {
  const a = arrays.find((x) => x.uuid === facts.uuid);
  if (!a) throw new Error(`the RAID4 (${facts.uuid}) was not found among ${arrays.map((x) => x.name).join(', ') || 'no arrays'}`);
  return a;
}

describe('md RAID4 made by guestfish md-create in the appliance', () => {
  it('the facts are of a four-member raid4 with 16 KiB chunks', () => {
    expect(facts.level).toBe('raid4');
    expect(facts.chunk).toBe(16384);
    expect([...facts.members].sort()).toEqual(IMAGES);
    // three data members of 16 MiB less GPT and md metadata: 15 MiB-ish each
    expect(facts.size).toBeGreaterThan(3 * 14 * 1024 * 1024);
  });

  it('finds it healthy, with the md-detail the appliance gave, and reads every byte as its kernel did', async () => {
    const problems: JootError[] = [];
    const arrays = await scanMd(devices.flat(), { onProblem: (e) => problems.push(e) });
    expect(problems).toEqual([]);
    expect(arrays.length).toBe(1);
    const a = theArray(arrays);
    expect(a.name).toBe('/dev/md127');
    expect(a.level).toBe('raid4');
    expect(a.degraded).toBe(false);
    expect(a.unavailable).toBeUndefined();
    expect(a.members.length).toBe(4);
    expect(a.detail).toEqual(expectedDetail());
    expect(a.source.size).toBe(facts.size);
    expect(await sha256(a.source)).toBe(facts.sha256);
  });

  for (let role = 0; role < 4; role++) {
    it(`reads it degraded, the same bytes, with the member in role ${role} (${role === 3 ? 'the parity' : 'data, rebuilt from the parity'}) left out`, async () => {
      const out = memberName(role);
      const problems: JootError[] = [];
      const a = theArray(
        await scanMd(
          devices.flat().filter((d) => d.name !== out),
          { onProblem: (e) => problems.push(e) },
        ),
      );
      expect(problems).toEqual([]);
      expect(a.degraded).toBe(true);
      expect(a.unavailable).toBeUndefined();
      expect(a.members.length).toBe(3);
      expect(a.source.size).toBe(facts.size);
      expect(await sha256(a.source), `without ${out}`).toBe(facts.sha256);
      // reads that start and end inside chunks, across stripes (the stripe holds 3 × 16 KiB of data)
      const whole = theArray(await scanMd(devices.flat()));
      for (const [off, len] of [
        [16384 - 7, 14],
        [3 * 16384 - 1, 3 * 16384 + 2],
        [facts.size - 70000, 70000],
      ] as const) {
        expect((await a.source.read(off, len)).equals(await whole.source.read(off, len)), `${off}+${len} without ${out}`).toBe(true);
      }
    });
  }

  it('is unavailable with two members gone, and says so in one line', async () => {
    const gone = new Set([memberName(0), memberName(3)]);
    const a = theArray(await scanMd(devices.flat().filter((d) => !gone.has(d.name))));
    expect(a.unavailable).toMatch(/^raid4 array unavailable: 2 of 4 members$/);
    await expect(a.source.read(0, 512)).rejects.toThrow(/unavailable/);
  });
});
