// Session integration tests, changing the layout (layout/editor.ts): partition tables with
// sfdisk, LVM metadata with the lvm tools scoped to the session's devices, and the session's
// view (partitions, PVs, LVs) following each change. Checked from outside with sfdisk --json
// and lvm on the image after close. Real images, no mocks; the host is checked afterwards.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN, expectJootError, Harness, MiB } from './session-helpers.js';

const h = new Harness('layout');

function blank(name: string, size: number): string {
  const f = path.join(h.dir, name);
  writeFileSync(f, '');
  execFileSync('truncate', ['-s', String(size), f]);
  return f;
}

/** sfdisk --json of an image file (through a short-lived loop device, read-only). */
function sfdiskJson(file: string): {
  label: string;
  partitions: { node: string; start: number; size: number; type: string; bootable?: boolean; name?: string }[];
} {
  const out = execFileSync('sfdisk', ['--json', file], { encoding: 'utf8' });
  return JSON.parse(out).partitiontable;
}

describe.skipIf(!CAN_RUN)('Session: changing the layout', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('part-init, part-add, part-del, bootable, names and types on MBR and GPT', async () => {
    const img = blank('parts.raw', 64 * MiB);
    const s = await h.open([[img, {}]]);
    const L = s.layout;
    await L.partInit('/dev/sda', 'mbr');
    expect(s.listPartitions()).toEqual([]);
    expect(await L.partGetParttype('/dev/sda')).toBe('msdos');
    expect(await L.partAdd('/dev/sda', 'p', 2048, 20479)).toBe(1);
    expect(await L.partAdd('/dev/sda', 'e', 20480, -1)).toBe(2);
    expect(await L.partAdd('/dev/sda', 'l', 22528, 40959)).toBe(5);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda5']);
    expect(await L.partList('/dev/sda')).toEqual([
      { number: 1, start: 2048n * 512n, end: 20480n * 512n - 1n, size: 18432n * 512n },
      { number: 2, start: 20480n * 512n, end: 64n * 1024n * 1024n - 1n, size: 64n * 1024n * 1024n - 20480n * 512n },
      { number: 5, start: 22528n * 512n, end: 40960n * 512n - 1n, size: 18432n * 512n },
    ]);
    await L.partSetBootable('/dev/sda', 1, true);
    await L.partSetMbrId('/dev/sda', 1, 0x8e);
    expect(await L.partGetBootable('/dev/sda', 1)).toBe(true);
    expect(await L.partGetMbrId('/dev/sda', 1)).toBe(0x8e);
    await L.partDel('/dev/sda', 5);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2']);
    await expectJootError(L.partDel('/dev/sda', 7), 'ENOENT', [/partition 7 does not exist/]);
    await expectJootError(L.partSetName('/dev/sda', 1, 'x'), 'EINVAL', [/only on GPT/]);
    await expectJootError(L.partInit('/dev/sda1', 'gpt'), 'EINVAL', [/not a whole disk/]);

    await L.partDisk('/dev/sda', 'gpt');
    expect(s.listPartitions()).toEqual(['/dev/sda1']);
    await L.partSetName('/dev/sda', 1, 'data');
    expect(await L.partGetName('/dev/sda', 1)).toBe('data');
    expect(await L.blockdevGetsize64('/dev/sda')).toBe(BigInt(64 * MiB));
    const [p1] = await L.partList('/dev/sda');
    expect(p1!.start).toBe(BigInt(128 * 512)); // guestfish's part-disk: sector 128
    expect(await L.blockdevGetsize64('/dev/sda1')).toBe(p1!.size);
    await s.close();

    const t = sfdiskJson(img);
    expect(t.label).toBe('gpt');
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]).toMatchObject({ start: 128, name: 'data', type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' });
    expect(
      readdirSync('/dev').filter((d) => /^loop\d+p\d+$/.test(d) && !readdirSync('/sys/block').includes(d.replace(/p\d+$/, ''))),
    ).toEqual([]);
  });

  it('pvcreate, vgcreate, lvcreate: mapped at once and readable by lvm afterwards', async () => {
    const img = blank('lvm.raw', 128 * MiB);
    const s = await h.open([[img, {}]]);
    const L = s.layout;
    await L.partDisk('/dev/sda', 'mbr');
    await L.partSetTypeFor('/dev/sda1', 'lvm');
    await L.pvcreate('/dev/sda1');
    expect(await s.vfsType('/dev/sda1')).toBe('LVM2_member');
    await L.vgcreate('VG', ['/dev/sda1']);
    expect(s.vgs()).toEqual(['VG']);
    await L.lvcreate('small', 'VG', { bytes: 16 * MiB });
    await L.lvcreate('rest', 'VG', { percentFree: 100 });
    h.remember();
    expect(s.lvs()).toEqual(['/dev/VG/rest', '/dev/VG/small']);
    expect(s.lvsFull().find((l) => l.lv === 'small')!.size).toBe(16 * MiB);
    expect(await L.blockdevGetsize64('/dev/VG/small')).toBe(BigInt(16 * MiB));
    await expectJootError(L.vgcreate('VG', ['/dev/sda1']), 'EINVAL', [/exists already/]);
    await expectJootError(L.lvcreate('bad/name', 'VG', { bytes: MiB }), 'EINVAL', [/not a valid LV name/]);
    await expectJootError(L.lvcreate('x', 'NOVG', { bytes: MiB }), 'ENOENT', [/NOVG: no such volume group/]);
    await L.lvremove('/dev/VG/rest');
    expect(s.lvs()).toEqual(['/dev/VG/small']);
    h.remember();
    await s.close();

    expect(sfdiskJson(img).partitions[0]!.type).toBe('8e');
    // read back with lvm itself, on a read-only loop of the result
    const loop = execFileSync('losetup', ['--find', '--show', '--read-only', '--partscan', img], { encoding: 'utf8' }).trim();
    try {
      execFileSync('partx', ['-a', loop], { stdio: 'ignore' });
      const rep = execFileSync(
        'lvm',
        [
          'lvs',
          '--devices',
          `${loop}p1`,
          '--readonly',
          '--driverloaded',
          'n',
          '--noheadings',
          '--units',
          'b',
          '--nosuffix',
          '-o',
          'vg_name,lv_name,lv_size',
          '--config',
          'devices{use_devicesfile=0}',
        ],
        { encoding: 'utf8', env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(rep.trim().split(/\s+/)).toEqual(['VG', 'small', String(16 * MiB)]);
      execFileSync(
        'lvm',
        [
          'vgck',
          '--devices',
          `${loop}p1`,
          '--driverloaded',
          'n',
          '--config',
          'devices{use_devicesfile=0} backup{backup=0 archive=0}',
          'VG',
        ],
        {
          env: { ...process.env, LVM_SUPPRESS_FD_WARNINGS: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } finally {
      execFileSync('partx', ['-d', loop]);
      execFileSync('losetup', ['-d', loop]);
    }
  });

  it('two disks whose VGs share a name: each keeps its LV, the second as /dev/VG@sdb/LV, each formatted through its own name', async () => {
    const disks = [blank('dup1.raw', 32 * MiB), blank('dup2.raw', 32 * MiB)];
    for (const img of disks) {
      const s = await h.open([[img, {}]]);
      await s.layout.pvcreate('/dev/sda');
      await s.layout.vgcreate('VG', ['/dev/sda']);
      await s.layout.lvcreate('LV', 'VG', { percentFree: 100 });
      h.remember();
      await s.close();
    }
    const s = await h.open(disks.map((d): [string, object] => [d, {}]));
    expect(s.vgs()).toEqual(['VG', 'VG@sdb']);
    expect(s.lvs()).toEqual(['/dev/VG/LV', '/dev/VG@sdb/LV']);
    expect(s.lvsFull().map((l) => [l.name, l.vg, l.unavailable])).toEqual([
      ['/dev/VG/LV', 'VG', undefined],
      ['/dev/VG@sdb/LV', 'VG@sdb', undefined],
    ]);
    expect(s.pvsFull().map((p) => [p.name, p.vg])).toEqual([
      ['/dev/sda', 'VG'],
      ['/dev/sdb', 'VG@sdb'],
    ]);
    await s.layout.mkfs('/dev/VG@sdb/LV', { type: 'ext4', label: 'second' });
    await s.layout.mkfs('/dev/mapper/VG-LV', { type: 'ext4', label: 'first' });
    expect(await s.vfsLabel('/dev/VG@sdb/LV')).toBe('second');
    expect(await s.vfsLabel('/dev/VG/LV')).toBe('first');
  });

  it('refuses changes to a read-only drive and to a disk with something mounted', async () => {
    const ro = await h.open([await h.image('mbr.raw')]);
    await expectJootError(ro.layout.partDel('/dev/sda', 1), 'EPERM', [/read-only/]);
    await ro.close();
    const img = await h.image('mbr.raw', 'copy');
    const s = await h.open([[img, {}]]);
    await s.mount('/dev/sda1', '/');
    await expectJootError(s.layout.partInit('/dev/sda', 'gpt'), 'EBUSY', [/\/dev\/sda1 is mounted on \//]);
    await expectJootError(s.layout.pvcreate('/dev/sda1'), 'EBUSY', [/mounted/]);
    // a change elsewhere on the disk is fine once nothing of it is mounted
    await s.umount('/');
    await s.layout.partDel('/dev/sda', 7);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda5', '/dev/sda6']);
    const fh = await open(img, 'r');
    await fh.close();
  });
});
