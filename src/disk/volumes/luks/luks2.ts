// LUKS2: two copies of (4 KiB binary header + JSON area), each with a checksum over both; the
// copy with the valid checksum and the higher sequence id wins (cryptsetup's rule), so a
// damaged primary falls back to the secondary. Facts from the LUKS2 on-disk format document.
import { nodeCrypto } from '../../../core/lazy-node.js';
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { LuksDataDevice, LuksDigest, LuksHeader, LuksSlot } from './header.js';
import type { LuksKdf } from './kdf.js';
import { cstr, MAX_KEY_BYTES, MAX_STRIPES } from './luks1.js';
import { type Bad, b64, entries, ids, int, obj, str, u64 } from './luks2-json.js';
import { clip, luksHash } from './sector-cipher.js';

export const LUKS2_MAGIC_PRIMARY = Buffer.from('LUKS\xba\xbe', 'latin1');
export const LUKS2_MAGIC_SECONDARY = Buffer.from('SKUL\xba\xbe', 'latin1');
const BIN_SIZE = 4096;
/** The header sizes LUKS2 allows (binary header + JSON area): 16 KiB … 4 MiB. */
export const LUKS2_HDR_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096].map((k) => k * 1024);
const MAX_KEYSLOTS = 32;
const MAX_IDS = 64;

interface Copy {
  which: 'primary' | 'secondary';
  seqid: number;
  hdrSize: number;
  label: string;
  uuid: string;
  json: unknown;
}

/** Read the LUKS2 header of `src` (the primary's magic and version 2 already seen, or absent when
 *  `primaryBin` is); `data`: the data device of a detached header. */
export async function readLuks2(src: ByteSource, primaryBin: Buffer | undefined, data?: LuksDataDevice): Promise<LuksHeader> {
  const why: string[] = [];
  let primary: Copy | undefined;
  if (primaryBin) {
    try {
      primary = await readCopy(src, primaryBin, 0, 'primary');
    } catch (e) {
      if (!(e instanceof JootError)) throw e;
      why.push(`primary: ${e.message}`);
    }
  } else {
    why.push('primary: no LUKS magic');
  }
  let secondary: Copy | undefined;
  const offsets = [...new Set([...(primary ? [primary.hdrSize] : []), ...LUKS2_HDR_SIZES])];
  const secondaryWhy: string[] = [];
  for (const off of offsets) {
    if (off + BIN_SIZE > src.size) break;
    const bin = await src.read(off, BIN_SIZE);
    if (!bin.subarray(0, 6).equals(LUKS2_MAGIC_SECONDARY) || bin.readUInt16BE(6) !== 2) continue;
    try {
      secondary = await readCopy(src, bin, off, 'secondary');
      break;
    } catch (e) {
      if (!(e instanceof JootError)) throw e;
      secondaryWhy.push(e.message);
    }
  }
  if (!secondary) why.push(`secondary: ${secondaryWhy[0] ?? 'not found'}`);
  const use = primary && secondary ? (secondary.seqid > primary.seqid ? secondary : primary) : (primary ?? secondary);
  if (!use) throw new JootError('EFORMAT', `${src.name}: both LUKS2 header copies are corrupt (${why.join('; ')})`);
  return fromJson(src, use, data);
}

async function readCopy(src: ByteSource, bin: Buffer, at: number, which: Copy['which']): Promise<Copy> {
  const bad = (what: string) => new JootError('EFORMAT', `${which} header: ${what}`);
  const hdrSize64 = bin.readBigUInt64BE(8);
  const hdrSize = Number(hdrSize64);
  if (!LUKS2_HDR_SIZES.includes(hdrSize) || BigInt(hdrSize) !== hdrSize64) throw bad(`header size ${hdrSize64} is not a LUKS2 size`);
  if (bin.readBigUInt64BE(256) !== BigInt(at)) throw bad(`header offset field ${bin.readBigUInt64BE(256)} is not ${at}`);
  if (at + hdrSize > src.size) throw bad(`header (${hdrSize} bytes at ${at}) runs past the device (size ${src.size})`);
  const seqid = bin.readBigUInt64BE(16);
  if (seqid > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('sequence id is beyond 2^53');
  const label = cstr(bin, 24, 48, 'label', bad, 'utf8');
  const csumAlg = cstr(bin, 72, 32, 'checksum algorithm', bad);
  const uuid = cstr(bin, 168, 40, 'UUID', bad);
  const hash = luksHash(csumAlg);
  if (hash === undefined) throw bad(`checksum algorithm "${clip(csumAlg)}" is not supported`);
  const all = await src.read(at, hdrSize);
  const h = nodeCrypto().createHash(hash);
  const stored = Buffer.from(all.subarray(448, 512));
  all.fill(0, 448, 512);
  const sum = h.update(all).digest();
  if (!sum.equals(stored.subarray(0, sum.length))) throw bad('checksum mismatch');
  const area = all.subarray(BIN_SIZE);
  const end = area.indexOf(0);
  const text = area.subarray(0, end < 0 ? area.length : end).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`JSON area does not parse (${e instanceof Error ? clip(e.message) : 'error'})`);
  }
  return { which, seqid: Number(seqid), hdrSize, label, uuid, json };
}

function fromJson(src: ByteSource, c: Copy, data?: LuksDataDevice): LuksHeader {
  const bad: Bad = (what) => new JootError('EFORMAT', `${src.name}: LUKS2 ${c.which} header: ${what}`);
  const unsupported = (what: string) => new JootError('EUNSUPPORTED', `${src.name}: LUKS2: ${what}`);
  const root = obj(c.json, 'JSON metadata', bad);
  const config = obj(root['config'], 'config', bad);
  const jsonSize = u64(config['json_size'], 'config.json_size', bad);
  if (jsonSize !== c.hdrSize - BIN_SIZE) throw bad(`config.json_size ${jsonSize} does not match the header size ${c.hdrSize}`);
  const keyslotsSize = u64(config['keyslots_size'], 'config.keyslots_size', bad);
  const areaStart = 2 * c.hdrSize;
  const areaEnd = areaStart + keyslotsSize;
  if (areaEnd > src.size) throw bad(`keyslots area (${keyslotsSize} bytes at ${areaStart}) runs past the device (size ${src.size})`);
  if (config['requirements'] !== undefined) {
    const req = obj(config['requirements'], 'config.requirements', bad);
    if (req['mandatory'] !== undefined) {
      if (!Array.isArray(req['mandatory'])) throw bad('config.requirements.mandatory is not a list');
      if (req['mandatory'].length > 0) {
        throw unsupported(`mandatory requirement ${clip(req['mandatory'].map(String).join(', '))} (e.g. an unfinished reencryption)`);
      }
    }
  }

  const segs = entries(root['segments'], 'segments', bad, MAX_IDS);
  if (segs.length === 0) throw bad('no data segment');
  if (segs.length > 1) throw unsupported(`${segs.length} data segments (an unfinished reencryption?)`);
  const [segId, seg] = segs[0]!;
  const segType = str(seg['type'], `segment ${segId} type`, bad);
  if (segType !== 'crypt') throw unsupported(`segment type "${clip(segType)}"`);
  if (seg['integrity'] !== undefined) throw unsupported('authenticated encryption (dm-integrity) segments');
  const payloadOffset = u64(seg['offset'], `segment ${segId} offset`, bad);
  const sectorSize = int(seg['sector_size'], `segment ${segId} sector_size`, bad, 512, 4096);
  if (![512, 1024, 2048, 4096].includes(sectorSize)) throw bad(`segment ${segId} sector_size ${sectorSize} is not 512, 1024, 2048 or 4096`);
  const ivTweak = u64(seg['iv_tweak'] ?? '0', `segment ${segId} iv_tweak`, bad);
  const cipher = str(seg['encryption'], `segment ${segId} encryption`, bad, 64);
  if (payloadOffset === 0 && !data) throw unsupported('a detached header (data segment at offset 0) without its data device');
  if (payloadOffset % sectorSize !== 0) throw bad(`segment ${segId} offset ${payloadOffset} is not a multiple of its sector size`);
  // a detached header's areas are in the header file: the data device starts with the payload area
  if (!data && payloadOffset < areaEnd) {
    throw bad(`segment ${segId} offset ${payloadOffset} overlaps the header and key slot areas (which end at ${areaEnd})`);
  }
  const dev = data ?? src;
  const devName = data ? `data device ${data.name}` : 'the device';
  if (payloadOffset > dev.size) throw bad(`segment ${segId} offset ${payloadOffset} is outside ${devName} (size ${dev.size})`);
  let payloadSize: number;
  if (seg['size'] === 'dynamic') {
    payloadSize = dev.size - payloadOffset;
    payloadSize -= payloadSize % sectorSize;
  } else {
    payloadSize = u64(seg['size'], `segment ${segId} size`, bad);
    if (payloadSize % sectorSize !== 0) throw bad(`segment ${segId} size ${payloadSize} is not a multiple of its sector size`);
    if (payloadOffset + payloadSize > dev.size)
      throw bad(`segment ${segId} (${payloadSize} bytes at ${payloadOffset}) runs past ${devName} (size ${dev.size})`);
  }

  const digests: LuksDigest[] = [];
  for (const [id, d] of entries(root['digests'], 'digests', bad, MAX_IDS)) {
    const type = str(d['type'], `digest ${id} type`, bad);
    if (type !== 'pbkdf2') continue; // cryptsetup knows no other; such a digest checks nothing here
    const segments = ids(d['segments'], `digest ${id} segments`, bad, MAX_IDS);
    if (!segments.includes(segId)) continue;
    digests.push({
      hash: hashOf(d['hash'], `digest ${id} hash`, bad),
      iterations: int(d['iterations'], `digest ${id} iterations`, bad, 1, 2 ** 32 - 1),
      salt: b64(d['salt'], `digest ${id} salt`, bad),
      digest: b64(d['digest'], `digest ${id} digest`, bad),
      slots: ids(d['keyslots'], `digest ${id} keyslots`, bad, MAX_IDS),
    });
  }

  const slots: LuksSlot[] = [];
  for (const [id, k] of entries(root['keyslots'], 'keyslots', bad, MAX_KEYSLOTS)) {
    const type = str(k['type'], `keyslot ${id} type`, bad);
    if (type !== 'luks2') continue; // "reencrypt" slots hold no key
    const keySize = int(k['key_size'], `keyslot ${id} key_size`, bad, 1, MAX_KEY_BYTES);
    const af = obj(k['af'], `keyslot ${id} af`, bad);
    if (af['type'] !== 'luks1') throw unsupported(`keyslot ${id}: AF type "${clip(String(af['type']))}"`);
    const stripes = int(af['stripes'], `keyslot ${id} af.stripes`, bad, 1, MAX_STRIPES);
    const afHash = hashOf(af['hash'], `keyslot ${id} af.hash`, bad);
    const area = obj(k['area'], `keyslot ${id} area`, bad);
    if (area['type'] !== 'raw') throw unsupported(`keyslot ${id}: area type "${clip(String(area['type']))}"`);
    const areaOffset = u64(area['offset'], `keyslot ${id} area.offset`, bad);
    const areaSize = u64(area['size'], `keyslot ${id} area.size`, bad);
    const areaKeySize = int(area['key_size'], `keyslot ${id} area.key_size`, bad, 1, MAX_KEY_BYTES);
    const areaCipher = str(area['encryption'], `keyslot ${id} area.encryption`, bad, 64);
    if (areaOffset < areaStart || areaOffset + areaSize > areaEnd) {
      throw bad(`keyslot ${id} area (${areaSize} bytes at ${areaOffset}) is outside the keyslots area (${areaStart}–${areaEnd})`);
    }
    if (areaSize < Math.ceil((keySize * stripes) / 512) * 512 || areaOffset % 512 !== 0) {
      throw bad(`keyslot ${id} area (${areaSize} bytes at ${areaOffset}) cannot hold ${keySize}×${stripes} bytes of key material`);
    }
    const priority = k['priority'] === undefined ? 1 : int(k['priority'], `keyslot ${id} priority`, bad, 0, 2);
    slots.push({
      index: id,
      priority,
      kdf: kdfOf(obj(k['kdf'], `keyslot ${id} kdf`, bad), `keyslot ${id} kdf`, bad, unsupported),
      keySize,
      areaOffset,
      areaSize,
      areaCipher,
      areaKeySize,
      stripes,
      afHash,
    });
  }

  return {
    version: 2,
    uuid: c.uuid,
    ...(c.label === '' ? {} : { label: c.label }),
    cipher,
    keySize: slots[0]?.keySize ?? 0,
    payloadOffset,
    payloadSize,
    sectorSize,
    ivTweak,
    // cryptsetup counts LUKS2 IVs in 512-byte units whatever the sector size (dm-crypt's
    // iv_large_sectors is a plain-mode option); checked against its offline reencryption and
    // against a 4096-byte-sector volume written through the libguestfs appliance's dm-crypt
    ivLargeSectors: false,
    slots,
    digests,
    headerCopy: c.which,
  };
}

function hashOf(v: unknown, what: string, bad: Bad): string {
  const name = str(v, what, bad, 32);
  const h = luksHash(name);
  if (h === undefined) throw bad(`${what} "${clip(name)}" is not a supported hash`);
  return h;
}

function kdfOf(k: Record<string, unknown>, what: string, bad: Bad, unsupported: (w: string) => JootError): LuksKdf {
  const type = str(k['type'], `${what} type`, bad);
  const salt = b64(k['salt'], `${what} salt`, bad);
  if (type === 'pbkdf2') {
    return {
      type,
      hash: hashOf(k['hash'], `${what} hash`, bad),
      iterations: int(k['iterations'], `${what} iterations`, bad, 1, 2 ** 32 - 1),
      salt,
    };
  }
  if (type === 'argon2i' || type === 'argon2id') {
    return {
      type,
      time: int(k['time'], `${what} time`, bad, 1, 2 ** 32 - 1),
      // KiB; argon2 needs at least 8 KiB per lane, checked where the lanes are known
      memoryKiB: int(k['memory'], `${what} memory`, bad, 8, 2 ** 32 - 1),
      parallelism: int(k['cpus'], `${what} cpus`, bad, 1, 2 ** 24 - 1),
      salt,
    };
  }
  throw unsupported(`${what} type "${clip(type)}"`);
}
