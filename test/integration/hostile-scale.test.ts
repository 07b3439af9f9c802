// Issue 12, point 6: guest metadata must not drive unbounded work. Two hostile images built
// here the way an attacker would: a 200 MiB disk whose VG holds 2,000 tiny LVs (written with
// the real lvm2 tools: pvcreate, vgcreate, then vgcfgrestore of metadata naming 2,000 LVs; no
// device-mapper is needed or touched), plus one real root LV; and a 200 MiB btrfs with 2,000
// snapshots of a subvolume that looks like an OS root (`btrfs subvolume create`, then the kernel's
// snapshot ioctl — what `btrfs subvolume snapshot` calls — 2,000 times from python3, as 2,000
// btrfs processes would take a minute). jinspect and jfish list-filesystems must succeed while
// holding a handful of loop devices (sampled every few ms during the run), doing a bounded number
// of mounts, and leave nothing behind. Times are printed, not asserted.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, snapshot, type Snapshot } from './leftovers.js';
import { BUNDLE, JINSPECT, reportOf } from './jinspect-helpers.js';

// what this file checks is the kernel engine's (attach, mount, loop devices; exact sizes beyond
// 2^53, which the userspace readers refuse): the read-only tools' userspace default is set aside
process.env.JOOT_ENGINE = 'kernel';

const skipReason = !existsSync(BUNDLE) ? 'not built (npm run build)' : process.getuid?.() !== 0 ? 'needs root (loop devices, mounts)' : '';
if (skipReason) console.log(`skipping hostile-scale tests: ${skipReason}`);

const MiB = 1024 * 1024;
const LVS = 2000;
const SNAPSHOTS = 2000;
/** "a few" loop devices: the disk, and one LV or nothing at a time */
const MAX_LOOPS = 8;

let dir = '';
let lvImg = '';
let btrfsImg = '';
let before: Snapshot;

const LVM_CONF =
  'global{use_lvmpolld=0} devices{hints="none" obtain_device_list_from_udev=0 use_devicesfile=0} ' +
  'backup{backup=0 archive=0} activation{udev_sync=0 udev_rules=0 monitoring=0}';

function lvmArgs(dev: string): string[] {
  return ['--driverloaded', 'n', '--devices', dev, '--config', LVM_CONF];
}

function lvmUuid(): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const c = Array.from({ length: 32 }, () => abc[Math.floor(Math.random() * abc.length)]).join('');
  return [c.slice(0, 6), c.slice(6, 10), c.slice(10, 14), c.slice(14, 18), c.slice(18, 22), c.slice(22, 26), c.slice(26)].join('-');
}

function lvText(name: string, start: number, count: number): string {
  return `${name} {\nid = "${lvmUuid()}"\nstatus = ["READ", "WRITE", "VISIBLE"]\nflags = []\nsegment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = ${count}\ntype = "striped"\nstripe_count = 1\nstripes = ["pv0", ${start}]\n}\n}\n`;
}

/** A tree that inspection takes for a Debian root. */
function rootTree(at: string): void {
  for (const d of ['etc', 'bin', 'usr/bin', 'var/lib/dpkg']) mkdirSync(join(at, d), { recursive: true });
  writeFileSync(join(at, 'etc/os-release'), 'ID=debian\nVERSION_ID=12\nPRETTY_NAME="Debian GNU/Linux 12"\n');
  writeFileSync(join(at, 'etc/fstab'), '');
  writeFileSync(join(at, 'etc/hostname'), 'hostile\n');
}

/** 2,000 one-extent (64 KiB) LVs, and an 8 MiB LV `zroot` holding an ext4 Debian-like root. */
async function buildLvImage(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 200 * MiB);
  const dev = (await execa('losetup', ['--find', '--show', path])).stdout.trim();
  try {
    await execa('pvcreate', ['-q', ...lvmArgs(dev), '--metadatasize', '8m', dev]);
    await execa('vgcreate', ['-q', ...lvmArgs(dev), '-s', '64k', 'vgh', dev]);
    const backup = join(dir, 'vgh.txt');
    await execa('vgcfgbackup', ['-q', ...lvmArgs(dev), '-f', backup, 'vgh']);
    const text = readFileSync(backup, 'utf8');
    const lvs = Array.from({ length: LVS }, (_, i) => lvText(`lv${i}`, i, 1)).join('') + lvText('zroot', LVS, 128);
    const end = text.trimEnd().lastIndexOf('}');
    writeFileSync(backup, `${text.slice(0, end)}logical_volumes {\n${lvs}}\n${text.slice(end)}`);
    await execa('vgcfgrestore', ['-q', ...lvmArgs(dev), '-f', backup, 'vgh'], { reject: false });
    const peStart = Number(
      (await execa('pvs', ['--noheadings', '--units', 'b', '--nosuffix', '-o', 'pe_start', ...lvmArgs(dev), dev])).stdout.trim(),
    );
    const count = (await execa('lvs', ['--noheadings', '-o', 'lv_name', ...lvmArgs(dev), 'vgh'])).stdout.trim().split('\n').length;
    expect(count).toBe(LVS + 1);
    const tree = join(dir, 'root-tree');
    rootTree(tree);
    await execa('mkfs.ext4', ['-q', '-F', '-E', `offset=${peStart + LVS * 64 * 1024}`, '-d', tree, path, '8M']);
  } finally {
    await execa('losetup', ['-d', dev]);
  }
}

/** A btrfs whose subvolume @ looks like a root, and 2,000 snapshots of it. */
async function buildBtrfsImage(path: string): Promise<void> {
  writeFileSync(path, '');
  truncateSync(path, 200 * MiB);
  await execa('mkfs.btrfs', ['-q', '-f', path]);
  const mnt = join(dir, 'build-mnt');
  mkdirSync(mnt);
  await execa('mount', ['-o', 'loop', path, mnt]);
  try {
    await execa('btrfs', ['subvolume', 'create', join(mnt, '@')]);
    rootTree(join(mnt, '@'));
    const script = [
      'import fcntl, os, struct, sys',
      'top, n = sys.argv[1], int(sys.argv[2])',
      'd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)',
      "s = os.open(os.path.join(top, '@'), os.O_RDONLY | os.O_DIRECTORY)",
      '# BTRFS_IOC_SNAP_CREATE = _IOW(0x94, 1, struct btrfs_ioctl_vol_args { s64 fd; char name[4088]; })',
      'for i in range(n):',
      "    fcntl.ioctl(d, 0x50009401, bytearray(struct.pack('q4088s', s, b'snap%04d' % i)), True)",
    ].join('\n');
    await execa('python3', ['-c', script, mnt, String(SNAPSHOTS)]);
  } finally {
    await execa('umount', [mnt]);
    rmSync(mnt, { recursive: true });
  }
}

/** Loop devices that are ours: backed by a file under `dir`, or by such a loop device. */
function ourLoops(): number {
  let names: string[];
  try {
    names = readdirSync('/sys/block').filter((n) => n.startsWith('loop'));
  } catch {
    return 0;
  }
  const backing = new Map<string, string>();
  for (const n of names) {
    try {
      backing.set(n, readFileSync(`/sys/block/${n}/loop/backing_file`, 'utf8').trim());
    } catch {
      /* not attached */
    }
  }
  const ours = (n: string, depth = 0): boolean => {
    const b = backing.get(n);
    if (!b || depth > 4) return false;
    if (b.startsWith(`${dir}/`)) return true;
    const m = /^\/dev\/(loop\d+)(?:p\d+)?$/.exec(b);
    return !!m && ours(m[1]!, depth + 1);
  };
  return [...backing.keys()].filter((n) => ours(n)).length;
}

/** Run a command while sampling our loop devices every few ms: its result and the peak count. */
async function sampled(
  cmd: string,
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string; maxLoops: number; ms: number }> {
  let maxLoops = 0;
  const timer = setInterval(() => (maxLoops = Math.max(maxLoops, ourLoops())), 3);
  const env: NodeJS.ProcessEnv = { ...process.env, JOOT_RUN_DIR: join(dir, 'run'), LC_ALL: 'C' };
  delete env.JOOT_TMPDIR;
  delete env.JOOT_BACKEND;
  const t0 = performance.now();
  try {
    const r = await execa(cmd, args, { reject: false, env, timeout: 300_000 });
    return {
      exitCode: r.exitCode ?? -1,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
      maxLoops,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    clearInterval(timer);
  }
}

const jfish = join(JINSPECT, '..', 'jfish');

describe.skipIf(skipReason !== '')('guest metadata drives bounded work (issue 12, point 6)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'joot-hostile-scale-'));
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    before = await snapshot({ paths: [dir] });
    lvImg = join(dir, 'lvs.img');
    btrfsImg = join(dir, 'subvols.img');
    await buildLvImage(lvImg);
    await buildBtrfsImage(btrfsImg);
  }, 240_000);
  afterAll(async () => {
    if (dir) {
      await expectNoLeftovers(before);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('2,000 LVs: jinspect finds the root LV holding a few loop devices at most', async () => {
    const r = await sampled(JINSPECT, ['-v', lvImg]);
    console.log(`jinspect, ${LVS} LVs: ${r.ms} ms, at most ${r.maxLoops} loop devices`);
    const report = reportOf({ code: r.exitCode, signal: null, stdout: r.stdout, stderr: r.stderr, ms: r.ms });
    expect(report.operatingsystems.map((o) => [o.root, o.distro])).toEqual([['/dev/vgh/zroot', 'debian']]);
    expect(r.maxLoops).toBeLessThanOrEqual(MAX_LOOPS);
    // the LVs were probed as ranges of their PV: no loop device per LV
    expect(r.stderr.split('\n').filter((l) => /^joot: losetup --find/.test(l)).length).toBeLessThanOrEqual(3);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('joot: warning:'))).toEqual([
      `joot: warning: ${LVS + 1} logical volumes: only the first 64 are probed for a filesystem now, the others when used`,
    ]);
  }, 300_000);

  it('2,000 LVs: jfish lists them all and mounts one past the probe cap', async () => {
    const r = await sampled(jfish, [
      '--ro',
      '-a',
      lvImg,
      'run',
      ':',
      'list-filesystems',
      ':',
      'mount',
      '/dev/vgh/zroot',
      '/',
      ':',
      'cat',
      '/etc/hostname',
    ]);
    console.log(`jfish list-filesystems + mount, ${LVS} LVs: ${r.ms} ms, at most ${r.maxLoops} loop devices`);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('/dev/vgh/'))).toHaveLength(LVS + 1);
    expect(lines.slice(-2)).toEqual(['hostile', '']); // cat: the file's newline, then guestfish's
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.maxLoops).toBeLessThanOrEqual(MAX_LOOPS);
  }, 300_000);

  it('2,000 subvolumes that look like roots: one top-level mount to look, a bounded number of roots inspected', async () => {
    const r = await sampled(JINSPECT, ['-v', btrfsImg]);
    console.log(`jinspect, ${SNAPSHOTS} subvolumes: ${r.ms} ms, at most ${r.maxLoops} loop devices`);
    const report = reportOf({ code: r.exitCode, signal: null, stdout: r.stdout, stderr: r.stderr, ms: r.ms });
    expect(report.operatingsystems).toHaveLength(16);
    expect(report.operatingsystems.every((o) => o.distro === 'debian')).toBe(true);
    const mounts = r.stderr.split('\n').filter((l) => /^joot: mount /.test(l)).length;
    console.log(`  ${mounts} mounts`);
    // listing (1), the whole device (1), all subvolumes through the top level (1), 16 roots
    expect(mounts).toBeLessThanOrEqual(3 + 16);
    expect(r.maxLoops).toBeLessThanOrEqual(MAX_LOOPS);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('joot: warning:'))).toHaveLength(2);
  }, 300_000);

  it('2,000 subvolumes: jfish list-filesystems lists each once, by a verified name', async () => {
    const r = await sampled(jfish, ['--ro', '-a', btrfsImg, 'run', ':', 'list-filesystems']);
    console.log(`jfish list-filesystems, ${SNAPSHOTS} subvolumes: ${r.ms} ms, at most ${r.maxLoops} loop devices`);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(SNAPSHOTS + 2);
    expect(lines.slice(0, 3)).toEqual(['/dev/sda: btrfs', 'btrfsvol:/dev/sda/@: btrfs', 'btrfsvol:/dev/sda/snap0000: btrfs']);
    expect(r.maxLoops).toBeLessThanOrEqual(MAX_LOOPS);
  }, 300_000);
});
