// Package licenses where the database keeps them elsewhere: dpkg's machine-readable copyright
// files (DEP-5), read through the guest reader, bounded; pacman's several %LICENSE% lines.
import { describe, expect, it } from 'vitest';
import { addDpkgLicenses, COPYRIGHT_HEAD, dep5License } from '../../src/inspect/apps/dpkg-copyright.js';
import { parsePacmanDesc } from '../../src/inspect/apps/pacman.js';
import type { Application } from '../../src/inspect/types.js';
import { treeReaders } from './linux-guest-trees.js';

const FORMAT = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n';
const reader = treeReaders('joot-licenses-');

const pkg = (name: string): Application => ({ name, epoch: 0, version: '1', release: '' });

describe('dpkg copyright (DEP-5)', () => {
  it('the header License, else the "Files: *" paragraph’s first License line; not machine-readable: none', () => {
    expect(dep5License(`${FORMAT}License: GPL-2+\n`)).toBe('GPL-2+');
    expect(
      dep5License(
        `${FORMAT}\nFiles: debian/*\nCopyright: me\nLicense: MIT\n\nFiles: src/* *\nCopyright: them\nLicense: GPL-3+\n This program is free…\n`,
      ),
    ).toBe('GPL-3+');
    expect(dep5License(`${FORMAT}\r\n\r\nFiles: *\r\nLicense: BSD-3-clause\r\n`)).toBe('BSD-3-clause');
    expect(dep5License(`${FORMAT}\nFiles: src/*\nLicense: MIT\n`)).toBeUndefined();
    expect(dep5License('This is the Debian packaging of bash.\nLicense: GPL\n')).toBeUndefined();
    expect(dep5License('')).toBeUndefined();
  });

  it('through the guest reader: a license per package where its file is machine-readable; odd names and unreadable files skipped', async () => {
    const files = await reader({
      'usr/share/doc/bash/copyright': `${FORMAT}\nFiles: *\nLicense: GPL-3+\n`,
      'usr/share/doc/old/copyright': 'free-form text\n',
      // a symlinked doc directory (dpkg's --path-include habit): followed inside the guest
      'usr/share/doc/libfoo1': { symlink: 'libfoo-common' },
      'usr/share/doc/libfoo-common/copyright': `${FORMAT}License: MIT\n`,
      // the head only: a License past COPYRIGHT_HEAD is not seen
      'usr/share/doc/big/copyright': `${FORMAT}${'Comment: x\n'.repeat(COPYRIGHT_HEAD / 10)}\nFiles: *\nLicense: MIT\n`,
      // a large file: its head is enough
      'usr/share/doc/huge/copyright': `${FORMAT}License: Apache-2.0\n${'x'.repeat(4 * COPYRIGHT_HEAD)}`,
      // a guest name that would climb out of /usr/share/doc
      'usr/share/copyright': `${FORMAT}License: Evil\n`,
    });
    const apps = ['bash', 'old', 'libfoo1', 'big', 'huge', 'missing', '..', 'a/../..'].map(pkg);
    await addDpkgLicenses(files, apps);
    expect(apps.map((a) => [a.name, a.license])).toEqual([
      ['bash', 'GPL-3+'],
      ['old', undefined],
      ['libfoo1', 'MIT'],
      ['big', undefined],
      ['huge', 'Apache-2.0'],
      ['missing', undefined],
      ['..', undefined],
      ['a/../..', undefined],
    ]);
  });
});

describe('pacman %LICENSE%', () => {
  it('every line, joined by AND; a repeated section replaces the first; none: absent', () => {
    const desc = (lic: string) => `%NAME%\nzlib\n\n%VERSION%\n1.3-1\n\n%ARCH%\nx86_64\n\n${lic}`;
    expect(parsePacmanDesc(desc('%LICENSE%\nZlib\n'))?.license).toBe('Zlib');
    expect(parsePacmanDesc(desc('%LICENSE%\nGPL-2.0-or-later\nLGPL-2.1-or-later\n'))?.license).toBe(
      'GPL-2.0-or-later AND LGPL-2.1-or-later',
    );
    expect(parsePacmanDesc(desc('%LICENSE%\nA\n\n%LICENSE%\nB\n'))?.license).toBe('B');
    expect(parsePacmanDesc(desc(''))?.license).toBeUndefined();
  });
});
