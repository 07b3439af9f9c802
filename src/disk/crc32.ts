// CRC-32 with the reflected polynomial 0xEDB88320 (IEEE 802.3), table-driven: Node 20 has no
// zlib.crc32. GPT headers and entry arrays use the standard form (crc32); LVM2 runs the same
// table from its own seed without the final inversion (crc32Raw, see volumes/lvm/crc.ts).
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continue a raw CRC (no pre- or post-inversion) from `crc` over `buf`. */
export function crc32Raw(buf: Uint8Array, crc: number): number {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32 of `buf`. */
export function crc32(buf: Uint8Array): number {
  return (crc32Raw(buf, 0xffffffff) ^ 0xffffffff) >>> 0;
}
