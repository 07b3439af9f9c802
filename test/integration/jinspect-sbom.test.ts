// jinspect --sbom end to end on the distribution and Windows fixtures: CycloneDX 1.6 and
// SPDX 2.3 documents valid against their schemas (SPDX also by the SPDX project's own
// validator), one component per package of the report with the purl its package database
// gives (name and version decoded back), the OS and the image identified (its sha256 on
// request), the packages' licenses where their database records them; an SBOM per image in
// --batch; and the SBOM library left out of a plain run.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, type FixtureName } from '../fixtures/index.js';
import type { Application, OperatingSystem } from '../../src/inspect/types.js';
import { cycloneDxErrors, spdxErrors, spdxToolErrors } from '../unit/sbom-validate.js';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { BUNDLE, CAN_RUN_JINSPECT, WHY_NOT, Workdir, jinspect, reportOf } from './jinspect-helpers.js';

const wd = new Workdir('jinspect-sbom');
let before: Snapshot | undefined;

interface Case {
  fixture: FixtureName;
  /** purl type and namespace of its packages */
  prefix: string;
  os: { name: string; version?: string; cpe?: string };
  format: string;
  /** one package's whole purl, as written by hand from its package database */
  sample: [string, string];
  /** one package's license in the CycloneDX document, as its package database records it */
  license?: [string, unknown];
}

// licenses as the fixtures' package databases record them: a DEP-5 copyright file's short name
// (GPL-2+) as its SPDX id, an rpm License tag's SPDX expression, apk's L:, pacman's %LICENSE%
const LICENSE_DEBIAN: [string, unknown] = ['bsdutils', [{ license: { id: 'GPL-2.0-or-later' } }]];
const LICENSE_FEDORA: [string, unknown] = ['dnf', [{ expression: 'GPL-2.0-or-later AND GPL-1.0-only' }]];
const LICENSE_ALPINE: [string, unknown] = ['busybox', [{ license: { id: 'GPL-2.0-only' } }]];
const LICENSE_ARCH: [string, unknown] = ['zlib', [{ license: { id: 'Zlib' } }]];

const CASES: Case[] = [
  {
    fixture: 'debian-gpt.qcow2',
    prefix: 'pkg:deb/debian/',
    os: { name: 'debian', version: '12', cpe: 'cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*' },
    format: 'qcow2',
    sample: ['bsdutils', 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12'],
    license: LICENSE_DEBIAN,
  },
  {
    fixture: 'ubuntu.raw',
    prefix: 'pkg:deb/ubuntu/',
    os: { name: 'ubuntu', version: '22.04', cpe: 'cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['bash', 'pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04'],
  },
  {
    fixture: 'fedora.raw',
    prefix: 'pkg:rpm/fedora/',
    os: { name: 'fedora', version: '39', cpe: 'cpe:2.3:o:fedoraproject:fedora:39:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['openssl-libs', 'pkg:rpm/fedora/openssl-libs@3.1.1-4.fc39?arch=x86_64&distro=fedora-39&epoch=1'],
    license: LICENSE_FEDORA,
  },
  {
    fixture: 'rhel.raw',
    prefix: 'pkg:rpm/redhat/',
    os: { name: 'rhel', version: '9.3', cpe: 'cpe:2.3:o:redhat:enterprise_linux:9.3:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['bash', 'pkg:rpm/redhat/bash@5.1.8-6.el9_1?arch=x86_64&distro=rhel-9.3'],
  },
  {
    fixture: 'rhel7.raw',
    prefix: 'pkg:rpm/redhat/',
    os: { name: 'rhel', version: '7.9', cpe: 'cpe:2.3:o:redhat:enterprise_linux:7.9:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['bash', 'pkg:rpm/redhat/bash@4.2.46-34.el7?arch=x86_64&distro=rhel-7.9'],
  },
  {
    fixture: 'alpine.raw',
    prefix: 'pkg:apk/alpine/',
    os: { name: 'alpinelinux', version: '3.19', cpe: 'cpe:2.3:o:alpinelinux:alpine_linux:3.19:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['busybox', 'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19'],
    license: LICENSE_ALPINE,
  },
  {
    fixture: 'arch.raw',
    prefix: 'pkg:alpm/arch/',
    os: { name: 'archlinux' },
    format: 'raw',
    sample: ['zlib', 'pkg:alpm/arch/zlib@1:1.3.1-1?arch=x86_64'],
    license: LICENSE_ARCH,
  },
  {
    fixture: 'win10.raw',
    prefix: 'pkg:generic/',
    os: { name: 'windows', version: '10.0', cpe: 'cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*' },
    format: 'raw',
    sample: ['7-Zip 23.01 (x64)', 'pkg:generic/7-Zip%2023.01%20%28x64%29@23.01'],
  },
];

/** The version as the package manager writes it, from the report's parts (apk's release is "rN"). */
function fullVersion(a: Application, os: OperatingSystem): string {
  if (os.package_format === 'rpm') return `${a.version}-${a.release}`;
  const rel = a.release ? `${os.package_format === 'apk' ? '-r' : '-'}${a.release}` : '';
  return `${a.epoch > 0 ? `${a.epoch}:` : ''}${a.version}${rel}`;
}

/** name and version of a purl, decoded: what a scanner matches on. */
function purlParts(purl: string, prefix: string): { name: string; version: string } {
  expect(purl.startsWith(prefix)).toBe(true);
  const m = /^([^@?#]+)(?:@([^?#]*))?/.exec(purl.slice(prefix.length))!;
  return { name: decodeURIComponent(m[1]!), version: decodeURIComponent(m[2] ?? '') };
}

interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  publisher?: string;
  cpe?: string;
  licenses?: unknown[];
}

describe.skipIf(!CAN_RUN_JINSPECT)(`jinspect --sbom${WHY_NOT ? ` (${WHY_NOT})` : ''}`, () => {
  const images = new Map<FixtureName, string>();
  beforeAll(async () => {
    wd.setup();
    const names: FixtureName[] = [...CASES.map((c) => c.fixture), 'multiboot.raw'];
    await fixtures(...names);
    for (const n of names) images.set(n, await wd.image(n));
    before = await snapshot({ paths: [wd.dir], runDir: wd.runDir });
  }, 900_000);

  afterEach(async () => {
    if (before) await expectNoLeftovers(before, { timeoutMs: 5000 });
  });

  afterAll(() => wd.teardown());

  const run = (args: string[]) => jinspect(['--engine=userspace', ...args], { runDir: wd.runDir });

  for (const c of CASES) {
    it(`${c.fixture}: CycloneDX 1.6 and SPDX 2.3, valid, one component per package with its purl`, async () => {
      const image = images.get(c.fixture)!;
      const [plain, cdxRun, spdxRun] = await Promise.all([run([image]), run(['--sbom', 'cyclonedx', image]), run(['--sbom=spdx', image])]);
      const os = reportOf(plain).operatingsystems[0]!;
      const apps = os.applications ?? [];
      expect(apps.length).toBeGreaterThan(0);
      expect(cdxRun.stderr).toBe('');
      expect(cdxRun.code).toBe(0);

      // CycloneDX
      expect(await cycloneDxErrors(cdxRun.stdout)).toBeNull();
      const bom = JSON.parse(cdxRun.stdout) as {
        metadata: { component: CdxComponent; properties: { name: string; value: string }[] };
        components: CdxComponent[];
      };
      expect(bom.metadata.component).toMatchObject({ type: 'operating-system', ...c.os });
      if (!c.os.cpe) expect(bom.metadata.component.cpe).toBeUndefined();
      const prop = (n: string) => bom.metadata.properties.find((p) => p.name === n)?.value;
      expect([prop('joot:image:name'), prop('joot:image:format')]).toEqual([c.fixture, c.format]);
      expect(Number(prop('joot:image:virtual_size'))).toBeGreaterThan(0);
      expect(bom.components).toHaveLength(apps.length);
      bom.components.forEach((comp, i) => {
        const a = apps[i]!;
        const { name, version } = purlParts(comp.purl!, c.prefix);
        if (os.package_format) {
          expect([name, version]).toEqual([a.name, fullVersion(a, os)]);
          if (a.arch) expect(comp.purl).toContain(`arch=${a.arch}`);
          if (os.package_format === 'rpm' && a.epoch > 0) expect(comp.purl).toContain(`epoch=${a.epoch}`);
        } else {
          expect([name, version, comp.publisher]).toEqual([a.display_name ?? a.name, a.version, a.publisher]);
        }
      });
      const sample = bom.components.find((x) => x.name === c.sample[0]);
      expect(sample?.purl).toBe(c.sample[1]);
      if (c.license) expect(bom.components.find((x) => x.name === c.license![0])?.licenses).toEqual(c.license[1]);
      // a database that records licenses: each component has one exactly where its package has
      // one (dpkg's are read from the copyright files for --sbom only: not in the plain report)
      if (os.package_format && os.package_format !== 'deb')
        expect(bom.components.map((comp) => comp.licenses !== undefined)).toEqual(apps.map((a) => a.license !== undefined));

      // SPDX: the same purls
      expect(spdxRun.code).toBe(0);
      const doc = JSON.parse(spdxRun.stdout) as {
        packages: {
          name: string;
          primaryPackagePurpose: string;
          licenseDeclared?: string;
          externalRefs?: { referenceType: string; referenceLocator: string }[];
        }[];
      };
      expect(spdxErrors(doc)).toBeNull();
      expect(spdxToolErrors(spdxRun.stdout)).toBeNull();
      const declared = doc.packages.filter((p) => p.primaryPackagePurpose === 'APPLICATION').map((p) => p.licenseDeclared);
      expect(declared.every((d) => d !== undefined)).toBe(true);
      if (c.license) {
        const l = (c.license[1] as { license?: { id: string }; expression?: string }[])[0]!;
        expect(doc.packages.find((p) => p.name === c.license![0])?.licenseDeclared).toBe(l.expression ?? l.license?.id);
      }
      const purls = doc.packages
        .filter((p) => p.primaryPackagePurpose === 'APPLICATION')
        .map((p) => p.externalRefs?.find((r) => r.referenceType === 'purl')?.referenceLocator);
      expect(purls).toEqual(bom.components.map((x) => x.purl));
    });
  }

  it('multiboot.raw: each OS a component with its own packages, both documents valid', async () => {
    const image = images.get('multiboot.raw')!;
    const [plain, cdxRun, spdxRun] = await Promise.all([run([image]), run(['--sbom', 'cyclonedx', image]), run(['--sbom', 'spdx', image])]);
    const oses = reportOf(plain).operatingsystems;
    expect(oses.length).toBeGreaterThan(1);
    expect(await cycloneDxErrors(cdxRun.stdout)).toBeNull();
    const bom = JSON.parse(cdxRun.stdout) as { components: CdxComponent[]; dependencies: { ref: string; dependsOn?: string[] }[] };
    expect(bom.components.filter((x) => x.type === 'operating-system')).toHaveLength(oses.length - 1);
    expect(bom.components.filter((x) => x.type === 'application')).toHaveLength(
      oses.reduce((n, o) => n + (o.applications?.length ?? 0), 0),
    );
    const doc = JSON.parse(spdxRun.stdout) as { packages: { primaryPackagePurpose: string }[] };
    expect(spdxErrors(doc)).toBeNull();
    expect(spdxToolErrors(doc)).toBeNull();
    expect(doc.packages.filter((p) => p.primaryPackagePurpose === 'OPERATING_SYSTEM')).toHaveLength(oses.length);
  });

  it('the start-up code holds no CycloneDX library: jinspect --sbom imports it from the vendored files', () => {
    const code = readFileSync(path.join(path.dirname(BUNDLE), 'jinspect-code.cjs'), 'latin1');
    expect(code).not.toContain('cyclonedx.org/schema');
    expect(code).toContain('__jootImport("./vendor-cyclonedx-serialize.mjs")');
    expect(readFileSync(path.join(path.dirname(BUNDLE), 'vendor-cyclonedx-serialize.mjs'), 'utf8')).toContain('cyclonedx.org/schema');
  });

  it('--sbom-hash: the sha256 of the image file, in both documents', async () => {
    const image = images.get('alpine.raw')!;
    const sha = createHash('sha256').update(readFileSync(image)).digest('hex');
    const [cdxRun, spdxRun] = await Promise.all([
      run(['--sbom', 'cyclonedx', '--sbom-hash', image]),
      run(['--sbom=spdx', '--sbom-hash', image]),
    ]);
    expect(cdxRun.code, cdxRun.stderr).toBe(0);
    expect(await cycloneDxErrors(cdxRun.stdout)).toBeNull();
    expect(JSON.parse(cdxRun.stdout).metadata.properties).toContainEqual({ name: 'joot:image:sha256', value: sha });
    const doc = JSON.parse(spdxRun.stdout);
    expect(spdxErrors(doc)).toBeNull();
    expect(spdxToolErrors(doc)).toBeNull();
    expect(doc.packages[0].checksums).toEqual([{ algorithm: 'SHA256', checksumValue: sha }]);
  });

  it("--batch --sbom: each image's SBOM in its line, or under --out DIR in a file the line names", async () => {
    const list = [images.get('alpine.raw')!, images.get('fedora.raw')!];
    const env = { XDG_CACHE_HOME: path.join(wd.dir, 'cache') };
    const inLine = await jinspect(['--engine=userspace', '--batch', '--sbom', 'spdx', ...list], { runDir: wd.runDir, env });
    expect(inLine.code, inLine.stderr).toBe(0);
    const lines = inLine.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(spdxToolErrors(...lines.map((l) => l.sbom))).toBeNull();
    for (const l of lines) {
      expect(spdxErrors(l.sbom)).toBeNull();
      expect(l.sbom.packages[0].name).toBe(path.basename(l.image));
      expect(l.report.operatingsystems).toHaveLength(1);
    }
    // again, from the batch cache (the report cached, the SBOM made again), into files
    const out = path.join(wd.dir, 'sboms');
    const files = await jinspect(['--engine=userspace', '--batch', '--sbom=cyclonedx', '--out', out, ...list], { runDir: wd.runDir, env });
    expect(files.code, files.stderr).toBe(0);
    expect(files.stderr).toMatch(/2 from the cache/);
    for (const l of files.stdout
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x))) {
      expect(l.sbom_file).toMatch(/\.cdx\.json$/);
      expect(await cycloneDxErrors(readFileSync(l.sbom_file, 'utf8'))).toBeNull();
      expect(JSON.parse(readFileSync(l.file, 'utf8')).operatingsystems).toHaveLength(1);
    }
  });

  it('refuses --sbom with --xml, --no-applications, or an unknown format, --sbom-hash alone, as usage errors', async () => {
    const image = images.get('alpine.raw')!;
    for (const args of [
      ['--sbom', 'cyclonedx', '--xml'],
      ['--sbom', 'spdx', '--no-applications'],
      ['--sbom', 'swid'],
      ['--sbom-hash'],
      ['--queue', 'redis://127.0.0.1:1/q', '--status', '--sbom', 'spdx'],
    ]) {
      const r = await run([...args, image]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
