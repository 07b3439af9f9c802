// dm-crypt's sector ciphers, as LUKS names them ("aes-xts-plain64", "aes-cbc-essiv:sha256"):
// each sector is encrypted on its own, with an IV made from its sector number. Used for the
// payload and for the key material in the key slots (which is encrypted the same way).
import { nodeCrypto } from '../../../core/lazy-node.js';
import { JootError } from '../../../core/errors.js';

export interface SectorCipher {
  /** the spec as LUKS wrote it */
  readonly spec: string;
  /** Decrypt whole sectors into a new buffer: sector i of `data` has IV sector number `ivSector(i)`. */
  decrypt(data: Buffer, sectorSize: number, ivSector: (i: number) => number): Buffer;
}

/** The hashes LUKS may name that node's crypto has (pbkdf2, AF, ESSIV, header checksums). */
export const LUKS_HASHES: ReadonlySet<string> = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/** A LUKS hash name as node's crypto spells it, or undefined when unsupported. */
export function luksHash(name: string): string | undefined {
  const h = name.toLowerCase();
  return LUKS_HASHES.has(h) ? h : undefined;
}

const SPEC = /^([a-z0-9]+)-([a-z0-9]+)(?:-([a-z0-9]+)(?::([a-z0-9]+))?)?$/;

/**
 * The cipher for `spec` with `key`; EUNSUPPORTED for ciphers or modes joot does not decrypt,
 * EFORMAT for a key size the cipher cannot take. `where` names the device in messages.
 */
export function sectorCipher(spec: string, key: Buffer, where: string): SectorCipher {
  const m = SPEC.exec(spec);
  if (!m) throw new JootError('EUNSUPPORTED', `${where}: unsupported LUKS cipher "${clip(spec)}"`);
  const [, alg, mode, iv = '', ivHash] = m;
  if (alg !== 'aes') throw new JootError('EUNSUPPORTED', `${where}: unsupported LUKS cipher "${spec}" (joot decrypts aes only)`);
  const badKey = () => new JootError('EFORMAT', `${where}: key size ${key.length * 8} bits does not fit cipher ${spec}`);
  if (mode === 'xts') {
    if (key.length !== 32 && key.length !== 64) throw badKey();
    const ivOf = plainIv(iv, spec, where);
    const algo = key.length === 32 ? 'aes-128-xts' : 'aes-256-xts';
    return {
      spec,
      decrypt: (data, sectorSize, ivSector) => eachSector(data, sectorSize, (s, i) => run(algo, key, ivOf(ivSector(i)), s, where)),
    };
  }
  if (mode === 'cbc') {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw badKey();
    const algo = `aes-${key.length * 8}-cbc`;
    let ivOf: (n: number) => Buffer;
    if (iv === 'essiv') {
      const h = ivHash === undefined ? undefined : luksHash(ivHash);
      if (h === undefined) throw new JootError('EUNSUPPORTED', `${where}: unsupported ESSIV hash in cipher "${spec}"`);
      // ESSIV: the IV is the plain64 sector number encrypted with AES keyed by hash(volume key)
      const salt = nodeCrypto().createHash(h).update(key).digest();
      if (salt.length !== 16 && salt.length !== 24 && salt.length !== 32) {
        throw new JootError('EUNSUPPORTED', `${where}: ESSIV hash ${h} gives no AES key size (cipher "${spec}")`);
      }
      const essivAlgo = `aes-${salt.length * 8}-ecb`;
      ivOf = (n) => {
        const c = nodeCrypto().createCipheriv(essivAlgo, salt, null).setAutoPadding(false);
        return Buffer.concat([c.update(le64(n)), c.final()]);
      };
    } else {
      ivOf = plainIv(iv, spec, where);
    }
    return {
      spec,
      decrypt: (data, sectorSize, ivSector) => eachSector(data, sectorSize, (s, i) => run(algo, key, ivOf(ivSector(i)), s, where)),
    };
  }
  throw new JootError('EUNSUPPORTED', `${where}: unsupported LUKS cipher mode "${clip(spec)}" (joot decrypts xts and cbc)`);
}

function plainIv(iv: string, spec: string, where: string): (n: number) => Buffer {
  if (iv === 'plain64') return le64;
  // "plain": the sector number truncated to 32 bits
  if (iv === 'plain') return (n) => le64(n % 2 ** 32);
  throw new JootError('EUNSUPPORTED', `${where}: unsupported IV generator in cipher "${clip(spec)}"`);
}

/** The 16-byte IV block: the sector number little-endian in the first 8 bytes, then zeros. */
function le64(n: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

function run(algo: string, key: Buffer, iv: Buffer, data: Buffer, where: string): Buffer {
  try {
    const d = nodeCrypto().createDecipheriv(algo, key, iv).setAutoPadding(false);
    return Buffer.concat([d.update(data), d.final()]);
  } catch (e) {
    // OpenSSL may refuse a key (XTS halves that are equal, in FIPS mode): a clean error, not a stack
    throw new JootError('EFORMAT', `${where}: ${algo} decryption failed: ${e instanceof Error ? clip(e.message) : 'error'}`, { cause: e });
  }
}

function eachSector(data: Buffer, sectorSize: number, f: (sector: Buffer, i: number) => Buffer): Buffer {
  if (data.length % sectorSize !== 0) throw new Error(`internal: ${data.length} bytes is not whole ${sectorSize}-byte sectors`);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i * sectorSize < data.length; i++) {
    f(data.subarray(i * sectorSize, (i + 1) * sectorSize), i).copy(out, i * sectorSize);
  }
  return out;
}

/** Guest strings in messages: short and printable. */
export function clip(s: string): string {
  const p = s.replace(/[^\x20-\x7e]/g, '?');
  return p.length > 64 ? `${p.slice(0, 64)}…` : p;
}
