// The rpm header blob, as the rpm database stores it (sqlite `Packages.blob`, Berkeley DB
// `Packages` data items, ndb `Packages.db` blobs): no lead and no header magic, just
//
//   il (u32 BE)  dl (u32 BE)  il × index entry (16 bytes)  dl bytes of data
//   index entry: tag (u32 BE), type (u32 BE), offset into data (s32 BE), count (u32 BE)
//
// Every offset and count is checked against the blob before it is used, so a hostile blob
// gives a JootError('EFORMAT'), never an exception from a typed-array access, a huge
// allocation or a long loop: the work is bounded by the blob's size.
//
// The parser also works on a prefix of a blob whose full length is known (the sqlite reader
// fetches only the first kilobytes of each blob: the fields of a package listing sit near
// the start): everything is checked against the full length, and a value that lies beyond
// the prefix throws NeedMoreBytes, for the caller to retry with the whole blob.

import { JootError } from '../../core/errors.js';

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  DESCRIPTION: 1005,
  LICENSE: 1014,
  URL: 1020,
  ARCH: 1022,
} as const;

export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Size of one element of each type (strings: variable, 0 here). */
const TYPE_SIZE: readonly number[] = [0, 1, 1, 2, 4, 8, 0, 1, 0, 0];

/** rpm's own limits (hdrchkTags / hdrchkData): bigger values are never valid. */
const MAX_TAGS = 0xffff;
const MAX_DATA = 0x0fffffff;

interface Entry {
  type: number;
  /** absolute offset of the entry's data in the blob */
  start: number;
  count: number;
}

const utf8 = new TextDecoder('utf-8');

function bad(why: string): JootError {
  return new JootError('EFORMAT', `bad rpm header: ${why}`);
}

/** A value lies beyond the prefix given to the parser; the whole blob is needed. */
export class NeedMoreBytes extends Error {
  constructor() {
    super('rpm header value beyond the bytes given');
    this.name = 'NeedMoreBytes';
  }
}

/** A parsed, bounds-checked header blob. Values are decoded on request. */
export class RpmHeader {
  private readonly blob: Uint8Array;
  private readonly view: DataView;
  private readonly entries = new Map<number, Entry>();
  /** absolute end of the data area */
  private readonly dataEnd: number;

  /**
   * @param blob the header blob, or its first bytes
   * @param length the length of the whole blob (default: blob is whole)
   * @param keep the tags that will be asked for (default: all); every entry is checked anyway
   */
  constructor(blob: Uint8Array, length: number = blob.length, keep?: ReadonlySet<number>) {
    if (length < blob.length) throw new RangeError('length is shorter than the bytes given');
    this.blob = blob;
    this.view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (length < 8) throw bad(`${length} bytes, shorter than its 8-byte intro`);
    if (blob.length < 8) throw new NeedMoreBytes();
    const il = this.view.getUint32(0);
    const dl = this.view.getUint32(4);
    if (il === 0) throw bad('no index entries');
    if (il > MAX_TAGS) throw bad(`${il} index entries (at most ${MAX_TAGS})`);
    if (dl > MAX_DATA) throw bad(`${dl} bytes of data (at most ${MAX_DATA})`);
    const dataStart = 8 + il * 16;
    const need = dataStart + dl;
    if (need > length) throw bad(`needs ${need} bytes (${il} entries, ${dl} bytes of data), has ${length}`);
    if (dataStart > blob.length) throw new NeedMoreBytes();
    this.dataEnd = need;
    for (let i = 0; i < il; i++) {
      const p = 8 + i * 16;
      const tag = this.view.getUint32(p);
      const type = this.view.getUint32(p + 4);
      const offset = this.view.getInt32(p + 8);
      const count = this.view.getUint32(p + 12);
      if (type > RPM_TYPE.I18NSTRING) throw bad(`tag ${tag}: unknown type ${type}`);
      if (offset < 0 || offset > dl) throw bad(`tag ${tag}: data offset ${offset} outside the ${dl}-byte data area`);
      const size = TYPE_SIZE[type]!;
      if (size > 0 && offset + size * count > dl) {
        throw bad(`tag ${tag}: ${count} × ${size} bytes at offset ${offset} overrun the ${dl}-byte data area`);
      }
      if (type !== RPM_TYPE.NULL && count === 0) throw bad(`tag ${tag}: count 0`);
      // Entries after the immutable region ("dribbles") replace earlier ones, as in rpm.
      if (!keep || keep.has(tag)) this.entries.set(tag, { type, start: dataStart + offset, count });
    }
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING, or the first element of a STRING_ARRAY / I18NSTRING; undefined when absent. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== RPM_TYPE.STRING && e.type !== RPM_TYPE.STRING_ARRAY && e.type !== RPM_TYPE.I18NSTRING) {
      throw bad(`tag ${tag}: type ${e.type} where a string was expected`);
    }
    // bounded by the data area: a missing NUL is an error, not a scan past the blob
    const len = this.blob.subarray(e.start, this.dataEnd).indexOf(0);
    if (len < 0) {
      if (this.dataEnd > this.blob.length) throw new NeedMoreBytes();
      throw bad(`tag ${tag}: string not terminated inside the data area`);
    }
    return utf8.decode(this.blob.subarray(e.start, e.start + len));
  }

  /** The first element of an INT32 entry; undefined when absent. */
  int32(tag: number): number | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== RPM_TYPE.INT32) throw bad(`tag ${tag}: type ${e.type} where an INT32 was expected`);
    // inside the data area (checked in the constructor), maybe beyond a prefix
    if (e.start + 4 > this.blob.length) throw new NeedMoreBytes();
    return this.view.getUint32(e.start);
  }
}

const PACKAGE_TAGS: ReadonlySet<number> = new Set(Object.values(RPMTAG));

export interface RpmPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch?: string;
  url?: string;
  summary?: string;
  description?: string;
  license?: string;
}

/** The package fields of one header blob, or of its first bytes when `length` says how long
 *  it is (see RpmHeader for the errors). */
export function readRpmPackage(blob: Uint8Array, length: number = blob.length): RpmPackage {
  const h = new RpmHeader(blob, length, PACKAGE_TAGS);
  const name = h.string(RPMTAG.NAME);
  const version = h.string(RPMTAG.VERSION);
  const release = h.string(RPMTAG.RELEASE);
  if (name === undefined || name === '') throw bad('no NAME');
  if (version === undefined) throw bad(`${name}: no VERSION`);
  if (release === undefined) throw bad(`${name}: no RELEASE`);
  const pkg: RpmPackage = { name, epoch: h.int32(RPMTAG.EPOCH) ?? 0, version, release };
  const arch = h.string(RPMTAG.ARCH);
  const url = h.string(RPMTAG.URL);
  const summary = h.string(RPMTAG.SUMMARY);
  const description = h.string(RPMTAG.DESCRIPTION);
  const license = h.string(RPMTAG.LICENSE);
  // empty optional strings are left out, like absent tags
  if (arch) pkg.arch = arch;
  if (url) pkg.url = url;
  if (summary) pkg.summary = summary;
  if (description) pkg.description = description;
  if (license) pkg.license = license;
  return pkg;
}
