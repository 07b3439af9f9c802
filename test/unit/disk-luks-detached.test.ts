// LUKS with a detached header (cryptsetup luksFormat --header FILE: header and key slots in a
// file, the encrypted data alone on the device), opened with `--key DEVICE:header:FILE:key:PASS`.
// The oracle is cryptsetup and node's crypto, not joot: cryptsetup writes the header (this host
// has no device-mapper, so it cannot write the data), `luksDump --dump-volume-key` gives the
// volume key, and the data is an ext4 image (mkfs.ext4) encrypted here with aes-xts-plain64 as
// dm-crypt does (IV = the 512-byte sector number, little-endian). No root.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/appliance/index.js';
import { JootError } from '../../src/core/errors.js';
import { parseKeySpec } from '../../src/disk/keys.js';
import { DETACHED_PASS as PASS, DETACHED_SIZE as SIZE, makeDetached as make, removeTmps, tool } from './luks-tools.js';

afterAll(() => removeTmps());

async function launch(dev: string, keys: string[]): Promise<Session> {
  const s = new Session({ engine: 'userspace', keys: keys.map(parseKeySpec) });
  s.addDrive(dev, { readonly: true });
  await s.launch();
  return s;
}

async function expectLaunchError(dev: string, key: string, code: string, re: RegExp): Promise<void> {
  const s = new Session({ engine: 'userspace', keys: [parseKeySpec(key)] });
  s.addDrive(dev, { readonly: true });
  let err: unknown;
  try {
    await s.launch();
  } catch (e) {
    err = e;
  } finally {
    await s.close();
  }
  expect(err).toBeInstanceOf(JootError);
  expect((err as JootError).code).toBe(code);
  expect((err as JootError).message).toMatch(re);
  expect((err as JootError).message).not.toContain('\n');
}

describe('LUKS with a detached header', () => {
  for (const [type, extra] of [
    ['luks2', []],
    ['luks2', ['--sector-size', '512']],
    ['luks1', []],
  ] as const) {
    it(`${type} ${extra.join(' ')}: opens as /dev/mapper/luks-UUID with the ext4 inside, bytes exact`, async () => {
      const m = await make(type, `det-${type}`, [...extra]);
      const s = await launch(m.dev, [`/dev/sda:header:${m.hdr}:key:${PASS}`]);
      try {
        const name = `/dev/mapper/luks-${m.uuid}`;
        expect(s.listDmDevices()).toEqual([name]);
        const fs = s.filesystems().find((f) => f.name === name);
        expect(fs?.type).toBe('ext4');
        expect(fs?.label).toBe(`det-${type}`);
        const src = await s.openDevice(name);
        try {
          expect(src.size).toBe(SIZE);
          expect((await src.read(0, SIZE)).equals(m.plain)).toBe(true);
        } finally {
          await src.close();
        }
      } finally {
        await s.close();
      }
    });
  }

  it('takes the key from a file too; without the header the device is just data', async () => {
    const m = await make('luks2', 'det-file');
    const keyFile = join(m.dir, 'key');
    const s = await launch(m.dev, [`/dev/sda:header:${m.hdr}:file:${keyFile}`]);
    try {
      expect(s.listDmDevices()).toEqual([`/dev/mapper/luks-${m.uuid}`]);
    } finally {
      await s.close();
    }
    const plain = await launch(m.dev, []);
    try {
      expect(plain.listDmDevices()).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('a wrong passphrase, a missing or non-LUKS header file, a header whose segment overruns the device: one-line errors', async () => {
    const m = await make('luks2', 'det-bad');
    await expectLaunchError(m.dev, `/dev/sda:header:${m.hdr}:key:wrong`, 'EPERM', /no key slot accepts this passphrase/);
    await expectLaunchError(
      m.dev,
      `/dev/sda:header:${join(m.dir, 'nope')}:key:${PASS}`,
      'ENOENT',
      /--key \/dev\/sda:header:.*nope: ENOENT/,
    );
    await expectLaunchError(m.dev, `/dev/sda:header:${join(m.dir, 'fs.img')}:key:${PASS}`, 'EINVAL', /fs\.img: not a LUKS header/);
    // a header made for a bigger device, its data 8 MiB in: past the end of this 4 MiB one
    const big = join(m.dir, 'big-hdr.img');
    const bigDev = join(m.dir, 'big.img');
    writeFileSync(bigDev, Buffer.alloc(SIZE * 4));
    // prettier-ignore
    await tool('cryptsetup', [
      'luksFormat',
      '-q',
      '--type',
      'luks2',
      '--header',
      big,
      '--pbkdf',
      'pbkdf2',
      '--pbkdf-force-iterations',
      '1000',
      '--key-file',
      join(m.dir, 'key'),
      '--offset',
      '16384',
      bigDev,
    ]);
    await expectLaunchError(
      m.dev,
      `/dev/sda:header:${big}:key:${PASS}`,
      'EFORMAT',
      /offset 8388608 is outside data device \/dev\/sda \(size 4194304\)/,
    );
  });

  it('refuses malformed key specs with a header', () => {
    expect(() => parseKeySpec('/dev/sda:header:/tmp/h')).toThrow(/expected DEVICE:header:HDRFILE:key:PASSPHRASE/);
    expect(() => parseKeySpec('10c5aaaa-0000-4000-8000-000000000001:header:/tmp/h:key:x')).toThrow(/needs a device name/);
    expect(parseKeySpec('/dev/sdb2:header:/a:b:key:p:q')).toEqual({ selector: '/dev/sdb2', key: Buffer.from('p:q'), header: '/a:b' });
  });
});
