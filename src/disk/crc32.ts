// The table-driven CRC-32s of the userspace engine (Node 20 has no zlib.crc32), both reflected:
// - CRC-32 (IEEE 802.3, polynomial 0xEDB88320): GPT headers and entry arrays use the standard
//   form (crc32); LVM2 runs the same table from its own seed without the final inversion
//   (crc32Raw, see volumes/lvm/crc.ts).
// - CRC-32C (Castagnoli, polynomial 0x82F63B78): btrfs checksums its superblocks and tree nodes
//   with it (csum_type 0) and hashes directory and xattr names with its raw form.

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const CRC32 = table(0xedb88320);
const CRC32C = table(0x82f63b78);

/** Continue a raw CRC through `t` (no pre- or post-inversion) from `crc` over `buf`. */
function raw(t: Uint32Array, buf: Uint8Array, crc: number): number {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** Continue a raw CRC-32 (no pre- or post-inversion) from `crc` over `buf`. */
export function crc32Raw(buf: Uint8Array, crc: number): number {
  return raw(CRC32, buf, crc);
}

/** The standard CRC-32 of `buf`. */
export function crc32(buf: Uint8Array): number {
  return (raw(CRC32, buf, 0xffffffff) ^ 0xffffffff) >>> 0;
}

/** Continue a raw CRC-32C (no pre- or post-inversion) from `crc` over `buf`. */
export function crc32cRaw(buf: Uint8Array, crc: number): number {
  return raw(CRC32C, buf, crc);
}

/** The standard CRC-32C of `buf`. */
export function crc32c(buf: Uint8Array): number {
  return (raw(CRC32C, buf, 0xffffffff) ^ 0xffffffff) >>> 0;
}
