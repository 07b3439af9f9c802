// vk cells (values), the per-key value list, and value data: inline in the vk (4 bytes or
// less, size high bit set), in one cell, or (hive version 1.4+, more than 16344 bytes) split
// into segments under a db cell. Data sizes are checked against the cells that hold them, so a
// value can never make the reader allocate more than the hive's own size.
import { CellStore } from './cells.js';
import { BIG_DATA_SEGMENT, DATA_INLINE, NONE, SIG_DB, SIG_VK, VALUE_COMP_NAME, bad, hex } from './format.js';
import { decodeName, encodeName } from './names.js';

/** Field offsets inside a vk cell's data. */
export const VK = { NAMELEN: 2, DATASIZE: 4, DATAOFF: 8, TYPE: 12, FLAGS: 16, NAME: 20 } as const;

/** Offsets of a key's values, from its value list cell. */
export function readValueList(store: CellStore, listOff: number, count: number): number[] {
  if (count === 0 || listOff === NONE) return [];
  const len = store.cell(listOff, 'value list');
  if (count * 4 > len) bad(`value list at ${hex(listOff)} claims ${count} values, more than its cell holds`);
  const d = CellStore.data(listOff);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = store.buf.readUInt32LE(d + 4 * i);
  return out;
}

export function vkData(store: CellStore, off: number): number {
  const len = store.cell(off, 'value');
  const d = CellStore.data(off);
  if (len < VK.NAME || store.buf.readUInt16LE(d) !== SIG_VK) bad(`cell ${hex(off)} is not a value (vk)`);
  if (VK.NAME + store.buf.readUInt16LE(d + VK.NAMELEN) > len) bad(`value at ${hex(off)}: name runs past its cell`);
  return d;
}

export function vkName(store: CellStore, off: number): string {
  const d = vkData(store, off);
  const buf = store.buf;
  return decodeName(buf, d + VK.NAME, buf.readUInt16LE(d + VK.NAMELEN), (buf.readUInt16LE(d + VK.FLAGS) & VALUE_COMP_NAME) !== 0);
}

export function vkType(store: CellStore, off: number): number {
  return store.buf.readUInt32LE(vkData(store, off) + VK.TYPE);
}

/** Data size in bytes, without the inline bit. */
export function vkSize(store: CellStore, off: number): number {
  return store.buf.readUInt32LE(vkData(store, off) + VK.DATASIZE) & ~DATA_INLINE;
}

/** Is the data cell a db (big data) record rather than the data itself? */
function isBigData(store: CellStore, dataOff: number, size: number, cellLen: number): boolean {
  return size > BIG_DATA_SEGMENT && cellLen >= 8 && cellLen < size && store.buf.readUInt16LE(CellStore.data(dataOff)) === SIG_DB;
}

/** A copy of the value's data. */
export function readData(store: CellStore, off: number): Buffer {
  const d = vkData(store, off);
  const buf = store.buf;
  const raw = buf.readUInt32LE(d + VK.DATASIZE);
  const size = raw & ~DATA_INLINE;
  if (raw & DATA_INLINE) {
    if (size > 4) bad(`value at ${hex(off)}: inline data of ${size} bytes (at most 4 fit)`);
    return Buffer.from(buf.subarray(d + VK.DATAOFF, d + VK.DATAOFF + size));
  }
  if (size === 0) return Buffer.alloc(0);
  if (size > store.binsSize) bad(`value at ${hex(off)}: data size ${size} is larger than the hive`);
  const dataOff = buf.readUInt32LE(d + VK.DATAOFF);
  const len = store.cell(dataOff, 'value data');
  if (!isBigData(store, dataOff, size, len)) {
    if (size > len) bad(`value at ${hex(off)}: ${size} bytes of data in a cell of ${len}`);
    const s = CellStore.data(dataOff);
    return Buffer.from(buf.subarray(s, s + size));
  }
  return readBigData(store, dataOff, size);
}

function readBigData(store: CellStore, dbOff: number, size: number): Buffer {
  const buf = store.buf;
  const db = CellStore.data(dbOff);
  const nseg = buf.readUInt16LE(db + 2);
  const listOff = buf.readUInt32LE(db + 4);
  if (nseg * BIG_DATA_SEGMENT < size) bad(`big data at ${hex(dbOff)}: ${nseg} segments cannot hold ${size} bytes`);
  const listLen = store.cell(listOff, 'big data segment list');
  if (nseg * 4 > listLen) bad(`big data at ${hex(dbOff)}: segment list shorter than ${nseg} entries`);
  const out = Buffer.allocUnsafe(size);
  const ld = CellStore.data(listOff);
  let done = 0;
  for (let i = 0; i < nseg && done < size; i++) {
    const seg = buf.readUInt32LE(ld + 4 * i);
    const want = Math.min(BIG_DATA_SEGMENT, size - done);
    if (store.cell(seg, 'big data segment') < want) bad(`big data segment at ${hex(seg)} is too short`);
    const s = CellStore.data(seg);
    buf.copy(out, done, s, s + want);
    done += want;
  }
  return out;
}

/** Free the cells holding a value's data (not the vk). */
export function freeData(store: CellStore, off: number): void {
  const d = vkData(store, off);
  const raw = store.buf.readUInt32LE(d + VK.DATASIZE);
  const size = raw & ~DATA_INLINE;
  if (raw & DATA_INLINE || size === 0) return;
  const dataOff = store.buf.readUInt32LE(d + VK.DATAOFF);
  const len = store.cell(dataOff, 'value data');
  if (isBigData(store, dataOff, size, len)) {
    const db = CellStore.data(dataOff);
    const nseg = store.buf.readUInt16LE(db + 2);
    const listOff = store.buf.readUInt32LE(db + 4);
    if (nseg * 4 > store.cell(listOff, 'big data segment list')) bad(`big data at ${hex(dataOff)}: bad segment list`);
    const segs = Array.from({ length: nseg }, (_, i) => store.buf.readUInt32LE(CellStore.data(listOff) + 4 * i));
    for (const s of segs) store.free(s);
    store.free(listOff);
  }
  store.free(dataOff);
}

/** Store `data` and point the vk at it (the old data must already be freed). */
export function writeData(store: CellStore, off: number, data: Uint8Array, minor: number): void {
  let sizeField: number;
  let offField: number;
  if (data.length <= 4) {
    // Small data lives in the offset field itself.
    const b = Buffer.alloc(4);
    b.set(data);
    sizeField = (data.length | DATA_INLINE) >>> 0;
    offField = b.readUInt32LE(0);
  } else if (data.length > BIG_DATA_SEGMENT && minor >= 4) {
    const nseg = Math.ceil(data.length / BIG_DATA_SEGMENT);
    if (nseg > 0xffff) bad('value data too big');
    const segs: number[] = [];
    for (let i = 0; i < nseg; i++) {
      const part = data.subarray(i * BIG_DATA_SEGMENT, (i + 1) * BIG_DATA_SEGMENT);
      const seg = store.alloc(part.length);
      store.buf.set(part, CellStore.data(seg));
      segs.push(seg);
    }
    const list = store.alloc(4 * nseg);
    for (const [i, s] of segs.entries()) store.buf.writeUInt32LE(s, CellStore.data(list) + 4 * i);
    const db = store.alloc(8);
    const dd = CellStore.data(db);
    store.buf.writeUInt16LE(SIG_DB, dd);
    store.buf.writeUInt16LE(nseg, dd + 2);
    store.buf.writeUInt32LE(list, dd + 4);
    sizeField = data.length;
    offField = db;
  } else {
    const cell = store.alloc(data.length);
    store.buf.set(data, CellStore.data(cell));
    sizeField = data.length;
    offField = cell;
  }
  const d = vkData(store, off);
  store.buf.writeUInt32LE(sizeField, d + VK.DATASIZE);
  store.buf.writeUInt32LE(offField, d + VK.DATAOFF);
}

/** A new vk with no data yet. */
export function newVk(store: CellStore, name: string, type: number): number {
  const { bytes, compressed } = encodeName(name);
  const off = store.alloc(VK.NAME + bytes.length);
  const d = CellStore.data(off);
  store.buf.writeUInt16LE(SIG_VK, d);
  store.buf.writeUInt16LE(bytes.length, d + VK.NAMELEN);
  store.buf.writeUInt32LE(DATA_INLINE, d + VK.DATASIZE);
  store.buf.writeUInt32LE(type >>> 0, d + VK.TYPE);
  // An empty (default value) name is never marked compressed, as Windows writes it.
  store.buf.writeUInt16LE(compressed && bytes.length > 0 ? VALUE_COMP_NAME : 0, d + VK.FLAGS);
  bytes.copy(store.buf, d + VK.NAME);
  return off;
}
