// exFAT directory entries: entry sets of a file entry (0x85), its stream extension (0xc0) and
// its name entries (0xc1), accepted only when complete and their set checksum matches (a bad
// set is dropped as corrupt); the allocation bitmap (0x81), up-case table (0x82) and volume
// label (0x83) entries of the root; the first 0x00 entry ends the directory.
import { MAX_DIR_ENTRIES } from '../limits.js';
import { validName } from '../fat/names.js';

export const ATTR_RO = 0x01;
export const ATTR_DIR = 0x10;

export interface ExfatEntry {
  name: string;
  attr: number;
  firstCluster: number;
  /** bytes of the file (DataLength) */
  size: number;
  /** bytes written (ValidDataLength): the rest reads as zeros */
  validSize: number;
  /** NoFatChain: the clusters are contiguous and the FAT is not consulted */
  contiguous: boolean;
  /** index of the file entry in the directory */
  index: number;
  create: number;
  modify: number;
  access: number;
  create10ms: number;
  modify10ms: number;
  createTz: number;
  modifyTz: number;
  accessTz: number;
}

export interface RootExtras {
  bitmap?: { firstCluster: number; size: number };
  upcase?: { firstCluster: number; size: number; checksum: number };
  label?: string;
}

export interface ParsedExfatDir {
  entries: ExfatEntry[];
  subdirs: number;
  root: RootExtras;
}

export function setChecksum(set: Buffer): number {
  let sum = 0;
  for (let i = 0; i < set.length; i++) {
    if (i === 2 || i === 3) continue;
    sum = (((sum & 1) << 15) | (sum >> 1)) + set[i]!;
    sum &= 0xffff;
  }
  return sum;
}

/** A 64-bit little-endian count, or Infinity at or beyond 2^53 (refused where it is used). */
function u64(b: Buffer, at: number): number {
  const hi = b.readUInt32LE(at + 4);
  return hi < 0x200000 ? hi * 0x100000000 + b.readUInt32LE(at) : Number.POSITIVE_INFINITY;
}

export function parseExfatDir(data: Buffer, tooMany: () => Error, tooBig: (what: string) => Error): ParsedExfatDir {
  const entries: ExfatEntry[] = [];
  const root: RootExtras = {};
  let subdirs = 0;
  const n = Math.floor(data.length / 32);
  for (let i = 0; i < n; i++) {
    const e = data.subarray(i * 32, i * 32 + 32);
    const type = e[0]!;
    if (type === 0x00) break;
    if (type === 0x81 && !root.bitmap && (e[1]! & 1) === 0) root.bitmap = { firstCluster: e.readUInt32LE(20), size: u64(e, 24) };
    else if (type === 0x82 && !root.upcase)
      root.upcase = { checksum: e.readUInt32LE(4), firstCluster: e.readUInt32LE(20), size: u64(e, 24) };
    else if (type === 0x83 && root.label === undefined) root.label = e.toString('utf16le', 2, 2 + Math.min(e[1]!, 11) * 2);
    if (type !== 0x85) continue;
    const secondaries = e[1]!;
    if (secondaries < 2 || secondaries > 18 || i + secondaries >= n) continue;
    const set = data.subarray(i * 32, (i + 1 + secondaries) * 32);
    const stream = set.subarray(32, 64);
    if (stream[0] !== 0xc0) continue;
    if (setChecksum(set) !== e.readUInt16LE(2)) continue;
    const nameLen = stream[3]!;
    const units: number[] = [];
    let ok = nameLen > 0;
    for (let k = 2; k <= secondaries && units.length < nameLen; k++) {
      const ne = set.subarray(k * 32, k * 32 + 32);
      if (ne[0] !== 0xc1) {
        ok = false;
        break;
      }
      for (let j = 2; j < 32 && units.length < nameLen; j += 2) units.push(ne.readUInt16LE(j));
    }
    const attr = e.readUInt16LE(4);
    if (attr & ATTR_DIR) subdirs++;
    const entryIndex = i;
    i += secondaries;
    if (!ok || units.length < nameLen) continue;
    const name = Buffer.from(Uint16Array.from(units).buffer).toString('utf16le');
    if (!validName(name)) continue;
    const size = u64(stream, 24);
    const validSize = u64(stream, 8);
    if (!Number.isFinite(size) || !Number.isFinite(validSize)) throw tooBig(name);
    if (entries.length >= MAX_DIR_ENTRIES) throw tooMany();
    entries.push({
      name,
      attr,
      firstCluster: stream.readUInt32LE(20),
      size,
      validSize: Math.min(validSize, size),
      contiguous: (stream[1]! & 2) !== 0,
      index: entryIndex,
      create: e.readUInt32LE(8),
      modify: e.readUInt32LE(12),
      access: e.readUInt32LE(16),
      create10ms: e[20]!,
      modify10ms: e[21]!,
      createTz: e[22]!,
      modifyTz: e[23]!,
      accessTz: e[24]!,
    });
  }
  return { entries, subdirs, root };
}
