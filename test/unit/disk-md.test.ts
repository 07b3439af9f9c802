// md RAID in userspace (src/disk/volumes/md) against the arrays libguestfs's appliance made
// (md-a/b/c.img, test/fixtures/README.md) and what its kernel answered (md.facts.json): names,
// md-detail and the sha256 of every array's bytes; the same with one member image left out;
// then crafted and random damage to the superblocks: the right answer or a clean JootError.
// No root: the images are read as files.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJootError, JootError } from '../../src/core/errors.js';
import { type MdArray, type MdDevice, scanMd } from '../../src/disk/volumes/md/index.js';
import { FileSource } from '../../src/disk/source.js';
import { fixtures } from '../fixtures/index.js';
import { fixChecksum, gptPartitions, MD_CRAFTED_SUPERBLOCKS, PatchedSource, sha256 } from './md-tools.js';

interface Facts {
  'list-md-devices': string[];
  'md-detail': Record<string, [string, string][]>;
  'checksum-device': Record<string, string>;
}

let disks: FileSource[] = [];
let devices: MdDevice[][] = []; // per image: the disk, then its partitions
let facts: Facts;

beforeAll(async () => {
  const [a, b, c, f] = await fixtures('md-a.img', 'md-b.img', 'md-c.img', 'md.facts.json');
  facts = JSON.parse(readFileSync(f as string, 'utf8')) as Facts;
  disks = await Promise.all([a, b, c].map((p) => FileSource.open(p as string)));
  devices = await Promise.all(
    disks.map(async (d, i) => {
      const base = `/dev/sd${'abc'[i]}`;
      return [{ name: base, source: d }, ...(await gptPartitions(d, base))];
    }),
  );
});

afterAll(async () => {
  for (const d of disks) await d.close();
});

function uuidOf(name: string): string {
  return new Map(facts['md-detail'][name]).get('uuid') as string;
}

describe('md arrays made in the libguestfs appliance', () => {
  // Which 1.x array gets which /dev/mdN depends on the order the appliance's udev saw the members
  // in, which is not reproducible (names.ts): the set of names must be the appliance's, the 0.90
  // array must be at its preferred minor, and each array (matched by UUID) must have its md-detail with
  // only the device number in it being ours.
  it('finds every array the appliance listed, the same names, with its md-detail', async () => {
    const arrays = await scanMd(devices.flat());
    expect(arrays.map((a) => a.name).sort()).toEqual([...facts['list-md-devices']].sort());
    const byUuid = new Map(facts['list-md-devices'].map((n) => [uuidOf(n), n]));
    for (const a of arrays) {
      expect(a.degraded).toBe(false);
      const theirs = byUuid.get(a.uuid) as string;
      expect(a.detail, a.name).toEqual(facts['md-detail'][theirs]);
      // a 0.90 array at the minor its superblock prefers (mdadm's devname for it); the appliance's
      // own number for it can differ: its udev may assemble a 1.x array at that minor first
      if (a.detail.some(([k, v]) => k === 'metadata' && v === '0.90'))
        expect(a.name).toBe(`/dev/md${new Map(facts['md-detail'][theirs]).get('devname')}`);
    }
  });

  it("reads every array's bytes exactly (sha256 = the appliance's checksum-device)", async () => {
    const arrays = await scanMd(devices.flat());
    const byUuid = new Map(facts['list-md-devices'].map((n) => [uuidOf(n), n]));
    for (const a of arrays)
      expect(await sha256(a.source), `${a.name} (${a.level})`).toBe(facts['checksum-device'][byUuid.get(a.uuid) as string]);
  });

  for (const [left, label] of [
    [1, 'md-b.img'],
    [2, 'md-c.img'],
    [0, 'md-a.img'],
  ] as const) {
    it(`reads degraded RAID1/5/6/10 the same with ${label} left out (RAID6 without md-c.img: two members gone, rebuilt with Q); RAID0 and linear are unavailable`, async () => {
      const problems: JootError[] = [];
      const arrays = await scanMd(devices.filter((_, i) => i !== left).flat(), { onProblem: (e) => problems.push(e) });
      expect(problems).toEqual([]);
      const byUuid = new Map(facts['list-md-devices'].map((n) => [uuidOf(n), n]));
      let degradedRead = 0;
      for (const a of arrays) {
        const healthy = byUuid.get(a.uuid) as string;
        if (a.level === 'raid0' || a.level === 'linear') {
          if (a.members.length < Number(new Map(facts['md-detail'][healthy]).get('devices'))) {
            expect(a.unavailable).toMatch(/unavailable/);
            await expect(a.source.read(0, 512)).rejects.toThrow(/unavailable/);
          }
          continue;
        }
        expect(a.unavailable).toBeUndefined();
        expect(await sha256(a.source), `${a.name} (${a.level}) without ${label}`).toBe(facts['checksum-device'][healthy]);
        if (a.degraded) degradedRead++;
      }
      expect(degradedRead).toBeGreaterThanOrEqual(left === 2 ? 4 : 6);
    });
  }

  // every pair of the RAID6's four members gone: two data, data and P, data and Q, P and Q (which
  // ones depends on the stripe), against the appliance's checksum of the healthy array
  it('reads the RAID6 with any two of its four members left out (Q rebuild), and not with three', async () => {
    const r6 = facts['list-md-devices'].find((n) => new Map(facts['md-detail'][n]).get('level') === 'raid6') as string;
    const members = (facts['md-detail'][r6] ?? []).filter(([k]) => k.endsWith('_dev')).map(([, v]) => v);
    expect(members.length).toBe(4);
    for (let i = 0; i < 4; i++)
      for (let j = i + 1; j < 4; j++) {
        const out = new Set([members[i], members[j]]);
        const arrays = await scanMd(devices.flat().filter((d) => !out.has(d.name)));
        const a = arrays.find((x) => x.uuid === uuidOf(r6)) as MdArray;
        expect(a.members.length).toBe(2);
        expect(await sha256(a.source), `without ${[...out].join(' ')}`).toBe(facts['checksum-device'][r6]);
      }
    const three = new Set(members.slice(0, 3));
    const a = (await scanMd(devices.flat().filter((d) => !three.has(d.name)))).find((x) => x.uuid === uuidOf(r6)) as MdArray;
    expect(a.unavailable).toMatch(/raid6 array unavailable: 1 of 4 members/);
  });
});

// ---------------------------------------------------------------------------------- hostile

/** Where each member's superblock is (README: p3 0.90 at the end, p4 1.0 near the end, p8 1.1 at 0, else 1.2 at 4 KiB). */
function sbAt(dev: MdDevice): number {
  const size = dev.source.size;
  if (dev.name.endsWith('3') && dev.name !== '/dev/sdc3') return Math.floor(size / 65536) * 65536 - 65536;
  if (dev.name.endsWith('4') && dev.name !== '/dev/sdc4') return Math.floor((size - 8192) / 4096) * 4096;
  if (dev.name.endsWith('8')) return 0;
  return 4096;
}
const is090 = (dev: MdDevice) => dev.name.endsWith('3') && dev.name !== '/dev/sdc3';

function part(name: string): MdDevice {
  const d = devices.flat().find((x) => x.name === name);
  if (!d) throw new Error(`no ${name}`);
  return d;
}

/** The session's devices with `name` replaced by a copy whose superblock `edit` changed. */
async function withEdited(name: string, edit: (sb: Buffer) => void, fix = true): Promise<MdDevice[]> {
  const dev = part(name);
  const at = sbAt(dev);
  const sb = await dev.source.read(at, 4096);
  edit(sb);
  if (fix) fixChecksum(sb, is090(dev));
  const patched = new PatchedSource(dev.source, name, [{ at, bytes: sb }]);
  return devices.flat().map((d) => (d.name === name ? { name, source: patched } : d));
}

async function scanEdited(name: string, edit: (sb: Buffer) => void, fix = true): Promise<{ arrays: MdArray[]; problems: JootError[] }> {
  const problems: JootError[] = [];
  const arrays = await scanMd(await withEdited(name, edit, fix), { onProblem: (e) => problems.push(e) });
  return { arrays, problems };
}

function expectOneLine(problems: JootError[], re: RegExp): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) {
    expect(p).toBeInstanceOf(JootError);
    expect(p.message).not.toContain('\n');
  }
  expect(problems.map((p) => p.message).join(' | ')).toMatch(re);
}

describe('crafted md superblocks', () => {
  const r5member = '/dev/sda2'; // a member of the RAID5 r5 (1.2)
  const r5 = () => facts['list-md-devices'].find((n) => new Map(facts['md-detail'][n]).get('devname') === 'r5') as string;

  it.each(MD_CRAFTED_SUPERBLOCKS)('%s: the member is left out with a one-line error, the array runs degraded', async (_, edit, re) => {
    const { arrays, problems } = await scanEdited(r5member, edit);
    expectOneLine(problems, re);
    expect(problems.some((p) => p.message.startsWith(`${r5member}:`))).toBe(true);
    const a = arrays.find((x) => x.uuid === uuidOf(r5())) as MdArray;
    expect(a.degraded).toBe(true);
    expect(a.members).not.toContain(r5member);
    expect(await sha256(a.source)).toBe(facts['checksum-device'][r5()]);
  });

  it('a bad checksum: left out, the array degraded', async () => {
    const { arrays, problems } = await scanEdited(r5member, (sb) => sb.writeUInt32LE(sb.readUInt32LE(92) + 1, 92), false);
    expectOneLine(problems, /checksum/);
    expect(arrays.find((x) => x.uuid === uuidOf(r5()))?.degraded).toBe(true);
  });

  it('two members claiming the same role: the second is left out', async () => {
    // sdb2 says it is role 0, like sda2 (its dev_roles slot rewritten)
    const { arrays, problems } = await scanEdited('/dev/sdb2', (sb) => sb.writeUInt16LE(0, 256 + 2 * sb.readUInt32LE(160)));
    expectOneLine(problems, /claims role 0, already held by \/dev\/sda2/);
    const a = arrays.find((x) => x.uuid === uuidOf(r5())) as MdArray;
    expect(a.degraded).toBe(true);
    expect(await sha256(a.source)).toBe(facts['checksum-device'][r5()]);
  });

  it('a stale member (older events) is left out; the newest speaks for the array', async () => {
    const { arrays, problems } = await scanEdited(r5member, (sb) => sb.writeBigUInt64LE(sb.readBigUInt64LE(200) + 10n, 200));
    expect(problems.filter((p) => /stale/.test(p.message)).length).toBe(2);
    const a = arrays.find((x) => x.uuid === uuidOf(r5())) as MdArray;
    expect(a.members).toEqual([r5member]);
    expect(a.unavailable).toMatch(/unavailable: 1 of 3 members/);
    await expect(a.source.read(0, 4096)).rejects.toThrow(/unavailable/);
  });

  it('a RAID5 with one member of three is unavailable, a RAID1 with one of two degraded', async () => {
    const arrays = await scanMd([part('/dev/sda1'), part('/dev/sda2')]);
    const r1 = arrays.find((a) => a.level === 'raid1') as MdArray;
    const r5a = arrays.find((a) => a.level === 'raid5') as MdArray;
    expect(r1.degraded).toBe(true);
    expect(r1.unavailable).toBeUndefined();
    expect(r5a.unavailable).toBe('raid5 array unavailable: 1 of 3 members');
  });

  it('a 0.90 superblock with raid_disks 28 or a bad chunk is refused', async () => {
    const m090 = '/dev/sda3';
    let r = await scanEdited(m090, (sb) => sb.writeUInt32LE(28, 40));
    expectOneLine(r.problems, /raid_disks 28/);
    r = await scanEdited(m090, (sb) => {
      sb.writeUInt32LE(5, 28); // level 5
      sb.writeUInt32LE(1000, 65 * 4);
    });
    expectOneLine(r.problems, /chunk size 1000/);
  });
});

describe('random damage to md superblocks', () => {
  it('~200 random corruptions: the right bytes or a clean JootError, quickly', async () => {
    const healthy = await scanMd(devices.flat());
    // the bytes expected at a few places of each array
    const samples = new Map<string, { at: number; sha: string }[]>();
    for (const a of healthy) {
      const places = [0, Math.floor(a.source.size / 2 / 512) * 512, a.source.size - 65536];
      samples.set(
        a.uuid,
        await Promise.all(
          places.map(async (at) => ({
            at,
            sha: createHash('sha256')
              .update(await a.source.read(at, 65536))
              .digest('hex'),
          })),
        ),
      );
    }
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const members = devices.flat().filter((d) => /\d$/.test(d.name));
    const t0 = Date.now();
    for (let round = 0; round < 200; round++) {
      const dev = members[rand(members.length)] as MdDevice;
      const fix = round % 2 === 0;
      const edit = (sb: Buffer) => {
        const hits = 1 + rand(4);
        for (let i = 0; i < hits; i++) {
          const at = rand(fix ? 320 : 4096); // the fixed-checksum half hits the fields
          sb[at] = rand(256);
        }
      };
      try {
        const arrays = await scanMd(await withEdited(dev.name, edit, fix), { onProblem: (e) => expect(e.message).not.toContain('\n') });
        for (const a of arrays) {
          for (const s of samples.get(a.uuid) ?? []) {
            try {
              const got = createHash('sha256')
                .update(await a.source.read(s.at, 65536))
                .digest('hex');
              // with its checksum broken the member is only left out, so the bytes must be right
              if (!fix) expect(got, `round ${round}: ${a.name} at ${s.at}`).toBe(s.sha);
            } catch (e) {
              if (!isJootError(e)) throw e;
              expect(e.message).not.toContain('\n');
            }
          }
        }
      } catch (e) {
        if (!isJootError(e)) throw e;
        expect(e.message).not.toContain('\n');
      }
    }
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe('geometries md cannot run', () => {
  it('an unknown RAID5 layout on every member: the array is left out with one clean error per cause', async () => {
    const names = ['/dev/sda2', '/dev/sdb2', '/dev/sdc2'];
    let devs = devices.flat();
    for (const name of names) {
      const dev = part(name);
      const sb = await dev.source.read(4096, 4096);
      sb.writeUInt32LE(7, 76); // layout 7: no RAID5 algorithm
      fixChecksum(sb, false);
      const patched = new PatchedSource(dev.source, name, [{ at: 4096, bytes: sb }]);
      devs = devs.map((d) => (d.name === name ? { name, source: patched } : d));
    }
    const problems: JootError[] = [];
    const arrays = await scanMd(devs, { onProblem: (e) => problems.push(e) });
    expect(arrays.length).toBe(8);
    expectOneLine(problems, /RAID5 layout 7 is not supported/);
    expect(problems[0]?.code).toBe('EUNSUPPORTED');
  });
});
