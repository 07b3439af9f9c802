// md RAID, LUKS and LVM layouts the kernel engine cannot read on this host (no md, no
// device-mapper), read by the userspace engine and compared with what libguestfs's appliance
// said of the same images when it built them (test/fixtures/README.md: the *.facts.json files):
// the arrays and their md-detail, the LUKS volumes opened with --key / luks-open, the LVs on
// them, the filesystems, and the bytes of every array, LV and opened volume (sha256). Through
// the library and through jfish, as root and as nobody.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { parseKeySpec } from '../../src/disk/keys.js';
import { fixture, type FixtureName } from '../fixtures/index.js';
import { deviceSha256 } from './device-digest.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin', 'jfish');
const KEY = 'joot-fixture-key';

interface Facts {
  'list-devices': string[];
  'list-md-devices': string[];
  'list-dm-devices': string[];
  lvs: string[];
  'list-filesystems': [string, string][];
  'md-detail'?: Record<string, [string, string][]>;
  'checksum-device'?: Record<string, string>;
  files?: Record<string, string>;
}

async function facts(name: string): Promise<Facts> {
  await fixture(name === 'md' ? 'md-a.img' : (`${name}.img` as FixtureName));
  return JSON.parse(readFileSync(join(dirname(await fixture('md-a.img')), `${name}.facts.json`), 'utf8')) as Facts;
}

async function open(images: string[], keys: string[] = []): Promise<Session> {
  const s = new Session({ engine: 'userspace', keys: keys.map(parseKeySpec) });
  for (const i of images) s.addDrive(await fixture(i as FixtureName), { readonly: true });
  await s.launch();
  return s;
}

/** What the session says, in the facts' shape. */
async function said(s: Session, f: Facts): Promise<Facts> {
  const out: Facts = {
    'list-devices': s.listDevices(),
    'list-md-devices': s.listMdDevices(),
    'list-dm-devices': s.listDmDevices(),
    lvs: s.lvs(),
    'list-filesystems': s.filesystems().map((x) => [x.name, x.type]),
  };
  if (f['md-detail']) out['md-detail'] = Object.fromEntries(s.listMdDevices().map((m) => [m, s.mdDetail(m)]));
  const sums = f['checksum-device'];
  if (sums)
    out['checksum-device'] = Object.fromEntries(await Promise.all(Object.keys(sums).map(async (d) => [d, await deviceSha256(s, d)])));
  return out;
}

const expected = (f: Facts): Facts => {
  const { 'list-devices': a, 'list-md-devices': b, 'list-dm-devices': c, lvs, 'list-filesystems': d, 'md-detail': e } = f;
  return {
    'list-devices': a,
    'list-md-devices': b,
    'list-dm-devices': c,
    lvs,
    'list-filesystems': d,
    'md-detail': e,
    'checksum-device': f['checksum-device'],
  };
};

describe('the userspace engine reads what libguestfs built', () => {
  it('md: RAID 0, 1 (metadata 0.90, 1.0, 1.2), 5 (two layouts), 6, 10 and linear over three disks', async () => {
    const f = await facts('md');
    await using s = await open(['md-a.img', 'md-b.img', 'md-c.img']);
    // the appliance numbers 1.x arrays in the order it happens to assemble them (not the same
    // from one boot to the next): arrays are matched by UUID, and named as the appliance named them
    const uuidOf = (detail: [string, string][]) => detail.find(([k]) => k === 'uuid')?.[1];
    const theirs = new Map(Object.entries(f['md-detail']!).map(([name, d]) => [uuidOf(d), name]));
    const rename = new Map(s.listMdDevices().map((m) => [m, theirs.get(uuidOf(s.mdDetail(m))) ?? `unknown ${m}`]));
    const ours = await said(s, f);
    const renamed = JSON.parse(JSON.stringify(ours).replace(/\/dev\/md\d+/g, (m) => rename.get(m) ?? m)) as Facts;
    const sort = (x: Facts): Facts => ({
      ...x,
      'list-md-devices': [...x['list-md-devices']].sort(),
      'list-filesystems': [...x['list-filesystems']].sort(),
    });
    expect(sort(renamed)).toEqual(sort(JSON.parse(JSON.stringify(expected(f))) as Facts));
    // the names themselves: the same set, and a 0.90 array at its own minor
    expect([...rename.keys()].sort()).toEqual([...f['list-md-devices']].sort());
  });

  for (const name of ['luks-lvm', 'lvm-luks'] as const) {
    it(`${name}: opened with --key at launch, the LVs and filesystems inside, and their bytes`, async () => {
      const f = await facts(name);
      const luksOn = name === 'luks-lvm' ? '/dev/sda1' : '/dev/plainvg/secret';
      await using s = await open([`${name}.img`], [`${luksOn}:key:${KEY}`]);
      expect(JSON.parse(JSON.stringify(await said(s, f)))).toEqual(JSON.parse(JSON.stringify(expected(f))));
    });
  }

  it('lvm-striped: a striped LV and a two-segment LV, bytes as the appliance read them', async () => {
    const f = await facts('lvm-striped');
    await using s = await open(['lvm-striped.img']);
    expect(JSON.parse(JSON.stringify(await said(s, f)))).toEqual(JSON.parse(JSON.stringify(expected(f))));
  });

  it('no key: the LUKS volume stays closed and what is inside is not listed', async () => {
    await using s = await open(['luks-lvm.img']);
    expect(s.listDmDevices()).toEqual([]);
    expect(s.lvs()).toEqual([]);
    expect(await s.vfsType('/dev/sda1')).toBe('crypto_LUKS');
  });

  it('a wrong passphrase is one line naming the device; a right one opens it; luks-close closes it', async () => {
    await using s = await open(['luks-lvm.img']);
    await expect(s.luksOpen('/dev/sda1', Buffer.from('wrong'), 'x')).rejects.toThrow(/^\/dev\/sda1: .*passphrase/);
    await s.luksOpen('/dev/sda1', Buffer.from(KEY), 'x');
    expect(s.listDmDevices()).toEqual(['/dev/mapper/x']);
    expect(s.lvs()).toEqual(['/dev/cryptvg/root']);
    await expect(s.luksClose('/dev/mapper/x')).rejects.toThrow(/in use/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('jfish: keys asked, never on the command line', () => {
  it('luks-open reads the passphrase from stdin with --keys-from-stdin; list-dm-devices, lvs, vfs-label follow', async () => {
    const img = await fixture('luks-lvm.img' as FixtureName);
    const args = ['--engine=userspace', '--keys-from-stdin', '--ro', '-a', img, 'run', ':', 'luks-open', '/dev/sda1', 'm'];
    const r = await execa(jfish, [...args, ':', 'list-dm-devices', ':', 'lvs', ':', 'vfs-type', '/dev/cryptvg/root'], {
      input: `${KEY}\n`,
      reject: false,
    });
    expect({ out: r.stdout, err: r.stderr, code: r.exitCode }).toEqual({ out: '/dev/mapper/m\n/dev/cryptvg/root\next4', err: '', code: 0 });
    const bad = await execa(jfish, args, { input: 'nope\n', reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^jfish: luks-open: \/dev\/sda1: [^\n]*passphrase[^\n]*\n?$/);
  });

  it('as nobody, with --key: the same answers', async () => {
    const img = await fixture('luks-lvm.img' as FixtureName);
    const cmd = ['--ro', '--key', `/dev/sda1:key:${KEY}`, '-a', img, 'run', ':', 'list-dm-devices', ':', 'list-filesystems'];
    const root = await execa(jfish, ['--engine=userspace', ...cmd], { reject: false, input: '' });
    const nobody = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', jfish, ...cmd], {
      reject: false,
      input: '',
      env: { HOME: '/nonexistent', PATH: process.env.PATH ?? '/usr/bin:/bin' },
      extendEnv: false,
    });
    expect(root.stderr).toBe('');
    expect({ out: nobody.stdout, err: nobody.stderr }).toEqual({ out: root.stdout, err: '' });
    expect(root.stdout).toBe('/dev/mapper/luks-10c5aaaa-0000-4000-8000-000000000001\n/dev/cryptvg/root: ext4');
  });
});

describe.skipIf(process.getuid?.() !== 0)('the kernel engine on a host without md or device-mapper', () => {
  it('mounts a filesystem inside an md array and inside LVM on LUKS (read in userspace, exposed as a loop device)', async () => {
    const f = await facts('md');
    const before = await snapshot({});
    {
      await using s = new Session({ engine: 'kernel' });
      for (const i of ['md-a.img', 'md-b.img', 'md-c.img']) s.addDrive(await fixture(i as FixtureName), { readonly: true });
      await s.launch();
      expect(s.listMdDevices()).toEqual(f['list-md-devices']);
      expect(s.filesystems().map((x) => [x.name, x.type])).toEqual(f['list-filesystems']);
      const isR1 = (d: [string, string][]) => d.some(([k, v]) => k === 'devname' && v === 'r1');
      const r1 = s.listMdDevices().find((m) => isR1(s.mdDetail(m)))!;
      // the appliance may have given r1 another number (its udev assembles in no fixed order)
      const theirR1 = Object.entries(f['md-detail']!).find(([, d]) => isR1(d))![0];
      // a read-only session: a mount without readonly is read-only, as on any read-only drive
      await s.mount(r1, '/');
      expect((await s.readFile('/hello.txt')).toString()).toBe(f.files?.[`${theirR1} /hello.txt`]);
    }
    {
      await using s = new Session({ engine: 'kernel', keys: [parseKeySpec(`/dev/sda1:key:${KEY}`)] });
      s.addDrive(await fixture('luks-lvm.img' as FixtureName), { readonly: true });
      await s.launch();
      expect(s.listDmDevices()).toEqual(['/dev/mapper/luks-10c5aaaa-0000-4000-8000-000000000001']);
      await s.mount('/dev/cryptvg/root', '/');
      expect((await s.readFile('/hello.txt')).toString()).toMatch(/^hello/);
    }
    await expectNoLeftovers(before);
  });
});

/** Private read-write copies of fixture images (the shared ones are never opened read-write). */
async function copies(names: string[]): Promise<{ dir: string; paths: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'joot-volw-'));
  const paths: string[] = [];
  for (const n of names) {
    const to = join(dir, n);
    execFileSync('cp', ['--sparse=always', await fixture(n as FixtureName), to]);
    paths.push(to);
  }
  return { dir, paths };
}

const digest = (paths: string[]) => paths.map((p) => createHash('sha256').update(readFileSync(p)).digest('hex'));

/** A jfish script on stdin (lines with a leading `-` go on after an error). */
async function jfishScript(args: string[], script: string[]) {
  const r = await execa(jfish, args, { input: `${script.join('\n')}\n`, reject: false });
  return { out: r.stdout, err: r.stderr.split('\n'), code: r.exitCode };
}

describe.skipIf(process.getuid?.() !== 0)(
  'the kernel engine refuses writes to a volume decoded in userspace, naming what the host lacks',
  () => {
    it('md arrays: a read-write mount (library and jfish), pwrite-device, zero-device, mkfs, upload; a read-only mount reads', async () => {
      const { dir, paths } = await copies(['md-a.img', 'md-b.img', 'md-c.img']);
      const before = await snapshot({ paths: [dir] });
      try {
        const was = digest(paths);
        let r1 = '';
        {
          await using s = new Session({ engine: 'kernel' });
          for (const p of paths) s.addDrive(p);
          await s.launch();
          r1 = s.listMdDevices().find((m) => s.mdDetail(m).some(([k, v]) => k === 'devname' && v === 'r1'))!;
          const why = `${r1}: read-only: this host has no md, the volume is decoded in userspace`;
          expect(s.unwritable(r1)).toBe(why);
          await expect(s.mount(r1, '/', { readonly: false })).rejects.toMatchObject({
            code: 'EUNSUPPORTED',
            message: why,
            device: r1,
            missing: 'md',
          });
          await expect(s.mount(r1, '/')).rejects.toThrow(why);
          expect(s.mountpoints()).toEqual([]);
          await expect(s.layout.zeroDevice(r1)).rejects.toThrow(why);
          await s.mount(r1, '/', { readonly: true });
          expect(s.mountpoints()).toEqual([{ device: r1, mountpoint: '/', vfstype: 'ext4', readonly: true }]);
          expect((await s.readFile('/hello.txt')).toString()).toMatch(/^hello from raid1/);
        }
        const why = `${r1}: read-only: this host has no md, the volume is decoded in userspace`;
        const drives = paths.flatMap((p) => ['-a', p]);
        const r = await jfishScript(
          ['--rw', '--engine=kernel', ...drives],
          [
            'run',
            `-pwrite-device ${r1} x 0`,
            `-zero-device ${r1}`,
            `-mkfs ext4 ${r1}`,
            `-upload /proc/sys/kernel/ostype ${r1}`,
            `-mount ${r1} /`,
            `mount-ro ${r1} /`,
            'cat /hello.txt',
          ],
        );
        expect(r.err).toEqual(['pwrite-device', 'zero-device', 'mkfs', 'upload', 'mount'].map((c) => `jfish: ${c}: ${why}`));
        expect(r.out).toMatch(/^hello from raid1/);
        expect(r.code).toBe(0);
        expect(digest(paths)).toEqual(was);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await expectNoLeftovers(before);
    });

    it('LVM on LUKS: the LUKS volume and the LV in it refuse writes naming device-mapper, lvcreate in its VG too', async () => {
      const { dir, paths } = await copies(['luks-lvm.img']);
      const before = await snapshot({ paths: [dir] });
      const luks = '/dev/mapper/luks-10c5aaaa-0000-4000-8000-000000000001';
      const why = (d: string) => `${d}: read-only: this host has no device-mapper, the volume is decoded in userspace`;
      try {
        const was = digest(paths);
        {
          await using s = new Session({ engine: 'kernel', keys: [parseKeySpec(`/dev/sda1:key:${KEY}`)] });
          s.addDrive(paths[0]!);
          await s.launch();
          await expect(s.mount('/dev/cryptvg/root', '/', { readonly: false })).rejects.toMatchObject({
            message: why('/dev/cryptvg/root'),
            missing: 'device-mapper',
          });
          await expect(s.layout.lvcreate('more', 'cryptvg', { bytes: 4 * 1024 * 1024 })).rejects.toThrow(why(luks));
        }
        const r = await jfishScript(
          ['--rw', '--engine=kernel', '--key', `/dev/sda1:key:${KEY}`, '-a', paths[0]!],
          [
            'run',
            `-pwrite-device ${luks} x 0`,
            '-pwrite-device /dev/cryptvg/root x 0',
            '-lvcreate more cryptvg 4',
            '-mkfs ext4 /dev/cryptvg/root',
            '-mount /dev/cryptvg/root /',
            'mount-ro /dev/cryptvg/root /',
            'cat /hello.txt',
          ],
        );
        expect(r.err).toEqual([
          `jfish: pwrite-device: ${why(luks)}`,
          `jfish: pwrite-device: ${why('/dev/cryptvg/root')}`,
          `jfish: lvcreate: ${why(luks)}`,
          `jfish: mkfs: ${why('/dev/cryptvg/root')}`,
          `jfish: mount: ${why('/dev/cryptvg/root')}`,
        ]);
        expect(r.out).toMatch(/^hello/);
        expect(digest(paths)).toEqual(was);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await expectNoLeftovers(before);
    });

    it('jfish -i on a read-write session: a root on md is mounted read-only, said in one line', async () => {
      const { dir, paths } = await copies(['os-md-a.img', 'os-md-b.img', 'os-md-c.img']);
      const before = await snapshot({ paths: [dir] });
      try {
        const drives = paths.flatMap((p) => ['-a', p]);
        const r = await jfishScript(['--rw', '--engine=kernel', ...drives, '-i'], ['mountpoints', 'cat /etc/hostname', '-write /x y']);
        const root = /^(\/dev\/md\d+): \/$/m.exec(r.out)?.[1];
        expect(root).toBeDefined();
        expect(r.out).toContain('md-guest');
        expect(r.err[0]).toBe(`jfish: ${root}: read-only: this host has no md, the volume is decoded in userspace: mounted on / read-only`);
        expect(r.err.at(-1)).toBe('jfish: write: /x: Read-only file system');
        expect(r.code).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await expectNoLeftovers(before);
    });
  },
);
