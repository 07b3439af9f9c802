// Hostile LVM metadata for the userspace reader: PVs built in memory by the test (label, PV
// header, metadata area as LVM lays them out, with the text the test writes and a valid
// checksum), and random corruptions of the real lvm.raw PVs. Each case ends in a one-line
// JootError (a problem of the scan, or an LV listed unavailable), in bounded time, never a
// TypeError/RangeError or a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import type { ByteSource } from '../../src/disk/source.js';
import { lvmCrc } from '../../src/disk/volumes/lvm/crc.js';
import { type LvmDevice, type LvmVolumes, scanLvm } from '../../src/disk/volumes/lvm/index.js';
import { fixture } from '../fixtures/index.js';
import { MiB, partitionDevices } from './disk-lvm-helpers.js';
import { fixChecksums, linear, lvText, MDA_OFFSET, makePv, manyLvs, PV0, PV1, SECTOR, vgText } from './lvm-craft.js';

/** A device held in memory (what is not in `data` reads as zeros, up to `size`). */
class MemSource implements ByteSource {
  constructor(
    readonly name: string,
    readonly data: Buffer,
    readonly size = data.length,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new JootError('EIO', `${this.name}: read outside`);
    const out = Buffer.alloc(length);
    if (offset < this.data.length) this.data.copy(out, 0, offset, Math.min(this.data.length, offset + length));
    return out;
  }
  async close(): Promise<void> {}
}

async function scanText(text: string, extra: Partial<Parameters<typeof makePv>[0]> = {}): Promise<LvmVolumes> {
  const devices: LvmDevice[] = [
    { name: '/dev/sda', source: new MemSource('/dev/sda', makePv({ uuid: PV0, text, ...extra }), 64 * MiB) },
    { name: '/dev/sdb', source: new MemSource('/dev/sdb', makePv({ uuid: PV1, text, ...extra }), 64 * MiB) },
  ];
  return scanLvm(devices);
}

/** Every problem is a one-line EFORMAT/EIO JootError naming a device. */
function expectCleanProblems(v: LvmVolumes, match?: RegExp): void {
  for (const p of v.problems) {
    expect(p).toBeInstanceOf(JootError);
    expect(['EFORMAT', 'EIO', 'EUNSUPPORTED']).toContain(p.code);
    expect(p.message).toMatch(/^\/dev\/sd[a-z]\d*: /);
    expect(p.message).not.toMatch(/\n/);
  }
  if (match) expect(v.problems.map((p) => p.message).join('\n')).toMatch(match);
}

describe('userspace LVM: hand-made metadata', () => {
  it('a good hand-made VG reads (the baseline of the cases below), also with the text wrapped around the area', async () => {
    const text = vgText(lvText('a', linear(4, 'pv0', 0)) + lvText('b', linear(4, 'pv1', 2), 'hostlv-0000-0000-0000-0000-0000-000001'));
    for (const extra of [{}, { wrapAt: 100 }]) {
      const v = await scanText(text, extra);
      expect(v.problems).toEqual([]);
      expect(v.lvs.map((l) => [l.name, l.size, l.unavailable])).toEqual([
        ['/dev/hvg/a', 4 * MiB, undefined],
        ['/dev/hvg/b', 4 * MiB, undefined],
      ]);
      expect(v.pvs.map((p) => [p.name, p.vg, p.size])).toEqual([
        ['/dev/sda', 'hvg', 16 * MiB],
        ['/dev/sdb', 'hvg', 16 * MiB],
      ]);
    }
  });

  it('segments past the end of the PV, overlapping, or past the device: the LV is listed unavailable', async () => {
    const past = await scanText(vgText(lvText('a', linear(4, 'pv0', 14))));
    expect(past.lvs[0]!.unavailable).toMatch(/^\/dev\/hvg\/a: inconsistent LVM metadata \(.*past the end of PV hostpv-/);
    expect(() => past.open('/dev/hvg/a')).toThrow(expect.objectContaining({ code: 'EUNSUPPORTED' }));

    const overlap = await scanText(
      vgText(lvText('a', linear(4, 'pv0', 0)) + lvText('b', linear(4, 'pv0', 3), 'hostlv-0000-0000-0000-0000-0000-000001')),
    );
    expect(overlap.lvs.map((l) => l.unavailable)).toEqual([
      expect.stringMatching(/^\/dev\/hvg\/a: inconsistent LVM metadata \(extents 3–3 of PV pv0 are used by both a and b\)$/),
      expect.stringMatching(/^\/dev\/hvg\/b: inconsistent/),
    ]);

    // pe_count larger than the device holds
    const pvs = `pv0 {\nid = "${PV0}"\nstatus = []\ndev_size = 131072\npe_start = 2048\npe_count = 100000\n}\npv1 {\nid = "${PV1}"\npe_start = 2048\npe_count = 1\n}\n`;
    const beyond = await scanText(vgText(lvText('a', linear(4, 'pv0', 90000)), { pvs }));
    expect(beyond.lvs[0]!.unavailable).toMatch(/lie past the end of \/dev\/sda/);
  });

  it('extent_size 0, or one beyond 2^53: a one-line error, no VG', async () => {
    for (const [size, why] of [
      ['0', /extent_size is 0/],
      ['99999999999999999999', /extent_size = 99999999999999999999 is too large/],
      ['-8', /extent_size is not a non-negative integer/],
    ] as const) {
      const v = await scanText(vgText(lvText('a', linear(4, 'pv0', 0)), { extentSize: size }));
      expect(v.vgs).toEqual([]);
      expect(v.lvs).toEqual([]);
      expect(v.pvs).toEqual([]);
      expectCleanProblems(v, why);
    }
  });

  it('loops: an LV made of itself, two LVs made of each other; stripe counts 0 and 2^31', async () => {
    const self = await scanText(vgText(lvText('a', linear(4, 'a', 0))));
    expect(self.lvs[0]!.unavailable).toMatch(/^\/dev\/hvg\/a: inconsistent LVM metadata \(LV a is made of itself \(a → a\)\)$/);
    const pair = await scanText(
      vgText(lvText('a', linear(4, 'b', 0)) + lvText('b', linear(4, 'a', 0), 'hostlv-0000-0000-0000-0000-0000-000001')),
    );
    expect(pair.lvs.map((l) => l.unavailable)).toEqual([expect.stringMatching(/made of itself/), expect.stringMatching(/made of itself/)]);
    const raidSelf = await scanText(
      vgText(lvText('r', 'start_extent = 0\nextent_count = 2\ntype = "raid1"\ndevice_count = 2\nraids = ["r", "r"]')),
    );
    expect(raidSelf.lvs[0]!.unavailable).toMatch(/made of itself/);
    for (const n of ['0', '2147483648']) {
      const v = await scanText(
        vgText(
          lvText('a', `start_extent = 0\nextent_count = 4\ntype = "striped"\nstripe_count = ${n}\nstripe_size = 128\nstripes = ["pv0", 0]`),
        ),
      );
      expect(v.lvs[0]!.unavailable).toMatch(new RegExp(`^/dev/hvg/a: inconsistent LVM metadata \\(.*stripe_count ${n}`));
    }
  });

  it('10,000 LVs: parsed, listed and sorted in bounded time', async () => {
    const lvs = manyLvs(10_000);
    const t0 = Date.now();
    const v = await scanText(vgText(lvs), { mdaSize: 4 * MiB });
    expect(Date.now() - t0).toBeLessThan(20_000); // ~1 s on an idle machine; linear in the LVs
    expect(v.problems).toEqual([]);
    expect(v.lvs).toHaveLength(10_000);
    expect(v.lvs.slice(0, 3).map((l) => l.name)).toEqual(['/dev/hvg/lv0', '/dev/hvg/lv1', '/dev/hvg/lv2']);
    expect(v.lvs[9999]!.name).toBe('/dev/hvg/lv9999');
    expect(v.vgs[0]!.lvs).toHaveLength(10_000);
  });

  it('sections nested 10,000 deep, an unterminated string, garbage: one-line parse errors', async () => {
    for (const [text, why] of [
      [`${'a {\n'.repeat(10_000)}${'}\n'.repeat(10_000)}`, /nested more than 16 deep/],
      [`vg {\nid = "abc\n`, /unterminated string/],
      ['\u0001\u0002 {', /expected a name/],
      [vgText('').replace('seqno = 1', 'seqno = [1, [2]]'), /expected a value/],
    ] as const) {
      const v = await scanText(text);
      expect(v.vgs).toEqual([]);
      expectCleanProblems(v, why);
    }
  });

  it('a 1 GiB metadata size claim, an area past the device, bad checksums in every copy', async () => {
    const text = vgText(lvText('a', linear(4, 'pv0', 0)));
    const huge = makePv({ uuid: PV0, text });
    huge.writeBigUInt64LE(BigInt(1024 * MiB), MDA_OFFSET + 48);
    fixChecksums(huge);
    const bigArea = makePv({ uuid: PV0, text });
    bigArea.writeBigUInt64LE(BigInt(1024 * MiB), SECTOR + 112);
    bigArea.writeUInt32LE(lvmCrc(bigArea.subarray(SECTOR + 20, 2 * SECTOR)), SECTOR + 16);
    const badText = makePv({ uuid: PV0, text });
    badText[MDA_OFFSET + SECTOR + 10]! ^= 1;
    const badHeader = makePv({ uuid: PV0, text });
    badHeader[MDA_OFFSET + 100]! ^= 1;
    const badLabel = makePv({ uuid: PV0, text });
    badLabel[SECTOR + 40]! ^= 1;
    for (const [buf, why] of [
      [huge, /metadata size 1073741824 does not fit the area/],
      [bigArea, /metadata area at 4096 \(size 1073741824\) does not fit the device/],
      [badText, /the VG metadata has a bad checksum/],
      [badHeader, /header has a bad checksum/],
      [badLabel, /label in sector 1 has a bad checksum/],
    ] as const) {
      const t0 = Date.now();
      const v = await scanLvm([{ name: '/dev/sda2', source: new MemSource('/dev/sda2', buf, 64 * MiB) }]);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(v.pvs).toEqual([]);
      expect(v.lvs).toEqual([]);
      expect(v.problems).toHaveLength(1);
      expect(v.problems[0]!.message).toMatch(/^\/dev\/sda2: LVM /);
      expectCleanProblems(v, why);
    }
  });

  it('names LVM would refuse (slash, control characters, "..") are left out; the PV still names its VG', async () => {
    const text = vgText(
      lvText('"a/b"', linear(1, 'pv0', 0)) +
        lvText('"bell\\"\u0007"', linear(1, 'pv0', 1), 'hostlv-0000-0000-0000-0000-0000-000001') +
        lvText('..', linear(1, 'pv0', 2), 'hostlv-0000-0000-0000-0000-0000-000002') +
        lvText('ok', linear(1, 'pv0', 3), 'hostlv-0000-0000-0000-0000-0000-000003'),
    );
    const v = await scanText(text);
    expect(v.problems).toEqual([]);
    expect(v.lvs.map((l) => l.name)).toEqual(['/dev/hvg/ok']);
    expect(v.vgs[0]!.lvs).toEqual(['/dev/hvg/ok']);
    const badVg = await scanText(vgText(lvText('ok', linear(1, 'pv0', 3)), { vg: '"v\\"g\u001b"' }));
    expect(badVg.vgs).toEqual([]);
    expect(badVg.lvs).toEqual([]);
    expect(badVg.pvs.map((p) => p.vg)).toEqual(['v"g\u001b', 'v"g\u001b']);
  });

  it('two VGs of one name on different disks: each keeps its LVs, the second shown as hvg@sdb', async () => {
    const a = vgText(lvText('root', linear(1, 'pv0', 0)), { pvs: `pv0 {\nid = "${PV0}"\npe_start = 2048\npe_count = 16\n}\n` });
    const b = a
      .replace('hostvg-0000-0000-0000-0000-0000-000000', 'hostvg-0000-0000-0000-0000-0000-000009')
      .replace(PV0, PV1)
      .replace('hostlv-0000', 'hostlx-0000');
    // the second disk first in the list: the names follow disk order, not scan order
    // extent 0 of each PV (at pe_start, 1 MiB): what each root LV starts with
    const sda = Buffer.concat([makePv({ uuid: PV0, text: a }), Buffer.alloc(4096, 0xaa)]);
    const sdb = Buffer.concat([makePv({ uuid: PV1, text: b }), Buffer.alloc(4096, 0xbb)]);
    const v = await scanLvm([
      { name: '/dev/sdb', source: new MemSource('/dev/sdb', sdb, 64 * MiB) },
      { name: '/dev/sda', source: new MemSource('/dev/sda', sda, 64 * MiB) },
    ]);
    expect(v.problems).toEqual([]);
    expect(v.vgs.map((g) => [g.name, g.uuid, g.pvs, g.lvs])).toEqual([
      ['hvg', 'hostvg-0000-0000-0000-0000-0000-000000', ['/dev/sda'], ['/dev/hvg/root']],
      ['hvg@sdb', 'hostvg-0000-0000-0000-0000-0000-000009', ['/dev/sdb'], ['/dev/hvg@sdb/root']],
    ]);
    expect(v.pvs.map((p) => [p.name, p.vg])).toEqual([
      ['/dev/sda', 'hvg'],
      ['/dev/sdb', 'hvg@sdb'],
    ]);
    expect(v.lvs.map((l) => [l.name, l.vg, l.lv, l.uuid, l.unavailable])).toEqual([
      ['/dev/hvg/root', 'hvg', 'root', 'hostlv-0000-0000-0000-0000-0000-000000', undefined],
      ['/dev/hvg@sdb/root', 'hvg@sdb', 'root', 'hostlx-0000-0000-0000-0000-0000-000000', undefined],
    ]);
    // each name reads its own VG's extents
    expect((await v.open('/dev/hvg/root').read(0, 4)).toString('hex')).toBe('aaaaaaaa');
    expect((await v.open('/dev/hvg@sdb/root').read(0, 4)).toString('hex')).toBe('bbbbbbbb');
    expect(() => v.open('/dev/hvg@sdc/root')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('the newest copy (highest seqno) wins; a PV missing from it is an orphan', async () => {
    const old = vgText(lvText('old', linear(1, 'pv0', 0)));
    const cur = old.replace('seqno = 1', 'seqno = 2').replace('old {', 'new {');
    const v = await scanLvm([
      { name: '/dev/sda', source: new MemSource('/dev/sda', makePv({ uuid: PV0, text: old }), 64 * MiB) },
      { name: '/dev/sdb', source: new MemSource('/dev/sdb', makePv({ uuid: PV1, text: cur }), 64 * MiB) },
    ]);
    expect(v.lvs.map((l) => l.name)).toEqual(['/dev/hvg/new']);
  });
});

describe('userspace LVM: random corruptions of lvm.raw’s metadata areas', () => {
  let heads: { name: string; base: ByteSource; head: Buffer }[];
  let good: LvmVolumes;
  let sources: ByteSource[];
  beforeAll(async () => {
    const d = await partitionDevices(await fixture('lvm.raw'));
    sources = d.sources;
    const pvDevs = d.devices.filter((x) => x.name === '/dev/sda2' || x.name === '/dev/sda3');
    heads = await Promise.all(pvDevs.map(async (x) => ({ name: x.name, base: x.source, head: await x.source.read(0, MiB) })));
    good = await scanLvm(pvDevs);
  });
  afterAll(async () => {
    for (const s of sources) await s.close();
  });

  /** The PV with its first MiB (label and metadata area) replaced by `head`. */
  const patched = (name: string, base: ByteSource, head: Buffer): ByteSource => ({
    name,
    size: base.size,
    read: async (off, len) => {
      const b = await base.read(off, len);
      if (off < head.length) head.copy(b, 0, off, Math.min(head.length, off + len));
      return b;
    },
    close: async () => {},
  });

  it('200 rounds: the right answer or clean one-line errors, never anything else', async () => {
    let seed = 14;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    let same = 0;
    const t0 = Date.now();
    for (let round = 0; round < 200; round++) {
      const devs = heads.map(({ name, base, head }) => {
        const h = Buffer.from(head);
        // every other round: corrupt the VG text and fix the checksums, so the parser sees it
        const inText = round % 2 === 1;
        const off = Number(h.readBigUInt64LE(MDA_OFFSET + 40));
        const len = Number(h.readBigUInt64LE(MDA_OFFSET + 48));
        for (let k = 0, n = 1 + rand(8); k < n; k++) {
          const at = inText ? MDA_OFFSET + off + rand(len) : rand(MDA_OFFSET + SECTOR);
          h[at] = rand(4) === 0 ? 0x22 : rand(256); // quotes now and then: strings that run on
        }
        if (inText) fixChecksums(h);
        return { name, source: patched(name, base, h) };
      });
      let v: LvmVolumes;
      try {
        v = await scanLvm(devs);
      } catch (e) {
        throw new Error(`round ${round}: scanLvm threw ${String(e)}`);
      }
      for (const p of v.problems) {
        expect(p, `round ${round}`).toBeInstanceOf(JootError);
        expect(p.message, `round ${round}`).not.toMatch(/\n/);
      }
      for (const l of v.lvs.slice(0, 8)) {
        if (l.unavailable) {
          expect(l.unavailable).not.toMatch(/\n/);
          continue;
        }
        try {
          const src = v.open(l.name);
          await src.read(0, Math.min(src.size, 8192));
          if (src.size > 8192) await src.read(src.size - 4096, 4096);
        } catch (e) {
          expect(e, `round ${round} ${l.name}`).toBeInstanceOf(JootError);
        }
      }
      if (JSON.stringify([v.pvs, v.vgs, v.lvs]) === JSON.stringify([good.pvs, good.vgs, good.lvs])) same++;
    }
    expect(Date.now() - t0).toBeLessThan(60_000);
    // the corruptions land in comments, padding and the unused parts of the area too
    expect(same).toBeGreaterThan(0);
  });
});
