// A native qcow2 (v2 and v3) reader: the virtual disk of a qcow2 file as a ByteSource.
// Guest offset → L1 entry → L2 table (read lazily, kept in a bounded LRU) → a data cluster,
// a compressed cluster, a zero (sub)cluster, or unallocated (the backing image's bytes, or
// zeros). Read-only: refcounts, snapshots and the dirty/corrupt bits do not matter to a reader.
// Every offset taken from the file is checked before it is used.
import { JootError } from '../../core/errors.js';
import { checkRange, type ByteSource, readInto as readSourceInto } from '../source.js';
import { LruBytes } from '../lru.js';
import type { OpenedImage } from './opened.js';
import { decompressCluster } from './qcow2-compressed.js';
import { parseQcow2Header, qcow2Detect, type Qcow2Header } from './qcow2-header.js';

export { qcow2Detect as detect };

const OFFSET_MASK = 0x00fffffffffffe00n; // bits 9..55 of L1 and L2 entries
const L2_COMPRESSED = 1n << 62n;
const L2_ZERO = 1n;
const SUBCLUSTERS = 32;
/** the most of the qcow2 file's start the header may take (header_length is at most a cluster) */
const HEADER_READ = 64 * 1024;
/** what one layer keeps of its metadata and inflated clusters (a backing layer: a quarter) */
export const METADATA_CACHE_BYTES = 16 * 1024 * 1024;
/** the most one coalesced read of data clusters takes */
const MAX_RUN = 8 * 1024 * 1024;

/** a pending read of the file: out[at, at+n) from file bytes [host, host+n) */
interface Run {
  at: number;
  host: number;
  n: number;
}

/** Read and check the header of the qcow2 file `file` (its name is what messages say). */
export async function readQcow2Header(file: ByteSource): Promise<Qcow2Header> {
  const h = await file.read(0, Math.min(file.size, HEADER_READ));
  return parseQcow2Header(file.name, h, file.size);
}

export class Qcow2Source implements OpenedImage {
  readonly format = 'qcow2';
  readonly size: number;
  private readonly l2Entries: number;
  private readonly entryBytes: number;
  private readonly l2Cache: LruBytes<number>;
  private readonly zCache: LruBytes<number>;
  private closed = false;

  private constructor(
    private readonly file: ByteSource,
    private readonly h: Qcow2Header,
    private readonly l1: Buffer,
    private readonly backing: ByteSource | undefined,
    cacheBytes: number,
  ) {
    // the L2 tables and the inflated clusters share the cap; a table is at least kept
    this.l2Cache = new LruBytes(Math.max(cacheBytes / 2, h.clusterSize));
    this.zCache = new LruBytes(Math.max(cacheBytes / 2, h.clusterSize));
    this.size = h.virtualSize;
    this.entryBytes = h.extendedL2 ? 16 : 8;
    this.l2Entries = h.clusterSize / this.entryBytes;
  }

  get name(): string {
    return this.file.name;
  }

  /**
   * The virtual disk of `file`, whose header `h` was read by readQcow2Header. Unallocated
   * clusters read from `backing` (its size may differ: past its end they are zeros). Takes
   * ownership of `file` and `backing`. An external data file or encryption is EUNSUPPORTED.
   * `cacheBytes` caps what it keeps of L2 tables and inflated compressed clusters.
   */
  static async open(file: ByteSource, h: Qcow2Header, backing?: ByteSource, cacheBytes = METADATA_CACHE_BYTES): Promise<Qcow2Source> {
    if (h.externalData) throw new JootError('EUNSUPPORTED', `${file.name}: qcow2 with an external data file is not read natively`);
    if (h.cryptMethod !== 0)
      throw new JootError('EUNSUPPORTED', `${file.name}: encrypted qcow2 (crypt_method ${h.cryptMethod}) is not supported`);
    // entries past what the virtual size uses are never looked at: not read (nor kept)
    const l1 = h.l1Used > 0 ? await file.read(h.l1Offset, h.l1Used * 8) : Buffer.alloc(0);
    return new Qcow2Source(file, h, l1, backing, cacheBytes);
  }

  private bad(what: string): JootError {
    // the kernel engine's words for what qemu-img check finds (appliance/image.ts)
    return new JootError('EFORMAT', `${this.name}: corrupt qcow2 image: ${what}`);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    // every byte is written below (zeros too): no zeroing first
    const out = Buffer.allocUnsafe(length);
    await this.readInto(offset, length, out, 0);
    return out;
  }

  /**
   * out[at, at+length) ← guest bytes [offset, offset+length). Every piece writes its bytes, zeros
   * included (out may be a recycled buffer): zeroing all of it first cost a tenth of an inspection.
   */
  async readInto(offset: number, length: number, out: Buffer, at: number): Promise<void> {
    checkRange(this, offset, length);
    if (this.closed) throw new JootError('ESTATE', `${this.name}: closed`);
    const cs = this.h.clusterSize;
    const run: Run = { at: 0, host: 0, n: 0 };
    for (let pos = offset; pos < offset + length; ) {
      const inCluster = pos % cs;
      const n = Math.min(cs - inCluster, offset + length - pos);
      await this.readInCluster(out, at + pos - offset, pos, n, run);
      pos += n;
    }
    await this.flush(out, run);
  }

  /**
   * Data clusters that lie one after another in the file are read with one read: `run` is the
   * pending one; a piece that does not continue it flushes it first.
   */
  private async queueFile(out: Buffer, run: Run, at: number, host: number, n: number): Promise<void> {
    if (host >= this.file.size) throw this.bad(`data cluster at ${host} lies outside the file (${this.file.size} bytes)`);
    if (run.n > 0 && run.at + run.n === at && run.host + run.n === host && run.n < MAX_RUN) {
      run.n += n;
      return;
    }
    await this.flush(out, run);
    Object.assign(run, { at, host, n });
  }

  private async flush(out: Buffer, run: Run): Promise<void> {
    if (run.n === 0) return;
    const { at, host, n } = run;
    run.n = 0;
    await this.fromFile(out, at, host, n);
  }

  /** Fill out[at, at+n) with guest bytes [pos, pos+n), all inside one cluster. */
  private async readInCluster(out: Buffer, at: number, pos: number, n: number, run: Run): Promise<void> {
    const cs = this.h.clusterSize;
    const cluster = Math.floor(pos / cs);
    const l2 = await this.l2Table(Math.floor(cluster / this.l2Entries));
    if (!l2) return this.fromBacking(out, at, pos, n);
    const e = (cluster % this.l2Entries) * this.entryBytes;
    const entry = l2.readBigUInt64BE(e);
    const inCluster = pos % cs;
    if (entry & L2_COMPRESSED) {
      const data = await this.compressed(entry);
      data.copy(out, at, inCluster, inCluster + n);
      return;
    }
    const host = this.hostOffset(entry);
    if (!this.h.extendedL2) {
      if (entry & L2_ZERO) {
        out.fill(0, at, at + n); // zeros (a preallocated zero cluster too)
        return;
      }
      if (host === 0) return this.fromBacking(out, at, pos, n);
      return this.queueFile(out, run, at, host + inCluster, n);
    }
    // extended L2: 32 subclusters, each allocated (bits 0..31) or zero (bits 32..63) or neither
    const bitmap = l2.readBigUInt64BE(e + 8);
    const sub = cs / SUBCLUSTERS;
    for (let p = inCluster; p < inCluster + n; ) {
      const s = Math.floor(p / sub);
      const alloc = (bitmap >> BigInt(s)) & 1n;
      const zero = (bitmap >> BigInt(s + 32)) & 1n;
      // a run of subclusters of the same state
      let end = (s + 1) * sub;
      for (let t = s + 1; t < SUBCLUSTERS && end < inCluster + n; t++) {
        if (((bitmap >> BigInt(t)) & 1n) !== alloc || ((bitmap >> BigInt(t + 32)) & 1n) !== zero) break;
        end += sub;
      }
      const m = Math.min(end, inCluster + n) - p;
      const o = at + (p - inCluster);
      if (alloc && zero) throw this.bad(`subcluster ${s} of cluster ${cluster} is both allocated and zero`);
      if (alloc) {
        if (host === 0) throw this.bad(`cluster ${cluster} has allocated subclusters but no host cluster`);
        await this.fromFile(out, o, host + p, m);
      } else if (!zero) {
        await this.fromBacking(out, o, pos - inCluster + p, m);
      } else {
        out.fill(0, o, o + m);
      }
      p += m;
    }
  }

  private hostOffset(entry: bigint): number {
    const host = Number(entry & OFFSET_MASK);
    if (host % this.h.clusterSize !== 0) throw this.bad(`data cluster offset ${host} is not cluster-aligned`);
    return host;
  }

  /** The L2 table behind L1 entry `i`, or undefined when none is allocated. */
  private async l2Table(i: number): Promise<Buffer | undefined> {
    if (i >= this.h.l1Used) throw this.bad(`L1 index ${i} is past the L1 table`); // parse checked the size: defensive
    const off = Number(this.l1.readBigUInt64BE(i * 8) & OFFSET_MASK);
    if (off === 0) return undefined;
    const cs = this.h.clusterSize;
    if (off % cs !== 0) throw this.bad(`L2 table offset ${off} is not cluster-aligned`);
    if (off + cs > this.file.size) throw this.bad(`L2 table offset ${off} lies outside the file (${this.file.size} bytes)`);
    let t = this.l2Cache.get(off);
    if (!t) {
      t = await this.file.read(off, cs);
      this.l2Cache.set(off, t);
    }
    return t;
  }

  private async compressed(entry: bigint): Promise<Buffer> {
    const shift = BigInt(62 - (this.h.clusterBits - 8));
    const coffset = Number(entry & ((1n << shift) - 1n));
    const sectors = Number((entry >> shift) & ((1n << BigInt(this.h.clusterBits - 8)) - 1n)) + 1;
    const csize = sectors * 512 - (coffset % 512);
    const hit = this.zCache.get(coffset);
    if (hit) return hit;
    if (coffset >= this.file.size) throw this.bad(`compressed cluster at ${coffset} lies outside the file (${this.file.size} bytes)`);
    // the sector count is rounded up: the last cluster's may run past the end of the file
    const data = await this.file.read(coffset, Math.min(csize, this.file.size - coffset));
    const out = await decompressCluster(
      this.h.compression,
      data,
      this.h.clusterSize,
      `${this.name}: qcow2 compressed cluster at ${coffset}`,
    );
    this.zCache.set(coffset, out);
    return out;
  }

  /** Bytes of the qcow2 file; past its end they read as zeros (qemu's file driver does the same). */
  private async fromFile(out: Buffer, at: number, host: number, n: number): Promise<void> {
    if (host >= this.file.size) throw this.bad(`data cluster at ${host} lies outside the file (${this.file.size} bytes)`);
    const m = Math.min(n, this.file.size - host);
    await readSourceInto(this.file, host, m, out, at);
    if (m < n) out.fill(0, at + m, at + n); // Buffer#fill costs even with nothing to fill
  }

  /** Bytes of the backing file, read straight into `out`; past its end (or without one), zeros. */
  private async fromBacking(out: Buffer, at: number, pos: number, n: number): Promise<void> {
    const b = this.backing;
    const m = b && pos < b.size ? Math.min(n, b.size - pos) : 0;
    if (b && m > 0) await readSourceInto(b, pos, m, out, at);
    if (m < n) out.fill(0, at + m, at + n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.l2Cache.clear();
    this.zCache.clear();
    await Promise.all([this.file.close(), this.backing?.close()]);
  }
}
