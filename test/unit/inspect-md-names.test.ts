// md array names as the guest's fstab uses them, through the guest's mdadm.conf (libguestfs's
// map_md_devices, extended in src/inspect/mdadm-conf.ts): a guest root (an ext4 made here by
// mkfs.ext4 -d, not by joot) holding /etc/fstab and /etc/mdadm/mdadm.conf, added after the three
// md drives libguestfs's appliance made (md-a/b/c.img); the array UUIDs the conf names are those
// the appliance reported (md.facts.json). Then the parser alone on hostile text. No root.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { inspect } from '../../src/inspect/index.js';
import { mdKey, normalizeMdUuid, parseMdadmConf, resolveMdName } from '../../src/inspect/mdadm-conf.js';
import { fixtures } from '../fixtures/index.js';

let dir = '';
let session: Session;
/** the appliance's md-detail uuid of each array, by its mdadm name (r1, r5, …) */
const uuid: Record<string, string> = {};

beforeAll(async () => {
  const [a, b, c, f] = await fixtures('md-a.img', 'md-b.img', 'md-c.img', 'md.facts.json');
  const facts = JSON.parse(readFileSync(f as string, 'utf8')) as { 'md-detail': Record<string, [string, string][]> };
  for (const d of Object.values(facts['md-detail'])) {
    const m = new Map(d);
    uuid[m.get('devname') as string] = m.get('uuid') as string;
  }
  dir = mkdtempSync(join(tmpdir(), 'joot-mdnames-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'etc/mdadm'), { recursive: true });
  mkdirSync(join(tree, 'bin'));
  writeFileSync(join(tree, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n');
  // the UUIDs written in other spellings mdadm also accepts (dashes, upper case)
  const dashed = (u: string) =>
    u
      .replace(/:/g, '')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')
      .toUpperCase();
  writeFileSync(
    join(tree, 'etc/mdadm/mdadm.conf'),
    [
      '# mdadm.conf written by the installer',
      'HOMEHOST <system>',
      `ARRAY /dev/md0 metadata=1.2 name=host:r5 UUID=${uuid.r5}`,
      `arr /dev/md/home level=raid1`,
      `   uuid=${dashed(uuid.r1 as string)}`,
      'ARRAY /dev/md9 UUID=00000000:00000000:00000000:00000001',
      `ARRAY /dev/md/bad UUID=not-a-uuid`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(tree, 'etc/fstab'),
    [
      'LABEL=mdguest / ext4 defaults 0 1',
      '/dev/md0 /srv/raid5 ext4 defaults 0 2',
      '/dev/md/home /home ext4 defaults 0 2',
      '/dev/md/r10 /srv/raid10 ext4 defaults 0 2',
      '/dev/md/125 /srv/old ext4 defaults 0 2',
      `/dev/disk/by-id/md-uuid-${uuid.r6} /srv/raid6 ext4 defaults 0 2`,
      '/dev/md9 /srv/gone ext4 defaults 0 2',
      '/dev/md/bad /srv/bad ext4 defaults 0 2',
      '',
    ].join('\n'),
  );
  const root = join(dir, 'root.img');
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'mdguest', '-d', tree, root, '8M'], { stdio: 'ignore' });
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

  it('refuses an ambiguous name', () => {
    const arrays = [
      { name: '/dev/md127', uuid: '1'.repeat(32), devname: 'data' },
      { name: '/dev/md126', uuid: '2'.repeat(32), devname: 'data' },
    ];
    expect(resolveMdName('/dev/md/data', arrays, [])).toEqual({ ok: false, reason: '2 arrays are named data' });
    expect(resolveMdName('/dev/md127', arrays, [])).toEqual({ ok: true, device: '/dev/md127' });
    expect(resolveMdName('/dev/md/data', arrays, [{ device: '/dev/md/data', uuid: '2'.repeat(32) }])).toEqual({
      ok: true,
      device: '/dev/md126',
    });
  });
});
