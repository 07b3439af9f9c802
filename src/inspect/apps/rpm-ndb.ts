// rpm's "ndb" package database (`Packages.db`, SUSE since 2021): a little-endian file of
// 16-byte blocks.
//
//   header (32 bytes): magic "RpmP", version 0, generation, slot page count, next package index
//   slot pages: slotnpages × 4096 bytes of 16-byte slots ("Slot", pkgidx, blkoff, blkcnt),
//     the first two slots of page 0 being the header; blkoff 0 marks an empty slot
//   blobs at blkoff × 16, blkcnt blocks: head ("BlbS", pkgidx, timestamp, bloblen), the
//     header blob, zero padding, tail (adler32, bloblen, "BlbE") in the last 12 bytes
//
// Checked as rpm checks it when reading (lib/backend/ndb/rpmpkg.c): magics, the slot's package
// index against the blob's, block counts against the blob length and the file. The adler32 is
// not verified (rpm does not either when it reads a package). Blobs are views into `buf`.
// Debian's rpm is built without ndb; the unit test reads a file written by rpm 4.18's own
// rpmpkg.c (compiled from Debian's rpm source package with a small driver).

import { JootError } from '../../core/errors.js';

const PAGE = 4096;
const BLK = 16;
const HEADER_SIZE = 32;
const BLOBHEAD = 16;
const BLOBTAIL = 12;

/** Four ASCII characters read as a little-endian u32, as rpm writes them. */
const tag = (s: string): number => (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
const PKGDB_MAGIC = tag('RpmP');
const SLOT_MAGIC = tag('Slot');
const BLOBHEAD_MAGIC = tag('BlbS');
const BLOBTAIL_MAGIC = tag('BlbE');

export interface NdbBlob {
  pkgidx: number;
  blob: Uint8Array;
}

function bad(why: string): JootError {
  return new JootError('EFORMAT', `bad ndb database: ${why}`);
}

/** Every package blob of an ndb `Packages.db`, in file order. */
export function readNdbBlobs(buf: Uint8Array): NdbBlob[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < HEADER_SIZE || v.getUint32(0, true) !== PKGDB_MAGIC) throw bad('no "RpmP" magic');
  const version = v.getUint32(4, true);
  if (version !== 0) throw bad(`version ${version} (only 0 is known)`);
  if (buf.length % BLK !== 0) throw bad(`size ${buf.length} is not a multiple of ${BLK}`);
  const fileBlks = buf.length / BLK;
  const slotPages = v.getUint32(12, true);
  if (slotPages === 0 || slotPages * PAGE > buf.length) throw bad(`${slotPages} slot pages in a file of ${buf.length} bytes`);
  const minBlkoff = (slotPages * PAGE) / BLK;
  const out: NdbBlob[] = [];
  for (let o = HEADER_SIZE; o < slotPages * PAGE; o += 16) {
    if (v.getUint32(o, true) !== SLOT_MAGIC) throw bad(`slot at byte ${o} has no "Slot" magic`);
    const pkgidx = v.getUint32(o + 4, true);
    const blkoff = v.getUint32(o + 8, true);
    const blkcnt = v.getUint32(o + 12, true);
    if (blkoff === 0) continue;
    if (pkgidx === 0 || blkcnt === 0 || blkoff < minBlkoff)
      throw bad(`slot at byte ${o}: package ${pkgidx} at block ${blkoff} × ${blkcnt}`);
    if (blkoff + blkcnt > fileBlks) throw bad(`package ${pkgidx}: blocks ${blkoff}+${blkcnt} beyond the end of the file`);
    const start = blkoff * BLK;
    const end = start + blkcnt * BLK;
    if (blkcnt * BLK < BLOBHEAD + BLOBTAIL) throw bad(`package ${pkgidx}: ${blkcnt} blocks are too few for a blob`);
    if (v.getUint32(start, true) !== BLOBHEAD_MAGIC) throw bad(`package ${pkgidx}: no "BlbS" magic at block ${blkoff}`);
    if (v.getUint32(start + 4, true) !== pkgidx) throw bad(`package ${pkgidx}: blob says package ${v.getUint32(start + 4, true)}`);
    const len = v.getUint32(start + 12, true);
    if (blkcnt !== Math.ceil((BLOBHEAD + len + BLOBTAIL) / BLK)) throw bad(`package ${pkgidx}: blob of ${len} bytes in ${blkcnt} blocks`);
    if (v.getUint32(end - 8, true) !== len || v.getUint32(end - 4, true) !== BLOBTAIL_MAGIC) throw bad(`package ${pkgidx}: bad blob tail`);
    out.push({ pkgidx, blob: buf.subarray(start + BLOBHEAD, start + BLOBHEAD + len) });
  }
  return out;
}
