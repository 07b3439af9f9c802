// The LZMA decoder (range coder, literal/match/rep state machine) that LZMA2 (xz) and the legacy
// .lzma format of squashfs share, written from the LZMA specification (lzma-specification.txt of
// the LZMA SDK). It decodes into one output buffer that is also the dictionary: a squashfs block
// decompresses whole into a buffer of the block size, so no window wraps. Guest bytes are
// hostile: reading past the input, a distance before the dictionary start or output past the
// buffer throw LzmaError; every loop step writes at least one byte, so work is bounded by the
// output size.

export class LzmaError extends Error {}

const STATES = 12;
const POS_STATES_MAX = 16;
const LEN_LOW = 8;
const LEN_MID = 8;
const LEN_HIGH = 256;
const END_POS_MODEL = 14;
const FULL_DISTANCES = 128;
const ALIGN_BITS = 4;
const MATCH_MIN = 2;
const PROB_INIT = 1024;

// offsets into one Uint16Array of probabilities
const IS_MATCH = 0;
const IS_REP = IS_MATCH + STATES * POS_STATES_MAX;
const IS_REP_G0 = IS_REP + STATES;
const IS_REP_G1 = IS_REP_G0 + STATES;
const IS_REP_G2 = IS_REP_G1 + STATES;
const IS_REP0_LONG = IS_REP_G2 + STATES;
const POS_SLOT = IS_REP0_LONG + STATES * POS_STATES_MAX;
const SPEC_POS = POS_SLOT + 4 * 64;
const ALIGN = SPEC_POS + 1 + FULL_DISTANCES - END_POS_MODEL;
const LEN_SIZE = 2 + POS_STATES_MAX * LEN_LOW + POS_STATES_MAX * LEN_MID + LEN_HIGH;
const LEN = ALIGN + (1 << ALIGN_BITS);
const REP_LEN = LEN + LEN_SIZE;
const LITERAL = REP_LEN + LEN_SIZE;

export interface LzmaProps {
  lc: number;
  lp: number;
  pb: number;
}

/** lc/lp/pb from the properties byte ((pb * 5 + lp) * 9 + lc). */
export function lzmaProps(byte: number): LzmaProps {
  if (byte >= 9 * 5 * 5) throw new LzmaError(`bad LZMA properties byte ${byte}`);
  return { lc: byte % 9, lp: Math.floor(byte / 9) % 5, pb: Math.floor(byte / 45) };
}

export class LzmaDecoder {
  /** the output, which is also the dictionary */
  readonly out: Buffer;
  pos = 0;
  /** where the dictionary last started (LZMA2 dictionary reset): no match reaches before it */
  dictStart = 0;
  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private inEnd = 0;
  private range = 0;
  private code = 0;
  private probs = new Uint16Array(0);
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;

  constructor(max: number) {
    this.out = Buffer.allocUnsafe(max);
  }

  /** New lc/lp/pb: the probabilities are sized for them and reset with the state. */
  setProps(p: LzmaProps): void {
    this.lc = p.lc;
    this.lp = p.lp;
    this.pb = p.pb;
    this.probs = new Uint16Array(LITERAL + (0x300 << (p.lc + p.lp)));
    this.resetState();
  }

  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  /** Start a range decoder on input[from, to) (5 init bytes, the first zero). */
  startRange(input: Uint8Array, from: number, to: number): void {
    if (to - from < 5 || to > input.length) throw new LzmaError('a range-coded chunk shorter than its init bytes');
    if (input[from] !== 0) throw new LzmaError('the range coder does not start with a zero byte');
    this.input = input;
    this.inEnd = to;
    this.code = (input[from + 1]! << 24) | (input[from + 2]! << 16) | (input[from + 3]! << 8) | input[from + 4]!;
    this.range = -1;
    this.inPos = from + 5;
  }

  /** Input consumed so far (the position after the last byte the range coder read). */
  get inputPos(): number {
    return this.inPos;
  }

  /** True when the range coder ended as an encoder's flush leaves it. */
  get rangeFinished(): boolean {
    return this.code === 0;
  }

  /** Copy uncompressed bytes into the dictionary (LZMA2 stored chunks). */
  copy(src: Uint8Array): void {
    if (this.pos + src.length > this.out.length) throw new LzmaError('decompresses past its size');
    this.out.set(src, this.pos);
    this.pos += src.length;
  }

  // range and code are kept as int32 (unsigned values, compared with the sign bit flipped) so
  // that V8 keeps them in small integers instead of boxed doubles: three times faster
  private bit(i: number): number {
    const p = this.probs[i]!;
    const bound = Math.imul(this.range >>> 11, p);
    let b: number;
    if ((this.code ^ 0x80000000) < (bound ^ 0x80000000)) {
      this.range = bound;
      this.probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range = (this.range - bound) | 0;
      this.code = (this.code - bound) | 0;
      this.probs[i] = p - (p >>> 5);
      b = 1;
    }
    if ((this.range & 0xff000000) === 0) this.shift();
    return b;
  }

  private shift(): void {
    if (this.inPos >= this.inEnd) throw new LzmaError('the compressed data ends early');
    this.range <<= 8;
    this.code = (this.code << 8) | this.input[this.inPos++]!;
  }

  private direct(n: number): number {
    let r = 0;
    for (let i = 0; i < n; i++) {
      this.range >>>= 1;
      let b = 0;
      if ((this.code ^ 0x80000000) >= (this.range ^ 0x80000000)) {
        this.code = (this.code - this.range) | 0;
        b = 1;
      }
      r = r * 2 + b;
      if ((this.range & 0xff000000) === 0) this.shift();
    }
    return r;
  }

  private tree(base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(base + m);
    return m - (1 << bits);
  }

  private reverse(base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private length(base: number, posState: number): number {
    if (this.bit(base) === 0) return this.tree(base + 2 + posState * LEN_LOW, 3);
    if (this.bit(base + 1) === 0) return LEN_LOW + this.tree(base + 2 + POS_STATES_MAX * LEN_LOW + posState * LEN_MID, 3);
    return LEN_LOW + LEN_MID + this.tree(base + 2 + POS_STATES_MAX * (LEN_LOW + LEN_MID), 8);
  }

  private distance(len: number): number {
    const slot = this.tree(POS_SLOT + Math.min(len, 3) * 64, 6);
    if (slot < 4) return slot;
    const bits = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** bits;
    if (slot < END_POS_MODEL) return dist + this.reverse(SPEC_POS + dist - slot - 1, bits);
    dist += this.direct(bits - ALIGN_BITS) * 16;
    return dist + this.reverse(ALIGN, ALIGN_BITS);
  }

  /** At a full output without a known size: the next symbol must be the end marker. */
  endMarker(): void {
    const posState = (this.pos - this.dictStart) & ((1 << this.pb) - 1);
    if (this.bit(IS_MATCH + this.state * POS_STATES_MAX + posState) === 0 || this.bit(IS_REP + this.state) !== 0)
      throw new LzmaError('decompresses past its size');
    if (this.distance(this.length(LEN, posState)) !== 0xffffffff) throw new LzmaError('decompresses past its size');
  }

  /**
   * Decode until the output reaches `limit` (or, where `endMarkerOk`, an end marker ends it
   * early). Returns true when an end marker was read.
   */
  decode(limit: number, endMarkerOk: boolean): boolean {
    if (limit > this.out.length) throw new LzmaError('decompresses past its size');
    const out = this.out;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    while (this.pos < limit) {
      const rel = this.pos - this.dictStart;
      const posState = rel & pbMask;
      const state = this.state;
      if (this.bit(IS_MATCH + state * POS_STATES_MAX + posState) === 0) {
        const prev = rel > 0 ? out[this.pos - 1]! : 0;
        const base = LITERAL + 0x300 * (((rel & lpMask) << lc) + (prev >>> (8 - lc)));
        let sym = 1;
        if (state >= 7) {
          if (this.rep0 >= rel) throw new LzmaError('a match reaches before the dictionary');
          let match = out[this.pos - this.rep0 - 1]!;
          while (sym < 0x100) {
            const mb = (match >>> 7) & 1;
            match <<= 1;
            const b = this.bit(base + 0x100 + (mb << 8) + sym);
            sym = (sym << 1) | b;
            if (mb !== b) break;
          }
        }
        while (sym < 0x100) sym = (sym << 1) | this.bit(base + sym);
        out[this.pos++] = sym & 0xff;
        this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(IS_REP + state) === 0) {
        len = this.length(LEN, posState);
        this.state = state < 7 ? 7 : 10;
        const dist = this.distance(len);
        if (dist === 0xffffffff) {
          if (!endMarkerOk) throw new LzmaError('an end marker inside LZMA2 data');
          return true;
        }
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        this.rep0 = dist;
      } else {
        if (rel === 0) throw new LzmaError('a repeated match at the dictionary start');
        if (this.bit(IS_REP_G0 + state) === 0) {
          if (this.bit(IS_REP0_LONG + state * POS_STATES_MAX + posState) === 0) {
            if (this.rep0 >= rel) throw new LzmaError('a match reaches before the dictionary');
            this.state = state < 7 ? 9 : 11;
            out[this.pos] = out[this.pos - this.rep0 - 1]!;
            this.pos++;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(IS_REP_G1 + state) === 0) dist = this.rep1;
          else {
            if (this.bit(IS_REP_G2 + state) === 0) dist = this.rep2;
            else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.length(REP_LEN, posState);
        this.state = state < 7 ? 8 : 11;
      }
      const n = len + MATCH_MIN;
      if (this.rep0 >= this.pos - this.dictStart) throw new LzmaError('a match reaches before the dictionary');
      if (this.pos + n > limit) throw new LzmaError('a match runs past the end of its data');
      let from = this.pos - this.rep0 - 1;
      for (let i = 0; i < n; i++) out[this.pos++] = out[from++]!;
    }
    return false;
  }
}
