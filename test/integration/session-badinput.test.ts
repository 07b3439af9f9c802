// Session integration tests, bad input: each hostile or degenerate image (and a missing file, a
// directory) fails launch with one JootError whose one-line message names the file, and leaves
// nothing behind: no loop device, mount, qemu or FUSE process, temp directory or session record.
// Unsafe backing files are refused unless allowed. A blank disk is not an error. Every image is a
// hard link of the fixture under a path only this file uses (so "no loop device over it" means
// exactly ours), and sessions use a private JOOT_TMPDIR (so "no mount below it" does too).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JootErrorCode } from '../../src/appliance/index.js';
import type { FixtureName } from '../fixtures/index.js';
import { CAN_RUN, descendants, expectJootError, Harness, loopDevices, mountinfo, ourRecordFiles } from './session-helpers.js';

const h = new Harness('badinput');

/** Nothing of ours on the host (checked right after a failed launch; allowed a moment to settle). */
async function expectNothingLeft(image: string): Promise<void> {
  const left = () => ({
    loops: [...loopDevices()].filter(([, back]) => back.startsWith(h.dir) || back === image),
    mounts: mountinfo().filter((m) => m.mountpoint.startsWith(h.dir)),
    processes: descendants(),
    records: ourRecordFiles(),
    tempEntries: readdirSync(h.tmp),
  });
  const empty = { loops: [], mounts: [], processes: [], records: [], tempEntries: [] };
  let now = left();
  for (let i = 0; i < 30 && JSON.stringify(now) !== JSON.stringify(empty); i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = left();
  }
  expect(now).toEqual(empty);
}

describe.skipIf(!CAN_RUN)('Session: bad input', () => {
  beforeAll(() => h.setup());
  afterEach(() => h.closeAndCheck());
  afterAll(() => h.teardown());

  const hostile: { name: FixtureName; code: JootErrorCode; says: (string | RegExp)[] }[] = [
    { name: 'empty.img', code: 'EFORMAT', says: [/empty/] },
    { name: 'text.img', code: 'EFORMAT', says: [/not a disk image/] },
    { name: 'truncated.qcow2', code: 'EFORMAT', says: [/corrupt qcow2/] },
    { name: 'corrupt-mbr.raw', code: 'EFORMAT', says: [/corrupt partition table/, /partition 1 .*beyond the end of the disk|overlap/] },
    { name: 'corrupt-gpt.raw', code: 'EFORMAT', says: [/corrupt partition table/, /GPT/] },
    { name: 'backing-shadow.qcow2', code: 'EPERM', says: ['/etc/shadow', /refused/] },
    { name: 'backing-device.qcow2', code: 'EPERM', says: ['/dev/zero', /character device, not a regular file/] },
  ];

  for (const { name, code, says } of hostile) {
    for (const readonly of [true, false]) {
      it(`${name} (${readonly ? 'read-only' : 'read-write'}): ${code}, naming the file, nothing left behind`, async () => {
        // read-write attempts get a copy: whatever happens, the fixture is not at stake
        const img = await h.image(name, readonly ? 'link' : 'copy');
        await expectJootError(h.open([[img, { readonly }]]), code, [`${img}:`, ...says]);
        await expectNothingLeft(img);
      });
    }
  }

  /** A qcow2 whose external data file is `dataFile`, made on a scratch file, then renamed in its header. */
  function withDataFile(name: string, dataFile: string): string {
    const img = path.join(h.dir, name);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${img}.data,data_file_raw=on`, img, '1M']);
    const buf = readFileSync(img);
    const exts: [number, Buffer][] = [];
    const start = buf.readUInt32BE(100); // header_length: the extensions follow
    for (let off = start; buf.readUInt32BE(off) !== 0; ) {
      const len = buf.readUInt32BE(off + 4);
      exts.push([buf.readUInt32BE(off), buf.subarray(off + 8, off + 8 + len)]);
      off += 8 + ((len + 7) & ~7);
    }
    const out = Buffer.from(buf);
    out.fill(0, start, 4096);
    let off = start;
    for (const [type, data0] of exts) {
      const data = type === 0x44415441 ? Buffer.from(dataFile) : data0; // 'DATA': the data file's name
      out.writeUInt32BE(type, off);
      out.writeUInt32BE(data.length, off + 4);
      data.copy(out, off + 8);
      off += 8 + ((data.length + 7) & ~7);
    }
    writeFileSync(img, out);
    return img;
  }

  for (const readonly of [true, false]) {
    it(`a qcow2 whose external data file is a host system file (${readonly ? 'read-only' : 'read-write'}): EPERM, the file untouched`, async () => {
      const img = withDataFile(`datafile-shadow-${readonly}.qcow2`, '/etc/shadow');
      const sha = () => createHash('sha256').update(readFileSync('/etc/shadow')).digest('hex');
      const before = sha();
      await expectJootError(h.open([[img, { readonly }]]), 'EPERM', [`${img}:`, '/etc/shadow', /refused/]);
      await expectNothingLeft(img);
      expect(sha()).toBe(before);
    });
  }

  it('a qcow2 with an ordinary external data file opens', async () => {
    const img = withDataFile('datafile-ok.qcow2', path.join(h.dir, 'datafile-ok.qcow2.data'));
    const s = await h.open([[img, { readonly: true }]]);
    expect(s.listDevices()).toEqual(['/dev/sda']);
  });

  it('a missing file: ENOENT naming it', async () => {
    const img = path.join(h.dir, 'no-such-disk.img');
    await expectJootError(h.open([img]), 'ENOENT', [`${img}:`, /No such file/]);
    await expectNothingLeft(img);
  });

  it('a directory: EINVAL naming it', async () => {
    const dir = path.join(h.dir, 'a-directory');
    mkdirSync(dir, { recursive: true });
    await expectJootError(h.open([dir]), 'EINVAL', [`${dir}:`, /directory/]);
    await expectNothingLeft(dir);
  });

  it('backing-device.qcow2 opens with allowUnsafeBacking: true (a blank 64 MiB disk)', async () => {
    const img = await h.image('backing-device.qcow2');
    const s = await h.open([[img, { readonly: true, allowUnsafeBacking: true }]]);
    expect(s.listDevices()).toEqual(['/dev/sda']);
    expect(s.listPartitions()).toEqual([]);
    expect(s.filesystems().filter((f) => f.type !== 'unknown')).toEqual([]);
  });

  it('nofs.raw: no error, no partitions, no filesystem; mounting it is a clear error', async () => {
    const img = await h.image('nofs.raw');
    const s = await h.open([img]);
    expect(s.listDevices()).toEqual(['/dev/sda']);
    expect(s.listPartitions()).toEqual([]);
    expect(s.filesystems().filter((f) => f.type !== 'unknown')).toEqual([]);
    expect(await s.vfsType('/dev/sda')).toBe('');
    expect(s.pvs()).toEqual([]);
    expect(s.lvs()).toEqual([]);
    await expectJootError(s.mount('/dev/sda', '/'), 'EINVAL', ['/dev/sda', /no filesystem/]);
    expect(s.mountpoints()).toEqual([]);
  });

  it('one bad drive among good ones: launch fails naming the bad one, and the good ones are released too', async () => {
    const good = await h.image('mbr.raw');
    const qcow = await h.image('three.qcow2');
    for (const bad of ['corrupt-mbr.raw', 'corrupt-gpt.raw', 'truncated.qcow2', 'backing-shadow.qcow2'] as const) {
      const img = await h.image(bad);
      const err = await expectJootError(h.open([good, qcow, img]), bad.startsWith('backing') ? 'EPERM' : 'EFORMAT', [`${img}:`]);
      expect(err.message).not.toContain(good);
      await expectNothingLeft(img);
      expect([...loopDevices().values()]).not.toContain(good);
    }
    // and the good ones open fine afterwards
    const s = await h.open([good, qcow]);
    await s.mount('/dev/sdb3', '/');
    expect((await s.readFile('/three.txt')).toString()).toBe('3\n');
  });

  it('a failed launch leaves a session that cannot be reused, with clear state errors', async () => {
    const img = await h.image('empty.img');
    const s = h.session();
    s.addDrive(img, { readonly: true });
    await expectJootError(s.launch(), 'EFORMAT', [`${img}:`]);
    await expectJootError(s.launch(), 'ESTATE', [/closed/]);
    await expectJootError(() => s.listDevices(), 'ESTATE', [/closed/]);
    await s.close(); // closing again is harmless
    const fresh = h.session();
    await expectJootError(fresh.launch(), 'EINVAL', [/no drives/]);
  });
});
