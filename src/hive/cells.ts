// Cell storage: the hive's bytes, the map of where cells start (built by walking every hbin at
// open, which is also where a hostile file's bins and cell sizes get checked once), and the
// allocator the writer uses: best-fit from free cells with split, coalescing on free, and new
// hbins appended when nothing fits. Every reader goes through cell(), so no offset from the
// file is ever used before it is known to be the start of an allocated cell inside the bins.
import { BASE, HBIN_ALIGN, HBIN_HEADER, NONE, bad, hex } from './format.js';

/** Free cells up to this size (bytes) are kept in exact-size buckets; larger ones in one list. */
const SMALL_LIMIT = 2048;

export class CellStore {
  /** The file image; may be longer than BASE + binsSize once grown (spare capacity). */
  buf: Buffer;
  binsSize: number;
  /** Hive format minor version (big data cells exist from 1.4 on). */
  minor = 5;
  private owned = false;
  /** One bit per 4-byte slot of the bins data: set where a cell starts. */
  private starts: Uint32Array;
  /** Per 4 KiB page of the bins data: the cell index of the hbin containing it. */
  private binOf: Int32Array;
  private freeAtOpen: number[] | null = [];
  private small: Set<number>[] = []; // index = size / 8
  private large = new Set<number>();
  /** End offset (exclusive) → start of a free cell, to coalesce with the cell before. */
  private freeEnds = new Map<number, number>();

  constructor(buf: Buffer, binsSize: number) {
    this.buf = buf;
    this.binsSize = binsSize;
    this.starts = new Uint32Array(Math.ceil(binsSize / 128));
    this.binOf = new Int32Array(binsSize / HBIN_ALIGN);
    this.walk();
  }

  /** Check every hbin header and cell size; record cell starts and the free cells. */
  private walk(): void {
    const buf = this.buf;
    for (let pos = 0; pos < this.binsSize; ) {
      const abs = BASE + pos;
      if (buf.toString('latin1', abs, abs + 4) !== 'hbin') bad(`no hbin signature at ${hex(pos)}`);
      const off = buf.readUInt32LE(abs + 4);
      const size = buf.readUInt32LE(abs + 8);
      if (off !== pos) bad(`hbin at ${hex(pos)} says it is at ${hex(off)}`);
      if (size < HBIN_ALIGN || size % HBIN_ALIGN !== 0 || size > this.binsSize - pos) bad(`hbin at ${hex(pos)} has bad size ${hex(size)}`);
      for (let p = 0; p < size; p += HBIN_ALIGN) this.binOf[(pos + p) / HBIN_ALIGN] = pos;
      const end = pos + size;
      for (let c = pos + HBIN_HEADER; c < end; ) {
        const s = buf.readInt32LE(BASE + c);
        const len = Math.abs(s);
        if (len < 8 || len % 4 !== 0 || len > end - c) bad(`cell at ${hex(c)} has size ${s}, outside its hbin (${hex(pos)}..${hex(end)})`);
        this.starts[c >>> 7]! |= 1 << ((c >>> 2) & 31);
        if (s > 0) this.freeAtOpen!.push(c);
        c += len;
      }
      pos = end;
    }
  }

  isCellStart(off: number): boolean {
    return off < this.binsSize && off % 4 === 0 && (this.starts[off >>> 7]! & (1 << ((off >>> 2) & 31))) !== 0;
  }

  /**
   * Length of the data of the allocated cell at `off` (cell index), after checking it is one.
   * The data starts at file offset BASE + off + 4.
   */
  cell(off: number, what: string): number {
    if (off === NONE) bad(`missing ${what}`);
    if (!this.isCellStart(off)) bad(`${what} at ${hex(off)} is not a cell`);
    const s = this.buf.readInt32LE(BASE + off);
    if (s >= 0) bad(`${what} at ${hex(off)} is a free cell`);
    return -s - 4;
  }

  /** The file offset of a cell's data. */
  static data(off: number): number {
    return BASE + off + 4;
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Before the first change: copy the caller's buffer (never edit it) and index free cells. */
  private own(): void {
    if (this.owned) return;
    const cap = BASE + this.binsSize + Math.max(HBIN_ALIGN * 4, this.binsSize >> 3);
    const copy = Buffer.alloc(cap);
    this.buf.copy(copy, 0, 0, BASE + this.binsSize);
    this.buf = copy;
    this.owned = true;
    for (const c of this.freeAtOpen ?? []) this.addFree(c, this.buf.readInt32LE(BASE + c));
    this.freeAtOpen = null;
  }

  private addFree(off: number, size: number): void {
    if (size <= SMALL_LIMIT) (this.small[size >>> 3] ??= new Set()).add(off);
    else this.large.add(off);
    this.freeEnds.set(off + size, off);
  }

  private removeFree(off: number, size: number): void {
    if (size <= SMALL_LIMIT) this.small[size >>> 3]?.delete(off);
    else this.large.delete(off);
    this.freeEnds.delete(off + size);
  }

  private setStart(off: number, on: boolean): void {
    const bit = 1 << ((off >>> 2) & 31);
    if (on) this.starts[off >>> 7]! |= bit;
    else this.starts[off >>> 7]! &= ~bit;
  }

  /** An allocated, zeroed cell with room for `dataLen` bytes; returns its cell index. */
  alloc(dataLen: number): number {
    this.own();
    const need = Math.max(8, (dataLen + 4 + 7) & ~7);
    let off = this.findFree(need);
    if (off < 0) off = this.grow(need);
    const size = this.buf.readInt32LE(BASE + off);
    this.removeFree(off, size);
    // Split when the rest can be a cell of its own (8 bytes at least).
    if (size - need >= 8) {
      const rest = off + need;
      this.buf.writeInt32LE(size - need, BASE + rest);
      this.setStart(rest, true);
      this.addFree(rest, size - need);
      this.buf.writeInt32LE(-need, BASE + off);
      this.buf.fill(0, BASE + off + 4, BASE + off + need);
    } else {
      this.buf.writeInt32LE(-size, BASE + off);
      this.buf.fill(0, BASE + off + 4, BASE + off + size);
    }
    return off;
  }

  private findFree(need: number): number {
    if (need <= SMALL_LIMIT) {
      // Exact fit first, then anything that leaves a splittable remainder.
      const exact = this.small[need >>> 3];
      if (exact?.size) return exact.values().next().value!;
      for (let s = need + 8; s <= SMALL_LIMIT; s += 8) {
        const b = this.small[s >>> 3];
        if (b?.size) return b.values().next().value!;
      }
    }
    let best = -1;
    let bestSize = Infinity;
    for (const off of this.large) {
      const s = this.buf.readInt32LE(BASE + off);
      if (s >= need && s < bestSize) {
        best = off;
        bestSize = s;
        if (s === need) break;
      }
    }
    return best;
  }

  /** Free a cell, merging it with free neighbours inside the same hbin. */
  free(off: number): void {
    if (off === NONE) return;
    this.own();
    if (!this.isCellStart(off)) bad(`freeing ${hex(off)}, which is not a cell`);
    let size = this.buf.readInt32LE(BASE + off);
    if (size >= 0) bad(`freeing ${hex(off)} twice`);
    size = -size;
    const bin = this.binOf[(off / HBIN_ALIGN) | 0]!;
    const binEnd = bin + this.buf.readUInt32LE(BASE + bin + 8);
    const next = off + size;
    if (next < binEnd) {
      const ns = this.buf.readInt32LE(BASE + next);
      if (ns > 0) {
        this.removeFree(next, ns);
        this.setStart(next, false);
        size += ns;
      }
    }
    const prev = this.freeEnds.get(off);
    if (prev !== undefined && prev >= bin) {
      const ps = this.buf.readInt32LE(BASE + prev);
      this.removeFree(prev, ps);
      this.setStart(off, false);
      off = prev;
      size += ps;
    }
    this.buf.writeInt32LE(size, BASE + off);
    this.buf.fill(0, BASE + off + 4, BASE + off + size);
    this.addFree(off, size);
  }

  /** Move a cell's data to a cell of at least `dataLen` bytes when it does not fit already. */
  realloc(off: number, dataLen: number): number {
    const len = -this.buf.readInt32LE(BASE + off) - 4;
    if (len >= dataLen) return off;
    const n = this.alloc(dataLen);
    this.buf.copy(this.buf, BASE + n + 4, BASE + off + 4, BASE + off + 4 + len);
    this.free(off);
    return n;
  }

  /** Append an hbin big enough for a cell of `need` bytes; returns its free cell. */
  private grow(need: number): number {
    const size = Math.ceil((need + HBIN_HEADER) / HBIN_ALIGN) * HBIN_ALIGN;
    const pos = this.binsSize;
    const end = BASE + pos + size;
    if (end > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(end, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, BASE + pos);
      this.buf = bigger;
    }
    this.buf.fill(0, BASE + pos, end);
    this.buf.write('hbin', BASE + pos, 'latin1');
    this.buf.writeUInt32LE(pos, BASE + pos + 4);
    this.buf.writeUInt32LE(size, BASE + pos + 8);
    this.binsSize += size;
    // Both maps grow by doubling: appending thousands of hbins must not copy them each time.
    if (Math.ceil(this.binsSize / 128) > this.starts.length) {
      const starts = new Uint32Array(Math.max(Math.ceil(this.binsSize / 128), this.starts.length * 2));
      starts.set(this.starts);
      this.starts = starts;
    }
    if (this.binsSize / HBIN_ALIGN > this.binOf.length) {
      const binOf = new Int32Array(Math.max(this.binsSize / HBIN_ALIGN, this.binOf.length * 2));
      binOf.set(this.binOf);
      this.binOf = binOf;
    }
    this.binOf.fill(pos, pos / HBIN_ALIGN, this.binsSize / HBIN_ALIGN);
    const c = pos + HBIN_HEADER;
    this.buf.writeInt32LE(size - HBIN_HEADER, BASE + c);
    this.setStart(c, true);
    this.addFree(c, size - HBIN_HEADER);
    return c;
  }

  /** Mark the store as written (copying the caller's buffer) without allocating. */
  touch(): Buffer {
    this.own();
    return this.buf;
  }
}
