// The chunk map: logical address → its copies, each a (device, offset) of the filesystem's
// devices. Bootstrapped from the superblock's sys_chunk_array, then filled from the chunk tree.
// Single has one copy, DUP and RAID1/1C3/1C4 one per stripe, RAID0 the stripe the address falls
// in, RAID10 the sub-stripes (mirrors) of that stripe. Which copy is read is devices.ts's choice.
// RAID5/6 is refused in one line ("unsupported: raid5/6"): its parity is not read.
import type { JootError } from '../../../core/errors.js';
import { MAX_FILE_EXTENTS } from '../limits.js';
import {
  BG_DUP,
  BG_RAID0,
  BG_RAID1,
  BG_RAID10,
  BG_RAID1C3,
  BG_RAID1C4,
  BG_RAID5,
  BG_RAID6,
  CHUNK_ITEM,
  KEY_SIZE,
  type Key,
  num,
  readKey,
} from './format.js';

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

/** One copy of a logical address: the device (by devid and device uuid) and the byte offset on it. */
export interface Copy {
  devid: bigint;
  uuid: Buffer;
  offset: number;
}

/** Where one logical address is: its copies (one unless the profile mirrors) and how far it runs contiguously. */
export interface Mapping {
  copies: Copy[];
  contiguous: number;
}

type Fail = (code: 'EFORMAT' | 'EUNSUPPORTED', msg: string) => JootError;

export class ChunkMap {
  private chunks: Chunk[] = [];

  constructor(private readonly fail: Fail) {}

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

  /** Every device a chunk has a stripe on (devid and device uuid), each once, by devid. */
  devices(): { devid: bigint; uuid: Buffer }[] {
    const seen = new Map<bigint, Buffer>();
    for (const c of this.chunks) for (const s of c.stripes) if (!seen.has(s.devid)) seen.set(s.devid, s.uuid);
    return [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([devid, uuid]) => ({ devid, uuid }));
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
    if (c.type & (BG_RAID5 | BG_RAID6)) throw this.fail('EUNSUPPORTED', `chunk at ${c.logical}: unsupported: raid5/6`);
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
      // single, DUP, RAID1, RAID1C3/C4: every stripe is a whole copy
      if (!(c.type & (BG_RAID1 | BG_DUP | BG_RAID1C3 | BG_RAID1C4))) candidates = c.stripes.slice(0, 1);
      else candidates = c.stripes;
      phys = off;
      contiguous = c.length - off;
    }
    return { copies: candidates.map((s) => ({ devid: s.devid, uuid: s.uuid, offset: s.offset + phys })), contiguous };
  }
}
