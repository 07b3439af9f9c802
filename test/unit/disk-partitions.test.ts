// The userspace partition-table reader (src/disk/volumes) against independent tools on real
// images: its layout view must equal `sfdisk --json`, its device view what partx finds (the
// kernel engine's devices), field by field. Then hostile tables crafted here from good ones,
// and random corruptions: a right answer or a one-line JootError, in bounded time. No root.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { FileSource } from '../../src/disk/source.js';
import { crc32 } from '../../src/disk/crc32.js';
import { formatAttributes, formatGuid } from '../../src/disk/volumes/gpt.js';
import { type PartitionTable, readPartitionTable, toLayoutTable, toPartitionInfos } from '../../src/disk/volumes/partitions.js';
import { fixture } from '../fixtures/index.js';
import { partxInfos, sfdiskTable } from './disk-partitions-oracle.js';
import { prng } from './prng.js';

const WITH_TABLE = [
  'mbr.raw',
  'gpt.raw',
  'lvm.raw',
  'three.raw',
  'base-for-overlay.raw',
  'ntfs.raw',
  'windows.raw',
  'win10.raw',
  'win11.raw',
  'sample.raw',
  'debian-lvm.raw',
  'debian-btrfs.raw',
  'debian-usr.raw',
  'ubuntu.raw',
  'fedora.raw',
  'rhel.raw',
  'rhel7.raw',
  'arch.raw',
  'alpine.raw',
  'neon.raw',
  'multiboot.raw',
  'hostile-inspect.raw',
] as const;
const WITHOUT_TABLE = ['dirty.raw', 'nofs.raw', 'empty.img', 'text.img'] as const;

async function read(file: string): Promise<PartitionTable | undefined> {
  const src = await FileSource.open(file);
  try {
    return await readPartitionTable(src);
  } finally {
    await src.close();
  }
}

/** The reader's answer or its error (anything but a clean JootError fails the test). */
async function attempt(file: string): Promise<PartitionTable | undefined | JootError> {
  try {
    return await read(file);
  } catch (e) {
    expectClean(e, file);
    return e as JootError;
  }
}

function expectClean(e: unknown, file: string): asserts e is JootError {
  if (!(e instanceof JootError)) throw new Error(`not a JootError: ${String(e)}\n${(e as Error)?.stack}`);
  expect(['EFORMAT', 'EIO', 'EUNSUPPORTED']).toContain(e.code);
  expect(e.message).not.toMatch(/\n/);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
}

async function expectError(file: string, code: string, says: RegExp): Promise<JootError> {
  const t0 = Date.now();
  const r = await attempt(file);
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(r).toBeInstanceOf(JootError);
  const e = r as JootError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(says);
  return e;
}

/** Both views equal the tools' answers. */
async function expectToolsEqual(file: string): Promise<PartitionTable | undefined> {
  const t = await read(file);
  const sf = sfdiskTable(file);
  expect(sf).not.toBe('error');
  expect(t && toLayoutTable(t)).toEqual(sf);
  expect(t ? toPartitionInfos(t, 0) : []).toEqual(partxInfos(file));
  return t;
}

describe('fixtures: equal to sfdisk --json and partx', () => {
  for (const name of WITH_TABLE) {
    it(name, async () => {
      const t = await expectToolsEqual(await fixture(name));
      expect(t?.partitions.length).toBeGreaterThan(0);
    });
  }
  for (const name of WITHOUT_TABLE) {
    it(`${name}: no table`, async () => {
      const file = await fixture(name);
      expect(await read(file)).toBeUndefined();
      // sfdisk refuses to open a file smaller than a sector at all
      expect(sfdiskTable(file)).toBe(statSync(file).size < 512 ? 'error' : undefined);
    });
  }
  it('mbr.raw: extended and logical partitions, disk id, partition UUIDs as partx has them', async () => {
    const t = (await read(await fixture('mbr.raw')))!;
    expect(t.id).toBe('0x11223344');
    expect(t.partitions.map((p) => [p.number, p.type, p.extended ?? false])).toEqual([
      [1, '83', false],
      [2, '5', true],
      [5, '83', false],
      [6, '82', false],
      [7, '83', false],
    ]);
    expect(toPartitionInfos(t, 1).map((p) => [p.name, p.uuid, p.type])).toEqual([
      ['/dev/sdb1', '11223344-01', '0x83'],
      ['/dev/sdb2', '11223344-02', '0x5'],
      ['/dev/sdb5', '11223344-05', '0x83'],
      ['/dev/sdb6', '11223344-06', '0x82'],
      ['/dev/sdb7', '11223344-07', '0x83'],
    ]);
  });
  it('corrupt-mbr.raw: refused as the kernel engine refuses it', async () => {
    const file = await fixture('corrupt-mbr.raw');
    await expectError(file, 'EFORMAT', /corrupt partition table: partition 1 .*beyond the end of the disk/);
  });
  it('corrupt-gpt.raw: both header checksums fail: refused, naming both', async () => {
    const file = await fixture('corrupt-gpt.raw');
    const e = await expectError(file, 'EFORMAT', /corrupt partition table: GPT/);
    expect(e.message).toMatch(/primary header: header checksum mismatch; backup header: header checksum mismatch/);
  });
});

describe('GPT fields', () => {
  it('formats GUIDs mixed-endian and attributes as sfdisk does', () => {
    const b = Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex');
    expect(formatGuid(b)).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    expect(formatAttributes(0n)).toBe('');
    expect(formatAttributes((1n << 63n) | (1n << 60n) | (1n << 48n) | 7n | (1n << 20n))).toBe(
      'RequiredPartition NoBlockIOProtocol LegacyBIOSBootable GUID:48,60,63',
    );
  });
  it('crc32 is the IEEE one', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

// ---------------------------------------------------------------- crafted tables

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'joot-parts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
function image(sizeMiB: number, script: string): string {
  const file = path.join(dir, `img${serial++}.raw`);
  writeFileSync(file, '');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, file]);
  execFileSync('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', file], { input: script, env: { ...process.env, LC_ALL: 'C' } });
  return file;
}

function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function mbrEntry(boot: number, type: number, start: number, size: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = boot;
  b[4] = type;
  b.writeUInt32LE(start, 8);
  b.writeUInt32LE(size, 12);
  return b;
}

/** Change a GPT header (at byte `at`) and give it a correct checksum again, so the next check is the one tried. */
function patchHeader(file: string, at: number, field: number, bytes: Buffer): void {
  const h = Buffer.from(readAt(file, at, 512));
  bytes.copy(h, field);
  const size = h.readUInt32LE(12);
  h.writeUInt32LE(0, 16);
  h.writeUInt32LE(crc32(h.subarray(0, Math.min(Math.max(size, 92), 512))), 16);
  patch(file, at, h);
}

function lastSector(file: string): number {
  return statSync(file).size - 512;
}

describe('hostile MBR tables', () => {
  it('overlapping primary partitions', async () => {
    const f = image(8, 'label: dos\nstart=2048,size=4096,type=83\nstart=8192,size=2048,type=83\n');
    patch(f, 446 + 16 + 8, u32(4000));
    await expectError(f, 'EFORMAT', /partitions 1 and 2 overlap/);
  });
  it('a partition past the end of the disk', async () => {
    const f = image(8, 'label: dos\nstart=2048,size=4096,type=83\n');
    patch(f, 446 + 12, u32(0xffffffff));
    await expectError(f, 'EFORMAT', /partition 1 .*extends beyond the end of the disk/);
  });
  it('an EBR chain that loops back on itself: each logical partition once, as partx', async () => {
    const f = image(16, 'label: dos\nstart=2048,size=20000,type=5\nstart=4096,size=2048,type=83\nstart=8192,size=2048,type=82\n');
    // the second EBR (sector 6144) links back to the first one (relative start 0 is ignored: use the second's own place)
    patch(f, 6144 * 512 + 446 + 16, mbrEntry(0, 5, 6144 - 2048, 4096));
    const t = await expectToolsEqualDevices(f);
    expect(t?.partitions.map((p) => p.number)).toEqual([1, 5, 6]);
    // a link to the first EBR
    patch(f, 6144 * 512 + 446 + 16, mbrEntry(0, 5, 0, 4096));
    await expectToolsEqualDevices(f);
  });
  it('10,000 EBRs each with a partition: refused past the kernel limit, quickly', async () => {
    const f = path.join(dir, 'many-ebrs.raw');
    const n = 10_000;
    const sectors = 2048 + n * 2 + 2048;
    const img = Buffer.alloc(sectors * 512);
    img.writeUInt32LE(0x5eed0001, 440);
    mbrEntry(0, 5, 2048, n * 2).copy(img, 446);
    img[510] = 0x55;
    img[511] = 0xaa;
    for (let i = 0; i < n; i++) {
      const at = (2048 + i * 2) * 512;
      mbrEntry(0, 0x83, 1, 1).copy(img, at + 446);
      if (i + 1 < n) mbrEntry(0, 5, (i + 1) * 2, 2).copy(img, at + 446 + 16);
      img[at + 510] = 0x55;
      img[at + 511] = 0xaa;
    }
    writeFileSync(f, img);
    await expectError(f, 'EFORMAT', /more than 252 logical partitions/);
  });
  it('10,000 EBRs that hold nothing: the chain is given up as libblkid gives it up', async () => {
    const f = path.join(dir, 'empty-ebrs.raw');
    const n = 10_000;
    const img = Buffer.alloc((2048 + n + 2048) * 512);
    img.writeUInt32LE(0x5eed0002, 440);
    mbrEntry(0, 5, 2048, n).copy(img, 446);
    img[510] = 0x55;
    img[511] = 0xaa;
    for (let i = 0; i < n; i++) {
      const at = (2048 + i) * 512;
      if (i + 1 < n) mbrEntry(0, 5, i + 1, 1).copy(img, at + 446 + 16);
      img[at + 510] = 0x55;
      img[at + 511] = 0xaa;
    }
    writeFileSync(f, img);
    const t0 = Date.now();
    const t = await expectToolsEqualDevices(f);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(t?.partitions.map((p) => p.number)).toEqual([1]);
  });
  it('a boot indicator other than 0 or 0x80 is no table (partx, the kernel)', async () => {
    const f = image(8, 'label: dos\nstart=2048,size=4096,type=83\n');
    patch(f, 446, Buffer.from([0x01]));
    expect(await read(f)).toBeUndefined();
    expect(partxInfos(f)).toEqual([]);
  });
  it('a whole-disk FAT filesystem is no table', async () => {
    const f = path.join(dir, 'fat.raw');
    writeFileSync(f, '');
    execFileSync('truncate', ['-s', '8M', f]);
    execFileSync('mkfs.vfat', [f], { stdio: 'ignore' });
    expect(await read(f)).toBeUndefined();
    expect(partxInfos(f)).toEqual([]);
  });
  it('an entry of type 0 with a size is a partition; one of size 0 only a layout entry (sfdisk lists it, partx not)', async () => {
    const f = image(8, 'label: dos\nstart=2048,size=2048,type=83\nstart=4096,size=2048,type=83\nstart=6144,size=2048,type=83\n');
    patch(f, 446 + 16 + 4, Buffer.from([0]));
    patch(f, 446 + 32 + 12, u32(0));
    const t = await expectToolsEqual(f);
    expect(t?.partitions.map((p) => [p.number, p.type, p.size])).toEqual([
      [1, '83', 1 << 20],
      [2, '0', 1 << 20],
      [3, '83', 0],
    ]);
    expect(toPartitionInfos(t!, 0).map((p) => p.number)).toEqual([1, 2]);
  });
  it('a disk smaller than a sector has no table', async () => {
    const f = path.join(dir, 'tiny.raw');
    writeFileSync(f, Buffer.alloc(100));
    expect(await read(f)).toBeUndefined();
  });
});

/** The device view equals partx's (the layout view may differ: sfdisk follows EBR links its own way). */
async function expectToolsEqualDevices(file: string): Promise<PartitionTable | undefined> {
  const t = await read(file);
  expect(t ? toPartitionInfos(t, 0) : []).toEqual(partxInfos(file));
  return t;
}

describe('hostile GPTs', () => {
  const gpt = () =>
    image(
      8,
      'label: gpt\nstart=2048,size=4096,name="one",attrs="RequiredPartition,GUID:60"\nstart=6144,size=2048,type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F,name="zwei ✓"\n',
    );
  it('a good one, names and attributes included, equals sfdisk and partx', async () => {
    const t = await expectToolsEqual(gpt());
    expect(t?.partitions.map((p) => [p.name, p.attrs])).toEqual([
      ['one', 'RequiredPartition GUID:60'],
      ['zwei ✓', undefined],
    ]);
  });
  it('a bad primary header: the backup is read, as sfdisk and partx read it', async () => {
    const f = gpt();
    patch(f, 512 + 56, Buffer.from([0xff]));
    await expectToolsEqual(f);
  });
  it('bad checksums in both headers', async () => {
    const f = gpt();
    patch(f, 512 + 56, Buffer.from([0xff]));
    patch(f, lastSector(f) + 56, Buffer.from([0xff]));
    await expectError(f, 'EFORMAT', /GPT protective MBR present but no valid GPT \(primary header: header checksum mismatch/);
  });
  for (const [what, field, value, says] of [
    ['entry count 2^31', 80, u32(2 ** 31), /2147483648 entries/],
    ['entry size 0', 84, u32(0), /entry size 0/],
    ['a huge entry size', 84, u32(0xffffffff), /entry size 4294967295/],
    ['entries past the disk', 72, Buffer.from('ffffffff00000000', 'hex'), /entry array outside the disk/],
    ['a usable range past the disk', 48, Buffer.from('ffffffffffffff7f', 'hex'), /usable range/],
    ['a header claiming another LBA', 24, Buffer.from('0500000000000000', 'hex'), /header says it is at LBA 5/],
  ] as const) {
    it(`${what} in both headers`, async () => {
      const f = gpt();
      patchHeader(f, 512, field, value);
      patchHeader(f, lastSector(f), field, value);
      await expectError(f, 'EFORMAT', says);
    });
    it(`${what} in the primary header only: the backup is read`, async () => {
      const f = gpt();
      patchHeader(f, 512, field, value);
      await expectToolsEqual(f);
    });
  }
  it('a partition ending before it starts', async () => {
    const f = gpt();
    const entries = Buffer.from(readAt(f, 1024, 128 * 128));
    entries.writeBigUInt64LE(1000n, 40); // entry 1: end before start 2048
    patch(f, 1024, entries);
    for (const at of [512, lastSector(f)]) {
      const h = readAt(f, at, 512);
      const entryLba = Number(h.readBigUInt64LE(72));
      patch(f, entryLba * 512, entries);
      patchHeader(f, at, 88, u32(crc32(entries)));
    }
    await expectError(f, 'EFORMAT', /partition 1 ends \(sector 1000\) before it starts/);
  });
  it('an entry reaching past the last usable sector is skipped, its number kept, as partx (sfdisk lists it)', async () => {
    const f = gpt();
    for (const at of [512, lastSector(f)]) {
      const h = readAt(f, at, 512);
      const entryLba = Number(h.readBigUInt64LE(72));
      const entries = Buffer.from(readAt(f, entryLba * 512, 128 * 128));
      entries.writeBigUInt64LE(BigInt(statSync(f).size / 512 - 1), 128 + 40);
      patch(f, entryLba * 512, entries);
      patchHeader(f, at, 88, u32(crc32(entries)));
    }
    const t = await expectToolsEqualDevices(f);
    expect(t?.partitions.map((p) => p.number)).toEqual([1]);
  });
  it('a GPT written for 4096-byte sectors is refused as such', async () => {
    const f = gpt();
    const header = readAt(f, 512, 512);
    patch(f, 512, Buffer.alloc(512));
    patch(f, lastSector(f), Buffer.alloc(512));
    patch(f, 4096, header);
    await expectError(f, 'EUNSUPPORTED', /GPT with 4096-byte sectors/);
  });
  it('a protective MBR on a disk too small for a GPT', async () => {
    const f = path.join(dir, 'small-pmbr.raw');
    const img = Buffer.alloc(1024);
    mbrEntry(0, 0xee, 1, 1).copy(img, 446);
    img[510] = 0x55;
    img[511] = 0xaa;
    writeFileSync(f, img);
    await expectError(f, 'EFORMAT', /GPT/);
  });
});

// ---------------------------------------------------------------- random corruption

/** A sparse working copy of an image; rounds rewrite its first 64 KiB. */
function workCopy(original: string, name: string): { file: string; head: Buffer } {
  const file = path.join(dir, name);
  execFileSync('cp', ['--sparse=always', original, file]);
  return { file, head: readAt(file, 0, 64 << 10) };
}

describe('random corruption of the first 64 KiB: the tools’ answer or a clean error', () => {
  for (const [name, rounds] of [
    ['mbr.raw', 100],
    ['gpt.raw', 100],
  ] as const) {
    it(`${name}: ${rounds} rounds`, async () => {
      const { file, head } = workCopy(await fixture(name), `fuzz-${name}`);
      const rand = prng(name.length * 7919);
      const tally = { sfdisk: 0, partx: 0, error: 0, none: 0 };
      for (let round = 0; round < rounds; round++) {
        const buf = Buffer.from(head);
        // most flips land in the structures (MBR, GPT header, the first entries), some anywhere
        const flips = 1 + Math.floor(rand() * 6);
        for (let i = 0; i < flips; i++) {
          const r = rand();
          const at =
            r < 0.4
              ? 446 + Math.floor(rand() * 66)
              : r < 0.7
                ? 512 + Math.floor(rand() * 92)
                : r < 0.9
                  ? 1024 + Math.floor(rand() * 512)
                  : Math.floor(rand() * buf.length);
          buf[at] = rand() < 0.5 ? buf[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
        }
        // half the rounds keep the GPT header checksum right, so the checks behind it are reached
        if (name === 'gpt.raw' && rand() < 0.5) {
          const size = buf.readUInt32LE(512 + 12);
          if (size >= 92 && size <= 512) {
            buf.writeUInt32LE(0, 512 + 16);
            buf.writeUInt32LE(crc32(buf.subarray(512, 512 + size)), 512 + 16);
          }
        }
        patch(file, 0, buf);
        const what = `${name} round ${round}`;
        const t0 = Date.now();
        const got = await attempt(file);
        expect(Date.now() - t0, what).toBeLessThan(5000);
        if (got instanceof JootError) {
          tally.error++;
          continue;
        }
        const sf = sfdiskTable(file);
        if (got === undefined) {
          // no table: what partx (the kernel engine's devices) or sfdisk says too
          expect(sf === undefined || ((px) => Array.isArray(px) && px.length === 0)(partxInfos(file)), what).toBe(true);
          tally.none++;
          continue;
        }
        const layout = toLayoutTable(got);
        if (sf !== 'error' && JSON.stringify(layout, big) === JSON.stringify(sf, big)) tally.sfdisk++;
        else {
          expect(toPartitionInfos(got, 0), `${what}: neither sfdisk nor partx agree`).toEqual(partxInfos(file));
          tally.partx++;
        }
      }
      console.log(`${name}: ${JSON.stringify(tally)}`);
    });
  }
});

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

describe('random corruption of the EBR chain: partx’s devices or a clean error', () => {
  it('mbr.raw: 60 rounds over its three EBRs', async () => {
    const { file } = workCopy(await fixture('mbr.raw'), 'fuzz-ebr-mbr.raw');
    const ebrs = [51200, 77824, 96256].map((s) => s * 512);
    const saved = ebrs.map((at) => readAt(file, at, 512));
    for (const [i, at] of ebrs.entries()) expect(saved[i]!.subarray(510).toString('hex'), `EBR at ${at}`).toBe('55aa');
    const rand = prng(4242);
    const tally = { partx: 0, sfdisk: 0, error: 0 };
    for (let round = 0; round < 60; round++) {
      const what = `EBR round ${round}`;
      const bufs = saved.map((b) => Buffer.from(b));
      const flips = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < flips; i++) {
        const b = bufs[Math.floor(rand() * bufs.length)]!;
        const at = rand() < 0.85 ? 446 + Math.floor(rand() * 32) : 446 + Math.floor(rand() * 66);
        b[at] = rand() < 0.5 ? b[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
      }
      for (const [i, b] of bufs.entries()) patch(file, ebrs[i]!, b);
      const t0 = Date.now();
      const got = await attempt(file);
      expect(Date.now() - t0, what).toBeLessThan(5000);
      if (got instanceof JootError) {
        tally.error++;
        continue;
      }
      expect(got ? toPartitionInfos(got, 0) : [], what).toEqual(partxInfos(file));
      tally.partx++;
      const sf = sfdiskTable(file);
      if (got && sf !== 'error' && JSON.stringify(toLayoutTable(got), big) === JSON.stringify(sf, big)) tally.sfdisk++;
    }
    console.log(`EBRs: ${JSON.stringify(tally)} (sfdisk: rounds whose layout view sfdisk shares)`);
  });
});
