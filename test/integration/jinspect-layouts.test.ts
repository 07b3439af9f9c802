// Inspection of the CoreOS family and of encrypted and RAID guests (issue 17 points 1 and 2),
// on both engines (the same report, byte for byte), and against virt-inspector 1.48 where it
// reads the image (its answers kept per machine: oracle-cache.ts):
//
//   coreos.raw   Container Linux: USR-B (newer) is /usr; virt-inspector agrees on every field
//                but build_id (os-release BUILD_ID: libguestfs >= 1.50 reports it, 1.48 not).
//   flatcar.raw  Flatcar (/etc/flatcar, /usr/share/flatcar): virt-inspector 1.48 finds no OS.
//   fcos.raw     Fedora CoreOS: the default BLS entry's ostree deployment; 1.48 finds no OS.
//   os-md-*.img, os-luks-lvm.img, os-lvm-luks.img: roots on md RAID1, in LVM on LUKS, and next
//                to LUKS-on-LVM volumes with a key each; fstab through mdadm.conf and crypttab.
// This host has no md or device-mapper: the kernel engine reads md and LUKS in userspace too
// and mounts what it finds through read-only loop devices; it must answer as the userspace one.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, fixtures } from '../fixtures/index.js';
import {
  CAN_RUN_JINSPECT,
  WHY_NOT,
  Workdir,
  jinspect,
  operatingSystemsOfXml,
  reportOf,
  schemaErrors,
  type XmlOs,
} from './jinspect-helpers.js';
import { expectNoLeftovers, snapshot } from './leftovers.js';
import { virtInspectorCached } from './oracle-cache.js';
import type { InspectionReport, OperatingSystem } from '../../src/inspect/types.js';

const VIRT_INSPECTOR = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v virt-inspector'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
const VI_ENV: NodeJS.ProcessEnv = { ...process.env, LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg', LC_ALL: 'C' };

const wd = new Workdir('layouts');
beforeAll(() => wd.setup());
afterAll(() => wd.teardown());

/** The report on both engines (JSON and XML identical), and the userspace one parsed. */
async function bothEngines(args: string[]): Promise<InspectionReport> {
  const out: Record<string, string[]> = {};
  for (const engine of ['userspace', 'kernel']) {
    const a = await jinspect([`--engine=${engine}`, '--no-applications', ...args], { runDir: wd.runDir, timeoutMs: 300_000 });
    const x = await jinspect([`--engine=${engine}`, '--no-applications', '--xml', ...args], { runDir: wd.runDir, timeoutMs: 300_000 });
    out[engine] = [String(a.code), a.stdout, a.stderr, String(x.code), x.stdout];
  }
  expect(out.kernel).toEqual(out.userspace);
  const report = JSON.parse(out.userspace![1]!) as InspectionReport;
  expect(schemaErrors(report)).toEqual([]);
  return report;
}

function only(r: InspectionReport): OperatingSystem {
  expect(r.operatingsystems.length).toBe(1);
  return r.operatingsystems[0]!;
}

const facts = (os: OperatingSystem) => ({
  root: os.root,
  distro: os.distro,
  product_name: os.product_name,
  version: `${os.major_version}.${os.minor_version}`,
  build_id: os.build_id,
  hostname: os.hostname,
  osinfo: os.osinfo,
  arch: os.arch,
});

describe.skipIf(!CAN_RUN_JINSPECT)(`CoreOS family${CAN_RUN_JINSPECT ? '' : ` (skipped: ${WHY_NOT})`}`, () => {
  it('Container Linux: the newest USR partition is /usr and holds the version', { timeout: 600_000 }, async () => {
    const img = await fixture('coreos.raw');
    const before = await snapshot({ paths: [img], runDir: wd.runDir });
    const os = only(await bothEngines([img]));
    expect(facts(os)).toEqual({
      root: '/dev/sda9',
      distro: 'coreos',
      product_name: 'Container Linux by CoreOS 1911.3.0 (Rhyolite)',
      version: '1911.3',
      build_id: '2018-11-05-1815',
      hostname: 'coreos-node1',
      osinfo: 'coreos1911.3',
      arch: 'x86_64',
    });
    expect(os.mountpoints).toEqual({ '/': '/dev/sda9', '/usr': '/dev/sda4' });
    expect(os.filesystems.map((f) => f.label)).toEqual(['USR-B', 'ROOT']);
    expect(os.package_format).toBeUndefined();
    await expectNoLeftovers(before);
  });

  it('Flatcar: the same scheme under its own names, one USR filesystem (a fresh install)', { timeout: 600_000 }, async () => {
    const os = only(await bothEngines([await fixture('flatcar.raw')]));
    expect(facts(os)).toEqual({
      root: '/dev/sda9',
      distro: 'coreos', // ID=flatcar, ID_LIKE=coreos
      product_name: 'Flatcar Container Linux by Kinvolk 3815.2.0 (Oklo)',
      version: '3815.2',
      build_id: '2024-02-12-2117',
      hostname: 'flatcar-node1',
      osinfo: 'coreos3815.2',
      arch: 'x86_64',
    });
    expect(os.mountpoints).toEqual({ '/': '/dev/sda9', '/usr': '/dev/sda3' });
  });

  it("Fedora CoreOS: the default loader entry's deployment, /boot from where the entry is", { timeout: 600_000 }, async () => {
    const image = await fixture('fcos.raw');
    const os = only(await bothEngines([image]));
    expect(facts(os)).toEqual({
      root: '/dev/sda4',
      distro: 'fedora',
      product_name: 'Fedora CoreOS 39.20231101.3.0',
      version: '39.0',
      build_id: undefined,
      hostname: 'fcos-node1', // the older deployment says fcos-old
      osinfo: 'fedora39',
      arch: 'x86_64',
    });
    expect(os.mountpoints).toEqual({ '/': '/dev/sda4', '/boot': '/dev/sda3' });
    expect(os.warnings).toEqual([]);
    // the packages of that deployment (its rpmdb in /usr/lib/sysimage/rpm)
    const withApps = reportOf(await jinspect(['--engine=userspace', image], { runDir: wd.runDir }));
    expect(withApps.operatingsystems[0]!.applications?.map((a) => `${a.name}-${a.version}-${a.release}`)).toEqual([
      'fedora-release-common-39-36',
      'rpm-ostree-2023.8-2.fc39',
    ]);
  });
});

// ---------------------------------------------------------------------------- encrypted, RAID

interface OsVolumes {
  keys: Record<'luks-lvm' | 'secret' | 'data', string>;
  luks: Record<'luks-lvm' | 'secret' | 'data', string>;
  fs: Record<'dataFs' | 'rootFs' | 'mdR10Fs' | 'luksLvmRootFs', string>;
}

describe.skipIf(!CAN_RUN_JINSPECT)('encrypted and RAID guests', () => {
  let v: OsVolumes;
  beforeAll(async () => {
    v = JSON.parse(readFileSync(await fixture('os-volumes.json'), 'utf8')) as OsVolumes;
  });

  it('the root on md RAID1: /dev/md0 and /dev/md/data through mdadm.conf, UUID= of an array', { timeout: 600_000 }, async () => {
    const imgs = (await fixtures('os-md-a.img', 'os-md-b.img', 'os-md-c.img')) as string[];
    const before = await snapshot({ paths: imgs, runDir: wd.runDir });
    const os = only(await bothEngines(imgs));
    expect([os.root, os.distro, os.hostname]).toEqual(['/dev/md127', 'debian', 'md-guest']);
    const labels = Object.fromEntries(os.filesystems.map((f) => [f.device, f.label]));
    expect(Object.fromEntries(Object.entries(os.mountpoints).map(([mp, dev]) => [mp, labels[dev]]))).toEqual({
      '/': 'mdraid1',
      '/srv/data': 'mdraid5',
      '/srv/raid10': 'mdraid10',
    });
    expect(os.warnings).toEqual([]);
    await expectNoLeftovers(before);
  });

  it('LVM on LUKS: with the key the root inside (fstab UUID=); without, the volume is named', { timeout: 600_000 }, async () => {
    const img = await fixture('os-luks-lvm.img');
    const os = only(await bothEngines(['--key', `/dev/sda1:key:${v.keys['luks-lvm']}`, img]));
    expect([os.root, os.hostname, os.mountpoints]).toEqual(['/dev/cryptvg/root', 'luks-lvm-guest', { '/': '/dev/cryptvg/root' }]);
    expect(os.filesystems[0]?.uuid).toBe(v.fs.luksLvmRootFs);
    // the key by the volume's UUID, as virt-inspector takes it
    const byUuid = reportOf(
      await jinspect(['--engine=userspace', '--no-applications', '--key', `${v.luks['luks-lvm']}:key:${v.keys['luks-lvm']}`, img], {
        runDir: wd.runDir,
      }),
    );
    expect(byUuid.operatingsystems[0]?.root).toBe('/dev/cryptvg/root');
    // --keys-from-stdin: one line per volume
    const fromStdin = execFileSync(path.resolve('bin/jinspect'), ['--engine=userspace', '--no-applications', '--keys-from-stdin', img], {
      input: `${v.keys['luks-lvm']}\n`,
      encoding: 'utf8',
      env: { ...process.env, JOOT_RUN_DIR: wd.runDir },
    });
    expect((JSON.parse(fromStdin) as InspectionReport).operatingsystems[0]?.root).toBe('/dev/cryptvg/root');
    for (const engine of ['userspace', 'kernel']) {
      const r = await jinspect([`--engine=${engine}`, img], { runDir: wd.runDir });
      expect(r.code, engine).toBe(1);
      expect(r.stderr.trim(), engine).toBe(
        `jinspect: no operating system found in ${img} (/dev/sda1 is a LUKS volume (UUID ${v.luks['luks-lvm']}) that was not opened: give its key with --key /dev/sda1:key:PASSPHRASE or --keys-from-stdin)`,
      );
    }
  });

  it('LUKS on LVM, a key per LV: crypttab names and /dev/mapper/luks-UUID; a missing key leaves the rest inspected', {
    timeout: 600_000,
  }, async () => {
    const img = await fixture('os-lvm-luks.img');
    const before = await snapshot({ paths: [img], runDir: wd.runDir });
    const secret = `/dev/mapper/luks-${v.luks.secret}`;
    const data = `/dev/mapper/luks-${v.luks.data}`;
    const both = only(
      await bothEngines(['--key', `/dev/plainvg/secret:key:${v.keys.secret}`, '--key', `/dev/plainvg/data:key:${v.keys.data}`, img]),
    );
    expect([both.root, both.hostname, both.warnings]).toEqual(['/dev/plainvg/root', 'lvm-luks-guest', []]);
    expect(both.mountpoints).toEqual({ '/': '/dev/plainvg/root', '/srv/data': data, '/srv/secret': secret });
    expect(both.filesystems.find((f) => f.device === data)?.uuid).toBe(v.fs.dataFs);

    const one = only(await bothEngines(['--key', `/dev/plainvg/secret:key:${v.keys.secret}`, img]));
    expect(one.mountpoints).toEqual({ '/': '/dev/plainvg/root', '/srv/secret': secret });
    expect(one.filesystems.find((f) => f.device === '/dev/plainvg/data')).toEqual({
      device: '/dev/plainvg/data',
      type: 'crypto_LUKS',
      uuid: v.luks.data,
    });
    expect(one.warnings).toEqual([
      `/etc/fstab: fstab line 3: "${data}" is the LUKS volume on /dev/plainvg/data (crypttab: UUID=${v.luks.data}), which was not opened (give its key: --key /dev/plainvg/data:key:…)`,
    ]);

    const none = only(await bothEngines([img]));
    expect(none.mountpoints).toEqual({ '/': '/dev/plainvg/root' });
    expect(none.filesystems.filter((f) => f.type === 'crypto_LUKS').map((f) => f.device)).toEqual([
      '/dev/plainvg/data',
      '/dev/plainvg/secret',
    ]);
    expect(none.warnings).toEqual([
      `/etc/fstab: fstab line 2: "/dev/mapper/secret" is the LUKS volume on /dev/plainvg/secret (crypttab: /dev/plainvg/secret), which was not opened (give its key: --key /dev/plainvg/secret:key:…)`,
      `/etc/fstab: fstab line 3: "${data}" is the LUKS volume on /dev/plainvg/data (crypttab: UUID=${v.luks.data}), which was not opened (give its key: --key /dev/plainvg/data:key:…)`,
    ]);
    await expectNoLeftovers(before);
  });
});

// ---------------------------------------------------------------------------- virt-inspector

async function vi(args: string[], images: string[]): Promise<XmlOs[]> {
  const extra = [...args, '--format=raw', ...images.slice(0, -1).flatMap((i) => ['-a', i])];
  const r = await virtInspectorCached(VIRT_INSPECTOR!, extra, images[images.length - 1]!, { env: VI_ENV, timeoutMs: 900_000 });
  if (r.code !== 0)
    throw new Error(`virt-inspector exited ${String(r.code ?? r.signal)}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return operatingSystemsOfXml(r.stdout);
}

async function jx(args: string[]): Promise<XmlOs[]> {
  const r = await jinspect(['--engine=userspace', '--no-applications', '--xml', ...args], { runDir: wd.runDir });
  expect(r.code).toBe(0);
  return operatingSystemsOfXml(r.stdout);
}

describe.skipIf(!CAN_RUN_JINSPECT || !VIRT_INSPECTOR)('virt-inspector 1.48 on the same images', () => {
  it('coreos.raw: every field the same, build_id added', { timeout: 1_000_000 }, async () => {
    const img = await fixture('coreos.raw');
    const [theirs, ours] = [await vi(['--no-applications'], [img]), await jx([img])];
    expect(ours[0]!.fields.build_id).toBe('2018-11-05-1815');
    delete ours[0]!.fields.build_id;
    expect(ours).toEqual(theirs);
  });

  it('os-md-*.img: the same root and /dev/md0; /dev/md/data mapped where virt-inspector keeps it verbatim', {
    timeout: 1_000_000,
  }, async () => {
    const imgs = (await fixtures('os-md-a.img', 'os-md-b.img', 'os-md-c.img')) as string[];
    const [theirs, ours] = [await vi(['--no-applications'], imgs), await jx(imgs)];
    // the md numbers of 1.x arrays (the root's too) differ between the appliance's boot, whose udev
    // assembles them in no fixed order, and joot's assembly: compare devices by filesystem label
    const labelOf = (o: XmlOs) => Object.fromEntries(o.filesystems.map((f) => [f.device, f.label ?? f.device]));
    const byLabel = (o: XmlOs) => o.mountpoints.map(([mp, dev]) => [mp, labelOf(o)[dev]]);
    const fields = (o: XmlOs) => ({ ...o.fields, root: labelOf(o)[o.fields.root!] });
    expect(fields(ours[0]!)).toEqual(fields(theirs[0]!));
    expect(fields(ours[0]!).root).toBe('mdraid1');
    expect(byLabel(theirs[0]!)).toEqual([
      ['/', 'mdraid1'],
      ['/srv/data', '/dev/md/data'], // libguestfs keeps /dev/md/NAME verbatim; its mount then fails
      ['/srv/raid10', 'mdraid10'],
    ]);
    expect(byLabel(ours[0]!)).toEqual([
      ['/', 'mdraid1'],
      ['/srv/data', 'mdraid5'],
      ['/srv/raid10', 'mdraid10'],
    ]);
  });

  it('os-luks-lvm.img with the key: the same', { timeout: 1_000_000 }, async () => {
    const img = await fixture('os-luks-lvm.img');
    const key = ['--key', '/dev/sda1:key:joot-fixture-key'];
    expect(await jx([...key, img])).toEqual(await vi(['--no-applications', ...key], [img]));
  });

  it('os-lvm-luks.img with both keys: the same but for the crypttab name, which virt-inspector keeps verbatim', {
    timeout: 1_000_000,
  }, async () => {
    const img = await fixture('os-lvm-luks.img');
    const keys = ['--key', '/dev/plainvg/secret:key:joot-fixture-key', '--key', '/dev/plainvg/data:key:joot-data-key'];
    const theirs = await vi(['--no-applications', ...keys], [img]);
    const ours = await jx([...keys, img]);
    // libguestfs mounts "/dev/mapper/secret", which names nothing in its appliance (its mount
    // fails: "No such file or directory"); joot maps the name through crypttab to the volume
    const secret = '/dev/mapper/luks-10c5aaaa-0000-4000-8000-000000000002';
    expect(theirs[0]!.mountpoints.find(([mp]) => mp === '/srv/secret')).toEqual(['/srv/secret', '/dev/mapper/secret']);
    expect(ours[0]!.mountpoints.find(([mp]) => mp === '/srv/secret')).toEqual(['/srv/secret', secret]);
    const rename = (x: XmlOs[]) =>
      x.map((o) => ({
        ...o,
        mountpoints: o.mountpoints.filter(([mp]) => mp !== '/srv/secret'),
        filesystems: o.filesystems.filter((f) => f.device !== secret && f.device !== '/dev/mapper/secret'),
      }));
    expect(rename(ours)).toEqual(rename(theirs));
  });

  it('flatcar.raw and fcos.raw: virt-inspector 1.48 finds no OS (deliberate improvement)', { timeout: 1_000_000 }, async () => {
    for (const name of ['flatcar.raw', 'fcos.raw'] as const) {
      const img = await fixture(name);
      expect(await vi(['--no-applications'], [img]), name).toEqual([]);
      expect((await jx([img])).length, name).toBe(1);
    }
  });
});
