// CoreOS-family pieces on host directory trees: the Container Linux / Flatcar root and /usr
// rules, the choice between USR-A and USR-B, BLS entries and the ostree deployment they boot,
// and the deployment seen as "/" (SubtreeFiles: links resolved inside it).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestReader } from '../../src/appliance/guest-reader.js';
import { compareVersions, coreosUsrVersion, isCoreosRoot, newestUsr, versionNumbers } from '../../src/inspect/linux/coreos.js';
import { detectLinuxDistro } from '../../src/inspect/linux/distro.js';
import { chooseDeployment, ostreeArg, parseBlsEntry, readLoaderEntries, resolveGuestPath } from '../../src/inspect/linux/ostree.js';
import { classify } from '../../src/inspect/roots.js';
import { SubtreeFiles } from '../../src/inspect/subtree-files.js';

let tmp: string;

/** 'dir/' a directory, 'file' → contents, '@target' → a symlink. */
async function build(name: string, tree: Record<string, string>): Promise<GuestReader> {
  const root = path.join(tmp, name);
  await fsp.mkdir(root, { recursive: true });
  for (const [p, v] of Object.entries(tree)) {
    const host = path.join(root, p);
    if (p.endsWith('/')) {
      await fsp.mkdir(host, { recursive: true });
      continue;
    }
    await fsp.mkdir(path.dirname(host), { recursive: true });
    if (v.startsWith('@')) await fsp.symlink(v.slice(1), host);
    else await fsp.writeFile(host, v);
  }
  return new GuestReader(root);
}

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'joot-coreos-'));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const COREOS_ROOT = {
  'etc/coreos/update.conf': 'GROUP=stable\n',
  'etc/hostname': 'node1\n',
  'etc/lsb-release': '@../usr/share/coreos/lsb-release',
  bin: '@usr/bin',
  'root/': '',
  'home/': '',
  'usr/': '',
};

describe('Container Linux and Flatcar', () => {
  it('a CoreOS root: /etc/coreos/update.conf (or /etc/flatcar/update.conf), /root, /home, /usr', async () => {
    expect(await isCoreosRoot(await build('root-coreos', COREOS_ROOT))).toBe(true);
    const { 'etc/coreos/update.conf': _, ...rest } = COREOS_ROOT;
    expect(await isCoreosRoot(await build('root-flatcar', { ...rest, 'etc/flatcar/update.conf': 'GROUP=beta\n' }))).toBe(true);
    expect(await isCoreosRoot(await build('root-plain', rest))).toBe(false);
    const { 'home/': __, ...noHome } = COREOS_ROOT;
    expect(await isCoreosRoot(await build('root-nohome', noHome))).toBe(false);
  });

  it("libguestfs's phony CoreOS /usr (no lib/, lsb-release only) is a /usr, its version from lsb-release", async () => {
    const usr = await build('usr-lsb', {
      'bin/': '',
      'lib64/': '',
      'local/': '',
      'share/coreos/lsb-release':
        'DISTRIB_ID=CoreOS\nDISTRIB_RELEASE=647.0.0\nDISTRIB_CODENAME="Red Dog"\nDISTRIB_DESCRIPTION="CoreOS 647.0.0"\n',
    });
    expect(await classify(usr, 'ext4')).toEqual({ kind: 'usr' });
    expect(await coreosUsrVersion(usr)).toEqual([647, 0, 0]);
  });

  it('os-release VERSION_ID wins over lsb-release; a Debian /usr is no CoreOS /usr', async () => {
    const usr = await build('usr-osr', {
      'bin/': '',
      'local/': '',
      'lib/os-release': 'ID=flatcar\nVERSION_ID=3815.2.0\n',
      'share/flatcar/lsb-release': 'DISTRIB_RELEASE=1.0\n',
    });
    expect(await coreosUsrVersion(usr)).toEqual([3815, 2, 0]);
    const debian = await build('usr-debian', { 'bin/': '', 'share/': '', 'local/': '', 'lib/os-release': 'ID=debian\n' });
    expect(await coreosUsrVersion(debian)).toBeUndefined();
  });

  it('the newest /usr wins, every dotted number compared; on a tie the later one', () => {
    expect(versionNumbers('1911.3.0')).toEqual([1911, 3, 0]);
    expect(versionNumbers('garbage')).toEqual([]);
    expect(compareVersions([1911, 3, 1], [1911, 3])).toBeGreaterThan(0);
    const a = { d: 'A', version: [1911, 3, 0] };
    const b = { d: 'B', version: [1855, 4, 0] };
    expect(newestUsr([a, b])?.d).toBe('A');
    expect(
      newestUsr([
        { d: 'A', version: [1, 0] },
        { d: 'B', version: [1, 0] },
      ])?.d,
    ).toBe('B');
    expect(newestUsr([])).toBeUndefined();
  });
});

const CSUM_OLD = 'a'.repeat(64);
const CSUM_NEW = 'b'.repeat(64);
const FCOS_OSR = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora CoreOS 39.20231101.3.0"\nVARIANT_ID=coreos\n';

function deployment(csum: string, osr: string): Record<string, string> {
  const d = `ostree/deploy/fedora-coreos/deploy/${csum}.0`;
  return {
    [`${d}/usr/lib/os-release`]: osr,
    [`${d}/etc/os-release`]: '@../usr/lib/os-release',
    // an absolute link inside the deployment means the deployment's own /usr
    [`${d}/etc/system-release`]: '@/usr/lib/os-release',
    [`${d}/bin`]: '@usr/bin',
    [`${d}/usr/bin/`]: '',
  };
}

describe('ostree', () => {
  it('BLS entries: keys, ostree= argument, default first (highest version)', async () => {
    const e = parseBlsEntry(
      'x.conf',
      'title  Fedora CoreOS 39 (ostree:0)\nversion 2\noptions rw ostree=/ostree/boot.1/fedora-coreos/abc/0 quiet\n',
    );
    expect(e).toEqual({
      file: 'x.conf',
      title: 'Fedora CoreOS 39 (ostree:0)',
      version: '2',
      options: 'rw ostree=/ostree/boot.1/fedora-coreos/abc/0 quiet',
    });
    expect(ostreeArg(e.options)).toBe('/ostree/boot.1/fedora-coreos/abc/0');
    expect(ostreeArg('rw quiet')).toBeUndefined();
    const boot = await build('boot', {
      loader: '@loader.1',
      'loader.1/entries/ostree-1-fedora-coreos.conf': 'version 1\n',
      'loader.1/entries/ostree-10-fedora-coreos.conf': 'version 10\n',
      'loader.1/entries/ostree-2-fedora-coreos.conf': 'version 2\n',
      'loader.1/entries/README': 'not an entry',
    });
    expect((await readLoaderEntries(boot, '/loader/entries')).map((x) => x.version)).toEqual(['10', '2', '1']);
    expect(await readLoaderEntries(boot, '/nowhere')).toEqual([]);
  });

  it('the default entry names the deployment through the boot.N links; without entries, the only one', async () => {
    const root = await build('ostree-root', {
      ...deployment(CSUM_OLD, FCOS_OSR.replace('39', '38')),
      ...deployment(CSUM_NEW, FCOS_OSR),
      'ostree/deploy/fedora-coreos/deploy/not-a-deployment/': '',
      'ostree/boot.1': '@boot.1.1',
      'ostree/boot.1.1/fedora-coreos/x/0': `@../../../deploy/fedora-coreos/deploy/${CSUM_OLD}.0`,
      'ostree/boot.1.1/fedora-coreos/y/0': `@../../../deploy/fedora-coreos/deploy/${CSUM_NEW}.0`,
    });
    expect(await classify(root, 'xfs')).toEqual({ kind: 'ostree-root' });
    expect(await resolveGuestPath(root, '/ostree/boot.1/fedora-coreos/y/0')).toBe(`/ostree/deploy/fedora-coreos/deploy/${CSUM_NEW}.0`);
    expect(await resolveGuestPath(root, '/ostree/boot.1/fedora-coreos/z/0')).toBeUndefined();
    const warnings: string[] = [];
    const entries = [
      parseBlsEntry('ostree-2.conf', 'version 2\noptions ostree=/ostree/boot.1/fedora-coreos/x/0\n'),
      parseBlsEntry('ostree-1.conf', 'version 1\noptions ostree=/ostree/boot.1/fedora-coreos/y/0\n'),
    ];
    // the entries' order decides (here the older deployment is the default: a rollback)
    expect((await chooseDeployment(root, entries, warnings))?.path).toBe(`/ostree/deploy/fedora-coreos/deploy/${CSUM_OLD}.0`);
    // no usable entry and two deployments: the last in byte order, said
    expect((await chooseDeployment(root, [], warnings))?.path).toBe(`/ostree/deploy/fedora-coreos/deploy/${CSUM_NEW}.0`);
    expect(warnings).toEqual([expect.stringMatching(/^ostree: 2 deployments and no boot loader entry/)]);
  });

  it('a deployment read as "/": relative and absolute links stay inside it, ".." stops at its top', async () => {
    const root = await build('ostree-sub', {
      ...deployment(CSUM_NEW, FCOS_OSR),
      'usr/lib/os-release': 'ID=outside\n',
      [`ostree/deploy/fedora-coreos/deploy/${CSUM_NEW}.0/etc/up`]: '@../../../../../../../usr/lib/os-release',
      [`ostree/deploy/fedora-coreos/deploy/${CSUM_NEW}.0/etc/loop`]: '@loop',
    });
    const files = new SubtreeFiles(root, `/ostree/deploy/fedora-coreos/deploy/${CSUM_NEW}.0`);
    expect(await files.readText('/etc/os-release')).toBe(FCOS_OSR);
    expect(await files.readText('/etc/system-release')).toBe(FCOS_OSR);
    expect(await files.readText('/etc/up')).toBe(FCOS_OSR);
    expect(await files.readlink('/etc/os-release')).toBe('../usr/lib/os-release');
    expect(await files.isDir('/bin')).toBe(true);
    expect(await files.exists('/nope')).toBe(false);
    await expect(files.readText('/etc/loop')).rejects.toThrow(/too many levels of symbolic links/);
    const d = await detectLinuxDistro(files);
    expect([d.distro, d.product_name, d.major_version]).toEqual(['fedora', 'Fedora CoreOS 39.20231101.3.0', 39]);
  });
});
