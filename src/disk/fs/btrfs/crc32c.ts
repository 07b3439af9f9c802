// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): btrfs checksums its superblocks and tree
// nodes with it (csum_type 0) and hashes directory and xattr names with its raw form.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continue a raw CRC-32C (no pre- or post-inversion) from `crc` over `buf`. */
export function crc32cRaw(buf: Uint8Array, crc: number): number {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32C of `buf`. */
export function crc32c(buf: Uint8Array): number {
  return (crc32cRaw(buf, 0xffffffff) ^ 0xffffffff) >>> 0;
}

/** btrfs_name_hash: the key offset of a DIR_ITEM or XATTR_ITEM (seed ~1, no final inversion). */
export function nameHash(name: Uint8Array): bigint {
  return BigInt(crc32cRaw(name, 0xfffffffe));
}
