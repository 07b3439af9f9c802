// LZO1X decompression as squashfs's lzo compressor (liblzo2's lzo1x_999) writes one per block,
// following the instruction set Linux's lzo1x_decompress_safe decodes (Documentation/staging/
// lzo.rst): literal runs, M1-M4 matches, and the M4 end marker, in at most `max` bytes. Every
// read, write and back-reference is checked first; zero-run length extensions are capped.

export class LzoError extends Error {}

/** the most zero bytes a length extension may hold (Linux's MAX_255_COUNT, for 32-bit sizes) */
const MAX_ZERO_RUN = Math.floor(0xffffffff / 255) - 2;

export function lzoDecompress(src: Uint8Array, max: number): Buffer {
  const out = Buffer.allocUnsafe(max);
  const end = src.length;
  let ip = 0;
  let op = 0;
  const needIn = (n: number): void => {
    if (ip + n > end) throw new LzoError('the lzo data ends early');
  };
  const needOut = (n: number): void => {
    if (op + n > max) throw new LzoError('decompresses past its size');
  };
  const literals = (n: number): void => {
    needIn(n + 3); // a stream always ends with a 3-byte end marker
    needOut(n);
    out.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  // a length field of zero continues in zero bytes (255 each) and one byte more
  const extended = (base: number): number => {
    const start = ip;
    for (;;) {
      needIn(1);
      if (src[ip] !== 0) break;
      ip++;
    }
    const zeros = ip - start;
    if (zeros > MAX_ZERO_RUN) throw new LzoError('an lzo length runs too long');
    return zeros * 255 + base + src[ip++]!;
  };
  let state = 0;
  let t: number;
  let next: number;
  needIn(1);
  if (src[0]! > 17) {
    // a first literal run of more than 3 bytes is coded in the first byte
    t = src[ip++]! - 17;
    literals(t);
    state = Math.min(t, 4);
  }
  for (;;) {
    needIn(1);
    t = src[ip++]!;
    let from: number;
    if (t < 16) {
      if (state === 0) {
        if (t === 0) t = extended(15);
        literals(t + 3);
        state = 4;
        continue;
      }
      needIn(1);
      if (state !== 4) {
        // a two-byte match right after a short literal run
        next = t & 3;
        from = op - 1 - (t >>> 2) - (src[ip++]! << 2);
        if (from < 0) throw new LzoError('an lzo match reaches before the output');
        needOut(2);
        out[op] = out[from]!;
        out[op + 1] = out[from + 1]!;
        op += 2;
        literals(next);
        state = next;
        continue;
      }
      next = t & 3;
      from = op - (1 + 0x800) - (t >>> 2) - (src[ip++]! << 2);
      t = 3;
    } else if (t >= 64) {
      needIn(1);
      next = t & 3;
      from = op - 1 - ((t >>> 2) & 7) - (src[ip++]! << 3);
      t = (t >>> 5) + 1;
    } else if (t >= 32) {
      t = (t & 31) + 2;
      if (t === 2) t += extended(31);
      needIn(2);
      const v = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      from = op - 1 - (v >>> 2);
      next = v & 3;
    } else {
      from = op - ((t & 8) << 11);
      t = (t & 7) + 2;
      if (t === 2) t += extended(7);
      needIn(2);
      const v = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      from -= v >>> 2;
      next = v & 3;
      if (from === op) {
        if (t !== 3) throw new LzoError('a malformed lzo end marker');
        if (ip !== end) throw new LzoError('data after the lzo end marker');
        return out.subarray(0, op);
      }
      from -= 0x4000;
    }
    if (from < 0) throw new LzoError('an lzo match reaches before the output');
    needOut(t);
    for (let i = 0; i < t; i++) out[op++] = out[from++]!;
    literals(next);
    state = next;
  }
}
