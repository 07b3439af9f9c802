// The ext4 directory hash (fs/ext4/hash.c): legacy, half-MD4 and TEA, each over signed or
// unsigned name bytes. The reader needs it only where the kernel puts it in front of a user's
// eyes: the no-key names of an encrypted directory carry the hash of the ciphertext name.
export const DX_HASH_LEGACY = 0;
export const DX_HASH_HALF_MD4 = 1;
export const DX_HASH_TEA = 2;
export const DX_HASH_LEGACY_UNSIGNED = 3;
export const DX_HASH_HALF_MD4_UNSIGNED = 4;
export const DX_HASH_TEA_UNSIGNED = 5;

export interface DirHash {
  hash: number;
  minor: number;
}

const u32 = (x: number) => x >>> 0;
const rol = (x: number, s: number) => u32((x << s) | (x >>> (32 - s)));

function legacy(name: Buffer, signed: boolean): number {
  let h0 = 0x12a3fe2d;
  let h1 = 0x37abe8f9;
  for (const byte of name) {
    const c = signed && byte > 127 ? byte - 256 : byte;
    let h = u32(h1 + u32(h0 ^ u32(Math.imul(c, 7152373))));
    if (h & 0x80000000) h = u32(h - 0x7fffffff);
    h1 = h0;
    h0 = h;
  }
  return u32(h0 << 1);
}

/** The kernel's str2hashbuf: `num` words from up to num*4 bytes, padded with the length. */
function hashBuf(msg: Buffer, len: number, num: number, signed: boolean): number[] {
  let pad = u32(len | (len << 8));
  pad = u32(pad | (pad << 16));
  const out: number[] = [];
  let val = pad;
  const n = Math.min(len, num * 4);
  for (let i = 0; i < n; i++) {
    const b = msg[i]!;
    val = u32((signed && b > 127 ? b - 256 : b) + u32(val << 8));
    if (i % 4 === 3) {
      out.push(val);
      val = pad;
    }
  }
  if (out.length < num) out.push(val);
  while (out.length < num) out.push(pad);
  return out;
}

function halfMd4(buf: number[], x: number[]): void {
  let [a, b, c, d] = buf as [number, number, number, number];
  const F = (x: number, y: number, z: number) => z ^ (x & (y ^ z));
  const G = (x: number, y: number, z: number) => u32((x & y) + ((x ^ y) & z));
  const H = (x: number, y: number, z: number) => x ^ y ^ z;
  const K2 = 0o13240474631;
  const K3 = 0o15666365641;
  const R = (f: typeof F, p: number, q: number, r: number, s: number, v: number, sh: number) => rol(u32(p + f(q, r, s) + v), sh);
  const rounds: [typeof F, number, number[], number[]][] = [
    [F, 0, [0, 1, 2, 3, 4, 5, 6, 7], [3, 7, 11, 19]],
    [G, K2, [1, 3, 5, 7, 0, 2, 4, 6], [3, 5, 9, 13]],
    [H, K3, [3, 7, 2, 6, 1, 5, 0, 4], [3, 9, 11, 15]],
  ];
  for (const [f, k, order, shifts] of rounds) {
    for (let i = 0; i < 8; i += 4) {
      a = R(f, a, b, c, d, u32(x[order[i]!]! + k), shifts[0]!);
      d = R(f, d, a, b, c, u32(x[order[i + 1]!]! + k), shifts[1]!);
      c = R(f, c, d, a, b, u32(x[order[i + 2]!]! + k), shifts[2]!);
      b = R(f, b, c, d, a, u32(x[order[i + 3]!]! + k), shifts[3]!);
    }
  }
  buf[0] = u32(buf[0]! + a);
  buf[1] = u32(buf[1]! + b);
  buf[2] = u32(buf[2]! + c);
  buf[3] = u32(buf[3]! + d);
}

function tea(buf: number[], x: number[]): void {
  let sum = 0;
  let b0 = buf[0]!;
  let b1 = buf[1]!;
  const [a, b, c, d] = x as [number, number, number, number];
  for (let n = 0; n < 16; n++) {
    sum = u32(sum + 0x9e3779b9);
    b0 = u32(b0 + (u32(u32(b1 << 4) + a) ^ u32(b1 + sum) ^ u32((b1 >>> 5) + b)));
    b1 = u32(b1 + (u32(u32(b0 << 4) + c) ^ u32(b0 + sum) ^ u32((b0 >>> 5) + d)));
  }
  buf[0] = u32(buf[0]! + b0);
  buf[1] = u32(buf[1]! + b1);
}

/** ext4fs_dirhash of `name` with hash `version` (the DX_HASH_* values) and the superblock's seed; undefined for an unknown version. */
export function dirHash(name: Buffer, version: number, seed: readonly number[]): DirHash | undefined {
  const buf = seed.some((w) => w !== 0) ? [...seed] : [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  let hash: number;
  let minor = 0;
  switch (version) {
    case DX_HASH_LEGACY:
    case DX_HASH_LEGACY_UNSIGNED:
      hash = legacy(name, version === DX_HASH_LEGACY);
      break;
    case DX_HASH_HALF_MD4:
    case DX_HASH_HALF_MD4_UNSIGNED:
      for (let p = 0; p < name.length; p += 32) {
        halfMd4(buf, hashBuf(name.subarray(p), name.length - p, 8, version === DX_HASH_HALF_MD4));
      }
      hash = buf[1]!;
      minor = buf[2]!;
      break;
    case DX_HASH_TEA:
    case DX_HASH_TEA_UNSIGNED:
      for (let p = 0; p < name.length; p += 16) {
        tea(buf, hashBuf(name.subarray(p), name.length - p, 4, version === DX_HASH_TEA));
      }
      hash = buf[0]!;
      minor = buf[1]!;
      break;
    default:
      return undefined;
  }
  hash = u32(hash & ~1);
  // the 32-bit end-of-directory marker is kept out of real hashes
  if (hash === 0x7fffffff * 2) hash = (0x7fffffff - 1) * 2;
  return { hash, minor };
}
