// PosixCksum against the host's cksum(1) (guestfish's `checksum crc` runs cksum in its appliance).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PosixCksum } from '../../src/ops/posix-cksum.js';

const cksum = (data: Uint8Array) => execFileSync('cksum', { input: data }).toString().split(' ')[0];

describe('PosixCksum', () => {
  it('matches cksum on an empty input, a short line and 100,000 bytes fed in odd chunks', () => {
    expect(new PosixCksum().digest()).toBe('4294967295');
    expect(new PosixCksum().update(Buffer.from('ghijkl\n')).digest()).toBe('3383644895');
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    const c = new PosixCksum();
    for (let at = 0; at < big.length; at += 4093) c.update(big.subarray(at, at + 4093));
    expect(c.digest()).toBe(cksum(big));
  });
});
