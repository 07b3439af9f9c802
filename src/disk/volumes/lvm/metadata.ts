// The VG text (lib/format_text/import_vsn1.c's format) read into plain records: the VG, its PVs,
// its LVs and their segments. Only what reading needs is kept. Structural problems of the VG as
// a whole (no id, a bad extent size, a PV without id) are EFORMAT errors; problems of one LV
// (a segment that does not add up) are kept on that LV as `problem`, so that the other LVs of
// the VG stay readable.
import { JootError } from '../../../core/errors.js';
import type { ConfigScalar, ConfigSection, ConfigValue } from './config-text.js';

const SECTOR = 512;
/** a VG holds at most this many PVs / LVs / segments per LV (LVM's own practical limits are far lower) */
export const MAX_PVS = 100_000;
export const MAX_LVS = 100_000;
export const MAX_SEGMENTS = 100_000;
/** areas of one segment: dm-raid takes 253 images, dm-stripe a few thousand stripes */
export const MAX_AREAS = 4096;

export interface PvMeta {
  /** the key in physical_volumes (pv0, pv1, …): what segments name */
  key: string;
  uuid: string;
  status: string[];
  /** bytes */
  devSize: number;
  peStart: number;
  peCount: number;
}

export type AreaMeta = { kind: 'pv'; pv: string; start: number } | { kind: 'lv'; lv: string; start: number };

export interface SegmentMeta {
  startExtent: number;
  extentCount: number;
  /** the type in the metadata ("striped", "raid1", "thin", …) */
  type: string;
  /** the type as `lvs` reports it ("linear" for a one-stripe striped segment) */
  reportedType: string;
  /** data areas: stripes, mirror legs, raid images */
  areas: AreaMeta[];
  /** bytes, for striped and raid0/10 segments */
  stripeSize: number;
  /** raid10: copies of each chunk */
  dataCopies: number;
  /** raid: a data offset or reshape space (not read) */
  reshaping: boolean;
  /** old-style snapshot segments: the origin and COW LVs */
  origin?: string;
  cowStore?: string;
  merging?: boolean;
}

export interface LvMeta {
  name: string;
  uuid: string;
  status: string[];
  segments: SegmentMeta[];
  /** extents */
  extents: number;
  /** why this LV's segments cannot be used as they are */
  problem?: string;
}

export interface VgMeta {
  name: string;
  uuid: string;
  seqno: number;
  /** bytes */
  extentSize: number;
  status: string[];
  lockType: string;
  pvs: PvMeta[];
  lvs: LvMeta[];
}

class Reader {
  constructor(readonly what: string) {}

  fail(msg: string): JootError {
    return new JootError('EFORMAT', `${this.what}: ${msg}`);
  }

  get(sec: ConfigSection, key: string): ConfigValue | undefined {
    return sec.values.get(key);
  }

  int(sec: ConfigSection, key: string, where: string, dflt?: number): number {
    const v = sec.values.get(key);
    if (v === undefined) {
      if (dflt !== undefined) return dflt;
      throw this.fail(`${where}: ${key} is missing`);
    }
    if (v.t === 'bigint') throw this.fail(`${where}: ${key} = ${v.text} is too large`);
    if (v.t !== 'int' || v.v < 0) throw this.fail(`${where}: ${key} is not a non-negative integer`);
    return v.v;
  }

  str(sec: ConfigSection, key: string, where: string, dflt?: string): string {
    const v = sec.values.get(key);
    if (v === undefined) {
      if (dflt !== undefined) return dflt;
      throw this.fail(`${where}: ${key} is missing`);
    }
    if (v.t !== 'str') throw this.fail(`${where}: ${key} is not a string`);
    return v.v;
  }

  strList(sec: ConfigSection, key: string, where: string): string[] {
    const v = sec.values.get(key);
    if (v === undefined) return [];
    if (v.t !== 'arr' || v.v.some((x) => x.t !== 'str')) throw this.fail(`${where}: ${key} is not a list of strings`);
    return v.v.map((x) => (x as { v: string }).v);
  }

  section(sec: ConfigSection, name: string): ConfigSection | undefined {
    return sec.sections.find((s) => s.name === name);
  }
}

/** bytes from sectors, refusing what a JS number cannot hold */
function sectorsToBytes(r: Reader, n: number, what: string): number {
  const b = n * SECTOR;
  if (!Number.isSafeInteger(b)) throw r.fail(`${what} (${n} sectors) is too large`);
  return b;
}

/** The VG of a metadata text: the first top-level section (the others are settings). */
export function readVgMeta(top: ConfigSection, what: string): VgMeta {
  const r = new Reader(what);
  const vg = top.sections[0];
  if (!vg) throw r.fail('no volume group section');
  const where = `VG ${JSON.stringify(vg.name)}`;
  const uuid = r.str(vg, 'id', where);
  const seqno = r.int(vg, 'seqno', where);
  const extentSectors = r.int(vg, 'extent_size', where);
  if (extentSectors === 0) throw r.fail(`${where}: extent_size is 0`);
  const extentSize = sectorsToBytes(r, extentSectors, `${where}: extent_size`);
  const status = r.strList(vg, 'status', where);
  const lockType = r.str(vg, 'lock_type', where, '');

  const pvSec = r.section(vg, 'physical_volumes');
  const pvs: PvMeta[] = [];
  for (const p of pvSec?.sections ?? []) {
    if (pvs.length >= MAX_PVS) throw r.fail(`${where}: more than ${MAX_PVS} PVs`);
    const pw = `${where} PV ${JSON.stringify(p.name)}`;
    const peCount = r.int(p, 'pe_count', pw);
    const peStart = sectorsToBytes(r, r.int(p, 'pe_start', pw), `${pw}: pe_start`);
    const devSize = sectorsToBytes(r, r.int(p, 'dev_size', pw, 0), `${pw}: dev_size`);
    if (!Number.isSafeInteger(peCount * extentSize)) throw r.fail(`${pw}: pe_count ${peCount} is too large`);
    pvs.push({ key: p.name, uuid: r.str(p, 'id', pw), status: r.strList(p, 'status', pw), devSize, peStart, peCount });
  }
  if (new Set(pvs.map((p) => p.key)).size !== pvs.length) throw r.fail(`${where}: two PVs have one name`);

  const lvSec = r.section(vg, 'logical_volumes');
  const lvs: LvMeta[] = [];
  for (const l of lvSec?.sections ?? []) {
    if (lvs.length >= MAX_LVS) throw r.fail(`${where}: more than ${MAX_LVS} LVs`);
    lvs.push(readLv(r, l, where));
  }
  const names = new Set<string>();
  for (const l of lvs) {
    if (names.has(l.name)) throw r.fail(`${where}: two LVs are named ${JSON.stringify(l.name)}`);
    names.add(l.name);
  }
  return { name: vg.name, uuid, seqno, extentSize, status, lockType, pvs, lvs };
}

function readLv(r: Reader, l: ConfigSection, vgWhere: string): LvMeta {
  const where = `${vgWhere} LV ${JSON.stringify(l.name)}`;
  const lv: LvMeta = {
    name: l.name,
    uuid: r.str(l, 'id', where),
    status: r.strList(l, 'status', where),
    segments: [],
    extents: 0,
  };
  const segs = l.sections.filter((s) => /^segment\d+$/.test(s.name));
  if (segs.length > MAX_SEGMENTS) throw r.fail(`${where}: more than ${MAX_SEGMENTS} segments`);
  try {
    for (const s of segs) lv.segments.push(readSegment(r, s, `${where} ${s.name}`));
    lv.segments.sort((a, b) => a.startExtent - b.startExtent);
    // segments follow each other from extent 0, without gaps or overlaps
    let next = 0;
    for (const s of lv.segments) {
      if (s.startExtent !== next) throw r.fail(`segment at extent ${s.startExtent}, expected ${next}`);
      next += s.extentCount;
      if (!Number.isSafeInteger(next)) throw r.fail('extent count too large');
    }
    lv.extents = next;
    const declared = l.values.get('segment_count');
    if (declared?.t === 'int' && declared.v !== lv.segments.length) {
      throw r.fail(`segment_count is ${declared.v} but there are ${lv.segments.length} segments`);
    }
  } catch (e) {
    if (!(e instanceof JootError)) throw e;
    // the LV stays listed; why it cannot be read is said when it is opened
    lv.problem = e.message.startsWith(`${r.what}: `) ? e.message.slice(r.what.length + 2) : e.message;
    lv.segments = lv.segments.filter((s) => Number.isSafeInteger(s.extentCount));
    lv.extents = lv.segments.reduce((n, s) => n + s.extentCount, 0);
    if (!Number.isSafeInteger(lv.extents)) lv.extents = 0;
  }
  return lv;
}

function pairs(r: Reader, v: ConfigValue | undefined, key: string, where: string): AreaMeta[] {
  if (v === undefined) return [];
  if (v.t !== 'arr' || v.v.length % 2 !== 0) throw r.fail(`${where}: ${key} is not a list of name, extent pairs`);
  if (v.v.length / 2 > MAX_AREAS) throw r.fail(`${where}: more than ${MAX_AREAS} areas`);
  const out: AreaMeta[] = [];
  for (let i = 0; i < v.v.length; i += 2) {
    const name = v.v[i] as ConfigScalar;
    const start = v.v[i + 1] as ConfigScalar;
    if (name.t !== 'str' || start.t !== 'int' || start.v < 0) throw r.fail(`${where}: ${key} entry ${i / 2} is not a name and an extent`);
    // LVM tells PVs from LVs by the name: PVs are the keys of physical_volumes
    out.push({ kind: 'pv', pv: name.v, start: start.v });
  }
  return out;
}

function names(r: Reader, v: ConfigValue | undefined, key: string, where: string): string[] {
  if (v === undefined) throw r.fail(`${where}: ${key} is missing`);
  if (v.t !== 'arr' || v.v.some((x) => x.t !== 'str')) throw r.fail(`${where}: ${key} is not a list of names`);
  if (v.v.length > MAX_AREAS * 2) throw r.fail(`${where}: more than ${MAX_AREAS} areas`);
  return v.v.map((x) => (x as { v: string }).v);
}

function readSegment(r: Reader, s: ConfigSection, where: string): SegmentMeta {
  const startExtent = r.int(s, 'start_extent', where);
  const extentCount = r.int(s, 'extent_count', where);
  const type = r.str(s, 'type', where);
  if (!/^[a-z0-9_+-]{1,32}$/.test(type)) throw r.fail(`${where}: segment type ${JSON.stringify(type.slice(0, 40))} is not one LVM knows`);
  const seg: SegmentMeta = {
    startExtent,
    extentCount,
    type,
    reportedType: type,
    areas: [],
    stripeSize: 0,
    dataCopies: 0,
    reshaping: false,
  };
  if (type === 'striped') {
    const n = r.int(s, 'stripe_count', where);
    if (n === 0 || n > MAX_AREAS) throw r.fail(`${where}: stripe_count ${n}`);
    seg.areas = pairs(r, s.values.get('stripes'), 'stripes', where);
    if (seg.areas.length !== n) throw r.fail(`${where}: stripe_count ${n} but ${seg.areas.length} stripes`);
    if (n === 1) seg.reportedType = 'linear';
    else seg.stripeSize = r.int(s, 'stripe_size', where) * SECTOR;
    if (n > 1 && seg.stripeSize === 0) throw r.fail(`${where}: stripe_size 0`);
    if (extentCount % n !== 0) throw r.fail(`${where}: ${extentCount} extents do not divide into ${n} stripes`);
  } else if (type === 'mirror') {
    const n = r.int(s, 'mirror_count', where);
    seg.areas = pairs(r, s.values.get('mirrors'), 'mirrors', where);
    if (n === 0 || seg.areas.length !== n) throw r.fail(`${where}: mirror_count ${n} but ${seg.areas.length} mirrors`);
  } else if (type.startsWith('raid')) {
    const dc = s.values.get('device_count');
    const sc = s.values.get('stripe_count');
    if ((dc === undefined) === (sc === undefined)) throw r.fail(`${where}: needs exactly one of device_count and stripe_count`);
    const n = r.int(s, dc ? 'device_count' : 'stripe_count', where);
    if (n === 0 || n > 253) throw r.fail(`${where}: ${n} raid images`);
    const list = names(r, s.values.get(type === 'raid0' ? 'raid0_lvs' : 'raids'), type === 'raid0' ? 'raid0_lvs' : 'raids', where);
    // metadata sub-LVs (_rmeta_) come before their image, when there are any
    const images: string[] = [];
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.includes('_rmeta_')) i++;
      if (i >= list.length) throw r.fail(`${where}: a raid metadata LV without its image`);
      images.push(list[i]!);
    }
    if (images.length !== n) throw r.fail(`${where}: ${n} raid images declared, ${images.length} listed`);
    seg.areas = images.map((lv) => ({ kind: 'lv', lv, start: 0 }));
    seg.stripeSize = r.int(s, 'stripe_size', where, 0) * SECTOR;
    seg.dataCopies = r.int(s, 'data_copies', where, 0);
    seg.reshaping = s.values.has('data_offset') && r.int(s, 'data_offset', where) !== 0;
  } else if (type === 'snapshot') {
    seg.origin = r.str(s, 'origin', where);
    const merging = s.values.get('merging_store');
    seg.merging = merging !== undefined;
    seg.cowStore = r.str(s, merging ? 'merging_store' : 'cow_store', where);
  }
  if (s.values.has('reshape_count') && r.int(s, 'reshape_count', where) !== 0) seg.reshaping = true;
  if (!Number.isSafeInteger(startExtent + extentCount)) throw r.fail(`${where}: extents too large`);
  return seg;
}
