// What every part of the ext reader shares: the device, the decoded superblock, a bounded cache
// of metadata blocks, and the one-line errors that name the device and the filesystem.
import { JootError, type JootErrorCode } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import { readInto, type ByteSource } from '../../source.js';
import type { Superblock } from './superblock.js';

export class ExtContext {
  /** metadata blocks (inode tables, extent nodes, indirect blocks, descriptors) */
  readonly cache = new Lru<number, Buffer>(512);
  constructor(
    readonly source: ByteSource,
    readonly device: string,
    readonly type: string,
    readonly sb: Superblock,
  ) {}

  error(code: JootErrorCode, message: string): JootError {
    return new JootError(code, `${this.device}: ${this.type}: ${message}`.replace(/[\r\n]+/g, ' '));
  }

  /** Check that blocks [block, block+count) lie on the filesystem and the device. */
  checkBlocks(block: number, count: number, what: string): void {
    const sb = this.sb;
    if (!Number.isSafeInteger(block) || block < 0 || count < 0 || block + count > sb.blocksCount) {
      throw this.error('EFORMAT', `${what} points at block ${block} (+${count}), beyond the filesystem's ${sb.blocksCount} blocks`);
    }
    if ((block + count) * sb.blockSize > this.source.size) {
      throw this.error('EIO', `${what} points at block ${block}, beyond the end of the device (${this.source.size} bytes)`);
    }
  }

  /** One metadata block, through the cache. */
  async block(block: number, what: string): Promise<Buffer> {
    const hit = this.cache.get(block);
    if (hit) return hit;
    this.checkBlocks(block, 1, what);
    const b = await this.source.read(block * this.sb.blockSize, this.sb.blockSize);
    this.cache.set(block, b);
    return b;
  }

  /** One metadata block, reading up to `ahead` following ones into the cache on a miss (inode tables). */
  async blockAhead(block: number, ahead: number, what: string): Promise<Buffer> {
    const hit = this.cache.get(block);
    if (hit) return hit;
    const bs = this.sb.blockSize;
    let n = 1 + Math.max(0, Math.min(ahead, this.sb.blocksCount - block - 1, Math.floor(this.source.size / bs) - block - 1));
    while (n > 1 && this.cache.get(block + n - 1)) n--;
    this.checkBlocks(block, n, what);
    const run = await this.source.read(block * bs, n * bs);
    for (let i = 0; i < n; i++) this.cache.set(block + i, run.subarray(i * bs, (i + 1) * bs));
    return run.subarray(0, bs);
  }

  /** `count` data blocks from `block`, uncached. */
  async blocks(block: number, count: number, what: string): Promise<Buffer> {
    this.checkBlocks(block, count, what);
    return this.source.read(block * this.sb.blockSize, count * this.sb.blockSize);
  }

  /** `count` data blocks from `block` into out[at...), uncached. */
  async blocksInto(block: number, count: number, what: string, out: Buffer, at: number): Promise<void> {
    this.checkBlocks(block, count, what);
    await readInto(this.source, block * this.sb.blockSize, count * this.sb.blockSize, out, at);
  }
}
