// LVM2's checksum (lib/misc/crc.c): CRC-32 with the reflected polynomial 0xEDB88320, started
// from 0xf597a6cf and without the final inversion of zlib's crc32. It guards the label sector,
// each metadata area header and each copy of the VG text.
import { crc32Raw } from '../../crc32.js';

export const LVM_INITIAL_CRC = 0xf597a6cf;

/** Continue an LVM checksum over `buf` (pass the result of one call as `crc` of the next). */
export function lvmCrc(buf: Uint8Array, crc = LVM_INITIAL_CRC): number {
  return crc32Raw(buf, crc);
}
