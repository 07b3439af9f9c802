// Session integration tests, partitions: MBR with an extended partition and logical ones
// (mbr.raw), GPT (gpt.raw), a whole-disk filesystem without a table (dirty.raw), and two drives
// in one session. Starts, sizes, types, UUIDs and names are checked against the fixture contract
// (test/fixtures/README.md). Real images, no mocks; every session is closed in afterEach and the
// host is checked to be as it was.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CAN_RUN,
  expectJootError,
  GPT_FILESYSTEMS,
  GPT_PARTITIONS,
  Harness,
  MBR_FILESYSTEMS,
  MBR_PARTITIONS,
  MiB,
  onDrive,
  upperIds,
} from './session-helpers.js';

const h = new Harness('partitions');

describe.skipIf(!CAN_RUN)('Session: partitions', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it('mbr.raw: primary, extended and logical partitions as in the contract', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    expect(s.listDevices()).toEqual(['/dev/sda']);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda5', '/dev/sda6', '/dev/sda7']);
    const parts = s.partitions();
    expect(parts).toMatchObject(MBR_PARTITIONS);
    // only the container is marked extended; MBR partitions have no names
    expect(parts.filter((p) => p.extended).map((p) => p.name)).toEqual(['/dev/sda2']);
    for (const p of parts) expect(p.label, p.name).toBeUndefined();
    // the logical partitions lie inside the extended one
    const ext = parts.find((p) => p.extended)!;
    for (const p of parts.filter((x) => x.number >= 5)) {
      expect(p.start).toBeGreaterThan(ext.start);
      expect(p.start + p.size).toBeLessThanOrEqual(ext.start + ext.size);
    }
  });

  it('mbr.raw: list-filesystems skips the extended partition and shows swap', async () => {
    const s = await h.open([await h.image('mbr.raw')]);
    expect(s.filesystems()).toEqual(MBR_FILESYSTEMS);
    expect([...s.listFilesystems()]).toEqual([
      ['/dev/sda1', 'ext4'],
      ['/dev/sda5', 'ext2'],
      ['/dev/sda6', 'swap'],
      ['/dev/sda7', 'ext4'],
    ]);
    // the extended container has no filesystem and cannot be mounted
    await expectJootError(s.mount('/dev/sda2', '/'), 'EINVAL', ['/dev/sda2']);
    expect(s.mountpoints()).toEqual([]);
  });

  it('gpt.raw: four partitions with GUIDs, types and names as in the contract', async () => {
    const s = await h.open([await h.image('gpt.raw')]);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda3', '/dev/sda4']);
    const parts = s.partitions();
    expect(parts.map(upperIds)).toEqual(GPT_PARTITIONS.map((p) => ({ ...p, disk: '/dev/sda', scheme: 'gpt', extended: undefined })));
    expect(s.filesystems()).toEqual(GPT_FILESYSTEMS);
  });

  it('lvm.raw: GPT partitions, the PVs typed Linux LVM', async () => {
    const s = await h.open([await h.image('lvm.raw')]);
    expect(s.partitions().map((p) => [p.name, p.start, p.size, p.label, p.type.toUpperCase(), p.uuid?.toUpperCase()])).toEqual([
      ['/dev/sda1', 1 * MiB, 32 * MiB, 'boot', '0FC63DAF-8483-4772-8E79-3D69D8477DE4', '1A7DAAAA-0000-4000-8000-000000000001'],
      ['/dev/sda2', 33 * MiB, 100 * MiB, 'pv0', 'E6D6D379-F507-44C2-A23C-238F2A3DF928', '1A7DAAAA-0000-4000-8000-000000000002'],
      ['/dev/sda3', 133 * MiB, 100 * MiB, 'pv1', 'E6D6D379-F507-44C2-A23C-238F2A3DF928', '1A7DAAAA-0000-4000-8000-000000000003'],
    ]);
  });

  it('dirty.raw: a whole-disk filesystem is /dev/sda, with no partitions', async () => {
    const s = await h.open([await h.image('dirty.raw')]);
    expect(s.listDevices()).toEqual(['/dev/sda']);
    expect(s.listPartitions()).toEqual([]);
    expect(s.partitions()).toEqual([]);
    expect(s.filesystems()).toEqual([{ name: '/dev/sda', type: 'ext4', label: 'dirty', uuid: 'd1d1d1d1-0000-4000-8000-000000000001' }]);
    expect(await s.vfsType('/dev/sda')).toBe('ext4');
    await s.mount('/dev/sda', '/');
    expect((await s.readFile('/dirty.txt')).toString()).toBe('dirty\n');
    // and there are no partition devices on it
    await expectJootError(s.mount('/dev/sda1', '/files'), 'ENOENT', ['/dev/sda1']);
  });

  it('two drives: /dev/sda and /dev/sdb with their own partitions, filesystems and files', async () => {
    const s = await h.open([await h.image('mbr.raw'), await h.image('gpt.raw')]);
    expect(s.listDevices()).toEqual(['/dev/sda', '/dev/sdb']);
    expect(s.listPartitions()).toEqual([
      '/dev/sda1',
      '/dev/sda2',
      '/dev/sda5',
      '/dev/sda6',
      '/dev/sda7',
      '/dev/sdb1',
      '/dev/sdb2',
      '/dev/sdb3',
      '/dev/sdb4',
    ]);
    const parts = s.partitions();
    expect(parts.filter((p) => p.disk === '/dev/sda')).toMatchObject(MBR_PARTITIONS);
    expect(parts.filter((p) => p.disk === '/dev/sdb').map(upperIds)).toMatchObject(onDrive(GPT_PARTITIONS, 'b'));
    expect(s.filesystems()).toEqual([...MBR_FILESYSTEMS, ...onDrive(GPT_FILESYSTEMS, 'b')]);
    await s.mount('/dev/sdb2', '/');
    await s.mount('/dev/sda1', '/etc'); // the gpt root has /etc
    await s.mount('btrfsvol:/dev/sdb4/@home', '/etc/dir');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from gpt\n');
    expect((await s.readFile('/etc/hello.txt')).toString()).toBe('hello from mbr\n');
    expect((await s.readFile('/etc/dir/user/notes.txt')).toString()).toBe('notes\n');
    expect(s.mountpoints()).toEqual([
      { device: '/dev/sdb2', mountpoint: '/', vfstype: 'ext4', readonly: true },
      { device: '/dev/sda1', mountpoint: '/etc', vfstype: 'ext4', readonly: true },
      { device: 'btrfsvol:/dev/sdb4/@home', mountpoint: '/etc/dir', vfstype: 'btrfs', readonly: true },
    ]);
    // the other spellings of the second drive reach the same devices
    expect(await s.vfsLabel('/dev/vdb3')).toBe('xfsdata');
    expect(await s.vfsLabel('/dev/hdb3')).toBe('xfsdata');
    expect(await s.vfsLabel('/dev/xvda7')).toBe('logical7');
    await expectJootError(s.mount('/dev/sdc1', '/etc/dir/user'), 'ENOENT', ['/dev/sdc1']);
  });

  it('partitions and filesystems are listed in drive order, whichever drive was ready first', async () => {
    // a qcow2 (qemu-storage-daemon, slower to attach) first, raw loop devices after it
    const imgs = { three: await h.image('three.qcow2'), mbr: await h.image('mbr.raw'), gpt: await h.image('gpt.raw') };
    for (const order of [
      ['three', 'mbr', 'gpt'],
      ['gpt', 'three', 'mbr'],
      ['mbr', 'gpt', 'three'],
    ] as const) {
      const s = await h.open(order.map((k) => imgs[k]));
      const letters = ['a', 'b', 'c'];
      const expectParts = order.flatMap((k, i) => {
        const nums = k === 'three' ? [1, 2, 3] : k === 'mbr' ? [1, 2, 5, 6, 7] : [1, 2, 3, 4];
        return nums.map((n) => `/dev/sd${letters[i]}${n}`);
      });
      expect(s.listPartitions(), order.join(',')).toEqual(expectParts);
      expect(s.partitions().map((p) => p.name)).toEqual(expectParts);
      const fsDisks = s.filesystems().map((f) => /sd([a-c])/.exec(f.name)![1]);
      expect(fsDisks, order.join(',')).toEqual([...fsDisks].sort());
      await s.close();
    }
  });

  it('the same image twice: both drives open read-only, each with its partitions', async () => {
    const img = await h.image('mbr.raw');
    const s = await h.open([img, img]);
    expect(s.listDevices()).toEqual(['/dev/sda', '/dev/sdb']);
    expect(s.partitions().filter((p) => p.disk === '/dev/sdb')).toMatchObject(onDrive(MBR_PARTITIONS, 'b'));
    await s.mount('/dev/sda1', '/');
    await s.mount('/dev/sdb1', '/dir');
    expect((await s.readFile('/dir/hello.txt')).toString()).toBe('hello from mbr\n');
  });
});
