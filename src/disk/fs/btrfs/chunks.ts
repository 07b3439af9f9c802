// The chunk map: logical address → where the bytes are on this device. Bootstrapped from the
// superblock's sys_chunk_array, then filled from the chunk tree. Single, DUP and the mirrored
// profiles read a copy on this device; RAID0/10 compute the stripe; a stripe on another device
// (a multi-device filesystem) is EUNSUPPORTED naming the device it would need.
import type { JootError } from '../../../core/errors.js';
import { MAX_FILE_EXTENTS } from '../limits.js';
import { BG_RAID0, BG_RAID10, BG_RAID5, BG_RAID6, CHUNK_ITEM, KEY_SIZE, type Key, num, readKey, uuidString } from './format.js';

const CHUNK_SIZE = 48;
const STRIPE_SIZE = 32;

interface Stripe {
  devid: bigint;
  offset: number;
  uuid: Buffer;
}

interface Chunk {
  logical: number;
  length: number;
  stripeLen: number;
  type: bigint;
  subStripes: number;
  stripes: Stripe[];
}

/** Where one logical address is: its copies on this device and how far it runs contiguously. */
export interface Mapping {
  mirrors: number[];
  contiguous: number;
}

type Fail = (code: 'EFORMAT' | 'EUNSUPPORTED', msg: string) => JootError;

export class ChunkMap {
  private chunks: Chunk[] = [];

  constructor(
    private readonly devid: bigint,
    private readonly fail: Fail,
  ) {}

  /** Decode one CHUNK_ITEM (its key's offset is the logical start); returns its size in bytes. */
  add(key: Key, b: Buffer, at: number): number {
    const f = (m: string) => this.fail('EFORMAT', m);
    if (key.type !== CHUNK_ITEM) throw f(`chunk array holds an item of type ${key.type}`);
    if (at + CHUNK_SIZE > b.length) throw f('chunk item is truncated');
    const numStripes = b.readUInt16LE(at + 44);
    const size = CHUNK_SIZE + numStripes * STRIPE_SIZE;
    if (numStripes === 0 || at + size > b.length) throw f(`chunk item of ${numStripes} stripes is truncated`);
    const c: Chunk = {
      logical: num(key.off, f, 'chunk address'),
      length: num(b.readBigUInt64LE(at), f, 'chunk length'),
      stripeLen: num(b.readBigUInt64LE(at + 16), f, 'stripe length'),
      type: b.readBigUInt64LE(at + 24),
      subStripes: b.readUInt16LE(at + 46),
      stripes: [],
    };
    if (c.length === 0 || c.logical + c.length > Number.MAX_SAFE_INTEGER) throw f(`chunk at ${c.logical} has a bad length`);
    if (c.stripeLen === 0 || c.stripeLen > 1 << 30) throw f(`chunk at ${c.logical} has stripe length ${c.stripeLen}`);
    for (let i = 0; i < numStripes; i++) {
      const s = at + CHUNK_SIZE + i * STRIPE_SIZE;
      c.stripes.push({
        devid: b.readBigUInt64LE(s),
        offset: num(b.readBigUInt64LE(s + 8), f, 'stripe offset'),
        uuid: Buffer.from(b.subarray(s + 16, s + 32)),
      });
    }
    if (this.chunks.length >= MAX_FILE_EXTENTS) throw f('too many chunks');
    this.insert(c);
    return size;
  }

  private insert(c: Chunk): void {
    // the same chunk comes from the sys array and from the chunk tree: keep one
    const i = this.index(c.logical);
    if (i >= 0 && this.chunks[i]!.logical === c.logical) {
      this.chunks[i] = c;
      return;
    }
    const overlapsPrev = i >= 0 && this.chunks[i]!.logical + this.chunks[i]!.length > c.logical;
    const nextC = this.chunks[i + 1];
    if (overlapsPrev || (nextC && c.logical + c.length > nextC.logical))
      throw this.fail('EFORMAT', `chunk at ${c.logical} overlaps another`);
    this.chunks.splice(i + 1, 0, c);
  }

  /** index of the last chunk starting at or before `logical` (-1 if none) */
  private index(logical: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.chunks[mid]!.logical <= logical) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** Every chunk: where it starts, its length and its type (block group flags), in order. */
  list(): { logical: number; length: number; type: bigint }[] {
    return this.chunks.map((c) => ({ logical: c.logical, length: c.length, type: c.type }));
  }

  /** Decode the superblock's sys_chunk_array: (key, chunk item) pairs. */
  addSysArray(b: Buffer): void {
    let at = 0;
    while (at < b.length) {
      if (at + KEY_SIZE > b.length) throw this.fail('EFORMAT', 'sys_chunk_array is truncated');
      const key = readKey(b, at);
      at += KEY_SIZE;
      at += this.add(key, b, at);
    }
  }

  map(logical: number): Mapping {
    const c = this.chunks[this.index(logical)];
    if (!c || logical >= c.logical + c.length) throw this.fail('EFORMAT', `logical address ${logical} is in no chunk`);
    const off = logical - c.logical;
    const n = c.stripes.length;
    if (c.type & (BG_RAID5 | BG_RAID6)) throw this.fail('EUNSUPPORTED', `chunk at ${c.logical}: RAID5/6 profiles are not read`);
    let candidates: Stripe[];
    let phys: number;
    let contiguous: number;
    if (c.type & (BG_RAID0 | BG_RAID10)) {
      const sub = c.type & BG_RAID10 ? Math.max(1, c.subStripes) : 1;
      const factor = Math.floor(n / sub);
      if (factor === 0 || n % sub !== 0) throw this.fail('EFORMAT', `chunk at ${c.logical} has ${n} stripes for ${sub} sub-stripes`);
      const stripeNr = Math.floor(off / c.stripeLen);
      const inStripe = off % c.stripeLen;
      const first = (stripeNr % factor) * sub;
      candidates = c.stripes.slice(first, first + sub);
      phys = Math.floor(stripeNr / factor) * c.stripeLen + inStripe;
      contiguous = Math.min(c.stripeLen - inStripe, c.length - off);
    } else {
      candidates = c.stripes;
      phys = off;
      contiguous = c.length - off;
    }
    const mine = candidates.filter((s) => s.devid === this.devid);
    if (mine.length === 0) {
      const s = candidates[0]!;
      throw this.fail(
        'EUNSUPPORTED',
        `logical address ${logical} is on device ${s.devid} (uuid ${uuidString(s.uuid)}), which is not this one: multi-device filesystems are not read yet`,
      );
    }
    return { mirrors: mine.map((s) => s.offset + phys), contiguous };
  }
}
