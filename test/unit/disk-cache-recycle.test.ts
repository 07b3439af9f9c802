// CachedSource refills evicted blocks' buffers: a reader's bytes must never change under it,
// also when blocks are evicted (and refilled) while other reads wait on their fills.
import { describe, expect, it } from 'vitest';
import { JootError } from '../../src/core/errors.js';
import { CachedSource } from '../../src/disk/containers/cache.js';
import type { ByteSource } from '../../src/disk/source.js';

const BS = 4096;

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 12) * 7) & 0xff;
  return b;
}

/** A base with readInto whose reads finish in an order the test picks (each waits `delay(offset)` ticks). */
function base(disk: Buffer, delay: (offset: number) => number, fail?: (offset: number) => boolean): ByteSource & { intos: number } {
  const src = {
    name: 'disk.img',
    size: disk.length,
    intos: 0,
    read: async (o: number, l: number) => Buffer.from(disk.subarray(o, o + l)),
    readInto: async (o: number, l: number, out: Buffer, at: number) => {
      src.intos++;
      out.fill(0xee, at, at + l); // a refill scribbles before it finishes
      for (let i = delay(o); i > 0; i--) await Promise.resolve();
      if (fail?.(o)) throw new JootError('EIO', `disk.img: read at ${o} failed`);
      disk.copy(out, at, o, o + l);
    },
    close: async () => undefined,
  };
  return src;
}

describe('CachedSource buffer recycling', () => {
  it('a returned buffer is never overwritten by later reads that refill evicted blocks', async () => {
    const disk = pattern(64 * BS);
    const c = new CachedSource(
      base(disk, () => 1),
      BS,
      4 * BS,
    ); // 4 blocks kept
    const first = await c.read(100, 2 * BS);
    const copy = Buffer.from(first);
    for (let i = 0; i < 64; i++) await c.read(i * BS, BS); // every block evicted and refilled many times
    expect(first.equals(copy)).toBe(true);
    expect(first.equals(disk.subarray(100, 100 + 2 * BS))).toBe(true);
  });

  it('readers waiting on a fill get its bytes even when the block is evicted and its buffer refilled meanwhile', async () => {
    const disk = pattern(64 * BS);
    // fills finish out of order (a block's delay depends on its offset) and readers start new
    // reads as soon as theirs finish: while some wait to copy out, other fills complete and evict
    // (cap of two blocks) and new ones refill the evicted buffers
    const src = base(disk, (o) => ((o / BS) * 7) % 11);
    const c = new CachedSource(src, BS, 2 * BS);
    const got: [number, number, Buffer, Buffer][] = [];
    const worker = async (w: number): Promise<void> => {
      for (let k = 0; k < 60; k++) {
        const o = ((k * 7919 + w * 104729) % (disk.length - 2 * BS)) + (k % 3);
        const l = 1 + ((k * 131 + w) % BS); // not bulk: through the blocks
        const b = await c.read(o, l);
        got.push([o, l, b, Buffer.from(b)]);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    for (const [o, l, b, copy] of got) {
      expect(copy.equals(disk.subarray(o, o + l))).toBe(true); // right when it was returned
      expect(b.equals(copy)).toBe(true); // and unchanged since
    }
    expect(src.intos).toBeGreaterThan(100); // blocks were read (and buffers refilled) again and again
  });

  it('readInto fills only the caller range; a failed fill fails its readers and its buffer is not reused', async () => {
    const disk = pattern(16 * BS);
    let failing = true;
    const c = new CachedSource(
      base(
        disk,
        () => 1,
        (o) => failing && o === 2 * BS,
      ),
      BS,
      2 * BS,
    );
    const out = Buffer.alloc(3 * BS, 0x55);
    await c.readInto(BS + 5, BS, out, 7);
    expect(out.subarray(7, 7 + BS).equals(disk.subarray(BS + 5, 2 * BS + 5))).toBe(true);
    expect(out.subarray(0, 7).every((x) => x === 0x55)).toBe(true);
    expect(out.subarray(7 + BS).every((x) => x === 0x55)).toBe(true);
    await expect(c.read(2 * BS - 1, 2)).rejects.toThrow(/failed/);
    failing = false;
    expect((await c.read(2 * BS - 1, 2)).equals(disk.subarray(2 * BS - 1, 2 * BS + 1))).toBe(true);
  });
});
