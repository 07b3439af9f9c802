// LVM2's checksum (lib/misc/crc.c): CRC-32 with the reflected polynomial 0xEDB88320, started
// from 0xf597a6cf and without the final inversion of zlib's crc32. It guards the label sector,
// each metadata area header and each copy of the VG text.
export const LVM_INITIAL_CRC = 0xf597a6cf;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Continue an LVM checksum over `buf` (pass the result of one call as `crc` of the next). */
export function lvmCrc(buf: Uint8Array, crc = LVM_INITIAL_CRC): number {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}
