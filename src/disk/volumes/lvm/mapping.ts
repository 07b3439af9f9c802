// How an LV's bytes lie on its PVs: each segment type's arithmetic, as device-mapper's targets
// do it. linear/striped (dm-stripe: chunk k on stripe k mod n, row k div n), mirror and raid1
// (one healthy leg is read), raid0/raid0_meta (md raid0 over equal images: striped), raid10
// (md's "near" layout: copy c of chunk k on image (k*copies+c) mod n, row (k*copies+c) div n),
// zero and error. Areas that are other LVs (raid images, mirror legs, pvmove) are mapped the same
// way, with loops and depth checked. Every extent is checked against its PV and its device.
import { JootError } from '../../../core/errors.js';
import type { ByteSource } from '../../source.js';
import type { AreaMeta, LvMeta, SegmentMeta, VgMeta } from './metadata.js';

/** A run of bytes that can be read: an LV, a sub-LV, or an area of a PV. */
export interface Extentable {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

export type MapResult = { ok: true; map: Extentable } | { ok: false; reason: string };

/** Segment types this reader can map (in LVM's metadata a linear segment is `striped`, of one stripe). */
export const MAPPABLE_TYPES = new Set(['striped', 'mirror', 'raid1', 'raid0', 'raid0_meta', 'raid10', 'zero', 'error']);

/**
 * Why an LV of segment types that no engine of joot reads (thin, snapshot, cache, vdo…) cannot be
 * opened: the one wording both engines give (the kernel engine's planLv says it too).
 */
export function unsupportedLvTypes(types: readonly string[]): string {
  return `${types.join('/')} LVs are not supported: joot reads linear, striped, mirror, raid0, raid1, raid10, zero and error LVs`;
}

/** Whether a segment type (as LVM's metadata or `lvm fullreport` names it) is read by this reader. */
export function readsLvType(type: string): boolean {
  return type === 'linear' || MAPPABLE_TYPES.has(type);
}

/** nesting of LVs inside LVs: raid images inside a pvmove inside an LV is 3 */
const MAX_NESTING = 8;

interface PvDevice {
  source: ByteSource;
  peStart: number;
  peCount: number;
  uuid: string;
}

/** Maps the LVs of one VG; results are kept per LV. */
export class VgMapper {
  private readonly done = new Map<string, MapResult>();
  private readonly lvByName: Map<string, LvMeta>;
  private readonly pvByKey: Map<string, { uuid: string; device?: PvDevice; peCount: number }>;

  constructor(
    private readonly vg: VgMeta,
    /** the present PV devices by PV uuid */
    devices: Map<string, ByteSource>,
  ) {
    this.lvByName = new Map(vg.lvs.map((l) => [l.name, l]));
    this.pvByKey = new Map(
      vg.pvs.map((p) => {
        const source = devices.get(p.uuid);
        return [
          p.key,
          {
            uuid: p.uuid,
            peCount: p.peCount,
            device: source ? { source, peStart: p.peStart, peCount: p.peCount, uuid: p.uuid } : undefined,
          },
        ];
      }),
    );
  }

  /** The mapping of LV `name`, or why there is none. */
  map(name: string): MapResult {
    return this.mapLv(name, []);
  }

  private mapLv(name: string, path: string[]): MapResult {
    const known = this.done.get(name);
    if (known) return known;
    if (path.includes(name)) return bad(`LV ${name} is made of itself (${[...path, name].join(' → ')})`);
    if (path.length >= MAX_NESTING) return bad(`LVs nested more than ${MAX_NESTING} deep (${path.join(' → ')})`);
    const lv = this.lvByName.get(name);
    if (!lv) return bad(`no LV named ${name}`);
    const r = this.build(lv, [...path, name]);
    this.done.set(name, r);
    return r;
  }

  private build(lv: LvMeta, path: string[]): MapResult {
    if (lv.problem) return bad(lv.problem);
    const extent = this.vg.extentSize;
    const size = lv.extents * extent;
    if (!Number.isSafeInteger(size)) return bad(`LV ${lv.name} is too large`);
    const parts: { start: number; size: number; map: Extentable }[] = [];
    for (const seg of lv.segments) {
      const r = this.segment(lv, seg, path);
      if (!r.ok) return r;
      parts.push({ start: seg.startExtent * extent, size: seg.extentCount * extent, map: r.map });
    }
    return { ok: true, map: new Concatenation(size, parts) };
  }

  private segment(lv: LvMeta, seg: SegmentMeta, path: string[]): MapResult {
    const extent = this.vg.extentSize;
    const len = seg.extentCount * extent;
    const where = `LV ${lv.name} segment at extent ${seg.startExtent}`;
    const n = seg.areas.length;
    if (seg.reshaping) return bad(`${where}: a raid reshape is in progress`);
    switch (seg.type) {
      case 'zero':
        return { ok: true, map: new Zeros(len) };
      case 'error':
        return { ok: true, map: new Errors(len, `/dev/${this.vg.name}/${lv.name}`) };
      case 'striped':
      case 'raid0':
      case 'raid0_meta': {
        if (n === 0 || seg.extentCount % n !== 0) return bad(`${where}: ${seg.extentCount} extents in ${n} stripes`);
        const areaExtents = seg.extentCount / n;
        const legs: Extentable[] = [];
        for (const a of seg.areas) {
          const r = this.area(a, areaExtents, path, where);
          if (!r.ok) return r;
          legs.push(r.map);
        }
        if (n === 1) return { ok: true, map: legs[0]! };
        const chunk = seg.stripeSize;
        if (chunk <= 0 || (areaExtents * extent) % chunk !== 0)
          return bad(`${where}: stripe size ${chunk} does not divide its ${areaExtents} extents`);
        return { ok: true, map: new Striped(len, chunk, legs) };
      }
      case 'mirror':
      case 'raid1': {
        if (n === 0) return bad(`${where}: no legs`);
        let first: MapResult | undefined;
        for (const a of seg.areas) {
          const r = this.area(a, seg.extentCount, path, where);
          first ??= r;
          // a leg being rebuilt does not hold the data yet
          if (r.ok && !(a.kind === 'lv' && this.lvByName.get(a.lv)?.status.includes('REBUILD'))) return r;
        }
        return first!.ok ? bad(`${where}: every leg is being rebuilt`) : first!;
      }
      case 'raid10': {
        const copies = Math.max(seg.dataCopies, 2);
        if (n < copies || (seg.extentCount * copies) % n !== 0)
          return bad(`${where}: ${seg.extentCount} extents in ${n} images with ${copies} copies`);
        const chunk = seg.stripeSize;
        const areaExtents = (seg.extentCount * copies) / n;
        if (chunk <= 0 || (areaExtents * extent) % chunk !== 0 || len % chunk !== 0)
          return bad(`${where}: stripe size ${chunk} does not divide its extents`);
        const legs: (Extentable | undefined)[] = [];
        let failure: MapResult | undefined;
        for (const a of seg.areas) {
          const r = this.area(a, areaExtents, path, where);
          const rebuilding = a.kind === 'lv' && this.lvByName.get(a.lv)?.status.includes('REBUILD');
          if (!r.ok) failure ??= r;
          legs.push(r.ok && !rebuilding ? r.map : undefined);
        }
        // the layout repeats every n chunks: each of those must have a copy on a usable image
        for (let k = 0; k < n; k++) {
          let any = false;
          for (let c = 0; c < copies; c++) if (legs[(k * copies + c) % n]) any = true;
          if (!any) return failure ?? bad(`${where}: no usable copy of chunk ${k}`);
        }
        return { ok: true, map: new RaidNear(len, chunk, copies, legs) };
      }
      default:
        return bad(`${where}: segment type ${seg.type} is not supported`);
    }
  }

  /** The bytes of one area: `extents` extents from its start, on a PV or inside an LV. */
  private area(a: AreaMeta, extents: number, path: string[], where: string): MapResult {
    const extent = this.vg.extentSize;
    const len = extents * extent;
    const pv = a.kind === 'pv' ? this.pvByKey.get(a.pv) : undefined;
    const lvName = a.kind === 'lv' ? a.lv : a.pv;
    if (pv) {
      if (!pv.device) return { ok: false, reason: `missing PV ${pv.uuid}: a disk of volume group ${this.vg.name} was not added` };
      const d = pv.device;
      if (a.start + extents > d.peCount)
        return bad(`${where}: extents ${a.start}–${a.start + extents - 1} are past the end of PV ${d.uuid} (${d.peCount} extents)`);
      const offset = d.peStart + a.start * extent;
      if (!Number.isSafeInteger(offset + len) || offset + len > d.source.size) {
        return bad(`${where}: extents ${a.start}–${a.start + extents - 1} of PV ${d.uuid} lie past the end of ${d.source.name}`);
      }
      return { ok: true, map: new Range(d.source, offset, len) };
    }
    if (!this.lvByName.has(lvName)) return bad(`${where}: area ${JSON.stringify(lvName)} is neither a PV nor an LV of the VG`);
    const sub = this.mapLv(lvName, path);
    if (!sub.ok) return sub;
    const offset = a.start * extent;
    if (offset + len > sub.map.size) return bad(`${where}: extents ${a.start}–${a.start + extents - 1} are past the end of LV ${lvName}`);
    return { ok: true, map: offset === 0 && len === sub.map.size ? sub.map : new Range(sub.map, offset, len) };
  }
}

function bad(reason: string): MapResult {
  return { ok: false, reason: `inconsistent LVM metadata (${reason})` };
}

/** bounds every read of a mapping (the callers check ranges; this is the guard behind them) */
function inRange(m: { size: number }, offset: number, length: number): void {
  if (offset < 0 || length < 0 || offset + length > m.size) {
    throw new JootError('EIO', `LVM mapping: read of ${length} bytes at ${offset} outside ${m.size}`);
  }
}

class Range implements Extentable {
  constructor(
    private readonly base: Extentable,
    private readonly offset: number,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    return this.base.read(this.offset + offset, length);
  }
}

class Zeros implements Extentable {
  constructor(readonly size: number) {}
  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    return Buffer.alloc(length);
  }
}

class Errors implements Extentable {
  constructor(
    readonly size: number,
    private readonly what: string,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    throw new JootError('EIO', `${this.what}: the read at ${offset} falls in an "error" segment`);
  }
}

/** Reads `length` bytes as pieces of at most `piece(off)` bytes each, in order. */
async function gather(
  length: number,
  offset: number,
  step: (off: number, max: number) => { len: number; read: () => Promise<Buffer> },
): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { len, read } = step(offset + done, length - done);
    const b = await read();
    b.copy(out, done, 0, len);
    done += len;
  }
  return out;
}

class Concatenation implements Extentable {
  constructor(
    readonly size: number,
    private readonly parts: { start: number; size: number; map: Extentable }[],
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    if (this.parts.length === 1) return this.parts[0]!.map.read(offset, length);
    return gather(length, offset, (off, max) => {
      // binary search: the part holding `off`
      let lo = 0;
      let hi = this.parts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.parts[mid]!.start <= off) lo = mid;
        else hi = mid - 1;
      }
      const p = this.parts[lo]!;
      const len = Math.min(max, p.start + p.size - off);
      return { len, read: () => p.map.read(off - p.start, len) };
    });
  }
}

class Striped implements Extentable {
  constructor(
    readonly size: number,
    private readonly chunk: number,
    private readonly legs: Extentable[],
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    const n = this.legs.length;
    return gather(length, offset, (off, max) => {
      const k = Math.floor(off / this.chunk);
      const within = off - k * this.chunk;
      const len = Math.min(max, this.chunk - within);
      const leg = this.legs[k % n]!;
      const pos = Math.floor(k / n) * this.chunk + within;
      return { len, read: () => leg.read(pos, len) };
    });
  }
}

class RaidNear implements Extentable {
  constructor(
    readonly size: number,
    private readonly chunk: number,
    private readonly copies: number,
    private readonly legs: (Extentable | undefined)[],
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    inRange(this, offset, length);
    const n = this.legs.length;
    return gather(length, offset, (off, max) => {
      const k = Math.floor(off / this.chunk);
      const within = off - k * this.chunk;
      const len = Math.min(max, this.chunk - within);
      for (let c = 0; c < this.copies; c++) {
        const idx = k * this.copies + c;
        const leg = this.legs[idx % n];
        if (!leg) continue;
        const pos = Math.floor(idx / n) * this.chunk + within;
        return { len, read: () => leg.read(pos, len) };
      }
      throw new JootError('EIO', `raid10: no usable copy of chunk ${k}`);
    });
  }
}
