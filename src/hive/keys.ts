// nk cells (keys): field offsets, checked reading of the name and class, and building a new nk.
import { CellStore } from './cells.js';
import { KEY_COMP_NAME, NONE, SIG_NK, bad, filetimeFromDate, hex } from './format.js';
import { decodeName, encodeName } from './names.js';

/** Field offsets inside an nk cell's data. */
export const NK = {
  FLAGS: 2,
  TIME: 4,
  PARENT: 16,
  NSUB: 20,
  NVSUB: 24,
  SUBLIST: 28,
  VSUBLIST: 32,
  NVAL: 36,
  VALLIST: 40,
  SK: 44,
  CLASS: 48,
  MAXSUBNAME: 52,
  MAXSUBCLASS: 56,
  MAXVALNAME: 60,
  MAXVALDATA: 64,
  WORKVAR: 68,
  NAMELEN: 72,
  CLASSLEN: 74,
  NAME: 76,
} as const;

/** File offset of the data of the nk at `off`, after checking it is an nk whose name fits. */
export function nkData(store: CellStore, off: number): number {
  const len = store.cell(off, 'key');
  const d = CellStore.data(off);
  if (len < NK.NAME || store.buf.readUInt16LE(d) !== SIG_NK) bad(`cell ${hex(off)} is not a key (nk)`);
  if (NK.NAME + store.buf.readUInt16LE(d + NK.NAMELEN) > len) bad(`key at ${hex(off)}: name runs past its cell`);
  return d;
}

export function nkName(store: CellStore, off: number): string {
  const d = nkData(store, off);
  const buf = store.buf;
  return decodeName(buf, d + NK.NAME, buf.readUInt16LE(d + NK.NAMELEN), (buf.readUInt16LE(d + NK.FLAGS) & KEY_COMP_NAME) !== 0);
}

/** The class name (rarely set; a UTF-16LE string in its own cell). */
export function nkClass(store: CellStore, off: number): string | undefined {
  const d = nkData(store, off);
  const classOff = store.buf.readUInt32LE(d + NK.CLASS);
  const classLen = store.buf.readUInt16LE(d + NK.CLASSLEN);
  if (classOff === NONE || classLen === 0) return undefined;
  const len = store.cell(classOff, 'class name');
  if (classLen > len) bad(`key at ${hex(off)}: class name runs past its cell`);
  return decodeName(store.buf, CellStore.data(classOff), classLen, false);
}

/** Allocate and fill a new nk; the caller links it into the parent's subkey list. */
export function newNk(store: CellStore, name: string, parent: number, sk: number, flags = 0): number {
  const { bytes, compressed } = encodeName(name);
  const off = store.alloc(NK.NAME + bytes.length);
  const buf = store.buf;
  const d = CellStore.data(off);
  buf.writeUInt16LE(SIG_NK, d);
  buf.writeUInt16LE(flags | (compressed ? KEY_COMP_NAME : 0), d + NK.FLAGS);
  buf.writeBigUInt64LE(filetimeFromDate(), d + NK.TIME);
  buf.writeUInt32LE(parent, d + NK.PARENT);
  buf.writeUInt32LE(NONE, d + NK.SUBLIST);
  buf.writeUInt32LE(NONE, d + NK.VSUBLIST);
  buf.writeUInt32LE(NONE, d + NK.VALLIST);
  buf.writeUInt32LE(sk, d + NK.SK);
  buf.writeUInt32LE(NONE, d + NK.CLASS);
  buf.writeUInt16LE(bytes.length, d + NK.NAMELEN);
  bytes.copy(buf, d + NK.NAME);
  return off;
}

/** The key was changed: its last-written time becomes now (Windows does the same). */
export function touchNk(store: CellStore, off: number): void {
  store.buf.writeBigUInt64LE(filetimeFromDate(), CellStore.data(off) + NK.TIME);
}
