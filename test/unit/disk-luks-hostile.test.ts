// Hostile LUKS headers, crafted from good cryptsetup images by patching bytes (LUKS2: the JSON of
// both copies rewritten and their checksums fixed, as a hostile writer would): each gives one
// clean JootError line in bounded time, and random corruptions open correctly or fail cleanly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { findVolumeKey, openLuks, readLuksHeader } from '../../src/disk/volumes/luks/index.js';
import {
  argon2Slot0,
  editLuks2Json,
  expectError,
  fixLuks2Checksum,
  type Luks2Json,
  luks2Json,
  MemSource,
  makeLuks,
  removeTmps,
  setLuks2Json,
} from './luks-tools.js';
import { prng } from './prng.js';

const PASS = Buffer.from('hostile-pass');
let luks1: Buffer;
let luks2: Buffer;
let luks2Big: Buffer;
let vk1: Buffer;
let vk2: Buffer;

const make = (name: string, size: string, args: string[]): Promise<Buffer> => makeLuks(name, size, args, PASS);

beforeAll(async () => {
  luks1 = await make('l1.img', '3M', ['--type', 'luks1']);
  const small = ['--type', 'luks2', '--pbkdf', 'pbkdf2', '--luks2-keyslots-size', '1m'];
  luks2 = await make('l2.img', '3M', [...small, '--luks2-metadata-size', '16k']);
  luks2Big = await make('l2big.img', '5M', [...small, '--luks2-metadata-size', '1m']);
  vk1 = await keyOf(new MemSource(luks1));
  vk2 = await keyOf(new MemSource(luks2));
}, 60_000);
afterAll(removeTmps);

async function keyOf(src: MemSource): Promise<Buffer> {
  return findVolumeKey(src, (await readLuksHeader(src))!, PASS);
}

/** Open a crafted image with the right passphrase; within `ms`. */
async function openTimed(buf: Buffer, ms = 3000): Promise<unknown> {
  const t0 = Date.now();
  try {
    const dev = await openLuks(new MemSource(buf), PASS, 'luks-test');
    await dev.read(0, Math.min(4096, dev.size));
    return dev;
  } finally {
    expect(Date.now() - t0).toBeLessThan(ms);
  }
}

function patched(base: Buffer, f: (b: Buffer) => void): Buffer {
  const b = Buffer.from(base);
  f(b);
  return b;
}

type Json = Luks2Json;
function json2(f: (j: Json) => void, base = luks2): Buffer {
  return editLuks2Json(base, f);
}

it('a device that is not LUKS: readLuksHeader says undefined, openLuks EINVAL', async () => {
  const zeros = new MemSource(Buffer.alloc(8 << 20));
  expect(await readLuksHeader(zeros)).toBeUndefined();
  await expectError(openLuks(zeros, PASS, 'x'), 'EINVAL', /^crafted\.img: not a LUKS device$/);
  await expectError(openTimed(patched(luks1, (x) => x.writeUInt16BE(3, 6))), 'EUNSUPPORTED', /LUKS version 3 is not supported/);
  await expectError(openTimed(patched(luks1, (x) => x.writeUInt32BE(0, 104))), 'EUNSUPPORTED', /detached header/);
});

describe('LUKS1 crafted headers', () => {
  const slot0 = 208;
  it('opens the good image; a wrong passphrase is EPERM', async () => {
    await openTimed(luks1);
    await expectError(
      openLuks(new MemSource(luks1), Buffer.from('nope'), 'x'),
      'EPERM',
      /^crafted\.img: no key slot accepts this passphrase$/,
    );
  });
  it('iteration count 2^31 is refused, not attempted', async () => {
    const b = patched(luks1, (x) => x.writeUInt32BE(2 ** 31, slot0 + 4));
    await expectError(
      openTimed(b),
      'EUNSUPPORTED',
      /key slot 0: pbkdf2 iteration count 2147483648 exceeds the cap 10000000, not attempted/,
    );
  });
  it('a master-key digest iteration count of 2^32-1 is refused', async () => {
    const b = patched(luks1, (x) => x.writeUInt32BE(2 ** 32 - 1, 164));
    await expectError(openTimed(b), 'EUNSUPPORTED', /digest iteration count 4294967295 exceeds the cap/);
  });
  it('key size 0 and 1024 bytes', async () => {
    for (const n of [0, 1024]) {
      await expectError(
        openTimed(patched(luks1, (x) => x.writeUInt32BE(n, 108))),
        'EFORMAT',
        new RegExp(`key size ${n} bytes is out of range`),
      );
    }
  });
  it('AF stripes 2^31', async () => {
    await expectError(openTimed(patched(luks1, (x) => x.writeUInt32BE(2 ** 31, slot0 + 44))), 'EFORMAT', /AF stripe count 2147483648/);
  });
  it('key material past the device, payload past the device, a bad slot state', async () => {
    await expectError(
      openTimed(patched(luks1, (x) => x.writeUInt32BE(0xffffffff, slot0 + 40))),
      'EFORMAT',
      /key slot 0: key material at bytes/,
    );
    await expectError(
      openTimed(patched(luks1, (x) => x.writeUInt32BE(0x7fffffff, 104))),
      'EFORMAT',
      /payload offset \d+ is outside the device/,
    );
    await expectError(
      openTimed(patched(luks1, (x) => x.writeUInt32BE(0x1234, slot0))),
      'EFORMAT',
      /key slot 0 has an invalid state 0x1234/,
    );
  });
  it('an unknown cipher or hash, unterminated strings, a truncated image', async () => {
    await expectError(
      openTimed(patched(luks1, (x) => x.write('twofish\0', 8, 'latin1'))),
      'EUNSUPPORTED',
      /unsupported LUKS cipher "twofish-xts-plain64"/,
    );
    await expectError(openTimed(patched(luks1, (x) => x.write('whirlpool\0', 72, 'latin1'))), 'EUNSUPPORTED', /hash "whirlpool"/);
    await expectError(openTimed(patched(luks1, (x) => x.fill(0x41, 168, 208))), 'EFORMAT', /UUID field is not a terminated/);
    await expectError(openTimed(luks1.subarray(0, 1000)), 'EFORMAT', /payload offset 2097152 is outside the device \(size 1000\)/);
  });
});

describe('LUKS2 crafted headers', () => {
  it('opens the good image; a wrong passphrase is EPERM', async () => {
    await openTimed(luks2);
    await expectError(
      openLuks(new MemSource(luks2), Buffer.from('nope'), 'x'),
      'EPERM',
      /^crafted\.img: no key slot accepts this passphrase$/,
    );
  });
  it('pbkdf2 iterations 2^31, argon2 memory 2 GiB / 4 TiB, time 1000: refused before any work', async () => {
    await expectError(
      openTimed(json2((j) => (j.keyslots['0'].kdf.iterations = 2 ** 31))),
      'EUNSUPPORTED',
      /pbkdf2 iteration count 2147483648 exceeds the cap/,
    );
    const argon = argon2Slot0;
    await expectError(
      openTimed(json2(argon(2 * 1024 * 1024, 4))),
      'EUNSUPPORTED',
      /argon2id memory cost 2097152 KiB exceeds the cap 1048576 KiB/,
    );
    await expectError(openTimed(json2(argon(4 * 1024 ** 3, 4))), 'EFORMAT', /kdf memory 4294967296 is not an integer/);
    await expectError(openTimed(json2(argon(1024, 1000))), 'EUNSUPPORTED', /argon2id time cost 1000 exceeds the cap 16/);
    await expectError(openTimed(json2((j) => (j.digests['0'].iterations = 2 ** 31))), 'EUNSUPPORTED', /digest iteration count/);
  });
  it('key size 0 and 1024, AF stripes 2^31, a key slot area past the device', async () => {
    await expectError(openTimed(json2((j) => (j.keyslots['0'].key_size = 0))), 'EFORMAT', /keyslot 0 key_size 0 is not an integer in 1–64/);
    await expectError(openTimed(json2((j) => (j.keyslots['0'].key_size = 1024))), 'EFORMAT', /keyslot 0 key_size 1024/);
    await expectError(openTimed(json2((j) => (j.keyslots['0'].af.stripes = 2 ** 31))), 'EFORMAT', /af\.stripes 2147483648/);
    await expectError(
      openTimed(json2((j) => (j.keyslots['0'].area.offset = '1099511627776'))),
      'EFORMAT',
      /keyslot 0 area .* is outside the keyslots area/,
    );
    await expectError(
      openTimed(json2((j) => (j.config.keyslots_size = '1099511627776'))),
      'EFORMAT',
      /keyslots area .* runs past the device/,
    );
    await expectError(openTimed(json2((j) => (j.keyslots['0'].area.offset = '99999999999999999999'))), 'EFORMAT', /beyond 2\^53/);
  });
  it('a JSON area of 1 GiB claimed (header size field, config.json_size)', async () => {
    const b = patched(luks2, (x) => {
      for (const at of [0, 16384]) x.writeBigUInt64BE(1n << 30n, at + 8);
    });
    await expectError(
      openTimed(b),
      'EFORMAT',
      /both LUKS2 header copies are corrupt \(primary: primary header: header size 1073741824 is not a LUKS2 size/,
    );
    await expectError(
      openTimed(json2((j) => (j.config.json_size = '1073741824'))),
      'EFORMAT',
      /config\.json_size 1073741824 does not match/,
    );
  });
  it('JSON that is not JSON, or nested 500,000 deep, or not the right shape', async () => {
    const notJson = Buffer.from(luks2);
    setLuks2Json(notJson, '{"keyslots": [}');
    await expectError(openTimed(notJson), 'EFORMAT', /both LUKS2 header copies are corrupt .*JSON area does not parse/);
    const deep = Buffer.from(luks2Big);
    const n = 500_000;
    setLuks2Json(deep, `${'['.repeat(n)}${']'.repeat(n)}`);
    await expectError(openTimed(deep), 'EFORMAT', /JSON metadata is not an object|JSON area does not parse/);
    await expectError(openTimed(json2((j) => (j.keyslots = 'x'))), 'EFORMAT', /keyslots is not an object/);
    const many: Json = {};
    for (let i = 0; i < 1000; i++) many[String(i)] = {};
    await expectError(openTimed(json2((j) => (j.keyslots = many))), 'EFORMAT', /keyslots: 1000 entries \(at most 32\)/);
  });
  it('segments overlapping the header, two segments, integrity, a detached header', async () => {
    await expectError(openTimed(json2((j) => (j.segments['0'].offset = '4096'))), 'EFORMAT', /segment 0 offset 4096 overlaps the header/);
    await expectError(openTimed(json2((j) => (j.segments['1'] = { ...j.segments['0'] }))), 'EUNSUPPORTED', /2 data segments/);
    await expectError(openTimed(json2((j) => (j.segments['0'].integrity = { type: 'hmac(sha256)' }))), 'EUNSUPPORTED', /dm-integrity/);
    await expectError(openTimed(json2((j) => (j.segments['0'].offset = '0'))), 'EUNSUPPORTED', /detached header/);
    await expectError(openTimed(json2((j) => (j.segments['0'].size = String(4096 * 1e8)))), 'EFORMAT', /runs past the device/);
  });
  it('a broken or too costly slot does not stop the next one', async () => {
    const twoSlots = (f: (slot0: Json) => void) =>
      json2((j) => {
        j.keyslots['1'] = JSON.parse(JSON.stringify(j.keyslots['0']));
        j.digests['0'].keyslots = ['0', '1'];
        f(j.keyslots['0']);
      });
    expect(
      (
        await findVolumeKey(
          new MemSource(twoSlots((s) => (s.area.encryption = 'serpent-xts-plain64'))),
          (await readLuksHeader(new MemSource(twoSlots(() => {}))))!,
          PASS,
        )
      ).equals(vk2),
    ).toBe(true);
    await openTimed(twoSlots((s) => (s.area.encryption = 'serpent-xts-plain64')));
    await openTimed(twoSlots((s) => (s.kdf.iterations = 2 ** 31)));
    await expectError(
      openLuks(new MemSource(twoSlots((s) => (s.kdf.iterations = 2 ** 31))), Buffer.from('nope'), 'x'),
      'EPERM',
      /no key slot accepts this passphrase \(also: key slot 0: pbkdf2 iteration count 2147483648 exceeds the cap 10000000, not attempted\)$/,
    );
  });
  it('a slot of priority "ignore" is not tried; no key slots at all', async () => {
    await expectError(
      openTimed(json2((j) => (j.keyslots['0'].priority = 0))),
      'EPERM',
      /no key slot to try \(key slot 0 has priority "ignore"\)/,
    );
    const none = json2((j) => {
      j.keyslots = {};
      j.digests['0'].keyslots = [];
    });
    expect((await readLuksHeader(new MemSource(none)))?.keySize).toBe(0);
    await expectError(openTimed(none), 'EPERM', /^crafted\.img: no key slot to try$/);
  });
  it('a corrupt primary falls back to the secondary; both corrupt is one line', async () => {
    const prim = patched(luks2, (x) => {
      x[4096 + 10] = x[4096 + 10]! ^ 0xff;
    });
    const dev = (await openTimed(prim)) as { size: number };
    expect(dev.size).toBeGreaterThan(0);
    expect((await readLuksHeader(new MemSource(prim)))?.headerCopy).toBe('secondary');
    const noMagic = patched(luks2, (x) => x.fill(0, 0, 8));
    expect((await readLuksHeader(new MemSource(noMagic)))?.headerCopy).toBe('secondary');
    await openTimed(noMagic);
    const both = patched(luks2, (x) => {
      x[4096 + 10] = x[4096 + 10]! ^ 0xff;
      x[16384 + 4096 + 10] = x[16384 + 4096 + 10]! ^ 0xff;
    });
    await expectError(
      openTimed(both),
      'EFORMAT',
      /^crafted\.img: both LUKS2 header copies are corrupt \(primary: primary header: checksum mismatch; secondary: secondary header: checksum mismatch\)$/,
    );
    // the newer copy wins when both are valid
    const newer = Buffer.from(luks2);
    const j = luks2Json(newer) as Json;
    j.segments['0'].encryption = 'aes-cbc-essiv:sha256';
    setLuks2Json(newer, JSON.stringify(j), [1]);
    newer.writeBigUInt64BE(newer.readBigUInt64BE(16) + 1n, 16384 + 16);
    fixLuks2Checksum(newer, 16384, 16384);
    expect((await readLuksHeader(new MemSource(newer)))?.cipher).toBe('aes-cbc-essiv:sha256');
  });
});

/** Either opens with the right volume key, or fails with a clean one-line JootError. */
async function openOrCleanError(buf: Buffer, vk: Buffer): Promise<'ok' | string> {
  const src = new MemSource(buf);
  try {
    const hdr = await readLuksHeader(src);
    if (!hdr) return 'not LUKS';
    expect((await findVolumeKey(src, hdr, PASS)).equals(vk)).toBe(true);
    const dev = await openLuks(src, PASS, 'x');
    await dev.read(0, Math.min(8192, dev.size));
    return 'ok';
  } catch (e) {
    if (!(e instanceof JootError)) throw e;
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith('crafted.img: ')).toBe(true);
    return e.code;
  }
}

describe('random corruptions', () => {
  it('100 corrupt LUKS1 headers: right key or a clean error', async () => {
    const rnd = prng(1);
    const seen = new Map<string, number>();
    for (let round = 0; round < 100; round++) {
      const b = Buffer.from(luks1);
      const k = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < k; i++) {
        const at = rnd() < 0.8 ? Math.floor(rnd() * 592) : 4096 + Math.floor(rnd() * 256000);
        b[at] = Math.floor(rnd() * 256);
      }
      const r = await openOrCleanError(b, vk1);
      seen.set(r, (seen.get(r) ?? 0) + 1);
    }
    expect(seen.get('ok')).toBeGreaterThan(0);
  }, 120_000);

  it('100 corrupt LUKS2 headers (raw bytes, and JSON edits with fixed checksums): right key or a clean error', async () => {
    const rnd = prng(2);
    const seen = new Map<string, number>();
    const text = JSON.stringify(luks2Json(luks2));
    const alphabet = '0123456789{}[]":,abcdefxyz-"';
    for (let round = 0; round < 100; round++) {
      let b: Buffer;
      if (round % 2 === 0) {
        b = Buffer.from(luks2);
        for (let i = 0; i < 3; i++) {
          const copy = rnd() < 0.5 ? 0 : 16384;
          b[copy + Math.floor(rnd() * (rnd() < 0.5 ? 512 : 16384))] = Math.floor(rnd() * 256);
        }
      } else {
        const chars = [...text];
        for (let i = 0; i < 2; i++) chars[Math.floor(rnd() * chars.length)] = alphabet[Math.floor(rnd() * alphabet.length)]!;
        b = Buffer.from(luks2);
        setLuks2Json(b, chars.join(''));
      }
      const r = await openOrCleanError(b, vk2);
      seen.set(r, (seen.get(r) ?? 0) + 1);
    }
    expect(seen.get('ok')).toBeGreaterThan(0);
    expect(seen.get('EFORMAT')).toBeGreaterThan(0);
  }, 120_000);
});
