// jinspect --with kernels,users,network,services and --strict on real fixture images, on both
// engines (byte-identical JSON and XML): sections.raw (test/fixtures/README.md) field by field,
// the Debian/Fedora/Arch/Windows guests for agreement and the schema; the default report stays
// free of the sections; password hashes and secrets never reach the output.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, type FixtureName } from '../fixtures/index.js';
import { CAN_RUN_JINSPECT, WHY_NOT, Workdir, child, hostLeaks, jinspect, parseXml, reportOf, schemaErrors } from './jinspect-helpers.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import type { OperatingSystem } from '../../src/inspect/types.js';

if (!CAN_RUN_JINSPECT) console.log(`jinspect-sections.test.ts skipped: ${WHY_NOT}`);

const wd = new Workdir('sections');
const images = new Map<string, string>();
let before: Snapshot | undefined;
const env = { JOOT_CONFIG: '', JOOT_ENGINE: '' };

const NAMES = ['sections.raw', 'debian-lvm.raw', 'fedora.raw', 'arch.raw', 'alpine.raw', 'win11.raw', 'hostile-inspect.raw'] as const;
const SECTION_KEYS = ['kernels', 'default_boot_entry', 'init_system', 'users', 'network', 'services'];
// what the fixtures hold in /etc/shadow and a NetworkManager keyfile: never to be printed
const SECRETS = /SHADOWHASH|ALICEHASH|WIFISECRET|\$6\$|\$y\$/;

async function on(engine: string, name: FixtureName, extra: string[]) {
  return jinspect([`--engine=${engine}`, ...extra, images.get(name)!], { runDir: wd.runDir, env });
}

const SECTIONS: Partial<OperatingSystem> = {
  kernels: [
    { version: '6.1.0-13-amd64', vmlinuz: '/boot/vmlinuz-6.1.0-13-amd64', modules: true, default: true },
    { version: '6.1.0-18-amd64', vmlinuz: '/boot/vmlinuz-6.1.0-18-amd64', modules: true },
  ],
  default_boot_entry: {
    source: '/boot/grub/grub.cfg',
    title: 'Debian GNU/Linux, with Linux 6.1.0-13-amd64',
    linux: '/vmlinuz-6.1.0-13-amd64',
  },
  init_system: 'systemd',
  users: [
    { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash', groups: ['root'] },
    { name: 'bin', uid: 1, gid: 1, home: '/bin', shell: '/sbin/nologin', groups: ['bin'] },
    { name: 'nobody', uid: 65534, gid: 65534, home: '/', shell: '/sbin/nologin', groups: ['nobody'] },
    { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/bash', groups: ['alice', 'sudo'] },
  ],
  network: [
    {
      file: '/etc/network/interfaces',
      kind: 'ifupdown',
      interfaces: [
        { name: 'lo', dhcp: false, addresses: [] },
        { name: 'eth0', dhcp: true, addresses: [] },
      ],
    },
    { file: '/etc/network/interfaces.d/eth1', kind: 'ifupdown', interfaces: [{ name: 'eth1', dhcp: false, addresses: ['192.0.2.5/24'] }] },
    {
      file: '/etc/NetworkManager/system-connections/office.nmconnection',
      kind: 'networkmanager',
      interfaces: [{ name: 'wlan0', dhcp: true, addresses: ['198.51.100.7/24'] }],
    },
    {
      file: '/etc/netplan/01-netcfg.yaml',
      kind: 'netplan',
      interfaces: [
        { name: 'enp3s0', dhcp: true, addresses: [] },
        { name: 'enp4s0', dhcp: false, addresses: ['203.0.113.9/24'] },
      ],
    },
    {
      file: '/etc/systemd/network/20-wired.network',
      kind: 'systemd-networkd',
      interfaces: [{ name: 'en*', dhcp: true, addresses: ['10.1.2.3/16'] }],
    },
  ],
  services: [
    { name: 'NetworkManager.service', wanted_by: ['multi-user.target'] },
    { name: 'cron.service', wanted_by: ['multi-user.target'] },
    { name: 'getty@tty1.service', wanted_by: ['getty.target'] },
    { name: 'ssh.service', wanted_by: ['multi-user.target'] },
    { name: 'systemd-networkd.service', wanted_by: ['multi-user.target'] },
  ],
};

describe.skipIf(!CAN_RUN_JINSPECT)('jinspect --with and --strict', () => {
  beforeAll(async () => {
    wd.setup();
    await fixtures(...NAMES);
    for (const n of NAMES) images.set(n, await wd.image(n));
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 300_000);

  afterEach(async () => {
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  afterAll(() => wd.teardown());

  it('sections.raw: every section, /boot mounted from fstab for the kernels, on both engines', { timeout: 300_000 }, async () => {
    const k = await on('kernel', 'sections.raw', ['--with', 'all']);
    const u = await on('userspace', 'sections.raw', ['--with=kernels,users,network,services']);
    expect(u.stdout).toBe(k.stdout);
    const os = reportOf(k).operatingsystems[0]!;
    expect(schemaErrors(reportOf(k))).toEqual([]);
    const got = Object.fromEntries(SECTION_KEYS.map((key) => [key, os[key as keyof OperatingSystem]]));
    expect(got).toEqual(SECTIONS);
    expect(os.warnings).toEqual([]);
    // the sections follow the virt-inspector fields, before warnings
    expect(Object.keys(os).slice(-7)).toEqual([...SECTION_KEYS, 'warnings']);
    expect(k.stdout).not.toMatch(SECRETS);
  });

  it('sections.raw: the default report has none of the sections and is otherwise the same', { timeout: 300_000 }, async () => {
    const plain = reportOf(await on('userspace', 'sections.raw', []));
    const full = reportOf(await on('userspace', 'sections.raw', ['--with', 'all']));
    for (const key of SECTION_KEYS) expect(plain.operatingsystems[0]).not.toHaveProperty(key);
    for (const key of SECTION_KEYS) delete (full.operatingsystems[0] as unknown as Record<string, unknown>)[key];
    expect(full).toEqual(plain);
  });

  it('sections.raw: one section alone; --xml carries them', { timeout: 300_000 }, async () => {
    const only = reportOf(await on('userspace', 'sections.raw', ['--with', 'users', '--no-applications'])).operatingsystems[0]!;
    expect(SECTION_KEYS.filter((key) => key in only)).toEqual(['users']);
    const k = await on('kernel', 'sections.raw', ['--with', 'all', '--xml']);
    const u = await on('userspace', 'sections.raw', ['--with', 'all', '--xml']);
    expect(u.stdout).toBe(k.stdout);
    expect(k.stdout).not.toMatch(SECRETS);
    const os = child(parseXml(k.stdout), 'operatingsystem')!;
    expect(child(os, 'init_system')?.text).toBe('systemd');
    expect(child(os, 'kernels')!.children.map((c) => [c.attrs.version, c.attrs.default, c.text])).toEqual([
      ['6.1.0-13-amd64', 'yes', '/boot/vmlinuz-6.1.0-13-amd64'],
      ['6.1.0-18-amd64', undefined, '/boot/vmlinuz-6.1.0-18-amd64'],
    ]);
    expect(child(os, 'users')!.children.map((c) => c.attrs.name)).toEqual(['root', 'bin', 'nobody', 'alice']);
    expect(child(os, 'network')!.children.map((c) => c.attrs.kind)).toEqual([
      'ifupdown',
      'ifupdown',
      'networkmanager',
      'netplan',
      'systemd-networkd',
    ]);
    expect(child(os, 'services')!.children).toHaveLength(5);
  });

  for (const name of ['debian-lvm.raw', 'fedora.raw', 'arch.raw', 'alpine.raw', 'win11.raw', 'hostile-inspect.raw'] as const) {
    it(`${name}: --with all is the same on both engines, JSON and XML, and valid`, { timeout: 300_000 }, async () => {
      for (const extra of [
        ['--with', 'all'],
        ['--with', 'all', '--xml'],
      ]) {
        const k = await on('kernel', name, extra);
        const u = await on('userspace', name, extra);
        expect(k.code).toBe(0);
        expect(u.stdout).toBe(k.stdout);
        expect(u.code).toBe(k.code);
        if (!extra.includes('--xml')) {
          const r = reportOf(k);
          expect(schemaErrors(r)).toEqual([]);
          expect(hostLeaks(k.stdout)).toEqual([]);
          for (const os of r.operatingsystems) {
            // hostile-inspect's p1 has only "guestpasswd"; the phony Windows SAM has no accounts
            if (os.name === 'linux' && os.distro !== 'unknown') expect(os.users?.some((x) => x.name === 'root')).toBe(true);
            expect(os.users).toBeDefined();
            expect(os.services).toBeDefined();
          }
        }
      }
    });
  }

  it('debian-lvm.raw: its kernel, grub default entry and timers', { timeout: 300_000 }, async () => {
    const os = reportOf(await on('userspace', 'debian-lvm.raw', ['--with', 'kernels,services', '--no-applications'])).operatingsystems[0]!;
    expect(os.kernels).toEqual([{ version: '6.1.0-13-amd64', vmlinuz: '/boot/vmlinuz-6.1.0-13-amd64', modules: false, default: true }]);
    expect(os.default_boot_entry?.title).toBe('Debian GNU/Linux');
    expect(os.services?.map((s) => s.name)).toContain('e2scrub_reap.service');
  });

  it('--strict: a guest with an undetected distro exits 1 with one line, the report printed', { timeout: 300_000 }, async () => {
    const bad = await on('userspace', 'hostile-inspect.raw', ['--strict', '--no-applications']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'jinspect: --strict: /dev/sda1: the distribution is not detected; /dev/sda1: no package database is detected',
    ]);
    expect(JSON.parse(bad.stdout).operatingsystems.length).toBeGreaterThan(1);
    const good = await on('userspace', 'sections.raw', ['--strict']);
    expect(good.code).toBe(0);
    expect(good.stderr).toBe('');
  });

  it('--with an unknown section is a usage error', async () => {
    const r = await on('userspace', 'sections.raw', ['--with', 'users,shadow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown section 'shadow'/);
    expect(r.stdout).toBe('');
  });
});
