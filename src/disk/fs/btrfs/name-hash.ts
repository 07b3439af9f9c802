// The key offset btrfs gives a name in its trees.
import { crc32cRaw } from '../../crc32.js';

/** btrfs_name_hash: the key offset of a DIR_ITEM or XATTR_ITEM (CRC-32C, seed ~1, no final inversion). */
export function nameHash(name: Uint8Array): bigint {
  return BigInt(crc32cRaw(name, 0xfffffffe));
}
