// A reader for Berkeley DB hash files (the `Packages` file of rpm < 4.16), from the bytes of
// the whole file. Read-only, no environment, no locking, no log replay: what is on the pages.
//
// Layout (all integers in the file's byte order, told by the magic of the metadata page):
//   page 0, hash metadata: magic 0x061561 at 12, version at 16, pagesize at 20, encrypt_alg
//     at 24, page type (8 = P_HASHMETA) at 25, metaflags at 26, last_pgno at 32,
//     max_bucket at 72, spares[32] at 96; bucket B lives on page B + spares[ceil(log2(B+1))].
//   every other page: a 26-byte header: lsn (8), pgno at 8, prev_pgno at 12, next_pgno at 16,
//     entries (u16) at 20, hf_offset (u16) at 22, level at 24, type at 25.
//   hash pages (P_HASH 13, P_HASH_UNSORTED 2): `entries` u16 item offsets from byte 26, items
//     packed from the end of the page in index order (item i ends where item i-1 starts),
//     alternating key, data. Item types: H_KEYDATA 1 (bytes follow), H_DUPLICATE 2 (repeated
//     u16 len, bytes, u16 len), H_OFFPAGE 3 (pgno at 4, total length at 8: an overflow chain),
//     H_OFFDUP 4 (a duplicates tree: not used by rpm, refused). A bucket continues on
//     next_pgno.
//   overflow pages (P_OVERFLOW 7): hf_offset bytes of data from byte 26; chain on next_pgno.
//
// Hostile files: every page number is checked against the file, every page is used at most
// once (a loop or a shared chain is an error), every offset and length is checked against
// its page, so the work and the memory are bounded by the file's size.

import { JootError } from '../../core/errors.js';

const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const PAGE_HEADER = 26;
const DBMETA_CHKSUM = 0x01;

export interface BdbRecord {
  key: Uint8Array;
  data: Uint8Array;
}

function bad(why: string): JootError {
  return new JootError('EFORMAT', `bad Berkeley DB hash file: ${why}`);
}

class HashFile {
  readonly buf: Uint8Array;
  readonly view: DataView;
  readonly le: boolean;
  readonly pageSize: number;
  readonly pageCount: number;
  /** pages already used (a bucket chain or an overflow chain): each page is used once */
  private readonly used: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.length < 512) throw bad(`${buf.length} bytes, smaller than one page`);
    const magicLe = this.view.getUint32(12, true);
    const magicBe = this.view.getUint32(12, false);
    if (magicLe === HASH_MAGIC) this.le = true;
    else if (magicBe === HASH_MAGIC) this.le = false;
    else if (magicLe === BTREE_MAGIC || magicBe === BTREE_MAGIC) throw bad('a btree database, not a hash');
    else throw bad('no hash magic (not a Berkeley DB hash file)');
    const type = buf[25]!;
    if (type !== P_HASHMETA) throw bad(`metadata page has type ${type}, not hash metadata`);
    if (buf[24] !== 0) throw bad('encrypted databases are not supported');
    if ((buf[26]! & DBMETA_CHKSUM) !== 0) throw bad('databases with page checksums are not supported');
    const version = this.u32(16);
    if (version < 4 || version > 10) throw bad(`unsupported hash version ${version}`);
    const pageSize = this.u32(20);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw bad(`bad page size ${pageSize}`);
    this.pageSize = pageSize;
    const lastPgno = this.u32(32);
    // BDB extends the file to last_pgno when it allocates; a shorter file has lost pages.
    if ((lastPgno + 1) * pageSize > buf.length) {
      throw bad(
        `truncated: last page ${lastPgno} at ${pageSize} bytes a page needs ${(lastPgno + 1) * pageSize} bytes, the file has ${buf.length}`,
      );
    }
    this.pageCount = lastPgno + 1;
    this.used = new Uint8Array(this.pageCount);
  }

  u32(off: number): number {
    return this.view.getUint32(off, this.le);
  }

  u16(off: number): number {
    return this.view.getUint16(off, this.le);
  }

  /** Offset of page `pgno`, claimed for `what`; errors on bad numbers and second use. */
  claim(pgno: number, what: string): number {
    if (pgno === 0 || pgno >= this.pageCount) throw bad(`${what}: page ${pgno} outside pages 1..${this.pageCount - 1}`);
    if (this.used[pgno]) throw bad(`${what}: page ${pgno} used twice (a loop or a shared chain)`);
    this.used[pgno] = 1;
    return pgno * this.pageSize;
  }

  /** The bytes of an overflow chain of `total` bytes starting at page `pgno`. */
  overflow(pgno: number, total: number): Uint8Array {
    // A chain cannot hold more than the file's pages; check before allocating.
    if (total > this.pageCount * (this.pageSize - PAGE_HEADER)) {
      throw bad(`overflow item of ${total} bytes is bigger than the file`);
    }
    const out = new Uint8Array(total);
    let len = 0;
    let p = pgno;
    while (p !== 0) {
      const off = this.claim(p, 'overflow chain');
      const type = this.buf[off + 25];
      if (type !== P_OVERFLOW) throw bad(`overflow chain: page ${p} has type ${type}, not overflow`);
      const n = this.u16(off + 22);
      if (PAGE_HEADER + n > this.pageSize) throw bad(`overflow page ${p}: ${n} bytes do not fit the page`);
      if (len + n > total) throw bad(`overflow chain from page ${pgno} is longer than its ${total} bytes`);
      out.set(this.buf.subarray(off + PAGE_HEADER, off + PAGE_HEADER + n), len);
      len += n;
      p = this.u32(off + 16);
    }
    if (len !== total) throw bad(`overflow chain from page ${pgno} has ${len} bytes, expected ${total}`);
    return out;
  }

  /** The values of one item (several for a set of duplicates). */
  item(pgno: number, start: number, end: number, role: string): Uint8Array[] {
    const type = this.buf[start]!;
    switch (type) {
      case H_KEYDATA:
        return [this.buf.subarray(start + 1, end)];
      case H_OFFPAGE: {
        if (end - start < 12) throw bad(`page ${pgno}: ${role} overflow reference of ${end - start} bytes`);
        return [this.overflow(this.u32(start + 4), this.u32(start + 8))];
      }
      case H_DUPLICATE: {
        const out: Uint8Array[] = [];
        let p = start + 1;
        while (p < end) {
          if (p + 2 > end) throw bad(`page ${pgno}: truncated duplicate`);
          const n = this.u16(p);
          if (p + 2 + n + 2 > end) throw bad(`page ${pgno}: duplicate of ${n} bytes overruns its item`);
          out.push(this.buf.subarray(p + 2, p + 2 + n));
          p += 2 + n + 2;
        }
        return out;
      }
      case H_OFFDUP:
        throw bad(`page ${pgno}: off-page duplicates are not supported`);
      default:
        throw bad(`page ${pgno}: unknown item type ${type}`);
    }
  }

  /** All key/data pairs of one bucket chain. */
  bucket(first: number, out: BdbRecord[]): void {
    let p = first;
    do {
      const off = this.claim(p, 'bucket chain');
      const type = this.buf[off + 25];
      // a bucket page that was allocated but never written reads back as zeros: empty
      if (type === 0 && p === first && this.u16(off + 20) === 0) return;
      if (type !== P_HASH && type !== P_HASH_UNSORTED) throw bad(`bucket chain: page ${p} has type ${type}, not hash`);
      const n = this.u16(off + 20);
      if (n % 2 !== 0) throw bad(`page ${p}: odd number of items (${n})`);
      if (PAGE_HEADER + 2 * n > this.pageSize) throw bad(`page ${p}: ${n} items do not fit the page`);
      let end = this.pageSize;
      let key: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        const start = this.u16(off + PAGE_HEADER + 2 * i);
        if (start < PAGE_HEADER + 2 * n || start >= end) throw bad(`page ${p}: item ${i} at bad offset ${start}`);
        const values = this.item(p, off + start, off + end, i % 2 === 0 ? 'key' : 'data');
        if (i % 2 === 0) {
          key = values;
        } else {
          if (key.length !== 1) throw bad(`page ${p}: duplicate keys`);
          for (const data of values) out.push({ key: key[0]!, data });
        }
        end = start;
      }
      p = this.u32(off + 16);
    } while (p !== 0);
  }

  records(): BdbRecord[] {
    const maxBucket = this.u32(72);
    // every bucket has its own page, so a file has more pages than buckets
    if (maxBucket >= this.pageCount) throw bad(`${maxBucket + 1} buckets in a file of ${this.pageCount} pages`);
    const out: BdbRecord[] = [];
    for (let b = 0; b <= maxBucket; b++) {
      const log2 = 32 - Math.clz32(b); // ceil(log2(b + 1))
      const spare = this.u32(96 + 4 * log2);
      this.bucket(b + spare, out);
    }
    return out;
  }
}

/** Every key/data pair of a Berkeley DB hash file (duplicates give one record each). */
export function readBdbHash(buf: Uint8Array): BdbRecord[] {
  return new HashFile(buf).records();
}
