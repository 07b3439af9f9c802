// jfish's partition, filesystem and LVM commands end to end (the real bin/jfish), each checked
// against the same session's view and, after exit, with independent tools (sfdisk, blkid).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jfish.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping jfish layout integration tests: ${skipReason}`);

const MiB = 1024 * 1024;
let dir = '';
let before: Snapshot;

function blank(name: string, size: number): string {
  const f = join(dir, name);
  writeFileSync(f, '');
  execFileSync('truncate', ['-s', String(size), f]);
  return f;
}

/** jfish with commands separated by ':' words. */
function fish(args: string[]) {
  return execa(jfish, args, {
    reject: false,
    stripFinalNewline: false,
    timeout: 120_000,
    env: { ...process.env, JOOT_RUN_DIR: join(dir, 'run') },
  });
}
const cmds = (...lines: string[][]) => lines.flatMap((l, i) => (i ? [':', ...l] : l));

describe.skipIf(skipReason !== '')('jfish layout commands', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jfish-layout-'));
    before = await snapshot({ paths: [dir] });
  });
  afterAll(async () => {
    try {
      await expectNoLeftovers(before);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('part-init, part-add, part-list, types, names, bootable, part-del, blockdev-getsize64', async () => {
    const img = blank('p.raw', 64 * MiB);
    const r = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['part-init', '/dev/sda', 'mbr'],
        ['part-add', '/dev/sda', 'p', '2048', '22527'],
        ['part-add', '/dev/sda', 'primary', '22528', '-1'],
        ['part-get-parttype', '/dev/sda'],
        ['part-list', '/dev/sda'],
        ['part-set-mbr-id', '/dev/sda', '2', '0x82'],
        ['part-get-mbr-id', '/dev/sda', '2'],
        ['part-set-bootable', '/dev/sda', '1', 'true'],
        ['part-get-bootable', '/dev/sda', '1'],
        ['list-partitions'],
        ['part-del', '/dev/sda', '2'],
        ['list-partitions'],
        ['blockdev-getsize64', '/dev/sda1'],
      ),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'msdos',
        '[0] = {',
        '  part_num: 1',
        `  part_start: ${MiB}`,
        `  part_end: ${11 * MiB - 1}`,
        `  part_size: ${10 * MiB}`,
        '}',
        '[1] = {',
        '  part_num: 2',
        `  part_start: ${11 * MiB}`,
        `  part_end: ${64 * MiB - 1}`,
        `  part_size: ${53 * MiB}`,
        '}',
        '0x82',
        'true',
        '/dev/sda1',
        '/dev/sda2',
        '/dev/sda1',
        String(10 * MiB),
        '',
      ].join('\n'),
    );
    const t = JSON.parse(execFileSync('sfdisk', ['--json', img], { encoding: 'utf8' })).partitiontable;
    expect(t.partitions).toEqual([expect.objectContaining({ start: 2048, size: 20480, type: '83', bootable: true })]);

    const esp = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
    const g = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['part-disk', '/dev/sda', 'gpt'],
        ['part-set-name', '/dev/sda', '1', 'my data'],
        ['part-get-name', '/dev/sda', '1'],
        ['part-get-gpt-type', '/dev/sda', '1'],
        ['part-set-gpt-type', '/dev/sda', '1', esp.toLowerCase()],
        ['part-get-gpt-type', '/dev/sda', '1'],
      ),
    ]);
    expect(g.stderr).toBe('');
    expect(g.stdout).toBe(`my data\n0FC63DAF-8483-4772-8E79-3D69D8477DE4\n${esp}\n`);
  });

  it('mkfs with label:, set-label, set-uuid, blkid, vfs-*, fsck, e2fsck, df, resize2fs, wipefs', async () => {
    const img = blank('f.raw', 64 * MiB);
    const uuid = '01234567-89ab-cdef-0123-456789abcdef';
    const r = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['part-disk', '/dev/sda', 'mbr'],
        ['mkfs', 'ext4', '/dev/sda1', 'label:first', 'blocksize:1024'],
        ['vfs-type', '/dev/sda1'],
        ['vfs-label', '/dev/sda1'],
        ['set-label', '/dev/sda1', 'second'],
        ['set-uuid', '/dev/sda1', uuid],
        ['vfs-label', '/dev/sda1'],
        ['vfs-uuid', '/dev/sda1'],
        ['fsck', 'ext4', '/dev/sda1'],
        ['e2fsck', '/dev/sda1'],
        ['resize2fs-size', '/dev/sda1', '32M'],
        ['resize2fs-m', '/dev/sda1'],
        ['resize2fs', '/dev/sda1'],
        ['mount', '/dev/sda1', '/'],
        ['write', '/f', 'hello'],
        ['df'],
        ['umount', '/'],
      ),
    ]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 5)).toEqual(['ext4', 'first', 'second', uuid, '0']);
    expect(lines[5]).toMatch(/^Filesystem +1K-blocks +Used +Available +Use% +Mounted on$/);
    expect(lines[6]).toMatch(/^\/dev\/sda1 +\d+ +\d+ +\d+ +\d+% +\/$/);
    // part-disk starts the partition at sector 128, as guestfish's does
    const blk = execFileSync('blkid', ['-p', '-o', 'export', '--offset', String(128 * 512), img], { encoding: 'utf8' });
    expect(blk).toMatch(/LABEL=second/);
    expect(blk).toMatch(new RegExp(`UUID=${uuid}`));

    const w = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['blkid', '/dev/sda1'],
        ['wipefs', '/dev/sda1'],
        ['list-filesystems'],
        ['mkswap', '/dev/sda1', 'label:sw'],
        ['vfs-type', '/dev/sda1'],
      ),
    ]);
    expect(w.stderr).toBe('');
    expect(w.stdout).toMatch(/^TYPE: ext4$/m);
    expect(w.stdout).toMatch(/^LABEL: second$/m);
    expect(w.stdout).toMatch(/^PART_ENTRY_NUMBER: 1$/m);
    expect(w.stdout).not.toMatch(/loop|DEVNAME|PART_ENTRY_DISK/);
    expect(w.stdout).toMatch(/^\/dev\/sda1: unknown$/m);
    expect(w.stdout.trimEnd().split('\n').pop()).toBe('swap');
  });

  it('pvcreate, vgcreate, lvcreate, lvs-full, mkfs on the LV, mount and write; lvremove, vgremove', async () => {
    const img = blank('l.raw', 128 * MiB);
    const r = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['part-disk', '/dev/sda', 'mbr'],
        ['pvcreate', '/dev/sda1'],
        ['vgcreate', 'vg', '/dev/sda1'],
        ['lvcreate', 'root', 'vg', '32'],
        ['lvcreate-free', 'rest', 'vg', '100'],
        ['lvs'],
        ['mkfs', 'ext4', '/dev/vg/root'],
        ['mount', '/dev/vg/root', '/'],
        ['write', '/x', 'on an LV'],
        ['cat', '/x'],
        ['umount-all'],
        ['lvremove', '/dev/vg/rest'],
        ['lvs'],
        ['pvs'],
      ),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/vg/rest\n/dev/vg/root\non an LV\n/dev/vg/root\n/dev/sda1\n');
    const again = await fish([
      '--ro',
      '-a',
      img,
      ...cmds(['run'], ['pvs-full'], ['vgs-full'], ['lvs-full'], ['mount', '/dev/vg/root', '/'], ['cat', '/x']),
    ]);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/^\[0\] = \{\n {2}pv_name: \/dev\/sda1\n {2}pv_uuid: \S+\n {2}vg_name: vg\n {2}pv_size: \d+\n\}$/m);
    expect(again.stdout).toMatch(
      / {2}vg_name: vg\n {2}vg_uuid: \S+\n {2}vg_extent_size: 4194304\n {2}vg_pvs: \/dev\/sda1\n {2}vg_lvs: \/dev\/vg\/root\n/,
    );
    expect(again.stdout).toMatch(/lv_name: \/dev\/vg\/root\n/);
    expect(again.stdout).toMatch(new RegExp(`lv_size: ${32 * MiB}\n`));
    expect(again.stdout.endsWith('on an LV\n')).toBe(true);
    const gone = await fish(['-a', img, ...cmds(['run'], ['vgremove', 'vg'], ['vgs'], ['pvremove', '/dev/sda1'], ['pvs'])]);
    expect(gone.stderr).toBe('');
    expect(gone.stdout).toBe('');
  });

  it('btrfs-subvolume-create and -list; df-h; zero-device', async () => {
    const img = blank('b.raw', 200 * MiB);
    const r = await fish([
      '-a',
      img,
      ...cmds(
        ['run'],
        ['mkfs', 'btrfs', '/dev/sda'],
        ['mount', '/dev/sda', '/'],
        ['btrfs-subvolume-create', '/@home'],
        ['btrfs-subvolume-list', '/'],
        ['df-h'],
        ['umount', '/'],
        ['mount', 'btrfsvol:/dev/sda/@home', '/'],
        ['touch', '/in-home'],
        ['umount', '/'],
        ['zero-device', '/dev/sda'],
        ['list-filesystems'],
      ),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^\[0\] = \{\n {2}btrfssubvolume_id: 256\n {2}btrfssubvolume_top_level_id: 5\n {2}btrfssubvolume_path: @home\n\}$/m,
    );
    expect(r.stdout).toMatch(/^Filesystem +Size +Used +Avail +Use% +Mounted on\n\/dev\/sda +\d+(\.\d)?M /m);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('/dev/sda: unknown');
  });

  it('-N prepared disks: fs, lvfs, bootroot; refuses an existing file and a layout that does not fit', async () => {
    const run = (args: string[]) =>
      execa(jfish, args, {
        cwd: dir,
        reject: false,
        stripFinalNewline: false,
        timeout: 120_000,
        env: { ...process.env, JOOT_RUN_DIR: join(dir, 'run') },
      });
    const a = await run([
      '-N',
      'n1.img=fs:ext4:50M',
      '-N',
      'n2.img=lvfs:/dev/data/root:xfs:400M:gpt',
      'list-filesystems',
      ':',
      'part-get-parttype',
      '/dev/sdb',
    ]);
    expect(a.stderr).toBe('');
    expect(a.stdout).toBe('/dev/sda1: ext4\n/dev/data/root: xfs\ngpt\n');
    expect(execFileSync('qemu-img', ['info', '--output=json', join(dir, 'n1.img')], { encoding: 'utf8' })).toMatch(
      /"virtual-size": 52428800/,
    );
    const b = await run(['-N', 'bootroot', 'list-filesystems', ':', 'blockdev-getsize64', '/dev/sda1']);
    expect(b.stderr).toBe('');
    expect(b.stdout).toBe(`/dev/sda1: ext2\n/dev/sda2: ext2\n${128 * MiB}\n`); // guestfish: boot 128M by default
    const again = await run(['-N', 'bootroot', 'run']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe('jfish: -N: test1.img exists already: remove it or give another name (-N FILE=TYPE)\n');
    const small = await run(['-N', 'small.img=fs:xfs:10M', 'run']);
    expect(small.exitCode).toBe(1);
    expect(small.stderr).toMatch(/^jfish: small\.img: xfs needs at least 300 MiB/);
    expect(existsSync(join(dir, 'small.img'))).toBe(false);
    const bad = await run(['-N', 'fs:ext4:100M:sun', 'run']);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/^jfish: -N: sun: the partition table is mbr or gpt\n$/);
  });

  it('two clones of one XFS mount side by side (nouuid: the host kernel holds one XFS per UUID)', async () => {
    const run = (args: string[]) =>
      execa(jfish, args, {
        cwd: dir,
        reject: false,
        stripFinalNewline: false,
        timeout: 120_000,
        env: { ...process.env, JOOT_RUN_DIR: join(dir, 'run') },
      });
    expect((await run(['-N', 'x1.img=fs:xfs:320M', 'exit'])).stderr).toBe('');
    execFileSync('cp', ['--sparse=always', join(dir, 'x1.img'), join(dir, 'x2.img')]);
    const r = await run([
      '-a',
      'x1.img',
      '-a',
      'x2.img',
      '-m',
      '/dev/sda1',
      'mkdir',
      '/b',
      ':',
      'mount',
      '/dev/sdb1',
      '/b',
      ':',
      'mountpoints',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/dev/sda1: /\n/dev/sdb1: /b\n');
    for (const f of ['x1.img', 'x2.img']) rmSync(join(dir, f));
  });

  it('refuses: read-only drives, mounted devices, bad names and labels, in one line', async () => {
    const img = blank('r.raw', 64 * MiB);
    expect((await fish(['-a', img, ...cmds(['run'], ['part-disk', '/dev/sda', 'mbr'], ['mkfs', 'ext4', '/dev/sda1'])])).stderr).toBe('');
    const cases: [string[], RegExp][] = [
      [['--ro', '-a', img, ...cmds(['run'], ['mkfs', 'ext4', '/dev/sda1'])], /^jfish: mkfs: \/dev\/sda1: the drive is read-only \(--ro\)$/],
      [
        ['-a', img, ...cmds(['run'], ['mount', '/dev/sda1', '/'], ['part-init', '/dev/sda', 'gpt'])],
        /^jfish: part-init: \/dev\/sda: in use: \/dev\/sda1 is mounted on \/ \(umount it first\)$/,
      ],
      [
        ['-a', img, ...cmds(['run'], ['mkfs', 'ext4', '/dev/sda1', 'label:12345678901234567'])],
        /^jfish: mkfs: ext4 labels are limited to 16 bytes/,
      ],
      [['-a', img, ...cmds(['run'], ['mkfs', 'zfs', '/dev/sda1'])], /^jfish: mkfs: unknown filesystem type 'zfs'/],
      [['-a', img, ...cmds(['run'], ['part-init', '/dev/sda', 'bsd'])], /^jfish: part-init: bsd: unknown partition table type/],
      [['-a', img, ...cmds(['run'], ['vgcreate', 'bad name', '/dev/sda1'])], /^jfish: vgcreate: bad name: not a valid VG name/],
      [
        ['-a', img, ...cmds(['run'], ['part-add', '/dev/sda', 'p', '100', '50'])],
        /^jfish: part-add: end sector 50 is before start sector 100$/,
      ],
      [['-a', img, ...cmds(['run'], ['blockdev-getsize64', '/dev/sdz'])], /^jfish: blockdev-getsize64: \/dev\/sdz: No such device$/],
    ];
    for (const [args, msg] of cases) {
      const r = await fish(args);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), args.join(' ')).toMatch(msg);
      expect(r.stderr).not.toMatch(/loop\d|\/run\/joot/);
    }
  });
});
