// Integration test of src/appliance/lvm.ts on real loop devices, no mocks: a GPT disk image with
// two partitions holding VG vg0 (root: linear, one segment; split: linear, two segments; striped:
// two stripes), scanned with scanLvm, planned with planLv, and the root LV opened as a loop device
// at the planned byte range and formatted. Every loop device made here is detached in afterAll,
// LV loops first, then the disks, and the test checks that none is left.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  closeSync,
  fsyncSync,
  rmSync,
  copyFileSync,
  readdirSync,
  readFileSync,
  writeSync,
  constants as fsc,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/core/run.js';
import { scanLvm, planLv, toPublic, hostHasDeviceMapper, type LvmScan } from '../../src/appliance/lvm.js';

const MiB = 1024 * 1024;

function haveCommand(cmd: string): boolean {
  return ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(path.join(d, cmd)));
}
const canRun =
  process.getuid?.() === 0 &&
  ['lvm', 'losetup', 'sfdisk', 'partx', 'mkfs.ext4', 'blkid'].every(haveCommand) &&
  existsSync('/dev/loop-control');

// LVM commands that build the fixture: scoped to our devices, never touching device-mapper or the
// host's /etc/lvm (a private empty LVM_SYSTEM_DIR; no backup/archive files), and the VG marked
// not to be autoactivated, so a host whose udev runs pvscan on new PVs leaves it alone.
let lvmDir = '';
async function lvm(devices: string[], ...args: string[]): Promise<string> {
  const scope = devices.flatMap((d) => ['--devices', d]);
  const r = await run(
    'lvm',
    [...args, '--driverloaded', 'n', ...scope, '--config', 'backup{backup=0 archive=0} devices{use_devicesfile=0 hints="none"}'],
    {
      env: { LVM_SYSTEM_DIR: lvmDir },
    },
  );
  return r.stdout;
}

// Everything attached, in order; released in reverse.
const loops: string[] = [];
const disks: string[] = [];
const dmNames: string[] = [];
let tmp = '';

async function attach(args: string[]): Promise<string> {
  const dev = (await run('losetup', ['-f', '--show', ...args])).stdout.trim();
  loops.push(dev);
  return dev;
}

/** The kernel's partitions of `disk` ("start size" in sectors by number), from sysfs. */
function kernelPartitions(disk: string): Map<number, string> {
  const base = path.basename(disk);
  const m = new Map<number, string>();
  for (const n of readdirSync(`/sys/block/${base}`)) {
    const k = new RegExp(`^${base}p(\\d+)$`).exec(n);
    if (!k) continue;
    const rd = (f: string) => readFileSync(`/sys/block/${base}/${n}/${f}`, 'utf8').trim();
    m.set(Number(k[1]), `${rd('start')} ${rd('size')}`);
  }
  return m;
}

/**
 * Attach a disk image and make its partition devices appear: the kernel's parser does it where
 * there is one; here `partx -a` must. A loop device detached without `partx -d` keeps its
 * partitions on this kernel, and the next image attached to it inherits them (measured; and
 * `partx -u` then leaves a mix of old and new), so unless the kernel's partitions are exactly
 * the on-disk table's, drop them all and add the table's.
 */
async function attachDisk(image: string): Promise<[string, string]> {
  const disk = await attach(['-P', image]);
  disks.push(disk);
  const table = new Map<number, string>();
  for (const line of (await run('partx', ['-g', '-o', 'NR,START,SECTORS', disk])).stdout.trim().split('\n')) {
    const [nr, start, size] = line.trim().split(/\s+/);
    table.set(Number(nr), `${start} ${size}`);
  }
  const same = (a: Map<number, string>) => a.size === table.size && [...table].every(([k, v]) => a.get(k) === v);
  if (!same(kernelPartitions(disk))) {
    await run('partx', ['-d', disk], { allowFailure: true });
    await run('partx', ['-a', disk]);
  }
  expect(same(kernelPartitions(disk))).toBe(true);
  const parts: [string, string] = [`${disk}p1`, `${disk}p2`];
  for (let i = 0; i < 50 && !parts.every((p) => existsSync(p)); i++) await new Promise((r) => setTimeout(r, 20));
  expect(parts.every((p) => existsSync(p))).toBe(true);
  return parts;
}

function readAt(dev: string, offset: number, length: number): Buffer {
  const fd = openSync(dev, fsc.O_RDONLY);
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

async function listLoops(): Promise<{ name: string; back: string }[]> {
  const r = await run('losetup', ['-l', '-n', '--raw', '-O', 'NAME,BACK-FILE']);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, ...back] = l.trim().split(' ');
      return { name: name!, back: back.join(' ') };
    });
}

let image = '';
let pvs: [string, string] = ['', ''];
let extentSize = 0;

describe.skipIf(!canRun)('lvm on real loop devices', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'joot-lvm-it-'));
    lvmDir = path.join(tmp, 'lvm-system-dir');
    image = path.join(tmp, 'disk.img');
    await run('truncate', ['-s', '128M', image]);
    // GPT: a 60 MiB partition and the rest.
    await run('sfdisk', ['-q', image], { input: 'label: gpt\n,60M\n,\n' });
    pvs = await attachDisk(image);
    await lvm(pvs, 'pvcreate', '-q', ...pvs);
    await lvm(pvs, 'vgcreate', '-q', '--setautoactivation', 'n', 'vg0', ...pvs);
    const lvc = (...a: string[]) => lvm(pvs, 'lvcreate', '-q', '-an', '-Zn', '--yes', ...a, 'vg0');
    await lvc('-n', 'root', '-L', '16M');
    await lvc('-n', 'split', '-L', '8M');
    await lvc('-n', 'filler', '-L', '4M');
    await lvm(pvs, 'lvextend', '-q', '-L', '+8M', 'vg0/split');
    await lvm(pvs, 'lvremove', '-q', '-y', 'vg0/filler');
    await lvc('-n', 'striped', '-i', '2', '-I', '64k', '-L', '16M');
    extentSize = Number((await lvm(pvs, 'vgs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'vg_extent_size', 'vg0')).trim());
  });

  afterAll(async () => {
    const errors: string[] = [];
    for (const name of dmNames.reverse()) {
      await run('dmsetup', ['remove', '--retry', name]).catch((e: unknown) => errors.push(String(e)));
    }
    // LV loops first (they sit on the disks' partitions), then the disks.
    for (const dev of [...loops].reverse()) {
      if (disks.includes(dev)) await run('partx', ['-d', dev], { allowFailure: true });
      await run('losetup', ['-d', dev]).catch((e: unknown) => errors.push(String(e)));
    }
    // Nothing of ours may be left attached: no loop over our files or our partitions.
    const ours = (await listLoops()).filter(
      (l) =>
        l.back.startsWith(tmp) ||
        disks.some((d) => l.back.startsWith(`${d}p`)) ||
        (loops.includes(l.name) && l.back.includes('joot-lvm-it-')),
    );
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (ours.length) errors.push(`loop devices left behind: ${ours.map((l) => `${l.name} (${l.back})`).join(', ')}`);
    if (errors.length) throw new Error(errors.join('; '));
  });

  let scan: LvmScan;

  it('scans the guest VG in one lvm process, seeing only the given devices', async () => {
    const t0 = performance.now();
    scan = await scanLvm(pvs);
    const ms = performance.now() - t0;
    const warm: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await scanLvm(pvs);
      warm.push(performance.now() - t);
    }
    warm.sort((x, y) => x - y);
    console.log(`scanLvm(${pvs.join(', ')}): first ${ms.toFixed(1)} ms, then median ${warm[3]!.toFixed(1)} ms (one lvm process each)`);
    expect(scan.vgs.map((v) => v.name)).toEqual(['vg0']);
    expect(scan.vgs[0]!.extentSize).toBe(extentSize);
    expect(scan.pvs.map((p) => p.device).sort()).toEqual([...pvs].sort());
    expect(scan.lvs.map((l) => l.name).sort()).toEqual(['root', 'split', 'striped']);
    expect(scan.lvs.find((l) => l.name === 'split')!.segments).toHaveLength(2);
    const st = scan.lvs.find((l) => l.name === 'striped')!;
    expect(st.segments[0]).toMatchObject({ segtype: 'striped', stripes: 2, stripeSize: 64 * 1024 });
    // every area is on one of our devices
    for (const l of scan.lvs) for (const s of l.segments) for (const a of s.areas) expect(pvs).toContain(a.pvDevice);
  });

  it('plans root as a loop at LVM’s own offset; split and striped by what the host can do', async () => {
    // Where LVM says root's extents are, asked independently of the scan.
    const peStart = Number((await lvm(pvs, 'pvs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'pe_start', pvs[0])).trim());
    const ranges = (await lvm(pvs, 'lvs', '--noheadings', '--segments', '-o', 'seg_pe_ranges', 'vg0/root')).trim();
    const m = /^(\S+):(\d+)-(\d+)$/.exec(ranges);
    expect(m, ranges).not.toBeNull();
    expect(m![1]).toBe(pvs[0]);
    const plan = planLv(scan, 'vg0', 'root', { hasDeviceMapper: false });
    expect(plan).toEqual({ kind: 'loop', device: pvs[0], offset: peStart + Number(m![2]) * extentSize, size: 16 * MiB });
    expect(planLv(scan, 'vg0', 'root', { hasDeviceMapper: true })).toEqual(plan);

    const dm = hostHasDeviceMapper();
    const split = planLv(scan, 'vg0', 'split', { hasDeviceMapper: dm });
    const striped = planLv(scan, 'vg0', 'striped', { hasDeviceMapper: dm });
    if (dm) {
      expect(split.kind).toBe('dm');
      expect(striped.kind).toBe('dm');
    } else {
      expect(split).toEqual({
        kind: 'unavailable',
        reason: '/dev/vg0/split: linear LV in 2 segments needs device-mapper, which this host lacks',
      });
      expect(striped).toEqual({
        kind: 'unavailable',
        reason: '/dev/vg0/striped: striped LV (2 stripes) needs device-mapper, which this host lacks',
      });
    }
    const pub = toPublic(scan, (d) => (d === pvs[0] ? '/dev/sda1' : d === pvs[1] ? '/dev/sda2' : d));
    expect(pub.lvs.map((l) => l.name)).toEqual(['/dev/vg0/root', '/dev/vg0/split', '/dev/vg0/striped']);
    expect(pub.vgs[0]!.pvs).toEqual(['/dev/sda1', '/dev/sda2']);
    expect(pub.lvs[0]!.unavailable).toBeUndefined();
  });

  it('opens root through a loop device: mkfs lands where LVM says, metadata stays intact', async () => {
    const plan = planLv(scan, 'vg0', 'root', { hasDeviceMapper: false });
    if (plan.kind !== 'loop') throw new Error('expected a loop plan');
    const lvLoop = await attach(['--offset', String(plan.offset), '--sizelimit', String(plan.size), plan.device]);
    const size = Number((await run('blockdev', ['--getsize64', lvLoop])).stdout.trim());
    expect(size).toBe(plan.size);
    await run('mkfs.ext4', ['-q', '-F', '-L', 'joot-root', '-E', 'nodiscard', lvLoop]);
    // blkid through the LV loop
    const probe = (await run('blkid', ['-p', '-o', 'export', lvLoop])).stdout;
    expect(probe).toMatch(/^TYPE=ext4$/m);
    expect(probe).toMatch(/^LABEL=joot-root$/m);
    // …and straight from the PV at LVM's offset: the ext4 superblock magic (0xEF53 at 1024+56)
    expect(readAt(plan.device, plan.offset + 1024 + 56, 2).readUInt16LE(0)).toBe(0xef53);
    const atOffset = (await run('blkid', ['-p', '-o', 'export', '--offset', String(plan.offset), plan.device])).stdout;
    expect(atOffset).toMatch(/^LABEL=joot-root$/m);
    // nothing was written past the LV: the next extents (split's) are still zero
    expect(readAt(plan.device, plan.offset + plan.size, 1 * MiB).every((b) => b === 0)).toBe(true);
    // LVM metadata is still fine
    await lvm(pvs, 'vgck', 'vg0');
    const lvs = await lvm(pvs, 'lvs', '--noheadings', '-o', 'lv_name,lv_size', '--units', 'b', '--nosuffix', 'vg0');
    expect(
      lvs
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/)),
    ).toEqual([
      ['root', String(16 * MiB)],
      ['split', String(16 * MiB)],
      ['striped', String(16 * MiB)],
    ]);
    // and a new scan sees the same thing
    const again = await scanLvm(pvs);
    expect(again.lvs.map((l) => [l.name, l.size])).toEqual(scan.lvs.map((l) => [l.name, l.size]));
    // the LV loop shows up in the scan of neither (an ext4 is not a PV)
    expect((await scanLvm([lvLoop])).vgs).toEqual([]);
  });

  it.skipIf(!hostHasDeviceMapper() || !haveCommand('dmsetup'))('maps split through device-mapper at LVM’s extents', async () => {
    const plan = planLv(scan, 'vg0', 'split', { hasDeviceMapper: true });
    if (plan.kind !== 'dm') throw new Error('expected a dm plan');
    const name = `joot-test-${process.pid}-split`;
    await run('dmsetup', ['create', name, '--readonly'], { input: plan.table });
    dmNames.push(name);
    const dev = `/dev/mapper/${name}`;
    expect(Number((await run('blockdev', ['--getsize64', dev])).stdout.trim())).toBe(16 * MiB);
    // write a marker into the second segment's first extent on the PV; read it through dm
    const ranges = (await lvm(pvs, 'lvs', '--noheadings', '--segments', '-o', 'seg_start_pe,seg_pe_ranges', 'vg0/split'))
      .trim()
      .split('\n');
    const second = /(\d+)\s+(\S+):(\d+)-\d+/.exec(ranges[1]!.trim())!;
    const peStart = Number((await lvm(pvs, 'pvs', '--noheadings', '--units', 'b', '--nosuffix', '-o', 'pe_start', second[2]!)).trim());
    const marker = Buffer.from('joot-split-marker');
    const fd = openSync(second[2]!, fsc.O_WRONLY);
    try {
      writeSync(fd, marker, 0, marker.length, peStart + Number(second[3]) * extentSize);
      // device-mapper reads the PV below its page cache: the marker must reach the device first
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await run('blockdev', ['--flushbufs', dev]);
    expect(readAt(dev, Number(second[1]) * extentSize, marker.length).toString()).toBe(marker.toString());
  });

  it('two copies of the image (same VG name and UUIDs) scanned in parallel each see only their own devices', async () => {
    const copy = path.join(tmp, 'copy.img');
    copyFileSync(image, copy);
    const other = await attachDisk(copy);
    const [a, b] = await Promise.all([scanLvm(pvs), scanLvm(other)]);
    for (const [s, mine, theirs] of [
      [a, pvs, other],
      [b, other, pvs],
    ] as const) {
      expect(s.vgs.map((v) => [v.name, v.uuid])).toEqual(scan.vgs.map((v) => [v.name, v.uuid]));
      expect(s.pvs.map((p) => p.device).sort()).toEqual([...mine].sort());
      const areas = s.lvs.flatMap((l) => l.segments.flatMap((g) => g.areas.map((x) => x.pvDevice)));
      expect(areas.length).toBeGreaterThan(0);
      for (const dev of areas) {
        expect(mine).toContain(dev);
        expect(theirs).not.toContain(dev);
      }
      const root = planLv(s, 'vg0', 'root', { hasDeviceMapper: false });
      expect(root).toMatchObject({ kind: 'loop', device: mine[0] });
    }
    // The copy's root holds the same filesystem, read at the copy's own planned offset.
    const rootB = planLv(b, 'vg0', 'root', { hasDeviceMapper: false });
    if (rootB.kind !== 'loop') throw new Error('expected a loop plan');
    expect((await run('blkid', ['-p', '-o', 'export', '--offset', String(rootB.offset), rootB.device])).stdout).toMatch(
      /^LABEL=joot-root$/m,
    );
  });
});
