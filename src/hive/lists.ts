// Subkey lists: leaves (lf: offset + 4-char hint, lh: offset + name hash, li: offsets only) and
// the ri index root whose entries are leaves. Reading visits each cell once, refuses ri inside
// ri (which also stops ri → itself) and leaves listed twice, so a hostile list can neither loop
// nor yield more entries than the hive has bytes. Writing keeps every leaf sorted by uppercased
// name, as Windows' binary search expects, and splits leaves past MAX_LEAF under an ri.
import { CellStore } from './cells.js';
import { MAX_LEAF, NONE, SIG_LF, SIG_LH, SIG_LI, SIG_RI, bad, hex } from './format.js';
import { nkName } from './keys.js';
import { lfHint, lhHash, upcase } from './names.js';

function leafEntrySize(sig: number): number {
  return sig === SIG_LI ? 4 : 8;
}

/** Signature and entry count of the leaf at `off`, checked to fit its cell. */
function leafInfo(store: CellStore, off: number, underRi: boolean): { d: number; sig: number; n: number } {
  const len = store.cell(off, 'subkey list');
  if (len < 4) bad(`subkey list at ${hex(off)} is too short`);
  const d = CellStore.data(off);
  const sig = store.buf.readUInt16LE(d);
  const n = store.buf.readUInt16LE(d + 2);
  if (sig === SIG_RI) bad(underRi ? `index root lists another index root at ${hex(off)}` : `unexpected index root at ${hex(off)}`);
  if (sig !== SIG_LF && sig !== SIG_LH && sig !== SIG_LI) bad(`cell ${hex(off)} is not a subkey list`);
  if (4 + n * leafEntrySize(sig) > len) bad(`subkey list at ${hex(off)} claims ${n} entries, more than its cell holds`);
  return { d, sig, n };
}

/** The leaves of a list: itself, or the entries of its ri (each a distinct leaf). */
export function listLeaves(store: CellStore, listOff: number): { ri: number; leaves: number[] } {
  const len = store.cell(listOff, 'subkey list');
  if (len < 4) bad(`subkey list at ${hex(listOff)} is too short`);
  const d = CellStore.data(listOff);
  if (store.buf.readUInt16LE(d) !== SIG_RI) return { ri: NONE, leaves: [listOff] };
  const n = store.buf.readUInt16LE(d + 2);
  if (4 + 4 * n > len) bad(`index root at ${hex(listOff)} claims ${n} entries, more than its cell holds`);
  const seen = new Set<number>();
  const leaves: number[] = [];
  for (let i = 0; i < n; i++) {
    const leaf = store.buf.readUInt32LE(d + 4 + 4 * i);
    if (leaf === listOff || seen.has(leaf)) bad(`index root at ${hex(listOff)} lists ${hex(leaf)} twice (a loop)`);
    seen.add(leaf);
    leaves.push(leaf);
  }
  return { ri: listOff, leaves };
}

/** Offsets of the child keys in list order. */
export function readSubkeys(store: CellStore, listOff: number): number[] {
  if (listOff === NONE) return [];
  const { ri, leaves } = listLeaves(store, listOff);
  const out: number[] = [];
  for (const leaf of leaves) {
    const { d, sig, n } = leafInfo(store, leaf, ri !== NONE);
    const es = leafEntrySize(sig);
    for (let i = 0; i < n; i++) out.push(store.buf.readUInt32LE(d + 4 + es * i));
  }
  return out;
}

function entryName(store: CellStore, d: number, es: number, i: number): string {
  return upcase(nkName(store, store.buf.readUInt32LE(d + 4 + es * i)));
}

function writeEntry(store: CellStore, d: number, sig: number, i: number, child: number, name: string): void {
  const es = leafEntrySize(sig);
  store.buf.writeUInt32LE(child, d + 4 + es * i);
  if (sig === SIG_LH) store.buf.writeUInt32LE(lhHash(name), d + 8 + es * i);
  else if (sig === SIG_LF) store.buf.writeUInt32LE(lfHint(name), d + 8 + es * i);
}

function newLeaf(store: CellStore, sig: number, n: number): number {
  const off = store.alloc(4 + n * leafEntrySize(sig));
  const d = CellStore.data(off);
  store.buf.writeUInt16LE(sig, d);
  store.buf.writeUInt16LE(n, d + 2);
  return off;
}

/** Insert into one leaf in sorted position; returns the leaf (maybe moved) and a split-off half. */
function insertIntoLeaf(store: CellStore, leaf: number, child: number, name: string, key: string): number[] {
  let { sig, n } = leafInfo(store, leaf, false);
  const es = leafEntrySize(sig);
  // Binary search by uppercased name (lists written by Windows are sorted).
  let lo = 0;
  let hi = n;
  let d = CellStore.data(leaf);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entryName(store, d, es, mid) < key) lo = mid + 1;
    else hi = mid;
  }
  leaf = store.realloc(leaf, 4 + (n + 1) * es);
  d = CellStore.data(leaf);
  const buf = store.buf;
  buf.copy(buf, d + 4 + es * (lo + 1), d + 4 + es * lo, d + 4 + es * n);
  writeEntry(store, d, sig, lo, child, name);
  n++;
  buf.writeUInt16LE(n, d + 2);
  if (n <= MAX_LEAF) return [leaf];
  // Split in halves: the second half moves to a new leaf of the same kind.
  const keep = n >>> 1;
  const other = newLeaf(store, sig, n - keep);
  const d2 = CellStore.data(other);
  d = CellStore.data(leaf);
  store.buf.copy(store.buf, d2 + 4, d + 4 + es * keep, d + 4 + es * n);
  store.buf.writeUInt16LE(keep, d + 2);
  return [leaf, other];
}

function newRi(store: CellStore, leaves: number[]): number {
  const off = store.alloc(4 + 4 * leaves.length);
  const d = CellStore.data(off);
  store.buf.writeUInt16LE(SIG_RI, d);
  store.buf.writeUInt16LE(leaves.length, d + 2);
  for (const [i, l] of leaves.entries()) store.buf.writeUInt32LE(l, d + 4 + 4 * i);
  return off;
}

/** Add `child` (named `name`) to the list at `listOff`; returns the list's (new) offset. */
export function insertSubkey(store: CellStore, listOff: number, child: number, name: string, defaultSig = SIG_LH): number {
  if (listOff === NONE) {
    const leaf = newLeaf(store, defaultSig, 1);
    writeEntry(store, CellStore.data(leaf), defaultSig, 0, child, name);
    return leaf;
  }
  const key = upcase(name);
  const { ri, leaves } = listLeaves(store, listOff);
  if (ri === NONE) {
    const out = insertIntoLeaf(store, listOff, child, name, key);
    return out.length === 1 ? out[0]! : newRi(store, out);
  }
  // The first leaf whose last name sorts at or after the new one, else the last leaf.
  let at = leaves.length - 1;
  for (let i = 0; i < leaves.length; i++) {
    const { d, sig, n } = leafInfo(store, leaves[i]!, true);
    if (n > 0 && entryName(store, d, leafEntrySize(sig), n - 1) >= key) {
      at = i;
      break;
    }
  }
  if (at < 0)
    leaves.push(...insertIntoLeaf(store, newLeaf(store, defaultSig, 0), child, name, key)); // an empty ri
  else leaves.splice(at, 1, ...insertIntoLeaf(store, leaves[at]!, child, name, key));
  if (leaves.length > 0xffff) bad('too many subkey leaves for one key');
  const newOff = store.realloc(ri, 4 + 4 * leaves.length);
  const d = CellStore.data(newOff);
  store.buf.writeUInt16LE(leaves.length, d + 2);
  for (const [i, l] of leaves.entries()) store.buf.writeUInt32LE(l, d + 4 + 4 * i);
  return newOff;
}

/** Remove `child` from the list; returns the list's offset, NONE once it is empty. */
export function removeSubkey(store: CellStore, listOff: number, child: number): number {
  const { ri, leaves } = listLeaves(store, listOff);
  for (let li = 0; li < leaves.length; li++) {
    const leaf = leaves[li]!;
    const { d, sig, n } = leafInfo(store, leaf, ri !== NONE);
    const es = leafEntrySize(sig);
    for (let i = 0; i < n; i++) {
      if (store.buf.readUInt32LE(d + 4 + es * i) !== child) continue;
      store.buf.copy(store.buf, d + 4 + es * i, d + 4 + es * (i + 1), d + 4 + es * n);
      store.buf.writeUInt16LE(n - 1, d + 2);
      if (n - 1 > 0) return listOff;
      store.free(leaf);
      if (ri === NONE) return NONE;
      leaves.splice(li, 1);
      if (leaves.length === 0) {
        store.free(ri);
        return NONE;
      }
      const rd = CellStore.data(ri);
      store.buf.writeUInt16LE(leaves.length, rd + 2);
      for (const [k, l] of leaves.entries()) store.buf.writeUInt32LE(l, rd + 4 + 4 * k);
      return ri;
    }
  }
  return bad(`key ${hex(child)} is missing from its parent's subkey list`);
}

/** Free the list cells themselves (the keys they point to are the caller's business). */
export function freeList(store: CellStore, listOff: number): void {
  if (listOff === NONE) return;
  const { ri, leaves } = listLeaves(store, listOff);
  for (const leaf of leaves) store.free(leaf);
  if (ri !== NONE) store.free(ri);
}

/**
 * The child named `name` (case-insensitive) in a list, or NONE. lh hashes skip most names, but
 * only for ASCII names: other writers (hivex 1.3) hash non-ASCII names differently from Windows.
 */
export function findInList(store: CellStore, listOff: number, name: string): number {
  if (listOff === NONE) return NONE;
  const key = upcase(name);
  const useHash = /^[\x00-\x7f]*$/.test(name);
  const hash = lhHash(name);
  const { ri, leaves } = listLeaves(store, listOff);
  for (const leaf of leaves) {
    const { d, sig, n } = leafInfo(store, leaf, ri !== NONE);
    const es = leafEntrySize(sig);
    for (let i = 0; i < n; i++) {
      if (useHash && sig === SIG_LH && store.buf.readUInt32LE(d + 8 + es * i) !== hash) continue;
      const child = store.buf.readUInt32LE(d + 4 + es * i);
      const cn = nkName(store, child);
      if (cn.length === name.length && upcase(cn) === key) return child;
    }
  }
  return NONE;
}
