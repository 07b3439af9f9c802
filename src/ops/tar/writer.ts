// A streaming tar writer (POSIX pax format: ustar headers, with a pax 'x' header in front of
// an entry only when a field does not fit). Data is pushed to `sink` chunk by chunk, as
// GNU tar does, the archive ends with two zero blocks and is padded to GNU's 10 KiB record.
import { JootError } from '../../core/errors.js';
import { BLOCK, T, encodeHeader, padding, type TarHeader } from './header.js';

const RECORD = 20 * BLOCK;
const ZEROS = Buffer.alloc(RECORD);

export type Sink = (chunk: Buffer) => Promise<void>;

export class TarWriter {
  private written = 0;

  constructor(private readonly sink: Sink) {}

  private async emit(b: Buffer): Promise<void> {
    if (b.length === 0) return;
    await this.sink(b);
    this.written += b.length;
  }

  private async pad(size: number): Promise<void> {
    await this.emit(ZEROS.subarray(0, padding(size)));
  }

  /**
   * Add one entry. For a regular file `body` must yield exactly `h.size` bytes in total;
   * `onShort` is called (and zeros are written) if it yields fewer, extra bytes are dropped
   * (the file changed while it was read, as GNU tar does).
   */
  async add(h: TarHeader, body?: AsyncIterable<Buffer>, onShort?: (missing: number) => void): Promise<void> {
    const { block, pax } = encodeHeader(h);
    if (pax) {
      const base = h.name.subarray(h.name.lastIndexOf(0x2f, h.name.length - 2) + 1).subarray(0, 80);
      const ph: TarHeader = {
        name: Buffer.concat([Buffer.from('PaxHeaders/'), base]),
        type: T.paxLocal,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: pax.length,
        mtime: Math.max(0, Math.floor(h.mtime)),
        linkname: Buffer.alloc(0),
        uname: '',
        gname: '',
        devmajor: 0,
        devminor: 0,
      };
      const enc = encodeHeader({ ...ph, mtime: Number.isSafeInteger(ph.mtime) && ph.mtime < 0o77777777777 ? ph.mtime : 0 });
      if (enc.pax) throw new JootError('EINVAL', 'tar: internal: pax header needs a pax header');
      await this.emit(enc.block);
      await this.emit(pax);
      await this.pad(pax.length);
    }
    await this.emit(block);
    if (!body) return;
    let left = h.size;
    for await (const c of body) {
      if (left === 0) break;
      const part = c.length > left ? c.subarray(0, left) : c;
      await this.emit(part);
      left -= part.length;
    }
    if (left > 0) {
      onShort?.(left);
      for (; left > 0; left -= Math.min(left, RECORD)) await this.emit(ZEROS.subarray(0, Math.min(left, RECORD)));
    }
    await this.pad(h.size);
  }

  /** Two zero blocks, then zeros up to a whole record. */
  async finish(): Promise<void> {
    await this.emit(ZEROS.subarray(0, 2 * BLOCK));
    const r = this.written % RECORD;
    if (r) await this.emit(ZEROS.subarray(0, RECORD - r));
  }
}
