// jformat end to end: the real bin/jformat on new and used images, every result checked from
// outside with independent tools — sfdisk --json and the MBR type bytes on the raw bytes
// (qcow2 converted with qemu-img first), blkid -p, lvm (vgck, lvs), and each filesystem's own
// checker (fsck -n / xfs_repair -n / btrfs check / fsck.fat -n / ntfsfix -n), LVs checked
// through a loop device at the LV's extents. Where libguestfs is installed, virt-filesystems
// agrees on one layout. Bad input: one line, non-zero exit, the image unchanged.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const jformat = join(repo, 'bin/jformat');
const jfish = join(repo, 'bin/jfish');
const built = existsSync(join(repo, 'dist/bundle/jformat.mjs'));
const root = process.getuid?.() === 0;
const skipReason = !built ? 'dist is not built (npm run build)' : !root ? 'needs root (loop devices)' : '';
if (skipReason) console.log(`skipping jformat integration tests: ${skipReason}`);

const MiB = 1024 * 1024;
const VIRT_FILESYSTEMS = ['/usr/bin/virt-filesystems', '/usr/local/bin/virt-filesystems'].find((p) => existsSync(p));
if (!skipReason && !VIRT_FILESYSTEMS)
  console.log('jformat.test.ts: virt-filesystems comparison skipped: libguestfs-tools is not installed');
let dir = '';
let before: Snapshot;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function jf(args: string[]) {
  return execa(jformat, args, { reject: false, timeout: 120_000, env: { ...process.env, JOOT_RUN_DIR: join(dir, 'run') } });
}

function blank(name: string, size: number): string {
  const f = join(dir, name);
  writeFileSync(f, '');
  sh('truncate', ['-s', String(size), f]);
  return f;
}

/** The raw bytes of an image (qcow2 converted) as a file to look at. */
function rawOf(img: string): string {
  if (img.endsWith('.raw') || img.endsWith('.img')) return img;
  const out = `${img}.raw`;
  rmSync(out, { force: true });
  sh('qemu-img', ['convert', '-O', 'raw', img, out]);
  return out;
}

interface Table {
  label: string;
  partitions: { start: number; size: number; type: string }[];
}
const sfdisk = (raw: string): Table => JSON.parse(sh('sfdisk', ['--json', raw])).partitiontable;

/** MBR partition type bytes, straight from sector 0. */
function mbrTypes(raw: string): number[] {
  const b = readFileSync(raw).subarray(0, 512);
  return [0, 1, 2, 3].map((i) => b[446 + i * 16 + 4]!).filter((t) => t !== 0);
}

/** Run fn with a read-only loop device over [offset, offset+size) of raw. */
function withLoop<T>(raw: string, fn: (dev: string) => T, offset = 0, size?: number): T {
  const args = ['--find', '--show', '--read-only', '--offset', String(offset)];
  if (size !== undefined) args.push('--sizelimit', String(size));
  const dev = sh('losetup', [...args, raw]).trim();
  try {
    return fn(dev);
  } finally {
    sh('losetup', ['-d', dev]);
  }
}

function blkid(dev: string): Record<string, string> {
  let out = '';
  try {
    out = sh('blkid', ['-p', '-o', 'export', dev]);
  } catch {
    return {};
  }
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The filesystem's own checker, read-only; throws on errors. */
function fsckN(dev: string, type: string): void {
  if (type.startsWith('ext')) sh('e2fsck', ['-f', '-n', dev]);
  else if (type === 'xfs') sh('xfs_repair', ['-n', dev]);
  else if (type === 'btrfs') sh('btrfs', ['check', '--readonly', dev]);
  else if (type === 'vfat') sh('fsck.fat', ['-n', dev]);
  else if (type === 'ntfs') sh('ntfsfix', ['-n', dev]);
}

const part1 = (raw: string) => {
  const p = sfdisk(raw).partitions[0]!;
  return { offset: p.start * 512, size: p.size * 512 };
};

const LVM_ENV = { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' };
const LVM_CONF = 'devices{use_devicesfile=0} backup{backup=0 archive=0} global{use_lvmpolld=0}';

/** lvm's view of the PV at [offset, size) of raw: VG/LV and where the LV's bytes are. */
function lvmView(raw: string, offset: number, size: number): { vg: string; lv: string; lvOffset: number; lvSize: number } {
  return withLoop(
    raw,
    (pv) => {
      const lvm = (args: string[]) =>
        execFileSync('lvm', [...args.slice(0, 1), '--devices', pv, '--driverloaded', 'n', '--config', LVM_CONF, ...args.slice(1)], {
          encoding: 'utf8',
          env: LVM_ENV,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      lvm(['vgck']);
      const [vg, lv, lvSize, ranges] = lvm([
        'lvs',
        '--noheadings',
        '--units',
        'b',
        '--nosuffix',
        '-o',
        'vg_name,lv_name,lv_size,seg_pe_ranges',
      ])
        .trim()
        .split(/\s+/);
      const [peStart] = lvm(['pvs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'pe_start']).trim().split(/\s+/);
      const [extent] = lvm(['vgs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_extent_size']).trim().split(/\s+/);
      const firstPe = Number(/:(\d+)-/.exec(ranges!)![1]);
      return { vg: vg!, lv: lv!, lvOffset: offset + Number(peStart) + firstPe * Number(extent), lvSize: Number(lvSize) };
    },
    offset,
    size,
  );
}

describe.skipIf(skipReason !== '')('jformat', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jformat-'));
    before = await snapshot({ paths: [dir] });
  });
  afterAll(async () => {
    try {
      await expectNoLeftovers(before);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('raw, default partition (MBR), ext4 with a label', async () => {
    const img = blank('a.raw', 64 * MiB);
    const r = await jf(['-a', img, '--filesystem=ext4', '--label=DATA']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const t = sfdisk(img);
    expect(t.label).toBe('dos');
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]!.start).toBe(2048);
    expect(mbrTypes(img)).toEqual([0x83]);
    const { offset, size } = part1(img);
    withLoop(
      img,
      (dev) => {
        expect(blkid(dev)).toMatchObject({ TYPE: 'ext4', LABEL: 'DATA' });
        fsckN(dev, 'ext4');
      },
      offset,
      size,
    );
  });

  it('a new 10 GiB qcow2 (--create) with GPT and xfs, sparse', async () => {
    const img = join(dir, 'b.qcow2');
    const r = await jf(['-a', img, '--create', '10G', '--partition=gpt', '--filesystem=xfs', '--label=XROOT']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const info = JSON.parse(sh('qemu-img', ['info', '--output=json', img]));
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(10 * 1024 * MiB);
    expect(info['actual-size']).toBeLessThan(64 * MiB);
    const raw = rawOf(img);
    const t = sfdisk(raw);
    expect(t.label).toBe('gpt');
    expect(t.partitions[0]!.type).toBe('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
    const { offset, size } = part1(raw);
    withLoop(
      raw,
      (dev) => {
        expect(blkid(dev)).toMatchObject({ TYPE: 'xfs', LABEL: 'XROOT' });
        fsckN(dev, 'xfs');
      },
      offset,
      size,
    );
  });

  it('bare --lvm: PV on an MBR partition (type 8e), VG/LV over all of it, ext4 on the LV', async () => {
    const img = blank('c.raw', 128 * MiB);
    const r = await jf(['-a', img, '--lvm', '--filesystem=ext4']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(mbrTypes(img)).toEqual([0x8e]);
    const { offset, size } = part1(img);
    withLoop(img, (dev) => expect(blkid(dev).TYPE).toBe('LVM2_member'), offset, size);
    const v = lvmView(img, offset, size);
    expect([v.vg, v.lv]).toEqual(['VG', 'LV']);
    expect(v.lvSize).toBeGreaterThan(120 * MiB);
    withLoop(
      img,
      (dev) => {
        expect(blkid(dev).TYPE).toBe('ext4');
        fsckN(dev, 'ext4');
      },
      v.lvOffset,
      v.lvSize,
    );
  });

  it('--lvm=/dev/data/root on GPT with xfs, and the other filesystems with their MBR type bytes', async () => {
    const img = blank('d.raw', 400 * MiB);
    const r = await jf(['-a', img, '--partition=gpt', '--lvm=/dev/data/root', '--filesystem=xfs', '--label=R']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(sfdisk(img).partitions[0]!.type).toBe('E6D6D379-F507-44C2-A23C-238F2A3DF928');
    const { offset, size } = part1(img);
    const v = lvmView(img, offset, size);
    expect([v.vg, v.lv]).toEqual(['data', 'root']);
    withLoop(
      img,
      (dev) => {
        expect(blkid(dev)).toMatchObject({ TYPE: 'xfs', LABEL: 'R' });
        fsckN(dev, 'xfs');
      },
      v.lvOffset,
      v.lvSize,
    );

    for (const [fs, byte, type] of [
      ['vfat', 0x0c, 'vfat'],
      ['ntfs', 0x07, 'ntfs'],
      ['swap', 0x82, 'swap'],
      ['ext2', 0x83, 'ext2'],
    ] as const) {
      const f = blank(`e-${fs}.raw`, 64 * MiB);
      const rr = await jf(['-a', f, `--filesystem=${fs}`, '--label=L1']);
      expect(rr.stderr, fs).toBe('');
      expect(mbrTypes(f), fs).toEqual([byte]);
      const p = part1(f);
      withLoop(
        f,
        (dev) => {
          expect(blkid(dev), fs).toMatchObject({ TYPE: type, LABEL: 'L1' });
          fsckN(dev, type);
        },
        p.offset,
        p.size,
      );
    }
  });

  it('--partition=none: btrfs on the whole disk; two -a disks formatted alike', async () => {
    const a = blank('f1.raw', 200 * MiB);
    const b = blank('f2.raw', 200 * MiB);
    const r = await jf(['-a', a, '-a', b, '--partition=none', '--filesystem=btrfs', '--label=BT']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    for (const f of [a, b]) {
      expect(() => sfdisk(f)).toThrow();
      withLoop(f, (dev) => {
        expect(blkid(dev)).toMatchObject({ TYPE: 'btrfs', LABEL: 'BT' });
        fsckN(dev, 'btrfs');
      });
    }
  });

  it('erases what was there: old signatures gone; --wipe zeroes every byte', async () => {
    const img = blank('g.raw', 64 * MiB);
    expect((await jf(['-a', img, '--filesystem=ext4'])).exitCode).toBe(0);
    // same layout, no filesystem: the old ext4 must not reappear in the new partition
    expect((await jf(['-a', img])).exitCode).toBe(0);
    const p = part1(img);
    withLoop(img, (dev) => expect(blkid(dev).TYPE).toBeUndefined(), p.offset, p.size);
    // --wipe zeroes every byte, also data in the middle of the disk
    execFileSync('sh', ['-c', `printf 'SECRETDATA' | dd of=${img} bs=1 seek=${40 * MiB} conv=notrunc status=none`]);
    expect((await jf(['-a', img, '--wipe', '--partition=none'])).exitCode).toBe(0);
    expect(readFileSync(img).includes('SECRETDATA')).toBe(false);
    expect(readFileSync(img).every((x) => x === 0)).toBe(true);
  });

  it.skipIf(!VIRT_FILESYSTEMS)(
    'virt-filesystems --all --long agrees on GPT + LVM + xfs',
    async () => {
      const img = join(dir, 'vf.raw');
      const r = await jf(['-a', img, '--create', '400M', '--partition=gpt', '--lvm=/dev/data/root', '--filesystem=xfs', '--label=R']);
      expect(r.exitCode).toBe(0);
      const vf = await execa(VIRT_FILESYSTEMS!, ['--all', '--long', '--csv', '-a', img], {
        env: { ...process.env, LIBGUESTFS_BACKEND: 'direct', LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg', LC_ALL: 'C' },
        reject: false,
        timeout: 300_000,
      });
      expect(vf.exitCode, vf.stderr).toBe(0);
      const rows = vf.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      const row = (name: string, type: string) => rows.find((x) => x[0] === name && x[1] === type);
      const p = part1(img);
      const v = lvmView(img, p.offset, p.size);
      expect(row('/dev/sda', 'device')?.[5]).toBe(String(400 * MiB));
      expect(row('/dev/sda1', 'partition')?.[5]).toBe(String(p.size));
      expect(row('/dev/data', 'vg')).toBeDefined();
      expect(row('/dev/data/root', 'lv')?.[5]).toBe(String(v.lvSize));
      expect(row('/dev/data/root', 'filesystem')?.slice(2, 4)).toEqual(['xfs', 'R']);
      // (its pv row names the PV /dev/sdb1: libguestfs's appliance counts its own disk first)
      expect(rows.filter((x) => x[1] === 'pv')).toHaveLength(1);
    },
    320_000,
  );

  it('bad input: one line, non-zero exit, nothing written', async () => {
    const img = blank('h.raw', 64 * MiB);
    expect((await jf(['-a', img, '--filesystem=ext4'])).exitCode).toBe(0);
    const hash = sha(img);
    const cases: [string[], RegExp][] = [
      [['-a', join(dir, 'missing.raw')], /missing\.raw: No such file/],
      [['-a', img, '--filesystem=reiserfs'], /unknown filesystem type 'reiserfs'/],
      [['-a', img, '--filesystem=ext4', '--label=ABCDEFGHIJKLMNOPQ'], /ext4 labels are limited to 16 bytes/],
      [['-a', img, '--filesystem=xfs', '--label=ABCDEFGHIJKLM'], /xfs labels are limited to 12 bytes/],
      [['-a', img, '--lvm=/dev/VG'], /not an LV path of the form \/dev\/VG\/LV/],
      [['-a', img, '--lvm=/dev/mapper/VG-LV'], /not an LV path/],
      [['-a', img, '--filesystem=xfs'], /xfs needs at least 300 MiB/],
      [['-a', img, '--partition=dos'], /use mbr, gpt or none/],
      [['-a', img, '--label=X'], /--label needs --filesystem/],
      [['-a', img, '--create', '1G'], /exists already/],
      [['-a', join(dir, 'new.raw'), '--create', '10Q'], /unknown size suffix/],
      [['-a', img, '--bogus'], /unknown option --bogus/],
      [[], /no disk given/],
    ];
    for (const [args, msg] of cases) {
      const r = await jf(args);
      expect(r.exitCode, args.join(' ')).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
      expect(r.stderr).toMatch(/^jformat: /);
    }
    expect(sha(img)).toBe(hash);
    expect(existsSync(join(dir, 'new.raw'))).toBe(false);
  });

  it('a step that fails part-way says what was done; an image made by --create is removed', async () => {
    // a mkfs.ext4-compatible mke2fs that fails, first on PATH
    const bin = join(dir, 'failbin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'mke2fs'), '#!/bin/sh\necho "mke2fs: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, JOOT_RUN_DIR: join(dir, 'run') };
    const img = blank('k.raw', 64 * MiB);
    const r = await execa(jformat, ['-a', img, '--filesystem=ext4'], { env, reject: false, timeout: 120_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/simulated failure; done before it failed: wiped \/dev\/sda, wrote an MBR partition table with 1 partition$/);
    expect(mbrTypes(img)).toEqual([0x83]);
    const fresh = join(dir, 'k2.qcow2');
    const c = await execa(jformat, ['-a', fresh, '--create', '1G', '--filesystem=ext4'], { env, reject: false, timeout: 120_000 });
    expect(c.exitCode).toBe(1);
    expect(c.stderr).toMatch(/\(the new image was removed\)$/);
    expect(existsSync(fresh)).toBe(false);
  });

  it('refuses a disk in use: a jfish session holding it, a host block device', async () => {
    const img = blank('i.raw', 64 * MiB);
    expect((await jf(['-a', img, '--filesystem=ext4'])).exitCode).toBe(0);
    const hash = sha(img);
    const runDir = join(dir, 'run');
    const env = { ...process.env, JOOT_RUN_DIR: runDir, XDG_RUNTIME_DIR: join(dir, 'xdg') };
    execFileSync('mkdir', ['-p', join(dir, 'xdg')]);
    const listen = await execa(jfish, ['--listen', '-a', img], { env, reject: false, timeout: 60_000 });
    expect(listen.exitCode).toBe(0);
    const pid = /JFISH_PID=(\d+)/.exec(listen.stdout)![1]!;
    try {
      expect((await execa(jfish, ['--remote', 'run'], { env: { ...env, JFISH_PID: pid }, reject: false, timeout: 60_000 })).exitCode).toBe(
        0,
      );
      const r = await jf(['-a', img, '--filesystem=ext2']);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^jformat: .*i\.raw: in use by another joot session \(pid \d+, read-write\)$/m);
    } finally {
      await execa(jfish, ['--remote', 'exit'], { env: { ...env, JFISH_PID: pid }, reject: false, timeout: 60_000 });
    }
    expect(sha(img)).toBe(hash);

    const whole = blank('j.raw', 64 * MiB);
    expect((await jf(['-a', whole, '--partition=none', '--filesystem=ext4'])).exitCode).toBe(0);
    const wholeHash = sha(whole);
    const loop = sh('losetup', ['--find', '--show', whole]).trim();
    try {
      const r = await jf(['-a', loop, '--filesystem=ext4']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/is a host block device: give --force-host-device/);
      const m = mkdtempSync(join(dir, 'mnt-'));
      sh('mount', ['-o', 'ro', loop, m]);
      try {
        const r2 = await jf(['-a', loop, '--force-host-device', '--filesystem=ext4']);
        expect(r2.exitCode).not.toBe(0);
        expect(r2.stderr).toMatch(/in use by the host: .* is mounted on/);
      } finally {
        sh('umount', [m]);
      }
    } finally {
      sh('losetup', ['-d', loop]);
    }
    expect(sha(whole)).toBe(wholeHash);
  });
});
