// md array names as the guest's fstab uses them, through the guest's mdadm.conf (libguestfs's
// map_md_devices, extended in src/inspect/mdadm-conf.ts): a guest root (an ext4 made here by
// mkfs.ext4 -d, not by joot) holding /etc/fstab and /etc/mdadm/mdadm.conf, added after the three
// md drives libguestfs's appliance made (md-a/b/c.img); the array UUIDs the conf names are those
// the appliance reported (md.facts.json). Then the parser alone on hostile text. No root.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { inspect } from '../../src/inspect/index.js';
import { resolveFstab } from '../../src/inspect/fstab.js';
import { confByDevice, mdKey, normalizeMdUuid, parseMdadmConf, resolveMdName } from '../../src/inspect/mdadm-conf.js';
import { fixtures } from '../fixtures/index.js';
import { makeMdGuestRoot, mdUuidsByName } from './md-tools.js';

let dir = '';
let session: Session;
/** the appliance's md-detail uuid of each array, by its mdadm name (r1, r5, …) */
const uuid: Record<string, string> = {};

beforeAll(async () => {
  const [a, b, c, f] = await fixtures('md-a.img', 'md-b.img', 'md-c.img', 'md.facts.json');
  Object.assign(uuid, mdUuidsByName(f as string));
  dir = mkdtempSync(join(tmpdir(), 'joot-mdnames-'));
  const root = makeMdGuestRoot(dir, uuid);
  session = new Session({ engine: 'userspace' });
  for (const img of [a, b, c, root]) session.addDrive(img as string, { readonly: true });
  await session.launch();
});

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The session's name of the array whose md-detail uuid is `u`. */
function nameOf(u: string): string {
  const n = session.listMdDevices().find((d) => new Map(session.mdDetail(d)).get('uuid') === u);
  if (!n) throw new Error(`no array ${u}`);
  return n;
}

describe("the guest's md names in its fstab", () => {
  it('maps /dev/mdN and /dev/md/NAME through mdadm.conf, the superblock name, the 0.90 minor and by-id', async () => {
    const report = await inspect(session, { applications: false });
    const os = report.operatingsystems.find((o) => o.root === '/dev/sdd');
    expect(os, JSON.stringify(report.operatingsystems.map((o) => o.root))).toBeDefined();
    expect(os?.mountpoints).toEqual({
      '/': '/dev/sdd',
      '/home': nameOf(uuid.r1 as string),
      '/srv/old': nameOf(uuid['125'] as string),
      '/srv/raid5': nameOf(uuid.r5 as string),
      '/srv/raid6': nameOf(uuid.r6 as string),
      '/srv/raid10': nameOf(uuid.r10 as string),
    });
    // the names the session lists stay the appliance's (list-md-devices, list-filesystems)
    expect(session.listMdDevices().every((n) => /^\/dev\/md1\d\d$/.test(n))).toBe(true);
    const w = os?.warnings.join('\n') ?? '';
    expect(w).toMatch(/"\/dev\/md9": mdadm\.conf names it as the array of UUID 0{31}1, which is not among this session's arrays/);
    expect(w).toMatch(/"\/dev\/md\/bad": no md array of this session has that name/);
  });
});

describe('mdadm.conf parsing and md names (pure)', () => {
  it('spells names and UUIDs one way', () => {
    expect(mdKey('/dev/md/7')).toBe('/dev/md7');
    expect(mdKey('/dev/md007')).toBe('/dev/md7');
    expect(mdKey('home')).toBe('/dev/md/home');
    expect(mdKey('/dev/sda1')).toBeUndefined();
    expect(mdKey('/dev/md/a/b')).toBeUndefined();
    expect(normalizeMdUuid('F55D06BF-5C73-BC3A-A597-6CAF2D02040B')).toBe('f55d06bf5c73bc3aa5976caf2d02040b');
    expect(normalizeMdUuid('f55d06bf:5c73bc3a')).toBeUndefined();
    expect(normalizeMdUuid('x'.repeat(100))).toBeUndefined();
  });

  it('is bounded and never throws on hostile text', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `ARRAY /dev/md${i} UUID=${'1'.repeat(32)}`).join('\n');
    const t0 = Date.now();
    expect(parseMdadmConf(many).length).toBe(1024);
    const junk = `${'\u0000\n \t='.repeat(100000)}ARRAY\nARRAY = = =\n   \n${'#'.repeat(1 << 20)}`;
    expect(parseMdadmConf(junk)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('resolves a huge fstab of md names against a huge mdadm.conf in bounded time', () => {
    const conf = Array.from({ length: 2000 }, (_, i) => `ARRAY /dev/md${i} UUID=${i.toString(16).padStart(32, '0')}`).join('\n');
    const fstab = Array.from({ length: 40000 }, (_, i) => `/dev/md${i % 3000} /m${i} ext4 defaults 0 0`).join('\n');
    const model = {
      filesystems: [{ name: '/dev/md127', type: 'ext4' }],
      partitions: [],
      disks: ['/dev/sda'],
      lvs: [],
      btrfsSubvolumes: {},
      mdArrays: [{ name: '/dev/md127', uuid: `${'0'.repeat(29)}${(5).toString(16).padStart(3, '0')}` }],
    };
    const t0 = Date.now();
    const r = resolveFstab(fstab, model, { mdadmConf: conf });
    expect(Date.now() - t0).toBeLessThan(5000);
    // /dev/md5 is the array of UUID …5, which the session has as /dev/md127
    expect(r.mountpoints.find((m) => m.mountpoint === '/m5')?.device).toBe('/dev/md127');
    expect(r.warnings.length).toBeLessThanOrEqual(101);
  });

  it('refuses an ambiguous name', () => {
    const arrays = [
      { name: '/dev/md127', uuid: '1'.repeat(32), devname: 'data' },
      { name: '/dev/md126', uuid: '2'.repeat(32), devname: 'data' },
    ];
    expect(resolveMdName('/dev/md/data', arrays, new Map())).toEqual({ ok: false, reason: '2 arrays are named data' });
    expect(resolveMdName('/dev/md127', arrays, new Map())).toEqual({ ok: true, device: '/dev/md127' });
    expect(resolveMdName('/dev/md/data', arrays, confByDevice([{ device: '/dev/md/data', uuid: '2'.repeat(32) }]))).toEqual({
      ok: true,
      device: '/dev/md126',
    });
  });
});
