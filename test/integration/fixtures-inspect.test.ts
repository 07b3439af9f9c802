// Builds the guest images for inspection (test/fixtures/README.md, "Guests for inspection", and
// sample.raw) and checks each one's contract with tools independent of joot: qemu-img, sfdisk
// --json, blkid -p, debugfs (cat/stat/dump without mounting), lvm with --driverloaded n and loop
// devices at the LVs' extents, read-only mounts for xfs and btrfs (btrfs subvolume list),
// dpkg-query --admindir, rpm --dbpath (sqlite, and bdb_ro for the Berkeley DB), db5.3_dump.
// Every loop device, mount and btrfs registration made here is undone in finally blocks (and
// again in afterAll), and the last test checks that nothing of ours is left.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_BUILD_FIXTURES, FIXTURES_DIR, INSPECTION_GUESTS, fixture, fixtures } from '../fixtures/index.js';
import { FixtureDisks, blkid, extBytes, extCat, extCopy, extLink, extLs, extStat, have, ok, run, sfdisk } from './fixture-disks.js';

const GUESTS = INSPECTION_GUESTS;

const MiB = 1024 * 1024;

// Loop devices, mounts and btrfs registrations: released by withDisk and again in afterAll.
let disks!: FixtureDisks;
let work = '';

/** e_machine of an ELF header (x86-64: 62). */
function elfMachine(b: Buffer): number {
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return b.readUInt16LE(18);
}
const HOST_MACHINE = elfMachine(readFileSync('/usr/bin/dash'));

/** dpkg's view of a status file: installed packages as "name version arch source" lines. */
async function dpkgInstalled(statusFile: string): Promise<string[]> {
  const admin = mkdtempSync(path.join(work, 'dpkg-'));
  await ok('cp', [statusFile, path.join(admin, 'status')]);
  const out = await ok('dpkg-query', [
    `--admindir=${admin}`,
    '-W',
    '-f',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
    '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n',
  ]);
  return out
    .split('\n')
    .filter((l) => l.startsWith('ii'))
    .map((l) => l.split('\t').slice(1).join('\t'))
    .sort();
}

/** rpm's view of a database directory (a copy): "name epoch:version-release arch sourcerpm". */
async function rpmQa(dbdir: string, backend: 'sqlite' | 'bdb_ro'): Promise<string[]> {
  const r = await run('rpm', [
    '--define',
    `_db_backend ${backend}`,
    '--dbpath',
    dbdir,
    '-qa',
    '--qf',
    '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{VENDOR}\\n',
  ]);
  if (r.code !== 0) throw new Error(`rpm -qa on ${dbdir} exited ${r.code}: ${r.stderr}`);
  return r.stdout.toString('utf8').trim().split('\n').sort();
}

const OS_RELEASE_DEBIAN12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"';
const TREE = path.join(FIXTURES_DIR, '.debootstrap-bookworm');

const describeRoot = CAN_BUILD_FIXTURES ? describe : describe.skip;

describeRoot('guest fixtures for inspection', () => {
  const p = (name: string): string => path.join(FIXTURES_DIR, name);
  let treePackages: string[] = [];
  let debianVersion = '';

  beforeAll(async () => {
    disks = new FixtureDisks('joot-fixtures-inspect-');
    work = disks.work;
    const t0 = Date.now();
    await fixtures(...GUESTS);
    console.log(`inspection fixtures ready in ${Date.now() - t0} ms (near 0 when already cached)`);
    treePackages = readFileSync(path.join(TREE, 'packages.tsv'), 'utf8').trim().split('\n').sort();
    debianVersion = readFileSync(path.join(TREE, 'debian_version'), 'utf8');
  });

  afterAll(async () => {
    await disks?.close();
  });

  it('the Debian tree: packages.tsv lists what dpkg says is installed in it', async () => {
    expect(debianVersion).toMatch(/^12\.\d+\n$/);
    expect(treePackages.length).toBeGreaterThan(80);
    expect(await dpkgInstalled(path.join(TREE, 'root/var/lib/dpkg/status'))).toEqual(treePackages);
    const byName = new Map(treePackages.map((l) => [l.split('\t')[0], l]));
    expect(byName.get('coreutils')).toBe('coreutils\t9.1-1\tamd64\tcoreutils\t9.1-1');
    expect(byName.get('dash')).toBe('dash\t0.5.12-2\tamd64\tdash\t0.5.12-2');
    expect(byName.get('libgmp10')).toBe('libgmp10\t2:6.2.1+dfsg1-1.1\tamd64\tgmp\t2:6.2.1+dfsg1-1.1');
    expect(byName.get('zlib1g')).toBe('zlib1g\t1:1.2.13.dfsg-1\tamd64\tzlib\t1:1.2.13.dfsg-1');
    expect(byName.get('diffutils')).toMatch(/^diffutils\t1:3\.8-4\t/);
    expect(byName.get('base-files')).toMatch(/^base-files\t12\.4\+deb12u\d+\tamd64\t/);
    expect(byName.get('libc6')).toMatch(/^libc6\t2\.36-9\+deb12u\d+\tamd64\tglibc\t/);
    expect(byName.get('bash')).toMatch(/^bash\t5\.2\.15-2\+b\d+\tamd64\tbash\t5\.2\.15-2$/);
    for (const n of ['dpkg', 'apt']) expect(byName.has(n)).toBe(true);
    expect(readFileSync(path.join(TREE, 'root/etc/hostname'), 'utf8')).toBe('debian\n');
    expect(existsSync(path.join(TREE, 'root/etc/resolv.conf'))).toBe(false);
    expect(readdirSync(path.join(TREE, 'root/var/cache/apt/archives')).filter((f) => f.endsWith('.deb'))).toEqual([]);
  });

  it('sample.raw: 15 installed packages (+1 removed), a real ELF /bin/sh', async () => {
    const file = p('sample.raw');
    expect(statSync(file).size).toBe(8 * MiB);
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p2`;
      expect(await extCat(r, '/etc/os-release')).toContain(OS_RELEASE_DEBIAN12);
      expect(await extCat(r, '/etc/debian_version')).toBe('12.5\n');
      expect(await extCat(r, '/etc/hostname')).toBe('sample\n');
      expect(await extCat(r, '/etc/fstab')).toContain('LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\n');
      const installed = await dpkgInstalled(await extCopy(r, '/var/lib/dpkg/status', work));
      expect(installed.map((l) => l.split('\t')[0])).toEqual([
        'apt',
        'base-files',
        'bash',
        'coreutils',
        'dash',
        'debianutils',
        'dpkg',
        'libc6',
        'libcap2',
        'libgcc-s1',
        'libtinfo6',
        'perl-base',
        'tzdata',
        'util-linux',
        'zlib1g',
      ]);
      expect(installed).toContain('bash\t5.2.15-2+b2\tamd64\tbash\t5.2.15-2');
      expect(installed).toContain('libc6\t2.36-9+deb12u7\tamd64\tglibc\t2.36-9+deb12u7');
      expect(installed).toContain('zlib1g\t1:1.2.13.dfsg-1\tamd64\tzlib\t1:1.2.13.dfsg-1');
      expect(installed).toContain('util-linux\t2.38.1-5+b1\tamd64\tutil-linux\t2.38.1-5');
      expect(installed).toContain('tzdata\t2024a-0+deb12u1\tall\ttzdata\t2024a-0+deb12u1');
      const status = await extCat(r, '/var/lib/dpkg/status');
      expect(status).toContain('Package: nano\nStatus: deinstall ok config-files\n');
      expect(await extLink(r, '/bin')).toBe('usr/bin');
      expect(await extLink(r, '/usr/bin/sh')).toBe('dash');
      expect(elfMachine(await extBytes(r, '/usr/bin/dash'))).toBe(HOST_MACHINE);
      expect(elfMachine(await extBytes(r, '/usr/bin/echo'))).toBe(HOST_MACHINE);
    });
  });

  it('debian-gpt.qcow2: GPT ext4 /boot, ext4 /, xfs /home, swap; fstab by UUID, LABEL, PARTUUID', async () => {
    const file = p('debian-gpt.qcow2');
    const info = JSON.parse(await ok('qemu-img', ['info', '-U', '--output=json', file])) as Record<string, unknown>;
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(1024 * MiB);
    expect(info['backing-filename']).toBeUndefined();
    expect(existsSync(p('debian-gpt.raw'))).toBe(false);
    const raw = path.join(work, 'debian-gpt.raw');
    await ok('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', file, raw]);
    try {
      const t = await sfdisk(raw);
      expect(t.label).toBe('gpt');
      expect(t.id).toBe('DEB16000-0000-4000-8000-00000000D15C');
      expect(t.partitions.map((x) => [x.name, x.size / 2048, x.type, x.uuid])).toEqual([
        ['boot', 64, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'DEB16AAA-0000-4000-8000-000000000001'],
        ['root', 448, '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709', 'DEB16AAA-0000-4000-8000-000000000002'],
        ['home', 320, '933AC7E1-2EB4-4F13-B844-0E14E2AEF915', 'DEB16AAA-0000-4000-8000-000000000003'],
        ['swap', 64, '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', 'DEB16AAA-0000-4000-8000-000000000004'],
      ]);
      await disks.withDisk(raw, async (dev) => {
        expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'debboot', UUID: 'deb16000-0000-4000-8000-000000000001' });
        expect(await blkid(`${dev}p2`)).toMatchObject({ TYPE: 'ext4', LABEL: 'debroot', UUID: 'deb16000-0000-4000-8000-000000000002' });
        expect(await blkid(`${dev}p3`)).toMatchObject({
          TYPE: 'xfs',
          LABEL: 'debhome',
          UUID: 'deb16000-0000-4000-8000-000000000003',
          PART_ENTRY_UUID: 'deb16aaa-0000-4000-8000-000000000003',
        });
        expect(await blkid(`${dev}p4`)).toMatchObject({ TYPE: 'swap', LABEL: 'debswap', UUID: 'deb16000-0000-4000-8000-000000000004' });
        const r = `${dev}p2`;
        expect(await extCat(r, '/etc/hostname')).toBe('debian-gpt\n');
        const fstab = (await extCat(r, '/etc/fstab'))
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split(/\s+/));
        expect(fstab).toEqual([
          ['UUID=deb16000-0000-4000-8000-000000000002', '/', 'ext4', 'errors=remount-ro', '0', '1'],
          ['LABEL=debboot', '/boot', 'ext4', 'defaults', '0', '2'],
          ['PARTUUID=deb16aaa-0000-4000-8000-000000000003', '/home', 'xfs', 'defaults', '0', '2'],
          ['UUID=deb16000-0000-4000-8000-000000000004', 'none', 'swap', 'sw', '0', '0'],
          ['tmpfs', '/tmp', 'tmpfs', 'defaults,nosuid,nodev,size=512M', '0', '0'],
          ['proc', '/proc', 'proc', 'defaults', '0', '0'],
        ]);
        expect(await extLink(r, '/etc/os-release')).toBe('../usr/lib/os-release');
        expect(await extCat(r, '/usr/lib/os-release')).toContain(OS_RELEASE_DEBIAN12);
        expect(await extCat(r, '/etc/debian_version')).toBe(debianVersion);
        expect(await dpkgInstalled(await extCopy(r, '/var/lib/dpkg/status', work))).toEqual(treePackages);
        expect(elfMachine(await extBytes(r, '/usr/bin/ls'))).toBe(HOST_MACHINE);
        expect(await extLs(r, '/boot')).toEqual([]);
        expect(await extLs(r, '/home')).toEqual([]);
        expect(await extLs(`${dev}p1`, '/')).toEqual([
          'System.map-6.1.0-13-amd64',
          'config-6.1.0-13-amd64',
          'grub',
          'initrd.img-6.1.0-13-amd64',
          'lost+found',
          'vmlinuz-6.1.0-13-amd64',
        ]);
        expect(await extCat(`${dev}p1`, '/grub/grub.cfg')).toContain(
          'linux\t/vmlinuz-6.1.0-13-amd64 root=UUID=deb16000-0000-4000-8000-000000000002 ro',
        );
        const home = await disks.mountRo(`${dev}p3`, 'xfs', 'ro,norecovery');
        expect(readFileSync(path.join(home, 'user/notes.txt'), 'utf8')).toBe('notes on the xfs /home\n');
        expect(statSync(path.join(home, 'user')).uid).toBe(1000);
        expect(existsSync(path.join(home, 'user/.profile'))).toBe(true);
      });
    } finally {
      rmSync(raw, { force: true });
    }
  });

  it('debian-lvm.raw: VG vgdeb; /var and /var/log on their own LVs (dpkg status only on var)', async () => {
    const file = p('debian-lvm.raw');
    expect(statSync(file).size).toBe(512 * MiB);
    const t = await sfdisk(file);
    expect([t.label, t.id]).toEqual(['dos', '0xdeb1a000']);
    expect(t.partitions.map((x) => [x.type, x.bootable ?? false])).toEqual([
      ['83', true],
      ['8e', false],
    ]);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: 64 * 2048 });
    await disks.withDisk(file, async (dev) => {
      expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'debboot', UUID: 'deb1a000-0000-4000-8000-000000000001' });
      expect(await extCat(`${dev}p1`, '/grub/grub.cfg')).toContain('root=/dev/mapper/vgdeb-root ro');
      const pv = `${dev}p2`;
      expect(await blkid(pv)).toMatchObject({ TYPE: 'LVM2_member' });
      const lvmArgs = [
        '--driverloaded',
        'n',
        '--devices',
        pv,
        '--readonly',
        '--config',
        'devices{hints="none" use_devicesfile=0}',
        '--reportformat',
        'json',
        '--units',
        'b',
        '--nosuffix',
      ];
      const env = { LVM_SUPPRESS_FD_WARNINGS: '1' };
      type Report = { report: Record<string, Record<string, string>[]>[] };
      const pvRep = JSON.parse(await ok('pvs', [...lvmArgs, '-o', 'pv_name,pe_start,vg_name,pv_uuid'], env)) as Report;
      const pvRow = pvRep.report[0]?.pv?.[0] ?? {};
      expect(pvRow).toMatchObject({ vg_name: 'vgdeb', pv_uuid: 'deb1a0-0000-0000-0000-0000-0000-000002' });
      const peStart = Number(pvRow.pe_start);
      const segRep = JSON.parse(
        await ok('lvs', [...lvmArgs, '--segments', '-o', 'lv_name,lv_size,segtype,seg_pe_ranges,vg_extent_size', 'vgdeb'], env),
      ) as Report;
      const segs = segRep.report[0]?.seg ?? [];
      expect(segs.map((s) => [s.lv_name, Number(s.lv_size) / MiB, s.segtype]).sort()).toEqual([
        ['root', 256, 'linear'],
        ['swap_1', 32, 'linear'],
        ['var', 64, 'linear'],
        ['var-log', 16, 'linear'],
      ]);
      const lvDev = async (lv: string): Promise<string> => {
        const s = segs.find((x) => x.lv_name === lv);
        const m = /^(.+):(\d+)-(\d+)$/.exec(s?.seg_pe_ranges ?? '');
        if (!m) throw new Error(`no extents for ${lv}`);
        const extent = Number(s?.vg_extent_size);
        return disks.attach(pv, { offset: peStart + Number(m[2]) * extent, size: (Number(m[3]) - Number(m[2]) + 1) * extent });
      };
      const root = await lvDev('root');
      const varLv = await lvDev('var');
      const log = await lvDev('var-log');
      const swap = await lvDev('swap_1');
      expect(await blkid(root)).toMatchObject({ TYPE: 'ext4', LABEL: 'root', UUID: 'deb1a000-0000-4000-8000-0000000000a1' });
      expect(await blkid(varLv)).toMatchObject({ TYPE: 'ext4', LABEL: 'var', UUID: 'deb1a000-0000-4000-8000-0000000000a2' });
      expect(await blkid(log)).toMatchObject({ TYPE: 'ext4', LABEL: 'varlog', UUID: 'deb1a000-0000-4000-8000-0000000000a3' });
      expect(await blkid(swap)).toMatchObject({ TYPE: 'swap', LABEL: 'swap_1', UUID: 'deb1a000-0000-4000-8000-0000000000a4' });
      expect(await extCat(root, '/etc/hostname')).toBe('debian-lvm\n');
      const fstab = (await extCat(root, '/etc/fstab'))
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/\s+/).slice(0, 3));
      expect(fstab).toEqual([
        ['/dev/mapper/vgdeb-root', '/', 'ext4'],
        ['UUID=deb1a000-0000-4000-8000-000000000001', '/boot', 'ext4'],
        ['/dev/vgdeb/var', '/var', 'ext4'],
        ['/dev/mapper/vgdeb-var--log', '/var/log', 'ext4'],
        ['/dev/mapper/vgdeb-swap_1', 'none', 'swap'],
      ]);
      expect(await extCat(root, '/usr/lib/os-release')).toContain(OS_RELEASE_DEBIAN12);
      expect(await extLs(root, '/var')).toEqual([]);
      expect(await extStat(varLv, '/lib/dpkg/status')).toMatchObject({ type: 'regular' });
      expect(await dpkgInstalled(await extCopy(varLv, '/lib/dpkg/status', work))).toEqual(treePackages);
      expect(await extLs(varLv, '/log')).toEqual([]);
      expect(await extLs(log, '/')).toEqual(expect.arrayContaining(['dpkg.log', 'apt', 'lost+found']));
    });
  });

  it('debian-lvm-clone.raw: debian-lvm.raw with new PV and VG uuids, VG still vgdeb; root relabelled, own hostname', async () => {
    const [orig, file] = await Promise.all([fixture('debian-lvm.raw'), fixture('debian-lvm-clone.raw')]);
    const vgOf = async (image: string) =>
      disks.withDisk(image, async (dev) => {
        const pv = `${dev}p2`;
        const args = ['--driverloaded', 'n', '--devices', pv, '--readonly', '--config', 'devices{hints="none" use_devicesfile=0}'];
        const env = { LVM_SUPPRESS_FD_WARNINGS: '1' };
        const row = (await ok('pvs', [...args, '--noheadings', '--separator', '|', '-o', 'pv_uuid,vg_name,vg_uuid'], env))
          .trim()
          .split('|');
        const segs = (
          await ok(
            'lvs',
            [
              ...args,
              '--noheadings',
              '--separator',
              '|',
              '--units',
              'b',
              '--nosuffix',
              '--segments',
              '-o',
              'lv_name,seg_pe_ranges,vg_extent_size',
              'vgdeb',
            ],
            env,
          )
        )
          .trim()
          .split('\n')
          .map((l) => l.trim().split('|'));
        const peStart = Number((await ok('pvs', [...args, '--noheadings', '--units', 'b', '--nosuffix', '-o', 'pe_start'], env)).trim());
        const rootSeg = segs.find((x) => x[0] === 'root')!;
        const m = /:(\d+)-(\d+)$/.exec(rootSeg[1]!)!;
        const extent = Number(rootSeg[2]);
        const root = await disks.attach(pv, { offset: peStart + Number(m[1]) * extent, size: (Number(m[2]) - Number(m[1]) + 1) * extent });
        return {
          pvUuid: row[0],
          vg: row[1],
          vgUuid: row[2],
          lvs: segs.map((x) => x[0]).sort(),
          root: await blkid(root),
          hostname: await extCat(root, '/etc/hostname'),
        };
      });
    const a = await vgOf(orig);
    const b = await vgOf(file);
    expect(b.vg).toBe('vgdeb');
    expect(b.lvs).toEqual(a.lvs);
    expect(b.pvUuid).not.toBe(a.pvUuid);
    expect(b.vgUuid).not.toBe(a.vgUuid);
    expect(b.root).toMatchObject({ TYPE: 'ext4', LABEL: 'rootclone', UUID: 'deb1a000-0000-4000-8000-0000000000a1' });
    expect(b.hostname).toBe('debian-lvm-clone\n');
    expect(a.hostname).toBe('debian-lvm\n');
  });

  it('debian-btrfs.raw: subvolumes @ and @home, default subvolume the top level', async () => {
    const file = p('debian-btrfs.raw');
    expect(statSync(file).size).toBe(640 * MiB);
    const t = await sfdisk(file);
    expect([t.label, t.id, t.partitions.length]).toEqual(['gpt', 'DEB1B000-0000-4000-8000-00000000D15C', 1]);
    expect(t.partitions[0]).toMatchObject({ start: 2048, name: 'system', uuid: 'DEB1BAAA-0000-4000-8000-000000000001' });
    await disks.withDisk(file, async (dev) => {
      expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'btrfs', LABEL: 'debbtrfs', UUID: 'deb1b000-0000-4000-8000-000000000001' });
      const m = await disks.mountRo(`${dev}p1`, 'btrfs', 'ro');
      const subvols = (await ok('btrfs', ['subvolume', 'list', m]))
        .trim()
        .split('\n')
        .map((l) => l.replace(/.* path /, ''));
      expect(subvols).toEqual(['@', '@home']);
      expect(await ok('btrfs', ['subvolume', 'get-default', m])).toMatch(/^ID 5 /);
      expect(readFileSync(path.join(m, '@/etc/hostname'), 'utf8')).toBe('debian-btrfs\n');
      const fstab = readFileSync(path.join(m, '@/etc/fstab'), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/\s+/));
      expect(fstab).toEqual([
        ['UUID=deb1b000-0000-4000-8000-000000000001', '/', 'btrfs', 'subvol=@', '0', '0'],
        ['UUID=deb1b000-0000-4000-8000-000000000001', '/home', 'btrfs', 'subvol=@home', '0', '0'],
      ]);
      expect(readFileSync(path.join(m, '@/usr/lib/os-release'), 'utf8')).toContain(OS_RELEASE_DEBIAN12);
      expect(await dpkgInstalled(path.join(m, '@/var/lib/dpkg/status'))).toEqual(treePackages);
      expect(readdirSync(path.join(m, '@/home'))).toEqual([]);
      expect(readFileSync(path.join(m, '@home/user/notes.txt'), 'utf8')).toBe('notes on the @home subvolume\n');
      expect(readdirSync(m).sort()).toEqual(['@', '@home']);
    });
  });

  it('debian-usr.raw: /usr on its own partition; /etc/os-release dangles without it', async () => {
    const file = p('debian-usr.raw');
    const t = await sfdisk(file);
    expect([t.label, t.id]).toEqual(['gpt', 'DEB1F000-0000-4000-8000-00000000D15C']);
    expect(t.partitions.map((x) => [x.name, x.type])).toEqual([
      ['root', '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709'],
      ['usr', '8484680C-9521-48C6-9C11-B0720656F69E'],
    ]);
    expect(t.partitions[0]?.size).toBe(64 * 2048);
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      const u = `${dev}p2`;
      expect(await blkid(r)).toMatchObject({ TYPE: 'ext4', LABEL: 'root', UUID: 'deb1f000-0000-4000-8000-000000000001' });
      expect(await blkid(u)).toMatchObject({ TYPE: 'ext4', LABEL: 'usr', UUID: 'deb1f000-0000-4000-8000-000000000002' });
      expect(await extCat(r, '/etc/hostname')).toBe('debian-usr\n');
      const fstab = (await extCat(r, '/etc/fstab'))
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/\s+/).slice(0, 3));
      expect(fstab).toEqual([
        ['UUID=deb1f000-0000-4000-8000-000000000001', '/', 'ext4'],
        ['UUID=deb1f000-0000-4000-8000-000000000002', '/usr', 'ext4'],
      ]);
      expect(await extLink(r, '/etc/os-release')).toBe('../usr/lib/os-release');
      expect(await extLs(r, '/usr')).toEqual([]);
      expect(await extStat(r, '/usr/lib/os-release')).toBeUndefined();
      expect(await extLink(r, '/bin')).toBe('usr/bin');
      expect(await extCat(r, '/etc/debian_version')).toBe(debianVersion);
      expect(await dpkgInstalled(await extCopy(r, '/var/lib/dpkg/status', work))).toEqual(treePackages);
      expect(await extCat(u, '/lib/os-release')).toContain(OS_RELEASE_DEBIAN12);
      expect(elfMachine(await extBytes(u, '/bin/dash'))).toBe(HOST_MACHINE);
    });
  });

  it('ubuntu.raw: lsb-release only, 5 installed packages', async () => {
    const file = p('ubuntu.raw');
    expect(statSync(file).size).toBe(32 * MiB);
    expect((await sfdisk(file)).id).toBe('0xa0220400');
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      expect(await blkid(r)).toMatchObject({ TYPE: 'ext4', LABEL: 'cloudimg-rootfs', UUID: 'a0220400-0000-4000-8000-000000000001' });
      expect(await extStat(r, '/etc/os-release')).toBeUndefined();
      expect(await extStat(r, '/usr/lib/os-release')).toBeUndefined();
      expect(await extCat(r, '/etc/lsb-release')).toBe(
        'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n',
      );
      expect(await extCat(r, '/etc/debian_version')).toBe('bookworm/sid\n');
      expect(await extCat(r, '/etc/hostname')).toBe('ubuntu-jammy\n');
      expect(await extCat(r, '/etc/fstab')).toMatch(/^LABEL=cloudimg-rootfs\t\/\t/);
      expect(await dpkgInstalled(await extCopy(r, '/var/lib/dpkg/status', work))).toEqual([
        'base-files\t12ubuntu4.4\tamd64\tbase-files\t12ubuntu4.4',
        'bash\t5.1-6ubuntu1\tamd64\tbash\t5.1-6ubuntu1',
        'libc6\t2.35-0ubuntu3.5\tamd64\tglibc\t2.35-0ubuntu3.5',
        'libcap2\t1:2.44-1ubuntu0.22.04.1\tamd64\tlibcap2\t1:2.44-1ubuntu0.22.04.1',
        'ubuntu-keyring\t2021.03.26\tall\tubuntu-keyring\t2021.03.26',
      ]);
      expect(await extCat(r, '/var/lib/dpkg/status')).toContain('Package: vim-tiny\nStatus: deinstall ok config-files\n');
      expect(elfMachine(await extBytes(r, '/usr/bin/dash'))).toBe(HOST_MACHINE);
    });
  });

  const FEDORA_RPMS = [
    'bash 0:5.2.26-1.fc39 x86_64 bash-5.2.26-1.fc39.src.rpm Fedora Project',
    'dnf 0:4.18.2-1.fc39 noarch dnf-4.18.2-1.fc39.src.rpm Fedora Project',
    'fedora-release-common 0:39-36 noarch fedora-release-39-36.src.rpm Fedora Project',
    'kernel-core 0:6.5.6-300.fc39 x86_64 kernel-6.5.6-300.fc39.src.rpm Fedora Project',
    'openssl-libs 1:3.1.1-4.fc39 x86_64 openssl-3.1.1-4.fc39.src.rpm Fedora Project',
  ];
  async function checkFedora(r: string, hostname: string, rootUuid: string): Promise<void> {
    expect(await extLink(r, '/etc/os-release')).toBe('../usr/lib/os-release');
    const osr = await extCat(r, '/usr/lib/os-release');
    expect(osr).toContain('\nID=fedora\n');
    expect(osr).toContain('\nVERSION_ID=39\n');
    expect(osr).toContain('PRETTY_NAME="Fedora Linux 39 (Thirty Nine)"');
    expect(await extCat(r, '/etc/fedora-release')).toBe('Fedora release 39 (Thirty Nine)\n');
    expect(await extLink(r, '/etc/redhat-release')).toBe('fedora-release');
    expect(await extCat(r, '/etc/hostname')).toBe(`${hostname}\n`);
    expect(await extCat(r, '/etc/fstab')).toMatch(new RegExp(`^UUID=${rootUuid} +/ +ext4`));
    expect(await extStat(r, '/usr/bin/dnf')).toMatchObject({ type: 'regular' });
    expect(elfMachine(await extBytes(r, '/usr/bin/bash'))).toBe(HOST_MACHINE);
    expect(await extLink(r, '/var/lib/rpm')).toBe('../../usr/lib/sysimage/rpm');
    expect(await extLs(r, '/usr/lib/sysimage/rpm')).toEqual(['.rpm.lock', 'rpmdb.sqlite']);
    const db = await extCopy(r, '/usr/lib/sysimage/rpm', work);
    const sq = path.join(db, 'rpmdb.sqlite');
    expect((await ok('sqlite3', ['-readonly', sq, 'pragma journal_mode'])).trim()).toBe('wal');
    expect((await ok('sqlite3', ['-readonly', sq, 'select count(*) from Packages'])).trim()).toBe('5');
    if (have('rpm')) expect(await rpmQa(db, 'sqlite')).toEqual(FEDORA_RPMS);
  }

  it('fedora.raw: Fedora 39, sqlite rpmdb under /usr/lib/sysimage/rpm', async () => {
    const file = p('fedora.raw');
    expect((await sfdisk(file)).id).toBe('0xa0390000');
    await disks.withDisk(file, async (dev) => {
      expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'fedora', UUID: 'a0390000-0000-4000-8000-000000000001' });
      await checkFedora(`${dev}p1`, 'fedora-39', 'a0390000-0000-4000-8000-000000000001');
      if (have('rpm')) {
        const db = await extCopy(`${dev}p1`, '/usr/lib/sysimage/rpm', work);
        const info = await ok('rpm', ['--dbpath', db, '-qi', 'bash']);
        expect(info).toMatch(/^Summary +: The GNU Bourne Again shell$/m);
        expect(info).toMatch(/^URL +: https:\/\/www\.gnu\.org\/software\/bash$/m);
        expect(info).toContain('interpreter that is compatible with the Bourne shell (sh). Bash\n');
      }
    });
  });

  it('rhel.raw: RHEL 9.3 on xfs, sqlite rpmdb in /var/lib/rpm', async () => {
    const file = p('rhel.raw');
    expect(statSync(file).size).toBe(320 * MiB);
    expect((await sfdisk(file)).id).toBe('0xa0090300');
    await disks.withDisk(file, async (dev) => {
      expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'xfs', LABEL: 'rhelroot', UUID: 'a0090300-0000-4000-8000-000000000001' });
      const m = await disks.mountRo(`${dev}p1`, 'xfs', 'ro,norecovery');
      const osr = readFileSync(path.join(m, 'usr/lib/os-release'), 'utf8');
      expect(osr).toContain('ID="rhel"\n');
      expect(osr).toContain('VERSION_ID="9.3"\n');
      expect(osr).toContain('PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n');
      expect(readFileSync(path.join(m, 'etc/redhat-release'), 'utf8')).toBe('Red Hat Enterprise Linux release 9.3 (Plow)\n');
      expect(readFileSync(path.join(m, 'etc/hostname'), 'utf8')).toBe('rhel9.example.com\n');
      expect(readFileSync(path.join(m, 'etc/fstab'), 'utf8')).toMatch(
        /^UUID=a0090300-0000-4000-8000-000000000001 +\/ +xfs +defaults +0 0$/m,
      );
      expect(elfMachine(readFileSync(path.join(m, 'usr/bin/bash')))).toBe(HOST_MACHINE);
      expect(statSync(path.join(m, 'var/lib/rpm')).isDirectory()).toBe(true);
      if (have('rpm')) {
        const db = mkdtempSync(path.join(work, 'rpm-'));
        await ok('cp', ['-a', `${path.join(m, 'var/lib/rpm')}/.`, db]);
        expect(await rpmQa(db, 'sqlite')).toEqual([
          'bash 0:5.1.8-6.el9_1 x86_64 bash-5.1.8-6.el9_1.src.rpm Red Hat, Inc.',
          'dnf 0:4.14.0-8.el9 noarch dnf-4.14.0-8.el9.src.rpm Red Hat, Inc.',
          'glibc 0:2.34-83.el9_3.7 x86_64 glibc-2.34-83.el9_3.7.src.rpm Red Hat, Inc.',
          'kernel-core 0:5.14.0-362.8.1.el9_3 x86_64 kernel-5.14.0-362.8.1.el9_3.src.rpm Red Hat, Inc.',
          'openssl-libs 1:3.0.7-24.el9 x86_64 openssl-3.0.7-24.el9.src.rpm Red Hat, Inc.',
          'redhat-release 0:9.3-0.5.el9 x86_64 redhat-release-9.3-0.5.el9.src.rpm Red Hat, Inc.',
        ]);
      }
    });
  });

  it('rhel7.raw: RHEL 7.9, Berkeley DB Packages + Name, hostname in sysconfig/network', async () => {
    const file = p('rhel7.raw');
    expect((await sfdisk(file)).id).toBe('0xa0070900');
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      expect(await blkid(r)).toMatchObject({ TYPE: 'ext4', LABEL: 'rhel7root', UUID: 'a0070900-0000-4000-8000-000000000001' });
      expect(await extCat(r, '/usr/lib/os-release')).toContain('PRETTY_NAME="Red Hat Enterprise Linux Server 7.9 (Maipo)"\n');
      expect(await extCat(r, '/etc/redhat-release')).toBe('Red Hat Enterprise Linux Server release 7.9 (Maipo)\n');
      expect(await extStat(r, '/etc/hostname')).toBeUndefined();
      expect(await extCat(r, '/etc/sysconfig/network')).toBe('# Created by anaconda\nNETWORKING=yes\nHOSTNAME=rhel7.example.com\n');
      expect(await extCat(r, '/etc/fstab')).toMatch(/^LABEL=rhel7root +\/ +ext4 +defaults +1 1$/m);
      expect(await extLs(r, '/var/lib/rpm')).toEqual(['Name', 'Packages']);
      const db = await extCopy(r, '/var/lib/rpm', work);
      const pk = readFileSync(path.join(db, 'Packages'));
      expect(pk.readUInt32LE(12)).toBe(0x061561); // hash magic at offset 12, native (little-endian)
      if (have('db5.3_dump')) {
        const dump = (await ok('db5.3_dump', [path.join(db, 'Packages')])).split('\n');
        expect(dump).toContain('type=hash');
        const body = dump.slice(dump.indexOf('HEADER=END') + 1, dump.indexOf('DATA=END'));
        const keys = body
          .filter((_, i) => i % 2 === 0)
          .map((k) => k.trim())
          .sort();
        expect(keys).toEqual(['00000000', '01000000', '02000000', '03000000', '04000000', '05000000', '06000000', '07000000']);
        const zero = body.indexOf(' 00000000');
        expect(body[zero + 1]?.trim()).toBe('07000000');
        const name = (await ok('db5.3_dump', ['-p', path.join(db, 'Name')])).split('\n');
        expect(name).toContain('type=btree');
        expect(name[name.indexOf(' kernel') + 1]).toBe(' \\05\\00\\00\\00\\00\\00\\00\\00\\06\\00\\00\\00\\00\\00\\00\\00');
      }
      if (have('rpm')) {
        expect(await rpmQa(db, 'bdb_ro')).toEqual([
          'bash 0:4.2.46-34.el7 x86_64 bash-4.2.46-34.el7.src.rpm Red Hat, Inc.',
          'glibc 0:2.17-317.el7 x86_64 glibc-2.17-317.el7.src.rpm Red Hat, Inc.',
          'kernel 0:3.10.0-1160.105.1.el7 x86_64 kernel-3.10.0-1160.105.1.el7.src.rpm Red Hat, Inc.',
          'kernel 0:3.10.0-1160.el7 x86_64 kernel-3.10.0-1160.el7.src.rpm Red Hat, Inc.',
          'openssl-libs 1:1.0.2k-19.el7 x86_64 openssl-1.0.2k-19.el7.src.rpm Red Hat, Inc.',
          'redhat-release-server 0:7.9-6.el7 x86_64 redhat-release-server-7.9-6.el7.src.rpm Red Hat, Inc.',
          'yum 0:3.4.3-168.el7 noarch yum-3.4.3-168.el7.src.rpm Red Hat, Inc.',
        ]);
      }
    });
  });

  it('arch.raw: os-release without VERSION_ID, pacman local db with an epoch', async () => {
    const file = p('arch.raw');
    expect((await sfdisk(file)).id).toBe('0xa0a40000');
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      expect(await blkid(r)).toMatchObject({ TYPE: 'ext4', LABEL: 'archroot' });
      const osr = await extCat(r, '/usr/lib/os-release');
      expect(osr).toContain('\nID=arch\n');
      expect(osr).not.toContain('VERSION_ID');
      expect(await extLink(r, '/etc/os-release')).toBe('../usr/lib/os-release');
      expect(await extCat(r, '/etc/hostname')).toBe('archlinux\n');
      const local = '/var/lib/pacman/local';
      expect(await extCat(r, `${local}/ALPM_DB_VERSION`)).toBe('9\n');
      expect(await extLs(r, local)).toEqual([
        'ALPM_DB_VERSION',
        'bash-5.2.026-2',
        'filesystem-2023.09.18-1',
        'linux-6.7.4.arch1-1',
        'pacman-6.0.2-9',
        'zlib-1:1.3.1-1',
      ]);
      const desc = await extCat(r, `${local}/zlib-1:1.3.1-1/desc`);
      expect(desc).toMatch(/^%NAME%\nzlib\n\n%VERSION%\n1:1\.3\.1-1\n\n/);
      const bash = await extCat(r, `${local}/bash-5.2.026-2/desc`);
      expect(bash).toContain(
        '%DESC%\nThe GNU Bourne Again shell\n\n%URL%\nhttps://www.gnu.org/software/bash/bash.html\n\n%ARCH%\nx86_64\n',
      );
      expect(await extCat(r, `${local}/filesystem-2023.09.18-1/desc`)).toContain('%ARCH%\nany\n');
      expect(elfMachine(await extBytes(r, '/usr/bin/bash'))).toBe(HOST_MACHINE);
    });
  });

  it('alpine.raw: alpine-release, apk installed db, /bin/busybox ELF', async () => {
    const file = p('alpine.raw');
    expect(statSync(file).size).toBe(16 * MiB);
    expect((await sfdisk(file)).id).toBe('0xa0031900');
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      expect(await blkid(r)).toMatchObject({ TYPE: 'ext4', LABEL: 'alpineroot' });
      expect(await extCat(r, '/etc/os-release')).toContain('ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n');
      expect(await extCat(r, '/etc/alpine-release')).toBe('3.19.1\n');
      expect(await extCat(r, '/etc/hostname')).toBe('alpine\n');
      expect(await extLink(r, '/bin/sh')).toBe('/bin/busybox');
      expect(await extStat(r, '/bin')).toMatchObject({ type: 'directory' });
      expect(elfMachine(await extBytes(r, '/bin/busybox'))).toBe(HOST_MACHINE);
      const db = await extCat(r, '/lib/apk/db/installed');
      const pkgs = db
        .trim()
        .split('\n\n')
        .map((s) => {
          const f = (k: string) => new RegExp(`^${k}:(.*)$`, 'm').exec(s)?.[1];
          return `${f('P')} ${f('V')} ${f('A')} ${f('o')}`;
        });
      expect(pkgs).toEqual([
        'musl 1.2.4_git20230717-r4 x86_64 musl',
        'busybox 1.36.1-r15 x86_64 busybox',
        'alpine-baselayout 3.4.3-r2 x86_64 alpine-baselayout',
        'apk-tools 2.14.0-r5 x86_64 apk-tools',
        'alpine-release 3.19.1-r0 x86_64 alpine-base',
      ]);
      expect(db).toContain('m:Timo Teräs <timo.teras@iki.fi>');
    });
  });

  it('neon.raw: ID=neon, ID_LIKE ubuntu debian, dpkg status with epoch-4 KDE packages', async () => {
    const file = p('neon.raw');
    expect((await sfdisk(file)).id).toBe('0xa0052700');
    await disks.withDisk(file, async (dev) => {
      const r = `${dev}p1`;
      const osr = await extCat(r, '/usr/lib/os-release');
      for (const l of ['PRETTY_NAME="KDE neon 5.27"', 'VERSION_ID="22.04"', 'ID=neon', 'ID_LIKE="ubuntu debian"'])
        expect(osr.split('\n')).toContain(l);
      expect(await extLink(r, '/etc/os-release')).toBe('../usr/lib/os-release');
      expect(await extCat(r, '/etc/hostname')).toBe('neon\n');
      const installed = await dpkgInstalled(await extCopy(r, '/var/lib/dpkg/status', work));
      expect(installed.map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
        'base-files 12ubuntu4.6',
        'kwin-x11 4:5.27.11-0xneon+22.04+jammy+release+build69',
        'libc6 2.35-0ubuntu3.6',
        'neon-settings-2 0.0+p22.04+vrelease+git20240205.1144',
        'plasma-desktop 4:5.27.11-0xneon+22.04+jammy+release+build64',
      ]);
    });
  });

  it('multiboot.raw: a Debian root and a Fedora root', async () => {
    const file = p('multiboot.raw');
    const t = await sfdisk(file);
    expect(t.id).toBe('0xa00b0000');
    expect(t.partitions.map((x) => [x.type, x.bootable ?? false])).toEqual([
      ['83', true],
      ['83', false],
    ]);
    await disks.withDisk(file, async (dev) => {
      const d = `${dev}p1`;
      expect(await blkid(d)).toMatchObject({ TYPE: 'ext4', LABEL: 'debian', UUID: 'a00b0000-0000-4000-8000-000000000001' });
      expect(await extCat(d, '/usr/lib/os-release')).toContain(OS_RELEASE_DEBIAN12);
      expect(await extCat(d, '/etc/debian_version')).toBe('12.5\n');
      expect(await extCat(d, '/etc/hostname')).toBe('multi-debian\n');
      expect(await extCat(d, '/etc/fstab')).toMatch(/^UUID=a00b0000-0000-4000-8000-000000000001 +\/ /m);
      expect(await dpkgInstalled(await extCopy(d, '/var/lib/dpkg/status', work))).toHaveLength(15);
      expect(await blkid(`${dev}p2`)).toMatchObject({ TYPE: 'ext4', LABEL: 'fedora', UUID: 'a00b0000-0000-4000-8000-000000000002' });
      await checkFedora(`${dev}p2`, 'multi-fedora', 'a00b0000-0000-4000-8000-000000000002');
    });
  });

  it('hostile-inspect.raw: links out of the guest, huge sparse files, garbage fstab, no /etc', async () => {
    const file = p('hostile-inspect.raw');
    expect(statSync(file).size).toBe(72 * MiB);
    const t = await sfdisk(file);
    expect(t.id).toBe('0xa0ba0000');
    expect(t.partitions.map((x) => [x.start, x.size])).toEqual([
      [2048, 32768],
      [34816, 32768],
      [67584, 32768],
      [100352, 32768],
    ]);
    await disks.withDisk(file, async (dev) => {
      for (const [i, l] of ['a', 'b', 'c', 'd'].entries()) {
        expect(await blkid(`${dev}p${i + 1}`)).toMatchObject({
          TYPE: 'ext4',
          LABEL: `hostile-${l}`,
          UUID: `a0ba0000-0000-4000-8000-00000000000${i + 1}`,
        });
      }
      const a = `${dev}p1`;
      expect(await extLink(a, '/etc/os-release')).toBe('/etc/shadow');
      expect(await extCat(a, '/etc/shadow')).toBe(
        'ID=guestshadow\nNAME="Guest Shadow"\nVERSION_ID="6.6"\nPRETTY_NAME="guest shadow 6.6"\n',
      );
      expect(await extLink(a, '/etc/hostname')).toBe('../../../../../../etc/passwd');
      expect(await extCat(a, '/etc/passwd')).toBe('guestpasswd:x:0:0:guest passwd:/root:/bin/sh\n');
      expect(await extLink(a, '/etc/lsb-release')).toBe('lsb-release');
      expect(await extLink(a, '/etc/machine-id')).toBe('/proc/self/environ');
      expect(await extStat(a, '/proc/self')).toBeUndefined();
      expect(await extCat(a, '/etc/fstab')).toBe('LABEL=hostile-a / ext4 defaults 0 1\n');

      const b = `${dev}p2`;
      const fstab = await extStat(b, '/etc/fstab');
      expect(fstab).toMatchObject({ type: 'regular', size: 2 * 1024 * MiB });
      expect(fstab?.blockcount).toBeLessThan(64); // sparse: a few KiB allocated
      const status = await extStat(b, '/var/lib/dpkg/status');
      expect(status).toMatchObject({ type: 'regular', size: 1024 * MiB });
      expect(status?.blockcount).toBeLessThan(64);
      const head = await run('sh', ['-c', 'debugfs -R "cat /etc/fstab" "$1" 2>/dev/null | head -c 64', 'sh', b]);
      expect(head.stdout.subarray(0, 37).toString('latin1')).toBe('LABEL=hostile-b / ext4 defaults 0 1\n\0');
      expect(await extCat(b, '/etc/hostname')).toBe('hostile-b\n');
      expect(await extCat(b, '/etc/os-release')).toContain(OS_RELEASE_DEBIAN12);

      const c = `${dev}p3`;
      expect(await extStat(c, '/etc/hostname')).toMatchObject({ type: 'FIFO' });
      expect(await extCat(c, '/etc/os-release')).toContain(OS_RELEASE_DEBIAN12);
      const garbage = await extBytes(c, '/etc/fstab');
      const lines = garbage.toString('latin1').split('\n');
      expect(lines.filter((l) => l === 'LABEL=hostile-c / ext4 errors=remount-ro 0 1')).toHaveLength(1);
      expect(lines.filter((l) => l.length >= 10000)).toHaveLength(2);
      expect(garbage.includes(Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff]))).toBe(true);
      expect(lines).toContain('/dev/../../etc/shadow /etc ext4 defaults 0 0');
      expect(lines.at(-1)).toBe('UUID=a0ba0000-0000-4000-8000-0000000000fe /no/newline/at/end ext4 defaults 0 0');
      expect(await extStat(c, '/var/lib/dpkg')).toBeUndefined();

      const d = `${dev}p4`;
      expect(await extLs(d, '/')).toEqual(['bin', 'lib', 'lost+found', 'usr']);
      expect(await extStat(d, '/etc')).toBeUndefined();
      expect(elfMachine(await extBytes(d, '/usr/bin/dash'))).toBe(HOST_MACHINE);
    });
  });

  it('leaves nothing behind: no loop device, mount or btrfs registration of ours', async () => {
    expect(disks.loops).toEqual([]);
    expect(disks.mounts).toEqual([]);
    const losetup = await ok('losetup', ['-l', '-n', '-O', 'NAME,BACK-FILE']);
    // (Other test files may hold loop devices over the fixtures meanwhile: only ours count.)
    expect(losetup.split('\n').filter((l) => l.includes(work))).toEqual([]);
    const procMounts = readFileSync('/proc/mounts', 'utf8');
    expect(procMounts.split('\n').filter((l) => l.includes(work) || l.includes('/joot-fx.'))).toEqual([]);
  });
});
