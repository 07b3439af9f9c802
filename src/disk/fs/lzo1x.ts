// LZO1X decompression, as btrfs (lzo1x_1_compress, one stream a sector) and squashfs (liblzo2's
// lzo1x_999, one a block) write it. Written from the format (Linux's Documentation/staging/lzo.rst):
// a stream of literal runs and back-references whose first byte picks the kind (M1..M4 matches,
// literal runs, the end marker M4 with distance 0). Every read and copy is bounds-checked; a bad
// stream is `undefined`, never an exception.

/** Decompress one LZO1X stream into at most `max` bytes; undefined when the stream is bad. */
export function lzo1xDecompress(src: Uint8Array, max: number): Buffer | undefined {
  const out = Buffer.alloc(max);
  let ip = 0;
  let op = 0;
  let state = 0;
  const n = src.length;
  const byte = (): number => {
    if (ip >= n) throw BAD;
    return src[ip++]!;
  };
  // a length continued by zero bytes: each zero adds 255, the next byte ends it
  const longLength = (base: number): number => {
    let zeros = 0;
    while (ip < n && src[ip] === 0) {
      ip++;
      if (++zeros > n) throw BAD;
    }
    return zeros * 255 + base + byte();
  };
  const literals = (count: number): void => {
    if (ip + count > n || op + count > max) throw BAD;
    out.set(src.subarray(ip, ip + count), op);
    ip += count;
    op += count;
  };
  const copyMatch = (dist: number, count: number): void => {
    let from = op - dist;
    if (from < 0 || op + count > max) throw BAD;
    for (let i = 0; i < count; i++) out[op++] = out[from++]!;
  };
  try {
    let t: number;
    let next: number;
    if (n > 0 && src[0]! > 17) {
      t = byte() - 17;
      if (t < 4) {
        next = t;
        state = next;
        literals(next);
      } else {
        literals(t);
        state = 4;
      }
    }
    for (;;) {
      t = byte();
      let dist: number;
      let count: number;
      if (t < 16) {
        if (state === 0) {
          // a literal run
          if (t === 0) t = longLength(15);
          literals(t + 3);
          state = 4;
          continue;
        }
        next = t & 3;
        if (state !== 4) {
          // M1: two bytes from up to 1 KiB back
          dist = 1 + (t >> 2) + (byte() << 2);
          count = 2;
        } else {
          // M1 after a literal run: three bytes from 2 KiB + up to 1 KiB back
          dist = 1 + 0x800 + (t >> 2) + (byte() << 2);
          count = 3;
        }
      } else if (t >= 64) {
        // M2
        next = t & 3;
        dist = 1 + ((t >> 2) & 7) + (byte() << 3);
        count = (t >> 5) + 1;
      } else if (t >= 32) {
        // M3
        count = t & 31;
        if (count === 0) count = longLength(31);
        count += 2;
        const lo = byte();
        const hi = byte();
        const v = lo | (hi << 8);
        dist = 1 + (v >> 2);
        next = v & 3;
      } else {
        // M4 (16..31), or the end marker
        count = t & 7;
        if (count === 0) count = longLength(7);
        count += 2;
        const lo = byte();
        const hi = byte();
        const v = lo | (hi << 8);
        const d = ((t & 8) << 11) + (v >> 2);
        next = v & 3;
        if (d === 0) {
          // end of stream: must be the 3-byte marker, with nothing after it
          return count === 3 && ip === n ? out.subarray(0, op) : undefined;
        }
        dist = d + 0x4000;
      }
      copyMatch(dist, count);
      state = next;
      literals(next);
    }
  } catch (e) {
    if (e === BAD) return undefined;
    throw e;
  }
}

const BAD = Symbol('bad lzo stream');
