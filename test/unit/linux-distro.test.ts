import { describe, it, expect } from 'vitest';
import { detectLinuxDistro, linuxFacts } from '../../src/inspect/linux/distro.js';
import { parseOsRelease, shellUnquote } from '../../src/inspect/linux/os-release.js';
import { parseLsbRelease } from '../../src/inspect/linux/lsb-release.js';
import { parseVersionFromMajorMinor } from '../../src/inspect/linux/release-files.js';
import { CASES, treeReaders } from './linux-guest-trees.js';

const reader = treeReaders();

describe('real distributions', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const files = await reader(c.tree);
      const warnings: string[] = [];
      const f = await linuxFacts(files, warnings);
      expect(warnings).toEqual([]);
      expect({
        distro: f.distro,
        product_name: f.product_name,
        major: f.major_version,
        minor: f.minor_version,
        osinfo: f.osinfo,
        package_format: f.package_format,
        package_management: f.package_management,
        hostname: f.hostname,
        build_id: f.build_id,
      }).toEqual({
        package_format: undefined,
        package_management: undefined,
        hostname: undefined,
        build_id: undefined,
        ...c.expect,
      });
      expect(f.arch).toBe(c.name.startsWith('rhel 4') ? 'i386' : 'x86_64');
    });
  }
});

describe('os-release syntax', () => {
  it('unquotes like a shell', () => {
    expect(shellUnquote('"Debian GNU/Linux 12 (bookworm)"')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(shellUnquote("'single $HOME'")).toBe('single $HOME');
    expect(shellUnquote('"a \\"quoted\\" \\$x \\\\ \\n"')).toBe('a "quoted" $x \\ \\n');
    expect(shellUnquote('plain\\ word')).toBe('plain word');
    expect(shellUnquote('"a"\'b\'c')).toBe('abc');
    expect(shellUnquote('"unterminated')).toBe('unterminated');
    expect(shellUnquote('12 # comment')).toBe('12');
  });

  it('parses keys, skips comments and junk, last assignment wins', () => {
    const f = parseOsRelease('# c\n\nID=one\n  ID=two\nnot a line\n=x\n1BAD=y\n__proto__=p\nVERSION_ID="3"\r\n');
    expect(f['ID']).toBe('two');
    expect(f['VERSION_ID']).toBe('3');
    // biome-ignore lint/suspicious/noProto: a key named __proto__ must be kept as data
    expect(f['__proto__']).toBe('p');
    expect(Object.keys(f).sort()).toEqual(['ID', 'VERSION_ID', '__proto__']);
  });

  it('lsb-release values lose one pair of quotes only', () => {
    const f = parseLsbRelease('DISTRIB_ID="Ubuntu"\nDISTRIB_DESCRIPTION=\'It\\\'s "x"\'\n');
    expect(f['DISTRIB_ID']).toBe('Ubuntu');
    expect(f['DISTRIB_DESCRIPTION']).toBe('It\\\'s "x"');
  });

  it('version numbers as libguestfs finds them', () => {
    expect(parseVersionFromMajorMinor('Ubuntu 10.04.1 LTS')).toEqual([10, 4]);
    expect(parseVersionFromMajorMinor('12')).toEqual([12, 0]);
    expect(parseVersionFromMajorMinor('trixie/sid')).toBeUndefined();
    expect(parseVersionFromMajorMinor('99999999999999999999999.1')).toBeUndefined();
  });
});

describe('precedence and odd guests', () => {
  it('/usr/lib/os-release when /etc/os-release is missing', async () => {
    const files = await reader({ 'usr/lib/os-release': 'ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"\n' });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({ distro: 'fedora', major_version: 40, source: 'os-release' });
  });

  it('an absolute os-release link resolves inside the guest, never on the host', async () => {
    const files = await reader({
      'etc/os-release': { symlink: '/usr/lib/os-release' },
      'usr/lib/os-release': 'ID=ubuntu\nVERSION_ID="20.04"\nPRETTY_NAME="Ubuntu 20.04.6 LTS"\n',
    });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({ distro: 'ubuntu', major_version: 20, minor_version: 4, product_name: 'Ubuntu 20.04.6 LTS' });
  });

  it('a link escaping upwards stays in the guest (missing file there)', async () => {
    const files = await reader({ 'etc/os-release': { symlink: '../../../../../../etc/os-release' } });
    // resolves to the guest's own /etc/os-release → a loop → treated as missing
    const d = await detectLinuxDistro(files);
    expect(d.distro).toBe('unknown');
  });

  it('ID_LIKE: the first known entry wins; rolling parent without version is 0.0', async () => {
    const files = await reader({
      'etc/os-release': 'NAME="Manjaro Linux"\nID=manjaro\nID_LIKE=arch\nBUILD_ID=rolling\nPRETTY_NAME="Manjaro Linux"\n',
      'etc/arch-release': 'Manjaro Linux\n',
    });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({
      distro: 'archlinux',
      product_name: 'Manjaro Linux',
      major_version: 0,
      minor_version: 0,
      source: 'id-like',
      os_release_id: 'manjaro',
    });
  });

  it('ID_LIKE debian with a major-only VERSION_ID takes the full version from debian_version', async () => {
    const files = await reader({
      'etc/os-release': 'PRETTY_NAME="Raspbian GNU/Linux 12 (bookworm)"\nID=raspbian\nID_LIKE=debian\nVERSION_ID="12"\n',
      'etc/debian_version': '12.4\n',
    });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({ distro: 'debian', product_name: 'Raspbian GNU/Linux 12 (bookworm)', major_version: 12, minor_version: 4 });
  });

  it('ID_LIKE entries nobody knows → unknown', async () => {
    const files = await reader({ 'etc/os-release': 'ID=foo\nID_LIKE="bar baz"\nPRETTY_NAME="Foo"\n' });
    const d = await detectLinuxDistro(files);
    expect(d.distro).toBe('unknown');
    expect(d.product_name).toBe('Foo');
  });

  it('an unknown ID falls to the release files when there is no ID_LIKE (libguestfs)', async () => {
    const files = await reader({
      'etc/os-release': 'ID=eurolinux\nVERSION_ID=9.2\nPRETTY_NAME="EuroLinux 9.2"\n',
      'etc/redhat-release': 'EuroLinux release 9.2 (Minsk)\n',
    });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({ distro: 'redhat-based', product_name: 'EuroLinux release 9.2 (Minsk)', major_version: 9, minor_version: 2 });
  });

  it('scientific linux, oracle linux, openmandriva via release files', async () => {
    const sl = await detectLinuxDistro(await reader({ 'etc/redhat-release': 'Scientific Linux release 6.10 (Carbon)\n' }));
    expect(sl).toMatchObject({ distro: 'scientificlinux', major_version: 6, minor_version: 10 });
    const ol = await detectLinuxDistro(
      await reader({
        'etc/oracle-release': 'Oracle Linux Server release 7.9\n',
        'etc/redhat-release': 'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n',
      }),
    );
    expect(ol).toMatchObject({ distro: 'oraclelinux', major_version: 7, minor_version: 9 });
    const om = await detectLinuxDistro(
      await reader({
        'etc/openmandriva-release': 'OpenMandriva Lx release 4.3 (Nitrogen) for x86_64\n',
        'etc/redhat-release': { symlink: 'openmandriva-release' },
      }),
    );
    expect(om).toMatchObject({ distro: 'openmandriva', major_version: 4, minor_version: 3 });
  });

  it('gentoo, slackware, cirros, buildroot', async () => {
    expect(await detectLinuxDistro(await reader({ 'etc/gentoo-release': 'Gentoo Base System release 2.14\n' }))).toMatchObject({
      distro: 'gentoo',
      major_version: 2,
      minor_version: 14,
    });
    expect(await detectLinuxDistro(await reader({ 'etc/slackware-version': 'Slackware 15.0\n' }))).toMatchObject({
      distro: 'slackware',
      major_version: 15,
      minor_version: 0,
    });
    expect(await detectLinuxDistro(await reader({ 'etc/cirros/version': '0.6.2\n' }))).toMatchObject({
      distro: 'cirros',
      major_version: 0,
      minor_version: 6,
    });
    expect(await detectLinuxDistro(await reader({ 'etc/br-version': '2023.02\n' }))).toMatchObject({
      distro: 'buildroot',
      major_version: 2023,
      minor_version: 2,
    });
    expect(await detectLinuxDistro(await reader({ 'etc/br-version': '2015.05-g31b1b0a\n', 'usr/share/cirros/logo': 'x' }))).toMatchObject({
      distro: 'cirros',
    });
  });

  it('nothing at all → unknown 0.0', async () => {
    const d = await detectLinuxDistro(await reader({ 'etc/fstab': '' }));
    expect(d).toMatchObject({ distro: 'unknown', major_version: 0, minor_version: 0, source: 'none' });
    expect(d.product_name).toBeUndefined();
  });
});

describe('hostile content', () => {
  it('a huge os-release is a warning, then the release files decide', async () => {
    const files = await reader({
      'etc/os-release': `ID=fedora\n${'X='.padEnd(200_000, 'x')}\n`,
      'etc/redhat-release': 'Fedora release 38 (Thirty Eight)\n',
    });
    const d = await detectLinuxDistro(files);
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/^\/etc\/os-release: file is larger than/);
    expect(d).toMatchObject({ distro: 'fedora', major_version: 38 });
  });

  it('binary garbage, NULs and very long lines do not crash or hang', async () => {
    const garbage = Buffer.alloc(60_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    const longRhel = `${'Red Hat release 1 '.repeat(3500)}\n`; // 63 KB first line: regexes stay fast
    const files = await reader({
      'etc/os-release': Buffer.concat([Buffer.from('ID=\0debian\0\nPRETTY_NAME="x\0y"\n'), garbage]),
      'etc/lsb-release': garbage,
      'etc/redhat-release': longRhel,
      'etc/debian_version': garbage,
    });
    const t0 = performance.now();
    const d = await detectLinuxDistro(files);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(typeof d.distro).toBe('string');
  });

  it('release files that are directories or devices are ignored', async () => {
    const files = await reader({ 'etc/os-release/x': '', 'etc/redhat-release/y': '', 'etc/alpine-release': '3.18.4\n' });
    const d = await detectLinuxDistro(files);
    expect(d).toMatchObject({ distro: 'alpinelinux', major_version: 3, minor_version: 18 });
    expect(d.warnings).toEqual([]);
  });
});
