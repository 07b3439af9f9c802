// md layouts beyond md-a/b/c: RAID0 over members of different sizes (several zones, layouts
// original and alternate) and RAID6 in four layouts, made by mdadm in libguestfs's appliance and
// filled with random bytes (md-extra.img; test/fixtures/recipes/guestfs-md-extra.sh). The oracle
// is the appliance's kernel: the size and sha256 of each healthy array (md-extra.facts.json).
// RAID6 is read with every pair of its members left out (Q rebuild, with the slot order of each
// layout). Then crafted superblocks: a clean one-line error. No root.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJootError, JootError } from '../../src/core/errors.js';
import { FileSource } from '../../src/disk/source.js';
import { type MdArray, type MdDevice, scanMd } from '../../src/disk/volumes/md/index.js';
import { fixtures } from '../fixtures/index.js';
import { fixChecksum, gptPartitions, PatchedSource, sha256 } from './md-tools.js';

interface ArrayFacts {
  uuid: string;
  level: string;
  layout: string;
  size: number;
  sha256: string;
}

/** Each array's members in role order, as the recipe made them. */
const parts = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `/dev/sda${from + i}`);
const MEMBERS: Record<string, string[]> = {
  z0orig: parts(1, 3),
  z0alt: parts(4, 6),
  r6la: parts(7, 11),
  r6rs: parts(12, 16),
  r6pf: parts(17, 21),
  r6ls6: parts(22, 26),
};

let disk: FileSource;
let devices: MdDevice[];
let facts: Record<string, ArrayFacts>;

beforeAll(async () => {
  const [img, f] = await fixtures('md-extra.img', 'md-extra.facts.json');
  facts = JSON.parse(readFileSync(f as string, 'utf8')) as Record<string, ArrayFacts>;
  disk = await FileSource.open(img as string);
  devices = [{ name: '/dev/sda', source: disk }, ...(await gptPartitions(disk, '/dev/sda'))];
});

afterAll(async () => {
  await disk?.close();
});

function find(arrays: MdArray[], name: string): MdArray {
  const a = arrays.find((x) => x.uuid === facts[name]?.uuid);
  if (!a) throw new Error(`${name} not found`);
  return a;
}

function without(...names: string[]): MdDevice[] {
  return devices.filter((d) => !names.includes(d.name));
}

describe('md arrays of md-extra.img (made by mdadm in the appliance)', () => {
  it('has the six arrays the recipe made, in the layouts asked for', () => {
    expect(Object.keys(facts).sort()).toEqual(['r6la', 'r6ls6', 'r6pf', 'r6rs', 'z0alt', 'z0orig']);
    expect(facts.z0orig?.layout).toBe('original');
    expect(facts.z0alt?.layout).toBe('alternate');
    expect(facts.r6la?.layout).toBe('left-asymmetric');
  });

  it('reads RAID0 over members of different sizes (three zones, original and alternate) exactly', async () => {
    const problems: JootError[] = [];
    const arrays = await scanMd(devices, { onProblem: (e) => problems.push(e) });
    expect(problems).toEqual([]);
    for (const name of ['z0orig', 'z0alt']) {
      const a = find(arrays, name);
      expect(a.level).toBe('raid0');
      expect(a.source.size, name).toBe(facts[name]?.size);
      expect(await sha256(a.source), name).toBe(facts[name]?.sha256);
    }
  });

  it('reads each healthy RAID6 exactly', async () => {
    const arrays = await scanMd(devices);
    for (const name of ['r6la', 'r6rs', 'r6pf', 'r6ls6']) {
      const a = find(arrays, name);
      expect(a.source.size, name).toBe(facts[name]?.size);
      expect(await sha256(a.source), name).toBe(facts[name]?.sha256);
    }
  });

  for (const name of ['r6la', 'r6rs', 'r6pf', 'r6ls6']) {
    it(`reads ${name} with any one or two of its five members left out (P, Q or both rebuilt)`, async () => {
      const m = MEMBERS[name] as string[];
      expect(m.length).toBe(5);
      const sets: string[][] = m.map((x) => [x]);
      for (let i = 0; i < m.length; i++) for (let j = i + 1; j < m.length; j++) sets.push([m[i] as string, m[j] as string]);
      for (const out of sets) {
        const a = find(await scanMd(without(...out)), name);
        expect(a.degraded).toBe(true);
        expect(await sha256(a.source), `${name} without ${out.join(' ')}`).toBe(facts[name]?.sha256);
      }
      const three = find(await scanMd(without(...m.slice(0, 3))), name);
      expect(three.unavailable).toMatch(/^raid6 array unavailable: 2 of 5 members$/);
      await expect(three.source.read(0, 512)).rejects.toThrow(/unavailable/);
    });
  }
});

describe('crafted md-extra superblocks', () => {
  /** The devices with the 1.2 superblock (at 4 KiB) of each of `names` edited, checksums fixed. */
  async function edited(names: string[], edit: (sb: Buffer) => void): Promise<MdDevice[]> {
    const out: MdDevice[] = [];
    for (const d of devices) {
      if (!names.includes(d.name)) {
        out.push(d);
        continue;
      }
      const sb = await d.source.read(4096, 4096);
      edit(sb);
      fixChecksum(sb, false);
      out.push({ name: d.name, source: new PatchedSource(d.source, d.name, [{ at: 4096, bytes: sb }]) });
    }
    return out;
  }

  it('refuses a multi-zone RAID0 whose layout is neither original nor alternate, as md does', async () => {
    const problems: JootError[] = [];
    const members = MEMBERS.z0orig as string[];
    const arrays = await scanMd(await edited(members, (sb) => sb.writeUInt32LE(0, 76)), { onProblem: (e) => problems.push(e) });
    expect(arrays.some((a) => a.uuid === facts.z0orig?.uuid)).toBe(false);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/RAID0 over members of different sizes with layout 0 \(neither original nor alternate\)/),
    ]);
    for (const p of problems) expect(p.message).not.toContain('\n');
  });

  it('leaves out a RAID0 member whose data area claims to run past its device, with a one-line reason', async () => {
    const problems: JootError[] = [];
    const members = MEMBERS.z0alt as string[];
    const arrays = await scanMd(await edited([members[2] as string], (sb) => sb.writeBigUInt64LE(1n << 40n, 136)), {
      onProblem: (e) => problems.push(e),
    });
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p).toBeInstanceOf(JootError);
      expect(p.message).not.toContain('\n');
      expect(p.message).toContain(members[2] as string);
    }
    const a = arrays.find((x) => x.uuid === facts.z0alt?.uuid);
    if (a) await expect(a.source.read(0, 512)).rejects.toThrow(/unavailable/);
  });

  it('~150 random superblock corruptions with members left out: the right bytes or a clean JootError, quickly', async () => {
    const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const healthy = await scanMd(devices);
    const samples = new Map<string, { at: number; sha: string }[]>();
    for (const a of healthy) {
      const places = [0, Math.floor(a.source.size / 2 / 512) * 512, a.source.size - 65536];
      samples.set(a.uuid, await Promise.all(places.map(async (at) => ({ at, sha: hash(await a.source.read(at, 65536)) }))));
    }
    let seed = 0xd15c;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const all = Object.values(MEMBERS).flat();
    const t0 = Date.now();
    for (let round = 0; round < 150; round++) {
      const victim = all[rand(all.length)] as string;
      const gone = [all[rand(all.length)] as string, ...(round % 3 === 0 ? [all[rand(all.length)] as string] : [])];
      const fix = round % 2 === 0;
      const devs = (
        await edited([victim], (sb) => {
          for (let i = 0, n = 1 + rand(4); i < n; i++) sb[rand(fix ? 320 : 4096)] = rand(256);
        })
      ).filter((d) => !gone.includes(d.name));
      try {
        const arrays = await scanMd(devs, { onProblem: (e) => expect(e.message).not.toContain('\n') });
        for (const a of arrays) {
          for (const smp of samples.get(a.uuid) ?? []) {
            try {
              const got = hash(await a.source.read(smp.at, 65536));
              // with its checksum broken the victim is only left out: what still reads must read right
              if (!fix) expect(got, `round ${round}: ${a.name} at ${smp.at}`).toBe(smp.sha);
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
