// Session integration tests, image formats and attach backends: raw, qcow2, vmdk, vdi, vhdx, vpc,
// a qcow2 overlay on a raw backing file, explicit formats (honoured; a wrong one is a clear
// error), and the loop and FUSE backends forced by option and by $JOOT_BACKEND (nbd: a clear
// "needs kernel NBD" error on hosts without it). Real fixture images, no mocks; every session is
// closed in afterEach and the host is checked to be as it was.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName, Session } from '../../src/appliance/index.js';
import { hostHasNbd } from '../../src/appliance/attach/nbd.js';
import { CAN_RUN, expectJootError, Harness, MBR_FILESYSTEMS, MBR_PARTITIONS, MiB } from './session-helpers.js';
import { FIXTURES_DIR } from '../fixtures/index.js';

const h = new Harness('formats');
// container formats: kernel NBD where the host has it (a stock kernel), else the FUSE export
const CONTAINERS = hostHasNbd() ? 'nbd' : 'fuse';
// the nbd error names the device it looked for: that is about the host, not a session's device
const NBD_NOTE = { allow: ['/dev/nbd0'] };

/** What attached the drive: read from the session's own record of what it holds. */
function backendOf(image: string): BackendName {
  const held = h.held();
  const qsd = held.filter((r) => r.kind === 'helper' && r.name === 'qemu-storage-daemon');
  if (held.some((r) => r.kind === 'nbd')) return 'nbd';
  const directLoop = held.some((r) => r.kind === 'loop' && r.backing === image);
  if (directLoop && qsd.length === 0) return 'loop';
  if (!directLoop && qsd.length > 0 && held.some((r) => r.kind === 'loop' && /\/disk\d+$/.test(r.backing))) return 'fuse';
  throw new Error(`cannot tell the backend from ${JSON.stringify(held)}`);
}

/** The mbr.raw guest, seen through any container format. */
async function checkMbrGuest(s: Session): Promise<void> {
  expect(s.listDevices()).toEqual(['/dev/sda']);
  expect(s.partitions()).toMatchObject(MBR_PARTITIONS);
  expect(s.filesystems()).toEqual(MBR_FILESYSTEMS);
  await s.mount('/dev/sda1', '/');
  await s.mount('/dev/sda7', '/dir');
  expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
  expect((await s.readFile('/dir/seven.txt')).toString()).toBe('seven\n');
  await s.umountAll();
  await s.mount('/dev/sda5', '/');
  expect((await s.readFile('/five.txt')).toString()).toBe('five\n');
}

describe.skipIf(!CAN_RUN)('Session: image formats and backends', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  it.each(['mbr.raw', 'mbr.vmdk', 'mbr.vdi', 'mbr.vhdx', 'mbr.vpc'] as const)(
    '%s: the mbr.raw guest, partitions, filesystems and files',
    async (name) => {
      const img = await h.image(name);
      const s = await h.open([img]);
      await checkMbrGuest(s);
      // raw goes straight onto a loop device, every container format through NBD or qemu-storage-daemon
      expect(backendOf(img)).toBe(name === 'mbr.raw' ? 'loop' : CONTAINERS);
    },
  );

  it('three.qcow2: three ext4 partitions with their files', async () => {
    const s = await h.open([await h.image('three.qcow2')]);
    expect(s.listPartitions()).toEqual(['/dev/sda1', '/dev/sda2', '/dev/sda3']);
    expect(s.filesystems()).toEqual(
      ['one', 'two', 'three'].map((label, i) => ({
        name: `/dev/sda${i + 1}`,
        type: 'ext4',
        label,
        uuid: `33333333-0000-4000-8000-00000000000${i + 1}`,
      })),
    );
    expect(s.partitions().map((p) => [p.start, p.type])).toEqual([
      [1 * MiB, '0x83'],
      [85 * MiB, '0x83'],
      [169 * MiB, '0x83'],
    ]);
    for (const [i, name] of ['one', 'two', 'three'].entries()) {
      await s.mount(`/dev/sda${i + 1}`, '/');
      expect((await s.readFile(`/${name}.txt`)).toString()).toBe(`${i + 1}\n`);
      await s.umount('/');
    }
  });

  it('overlay.qcow2 shows /overlay.txt over its raw base; base-for-overlay.raw does not have it', async () => {
    const overlay = await h.image('overlay.qcow2');
    const base = await h.image('base-for-overlay.raw');
    // the overlay names its base by absolute path in the fixture cache: outside its directory
    // here, so allowed by name (as joot allows its registered images)
    const allowBase = { backingImages: [path.join(FIXTURES_DIR, 'base-for-overlay.raw')] };
    await expectJootError(h.open([overlay]), 'EPERM', [`${overlay}:`, /outside the image's directory/]);
    let s = await h.open([[overlay, allowBase]]);
    expect(s.filesystems()).toEqual(MBR_FILESYSTEMS);
    await s.mount('/dev/sda1', '/');
    expect((await s.readFile('/overlay.txt')).toString()).toBe('from overlay\n');
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
    expect((await s.readFile('/link')).toString()).toBe('mbrhost\n');
    await s.close();

    s = await h.open([base]);
    await s.mount('/dev/sda1', '/');
    expect(await s.exists('/overlay.txt')).toBe(false);
    expect((await s.readFile('/hello.txt')).toString()).toBe('hello from mbr\n');
    await s.close();

    // both at once, read-only: the base is open twice (as the overlay's backing file and as sdb)
    s = await h.open([[overlay, allowBase], base]);
    await s.mount('/dev/sda1', '/');
    await s.mount('/dev/sdb1', '/dir');
    expect(await s.exists('/overlay.txt')).toBe(true);
    expect(await s.exists('/dir/overlay.txt')).toBe(false);
    expect((await s.readFile('/dir/hello.txt')).toString()).toBe('hello from mbr\n');
  });

  describe('explicit format', () => {
    it('format qcow2 / vdi / vmdk / vhdx / vpc / raw are honoured when right', async () => {
      for (const [name, format] of [
        ['three.qcow2', 'qcow2'],
        ['mbr.vdi', 'vdi'],
        ['mbr.vmdk', 'vmdk'],
        ['mbr.vhdx', 'vhdx'],
        ['mbr.vpc', 'vpc'],
        ['mbr.raw', 'raw'],
      ] as const) {
        const s = await h.open([[await h.image(name), { readonly: true, format }]]);
        expect(s.listPartitions().length, name).toBeGreaterThanOrEqual(3);
        await s.close();
      }
    });

    it('format raw on a qcow2 file is honoured: the guest sees the container bytes, not a disk', async () => {
      const s = await h.open([[await h.image('three.qcow2'), { readonly: true, format: 'raw' }]]);
      expect(s.listDevices()).toEqual(['/dev/sda']);
      expect(s.listPartitions()).toEqual([]);
      expect(s.filesystems().filter((f) => f.type !== 'unknown')).toEqual([]);
    });

    it('a wrong explicit format is a clear error naming the file and the format', async () => {
      const raw = await h.image('mbr.raw');
      await expectJootError(h.open([[raw, { readonly: true, format: 'qcow2' }]]), 'EFORMAT', [raw, 'qcow2']);
      const vdi = await h.image('mbr.vdi');
      await expectJootError(h.open([[vdi, { readonly: true, format: 'vmdk' }]]), 'EFORMAT', [vdi, /VMDK|vmdk/]);
      const qcow = await h.image('three.qcow2');
      await expectJootError(h.open([[qcow, { readonly: true, format: 'vdi' }]]), 'EFORMAT', [qcow, /vdi/i]);
      await expectJootError(h.open([[raw, { readonly: true, format: 'nosuchformat' }]]), 'EFORMAT', [raw, 'nosuchformat']);
    });
  });

  describe('backends', () => {
    for (const backend of hostHasNbd() ? (['loop', 'fuse', 'nbd'] as const) : (['loop', 'fuse'] as const)) {
      it(`backend: '${backend}' (option) opens a raw image that way`, async () => {
        const img = await h.image('mbr.raw');
        const s = await h.open([img], { backend });
        expect(backendOf(img)).toBe(backend);
        await checkMbrGuest(s);
      });

      it(`JOOT_BACKEND=${backend} opens a raw image that way`, async () => {
        const img = await h.image('mbr.raw');
        process.env.JOOT_BACKEND = backend;
        try {
          const s = await h.open([img]);
          expect(backendOf(img)).toBe(backend);
          await checkMbrGuest(s);
        } finally {
          delete process.env.JOOT_BACKEND;
        }
      });
    }

    it('the backend option wins over JOOT_BACKEND', async () => {
      const img = await h.image('mbr.raw');
      process.env.JOOT_BACKEND = 'fuse';
      try {
        await h.open([img], { backend: 'loop' });
        expect(backendOf(img)).toBe('loop');
      } finally {
        delete process.env.JOOT_BACKEND;
      }
    });

    it('a forced loop backend still opens a qcow2 (through the userspace path)', async () => {
      const img = await h.image('three.qcow2');
      const s = await h.open([img], { backend: 'loop' });
      expect(backendOf(img)).toBe(CONTAINERS);
      await s.mount('/dev/sda3', '/');
      expect((await s.readFile('/three.txt')).toString()).toBe('3\n');
    });

    it.skipIf(hostHasNbd())('nbd without kernel NBD: a clear error, by option and by JOOT_BACKEND', async () => {
      const img = await h.image('mbr.raw');
      await expectJootError(h.open([img], { backend: 'nbd' }), 'EUNSUPPORTED', ['needs kernel NBD'], NBD_NOTE);
      process.env.JOOT_BACKEND = 'nbd';
      try {
        await expectJootError(h.open([img]), 'EUNSUPPORTED', ['needs kernel NBD'], NBD_NOTE);
        await expectJootError(h.open([await h.image('three.qcow2')]), 'EUNSUPPORTED', ['needs kernel NBD'], NBD_NOTE);
      } finally {
        delete process.env.JOOT_BACKEND;
      }
    });

    it('an unknown JOOT_BACKEND is a clear error', async () => {
      process.env.JOOT_BACKEND = 'floppy';
      try {
        await expectJootError(h.open([await h.image('mbr.raw')]), 'EINVAL', ['JOOT_BACKEND', 'floppy']);
      } finally {
        delete process.env.JOOT_BACKEND;
      }
    });
  });
});
