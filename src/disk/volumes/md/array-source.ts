// An assembled md array as a ByteSource: each read is cut at chunk boundaries (makeLayout) and
// served from the first present copy, or rebuilt by XOR when a RAID4/5/6 data member is missing.
import { JootError } from '../../../core/errors.js';
import { checkRange, type ByteSource } from '../../source.js';
import type { Layout } from './geometry.js';

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
      const bytes = await this.readPiece(piece.copies, piece.xor, n, offset + done);
      bytes.copy(out, done);
      done += n;
    }
    return out;
  }

  private async readPiece(
    copies: { role: number; offset: number }[],
    xor: { roles: number[]; offset: number } | undefined,
    n: number,
    at: number,
  ): Promise<Buffer> {
    for (const c of copies) {
      const src = this.roles[c.role];
      if (src) return src.read(c.offset, n);
    }
    if (xor?.roles.every((r) => this.roles[r] !== undefined)) {
      const acc = Buffer.alloc(n);
      for (const r of xor.roles) {
        const part = await (this.roles[r] as ByteSource).read(xor.offset, n);
        for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) ^ (part[i] as number);
      }
      return acc;
    }
    // RAID6 with two members gone needs the Q syndrome (Galois-field arithmetic): not done here
    if (xor)
      throw new JootError(
        'EUNSUPPORTED',
        `${this.name}: the data at offset ${at} needs more than one missing member rebuilt (RAID6 Q recovery is not supported)`,
      );
    throw new JootError('EIO', `${this.name}: the data at offset ${at} is on missing members only`);
  }

  /** The members belong to the devices they were found on: nothing to release. */
  async close(): Promise<void> {}
}
