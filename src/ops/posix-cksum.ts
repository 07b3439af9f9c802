// The CRC of POSIX cksum(1) (guestfish's `checksum crc`): CRC-32 with polynomial 0x04C11DB7,
// most significant bit first, no reflection, over the bytes and then the length (least
// significant byte first, as few bytes as it takes), inverted; printed in decimal.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** A running cksum: feed it chunks, then read `digest()`. */
export class PosixCksum {
  private crc = 0;
  private length = 0n;

  update(chunk: Uint8Array): this {
    let c = this.crc;
    for (const b of chunk) c = ((c << 8) ^ TABLE[((c >>> 24) ^ b) & 0xff]!) >>> 0;
    this.crc = c;
    this.length += BigInt(chunk.length);
    return this;
  }

  /** The checksum as cksum prints it (decimal). */
  digest(): string {
    let c = this.crc;
    for (let n = this.length; n > 0n; n >>= 8n) c = ((c << 8) ^ TABLE[((c >>> 24) ^ Number(n & 0xffn)) & 0xff]!) >>> 0;
    return String(~c >>> 0);
  }
}
