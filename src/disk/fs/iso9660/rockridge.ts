// System Use Sharing Protocol entries of one directory record and the Rock Ridge facts in them,
// read the way Linux's isofs reads them: entries in order, continuation areas (CE) followed up
// to a bound, a malformed entry ends the walk, a too-short fixed part is an error.
import { isoDate } from './record.js';

/** What Rock Ridge says about one directory record. */
export interface RockInfo {
  /** SP's byte count to skip in every other system use area (root `.` record only) */
  spSkip?: number;
  /** an ER entry was seen (the image declares its extensions) */
  er: boolean;
  /** an RR entry without the NM bit: the kernel takes no NM name from such a record */
  rrNoName: boolean;
  px?: { mode: number; nlink: number; uid: number; gid: number };
  pn?: { high: number; low: number };
  /** SL: the target, rebuilt from its components */
  symlink?: Buffer;
  /** NM: the name, continued entries joined */
  name?: Buffer;
  /** RE: this directory is the relocated copy of a deep one (hidden where it lies) */
  relocated: boolean;
  /** CL: the relocated directory this placeholder stands for (its first block) */
  childLink?: number;
  mtimeNs?: bigint;
  atimeNs?: bigint;
  ctimeNs?: bigint;
  /** ZF: a zisofs-compressed file */
  zf?: { algorithm: string; headerSize: number; blockShift: number; realSize: number };
}

/** kernel's RR_MAX_CE_ENTRIES: continuation areas followed for one record */
export const MAX_CE = 32;
/** NM names longer than this are cut, as the kernel does */
const MAX_NM = 254;

/** The smallest length of each entry the kernel reads fields from. */
const MIN_LEN: Record<string, number> = {
  SP: 7,
  CE: 28,
  ER: 8,
  PX: 36,
  PN: 20,
  SL: 5,
  NM: 5,
  CL: 12,
  PL: 12,
  TF: 5,
  ZF: 16,
};

export class RockError extends Error {}

/** Reads `size` bytes at `offset` of logical block `block` (a continuation area). */
export type ReadContinuation = (block: number, offset: number, size: number) => Promise<Buffer>;

/**
 * Parse the system use area `su` (after `skip` bytes); `blockSize` bounds continuation areas.
 * Throws RockError for what the kernel refuses with EIO.
 */
export async function parseRock(su: Buffer, skip: number, blockSize: number, readCE: ReadContinuation): Promise<RockInfo> {
  const info: RockInfo = { er: false, rrNoName: false, relocated: false };
  const link: number[] = [];
  let name: Buffer[] = [];
  let nameLen = 0;
  let nameCut = false;
  let area = su.subarray(Math.min(skip, su.length));
  let hops = 0;
  for (;;) {
    let ce: { block: number; offset: number; size: number } | undefined;
    let at = 0;
    while (area.length - at > 2) {
      const sig = area.toString('latin1', at, at + 2);
      const len = area[at + 2]!;
      if (len < 3 || at + len > area.length) break; // the kernel stops at a broken entry
      const e = area.subarray(at, at + len);
      at += len;
      const min = MIN_LEN[sig];
      if (min !== undefined && len < min) throw new RockError(`${sig} entry of ${len} bytes is too short`);
      switch (sig) {
        case 'SP':
          if (e[4] === 0xbe && e[5] === 0xef) info.spSkip = e[6]!;
          break;
        case 'ER':
          info.er = true;
          break;
        case 'RR':
          if (len >= 5 && (e[4]! & 0x08) === 0) info.rrNoName = true;
          break;
        case 'CE':
          ce = { block: e.readUInt32LE(4), offset: e.readUInt32LE(12), size: e.readUInt32LE(20) };
          break;
        case 'PX':
          info.px = { mode: e.readUInt32LE(4), nlink: e.readUInt32LE(12), uid: e.readUInt32LE(20), gid: e.readUInt32LE(28) };
          break;
        case 'PN':
          info.pn = { high: e.readUInt32LE(4), low: e.readUInt32LE(12) };
          break;
        case 'TF':
          readTimes(info, e);
          break;
        case 'SL':
          readLink(link, e);
          break;
        case 'NM': {
          const flags = e[4]!;
          // '.'/'..' and unknown flag bits: the kernel keeps the plain name part
          if (nameCut || flags & 6 || flags & ~1) break;
          if (nameLen + len - 5 >= MAX_NM) {
            nameCut = true;
            break;
          }
          // a NUL ends the name there (the kernel copies up to it)
          const nul = e.indexOf(0, 5);
          const part = nul < 0 ? e.subarray(5) : e.subarray(5, nul);
          name.push(part);
          nameLen += part.length;
          break;
        }
        case 'RE':
          info.relocated = true;
          break;
        case 'CL':
          info.childLink = e.readUInt32LE(4);
          break;
        case 'ZF':
          info.zf = { algorithm: e.toString('latin1', 4, 6), headerSize: e[6]!, blockShift: e[7]!, realSize: e.readUInt32LE(8) };
          break;
        default:
          break;
      }
    }
    if (!ce) break;
    if (++hops > MAX_CE) throw new RockError(`more than ${MAX_CE} continuation areas (a CE loop)`);
    if (ce.offset > blockSize || ce.size > blockSize || ce.offset + ce.size > blockSize) {
      throw new RockError(`continuation area ${ce.offset}+${ce.size} does not fit its block`);
    }
    area = await readCE(ce.block, ce.offset, ce.size);
  }
  if (name.length > 0) info.name = Buffer.concat(name);
  name = [];
  if (link.length > 0) info.symlink = Buffer.from(link);
  return info;
}

function readTimes(info: RockInfo, e: Buffer): void {
  const flags = e[4]!;
  const long = (flags & 0x80) !== 0;
  const size = long ? 17 : 7;
  let at = 5;
  // creation, modification, access, attributes: in that order, each present when its bit is
  const take = (bit: number): bigint | undefined => {
    if (!(flags & bit)) return undefined;
    if (at + size > e.length) return undefined;
    const v = isoDate(e.subarray(at, at + size), long);
    at += size;
    return v;
  };
  const ctime = take(0x01);
  const mtime = take(0x02);
  const atime = take(0x04);
  const attr = take(0x08);
  if (ctime !== undefined) info.ctimeNs = ctime;
  if (mtime !== undefined) info.mtimeNs = mtime;
  if (atime !== undefined) info.atimeNs = atime;
  if (attr !== undefined) info.ctimeNs = attr;
}

/**
 * Append one SL entry's components to `out` as the kernel's get_symlink_chunk does ('/' between
 * components that are not continued); a link longer than a page is the kernel's EIO.
 */
function readLink(out: number[], e: Buffer): void {
  const continues = (e[4]! & 1) !== 0;
  let at = 5;
  let left = e.length - 5;
  while (left > 1) {
    const flags = e[at]!;
    const len = e[at + 1]!;
    let root = false;
    switch (flags & ~1) {
      case 0:
        for (let i = 0; i < len && at + 2 + i < e.length; i++) out.push(e[at + 2 + i]!);
        break;
      case 2:
        out.push(0x2e);
        break;
      case 4:
        out.push(0x2e, 0x2e);
        break;
      case 8:
        root = true;
        out.push(0x2f);
        break;
      default:
        break;
    }
    left -= len + 2;
    at += len + 2;
    if (left < 2) {
      if (!root && continues && !(flags & 1)) out.push(0x2f);
      break;
    }
    if (!root && !(flags & 1)) out.push(0x2f);
  }
  if (out.length > 4095) throw new RockError('symbolic link longer than 4095 bytes');
}
