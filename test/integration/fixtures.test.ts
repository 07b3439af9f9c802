// Builds every fixture and checks it against README.md (test/fixtures) with tools independent of
// joot: sfdisk --json, blkid -p on partx-created read-only loop partitions, debugfs, mtools,
// lvm (--driverloaded n), qemu-img. Every loop device and mount made here is undone in afterAll.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FIXTURES, BUILD_SCRIPT, CAN_BUILD_FIXTURES, FIXTURES_DIR, fixture, fixtures } from '../fixtures/index.js';
import { FixtureDisks, blkid, extCat, extExists, extLink, ok, run, sfdisk } from './fixture-disks.js';

let disks!: FixtureDisks;
let work = '';

async function qemuInfo(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await ok('qemu-img', ['info', '-U', '--output=json', file])) as Record<string, unknown>;
}

const describeRoot = CAN_BUILD_FIXTURES ? describe : describe.skip;

describeRoot('test fixtures', () => {
  let buildMs = 0;
  const p = (name: string): string => path.join(FIXTURES_DIR, name);

  beforeAll(async () => {
    disks = new FixtureDisks('joot-fixtures-test-');
    work = disks.work;
    const t0 = Date.now();
    await fixtures(...ALL_FIXTURES);
    buildMs = Date.now() - t0;
  });

  afterAll(async () => {
    await disks?.close();
  });

  it('builds every fixture (and build.sh --list agrees with ALL_FIXTURES)', async () => {
    const listed = (await ok('bash', [BUILD_SCRIPT, '--list'])).trim().split('\n');
    expect(listed).toEqual([...ALL_FIXTURES]);
    for (const name of ALL_FIXTURES) expect(statSync(p(name)).isFile()).toBe(true);
    console.log(`fixtures ready in ${buildMs} ms (near 0 when already cached)`);
    // A second request is served from the cache.
    const _t0 = Date.now();
    expect(await fixture('mbr.raw')).toBe(p('mbr.raw'));
    expect(await fixtures('mbr.raw', 'gpt.raw')).toEqual([p('mbr.raw'), p('gpt.raw')]);
  });

  it('mbr.raw: primary + extended + logical partitions with fixed ids', async () => {
    const file = p('mbr.raw');
    expect(statSync(file).size).toBe(64 * 1024 * 1024);
    const t = await sfdisk(file);
    expect(t.label).toBe('dos');
    expect(t.id).toBe('0x11223344');
    expect(t.partitions.map((x) => [x.node.slice(file.length), x.type])).toEqual([
      ['1', '83'],
      ['2', '5'],
      ['5', '83'],
      ['6', '82'],
      ['7', '83'],
    ]);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: 24 * 2048 });
    expect(t.partitions[2]?.size).toBe(12 * 2048);
    const dev = await disks.attach(file, { parts: true });
    expect(await blkid(`${dev}p1`)).toMatchObject({
      TYPE: 'ext4',
      LABEL: 'root',
      UUID: '11223344-0000-4000-8000-000000000001',
      PART_ENTRY_UUID: '11223344-01',
    });
    expect(await blkid(`${dev}p5`)).toMatchObject({ TYPE: 'ext2', LABEL: 'logical5', UUID: '11223344-0000-4000-8000-000000000005' });
    expect(await blkid(`${dev}p6`)).toMatchObject({ TYPE: 'swap', LABEL: 'swap6', UUID: '11223344-0000-4000-8000-000000000006' });
    expect(await blkid(`${dev}p7`)).toMatchObject({ TYPE: 'ext4', LABEL: 'logical7', UUID: '11223344-0000-4000-8000-000000000007' });
    expect(await extCat(`${dev}p1`, '/hello.txt')).toBe('hello from mbr\n');
    expect(await extCat(`${dev}p1`, '/etc/hostname')).toBe('mbrhost\n');
    expect(await extCat(`${dev}p1`, '/dir/a.txt')).toBe('a\n');
    expect(await extLink(`${dev}p1`, '/link')).toBe('/etc/hostname');
    expect(await extLink(`${dev}p1`, '/escape')).toBe('/etc/shadow');
    expect(await extExists(`${dev}p1`, '/etc/shadow')).toBe(false);
    expect(await extCat(`${dev}p5`, '/five.txt')).toBe('five\n');
    expect(await extCat(`${dev}p7`, '/seven.txt')).toBe('seven\n');
    await disks.detach(dev);
  });

  it('gpt.raw: ESP (FAT32), ext4, xfs, btrfs with subvolumes', async () => {
    const file = p('gpt.raw');
    expect(statSync(file).size).toBe(1024 * 1024 * 1024);
    const t = await sfdisk(file);
    expect(t.label).toBe('gpt');
    expect(t.id).toBe('6A700000-0000-4000-8000-00000000D15C');
    expect(t.partitions.map((x) => [x.name, x.size / 2048, x.uuid])).toEqual([
      ['esp', 34, '6A70AAAA-0000-4000-8000-000000000001'],
      ['root', 64, '6A70AAAA-0000-4000-8000-000000000002'],
      ['data', 320, '6A70AAAA-0000-4000-8000-000000000003'],
      ['btr', 300, '6A70AAAA-0000-4000-8000-000000000004'],
    ]);
    expect(t.partitions[0]?.type).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    const dev = await disks.attach(file, { parts: true });
    expect(await blkid(`${dev}p1`)).toMatchObject({
      TYPE: 'vfat',
      VERSION: 'FAT32',
      LABEL: 'ESP',
      UUID: '6A70-0001',
      PART_ENTRY_NAME: 'esp',
    });
    expect(await blkid(`${dev}p2`)).toMatchObject({ TYPE: 'ext4', LABEL: 'gptroot', UUID: '6a700000-0000-4000-8000-000000000002' });
    expect(await blkid(`${dev}p3`)).toMatchObject({ TYPE: 'xfs', LABEL: 'xfsdata', UUID: '6a700000-0000-4000-8000-000000000003' });
    expect(await blkid(`${dev}p4`)).toMatchObject({ TYPE: 'btrfs', LABEL: 'btr', UUID: '6a700000-0000-4000-8000-000000000004' });
    const espOffset = (t.partitions[0]?.start ?? 0) * 512;
    expect(await ok('mtype', ['-i', `${file}@@${espOffset}`, '::/EFI/BOOT/hello.txt'])).toBe('hello from esp\n');
    expect(await extCat(`${dev}p2`, '/etc/os-release')).toContain('VERSION_CODENAME=bookworm');
    expect(await extCat(`${dev}p2`, '/hello.txt')).toBe('hello from gpt\n');
    const x = await disks.mountRo(`${dev}p3`, 'xfs', 'ro,norecovery');
    expect(readFileSync(path.join(x, 'x.txt'), 'utf8')).toBe('xfs\n');
    await disks.umount(x);
    const b = await disks.mountRo(`${dev}p4`, 'btrfs', 'ro');
    const subvols = (await ok('btrfs', ['subvolume', 'list', b]))
      .trim()
      .split('\n')
      .map((l) => l.replace(/.* path /, ''));
    expect(subvols).toEqual(['@', '@home', '@home/snap']);
    expect(readFileSync(path.join(b, '@/etc/hostname'), 'utf8')).toBe('btrhost\n');
    expect(readFileSync(path.join(b, '@home/user/notes.txt'), 'utf8')).toBe('notes\n');
    expect(readFileSync(path.join(b, '@home/snap/snap.txt'), 'utf8')).toBe('snap\n');
    await disks.umount(b);
    await disks.forgetBtrfs();
    await disks.detach(dev);
  });

  it('lvm.raw: vg0 with linear, two-segment and striped LVs whose filesystems are where lvs says', async () => {
    const file = p('lvm.raw');
    const t = await sfdisk(file);
    expect(t.label).toBe('gpt');
    expect(t.partitions.map((x) => [x.name, x.size / 2048])).toEqual([
      ['boot', 32],
      ['pv0', 100],
      ['pv1', 100],
    ]);
    const dev = await disks.attach(file, { parts: true });
    expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'boot' });
    expect(await extCat(`${dev}p1`, '/grub.cfg')).toBe('# boot\n');
    expect(await blkid(`${dev}p2`)).toMatchObject({ TYPE: 'LVM2_member' });
    expect(await blkid(`${dev}p3`)).toMatchObject({ TYPE: 'LVM2_member' });
    const pvs = [`${dev}p2`, `${dev}p3`];
    const lvmArgs = [
      '--driverloaded',
      'n',
      '--devices',
      pvs.join(','),
      '--readonly',
      '--config',
      'devices{hints="none"}',
      '--reportformat',
      'json',
      '--units',
      'b',
      '--nosuffix',
    ];
    const env = { LVM_SUPPRESS_FD_WARNINGS: '1' };
    type Report<T> = { report: Record<string, T[]>[] };
    const pvRep = JSON.parse(await ok('pvs', [...lvmArgs, '-o', 'pv_name,pe_start,vg_name,pv_uuid'], env)) as Report<
      Record<string, string>
    >;
    const peStart = new Map((pvRep.report[0]?.pv ?? []).map((r) => [r.pv_name ?? '', Number(r.pe_start)]));
    expect([...peStart.keys()].sort()).toEqual(pvs);
    expect(pvRep.report[0]?.pv?.map((r) => r.pv_uuid)).toEqual([
      'pv0000-0000-0000-0000-0000-0000-000002',
      'pv0000-0000-0000-0000-0000-0000-000003',
    ]);
    const vgRep = JSON.parse(await ok('vgs', [...lvmArgs, '-o', 'vg_name,vg_extent_size'], env)) as Report<Record<string, string>>;
    expect(vgRep.report[0]?.vg?.[0]?.vg_name).toBe('vg0');
    const extent = Number(vgRep.report[0]?.vg?.[0]?.vg_extent_size);
    expect(extent).toBe(4 * 1024 * 1024);
    const segRep = JSON.parse(
      await ok(
        'lvs',
        [...lvmArgs, '--segments', '-o', 'lv_name,seg_start_pe,seg_size_pe,segtype,stripes,stripe_size,seg_pe_ranges', 'vg0'],
        env,
      ),
    ) as Report<Record<string, string>>;
    const segs = segRep.report[0]?.seg ?? [];
    const of = (lv: string) => segs.filter((s) => s.lv_name === lv).sort((a, b) => Number(a.seg_start_pe) - Number(b.seg_start_pe));
    expect(of('root').map((s) => [s.segtype, s.seg_size_pe])).toEqual([['linear', '10']]);
    expect(of('home').map((s) => [s.segtype, s.seg_size_pe])).toEqual([['linear', '3']]);
    expect(of('split').map((s) => [s.segtype, s.seg_size_pe])).toEqual([
      ['linear', '2'],
      ['linear', '2'],
    ]);
    expect(of('striped').map((s) => [s.segtype, s.stripes, s.stripe_size])).toEqual([['striped', '2', '65536']]);
    expect(segs.some((s) => s.lv_name === 'filler')).toBe(false);

    // Reassemble each LV from its extents (our own mapping, not the recipe's) and look inside.
    const assemble = (lv: string): string => {
      const out = path.join(work, `${lv}.img`);
      const fdOut = openSync(out, 'w');
      const fds = new Map(pvs.map((pv) => [pv, openSync(pv, 'r')]));
      try {
        for (const s of of(lv)) {
          const areas = (s.seg_pe_ranges ?? '').split(' ').map((r) => {
            const m = /^(.*):(\d+)-(\d+)$/.exec(r);
            if (!m) throw new Error(`bad pe range ${r}`);
            return { pv: m[1] ?? '', first: Number(m[2]) };
          });
          const stripes = Number(s.stripes);
          const chunk = s.segtype === 'striped' ? Number(s.stripe_size) : Number(s.seg_size_pe) * extent;
          const total = Number(s.seg_size_pe) * extent;
          const buf = Buffer.alloc(chunk);
          for (let k = 0; k * chunk < total; k++) {
            const area = areas[k % stripes];
            if (!area) throw new Error('stripe area missing');
            const src = (peStart.get(area.pv) ?? 0) + area.first * extent + Math.floor(k / stripes) * chunk;
            const n = readSync(fds.get(area.pv) ?? -1, buf, 0, chunk, src);
            expect(n).toBe(chunk);
            writeSync(fdOut, buf, 0, n);
          }
        }
      } finally {
        for (const fd of fds.values()) closeSync(fd);
        closeSync(fdOut);
      }
      return out;
    };
    const expectations: [string, string, string, string][] = [
      ['root', 'lvroot', '/hello.txt', 'hello from lvm\n'],
      ['home', 'lvhome', '/user/home.txt', 'home\n'],
      ['split', 'lvsplit', '/split.txt', 'split\n'],
      ['striped', 'lvstriped', '/striped.txt', 'striped\n'],
    ];
    for (const [lv, label, f, content] of expectations) {
      const img = assemble(lv);
      expect(await blkid(img), lv).toMatchObject({ TYPE: 'ext4', LABEL: label });
      expect(await extCat(img, f), lv).toBe(content);
    }
    expect(await extCat(assemble('root'), '/etc/hostname')).toBe('lvmhost\n');

    // root is one linear segment: a plain loop at its extents shows the filesystem too.
    const root = of('root')[0];
    const first = Number(/:(\d+)-/.exec(root?.seg_pe_ranges ?? '')?.[1]);
    const lvdev = await disks.attach(`${dev}p2`, { offset: (peStart.get(`${dev}p2`) ?? 0) + first * extent, size: 10 * extent });
    expect(await blkid(lvdev)).toMatchObject({ TYPE: 'ext4', LABEL: 'lvroot', UUID: '1a7d0000-0000-4000-8000-0000000000a1' });
    await disks.detach(lvdev);
    await disks.detach(dev);
  });

  it('three.raw and three.qcow2: three ext4 partitions, same bytes', async () => {
    const t = await sfdisk(p('three.raw'));
    expect(t.id).toBe('0x33333333');
    expect(t.partitions).toHaveLength(3);
    const dev = await disks.attach(p('three.raw'), { parts: true });
    for (const [i, label] of ['one', 'two', 'three'].entries()) {
      expect(await blkid(`${dev}p${i + 1}`)).toMatchObject({ TYPE: 'ext4', LABEL: label });
      expect(await extCat(`${dev}p${i + 1}`, `/${label}.txt`)).toBe(`${i + 1}\n`);
    }
    await disks.detach(dev);
    expect((await qemuInfo(p('three.qcow2')))['format']).toBe('qcow2');
    await ok('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'qcow2', p('three.raw'), p('three.qcow2')]);
  });

  it('overlay.qcow2: the change is in the overlay only', async () => {
    const info = await qemuInfo(p('overlay.qcow2'));
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': p('base-for-overlay.raw'), 'backing-filename-format': 'raw' });
    // The base is byte-identical to mbr.raw: nothing was written through to it.
    await ok('cmp', [p('mbr.raw'), p('base-for-overlay.raw')]);
    const flat = path.join(work, 'overlay-flat.raw');
    await ok('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', p('overlay.qcow2'), flat]);
    const dev = await disks.attach(flat, { parts: true });
    expect(await extCat(`${dev}p1`, '/overlay.txt')).toBe('from overlay\n');
    expect(await extCat(`${dev}p1`, '/hello.txt')).toBe('hello from mbr\n');
    await disks.detach(dev);
    const base = await disks.attach(p('base-for-overlay.raw'), { parts: true });
    expect(await extExists(`${base}p1`, '/overlay.txt')).toBe(false);
    await disks.detach(base);
  });

  it('mbr.vmdk/.vdi/.vhdx/.vpc hold the same disk as mbr.raw', async () => {
    for (const [name, fmt] of [
      ['mbr.vmdk', 'vmdk'],
      ['mbr.vdi', 'vdi'],
      ['mbr.vhdx', 'vhdx'],
      ['mbr.vpc', 'vpc'],
    ] as const) {
      const info = await qemuInfo(p(name));
      expect(info['format'], name).toBe(fmt);
      expect(info['virtual-size'], name).toBe(64 * 1024 * 1024);
      await ok('qemu-img', ['compare', '-q', '-f', 'raw', '-F', fmt, p('mbr.raw'), p(name)]);
    }
  });

  it('dirty.raw: ext4 whose journal needs recovery', async () => {
    const file = p('dirty.raw');
    expect(await blkid(file)).toMatchObject({ TYPE: 'ext4', LABEL: 'dirty', UUID: 'd1d1d1d1-0000-4000-8000-000000000001' });
    expect((await sfdisk(file).catch(() => undefined))?.partitions ?? []).toHaveLength(0);
    const header = await ok('dumpe2fs', ['-h', file]);
    expect(/^Filesystem features:.*\bneeds_recovery\b/m.test(header)).toBe(true);
    expect(await ok('debugfs', ['-R', 'logdump', file])).toMatch(/commit block/);
    expect(await extCat(file, '/dirty.txt')).toBe('dirty\n');
  });

  it('ntfs.raw: one NTFS partition (type 07) with /hello.txt', async () => {
    const file = p('ntfs.raw');
    expect(statSync(file).size).toBe(32 * 1024 * 1024);
    const t = await sfdisk(file);
    expect(t.label).toBe('dos');
    expect(t.id).toBe('0x4e544653');
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]).toMatchObject({ start: 2048, size: 32 * 2048 - 2048, type: '7' });
    const dev = await disks.attach(file, { parts: true });
    expect(await blkid(`${dev}p1`)).toMatchObject({
      TYPE: 'ntfs',
      LABEL: 'winvol',
      UUID: '4E54465300000001',
      PART_ENTRY_UUID: '4e544653-01',
    });
    expect(await ok('ntfscat', [`${dev}p1`, '/hello.txt'])).toBe('hello from ntfs\n');
    await disks.detach(dev);
  });

  it('hostile inputs are what they claim to be', async () => {
    expect(statSync(p('empty.img')).size).toBe(0);
    const text = statSync(p('text.img')).size;
    expect(text).toBeGreaterThan(0);
    expect(text % 512).not.toBe(0);
    expect(statSync(p('nofs.raw')).size).toBe(8 * 1024 * 1024);
    expect((await run('blkid', ['-p', p('nofs.raw')])).code).toBe(2);

    expect((await qemuInfo(p('truncated.qcow2')))['format']).toBe('qcow2');
    expect((await run('qemu-img', ['check', '-f', 'qcow2', p('truncated.qcow2')])).code).not.toBe(0);

    const m = await sfdisk(p('corrupt-mbr.raw'));
    expect(statSync(p('corrupt-mbr.raw')).size).toBe(4 * 1024 * 1024);
    expect(m.id).toBe('0xdeadd00d');
    expect(m.partitions.map((x) => [x.start, x.size])).toEqual([
      [16384, 2048],
      [2048, 16384],
      [4096, 2048],
    ]);

    const g = p('corrupt-gpt.raw');
    const size = statSync(g).size;
    const fd = openSync(g, 'r');
    const sig = Buffer.alloc(8);
    try {
      readSync(fd, sig, 0, 8, 512);
      expect(sig.toString('latin1')).toBe('EFI PART');
      readSync(fd, sig, 0, 8, size - 512);
      expect(sig.toString('latin1')).toBe('EFI PART');
    } finally {
      closeSync(fd);
    }
    // Signatures intact but neither header validates: blkid sees only the protective MBR.
    expect(await blkid(g)).toMatchObject({ PTTYPE: 'PMBR' });

    for (const [name, backing] of [
      ['backing-shadow.qcow2', '/etc/shadow'],
      ['backing-device.qcow2', '/dev/zero'],
    ] as const) {
      expect(await qemuInfo(p(name))).toMatchObject({
        format: 'qcow2',
        'backing-filename': backing,
        'backing-filename-format': 'raw',
        'virtual-size': 64 * 1024 * 1024,
      });
    }
  });

  it('sample.raw: the npm start sample guest', async () => {
    const file = p('sample.raw');
    expect(statSync(file).size).toBe(8 * 1024 * 1024);
    const t = await sfdisk(file);
    expect(t.id).toBe('0x5a3b1e00');
    expect(t.partitions.map((x) => x.bootable ?? false)).toEqual([true, false]);
    const dev = await disks.attach(file, { parts: true });
    expect(await blkid(`${dev}p1`)).toMatchObject({ TYPE: 'ext4', LABEL: 'boot', BLOCK_SIZE: '1024' });
    expect(await blkid(`${dev}p2`)).toMatchObject({ TYPE: 'ext4', LABEL: 'root', BLOCK_SIZE: '1024' });
    expect(await extCat(`${dev}p1`, '/grub/grub.cfg')).toContain('menuentry');
    const r = `${dev}p2`;
    expect(await extCat(r, '/etc/os-release')).toContain('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');
    expect(await extCat(r, '/etc/hostname')).toBe('sample\n');
    expect(await extCat(r, '/etc/fstab')).toContain('LABEL=root / ext4 defaults 0 1\nLABEL=boot /boot ext4 defaults 0 2\n');
    expect(await extCat(r, '/hello.txt')).toBe('Hello from the joot sample image!\n');
    expect(await extExists(r, '/boot')).toBe(true);
    const status = await extCat(r, '/var/lib/dpkg/status');
    expect(status).toContain('Package: bash\n');
    expect(status).toContain('Version: 5.2.15-2+b2\n');
    expect(status.split('\n\n').filter((s) => s.includes('Status: install ok installed'))).toHaveLength(15);
    expect(await extLink(r, '/bin')).toBe('usr/bin');
    expect((await extCat(r, '/usr/bin/echo')).slice(0, 4)).toBe('\x7fELF');
    await disks.detach(dev);
  });

  it("guestfs-test.iso: libguestfs's test.iso, built from its own test-data", async () => {
    const dir = path.join(work, 'guestfs-test.iso.d');
    await ok('xorriso', ['-indev', p('guestfs-test.iso'), '-osirrox', 'on', '-extract', '/', dir]);
    const at = (name: string) => path.join(dir, name);
    const md5 = (name: string) =>
      createHash('md5')
        .update(readFileSync(at(name)))
        .digest('hex');
    // what libguestfs's tests pin: known-2's bytes, known-3's md5 (its checksum tests)
    expect(readFileSync(at('known-2'), 'latin1')).toBe('abcdef\n');
    expect(md5('known-3')).toBe('46d6ca27ee07cdc6fa99c2e138cc522c');
    expect(['known-1', 'known-3', 'known-4', 'known-5', 'test-grep.txt'].map((f) => statSync(at(f)).size)).toEqual([4, 1048, 11, 19, 28]);
    expect(statSync(at('empty')).size).toBe(0);
    expect(readdirSync(at('directory'))).toEqual([]);
    expect(readlinkSync(at('abssymlink'))).toBe('/10klines');
    const lines = readFileSync(at('10klines'), 'latin1').split('\n');
    expect([lines.length, lines[0], lines[9999], lines[10000]]).toEqual([
      10001,
      '0abcdefghijklmnopqrstuvwxyz',
      '9999abcdefghijklmnopqrstuvwxyz',
      '',
    ]);
    for (const f of ['100kallzeroes', '100kallnewlines', '100kallspaces', '100krandom']) expect(statSync(at(f)).size).toBe(102400);
    expect((await ok('tar', ['-tf', at('helloworld.tar')])).split('\n').filter(Boolean)).toEqual(['./', './world', './hello']);
    // its binaries, as file(1) names them, and the compressed copies its Makefile makes
    expect(await ok('file', ['-b', at('bin-riscv64-dynamic')])).toMatch(/^ELF 64-bit LSB .*RISC-V/);
    expect(await ok('file', ['-b', at('lib-s390x.so')])).toMatch(/^ELF 64-bit MSB shared object, IBM S\/390/);
    await ok('sh', [
      '-c',
      'xz -dc "$1" | cmp - "$2" && zstd -dc "$3" | cmp - "$2"',
      'sh',
      at('lib-i586.so.xz'),
      at('lib-i586.so'),
      at('lib-i586.so.zst'),
    ]);
    expect((await ok('cpio', ['-it', '--quiet', '-F', at('initrd-x86_64.img')])).trim()).toBe('bin/nash');
    expect(await ok('qemu-img', ['info', '--output=json', at('blank-disk-with-backing.qcow2')])).toMatch(
      /"backing-filename": "blank-disk-1M.raw"/,
    );
  });

  it('leaves nothing of the build behind', async () => {
    const losetup = await ok('losetup', ['-l', '-n', '-O', 'NAME,BACK-FILE']);
    expect(losetup.split('\n').filter((l) => /joot-fx\.|\/\.tmp\./.test(l))).toEqual([]);
    const procMounts = readFileSync('/proc/mounts', 'utf8');
    expect(procMounts.split('\n').filter((l) => l.includes('/joot-fx.'))).toEqual([]);
    const ps = await run('pgrep', ['-af', 'qemu-storage-daemon']);
    expect(
      ps.stdout
        .toString('utf8')
        .split('\n')
        .filter((l) => l.includes('joot-fx.')),
    ).toEqual([]);
  });
});
