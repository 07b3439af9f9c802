// Bounded reads for probing: a range outside the device is "not this signature" (undefined),
// as blkid_probe_get_buffer returns NULL there; an error of the source itself inside the device
// (an unreadable qcow2 cluster) is passed on. Every prober's reads go through one budget, so no
// superblock can make a probe read more than a few MiB.
import type { ByteSource } from '../source.js';

/** A whole probe reads at most this much (a FAT root directory is at most 2 MiB). */
export const PROBE_READ_BUDGET = 32 * 1024 * 1024;

export class ProbeReader {
  private cache = new Map<string, Buffer>();
  private spent = 0;

  constructor(readonly src: ByteSource) {}

  get size(): number {
    return this.src.size;
  }

  /** `length` bytes at `offset`, or undefined when the range is not inside the device. */
  async get(offset: number, length: number): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0) return undefined;
    if (offset + length > this.src.size) return undefined;
    const key = `${offset}:${length}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    // past the budget a superblock is simply not believed (blkid has no such cap; a good one never needs it)
    if (this.spent + length > PROBE_READ_BUDGET) return undefined;
    this.spent += length;
    const buf = await this.src.read(offset, length);
    if (this.cache.size < 256) this.cache.set(key, buf);
    return buf;
  }
}
