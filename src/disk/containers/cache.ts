// Bounded caches for the image readers: a byte-capped LRU (L2 tables, decompressed clusters)
// and a ByteSource that reads its base in whole blocks through one. Guest metadata decides
// what is read, never how much is kept: the cap is the host's choice.
import type { ByteSource } from '../source.js';
import { checkRange } from '../source.js';
import { LruBytes } from '../lru.js';

// Small: file data passes through it too (a tar-out of /usr would fill any cap), and what is
// worth keeping (partition tables, superblocks, directory blocks) is a few MiB at most.
export const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;
/** reads this large go straight to the base: a bulk copy would only flush the cache */
const BULK_READ = 1024 * 1024;

/** The byte-capped LRU lives with the engine's one LRU; exported here too, beside its main user. */
export { LruBytes } from '../lru.js';

/**
 * `base` read in aligned blocks of `blockSize` bytes, the recent ones kept (at most `capBytes`).
 * A bulk read (over 1 MiB, or a quarter of the cap) goes straight to the base. Concurrent
 * reads of one block share one base read.
 */
export class CachedSource implements ByteSource {
  private readonly lru: LruBytes<number>;
  private readonly pending = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly base: ByteSource,
    readonly blockSize: number,
    capBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.lru = new LruBytes(capBytes);
  }

  get name(): string {
    return this.base.name;
  }

  get size(): number {
    return this.base.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    if (length === 0) return Buffer.alloc(0);
    if (length > Math.min(this.lru.capBytes / 4, BULK_READ, this.blockSize)) return this.base.read(offset, length);
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + length - 1) / bs);
    const blocks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.block(first + i)));
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      const from = i === 0 ? offset - first * bs : 0;
      at += b.copy(out, at, from, Math.min(b.length, from + length - at));
    }
    return out;
  }

  private block(index: number): Promise<Buffer> {
    const hit = this.lru.get(index);
    if (hit) return Promise.resolve(hit);
    let p = this.pending.get(index);
    if (!p) {
      const start = index * this.blockSize;
      p = this.base.read(start, Math.min(this.blockSize, this.size - start)).then(
        (b) => {
          this.pending.delete(index);
          this.lru.set(index, b);
          return b;
        },
        (e: unknown) => {
          this.pending.delete(index);
          throw e;
        },
      );
      this.pending.set(index, p);
    }
    return p;
  }

  async close(): Promise<void> {
    this.lru.clear();
    await this.base.close();
  }
}
