import { describe, it, expect } from 'vitest';
import { listPacmanApplications, parsePacmanDesc } from '../../src/inspect/apps/pacman.js';
import { listApkApplications, parseApkInstalled, splitApkVersion } from '../../src/inspect/apps/apk.js';
import { treeReaders } from './linux-guest-trees.js';

const reader = treeReaders('joot-apps-');

const desc = (name: string, version: string, extra = ''): string => `%NAME%
${name}

%VERSION%
${version}

%BASE%
${name}

%DESC%
The ${name} package

%URL%
https://example.org/${name}

%ARCH%
x86_64

%BUILDDATE%
1700000000

%INSTALLDATE%
1700000100

%PACKAGER%
Arch Linux <someone@archlinux.org>

%SIZE%
123456

%LICENSE%
GPL-3.0-or-later
MIT

%VALIDATION%
pgp

%DEPENDS%
glibc
${extra}`;

describe('pacman', () => {
  it('parses a desc file', () => {
    expect(parsePacmanDesc(desc('bash', '5.2.026-2'))).toEqual({
      name: 'bash',
      epoch: 0,
      version: '5.2.026',
      release: '2',
      arch: 'x86_64',
      url: 'https://example.org/bash',
      description: 'The bash package',
      // every %LICENSE% line
      license: 'GPL-3.0-or-later AND MIT',
    });
    expect(parsePacmanDesc(desc('gnupg', '2.4.5-1').replace('x86_64', 'any').replace('5-1', '5-1'))).toMatchObject({ arch: 'any' });
    expect(parsePacmanDesc(desc('libx', '1:2.0.1-3'))).toMatchObject({ epoch: 1, version: '2.0.1', release: '3' });
    expect(parsePacmanDesc(desc('norel', '2.0'))).toBeUndefined();
    expect(parsePacmanDesc(desc('badepoch', 'a:2.0-1'))).toBeUndefined();
    expect(parsePacmanDesc('%NAME%\nx\n\n%VERSION%\n1-1\n')).toBeUndefined(); // no %ARCH%
    expect(parsePacmanDesc('\0\0garbage\n%NAME%\n')).toBeUndefined();
  });

  it('lists the local database through the guest reader', async () => {
    const files = await reader({
      'var/lib/pacman/local/ALPM_DB_VERSION': '9\n',
      'var/lib/pacman/local/zstd-1.5.6-1/desc': desc('zstd', '1.5.6-1'),
      'var/lib/pacman/local/zstd-1.5.6-1/files': '%FILES%\nusr/\n',
      'var/lib/pacman/local/bash-5.2.026-2/desc': desc('bash', '5.2.026-2'),
      'var/lib/pacman/local/linux-6.8.9.arch1-2/desc': desc('linux', '6.8.9.arch1-2'),
      'var/lib/pacman/local/broken-1-1/desc': '%NAME%\nbroken\n',
      'var/lib/pacman/local/nodesc-1-1/files': '',
      'var/lib/pacman/local/huge-1-1/desc': desc('huge', '1-1') + 'x'.repeat(70_000),
    });
    const r = await listPacmanApplications(files);
    expect(r && 'applications' in r).toBe(true);
    if (!r || !('applications' in r)) return;
    expect(r.applications.map((a) => `${a.name} ${a.version}-${a.release}`)).toEqual([
      'bash 5.2.026-2',
      'linux 6.8.9.arch1-2',
      'zstd 1.5.6-1',
    ]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings).toContain('/var/lib/pacman/local: 2 package entries skipped: missing or incomplete desc');
    expect(r.warnings.some((w) => /^\/var\/lib\/pacman\/local\/huge-1-1\/desc: file is larger than/.test(w))).toBe(true);
  });

  it('no database → undefined', async () => {
    expect(await listPacmanApplications(await reader({ 'etc/fstab': '' }))).toBeUndefined();
  });
});

const APK = `C:Q1fN0rGHXKWSKRM0l5qlqUi1xvXZc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407055
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1700000000
c:a1b2c3
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1abc=

C:Q1xyz=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
S:1234
I:8192
T:busybox ash /bin/sh
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
D:busybox=1.36.1-r15

P:alpine-baselayout-data
V:3.4.3-r2
A:x86_64
T:Alpine base dir structure and init scripts
U:https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout
o:alpine-baselayout
`;

describe('apk', () => {
  it('version splitting', () => {
    expect(splitApkVersion('1.36.1-r15')).toEqual({ epoch: 0, version: '1.36.1', release: '15' });
    expect(splitApkVersion('1.2.4_git20230717-r4')).toEqual({ epoch: 0, version: '1.2.4_git20230717', release: '4' });
    expect(splitApkVersion('2.0')).toEqual({ epoch: 0, version: '2.0', release: '' });
    expect(splitApkVersion('-r1')).toBeUndefined();
  });

  it('parses records (last one without a trailing blank line)', () => {
    const { applications } = parseApkInstalled(APK.trimEnd());
    expect(applications.map((a) => a.name)).toEqual(['alpine-baselayout-data', 'busybox-binsh', 'musl']);
    expect(applications[2]).toEqual({
      name: 'musl',
      epoch: 0,
      version: '1.2.4_git20230717',
      release: '4',
      arch: 'x86_64',
      url: 'https://musl.libc.org/',
      source_package: 'musl',
      description: 'the musl c library (libc) implementation',
      license: 'MIT',
    });
  });

  it('garbage does not crash', () => {
    const junk = Buffer.alloc(50_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131) & 0xff;
    const { applications } = parseApkInstalled(`${junk.toString('latin1')}\n\nP:x\0\nV:1-r1\n`);
    expect(applications.at(-1)).toMatchObject({ name: 'x', version: '1', release: '1' });
  });

  it('through the guest reader; missing → undefined; too large → error value', async () => {
    expect(await listApkApplications(await reader({ 'etc/fstab': '' }))).toBeUndefined();
    const files = await reader({ lib: { symlink: 'usr/lib' }, 'usr/lib/apk/db/installed': APK });
    const r = await listApkApplications(files);
    expect(r && 'applications' in r && r.applications.length).toBe(3);
    expect(await listApkApplications(files, { maxBytes: 10 })).toEqual({ error: '/lib/apk/db/installed: file is larger than 10 bytes' });
  });
});
