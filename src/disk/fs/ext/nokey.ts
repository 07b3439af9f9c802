// fscrypt names without the key, as Linux shows them (fs/crypto/fname.c): an encrypted
// directory lists each ciphertext name as the base64url (no padding) of a "no-key name" —
// the entry's dirhash (two little-endian words), then the ciphertext, or, for ciphertexts over
// 149 bytes, their first 149 bytes and the SHA-256 of the rest (so the name fits NAME_MAX).
// Looking such a name up decodes it back and compares the ciphertext (or prefix and digest).
import { nodeCrypto } from '../../../core/lazy-node.js';

/** ciphertext bytes a no-key name carries whole */
const NOKEY_BYTES = 149;
/** the long form: two hash words, 149 bytes, a SHA-256 */
const NOKEY_MAX = 8 + NOKEY_BYTES + 32;
/** its base64url length: longer names cannot be no-key names */
const NOKEY_MAX_ENCODED = 252;
/** fscrypt pads every name to at least this: a shorter ciphertext is corrupt */
export const FSCRYPT_MIN_NAME = 16;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The no-key name of ciphertext `name` with dirhash (hash, minor). */
export function noKeyName(name: Buffer, hash: number, minor: number): string {
  const long = name.length > NOKEY_BYTES;
  const buf = Buffer.alloc(long ? NOKEY_MAX : 8 + name.length);
  buf.writeUInt32LE(hash >>> 0, 0);
  buf.writeUInt32LE(minor >>> 0, 4);
  name.copy(buf, 8, 0, Math.min(name.length, NOKEY_BYTES));
  if (long)
    nodeCrypto()
      .createHash('sha256')
      .update(name.subarray(NOKEY_BYTES))
      .digest()
      .copy(buf, 8 + NOKEY_BYTES);
  return buf.toString('base64url');
}

/** A looked-up name decoded as the kernel's fscrypt_setup_filename does without the key. */
export type NoKeyQuery =
  | { kind: 'whole'; hash: number; minor: number; ciphertext: Buffer }
  | { kind: 'digest'; hash: number; minor: number; prefix: Buffer; sha256: Buffer };

/** Decode a no-key name; undefined where the kernel answers ENOENT without looking. */
export function decodeNoKeyName(name: string): NoKeyQuery | undefined {
  if (name.length > NOKEY_MAX_ENCODED) return undefined;
  // strict base64url, as fscrypt_base64url_decode: no padding, no stray bits
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of name) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  if (acc & ((1 << bits) - 1)) return undefined;
  const b = Buffer.from(out);
  if (b.length < 9 || (b.length > 8 + NOKEY_BYTES && b.length !== NOKEY_MAX)) return undefined;
  if (b.length !== NOKEY_MAX) return { kind: 'whole', hash: b.readUInt32LE(0), minor: b.readUInt32LE(4), ciphertext: b.subarray(8) };
  return {
    kind: 'digest',
    hash: b.readUInt32LE(0),
    minor: b.readUInt32LE(4),
    prefix: b.subarray(8, 8 + NOKEY_BYTES),
    sha256: b.subarray(8 + NOKEY_BYTES),
  };
}

/** Whether ciphertext `disk` is the entry query `q` names (fscrypt_match_name). */
export function matchesNoKey(q: NoKeyQuery, disk: Buffer): boolean {
  if (q.kind === 'whole') return disk.equals(q.ciphertext);
  if (disk.length <= NOKEY_BYTES || !disk.subarray(0, NOKEY_BYTES).equals(q.prefix)) return false;
  return nodeCrypto().createHash('sha256').update(disk.subarray(NOKEY_BYTES)).digest().equals(q.sha256);
}
