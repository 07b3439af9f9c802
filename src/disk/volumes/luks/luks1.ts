// The LUKS1 binary header (the "phdr", 592 bytes, big-endian): cipher strings, the master-key
// digest and 8 key slots. Facts from the LUKS1 on-disk format specification.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { LuksDataDevice, LuksHeader, LuksSlot } from './header.js';
import { clip, luksHash } from './sector-cipher.js';

export const LUKS1_PHDR_SIZE = 592;
const SLOT_ACTIVE = 0x00ac71f3;
const SLOT_DISABLED = 0x0000dead;
const SECTOR = 512;
/** The splitter's stripe count is 4000 in every LUKS writer; more is refused (material is key size × stripes). */
export const MAX_STRIPES = 4000;
export const MAX_KEY_BYTES = 64;

/** Parse the phdr at the start of `src` (magic and version already checked by the caller);
 *  `data`: the data device of a detached header (the key material is then in `src`, up to its end). */
export function parseLuks1(b: Buffer, src: ByteSource, data?: LuksDataDevice): LuksHeader {
  const bad = (what: string) => new JootError('EFORMAT', `${src.name}: LUKS1 header: ${what}`);
  const cipherName = cstr(b, 8, 32, 'cipher name', bad);
  const cipherMode = cstr(b, 40, 32, 'cipher mode', bad);
  const hashSpec = cstr(b, 72, 32, 'hash spec', bad);
  const payloadSectors = b.readUInt32BE(104);
  const keyBytes = b.readUInt32BE(108);
  const mkDigest = Buffer.from(b.subarray(112, 132));
  const mkSalt = Buffer.from(b.subarray(132, 164));
  const mkIter = b.readUInt32BE(164);
  const uuid = cstr(b, 168, 40, 'UUID', bad);
  const hash = luksHash(hashSpec);
  if (hash === undefined) throw new JootError('EUNSUPPORTED', `${src.name}: LUKS1 hash "${clip(hashSpec)}" is not supported`);
  if (keyBytes < 1 || keyBytes > MAX_KEY_BYTES) throw bad(`key size ${keyBytes} bytes is out of range (1–${MAX_KEY_BYTES})`);
  if (mkIter < 1) throw bad('master key digest iteration count is 0');
  const payloadOffset = payloadSectors * SECTOR;
  if (payloadSectors < 1 && !data)
    throw new JootError('EUNSUPPORTED', `${src.name}: LUKS1 with a detached header (payload offset 0) without its data device`);
  const dev = data ?? src;
  if (payloadOffset > dev.size) {
    throw bad(`payload offset ${payloadOffset} is outside ${data ? `data device ${data.name}` : 'the device'} (size ${dev.size})`);
  }
  const materialEnd = data ? src.size : payloadOffset;
  const materialSectors = (stripes: number) => Math.ceil((keyBytes * stripes) / SECTOR);
  const slots: LuksSlot[] = [];
  for (let i = 0; i < 8; i++) {
    const o = 208 + i * 48;
    const state = b.readUInt32BE(o);
    if (state === SLOT_DISABLED) continue;
    if (state !== SLOT_ACTIVE) throw bad(`key slot ${i} has an invalid state 0x${state.toString(16)}`);
    const iterations = b.readUInt32BE(o + 4);
    const salt = Buffer.from(b.subarray(o + 8, o + 40));
    const materialOffset = b.readUInt32BE(o + 40);
    const stripes = b.readUInt32BE(o + 44);
    if (stripes < 1 || stripes > MAX_STRIPES) throw bad(`key slot ${i}: AF stripe count ${stripes} is out of range (1–${MAX_STRIPES})`);
    if (iterations < 1) throw bad(`key slot ${i}: iteration count is 0`);
    const areaOffset = materialOffset * SECTOR;
    const areaSize = materialSectors(stripes) * SECTOR;
    // the material lies between the phdr and the payload, inside the device
    if (materialOffset < 1 || areaOffset + areaSize > materialEnd) {
      throw bad(`key slot ${i}: key material at bytes ${areaOffset}+${areaSize} is outside the header area (which ends at ${materialEnd})`);
    }
    slots.push({
      index: i,
      priority: 1,
      kdf: { type: 'pbkdf2', hash, iterations, salt },
      keySize: keyBytes,
      areaOffset,
      areaSize,
      areaCipher: `${cipherName}-${cipherMode}`,
      areaKeySize: keyBytes,
      stripes,
      afHash: hash,
    });
  }
  const payloadSize = dev.size - payloadOffset - ((dev.size - payloadOffset) % SECTOR);
  return {
    version: 1,
    uuid,
    cipher: `${cipherName}-${cipherMode}`,
    keySize: keyBytes,
    payloadOffset,
    payloadSize,
    sectorSize: SECTOR,
    ivTweak: 0,
    ivLargeSectors: false,
    slots,
    digests: [{ hash, iterations: mkIter, salt: mkSalt, digest: mkDigest, slots: slots.map((s) => s.index) }],
  };
}

/** A NUL-terminated string field: printable ASCII, or (a LUKS2 label) UTF-8 without control characters. */
export function cstr(
  b: Buffer,
  off: number,
  len: number,
  what: string,
  bad: (w: string) => Error,
  enc: 'ascii' | 'utf8' = 'ascii',
): string {
  const field = b.subarray(off, off + len);
  const end = field.indexOf(0);
  const raw = field.subarray(0, end < 0 ? len : end);
  const s = raw.toString(enc === 'utf8' ? 'utf8' : 'latin1');
  const badChars = enc === 'utf8' ? /[\x00-\x1f\x7f\ufffd]/ : /[^\x20-\x7e]/;
  if (end < 0 || badChars.test(s)) throw bad(`${what} field is not a terminated printable string`);
  return s;
}
