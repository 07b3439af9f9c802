// guestfish's checksum crc is POSIX cksum's CRC (the values below are coreutils cksum's).
import { describe, expect, it } from 'vitest';
import { PosixCksum } from '../../src/ops/file-ops.js';

function cksum(...chunks: Uint8Array[]): number {
  const c = new PosixCksum();
  for (const b of chunks) c.update(b);
  return c.digest();
}

describe('PosixCksum', () => {
  it('matches cksum on short and empty input', () => {
    expect(cksum(Buffer.from('hello'))).toBe(3287646509);
    expect(cksum()).toBe(4294967295);
  });

  it('counts a length of several bytes, and chunking does not matter', () => {
    const all = Buffer.alloc(256 * 300);
    for (let i = 0; i < all.length; i++) all[i] = i & 0xff;
    expect(cksum(Buffer.alloc(1000, 'a'))).toBe(145108180);
    expect(cksum(all)).toBe(821533005);
    expect(cksum(all.subarray(0, 7), all.subarray(7, 40000), all.subarray(40000))).toBe(821533005);
  });
});
