// Changes to keys and values at the cell level: everything the writer does besides allocation.
// Each keeps the parent's counts and largest-name/-data fields and its last-written time right.
import { JootError } from '../core/errors.js';
import { CellStore } from './cells.js';
import { MAX_KEY_NAME, MAX_VALUE_NAME, NONE, SIG_LF, SIG_LH, bad, hex } from './format.js';
import { NK, newNk, nkData, nkName, touchNk } from './keys.js';
import { findInList, freeList, insertSubkey, readSubkeys, removeSubkey } from './lists.js';
import { namesEqual, utf16Bytes } from './names.js';
import { refSecurity, unrefSecurity } from './security.js';
import { freeData, newVk, readValueList, vkData, vkName, vkSize, writeData } from './values.js';

/** The child nk named `name` (case-insensitive), or NONE. */
export function findChild(store: CellStore, parent: number, name: string): number {
  return findInList(store, store.buf.readUInt32LE(nkData(store, parent) + NK.SUBLIST), name);
}

export function valueOffsets(store: CellStore, key: number): number[] {
  const d = nkData(store, key);
  return readValueList(store, store.buf.readUInt32LE(d + NK.VALLIST), store.buf.readUInt32LE(d + NK.NVAL));
}

export function findValue(store: CellStore, key: number, name: string): number {
  for (const v of valueOffsets(store, key)) if (namesEqual(vkName(store, v), name)) return v;
  return NONE;
}

function checkName(name: string, max: number, what: string): void {
  if (name.length > max) throw new JootError('EINVAL', `hive: ${what} name longer than ${max} characters`);
}

/** Raise the low 16 bits of a "largest …" field (the high bits hold flags on newer Windows). */
function raiseMax16(store: CellStore, field: number, n: number): void {
  const v = store.buf.readUInt32LE(field);
  if ((v & 0xffff) < n) store.buf.writeUInt32LE(((v & 0xffff0000) | Math.min(n, 0xffff)) >>> 0, field);
}

export function addChild(store: CellStore, parent: number, name: string): number {
  if (name === '' || name.includes('\\')) throw new JootError('EINVAL', `hive: bad key name "${name}"`);
  checkName(name, MAX_KEY_NAME, 'key');
  if (findChild(store, parent, name) !== NONE) throw new JootError('EINVAL', `hive: key "${name}" already exists`);
  const pd = nkData(store, parent);
  const sk = store.buf.readUInt32LE(pd + NK.SK);
  if (sk !== NONE) refSecurity(store, sk);
  const child = newNk(store, name, parent, sk);
  // New lists are lh unless the hive predates version 1.5 (lf there).
  const sig = store.minor >= 5 ? SIG_LH : SIG_LF;
  let d = nkData(store, parent);
  const list = insertSubkey(store, store.buf.readUInt32LE(d + NK.SUBLIST), child, name, sig);
  d = nkData(store, parent);
  store.buf.writeUInt32LE(list, d + NK.SUBLIST);
  store.buf.writeUInt32LE(store.buf.readUInt32LE(d + NK.NSUB) + 1, d + NK.NSUB);
  raiseMax16(store, d + NK.MAXSUBNAME, utf16Bytes(name));
  touchNk(store, parent);
  return child;
}

/** Every nk of the subtree at `key`, parents before children; a key seen twice is a loop. */
export function subtree(store: CellStore, key: number): number[] {
  const seen = new Set<number>([key]);
  const out: number[] = [];
  const stack = [key];
  while (stack.length) {
    const k = stack.pop()!;
    out.push(k);
    const d = nkData(store, k);
    for (const c of readSubkeys(store, store.buf.readUInt32LE(d + NK.SUBLIST))) {
      if (seen.has(c)) bad(`key ${hex(c)} appears twice in the tree (a loop)`);
      seen.add(c);
      stack.push(c);
    }
  }
  return out;
}

/** Delete a key and everything below it, then unlink it from its parent. */
export function deleteKey(store: CellStore, parent: number, key: number): void {
  const keys = subtree(store, key); // checks the whole subtree before changing anything
  for (const k of keys) {
    const d = nkData(store, k);
    const buf = store.buf;
    for (const v of valueOffsets(store, k)) {
      freeData(store, v);
      store.free(v);
    }
    if (buf.readUInt32LE(d + NK.NVAL) > 0) store.free(buf.readUInt32LE(d + NK.VALLIST));
    freeList(store, buf.readUInt32LE(d + NK.SUBLIST));
    const cls = buf.readUInt32LE(d + NK.CLASS);
    if (cls !== NONE) store.free(cls);
    const sk = buf.readUInt32LE(d + NK.SK);
    if (sk !== NONE) unrefSecurity(store, sk);
  }
  const pd = nkData(store, parent);
  store.buf.writeUInt32LE(removeSubkey(store, store.buf.readUInt32LE(pd + NK.SUBLIST), key), pd + NK.SUBLIST);
  store.buf.writeUInt32LE(Math.max(0, store.buf.readUInt32LE(pd + NK.NSUB) - 1), pd + NK.NSUB);
  for (const k of keys) store.free(k);
  // The largest subkey name may have gone with it.
  let max = 0;
  for (const c of readSubkeys(store, store.buf.readUInt32LE(pd + NK.SUBLIST))) max = Math.max(max, utf16Bytes(nkName(store, c)));
  const f = pd + NK.MAXSUBNAME;
  store.buf.writeUInt32LE(((store.buf.readUInt32LE(f) & 0xffff0000) | Math.min(max, 0xffff)) >>> 0, f);
  touchNk(store, parent);
}

/** Create or replace a value. */
export function setValue(store: CellStore, key: number, name: string, type: number, data: Uint8Array): void {
  checkName(name, MAX_VALUE_NAME, 'value');
  let v = findValue(store, key, name);
  if (v !== NONE) {
    freeData(store, v);
    // Same vk, new type and data (the name keeps its stored form).
    store.buf.writeUInt32LE(type >>> 0, vkData(store, v) + 12);
  } else {
    v = newVk(store, name, type);
    const d = nkData(store, key);
    const n = store.buf.readUInt32LE(d + NK.NVAL);
    const list = n === 0 ? store.alloc(4) : store.realloc(store.buf.readUInt32LE(d + NK.VALLIST), 4 * (n + 1));
    store.buf.writeUInt32LE(v, CellStore.data(list) + 4 * n);
    const d2 = nkData(store, key);
    store.buf.writeUInt32LE(list, d2 + NK.VALLIST);
    store.buf.writeUInt32LE(n + 1, d2 + NK.NVAL);
  }
  writeData(store, v, data, store.minor);
  const d = nkData(store, key);
  raiseMax16(store, d + NK.MAXVALNAME, utf16Bytes(name));
  if (store.buf.readUInt32LE(d + NK.MAXVALDATA) < data.length) store.buf.writeUInt32LE(data.length, d + NK.MAXVALDATA);
  touchNk(store, key);
}

export function deleteValue(store: CellStore, key: number, name: string): boolean {
  const offs = valueOffsets(store, key);
  const i = offs.findIndex((v) => namesEqual(vkName(store, v), name));
  if (i < 0) return false;
  const v = offs[i]!;
  freeData(store, v);
  store.free(v);
  offs.splice(i, 1);
  const d = nkData(store, key);
  const list = store.buf.readUInt32LE(d + NK.VALLIST);
  if (offs.length === 0) {
    store.free(list);
    store.buf.writeUInt32LE(NONE, d + NK.VALLIST);
  } else {
    for (const [k, o] of offs.entries()) store.buf.writeUInt32LE(o, CellStore.data(list) + 4 * k);
  }
  store.buf.writeUInt32LE(offs.length, d + NK.NVAL);
  let maxName = 0;
  let maxData = 0;
  for (const o of offs) {
    maxName = Math.max(maxName, utf16Bytes(vkName(store, o)));
    maxData = Math.max(maxData, vkSize(store, o));
  }
  store.buf.writeUInt32LE(((store.buf.readUInt32LE(d + NK.MAXVALNAME) & 0xffff0000) | Math.min(maxName, 0xffff)) >>> 0, d + NK.MAXVALNAME);
  store.buf.writeUInt32LE(maxData, d + NK.MAXVALDATA);
  touchNk(store, key);
  return true;
}
