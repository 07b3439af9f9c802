// An assembled md array as a ByteSource: each read is cut at chunk boundaries (makeLayout) and
// served from the first present copy, or rebuilt from parity when members are missing: by XOR
// (RAID4/5/6, one data member gone) or with RAID6's Q syndrome (two gone, or one and P).
import { JootError } from '../../../core/errors.js';
import { checkRange, type ByteSource } from '../../source.js';
import type { Layout, Piece } from './geometry.js';
import { gfInv, gfMul, gfPow, mulXorInto } from './gf256.js';

/** One member in its role: its data area (a slice from data_offset), or undefined when missing. */
export type RoleSource = ByteSource | undefined;

/** The most one read of an array is cut into (a read is at most this many pieces' worth of I/O). */
const MAX_READ = 256 * 1024 * 1024;

export class MdArraySource implements ByteSource {
  readonly size: number;

  constructor(
    readonly name: string,
    private readonly layout: Layout,
    private readonly roles: readonly RoleSource[],
    /** why the array cannot be read at all (too few members), if so */
    readonly unavailable?: string,
  ) {
    this.size = layout.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (this.unavailable) throw new JootError('EIO', `${this.name}: ${this.unavailable}`);
    checkRange(this, offset, length);
    if (length > MAX_READ) throw new JootError('EINVAL', `${this.name}: read of ${length} bytes is too large`);
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const piece = this.layout.piece(offset + done);
      const n = Math.min(piece.length, length - done);
      if (n <= 0) throw new JootError('EIO', `${this.name}: no data at offset ${offset + done}`);
      const bytes = await this.readPiece(piece, n, offset + done);
      bytes.copy(out, done);
      done += n;
    }
    return out;
  }

  private async readPiece(piece: Piece, n: number, at: number): Promise<Buffer> {
    for (const c of piece.copies) {
      const src = this.roles[c.role];
      if (src) return src.read(c.offset, n);
    }
    const { xor, syndrome } = piece;
    if (xor?.roles.every((r) => this.roles[r] !== undefined)) {
      const acc = Buffer.alloc(n);
      for (const r of xor.roles) mulXorInto(acc, await this.must(r).read(xor.offset, n), 1);
      return acc;
    }
    if (syndrome) return this.fromSyndrome(syndrome, n, at);
    throw new JootError('EIO', `${this.name}: the data at offset ${at} is on missing members only`);
  }

  private must(role: number): ByteSource {
    return this.roles[role] as ByteSource;
  }

  /**
   * RAID6 data rebuilt with Q (the mathematics of RAID-6, section 4): data slot x gone with P also
   * gone: D_x = g^-x (Q + Σ_{i≠x} g^i D_i); data slots x and y gone: with Pxy = P + Σ_{i≠x,y} D_i
   * and Qxy = Q + Σ_{i≠x,y} g^i D_i, D_x = A·Pxy + B·Qxy, A = g^(y-x)/(g^(y-x)+1), B = g^-x/(g^(y-x)+1).
   */
  private async fromSyndrome(s: NonNullable<Piece['syndrome']>, n: number, at: number): Promise<Buffer> {
    const gone = s.slots.map((_, i) => i).filter((i) => this.roles[s.slots[i] as number] === undefined);
    const x = s.slot;
    const y = gone.find((i) => i !== x);
    const hasP = this.roles[s.p] !== undefined;
    const hasQ = this.roles[s.q] !== undefined;
    if (gone.length > 2 || !hasQ || (y !== undefined && !hasP))
      throw new JootError('EIO', `${this.name}: the data at offset ${at} needs more members than are present (RAID6 rebuilds two at most)`);
    const pxy = Buffer.alloc(n);
    const qxy = Buffer.alloc(n);
    if (hasP && y !== undefined) mulXorInto(pxy, await this.must(s.p).read(s.offset, n), 1);
    mulXorInto(qxy, await this.must(s.q).read(s.offset, n), 1);
    for (let i = 0; i < s.slots.length; i++) {
      if (i === x || i === y) continue;
      const d = await this.must(s.slots[i] as number).read(s.offset, n);
      if (y !== undefined) mulXorInto(pxy, d, 1);
      mulXorInto(qxy, d, gfPow(i));
    }
    const out = Buffer.alloc(n);
    if (y === undefined) {
      mulXorInto(out, qxy, gfPow(-x));
      return out;
    }
    const denom = gfInv(gfPow(y - x) ^ 1);
    mulXorInto(out, pxy, gfMul(gfPow(y - x), denom));
    mulXorInto(out, qxy, gfMul(gfPow(-x), denom));
    return out;
  }

  /** The members belong to the devices they were found on: nothing to release. */
  async close(): Promise<void> {}
}
