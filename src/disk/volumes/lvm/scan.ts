// LVM2 in userspace: every PV on the given devices, the newest metadata of each VG (by seqno),
// PVs matched to their VG by PV uuid, and the public view the kernel engine gives
// (src/appliance/lvm.ts toPublic): the same PvInfo/VgInfo/LvInfo objects, names, order and,
// where the same cause applies, the same `unavailable` reasons. Nothing is activated or
// attached: an LV is a ByteSource over the PV sources.
import { JootError } from '../../../core/errors.js';
import { compareNatural, compareText } from '../../../core/collate.js';
import type { ByteSource } from '../../source.js';
import { checkRange } from '../../source.js';
import type { LvInfo, PvInfo, VgInfo } from '../../types.js';
import { parseConfig } from './config-text.js';
import { hasLvmLabel, labelScanLength, type PvLabel, readMetadataArea, readPvLabel } from './label.js';
import { type Extentable, MAPPABLE_TYPES, unsupportedLvTypes, VgMapper } from './mapping.js';
import { type LvMeta, readVgMeta, type VgMeta } from './metadata.js';
import { compareShownNames, shownVgNames } from './vg-names.js';

export interface LvmDevice {
  /** the canonical guest device name (/dev/sda2) */
  name: string;
  source: ByteSource;
}

export interface LvmVolumes {
  pvs: PvInfo[];
  vgs: VgInfo[];
  lvs: LvInfo[];
  /** The bytes of LV `lvName` (/dev/VG/LV); EUNSUPPORTED for an unavailable LV, ENOENT for none. */
  open(lvName: string): ByteSource;
  /**
   * What could not be read, one line each (a PV with a broken label, a metadata area with a bad
   * checksum, metadata that does not parse): LVM warns and goes on with the rest; so does this.
   */
  problems: JootError[];
}

interface FoundPv {
  device: LvmDevice;
  label: PvLabel;
  /** VG metadata from this PV's metadata areas (usually one or two identical copies) */
  metas: VgMeta[];
  /** a metadata area could not be read: not listed as an orphan unless a VG claims it */
  failed: boolean;
}

// the kernel engine's order (localeCompare 'en', numeric), without loading ICU's collation data
const byName = compareNatural;

/** A name LVM itself accepts (lvm2's validate_name); the same rule as the kernel engine's. */
export function validLvmName(n: string): boolean {
  return /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(n) && n !== '.' && n !== '..' && n.length <= 127;
}

/** Read the LVM of `devices`. Devices without an LVM label are skipped after one 2 KiB read. */
export async function scanLvm(devices: LvmDevice[]): Promise<LvmVolumes> {
  const problems: JootError[] = [];
  const note = (e: unknown): void => {
    if (e instanceof JootError) problems.push(e);
    else throw e;
  };
  const parsed = new Map<string, VgMeta | JootError>();
  const found: FoundPv[] = [];
  for (const device of devices) {
    let label: PvLabel | undefined;
    try {
      const head = await device.source.read(0, labelScanLength(device.source.size));
      if (!hasLvmLabel(head)) continue;
      label = await readPvLabel(device.source, head, device.name);
    } catch (e) {
      note(e);
      continue;
    }
    if (!label) continue;
    if (found.some((f) => f.label.uuid === label.uuid)) {
      // two devices with one PV uuid (a copied disk): like LVM, use one of them
      problems.push(
        new JootError(
          'EFORMAT',
          `${device.name}: LVM PV ${label.uuid} is also on ${found.find((f) => f.label.uuid === label.uuid)!.device.name}; not used`,
        ),
      );
      continue;
    }
    const metas: VgMeta[] = [];
    let failed = false;
    for (const area of label.metadataAreas) {
      try {
        const copy = await readMetadataArea(device.source, area, device.name);
        if (!copy) continue;
        // the PVs of one VG carry the same text: parse it once
        let m = parsed.get(copy.text);
        if (!m) {
          try {
            m = readVgMeta(parseConfig(copy.text, `${device.name}: LVM metadata`), `${device.name}: LVM metadata`);
          } catch (e) {
            if (!(e instanceof JootError)) throw e;
            m = e;
          }
          parsed.set(copy.text, m);
        }
        if (m instanceof JootError) {
          failed = true;
          note(m);
        } else metas.push(m);
      } catch (e) {
        failed = true;
        note(e);
      }
    }
    found.push({ device, label, metas, failed });
  }
  return assemble(found, problems);
}

interface VgState {
  meta: VgMeta;
  /** its name, or VG@DEV when another VG on the attached disks has the same name (vg-names.ts) */
  shown: string;
  /** PV uuid → the device holding it */
  devices: Map<string, FoundPv>;
  mapper: VgMapper;
  /** LV name → listed, and why it cannot be opened */
  listed: Map<string, { lv: LvMeta; info: LvInfo }>;
}

function assemble(found: FoundPv[], problems: JootError[]): LvmVolumes {
  // the newest metadata of each VG (by uuid), wherever it was found
  const newest = new Map<string, VgMeta>();
  for (const f of found) {
    for (const m of f.metas) {
      const cur = newest.get(m.uuid);
      if (!cur || m.seqno > cur.seqno) newest.set(m.uuid, m);
    }
  }
  const byPvUuid = new Map(found.map((f) => [f.label.uuid, f]));
  const owner = new Map<FoundPv, VgState>();
  const states: VgState[] = [];
  for (const meta of newest.values()) {
    const devices = new Map<string, FoundPv>();
    for (const p of meta.pvs) {
      const f = byPvUuid.get(p.uuid);
      if (!f) continue;
      if (owner.has(f)) {
        problems.push(
          new JootError('EFORMAT', `${f.device.name}: LVM PV ${p.uuid} is claimed by VGs ${owner.get(f)!.meta.name} and ${meta.name}`),
        );
        continue;
      }
      devices.set(p.uuid, f);
    }
    const state: VgState = {
      meta,
      shown: meta.name,
      devices,
      mapper: new VgMapper(meta, new Map([...devices].map(([u, f]) => [u, f.device.source]))),
      listed: new Map(),
    };
    for (const f of devices.values()) owner.set(f, state);
    checkOverlaps(meta);
    states.push(state);
  }

  const shown = shownVgNames(
    states.map((st) => ({ name: st.meta.name, uuid: st.meta.uuid, pvs: [...st.devices.values()].map((f) => f.device.name) })),
  );
  for (const st of states) st.shown = shown.get(st.meta.uuid)!;

  const pvs: PvInfo[] = found
    .filter((f) => owner.has(f) || !f.failed)
    .map((f) => {
      const st = owner.get(f);
      if (!st) return { name: f.device.name, vg: '', uuid: f.label.uuid, size: f.label.deviceSize };
      const p = st.meta.pvs.find((x) => x.uuid === f.label.uuid)!;
      return { name: f.device.name, vg: st.shown, uuid: p.uuid, size: p.peCount > 0 ? p.peCount * st.meta.extentSize : p.devSize };
    })
    .sort((a, b) => byName(a.name, b.name));

  const lvs: LvInfo[] = [];
  for (const st of states) {
    const vg = st.meta;
    const snaps = snapshotsOf(vg);
    const lvByName = new Map(vg.lvs.map((l) => [l.name, l]));
    for (const lv of vg.lvs) {
      if (!isListed(vg, lv, snaps, lvByName) || !validLvmName(vg.name) || !validLvmName(lv.name)) continue;
      const path = `/dev/${st.shown}/${lv.name}`;
      const types = [...new Set(lv.segments.map((s) => s.reportedType))];
      const info: LvInfo = {
        name: path,
        vg: st.shown,
        lv: lv.name,
        uuid: lv.uuid,
        size: lv.extents * vg.extentSize,
        segtype: types.join(',') || 'unknown',
      };
      const why = unavailable(st, lv, snaps);
      if (why) info.unavailable = `${path}: ${why}`;
      st.listed.set(lv.name, { lv, info });
      lvs.push(info);
    }
  }
  lvs.sort((a, b) => compareShownNames(a.name, b.name) || compareText(a.uuid, b.uuid));

  const vgs: VgInfo[] = states
    .filter((st) => validLvmName(st.meta.name))
    .map((st) => ({
      name: st.shown,
      uuid: st.meta.uuid,
      extentSize: st.meta.extentSize,
      pvs: [...st.devices.values()].map((f) => f.device.name).sort(byName),
      lvs: [...st.listed.keys()].map((l) => `/dev/${st.shown}/${l}`).sort(byName),
    }))
    .sort((a, b) => compareShownNames(a.name, b.name) || compareText(a.uuid, b.uuid));

  const open = (lvName: string): ByteSource => {
    const hits = states.flatMap((st) => {
      const m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(lvName);
      const hit = m && st.shown === m[1] ? st.listed.get(m[2]!) : undefined;
      return hit ? [{ st, hit }] : [];
    });
    if (hits.length === 0) throw new JootError('ENOENT', `${lvName}: no such logical volume`);
    const { st, hit } = hits[0]!;
    if (hit.info.unavailable) throw new JootError('EUNSUPPORTED', hit.info.unavailable);
    const r = st.mapper.map(hit.lv.name);
    if (!r.ok) throw new JootError('EUNSUPPORTED', `${lvName}: ${r.reason}`);
    return new LvSource(lvName, r.map);
  };

  return { pvs, vgs, lvs, open, problems };
}

/** The old-style snapshots of a VG: COW LV → its snapshot segment; origins being merged into. */
interface Snapshots {
  byCow: Map<string, { origin?: string; merging?: boolean }>;
  mergingInto: Set<string>;
}

function snapshotsOf(vg: VgMeta): Snapshots {
  const byCow = new Map<string, { origin?: string; merging?: boolean }>();
  const mergingInto = new Set<string>();
  for (const l of vg.lvs) {
    for (const s of l.segments) {
      if (s.type !== 'snapshot') continue;
      if (s.cowStore !== undefined && !byCow.has(s.cowStore)) byCow.set(s.cowStore, s);
      if (s.merging && s.origin !== undefined) mergingInto.add(s.origin);
    }
  }
  return { byCow, mergingInto };
}

/**
 * Whether `lvs` lists the LV by default: visible in the metadata, and not a pool or other
 * private volume (lvm2's lv_is_visible and the "public" role of lv_layout_and_role).
 */
function isListed(vg: VgMeta, lv: LvMeta, snaps: Snapshots, lvByName: Map<string, LvMeta>): boolean {
  const types = new Set(lv.segments.map((s) => s.type));
  if (types.has('snapshot')) return false;
  if (types.has('thin-pool') || types.has('cache-pool') || types.has('vdo-pool')) return false;
  if (lv.status.includes('POOL_METADATA_SPARE')) return false;
  if (lv.name === 'lvmlock' && vg.lockType === 'sanlock') return false;
  const snap = snaps.byCow.get(lv.name);
  if (snap) {
    // an old-style snapshot's COW LV is shown while its origin is, unless it is merging
    if (snap.merging) return false;
    const origin = snap.origin !== undefined ? lvByName.get(snap.origin) : undefined;
    return origin !== undefined && origin !== lv && origin.status.includes('VISIBLE');
  }
  return lv.status.includes('VISIBLE');
}

/** Why a listed LV cannot be opened (without its path), or undefined. */
function unavailable(st: VgState, lv: LvMeta, snaps: Snapshots): string | undefined {
  if (lv.segments.length === 0 && !lv.problem) return 'LVM reports no segments for it';
  if (snaps.mergingInto.has(lv.name)) {
    return 'a snapshot is pending merge into it, so its extents do not hold its current data';
  }
  if (snaps.byCow.has(lv.name)) return unsupportedLvTypes(['snapshot']);
  const other = [...new Set(lv.segments.map((s) => s.type).filter((t) => !MAPPABLE_TYPES.has(t)))];
  if (other.length > 0) return unsupportedLvTypes(other);
  const r = st.mapper.map(lv.name);
  return r.ok ? undefined : r.reason;
}

/**
 * Extents of one PV given to two LVs (hand-made metadata; LVM refuses such a VG): every LV
 * involved gets a problem instead of reading another LV's data.
 */
function checkOverlaps(vg: VgMeta): void {
  const pvKeys = new Set(vg.pvs.map((p) => p.key));
  const used: { pv: string; start: number; end: number; lv: LvMeta }[] = [];
  for (const lv of vg.lvs) {
    for (const s of lv.segments) {
      const per = s.type === 'striped' ? s.extentCount / s.areas.length : s.extentCount;
      for (const a of s.areas) {
        if (a.kind === 'pv' && pvKeys.has(a.pv)) used.push({ pv: a.pv, start: a.start, end: a.start + per, lv });
      }
    }
  }
  used.sort((a, b) => (a.pv < b.pv ? -1 : a.pv > b.pv ? 1 : a.start - b.start));
  let prev: (typeof used)[number] | undefined;
  for (const u of used) {
    if (prev && prev.pv === u.pv && u.start < prev.end) {
      const why = `extents ${u.start}–${Math.min(prev.end, u.end) - 1} of PV ${u.pv} are used by both ${prev.lv.name} and ${u.lv.name}`;
      prev.lv.problem ??= why;
      u.lv.problem ??= why;
    }
    if (!prev || prev.pv !== u.pv || u.end > prev.end) prev = u;
  }
}

/** An LV as a byte source: /dev/VG/LV. */
class LvSource implements ByteSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly map: Extentable,
  ) {
    this.size = map.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    checkRange(this, offset, length);
    return this.map.read(offset, length);
  }

  /** The PV sources belong to the caller. */
  async close(): Promise<void> {}
}
