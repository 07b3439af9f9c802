// GF(2^8) as Linux's RAID6 uses it for the Q syndrome (lib/raid6; H. Peter Anvin, "The
// mathematics of RAID-6"): polynomial x^8+x^4+x^3+x^2+1 (0x11d), generator {02}. Q is the sum of
// g^slot · D_slot over a stripe's data chunks; rebuilding data from Q needs products by constants,
// done here through one 256-entry table per constant.

const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
}

/** a · b */
export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : (EXP[(LOG[a] as number) + (LOG[b] as number)] as number);
}

/** g^n for any integer n (g^255 = 1) */
export function gfPow(n: number): number {
  return EXP[((n % 255) + 255) % 255] as number;
}

/** 1 / a (a ≠ 0) */
export function gfInv(a: number): number {
  return EXP[255 - (LOG[a] as number)] as number;
}

/** out ^= c · src, byte by byte */
export function mulXorInto(out: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return;
  if (c === 1) {
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) ^ (src[i] as number);
    return;
  }
  const t = new Uint8Array(256);
  for (let v = 1; v < 256; v++) t[v] = gfMul(v, c);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) ^ (t[src[i] as number] as number);
}
