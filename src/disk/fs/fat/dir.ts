// A FAT directory's 32-byte entries to named records: long-name slots gathered in order and
// accepted only when complete and their checksum matches the 8.3 entry that follows (otherwise
// the 8.3 name is the name, as in Linux); free, deleted and volume-label entries and . and ..
// are skipped.
import { MAX_DIR_ENTRIES } from '../limits.js';
import { longName, shortChecksum, shortName, slotUnits } from './names.js';

export const ATTR_RO = 0x01;
export const ATTR_VOLUME = 0x08;
export const ATTR_DIR = 0x10;
const ATTR_LFN = 0x0f;

export interface FatEntry {
  name: string;
  /** the 8.3 name too (lookups find a file by either) */
  alias: string | undefined;
  attr: number;
  firstCluster: number;
  size: number;
  /** index of the 8.3 entry in the directory (for a stable inode number) */
  index: number;
  mdate: number;
  mtime: number;
  adate: number;
  cdate: number;
  ctime: number;
  ccentis: number;
}

export interface ParsedDir {
  entries: FatEntry[];
  /** entries with the directory bit, . and .. included (Linux's link count of a directory) */
  subdirs: number;
}

export function parseDir(data: Buffer, fat32: boolean, tooMany: () => Error): ParsedDir {
  const entries: FatEntry[] = [];
  let subdirs = 0;
  // the long name being gathered: its units by slot, the next slot number expected, its checksum
  let slots: number[][] = [];
  let expect = 0;
  let sum = -1;
  for (let i = 0; i + 32 <= data.length; i += 32) {
    const e = data.subarray(i, i + 32);
    const first = e[0]!;
    const attr = e[11]!;
    if (first === 0x00 || first === 0xe5) {
      expect = 0;
      continue;
    }
    if (attr === ATTR_LFN) {
      const ord = first & 0x3f;
      if (first & 0x40) {
        if (ord === 0 || ord > 20) {
          expect = 0;
          continue;
        }
        slots = [];
        slots[ord - 1] = slotUnits(e);
        expect = ord - 1;
        sum = e[13]!;
      } else if (expect > 0 && ord === expect && e[13] === sum) {
        slots[ord - 1] = slotUnits(e);
        expect = ord - 1;
      } else {
        expect = 0;
        slots = [];
      }
      continue;
    }
    const complete = slots.length > 0 && expect === 0 && sum === shortChecksum(e);
    const long = complete ? longName(slots.flat()) : undefined;
    slots = [];
    expect = 0;
    if (attr & ATTR_VOLUME) continue;
    if (attr & ATTR_DIR) subdirs++;
    if (e[0] === 0x2e && (e.subarray(1, 11).every((b) => b === 0x20) || (e[1] === 0x2e && e.subarray(2, 11).every((b) => b === 0x20))))
      continue;
    const alias = shortName(e);
    const name = long ?? alias;
    if (name === undefined) continue;
    if (entries.length >= MAX_DIR_ENTRIES) throw tooMany();
    entries.push({
      name,
      alias,
      attr,
      firstCluster: (fat32 ? e.readUInt16LE(20) * 65536 : 0) + e.readUInt16LE(26),
      size: e.readUInt32LE(28),
      index: i / 32,
      mdate: e.readUInt16LE(24),
      mtime: e.readUInt16LE(22),
      adate: e.readUInt16LE(18),
      cdate: e.readUInt16LE(16),
      ctime: e.readUInt16LE(14),
      ccentis: e[13]!,
    });
  }
  return { entries, subdirs };
}
