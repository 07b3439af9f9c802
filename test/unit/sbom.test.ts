// SBOMs from inspection reports: purls (encoding, epoch, arch, distro), the OS's name,
// version and CPE, and whole documents valid against the CycloneDX 1.6 and SPDX 2.3 schemas.
import { describe, expect, it } from 'vitest';
import { loadSpdxLists, sbomLicense, sbomText, type SbomInput } from '../../src/inspect/sbom/index.js';
import { applicationPurl, purlString } from '../../src/inspect/sbom/purl.js';
import { osCpe, osVersion } from '../../src/inspect/sbom/os-identity.js';
import { toSpdx } from '../../src/inspect/sbom/spdx.js';
import type { Application, OperatingSystem } from '../../src/inspect/types.js';
import { cycloneDxErrors, spdxErrors, spdxToolErrors } from './sbom-validate.js';

const ids = await loadSpdxLists();

function os(over: Partial<OperatingSystem>): OperatingSystem {
  return { root: '/dev/sda1', name: 'linux', major_version: 0, minor_version: 0, mountpoints: {}, filesystems: [], warnings: [], ...over };
}
const app = (name: string, version: string, release: string, epoch = 0, more: Partial<Application> = {}): Application => ({
  name,
  epoch,
  version,
  release,
  ...more,
});
const purl = (a: Application, o: OperatingSystem): string | undefined => {
  const p = applicationPurl(a, o);
  return p && purlString(p);
};

const debian = os({ distro: 'debian', major_version: 12, minor_version: 4, package_format: 'deb', product_name: '12.4' });
const fedora = os({ distro: 'fedora', major_version: 39, package_format: 'rpm' });
const rhel = os({ distro: 'rhel', major_version: 9, minor_version: 2, package_format: 'rpm' });
const alpine = os({ distro: 'alpinelinux', major_version: 3, minor_version: 19, package_format: 'apk' });
const arch = os({ distro: 'archlinux', package_format: 'pacman' });
const ubuntu = os({ distro: 'ubuntu', major_version: 22, minor_version: 4, package_format: 'deb' });
const windows = os({ name: 'windows', distro: 'windows', major_version: 10, product_name: 'Windows 10 Pro' });

describe('purl', () => {
  it('Debian: + percent-encoded, the epoch in the version, arch and distro qualifiers sorted', () => {
    expect(purl(app('bash', '5.2.15', '2+b2', 0, { arch: 'amd64' }), debian)).toBe(
      'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
    );
    expect(purl(app('bsdutils', '2.38.1', '5+deb12u3', 1, { arch: 'amd64' }), debian)).toBe(
      'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12',
    );
    // a native package has no revision
    expect(purl(app('base-files', '12.4+deb12u4', '', 0, { arch: 'amd64' }), debian)).toBe(
      'pkg:deb/debian/base-files@12.4%2Bdeb12u4?arch=amd64&distro=debian-12',
    );
    expect(purl(app('libc6', '2.35', '0ubuntu3', 0, { arch: 'amd64' }), ubuntu)).toBe(
      'pkg:deb/ubuntu/libc6@2.35-0ubuntu3?arch=amd64&distro=ubuntu-22.04',
    );
  });

  it('rpm: the epoch as a qualifier, version-release, the distro with its namespace', () => {
    expect(purl(app('openssl-libs', '3.1.1', '4.fc39', 1, { arch: 'x86_64' }), fedora)).toBe(
      'pkg:rpm/fedora/openssl-libs@3.1.1-4.fc39?arch=x86_64&distro=fedora-39&epoch=1',
    );
    expect(purl(app('dnf', '4.18.2', '1.fc39', 0, { arch: 'noarch' }), fedora)).toBe(
      'pkg:rpm/fedora/dnf@4.18.2-1.fc39?arch=noarch&distro=fedora-39',
    );
    expect(purl(app('bash', '5.1.8', '6.el9_1', 0, { arch: 'x86_64' }), rhel)).toBe(
      'pkg:rpm/redhat/bash@5.1.8-6.el9_1?arch=x86_64&distro=rhel-9.2',
    );
    // gpg-pubkey has no arch: no empty qualifier
    expect(purl(app('gpg-pubkey', '18b8e74c', '62f2920f'), fedora)).toBe('pkg:rpm/fedora/gpg-pubkey@18b8e74c-62f2920f?distro=fedora-39');
  });

  it('apk spells the release -rN; alpm keeps the epoch in the version, a rolling distro has no distro qualifier', () => {
    expect(purl(app('busybox', '1.36.1', '15', 0, { arch: 'x86_64' }), alpine)).toBe(
      'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19',
    );
    expect(purl(app('musl', '1.2.4_git20230717', '4', 0, { arch: 'x86_64' }), alpine)).toBe(
      'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19',
    );
    expect(purl(app('zlib', '1.3.1', '1', 1, { arch: 'x86_64' }), arch)).toBe('pkg:alpm/arch/zlib@1:1.3.1-1?arch=x86_64');
    expect(purl(app('filesystem', '2023.09.18', '1', 0, { arch: 'any' }), arch)).toBe('pkg:alpm/arch/filesystem@2023.09.18-1?arch=any');
  });

  it('Windows: generic, the displayed name, spaces and reserved characters encoded', () => {
    const ff = app('Mozilla Firefox 120.0 (x64 en-US)', '120.0', '', 0, {
      display_name: 'Mozilla Firefox (x64 en-US)',
      publisher: 'Mozilla',
    });
    expect(purl(ff, windows)).toBe('pkg:generic/Mozilla%20Firefox%20%28x64%20en-US%29@120.0');
    expect(purl(app('{GUID}', '', ''), windows)).toBe('pkg:generic/%7BGUID%7D');
    expect(purlString({ type: 'generic', name: 'a/b?c#d@e', version: '1%2' })).toBe('pkg:generic/a%2Fb%3Fc%23d%40e@1%252');
    expect(purlString({ type: 'generic', name: 'é' })).toBe('pkg:generic/%C3%A9');
  });
});

describe('the operating system', () => {
  it('version and CPE as the vendors and NVD write them; none where they cannot be formed', () => {
    expect([osVersion(debian), osCpe(debian)]).toEqual(['12', 'cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*']);
    expect([osVersion(ubuntu), osCpe(ubuntu)]).toEqual(['22.04', 'cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*']);
    expect(osCpe(fedora)).toBe('cpe:2.3:o:fedoraproject:fedora:39:*:*:*:*:*:*:*');
    expect(osCpe(rhel)).toBe('cpe:2.3:o:redhat:enterprise_linux:9.2:*:*:*:*:*:*:*');
    expect(osCpe(alpine)).toBe('cpe:2.3:o:alpinelinux:alpine_linux:3.19:*:*:*:*:*:*:*');
    expect([osVersion(arch), osCpe(arch)]).toEqual([undefined, undefined]);
    expect(osCpe(windows)).toBe('cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*');
    expect(osCpe({ ...windows, product_name: 'Windows Server 2019 Standard' })).toBe(
      'cpe:2.3:o:microsoft:windows_server_2019:-:*:*:*:*:*:*:*',
    );
    expect(osCpe({ ...windows, product_name: 'Windows Server 2012 R2 Datacenter' })).toBe(
      'cpe:2.3:o:microsoft:windows_server_2012_r2:-:*:*:*:*:*:*:*',
    );
    expect(osCpe(os({ distro: 'unknown' }))).toBeUndefined();
  });
});

const input = (oses: OperatingSystem[]): SbomInput => ({
  report: { operatingsystems: oses },
  images: [{ name: 'guest.qcow2', format: 'qcow2', virtualSize: 10737418240 }],
  tool: { name: 'joot-jinspect', version: '0.1.0' },
  created: new Date('2026-12-05T10:00:00.123Z'),
  uuid: '3e671687-395b-41f5-a30f-a58921a69b79',
});

const debianGuest = {
  ...debian,
  arch: 'x86_64',
  hostname: 'deb',
  applications: [
    app('bash', '5.2.15', '2+b2', 0, {
      arch: 'amd64',
      summary: 'GNU Bourne Again SHell',
      url: 'http://tiswww.case.edu/php/chet/bash/bashtop.html',
      license: 'GPL-3+ or Artistic-2.0',
    }),
    app('bsdutils', '2.38.1', '5+deb12u3', 1, { arch: 'amd64', source_package: 'util-linux', url: 'not a url', license: 'GPL-2+' }),
    // the same package twice (a broken status file): still unique references; a license SPDX does not name
    app('bash', '5.2.15', '2+b2', 0, { arch: 'amd64', license: 'GPLv2 with exceptions\n(see COPYING)' }),
  ],
};
const windowsGuest = {
  ...windows,
  applications: [
    app('Firefox', '120.0', '', 0, {
      display_name: 'Mozilla Firefox',
      publisher: 'Mozilla\nCorp',
      install_path: 'C:\\Program Files\\Mozilla Firefox',
    }),
  ],
};

describe('CycloneDX 1.6', () => {
  it('is valid; the OS is the metadata component; one component per application with its purl; the image identified', async () => {
    const text = await sbomText('cyclonedx', input([debianGuest, windowsGuest]));
    expect(await cycloneDxErrors(text)).toBeNull();
    const bom = JSON.parse(text);
    expect(bom.specVersion).toBe('1.6');
    expect(bom.serialNumber).toBe('urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79');
    expect(bom.metadata.component).toMatchObject({
      type: 'operating-system',
      name: 'debian',
      version: '12',
      cpe: 'cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*',
    });
    expect(bom.metadata.properties).toEqual([
      { name: 'joot:image:name', value: 'guest.qcow2' },
      { name: 'joot:image:format', value: 'qcow2' },
      { name: 'joot:image:virtual_size', value: '10737418240' },
    ]);
    const comps = bom.components as {
      type: string;
      name: string;
      version?: string;
      purl?: string;
      publisher?: string;
      'bom-ref': string;
    }[];
    expect(comps.map((c) => [c.type, c.name, c.version, c.purl])).toEqual([
      ['application', 'bash', '5.2.15-2+b2', 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12'],
      ['application', 'bsdutils', '1:2.38.1-5+deb12u3', 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12'],
      ['application', 'bash', '5.2.15-2+b2', 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12'],
      ['operating-system', 'windows', '10.0', undefined],
      ['application', 'Mozilla Firefox', '120.0', 'pkg:generic/Mozilla%20Firefox@120.0'],
    ]);
    expect(new Set(comps.map((c) => c['bom-ref'])).size).toBe(comps.length);
    expect(comps[4]!.publisher).toBe('Mozilla\nCorp');
    // each OS depends on its own applications
    const deps = new Map((bom.dependencies as { ref: string; dependsOn?: string[] }[]).map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get(bom.metadata.component['bom-ref'])).toHaveLength(3);
    expect(deps.get(comps[3]!['bom-ref'])).toEqual([comps[4]!['bom-ref']]);
  });

  it('the validators do reject (so a pass above means something)', async () => {
    const text = await sbomText('cyclonedx', input([debianGuest]));
    const bad = JSON.parse(text);
    bad.components[0].type = 'package';
    expect(await cycloneDxErrors(JSON.stringify(bad))).not.toBeNull();
    expect(
      spdxErrors({ ...toSpdx(input([debianGuest]), ids), packages: [{ SPDXID: 'SPDXRef-x y', name: 'x', downloadLocation: 'NONE' }] }),
    ).not.toBeNull();
    const doc = toSpdx(input([debianGuest]), ids);
    const dangling = {
      ...doc,
      relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-none' }],
    };
    expect(spdxErrors(dangling)).not.toBeNull();
    // the SPDX project's validator: a dangling relationship, an exception used as a license, a
    // license used as an exception, a purl that is none — each one line naming its document
    const apps = doc.packages.filter((p) => p.primaryPackagePurpose === 'APPLICATION');
    const withApp = (change: Record<string, unknown>) => ({
      ...doc,
      packages: doc.packages.map((p) => (p === apps[0] ? { ...p, ...change } : p)),
    });
    const errors = spdxToolErrors(
      doc,
      dangling,
      withApp({ licenseDeclared: 'Classpath-exception-2.0' }),
      withApp({ licenseDeclared: 'GPL-2.0-only WITH MIT' }),
      withApp({ externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'bash 5.2' }] }),
    );
    expect(errors).not.toBeNull();
    expect(new Set(errors!.map((e) => e.split(':')[0]))).toEqual(
      new Set(['doc1.spdx.json', 'doc2.spdx.json', 'doc3.spdx.json', 'doc4.spdx.json']),
    );
  });

  it('a report without applications or operating systems is still a valid document', async () => {
    expect(await cycloneDxErrors(await sbomText('cyclonedx', input([os({})])))).toBeNull();
    expect(await cycloneDxErrors(await sbomText('cyclonedx', input([])))).toBeNull();
  });
});

describe('SPDX 2.3', () => {
  it('is valid: the image DESCRIBED, CONTAINS the OS, which CONTAINS its packages with purls; odd guest text kept valid', () => {
    const doc = toSpdx(input([debianGuest, windowsGuest]), ids);
    expect(spdxErrors(doc)).toBeNull();
    expect(spdxToolErrors(doc)).toBeNull();
    expect(doc.creationInfo.created).toBe('2026-12-05T10:00:00Z');
    const byName = (n: string) => doc.packages.filter((p) => p.name === n);
    expect(byName('guest.qcow2')[0]).toMatchObject({
      primaryPackagePurpose: 'FILE',
      comment: 'disk image: format qcow2, virtual size 10737418240 bytes',
    });
    expect(byName('debian')[0]).toMatchObject({
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      versionInfo: '12',
      externalRefs: [
        { referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: 'cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*' },
      ],
    });
    const bsd = byName('bsdutils')[0]!;
    expect(bsd).toMatchObject({
      versionInfo: '1:2.38.1-5+deb12u3',
      sourceInfo: 'built package from: util-linux',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12',
        },
      ],
    });
    expect(bsd.homepage).toBeUndefined(); // "not a url"
    expect(byName('bash')[0]!.homepage).toBe('http://tiswww.case.edu/php/chet/bash/bashtop.html');
    expect(byName('Mozilla Firefox')[0]!.supplier).toBe('Organization: Mozilla Corp');
    const rel = (a: string, t: string) =>
      doc.relationships.filter((r) => r.spdxElementId === a && r.relationshipType === t).map((r) => r.relatedSpdxElement);
    expect(rel('SPDXRef-DOCUMENT', 'DESCRIBES')).toEqual([byName('guest.qcow2')[0]!.SPDXID]);
    expect(rel(byName('guest.qcow2')[0]!.SPDXID, 'CONTAINS')).toEqual([byName('debian')[0]!.SPDXID, byName('windows')[0]!.SPDXID]);
    expect(rel(byName('debian')[0]!.SPDXID, 'CONTAINS')).toHaveLength(3);
    // the source package its database names: a SOURCE package (Debian's arch=source purl) the
    // binary is GENERATED_FROM, contained in nothing
    const src = byName('util-linux')[0]!;
    expect(src).toMatchObject({
      primaryPackagePurpose: 'SOURCE',
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:deb/debian/util-linux?arch=source&distro=debian-12',
        },
      ],
    });
    expect(rel(bsd.SPDXID, 'GENERATED_FROM')).toEqual([src.SPDXID]);
    expect(doc.relationships.filter((r) => r.relatedSpdxElement === src.SPDXID).map((r) => r.relationshipType)).toEqual(['GENERATED_FROM']);
    expect(doc.relationships.filter((r) => r.relationshipType === 'GENERATED_FROM')).toHaveLength(1); // bash records none
  });

  it('the text jinspect prints parses to the same document', async () => {
    const i = input([debianGuest]);
    expect(JSON.parse(await sbomText('spdx', i))).toEqual(JSON.parse(JSON.stringify(toSpdx(i, ids))));
  });
});

describe('licenses', () => {
  it('an SPDX id in its spelling, an expression over ids, DEP-5 short names as SPDX ids, else the name', () => {
    expect(sbomLicense('mit', ids)).toEqual({ id: 'MIT' });
    expect(sbomLicense('Apache-2.0', ids)).toEqual({ id: 'Apache-2.0' });
    expect(sbomLicense('GPL-2+', ids)).toEqual({ id: 'GPL-2.0-or-later' });
    expect(sbomLicense('LGPL-2.1', ids)).toEqual({ id: 'LGPL-2.1-only' });
    expect(sbomLicense('Expat', ids)).toEqual({ id: 'MIT' });
    expect(sbomLicense('MIT AND (LGPL-2.1-or-later OR BSD-3-Clause)', ids)).toEqual({
      expression: 'MIT AND (LGPL-2.1-or-later OR BSD-3-Clause)',
    });
    expect(sbomLicense('GPL-2+ or Artistic-2.0', ids)).toEqual({ expression: 'GPL-2.0-or-later OR Artistic-2.0' });
    expect(sbomLicense('GPL-2.0-only WITH Classpath-exception-2.0', ids)).toEqual({
      expression: 'GPL-2.0-only WITH Classpath-exception-2.0',
    });
    expect(sbomLicense('Apache-2.0+ OR MIT', ids)).toEqual({ expression: 'Apache-2.0+ OR MIT' });
    // not an expression: unbalanced, an operator without operands, an unknown license
    for (const t of ['(MIT', 'MIT AND', 'AND MIT', 'MIT Foo', 'GPLv2+', 'Artistic 2.0 or GPL'])
      expect(sbomLicense(t, ids)).toEqual({ name: t });
    // not on SPDX's lists as used: an unknown exception, an exception alone or as a license, a
    // license as an exception (CycloneDX's copy of the license list holds the exceptions too)
    for (const t of [
      'GPL-2.0-only WITH Foo-exception',
      'Classpath-exception-2.0',
      'Classpath-exception-2.0 OR MIT',
      'GPL-2.0-only WITH MIT',
    ])
      expect(sbomLicense(t, ids)).toEqual({ name: t });
    // guest text: control characters made blanks, bounded
    expect(sbomLicense('GPL\u001b[31m', ids)).toEqual({ name: 'GPL [31m' });
    expect((sbomLicense('x'.repeat(5000), ids) as { name: string }).name).toHaveLength(512);
    expect(sbomLicense('', ids)).toBeUndefined();
    expect(sbomLicense(undefined, ids)).toBeUndefined();
  });

  it('CycloneDX: licenses by id, expression or name, valid; SPDX: licenseDeclared or NOASSERTION with the name in a comment, valid', async () => {
    const text = await sbomText('cyclonedx', input([debianGuest]));
    expect(await cycloneDxErrors(text)).toBeNull();
    const bom = JSON.parse(text) as { components: { name: string; licenses?: unknown[] }[] };
    expect(bom.components.map((c) => c.licenses)).toEqual([
      [{ expression: 'GPL-3.0-or-later OR Artistic-2.0' }],
      [{ license: { id: 'GPL-2.0-or-later' } }],
      [{ license: { name: 'GPLv2 with exceptions (see COPYING)' } }],
    ]);
    const doc = toSpdx(input([debianGuest]), ids);
    expect(spdxErrors(doc)).toBeNull();
    expect(spdxToolErrors(doc)).toBeNull();
    const apps = doc.packages.filter((p) => p.primaryPackagePurpose === 'APPLICATION');
    expect(apps.map((p) => [p.licenseDeclared, p.licenseComments])).toEqual([
      ['GPL-3.0-or-later OR Artistic-2.0', undefined],
      ['GPL-2.0-or-later', undefined],
      ['NOASSERTION', 'recorded by the package database: GPLv2 with exceptions (see COPYING)'],
    ]);
    // the OS, the image and the source package declare nothing: no licenseDeclared at all
    expect(doc.packages.filter((p) => p.primaryPackagePurpose !== 'APPLICATION').map((p) => p.licenseDeclared)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("the image file's sha256 when given: a CycloneDX property, an SPDX checksum", async () => {
    const sha = 'ab'.repeat(32);
    const i = { ...input([debianGuest]), images: [{ name: 'guest.qcow2', format: 'qcow2', virtualSize: 1 << 20, sha256: sha }] };
    const text = await sbomText('cyclonedx', i);
    expect(await cycloneDxErrors(text)).toBeNull();
    expect(JSON.parse(text).metadata.properties).toContainEqual({ name: 'joot:image:sha256', value: sha });
    const doc = toSpdx(i, ids);
    expect(spdxErrors(doc)).toBeNull();
    expect(spdxToolErrors(doc)).toBeNull();
    expect(doc.packages[0]!.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: sha }]);
  });
});
