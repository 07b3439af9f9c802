// Open a LUKS device with a passphrase: try the key slots in order (LUKS2: high priority
// first, "ignore" never), each one's KDF capped, AF-merged and checked against its digest;
// the first volume key that checks out decrypts the payload.
import { nodeCrypto } from '../../../core/lazy-node.js';
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import { afMerge } from './af.js';
import type { LuksHeader, LuksSlot } from './header.js';
import { CAPS, deriveKey, kdfRefusal } from './kdf.js';
import { LuksSource } from './luks-source.js';
import { readLuksHeader } from './read-header.js';
import { sectorCipher } from './sector-cipher.js';

/** The decrypted payload of `src` as a ByteSource called `name`. Wrong passphrase: EPERM. */
export async function openLuks(src: ByteSource, passphrase: Buffer, name: string): Promise<ByteSource> {
  const hdr = await readLuksHeader(src);
  if (!hdr) throw new JootError('EINVAL', `${src.name}: not a LUKS device`);
  const key = await findVolumeKey(src, hdr, passphrase);
  return new LuksSource(src, hdr, key, name);
}

/**
 * A LUKS volume whose header is detached (cryptsetup luksFormat --header FILE): the header and key
 * slots come from `header`, the encrypted data from `data` (from the header's segment offset, often
 * 0). The header cannot tell whether `data` is the right device: a wrong one decrypts to noise.
 */
export async function openLuksDetached(header: ByteSource, data: ByteSource, passphrase: Buffer, name: string): Promise<ByteSource> {
  const hdr = await readLuksHeader(header, { name: data.name, size: data.size });
  if (!hdr) throw new JootError('EINVAL', `${header.name}: not a LUKS header`);
  const key = await findVolumeKey(header, hdr, passphrase);
  return new LuksSource(data, hdr, key, name);
}

/** The volume key that `passphrase` unlocks, tried slot by slot. */
export async function findVolumeKey(src: ByteSource, hdr: LuksHeader, passphrase: Buffer): Promise<Buffer> {
  const order = [...hdr.slots.filter((s) => s.priority === 2), ...hdr.slots.filter((s) => s.priority === 1)];
  // a slot refused for its cost or broken in itself does not stop the others from being tried
  const refused: string[] = [];
  const broken: JootError[] = [];
  let tried = 0;
  for (const slot of order) {
    const refusal = kdfRefusal(slot.kdf);
    if (refusal) {
      refused.push(`key slot ${slot.index}: ${refusal}`);
      continue;
    }
    try {
      const key = await trySlot(src, hdr, slot, passphrase);
      if (key) return key;
      tried++;
    } catch (e) {
      if (!(e instanceof JootError)) throw e;
      broken.push(e);
    }
  }
  const notes = [...refused.map((r) => `${r}, not attempted`), ...broken.map((e) => e.message.slice(src.name.length + 2))];
  if (tried > 0) {
    const also = notes.length > 0 ? ` (also: ${notes[0]}${notes.length > 1 ? `, and ${notes.length - 1} more` : ''})` : '';
    throw new JootError('EPERM', `${src.name}: no key slot accepts this passphrase${also}`);
  }
  if (broken.length > 0) throw broken[0]!;
  if (refused.length > 0) throw new JootError('EUNSUPPORTED', `${src.name}: ${notes[0]}`);
  const ignored = hdr.slots.filter((s) => s.priority === 0).map((s) => s.index);
  const why = ignored.length > 0 ? ` (key slot ${ignored.join(', ')} has priority "ignore")` : '';
  throw new JootError('EPERM', `${src.name}: no key slot to try${why}`);
}

async function trySlot(src: ByteSource, hdr: LuksHeader, slot: LuksSlot, passphrase: Buffer): Promise<Buffer | undefined> {
  const where = `${src.name}: key slot ${slot.index}`;
  const digests = hdr.digests.filter((d) => d.slots.includes(slot.index));
  if (digests.length === 0) return undefined; // nothing to check a key against
  for (const d of digests) {
    if (d.iterations > CAPS.pbkdf2Iterations) {
      throw new JootError('EUNSUPPORTED', `${where}: digest iteration count ${d.iterations} exceeds the cap ${CAPS.pbkdf2Iterations}`);
    }
  }
  const derived = await deriveKey(slot.kdf, passphrase, slot.areaKeySize, where);
  const materialLen = Math.ceil((slot.keySize * slot.stripes) / 512) * 512;
  const material = await src.read(slot.areaOffset, materialLen);
  // the key material is sector-encrypted like the payload, IVs counted from the area's start
  const plain = sectorCipher(slot.areaCipher, derived, where).decrypt(material, 512, (i) => i);
  const candidate = afMerge(plain, slot.keySize, slot.stripes, slot.afHash);
  for (const d of digests) {
    if (d.digest.length === 0 || d.digest.length > 64) continue;
    // digest iterations are small (cryptsetup: ~1000–100000) and capped above
    const check = nodeCrypto().pbkdf2Sync(candidate, d.salt, d.iterations, d.digest.length, d.hash);
    if (nodeCrypto().timingSafeEqual(check, d.digest)) return candidate;
  }
  return undefined;
}
