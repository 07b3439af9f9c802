import { describe, it, expect } from 'vitest';
import { detectHostname, hostnameFromText } from '../../src/inspect/linux/hostname.js';
import { detectPackaging, packageFormatOf, packageManagementOf } from '../../src/inspect/linux/packaging.js';
import { treeReaders } from './linux-guest-trees.js';

const reader = treeReaders('joot-host-');

describe('hostname', () => {
  it('/etc/HOSTNAME before /etc/hostname (libguestfs order)', async () => {
    const files = await reader({ 'etc/HOSTNAME': 'old-suse\n', 'etc/hostname': 'newer\n' });
    expect(await detectHostname(files)).toBe('old-suse');
  });

  it('comments, blank lines, CRLF and surrounding spaces', () => {
    expect(hostnameFromText('# comment\n\n  web01.example.com  \r\nignored\n')).toBe('web01.example.com');
    expect(hostnameFromText('\n\n')).toBeUndefined();
  });

  it('garbage in one file → the next source', async () => {
    const files = await reader({
      'etc/HOSTNAME': 'two words\n',
      'etc/hostname': Buffer.from([0x01, 0x02, 0x00, 0x0a]),
      'etc/sysconfig/network': 'NETWORKING=yes\nHOSTNAME=legacy.example.com\n',
    });
    expect(await detectHostname(files)).toBe('legacy.example.com');
  });

  it('an empty /etc/hostname → sysconfig; nothing → undefined', async () => {
    expect(await detectHostname(await reader({ 'etc/hostname': '', 'etc/sysconfig/network': 'HOSTNAME="q.example"\n' }))).toBe('q.example');
    expect(await detectHostname(await reader({ 'etc/fstab': '' }))).toBeUndefined();
  });

  it('a very long line is not a hostname; a huge file is a warning', async () => {
    const warnings: string[] = [];
    const files = await reader({ 'etc/HOSTNAME': `${'a'.repeat(300)}\n`, 'etc/hostname': 'x'.repeat(100_000) });
    expect(await detectHostname(files, warnings)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/^\/etc\/hostname: file is larger than 65536 bytes/)]);
  });
});

describe('package format and management (libguestfs rules)', () => {
  it('formats', () => {
    expect(packageFormatOf('debian')).toBe('deb');
    expect(packageFormatOf('linuxmint')).toBe('deb');
    expect(packageFormatOf('rhel')).toBe('rpm');
    expect(packageFormatOf('sles')).toBe('rpm');
    expect(packageFormatOf('archlinux')).toBe('pacman');
    expect(packageFormatOf('alpinelinux')).toBe('apk');
    expect(packageFormatOf('gentoo')).toBe('ebuild');
    expect(packageFormatOf('pardus')).toBe('pisi');
    expect(packageFormatOf('voidlinux')).toBe('xbps');
    expect(packageFormatOf('slackware')).toBeUndefined();
    expect(packageFormatOf('unknown')).toBeUndefined();
    expect(packageFormatOf('constructor')).toBeUndefined();
    expect(packageFormatOf(undefined)).toBeUndefined();
  });

  it('management by distro and major version', () => {
    expect(packageManagementOf('rhel', 9, false)).toBe('dnf');
    expect(packageManagementOf('rhel', 8, false)).toBe('dnf');
    expect(packageManagementOf('centos', 7, false)).toBe('yum');
    expect(packageManagementOf('rhel', 5, false)).toBe('yum');
    expect(packageManagementOf('rhel', 4, false)).toBe('up2date');
    expect(packageManagementOf('rhel', 0, false)).toBeUndefined();
    expect(packageManagementOf('fedora', 39, true)).toBe('dnf');
    expect(packageManagementOf('fedora', 39, false)).toBe('yum');
    expect(packageManagementOf('fedora', 21, true)).toBe('yum');
    expect(packageManagementOf('fedora', 0, true)).toBeUndefined();
    expect(packageManagementOf('opensuse', 15, false)).toBe('zypper');
    expect(packageManagementOf('mageia', 9, false)).toBe('urpmi');
    expect(packageManagementOf('openmandriva', 4, false)).toBe('dnf');
    expect(packageManagementOf('gentoo', 0, false)).toBe('portage');
    expect(packageManagementOf('altlinux', 10, false)).toBe('apt');
    expect(packageManagementOf('meego', 1, false)).toBe('yum');
    expect(packageManagementOf('slackware', 15, false)).toBeUndefined();
  });

  it('Fedora asks the guest for /usr/bin/dnf (a link to dnf-3 or dnf5 counts)', async () => {
    const withDnf = await reader({ 'usr/bin/dnf5': 'x', 'usr/bin/dnf': { symlink: 'dnf5' } });
    expect(await detectPackaging(withDnf, 'fedora', 41)).toEqual({ package_format: 'rpm', package_management: 'dnf' });
    const without = await reader({ 'usr/bin/yum': 'x' });
    expect(await detectPackaging(without, 'fedora', 41)).toEqual({ package_format: 'rpm', package_management: 'yum' });
    expect(await detectPackaging(without, 'unknown', 3)).toEqual({});
  });
});
