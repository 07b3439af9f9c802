// Reads of a FAT or exFAT volume through its ByteSource, with the range checked here so a
// pointer past the end is a one-line EIO naming the device and the filesystem, plus the error
// helpers both readers use.
import { JootError } from '../../../core/errors.js';
import { Lru } from '../../lru.js';
import type { ByteSource } from '../../source.js';
import { MAX_READ_BYTES } from '../limits.js';

/** bytes of one cached metadata chunk (FAT sectors) */
const CHUNK = 64 * 1024;
/** chunks kept (4 MiB) */
const CHUNKS = 64;

/** A guest name for a one-line message: quoted, control characters escaped, long ones cut. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

export class Volume {
  private readonly chunks = new Lru<number, Buffer>(CHUNKS);

  constructor(
    readonly source: ByteSource,
    readonly device: string,
    readonly fsType: string,
  ) {}

  /** A one-line EFORMAT naming the device and filesystem. */
  corrupt(problem: string): JootError {
    return new JootError('EFORMAT', `${this.device}: ${this.fsType}: ${problem}`);
  }

  /** Exactly `length` bytes at `offset` (uncached: file data, whole directories). */
  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.source.size) {
      throw new JootError(
        'EIO',
        `${this.device}: ${this.fsType}: read of ${length} bytes at offset ${offset} is outside the device (size ${this.source.size})`,
      );
    }
    if (length === 0) return Buffer.alloc(0);
    return this.source.read(offset, length);
  }

  /** The checks of a reader's read() range (before the file's size is looked at). */
  checkReadRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new JootError('EINVAL', `${this.device}: ${this.fsType}: bad read range ${offset}+${length}`);
    }
    if (length > MAX_READ_BYTES)
      throw new JootError('EINVAL', `${this.device}: ${this.fsType}: a read of ${length} bytes is over the ${MAX_READ_BYTES}-byte limit`);
  }

  /** `length` (small) bytes at `offset` through the chunk cache: FAT entries. */
  async readCached(offset: number, length: number): Promise<Buffer> {
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((offset + length - 1) / CHUNK);
    const parts: Buffer[] = [];
    for (let c = first; c <= last; c++) {
      let b = this.chunks.get(c);
      if (!b) {
        const start = c * CHUNK;
        const len = Math.min(CHUNK, this.source.size - start);
        if (len <= 0) await this.read(offset, length); // throws the range error
        b = await this.read(start, len);
        this.chunks.set(c, b);
      }
      parts.push(b);
    }
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const rel = offset - first * CHUNK;
    if (rel + length > all.length) return this.read(offset, length); // throws the range error
    return all.subarray(rel, rel + length);
  }

  clear(): void {
    this.chunks.clear();
  }
}
