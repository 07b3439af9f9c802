import { describe, it, expect } from 'vitest';
import { isInstalled, listDpkgApplications, parseDpkgStatus, splitDebianVersion } from '../../src/inspect/apps/dpkg.js';
import { treeReaders } from './linux-guest-trees.js';

const reader = treeReaders('joot-dpkg-');

const TRICKY = `Package: zlib1g
Status: install ok installed
Priority: required
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Breaks: libxml2 (<< 2.7.6.dfsg-2), texlive-binaries (<< 2009-12)
Conflicts: zlib1 (<= 1:1.0.4-7)
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 in gzip and PKZIP.  This package includes the shared library.
Homepage: http://zlib.net/

Package: old-removed
Status: deinstall ok config-files
Priority: optional
Architecture: amd64
Version: 2.0-1
Conffiles:
 /etc/old-removed.conf 0123456789abcdef0123456789abcdef
Description: removed package with config files left

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Description: GCC support library
 Shared version of the support library, a library of internal subroutines
 that GCC uses to overcome shortcomings of particular machines, or
 special needs for some languages.
 .
 Second paragraph, after a " ." line.
 .
   A verbatim line (two spaces kept after the first).
Homepage: https://gcc.gnu.org/

Package: base-files
Essential: yes
Status: install ok installed
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: held-pkg
Status: hold ok installed
Architecture: all
Version: 0.9-2-3
Description: a held package with a hyphenated upstream version

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0-1
Description: broken mid-install

Package: bad-epoch
Status: install ok installed
Architecture: amd64
Version: x:1.0-1
Description: unparsable epoch

Package: adduser
Status: install ok installed
Architecture: all
Version: 3.134
Description: add and remove users and groups`; // no trailing blank line: still counted

describe('dpkg status', () => {
  it('version splitting', () => {
    expect(splitDebianVersion('1:1.2.13.dfsg-1')).toEqual({ epoch: 1, version: '1.2.13.dfsg', release: '1' });
    expect(splitDebianVersion('0.9-2-3')).toEqual({ epoch: 0, version: '0.9-2', release: '3' });
    expect(splitDebianVersion('3.134')).toEqual({ epoch: 0, version: '3.134', release: '' });
    expect(splitDebianVersion('2:4.2-3:1')).toEqual({ epoch: 2, version: '4.2', release: '3:1' });
    expect(splitDebianVersion('x:1')).toBeUndefined();
    expect(splitDebianVersion('')).toBeUndefined();
    expect(splitDebianVersion('1:')).toBeUndefined();
  });

  it('tricky entries', () => {
    const { applications: apps, warnings } = parseDpkgStatus(TRICKY);
    expect(apps.map((a) => a.name)).toEqual(['adduser', 'base-files', 'held-pkg', 'libgcc-s1', 'zlib1g']);
    expect(warnings).toEqual(['/var/lib/dpkg/status: 1 installed package(s) skipped: unparsable Version']);
    const byName = Object.fromEntries(apps.map((a) => [a.name, a]));
    expect(byName['zlib1g']).toEqual({
      name: 'zlib1g',
      epoch: 1,
      version: '1.2.13.dfsg',
      release: '1',
      arch: 'amd64',
      url: 'http://zlib.net/',
      source_package: 'zlib',
      summary: 'compression library - runtime',
      description:
        'zlib is a library implementing the deflate compression method found\nin gzip and PKZIP.  This package includes the shared library.',
    });
    expect(byName['libgcc-s1']).toMatchObject({
      epoch: 0,
      version: '12.2.0',
      release: '14',
      source_package: 'gcc-12',
      summary: 'GCC support library',
      description:
        'Shared version of the support library, a library of internal subroutines\nthat GCC uses to overcome shortcomings of particular machines, or\nspecial needs for some languages.\n\nSecond paragraph, after a " ." line.\n\n  A verbatim line (two spaces kept after the first).',
    });
    expect(byName['base-files']).toEqual({
      name: 'base-files',
      epoch: 0,
      version: '12.4+deb12u5',
      release: '',
      arch: 'amd64',
      summary: 'Debian base system miscellaneous files',
    });
    expect(byName['held-pkg']).toMatchObject({ version: '0.9-2', release: '3', arch: 'all' });
    expect(byName['adduser']).toMatchObject({ version: '3.134', release: '', summary: 'add and remove users and groups' });
  });

  it('status words: "installed" anywhere counts, the other states never (issue 17 point 3)', () => {
    for (const s of [
      'install ok installed',
      'hold ok installed',
      'deinstall ok installed',
      'installed ok',
      'installed',
      'install\tok\tinstalled',
    ])
      expect(isInstalled(s), s).toBe(true);
    for (const s of [
      'install ok half-installed',
      'deinstall ok config-files',
      'purge ok not-installed',
      'install ok unpacked',
      'install ok half-configured',
      'install ok installedx',
      'uninstalled',
      '',
    ])
      expect(isInstalled(s), s).toBe(false);
    expect(isInstalled(undefined)).toBe(false);
    const text = [
      ['a-two-words', 'installed ok'],
      ['b-three-words', 'install ok installed'],
      ['c-half', 'install reinstreq half-installed'],
      ['d-config', 'deinstall ok config-files'],
      ['e-not', 'purge ok not-installed'],
      ['f-unpacked', 'install ok unpacked'],
    ]
      .map(([n, st]) => `Package: ${n}\nStatus: ${st}\nVersion: 1.0-1\nArchitecture: amd64\nDescription: ${n}\n`)
      .join('\n');
    expect(parseDpkgStatus(text).applications.map((a) => a.name)).toEqual(['a-two-words', 'b-three-words']);
  });

  it('CRLF, NULs, garbage and long lines do not crash', () => {
    const junk = Buffer.alloc(100_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 31 + 7) & 0xff;
    const text =
      'Package: a\r\nStatus: install ok installed\r\nVersion: 1.0-1\r\nDescription: x\0y\r\n\r\n' +
      junk.toString('latin1') +
      '\n\nPackage: ' +
      'b'.repeat(1_000_000) +
      '\nStatus: install ok installed\nVersion: 1\n';
    const { applications } = parseDpkgStatus(text);
    expect(applications[0]).toMatchObject({ name: 'a', version: '1.0', release: '1', summary: 'xy' });
    expect(applications.at(-1)!.name).toHaveLength(1_000_000);
  });

  it('through the guest reader: missing → undefined, too large → error value', async () => {
    expect(await listDpkgApplications(await reader({ 'etc/fstab': '' }))).toBeUndefined();
    const files = await reader({ 'var/lib/dpkg/status': TRICKY });
    const r = await listDpkgApplications(files);
    expect(r && 'applications' in r && r.applications.length).toBe(5);
    const big = await listDpkgApplications(files, { maxBytes: 100 });
    expect(big).toEqual({ error: '/var/lib/dpkg/status: file is larger than 100 bytes' });
  });

  it('3,000 packages: every installed one listed (its speed is a bench figure, not a test)', async () => {
    const paras: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const name = `pkg-${String((i * 7919) % 3000).padStart(4, '0')}-${i}`;
      paras.push(
        [
          `Package: ${name}`,
          i % 10 === 0 ? 'Status: deinstall ok config-files' : 'Status: install ok installed',
          'Priority: optional',
          'Section: libs',
          `Installed-Size: ${100 + i}`,
          'Maintainer: Debian Developers <debian-devel@lists.debian.org>',
          'Architecture: amd64',
          'Multi-Arch: same',
          `Source: src-${i % 500} (${i}.0-1)`,
          `Version: ${i % 3}:${i}.${i % 17}.${i % 5}+dfsg-${1 + (i % 4)}`,
          'Depends: libc6 (>= 2.34), libgcc-s1 (>= 3.0), zlib1g (>= 1:1.2.0)',
          `Description: package number ${i} of the benchmark`,
          ' A longer description of this package, on a continuation line, which',
          ' goes on for a few lines as real descriptions do.',
          ' .',
          ' And a second paragraph, since many descriptions have one.',
          `Homepage: https://example.org/${name}`,
        ].join('\n'),
      );
    }
    const status = `${paras.join('\n\n')}\n`;
    const files = await reader({ 'var/lib/dpkg/status': status });
    // through the guest reader: read + parse + sort, twice (the streaming parser keeps no state)
    for (let k = 0; k < 2; k++) {
      const r = await listDpkgApplications(files);
      expect(r && 'applications' in r ? r.applications.length : -1).toBe(2700);
    }
  });
});
