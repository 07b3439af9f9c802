// fs-admin against real tools on a real loop device: a 10 GiB sparse file, mapped with
// losetup, made and remade with every type this host can make; each result checked with
// tools fs-admin does not use for it (blkid -p, e2fsck -n, xfs_repair -n, btrfs check,
// fsck.fat -n, ntfsfix -n, swaplabel, df). The loop device, its partitions, any mount and the
// temp dir are removed in afterAll, whatever happened.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkFilesystem,
  e2fsck,
  filesystemUsage,
  makeFilesystem,
  resize2fs,
  setLabel,
  setUuid,
  supportedMkfsTypes,
  wipeSignatures,
  zeroDevice,
  zeroStart,
  type FsType,
} from '../../src/appliance/fs-admin/index.js';
import { JootError } from '../../src/core/errors.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const have = (cmd: string) =>
  spawnSync('sh', ['-c', `command -v ${cmd}`], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0;
const CAN_RUN = process.getuid?.() === 0 && existsSync('/dev/loop-control') && ['losetup', 'blkid', 'partx', 'sfdisk', 'mount'].every(have);

/** run a command for the test's own checks (not through joot's run()) */
function sh(cmd: string, args: string[], okStatus: number[] = [0]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const status = r.status ?? -1;
  if (!okStatus.includes(status)) throw new Error(`${cmd} ${args.join(' ')} → ${status}: ${r.stderr}`);
  return { status, out: r.stdout + r.stderr };
}

// udev format for the type and uuids; the label from `-o value`, which alone prints it
// byte-exact (export format mangles non-ASCII in the C locale, udev format long labels)
function blkid(dev: string): Record<string, string> {
  const r = sh('blkid', ['-p', '-o', 'udev', dev], [0, 2]);
  const kv: Record<string, string> = {};
  for (const l of r.out.split('\n')) {
    const eq = l.indexOf('=');
    if (eq > 0) kv[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const dec = (v?: string) => {
    if (v === undefined) return undefined;
    const parts = v
      .split(/(\\x[0-9a-f]{2})/i)
      .map((p) => (/^\\x[0-9a-f]{2}$/i.test(p) ? Buffer.from([parseInt(p.slice(2), 16)]) : Buffer.from(p, 'utf8')));
    return Buffer.concat(parts).toString('utf8');
  };
  const out: Record<string, string> = {};
  const put = (k: string, v?: string) => {
    if (v !== undefined) out[k] = v;
  };
  put('TYPE', kv.ID_FS_TYPE);
  const label = sh('blkid', ['-p', '-s', 'LABEL', '-o', 'value', dev], [0, 2]).out.replace(/\n$/, '');
  if (kv.ID_FS_LABEL_ENC !== undefined) put('LABEL', label);
  put('UUID', dec(kv.ID_FS_UUID_ENC));
  put('PTTYPE', kv.ID_PART_TABLE_TYPE);
  return out;
}

/** the independent checker of each type: throws unless it finds the filesystem clean */
function independentCheck(dev: string, type: FsType): void {
  if (type.startsWith('ext')) sh('e2fsck', ['-fn', dev]);
  else if (type === 'xfs') sh('xfs_repair', ['-n', dev]);
  else if (type === 'btrfs') sh('btrfs', ['check', '--readonly', dev]);
  else if (type === 'vfat') sh('fsck.fat', ['-n', dev]);
  else if (type === 'ntfs') sh('ntfsfix', ['-n', dev]);
  else if (type === 'swap') sh('swaplabel', [dev]);
}

async function jootError(p: Promise<unknown>): Promise<JootError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof JootError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const SAMPLES: Record<FsType, { label: string; label2: string; uuid: string; uuid2: string; blkidUuid: (u: string) => string }> = {
  ext2: {
    label: 'e2',
    label2: 'sixteen-bytes-16',
    uuid: '11111111-2222-3333-4444-555555555555',
    uuid2: '21111111-2222-3333-4444-555555555555',
    blkidUuid: (u) => u,
  },
  ext3: {
    label: 'e3',
    label2: 'ext3 relabel',
    uuid: '11111111-2222-3333-4444-555555555553',
    uuid2: '21111111-2222-3333-4444-555555555553',
    blkidUuid: (u) => u,
  },
  ext4: {
    label: 'root fs',
    label2: 'ünïcode',
    uuid: '11111111-2222-3333-4444-555555555554',
    uuid2: '21111111-2222-3333-4444-555555555554',
    blkidUuid: (u) => u,
  },
  xfs: {
    label: 'data disk',
    label2: 'twelve-bytes',
    uuid: '31111111-2222-3333-4444-555555555555',
    uuid2: '41111111-2222-3333-4444-555555555555',
    blkidUuid: (u) => u,
  },
  btrfs: {
    label: 'b'.repeat(254),
    label2: 'btrfs relabel',
    uuid: '51111111-2222-3333-4444-555555555555',
    uuid2: '61111111-2222-3333-4444-555555555555',
    blkidUuid: (u) => u,
  },
  vfat: {
    label: 'EFI SYSTEM',
    label2: 'boot',
    uuid: '1234abcd',
    uuid2: 'BEEF-0042',
    blkidUuid: (u) => {
      const h = u.replace('-', '').toUpperCase();
      return `${h.slice(0, 4)}-${h.slice(4)}`;
    },
  },
  ntfs: {
    label: 'Windows 11 ü',
    label2: 'W'.repeat(128),
    uuid: '0123456789abcdef',
    uuid2: 'FEDCBA9876543210',
    blkidUuid: (u) => u.toUpperCase(),
  },
  swap: {
    label: 'swap-fifteen-15',
    label2: 'sw',
    uuid: '71111111-2222-3333-4444-555555555555',
    uuid2: '81111111-2222-3333-4444-555555555555',
    blkidUuid: (u) => u,
  },
};

describe.skipIf(!CAN_RUN)('fs-admin on a real loop device', () => {
  let dir = '';
  let img = '';
  let dev = '';
  const mounts: string[] = [];
  const timings: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joot-fsadmin-'));
    img = join(dir, 'disk.img');
    const fd = openSync(img, 'w');
    ftruncateSync(fd, 10 * GiB); // sparse
    closeSync(fd);
    dev = sh('losetup', ['--find', '--show', img]).out.trim();
  });

  afterAll(() => {
    for (const m of mounts.reverse()) spawnSync('umount', [m]);
    if (dev) {
      spawnSync('partx', ['-d', dev]);
      for (let i = 0; i < 20 && spawnSync('losetup', ['-d', dev]).status !== 0; i++) spawnSync('sleep', ['0.1']);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (timings.length) console.log(`mkfs on a 10 GiB sparse loop device:\n  ${timings.join('\n  ')}`);
    // nothing of ours is left attached
    if (img) expect(execFileSync('losetup', ['-j', img], { encoding: 'utf8' }).trim()).toBe('');
  });

  function mountAt(name: string, opts: string[] = []): string {
    const m = join(dir, name);
    mkdirSync(m, { recursive: true });
    sh('mount', [...opts, dev, m]);
    mounts.push(m);
    return m;
  }
  function umount(m: string): void {
    sh('umount', [m]);
    mounts.splice(mounts.indexOf(m), 1);
  }

  it('supportedMkfsTypes lists what this host can make', () => {
    const types = supportedMkfsTypes();
    expect(types).toEqual(expect.arrayContaining(['ext4', 'xfs', 'btrfs']));
    if (have('mkfs.fat')) expect(types).toContain('vfat');
  });

  for (const type of ['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'ntfs', 'swap'] as FsType[]) {
    it(`${type}: mkfs with label and uuid, relabel, new uuid, check`, async () => {
      if (!supportedMkfsTypes().includes(type)) return;
      const s = SAMPLES[type];
      const t0 = performance.now();
      await makeFilesystem(dev, { type, label: s.label, uuid: s.uuid });
      timings.push(`${type.padEnd(6)} ${(performance.now() - t0).toFixed(0)} ms`);
      let b = blkid(dev);
      expect(b.TYPE).toBe(type);
      expect(b.LABEL).toBe(s.label);
      expect(b.UUID).toBe(s.blkidUuid(s.uuid));
      independentCheck(dev, type);

      await setLabel(dev, type, s.label2);
      await setUuid(dev, type, s.uuid2);
      b = blkid(dev);
      if (type === 'ntfs') {
        // libblkid reads $Volume without the multi-sector fixups: a 128-character label that
        // crosses a sector boundary shows the update sequence number there; ntfslabel reads it right
        expect(sh('ntfslabel', [dev]).out.trim()).toBe(s.label2);
      } else expect(b.LABEL).toBe(s.label2);
      expect(b.UUID).toBe(s.blkidUuid(s.uuid2));
      if (type === 'swap') expect(sh('swaplabel', [dev]).out).toContain(`LABEL: ${s.label2}`);
      independentCheck(dev, type);

      if (type !== 'swap') {
        const r = await checkFilesystem(dev, type, { force: true });
        expect(r.status).toBe(0);
      }
      // clearing a label
      if (type !== 'btrfs') {
        await setLabel(dev, type, '');
        expect(blkid(dev).LABEL).toBeUndefined();
      }
    });
  }

  it('a label too long fails before anything is written', async () => {
    await makeFilesystem(dev, { type: 'ext4', label: 'keep' });
    const e = await jootError(makeFilesystem(dev, { type: 'xfs', label: 'thirteen-byte' }));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe(`xfs labels are limited to 12 bytes ('thirteen-byte' has 13)`);
    const e2 = await jootError(setLabel(dev, 'ext4', 'seventeen-bytes-x'));
    expect(e2.message).toMatch(/limited to 16 bytes/);
    expect(blkid(dev)).toMatchObject({ TYPE: 'ext4', LABEL: 'keep' });
    expect((await jootError(setUuid(dev, 'ext4', 'not-a-uuid'))).code).toBe('EINVAL');
  });

  it('fsck and e2fsck: clean, damaged, repaired', async () => {
    await makeFilesystem(dev, { type: 'ext4' });
    sh('debugfs', ['-w', '-R', 'clri <11>', dev]); // lost+found's inode: / now names a free inode
    expect((await checkFilesystem(dev, 'ext4')).status).toBe(0); // marked clean: not looked at
    const damaged = await checkFilesystem(dev, 'ext4', { force: true });
    expect(damaged.status).toBe(4);
    const e = await jootError(e2fsck(dev));
    expect(e.code).toBe('ECMD');
    expect(e.message).toMatch(/^e2fsck/);
    expect(e.message).toContain(dev);
    expect(e.message).not.toContain('\n');
    expect(await e2fsck(dev, { correct: true })).toBe(1);
    expect(await e2fsck(dev)).toBe(0);
    sh('e2fsck', ['-fn', dev]);
  });

  it('resize2fs: shrink to a size, to the minimum, grow to fill', async () => {
    await makeFilesystem(dev, { type: 'ext4' });
    const blocks = () => Number(/Block count:\s+(\d+)/.exec(sh('dumpe2fs', ['-h', dev]).out)?.[1]);
    await resize2fs(dev, { size: 512 * MiB });
    expect(blocks()).toBe((512 * MiB) / 4096);
    await resize2fs(dev, { size: 'min' });
    expect(blocks()).toBeLessThan((512 * MiB) / 4096);
    await resize2fs(dev);
    expect(blocks()).toBe((10 * GiB) / 4096);
    sh('e2fsck', ['-fn', dev]);
  });

  it('filesystemUsage agrees with df', async () => {
    await makeFilesystem(dev, { type: 'ext4' });
    const m = mountAt('mnt');
    try {
      const u = await filesystemUsage(m);
      const [size, used, avail] = sh('df', ['-B1', '--output=size,used,avail', m])
        .out.trim()
        .split('\n')[1]!
        .trim()
        .split(/\s+/)
        .map(BigInt);
      expect([u.size, u.used, u.available]).toEqual([size, used, avail]);
      expect(u.files).toBeGreaterThan(0n);
    } finally {
      umount(m);
    }
    expect((await jootError(filesystemUsage(join(dir, 'nowhere')))).code).toBe('EIO');
  });

  it('a mounted device: one-line error naming the device', async () => {
    await makeFilesystem(dev, { type: 'ext4' });
    const m = mountAt('busy');
    try {
      const e = await jootError(makeFilesystem(dev, { type: 'xfs' }));
      expect(['EBUSY', 'ECMD']).toContain(e.code);
      expect(e.message).toMatch(/^mkfs\.xfs/);
      expect(e.message).toContain(dev);
      expect(e.message).not.toContain('\n');
      const z = await jootError(zeroDevice(dev));
      expect(z.code).toBe('EBUSY');
      expect(z.message).toBe(`${dev} is mounted: unmount it before zeroing ${dev}`);
    } finally {
      umount(m);
    }
  });

  it('wipeSignatures on a partitioned disk: partitions first, then the table', async () => {
    const r = spawnSync('sfdisk', ['-q', dev], { input: 'label: gpt\nsize=1G\nsize=1G\n', encoding: 'utf8' });
    expect(r.status === 0 || /Re-reading the partition table failed/.test(r.stderr)).toBe(true);
    sh('partx', ['-a', dev]);
    try {
      await makeFilesystem(`${dev}p1`, { type: 'ext4', label: 'p1' });
      await makeFilesystem(`${dev}p2`, { type: 'xfs', label: 'p2' });
      expect(blkid(dev).PTTYPE).toBe('gpt');
      await wipeSignatures(dev);
      expect(blkid(dev)).toEqual({});
      expect(blkid(`${dev}p1`).TYPE).toBeUndefined();
      expect(blkid(`${dev}p2`).TYPE).toBeUndefined();
    } finally {
      sh('partx', ['-d', dev], [0, 1]);
    }
    // the backup GPT header at the end went too: a new table of the same layout finds nothing old
    const tail = Buffer.alloc(512);
    const fd = openSync(dev, 'r');
    readSync(fd, tail, 0, 512, 10 * GiB - 512);
    closeSync(fd);
    expect(tail.subarray(0, 8).toString('latin1')).not.toBe('EFI PART');
  });

  it('zeroStart: the head and the last MiB (GPT backup header)', async () => {
    spawnSync('sfdisk', ['-q', dev], { input: 'label: gpt\nsize=1G\n', encoding: 'utf8' });
    const read = (off: number, n: number) => {
      const b = Buffer.alloc(n);
      const fd = openSync(dev, 'r');
      readSync(fd, b, 0, n, off);
      closeSync(fd);
      return b;
    };
    expect(read(10 * GiB - 512, 8).toString('latin1')).toBe('EFI PART');
    await zeroStart(dev, MiB);
    expect(blkid(dev).PTTYPE).toBeUndefined();
    expect(read(0, MiB).every((x) => x === 0)).toBe(true);
    expect(read(10 * GiB - MiB, MiB).every((x) => x === 0)).toBe(true);
    expect((await jootError(zeroStart(dev, -1))).code).toBe('EINVAL');
  });

  it('zeroDevice: all zeros, and the backing file sparse again', async () => {
    await makeFilesystem(dev, { type: 'ext4' });
    const fd = openSync(dev, 'r+');
    const junk = Buffer.alloc(8 * MiB, 0xa5);
    writeSync(fd, junk, 0, junk.length, 3 * GiB);
    closeSync(fd);
    sh('sync', []);
    expect(statSync(img).blocks * 512).toBeGreaterThan(8 * MiB);
    const t0 = performance.now();
    await zeroDevice(dev);
    timings.push(`zeroDevice ${(performance.now() - t0).toFixed(0)} ms`);
    expect(blkid(dev)).toEqual({});
    const back = Buffer.alloc(8 * MiB);
    const fd2 = openSync(dev, 'r');
    readSync(fd2, back, 0, back.length, 3 * GiB);
    closeSync(fd2);
    expect(back.every((x) => x === 0)).toBe(true);
    expect(statSync(img).blocks * 512).toBeLessThan(MiB);
  });
});
