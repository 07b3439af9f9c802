// Issue 17 point 5 on Windows: group policy history, antivirus classification (libguestfs 1.58's
// heuristic and Windows Defender), and the osinfo ids of Server 2025 and Windows 11 24H2/25H2,
// on hand-made hives.
import { describe, expect, it } from 'vitest';
import { Hive, REG_BINARY, REG_DWORD } from '../../src/hive/index.js';
import { ANTIVIRUS, classifyAntivirus, defenderEnabled, isAntivirus } from '../../src/inspect/windows/antivirus.js';
import { GROUP_POLICY_HISTORY, hasGroupPolicy } from '../../src/inspect/windows/group-policy.js';
import { softwareFacts, windowsApplications } from '../../src/inspect/windows/software.js';
import { osinfoWindows } from '../../src/inspect/osinfo.js';

describe('windows_group_policy', () => {
  it('a {GUID} subkey of Group Policy\\History means GPOs were applied', () => {
    const h = Hive.create();
    expect(hasGroupPolicy(h)).toBe(false); // no key
    h.createKey(GROUP_POLICY_HISTORY);
    expect(hasGroupPolicy(h)).toBe(false); // empty key
    const sub = (name: string) => h.createKey(`${GROUP_POLICY_HISTORY}\\${name}`);
    sub('DCFollowup'); // not a GUID
    sub('{}');
    sub('{x}');
    sub('{x123}'); // not a hex digit after the brace
    expect(hasGroupPolicy(h)).toBe(false);
    sub('{35378EAC-683F-11D2-A89A-00C04FBBCFA2}'); // the registry CSE
    expect(hasGroupPolicy(h)).toBe(true);
  });
  it('lower-case hex and the shortest name libguestfs accepts ("{a}"+1)', () => {
    const h = Hive.create();
    h.createKey(`${GROUP_POLICY_HISTORY}\\{a1}`);
    expect(hasGroupPolicy(h)).toBe(true);
  });
});

describe('antivirus class', () => {
  it("libguestfs's name and publisher patterns, case-insensitive", () => {
    for (const name of [
      'Kaspersky Endpoint Security',
      'McAfee VirusScan',
      'Norton 360',
      'Sophos Anti-Virus',
      'ESET NOD32 Antivirus',
      '{GUID}-virus',
    ])
      expect(isAntivirus({ name }), name).toBe(true);
    expect(isAntivirus({ name: '{A1B2}', publisher: 'AVG Technologies CZ, s.r.o.' })).toBe(true);
    for (const name of ['Mozilla Firefox', 'Bitdefender Total Security', 'AVG Free']) expect(isAntivirus({ name }), name).toBe(false);
    // the publisher counts only for AVG; a display name never does (libguestfs looks at app2_name)
    expect(isAntivirus({ name: '{GUID}', publisher: 'McAfee, LLC' })).toBe(false);
  });

  it('Uninstall entries are classified; Defender is added when enabled, sorted in', () => {
    const h = Hive.create();
    const u = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';
    h.createKey(`${u}\\Sophos Endpoint Agent`).setString('DisplayName', 'Sophos Endpoint Agent');
    h.createKey(`${u}\\Mozilla Firefox`).setString('DisplayName', 'Mozilla Firefox');
    h.createKey(`${u}\\Zoom`).setString('DisplayName', 'Zoom');
    h.createKey('Microsoft\\Windows Defender').setDword('DisableAntiSpyware', 0);
    const apps = classifyAntivirus(windowsApplications(h), h);
    expect(apps.map((a) => [a.name, a.class])).toEqual([
      ['Mozilla Firefox', undefined],
      ['Sophos Endpoint Agent', ANTIVIRUS],
      ['Windows Defender', ANTIVIRUS],
      ['Zoom', undefined],
    ]);
    expect(apps[2]).toEqual({
      name: 'Windows Defender',
      epoch: 0,
      version: '',
      release: '',
      display_name: 'Windows Defender',
      publisher: 'Microsoft Corporation',
      class: 'antivirus',
    });
  });

  it('Defender: absent, or DisableAntiSpyware = 1 (of any value type), is not listed', () => {
    const none = Hive.create();
    expect(defenderEnabled(none)).toBe(false);
    expect(classifyAntivirus([], none)).toEqual([]);
    const off = Hive.create();
    off.createKey('Microsoft\\Windows Defender').setDword('DisableAntiSpyware', 1);
    expect(defenderEnabled(off)).toBe(false);
    const offBinary = Hive.create();
    offBinary.createKey('Microsoft\\Windows Defender').setValue('DisableAntiSpyware', REG_BINARY, Buffer.from([1, 0, 0, 0]));
    expect(defenderEnabled(offBinary)).toBe(false);
    const plain = Hive.create();
    plain.createKey('Microsoft\\Windows Defender');
    expect(defenderEnabled(plain)).toBe(true);
    const short = Hive.create();
    short.createKey('Microsoft\\Windows Defender').setValue('DisableAntiSpyware', REG_DWORD, Buffer.from([1]));
    expect(defenderEnabled(short)).toBe(true); // not a dword: not a "1"
  });
});

describe('osinfo: Server 2025, Windows 11 24H2/25H2', () => {
  it('Windows 11 feature updates are win11 (their ProductName still says Windows 10)', () => {
    for (const [build, id] of [
      ['19045', 'win10'],
      ['22000', 'win11'],
      ['22631', 'win11'],
      ['26100', 'win11'], // 24H2
      ['26200', 'win11'], // 25H2
    ] as const)
      expect(osinfoWindows(10, 0, build, 'Client', 'Windows 10 Pro'), build).toBe(id);
    expect(osinfoWindows(10, 0, 'x', 'Client', 'Windows 10 Pro')).toBe('unknown');
  });
  it('Server 2025 by name, and by build when the name has no year', () => {
    expect(osinfoWindows(10, 0, '26100', 'Server', 'Windows Server 2025 Datacenter')).toBe('win2k25');
    expect(osinfoWindows(10, 0, '26100', 'Server Core', 'Windows Server Standard')).toBe('win2k25');
    expect(osinfoWindows(10, 0, '20348', 'Server', 'Windows Server Datacenter')).toBe('win2k22');
    expect(osinfoWindows(10, 0, '17763', 'Server', 'Windows Server')).toBe('win2k19');
    expect(osinfoWindows(10, 0, '14393', 'Server', 'Windows Server 2016 Standard')).toBe('win2k16');
    expect(osinfoWindows(10, 0, undefined, 'Server', 'Windows Server')).toBe('win2k16');
  });
  it('build_id is CurrentBuildNumber (libguestfs: never CurrentBuild, which differs on XP)', () => {
    const h = Hive.create();
    const cv = h.createKey('Microsoft\\Windows NT\\CurrentVersion');
    cv.setDword('CurrentMajorVersionNumber', 10);
    cv.setDword('CurrentMinorVersionNumber', 0);
    cv.setString('CurrentBuildNumber', '26200');
    cv.setString('CurrentBuild', '26200');
    expect(softwareFacts(h).build_id).toBe('26200');
  });
});
