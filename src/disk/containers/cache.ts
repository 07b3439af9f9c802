// Bounded caches for the image readers: a byte-capped LRU (L2 tables, decompressed clusters)
// and a ByteSource that reads its base in whole blocks through one. Guest metadata decides
// what is read, never how much is kept: the cap is the host's choice.
import type { ByteSource } from '../source.js';
import { checkRange } from '../source.js';
import { Lru } from '../lru.js';

// Small: file data passes through it too (a tar-out of /usr would fill any cap), and what is
// worth keeping (partition tables, superblocks, directory blocks) is a few MiB at most.
export const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;
/** reads this large go straight to the base: a bulk copy would only flush the cache */
const BULK_READ = 1024 * 1024;

/** The byte-capped LRU lives with the engine's one LRU; exported here too, beside its main user. */
export { LruBytes } from '../lru.js';

/** One cached block: its first `n` bytes are the source's (the last block of a source is short). */
interface Block {
  buf: Buffer;
  n: number;
  /** readers that joined its fill and have not copied out yet */
  pins: number;
  /** out of the LRU (or never in it): its buffer may be refilled once no reader is pinned */
  dropped: boolean;
  /** allocated here, never seen outside: a base's own buffer (read without readInto) is not refilled */
  own: boolean;
}

interface Fill {
  block: Block;
  done: Promise<void>;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * `base` read in aligned blocks of `blockSize` bytes, the recent ones kept (at most `capBytes`).
 * A bulk read (over 1 MiB, or a quarter of the cap) goes straight to the base. Concurrent
 * reads of one block share one base read.
 *
 * Evicted blocks' buffers are refilled with the next blocks read (a tar-out streams the whole
 * disk through here: fresh buffers each time were garbage only a full GC frees). The invariant
 * that makes it safe: a cache buffer never leaves this class — readers get copies — and a
 * buffer is refilled only when its block is out of the LRU and no reader is pinned to it. A
 * reader that finds its block cached copies out in the same synchronous step; one that waits
 * for a fill pins the block from joining the fill until it has copied out.
 */
export class CachedSource implements ByteSource {
  private readonly lru: Lru<number, Block>;
  private readonly pending = new Map<number, Fill>();
  /** buffers of dropped blocks, to be refilled (at most as many as the cap holds) */
  private readonly free: Buffer[] = [];
  private readonly maxFree: number;

  constructor(
    private readonly base: ByteSource,
    readonly blockSize: number,
    private readonly capBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.lru = new Lru(
      Number.POSITIVE_INFINITY,
      capBytes,
      (b) => b.n,
      (b) => {
        b.dropped = true;
        this.recycle(b);
      },
    );
    this.maxFree = Math.ceil(capBytes / blockSize);
  }

  get name(): string {
    return this.base.name;
  }

  get size(): number {
    return this.base.size;
  }

  private bulk(length: number): boolean {
    return length > Math.min(this.capBytes / 4, BULK_READ, this.blockSize);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    if (length === 0) return Buffer.alloc(0);
    if (this.bulk(length)) return this.base.read(offset, length);
    const out = Buffer.allocUnsafe(length);
    await this.copyBlocks(offset, length, out, 0);
    return out;
  }

  async readInto(offset: number, length: number, out: Buffer, at: number): Promise<void> {
    checkRange(this, offset, length);
    if (length === 0) return;
    if (!this.bulk(length)) return this.copyBlocks(offset, length, out, at);
    if (this.base.readInto) return this.base.readInto(offset, length, out, at);
    (await this.base.read(offset, length)).copy(out, at);
  }

  /** out[at, at+length) ← bytes [offset, offset+length), block by block. */
  private async copyBlocks(offset: number, length: number, out: Buffer, at: number): Promise<void> {
    const bs = this.blockSize;
    const end = offset + length;
    const waits: Promise<void>[] = [];
    for (let i = Math.floor(offset / bs); i * bs < end; i++) {
      const start = i * bs;
      const from = Math.max(offset, start) - start;
      const to = Math.min(end, start + bs) - start;
      const dst = at + start + from - offset;
      const hit = this.lru.get(i);
      if (hit)
        hit.buf.copy(out, dst, from, to); // now, before anything can drop it
      else waits.push(this.copyWhenFilled(i, out, dst, from, to));
    }
    // every copy is done (or failed) before this returns: none writes into `out` afterwards
    for (const r of await Promise.allSettled(waits)) if (r.status === 'rejected') throw r.reason;
  }

  private async copyWhenFilled(index: number, out: Buffer, dst: number, from: number, to: number): Promise<void> {
    const f = this.fill(index);
    f.block.pins++;
    try {
      await f.done;
      f.block.buf.copy(out, dst, from, to);
    } finally {
      f.block.pins--;
      this.recycle(f.block);
    }
  }

  /** The fill of block `index`: the one under way, or a new one. */
  private fill(index: number): Fill {
    const under = this.pending.get(index);
    if (under) return under;
    const start = index * this.blockSize;
    const block: Block = { buf: NO_BYTES, n: Math.min(this.blockSize, this.size - start), pins: 0, dropped: false, own: false };
    const done = this.load(block, start).then(
      () => {
        this.pending.delete(index);
        this.lru.set(index, block);
      },
      (e: unknown) => {
        this.pending.delete(index);
        block.dropped = true;
        block.own = false; // a failed read's buffer is let go, not refilled
        throw e;
      },
    );
    const f = { block, done };
    this.pending.set(index, f);
    return f;
  }

  private async load(block: Block, start: number): Promise<void> {
    if (!this.base.readInto) {
      block.buf = await this.base.read(start, block.n);
      return;
    }
    block.buf = this.free.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
    block.own = true;
    await this.base.readInto(start, block.n, block.buf, 0);
  }

  /** A dropped block's buffer goes back to the free list once no reader is pinned to it. */
  private recycle(b: Block): void {
    if (!b.dropped || b.pins > 0 || !b.own) return;
    b.own = false; // once only
    if (this.free.length < this.maxFree) this.free.push(b.buf);
  }

  async close(): Promise<void> {
    this.lru.clear();
    this.free.length = 0;
    await this.base.close();
  }
}
