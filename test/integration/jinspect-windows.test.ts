// jinspect on the phony Windows guests (test/fixtures/README.md: win10.raw, win11.raw), field by
// field, in JSON and in virt-inspector's XML; and the one-line failures of Windows inspection.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/index.js';
import { CAN_RUN_JINSPECT, WHY_NOT, Workdir, child, jinspect, parseXml, reportOf, schemaErrors } from './jinspect-helpers.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import type { OperatingSystem } from '../../src/inspect/types.js';

if (!CAN_RUN_JINSPECT) console.log(`jinspect-windows.test.ts skipped: ${WHY_NOT}`);

const wd = new Workdir('windows');
const images = new Map<string, string>();
const hashes = new Map<string, string>();
let before: Snapshot | undefined;

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

const APPS = [
  {
    name: '7-Zip',
    epoch: 0,
    version: '23.01',
    release: '',
    display_name: '7-Zip 23.01 (x64)',
    install_path: 'C:\\Program Files\\7-Zip\\',
    publisher: 'Igor Pavlov',
    url: 'https://www.7-zip.org/',
    description: 'File archiver with a high compression ratio',
  },
  {
    name: 'Mozilla Firefox 121.0 (x64 en-US)',
    epoch: 0,
    version: '121.0',
    release: '',
    display_name: 'Mozilla Firefox (x64 en-US)',
    install_path: 'C:\\Program Files\\Mozilla Firefox',
    publisher: 'Mozilla',
    url: 'https://www.mozilla.org',
  },
  {
    name: 'Notepad++',
    epoch: 0,
    version: '8.6.2',
    release: '',
    display_name: 'Notepad++ (32-bit x86)',
    install_path: 'C:\\Program Files (x86)\\Notepad++',
    publisher: 'Notepad++ Team',
    url: 'https://notepad-plus-plus.org/',
  },
  {
    name: '{0B2C6F2D-7A3C-4F5B-9C1D-2E3F4A5B6C7D}',
    epoch: 0,
    version: '14.38.33130.0',
    release: '',
    display_name: 'Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.38.33130',
    publisher: 'Microsoft Corporation',
  },
  {
    name: '{90160000-008C-0000-1000-0000000FF1CE}',
    epoch: 0,
    version: '16.0.17029.20068',
    release: '',
    display_name: 'Office 16 Click-to-Run Extensibility Component',
    publisher: 'Microsoft Corporation',
  },
];

const EXPECTED: Record<string, OperatingSystem> = {
  'win10.raw': {
    root: '/dev/sda1',
    name: 'windows',
    arch: 'x86_64',
    distro: 'windows',
    product_name: 'Windows 10 Pro',
    product_variant: 'Client',
    major_version: 10,
    minor_version: 0,
    build_id: '19045',
    windows_systemroot: '/Windows',
    windows_current_control_set: 'ControlSet001',
    hostname: 'WIN10-PHONY',
    osinfo: 'win10',
    mountpoints: { '/': '/dev/sda1' },
    filesystems: [{ device: '/dev/sda1', type: 'ntfs', label: 'Windows', uuid: '5731303100000001' }],
    drive_mappings: { C: '/dev/sda1', D: '/dev/sda2' },
    applications: APPS,
    warnings: [],
  },
  'win11.raw': {
    // ProductName still says Windows 10 (as on real Windows 11): build 22631 makes it win11
    root: '/dev/sda3',
    name: 'windows',
    arch: 'x86_64',
    distro: 'windows',
    product_name: 'Windows 10 Pro',
    product_variant: 'Client',
    major_version: 10,
    minor_version: 0,
    build_id: '22631',
    windows_systemroot: '/Windows',
    windows_current_control_set: 'ControlSet001',
    hostname: 'WIN11-PHONY',
    osinfo: 'win11',
    mountpoints: { '/': '/dev/sda3' },
    filesystems: [{ device: '/dev/sda3', type: 'ntfs', label: 'Windows', uuid: '5731313100000003' }],
    drive_mappings: { C: '/dev/sda3' },
    applications: APPS,
    warnings: [],
  },
};

describe.skipIf(!CAN_RUN_JINSPECT)('jinspect on Windows guests', () => {
  beforeAll(async () => {
    wd.setup();
    const names = ['win10.raw', 'win11.raw', 'windows.raw', 'mbr.raw'] as const;
    await fixtures(...names);
    for (const n of names) images.set(n, await wd.image(n));
    for (const [n, p] of images) hashes.set(n, sha256(p));
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 300_000);

  afterEach(async () => {
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  afterAll(() => {
    try {
      for (const [n, p] of images) expect(sha256(p), `${n} changed`).toBe(hashes.get(n));
    } finally {
      wd.teardown();
    }
  });

  for (const name of ['win10.raw', 'win11.raw']) {
    it(`${name}: every field, in order, and the schema`, async () => {
      const r = await jinspect([images.get(name)!], { runDir: wd.runDir });
      expect(r.stderr).toBe('');
      const report = reportOf(r);
      expect(schemaErrors(report)).toEqual([]);
      expect(report.operatingsystems).toHaveLength(1);
      const os = report.operatingsystems[0]!;
      expect(os).toEqual(EXPECTED[name]);
      // virt-inspector's element order
      expect(Object.keys(os)).toEqual(Object.keys(EXPECTED[name]!));
    });

    it(`${name}: --xml carries the Windows elements`, async () => {
      const r = await jinspect(['--xml', images.get(name)!], { runDir: wd.runDir });
      expect(r.code).toBe(0);
      const x = parseXml(r.stdout);
      const os = child(x, 'operatingsystem')!;
      const e = EXPECTED[name]!;
      expect(child(os, 'windows_systemroot')?.text).toBe('/Windows');
      expect(child(os, 'windows_current_control_set')?.text).toBe('ControlSet001');
      expect(child(os, 'build_id')?.text).toBe(e.build_id);
      expect(child(os, 'product_variant')?.text).toBe('Client');
      expect(child(os, 'osinfo')?.text).toBe(e.osinfo);
      const maps = child(os, 'drive_mappings')!.children.map((m) => [m.attrs['name'], m.text]);
      expect(Object.fromEntries(maps)).toEqual(e.drive_mappings);
      const apps = child(os, 'applications')!.children;
      expect(apps.map((a) => child(a, 'name')?.text)).toEqual(APPS.map((a) => a.name));
      expect(child(apps[0]!, 'install_path')?.text).toBe('C:\\Program Files\\7-Zip\\');
      // epoch 0 and the empty release are left out, as virt-inspector does
      expect(child(apps[0]!, 'epoch')).toBeUndefined();
      expect(child(apps[0]!, 'release')).toBeUndefined();
    });
  }

  it('--no-applications leaves the Uninstall keys unread', async () => {
    const r = await jinspect(['--no-applications', images.get('win10.raw')!], { runDir: wd.runDir });
    const os = reportOf(r).operatingsystems[0]!;
    expect(os.applications).toBeUndefined();
    expect(os.applications_error).toBeUndefined();
    expect(os.hostname).toBe('WIN10-PHONY');
  });

  it('stub hives (windows.raw): warnings and applications_error, one line each, not a failure', async () => {
    const r = await jinspect([images.get('windows.raw')!], { runDir: wd.runDir });
    expect(r.code).toBe(0);
    const os = reportOf(r).operatingsystems[0]!;
    expect(schemaErrors(reportOf(r))).toEqual([]);
    expect(os).toMatchObject({ name: 'windows', distro: 'windows', windows_systemroot: '/Windows', major_version: 0, osinfo: 'unknown' });
    expect(os.warnings).toEqual([
      '/Windows/System32/config/SOFTWARE: hive: truncated: 27 bytes, the base block alone is 4096',
      '/Windows/System32/config/SYSTEM: hive: truncated: 25 bytes, the base block alone is 4096',
    ]);
    expect(os.applications_error).toBe('/Windows/System32/config/SOFTWARE: hive: truncated: 27 bytes, the base block alone is 4096');
    expect(os.arch).toBeUndefined(); // its cmd.exe is "MZ" and a few bytes: no PE header
    expect(os.drive_mappings).toBeUndefined();
  });
});
