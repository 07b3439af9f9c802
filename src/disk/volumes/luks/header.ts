// What a LUKS header says, for both versions, in one shape: enough to show (luksDump-like
// facts) and to open (key slots, digests, the data segment).
import type { LuksKdf } from './kdf.js';

export interface LuksSlot {
  /** the slot number as cryptsetup shows it */
  index: number;
  /** LUKS2 priority: 0 ignore (tried only when named), 1 normal, 2 high; LUKS1 slots are 1 */
  priority: number;
  kdf: LuksKdf;
  /** the volume key's size in bytes (what the AF merge yields) */
  keySize: number;
  /** the encrypted key material on the device, in bytes */
  areaOffset: number;
  areaSize: number;
  /** the cipher of the key material and the size of the key the KDF derives for it */
  areaCipher: string;
  areaKeySize: number;
  stripes: number;
  afHash: string;
}

/** A PBKDF2 digest of the volume key, and which slots it checks. */
export interface LuksDigest {
  hash: string;
  iterations: number;
  salt: Buffer;
  digest: Buffer;
  slots: readonly number[];
}

export interface LuksHeader {
  version: 1 | 2;
  uuid: string;
  /** LUKS2 only, absent when empty */
  label?: string;
  /** "aes-xts-plain64" (LUKS1: cipher name and mode joined with "-") */
  cipher: string;
  /** the volume key's size in bytes (LUKS2: from the key slots; 0 when there are none) */
  keySize: number;
  /** where the encrypted data starts, in bytes */
  payloadOffset: number;
  /** its size in bytes, whole sectors */
  payloadSize: number;
  /** the encryption sector size (LUKS1: 512) */
  sectorSize: number;
  /** added to the IV sector number (LUKS2 iv_tweak) */
  ivTweak: number;
  /** the IV counts sectorSize units rather than 512-byte units (false for LUKS1 and LUKS2 alike) */
  ivLargeSectors: boolean;
  /** active key slots, by index */
  slots: LuksSlot[];
  digests: LuksDigest[];
  /** LUKS2: the header copy the answers come from, and why the other was not used */
  headerCopy?: 'primary' | 'secondary';
}

/** With a detached header (cryptsetup --header): the device the encrypted data is on, whose size
 *  bounds the payload; the header and key slots are then on the header's own source. */
export interface LuksDataDevice {
  name: string;
  size: number;
}
