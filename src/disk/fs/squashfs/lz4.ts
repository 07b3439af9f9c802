// The LZ4 block format (lz4_Block_format.md) as squashfs's lz4 compressor writes one per block:
// sequences of a token, literals and a back-reference, decoded into at most `max` bytes, every
// length and offset checked against the input and the output before use.

export class Lz4Error extends Error {}

export function lz4Decompress(src: Uint8Array, max: number): Buffer {
  const out = Buffer.allocUnsafe(max);
  let ip = 0;
  let op = 0;
  const more = (n: number): number => {
    // a length of 15 continues in bytes of 255 until one below
    let len = n;
    for (;;) {
      if (ip >= src.length) throw new Lz4Error('an lz4 length runs past the data');
      const b = src[ip++]!;
      len += b;
      if (len > max) throw new Lz4Error('decompresses past its size');
      if (b !== 255) return len;
    }
  };
  while (ip < src.length) {
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) lit = more(15);
    if (ip + lit > src.length) throw new Lz4Error('lz4 literals run past the data');
    if (op + lit > max) throw new Lz4Error('decompresses past its size');
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === src.length) break; // the last sequence has literals only
    if (ip + 2 > src.length) throw new Lz4Error('an lz4 offset runs past the data');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new Lz4Error('an lz4 match reaches before the output');
    let len = token & 15;
    if (len === 15) len = more(15);
    len += 4;
    if (op + len > max) throw new Lz4Error('decompresses past its size');
    let from = op - offset;
    for (let i = 0; i < len; i++) out[op++] = out[from++]!;
  }
  return out.subarray(0, op);
}
