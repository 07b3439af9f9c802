// One opened xfs filesystem: the device, its geometry, address arithmetic (filesystem block and
// inode numbers to byte offsets, each checked against the geometry) and a small cache of the
// metadata it re-reads.
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import type { Superblock } from './superblock.js';

/** Metadata is read in aligned windows of this size (inode clusters and directory blocks sit together). */
const WINDOW = 64 * 1024;
/** windows kept (4 MiB) */
const WINDOWS = 64;

export type XfsErrorCode = 'EFORMAT' | 'EIO' | 'EUNSUPPORTED' | 'EINVAL';

export class XfsVolume {
  private windows = new Lru<number, Buffer>(WINDOWS);
  readonly sb: Superblock;

  constructor(
    readonly src: ByteSource,
    readonly device: string,
    sb: Superblock,
  ) {
    this.sb = sb;
  }

  /** A one-line error naming the device and the filesystem. */
  error(code: XfsErrorCode, message: string): JootError {
    return new JootError(code, `${this.device}: xfs: ${message}`);
  }

  /** Bytes anywhere on the device (file data: not cached). */
  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.src.size) {
      throw this.error('EIO', `read of ${length} bytes at offset ${offset} is outside the device (size ${this.src.size})`);
    }
    return this.src.read(offset, length);
  }

  /** Metadata bytes, through the window cache. The result is shared: never modify it. */
  async meta(offset: number, length: number): Promise<Buffer> {
    const start = Math.floor(offset / WINDOW) * WINDOW;
    if (length > WINDOW || offset + length > start + WINDOW) return this.read(offset, length);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > this.src.size) return this.read(offset, length);
    let w = this.windows.get(start);
    if (!w) {
      w = await this.read(start, Math.min(WINDOW, this.src.size - start));
      this.windows.set(start, w);
    }
    return w.subarray(offset - start, offset - start + length);
  }

  /** Byte offset of a filesystem block number (AG number in the high bits), checked; `count` blocks must fit its AG. */
  fsbToByte(fsb: number, count = 1): number {
    const { agblklog, agblocks, agcount, blocksize, dblocks } = this.sb;
    const agno = Math.floor(fsb / 2 ** agblklog);
    const agbno = fsb - agno * 2 ** agblklog;
    const linear = agno * agblocks + agbno;
    if (agno >= agcount || agbno + count > agblocks || linear + count > dblocks) {
      throw this.error('EFORMAT', `block ${fsb} (+${count}) is outside the filesystem`);
    }
    return linear * blocksize;
  }

  /** Byte offset of inode `ino`, checked against the geometry. */
  inoToByte(ino: number): number {
    const { inopblog, agblklog, inodesize } = this.sb;
    if (!Number.isSafeInteger(ino) || ino <= 0) throw this.error('EFORMAT', `bad inode number ${ino}`);
    const perAg = 2 ** (agblklog + inopblog);
    const agno = Math.floor(ino / perAg);
    const agino = ino - agno * perAg;
    const agbno = Math.floor(agino / 2 ** inopblog);
    const slot = agino - agbno * 2 ** inopblog;
    if (agno >= this.sb.agcount || agbno >= this.sb.agblocks) throw this.error('EFORMAT', `inode number ${ino} is outside the filesystem`);
    return this.fsbToByte(agno * 2 ** agblklog + agbno) + slot * inodesize;
  }

  close(): void {
    this.windows.clear();
  }
}
