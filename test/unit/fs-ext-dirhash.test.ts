// The ext4 directory hash and fscrypt no-key names. The hash vectors come from e2fsprogs'
// `debugfs -R 'dx_hash -h ALG -s 01234567-89ab-cdef-0011-223344556677 NAME'` (an independent
// implementation of fs/ext4/hash.c); the no-key names from the layout in fs/crypto/fname.c.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dirHash } from '../../src/disk/fs/ext/dirhash.js';
import { decodeNoKeyName, matchesNoKey, noKeyName } from '../../src/disk/fs/ext/nokey.js';

const SEED = [0x67452301, 0xefcdab89, 0x33221100, 0x77665544];
const LONG = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-long-name';
const HIGH = Buffer.from('caf\xc3\xa9-\xff\x80', 'latin1');

describe('ext4 dirhash', () => {
  const cases: [number, Buffer, number, number][] = [
    [0, Buffer.from('hello'), 0x32252546, 0],
    [0, HIGH, 0x29730c82, 0],
    [0, Buffer.from(LONG), 0xfa4c43ca, 0],
    [3, HIGH, 0xa8875488, 0],
    [1, Buffer.from('a'), 0xa0a0de00, 0x8dfa0f7b],
    [1, Buffer.from('hello'), 0x87d861fe, 0x9b295f1b],
    [1, HIGH, 0x99f12d34, 0x46f6b478],
    [1, Buffer.from(LONG), 0x75a007d2, 0x8b5ff899],
    [4, HIGH, 0x7cca9b76, 0x9ac25ee7],
    [2, Buffer.from('a'), 0x6d0ea4c0, 0xc18922df],
    [2, HIGH, 0x4004da98, 0x32a7cece],
    [2, Buffer.from(LONG), 0x942aed58, 0xdd9985a5],
    [5, HIGH, 0x5197e732, 0x131fb4e6],
  ];
  it.each(cases)('version %i of %s', (version, name, hash, minor) => {
    expect(dirHash(name, version, SEED)).toEqual({ hash, minor });
  });
  it('an all-zero seed is the default one; an unknown version has no hash', () => {
    // debugfs -R 'dx_hash -h half_md4 hello' (no seed)
    expect(dirHash(Buffer.from('hello'), 1, [0, 0, 0, 0])).toEqual({ hash: 0x1746da32, minor: 0x420013b5 });
    expect(dirHash(Buffer.from('hello'), 9, SEED)).toBeUndefined();
  });
});

describe('fscrypt no-key names', () => {
  it('short ciphertexts travel whole, after the two hash words', () => {
    const c = Buffer.alloc(16, 0xab);
    const name = noKeyName(c, 0x11223344, 0x55667788);
    expect(Buffer.from(name, 'base64url')).toEqual(Buffer.concat([Buffer.from('4433221188776655', 'hex'), c]));
    expect(name).not.toMatch(/[=+/]/);
    const q = decodeNoKeyName(name)!;
    expect(matchesNoKey(q, c)).toBe(true);
    expect(matchesNoKey(q, Buffer.alloc(16, 0xac))).toBe(false);
  });
  it('ciphertexts over 149 bytes: a prefix and the SHA-256 of the rest, 252 characters', () => {
    const c = Buffer.alloc(208, 7);
    c[200] = 9;
    const name = noKeyName(c, 1, 2);
    expect(name).toHaveLength(252);
    const raw = Buffer.from(name, 'base64url');
    expect(raw.subarray(157)).toEqual(createHash('sha256').update(c.subarray(149)).digest());
    const q = decodeNoKeyName(name)!;
    expect(q).toMatchObject({ kind: 'digest', hash: 1, minor: 2 });
    expect(matchesNoKey(q, c)).toBe(true);
    const other = Buffer.from(c);
    other[207] = 0;
    expect(matchesNoKey(q, other)).toBe(false);
  });
  it('what the kernel refuses to decode: bad characters, stray bits, wrong lengths', () => {
    expect(decodeNoKeyName('not*base64xxxxxx')).toBeUndefined();
    expect(decodeNoKeyName('AAAAAAAAAAAAAB')).toBeUndefined(); // 10 bytes and 4 bits that are not zero
    expect(decodeNoKeyName('AAAAAAAAAAAAAQ')).toMatchObject({ kind: 'whole' }); // 10 bytes, the 4 bits zero
    expect(decodeNoKeyName('AAAAAAAAAAA')).toBeUndefined(); // 8 bytes: no ciphertext at all
    expect(decodeNoKeyName('A'.repeat(253))).toBeUndefined();
    expect(decodeNoKeyName('AAAAAAAAAAAA')).toMatchObject({ kind: 'whole' });
  });
});
