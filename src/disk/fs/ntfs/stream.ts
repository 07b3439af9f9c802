// Reading an attribute's value: resident bytes, or non-resident runs (sparse runs and bytes past
// the initialized size read as zeros), or compression units of LZNT1 (a unit whose runs end in
// a sparse tail is compressed; one fully allocated is stored as is; one fully sparse is a hole).
import type { ByteSource } from '../../source.js';
import { MAX_READ_BYTES } from '../limits.js';
import type { Boot } from './boot.js';
import type { Fail } from './errors.js';
import { lznt1Decompress } from './lznt1.js';
import type { Lru } from '../../lru.js';
import { ATTR_COMPRESSED, ATTR_ENCRYPTED, type Attr } from './record.js';
import { findRun, type Run } from './runlist.js';

export interface Volume {
  readonly src: ByteSource;
  readonly boot: Boot;
  readonly fail: Fail;
  /** decompressed compression units, by `ino:attr:unit` */
  readonly units: Lru<string, Buffer>;
}

/** Device bytes; a range outside the device is an EIO naming the filesystem. */
export async function readDevice(vol: Volume, offset: number, length: number): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > vol.src.size)
    throw vol.fail('EIO', `read of ${length} bytes at offset ${offset} is outside the device (size ${vol.src.size})`);
  return vol.src.read(offset, length);
}

/** Bytes [offset, offset+length) of a non-resident attribute's cluster stream, no decompression. */
async function readRuns(vol: Volume, runs: readonly Run[], offset: number, length: number, out: Buffer, outOff: number, what: string) {
  const cs = vol.boot.clusterSize;
  let pos = offset;
  const end = offset + length;
  while (pos < end) {
    const vcn = Math.floor(pos / cs);
    const run = findRun(runs, vcn);
    if (!run) throw vol.fail('EFORMAT', `${what}: no run maps cluster ${vcn}`);
    const runEnd = (run.vcn + run.length) * cs;
    const n = Math.min(end, runEnd) - pos;
    if (run.lcn >= 0) {
      const dev = run.lcn * cs + (pos - run.vcn * cs);
      (await readDevice(vol, dev, n)).copy(out, outOff + (pos - offset));
    }
    pos += n;
  }
}

const MAX_UNIT_BYTES = 1024 * 1024;

async function compressionUnit(vol: Volume, attr: Attr, key: string, unit: number, what: string): Promise<Buffer> {
  const cached = vol.units.get(`${key}:${unit}`);
  if (cached) return cached;
  const cs = vol.boot.clusterSize;
  const clusters = 1 << attr.compressionUnit;
  const size = clusters * cs;
  // NTFS compresses in units of 16 clusters of at most 4 KiB: anything far larger is not NTFS's
  if (size > MAX_UNIT_BYTES) throw vol.fail('EFORMAT', `${what}: compression unit of ${size} bytes`);
  const runs = attr.runs!;
  const vcn0 = unit * clusters;
  // allocated clusters of the unit, in VCN order, and whether any of it is sparse
  let allocated = 0;
  let sparse = false;
  for (let v = vcn0; v < vcn0 + clusters; ) {
    const r = findRun(runs, v);
    if (!r) {
      sparse = true; // past the last run: the unit's tail is unallocated
      break;
    }
    const n = Math.min(r.vcn + r.length, vcn0 + clusters) - v;
    if (r.lcn < 0) sparse = true;
    else if (sparse) throw vol.fail('EFORMAT', `${what}: compression unit ${unit} has data after its sparse tail`);
    else allocated += n;
    v += n;
  }
  const out = Buffer.alloc(size);
  if (allocated === clusters) await readRuns(vol, runs, vcn0 * cs, size, out, 0, what);
  else if (allocated > 0) {
    const packed = Buffer.alloc(allocated * cs);
    await readRuns(vol, runs, vcn0 * cs, allocated * cs, packed, 0, what);
    lznt1Decompress(packed, out, vol.fail, `${what} unit ${unit}`);
  }
  vol.units.set(`${key}:${unit}`, out);
  return out;
}

/**
 * Up to `length` bytes of the attribute from `offset` (short only at its end). `key` names the
 * attribute for the unit cache.
 */
export async function readAttr(vol: Volume, attr: Attr, key: string, offset: number, length: number, what: string): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
    throw vol.fail('EINVAL', `${what}: bad read range ${offset}+${length}`);
  if (length > MAX_READ_BYTES) throw vol.fail('EINVAL', `${what}: read of ${length} bytes is more than ${MAX_READ_BYTES} at once`);
  if (attr.value)
    return Buffer.from(attr.value.subarray(Math.min(offset, attr.value.length), Math.min(offset + length, attr.value.length)));
  if (attr.flags & ATTR_ENCRYPTED) throw vol.fail('EUNSUPPORTED', `${what}: encrypted (EFS) contents are not read`);
  const n = Math.max(0, Math.min(length, attr.dataSize - offset));
  const out = Buffer.alloc(n);
  if (n === 0) return out;
  if (attr.flags & ATTR_COMPRESSED && attr.compressionUnit > 0) {
    const unitSize = (1 << attr.compressionUnit) * vol.boot.clusterSize;
    for (let pos = offset; pos < offset + n; ) {
      const unit = Math.floor(pos / unitSize);
      const data = await compressionUnit(vol, attr, key, unit, what);
      const from = pos - unit * unitSize;
      const take = Math.min(unitSize - from, offset + n - pos);
      data.copy(out, pos - offset, from, from + take);
      pos += take;
    }
    return out;
  }
  // bytes past the initialized size are zeros whatever the clusters hold
  const init = Math.min(attr.initializedSize, attr.dataSize);
  const real = Math.max(0, Math.min(n, init - offset));
  if (real > 0) await readRuns(vol, attr.runs ?? [], offset, real, out, 0, what);
  return out;
}
