// The opened payload: reads decrypt whole sectors, a bounded cache of decrypted chunks keeps
// the metadata-heavy reads of filesystems above cheap.
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import { type ByteSource, checkRange } from '../../source.js';
import type { LuksHeader } from './header.js';
import { type SectorCipher, sectorCipher } from './sector-cipher.js';

const CHUNK = 64 * 1024;
const MAX_CHUNKS = 64;

export class LuksSource implements ByteSource {
  readonly size: number;
  private readonly cipher: SectorCipher;
  private readonly cache = new Lru<number, Promise<Buffer>>(MAX_CHUNKS);
  private closed = false;

  constructor(
    private readonly base: ByteSource,
    private readonly hdr: LuksHeader,
    volumeKey: Buffer,
    readonly name: string,
  ) {
    this.size = hdr.payloadSize;
    this.cipher = sectorCipher(hdr.cipher, volumeKey, base.name);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    if (this.closed) throw new JootError('ESTATE', `${this.name}: closed`);
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const c = Math.floor(at / CHUNK);
      const chunk = await this.chunk(c);
      const from = at - c * CHUNK;
      const n = Math.min(length - done, chunk.length - from);
      chunk.copy(out, done, from, from + n);
      done += n;
    }
    return out;
  }

  private chunk(c: number): Promise<Buffer> {
    const hit = this.cache.get(c);
    if (hit) return hit;
    const p = this.decryptChunk(c);
    this.cache.set(c, p);
    p.catch(() => this.cache.delete(c));
    return p;
  }

  private async decryptChunk(c: number): Promise<Buffer> {
    const start = c * CHUNK;
    const len = Math.min(CHUNK, this.size - start);
    const data = await this.base.read(this.hdr.payloadOffset + start, len);
    const ss = this.hdr.sectorSize;
    const first = start / ss;
    // dm-crypt's IV: the sector number in sectorSize units (LUKS2) or 512-byte units, plus the tweak
    const unit = this.hdr.ivLargeSectors ? 1 : ss / 512;
    return this.cipher.decrypt(data, ss, (i) => (first + i) * unit + this.hdr.ivTweak);
  }

  /** The base device is not owned: closing drops the key's cache only. */
  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
  }
}
