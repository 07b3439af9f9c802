// What every part of the ext reader shares: the device, the decoded superblock, a bounded cache
// of metadata blocks, and the one-line errors that name the device and the filesystem.
import { JootError, type JootErrorCode } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { Superblock } from './superblock.js';

/** A small LRU of metadata blocks (inode tables, extent nodes, indirect blocks, descriptors). */
export class BlockCache {
  private readonly map = new Map<number, Buffer>();
  constructor(private readonly capacity: number) {}
  get(key: number): Buffer | undefined {
    const b = this.map.get(key);
    if (b) {
      this.map.delete(key);
      this.map.set(key, b);
    }
    return b;
  }
  set(key: number, b: Buffer): void {
    this.map.delete(key);
    this.map.set(key, b);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as number);
  }
  clear(): void {
    this.map.clear();
  }
}

export class ExtContext {
  readonly cache = new BlockCache(512);
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

  /** `count` data blocks from `block`, uncached. */
  async blocks(block: number, count: number, what: string): Promise<Buffer> {
    this.checkBlocks(block, count, what);
    return this.source.read(block * this.sb.blockSize, count * this.sb.blockSize);
  }
}
