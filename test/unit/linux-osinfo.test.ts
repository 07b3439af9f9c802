import { describe, it, expect } from 'vitest';
import { osinfoLinux, osinfoOf, osinfoWindows } from '../../src/inspect/osinfo.js';

describe('libosinfo short ids: Linux', () => {
  const table: [string, number, number, string, { product_name?: string; os_release_id?: string }?][] = [
    ['debian', 12, 5, 'debian12'],
    ['debian', 3, 1, 'debian3.1'],
    ['debian', 0, 0, 'debiantesting', { product_name: 'trixie/sid' }],
    ['debian', 0, 0, 'unknown'],
    ['ubuntu', 22, 4, 'ubuntu22.04'],
    ['ubuntu', 24, 10, 'ubuntu24.10'],
    ['fedora', 39, 0, 'fedora39'],
    ['mageia', 9, 0, 'mageia9'],
    ['rhel', 9, 3, 'rhel9.3'],
    ['rhel', 9, 0, 'rhel9.0'],
    ['rhel', 9, 3, 'almalinux9', { os_release_id: 'almalinux' }],
    ['centos', 7, 9, 'centos7.0'],
    ['centos', 6, 10, 'centos6.10'],
    ['centos', 8, 5, 'centos8'],
    ['centos', 9, 0, 'centos-stream9', { product_name: 'CentOS Stream release 9' }],
    ['centos', 8, 0, 'centos-stream8', { product_name: 'CentOS Stream release 8' }],
    ['centos', 5, 11, 'centos5.11'],
    ['rocky', 9, 3, 'rocky9'],
    ['sles', 15, 5, 'sles15sp5'],
    ['sles', 15, 0, 'sles15'],
    ['opensuse', 15, 5, 'opensuse15.5'],
    ['opensuse', 20240101, 0, 'opensusetumbleweed', { os_release_id: 'opensuse-tumbleweed' }],
    ['alpinelinux', 3, 19, 'alpinelinux3.19'],
    ['archlinux', 0, 0, 'archlinux'],
    ['gentoo', 2, 14, 'gentoo'],
    ['voidlinux', 0, 0, 'voidlinux'],
    ['altlinux', 10, 1, 'alt10.1'],
    ['altlinux', 7, 0, 'altlinux7.0'],
    ['oraclelinux', 9, 3, 'ol9.3'],
    ['linuxmint', 21, 2, 'linuxmint21.2'],
    ['redhat-based', 0, 0, 'unknown'],
    ['unknown', 1, 2, 'unknown'],
  ];
  for (const [distro, major, minor, id, hints] of table) {
    it(`${distro} ${major}.${minor}${hints ? ` ${JSON.stringify(hints)}` : ''} → ${id}`, () => {
      expect(osinfoLinux(distro, major, minor, hints)).toBe(id);
    });
  }
});

describe('libosinfo short ids: Windows and others', () => {
  it('Windows clients: 10 vs 11 by build number', () => {
    expect(osinfoWindows(10, 0, '19045', 'Client')).toBe('win10');
    expect(osinfoWindows(10, 0, '22000', 'Client')).toBe('win11');
    expect(osinfoWindows(10, 0, 22631, 'Client')).toBe('win11');
    expect(osinfoWindows(10, 0, undefined, 'Client')).toBe('unknown');
    expect(osinfoWindows(10, 0, 'garbage', 'Client')).toBe('unknown');
  });

  it('Windows servers and older versions', () => {
    expect(osinfoWindows(10, 0, '20348', 'Server', 'Windows Server 2022 Datacenter')).toBe('win2k22');
    expect(osinfoWindows(10, 0, '26100', 'Server', 'Windows Server 2025 Standard')).toBe('win2k25');
    expect(osinfoWindows(10, 0, '17763', 'Server', 'Windows Server 2019 Standard')).toBe('win2k19');
    expect(osinfoWindows(10, 0, '14393', 'Server', 'Windows Server 2016 Standard')).toBe('win2k16');
    expect(osinfoWindows(6, 1, '7601', 'Client')).toBe('win7');
    expect(osinfoWindows(6, 1, '7601', 'Server')).toBe('win2k8r2');
    expect(osinfoWindows(6, 3, '9600', 'Client')).toBe('win8.1');
    expect(osinfoWindows(5, 1, undefined, 'Client')).toBe('winxp');
    expect(osinfoWindows(5, 2, undefined, 'Server', 'Microsoft Windows Server 2003 R2')).toBe('win2k3r2');
    expect(osinfoWindows(4, 0, undefined, undefined)).toBe('unknown');
  });

  it('dispatch by OS type', () => {
    expect(osinfoOf({ name: 'linux', distro: 'fedora', major_version: 40, minor_version: 0 })).toBe('fedora40');
    expect(osinfoOf({ name: 'freebsd', distro: 'freebsd', major_version: 14, minor_version: 0 })).toBe('freebsd14.0');
    expect(osinfoOf({ name: 'dos', distro: 'msdos', major_version: 0, minor_version: 0 })).toBe('msdos6.22');
    expect(
      osinfoOf({ name: 'windows', distro: 'windows', major_version: 10, minor_version: 0, product_variant: 'Client', build_id: '22621' }),
    ).toBe('win11');
    expect(osinfoOf({ name: 'hurd', major_version: 0, minor_version: 0 })).toBe('unknown');
  });
});
