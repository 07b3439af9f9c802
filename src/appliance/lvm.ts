// Guest LVM, read from the host without activating anything in the host's LVM.
//
// One `lvm fullreport` process reads the metadata of every VG on the devices a session has
// attached. It is scoped with `--devices` to exactly those devices (so the host's own VGs never
// appear and a guest VG named like a host VG cannot clash), runs `--readonly` (no locks, no
// writes), `--driverloaded n` (never touches device-mapper, which may not even exist), and with
// `LVM_SYSTEM_DIR` pointing at a private directory whose lvm.conf holds our settings, so the
// host's /etc/lvm cannot change what we see. The same settings also go on the command line
// (`--config`) in case the private directory cannot be written.
//
// Each LV is then planned: a linear LV in one run of extents becomes a loop device at its byte
// offset inside the PV (no device-mapper state at all, works on every host); a multi-segment
// linear or a striped LV needs a device-mapper table (planned here, created by the caller) and
// is unavailable on hosts without device-mapper; every other segment type is unavailable.
import type { ByteSource } from '../disk/source.js';
import { readsLvType, unsupportedLvTypes } from '../disk/volumes/lvm/index.js';
import { existsSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JootError, isMissingProgram } from '../core/errors.js';
import { compareNatural, compareText } from '../core/collate.js';
import { run, trace, commandError, type Runner } from '../core/run.js';
import { runDir } from './registry.js';
import type { LvInfo, PvInfo, VgInfo } from './types.js';
import { compareShownNames, shownVgNames } from '../disk/volumes/lvm/vg-names.js';

// ---------------------------------------------------------------------------------------------
// Raw scan: what LVM says, with host device names inside. Never shown to users as is.

export interface RawPv {
  /** host device holding the PV, as the caller named it; null when LVM reports the PV missing */
  device: string | null;
  /** the name LVM reported (a host device, or "[unknown]" when missing) */
  lvmName: string;
  uuid: string;
  /** '' for an orphan PV (pvcreate'd, in no VG) */
  vgName: string;
  vgUuid: string;
  /** byte offset of extent 0 inside the device */
  peStart: number;
  /** usable PV size in bytes (as `pvs` reports pv_size) */
  size: number;
  /** size of the underlying device in bytes */
  devSize: number;
  /** number of physical extents */
  peCount: number;
  missing: boolean;
}

export interface RawVg {
  name: string;
  uuid: string;
  /** bytes */
  extentSize: number;
  attrs: string;
  systemId: string;
  lockType: string;
  exported: boolean;
  missingPvCount: number;
}

export interface RawArea {
  /** host PV device; null when the area is on a missing PV or is another LV (see `lv`) */
  pvDevice: string | null;
  /** PV uuid when the area is on a PV (missing or not) */
  pvUuid?: string;
  /** name of the sub-LV when the area is an LV (raid images, thin pool data, …) */
  lv?: string;
  /** first physical extent of the area (in the PV, or in the sub-LV) */
  startExtent: number;
}

export interface RawSegment {
  /** first logical extent of the segment inside the LV */
  startExtent: number;
  extentCount: number;
  segtype: string;
  stripes: number;
  /** bytes; 0 when not striped */
  stripeSize: number;
  areas: RawArea[];
}

export interface RawLv {
  vg: string;
  vgUuid: string;
  name: string;
  uuid: string;
  /** bytes */
  size: number;
  /** the segment type(s), e.g. 'linear', 'striped', 'thin', 'raid1'; several joined by ',' */
  segtype: string;
  attrs: string;
  layout: string;
  role: string;
  /** LVM-internal or private (thin pool, cache pool, …): not listed to users */
  hidden: boolean;
  segments: RawSegment[];
}

export interface LvmScan {
  pvs: RawPv[];
  vgs: RawVg[];
  lvs: RawLv[];
}

// ---------------------------------------------------------------------------------------------
// The lvm command line.

/**
 * Settings that make the scan independent of the host's configuration. Each was checked to
 * exist in lvm2 2.03.16 (`lvmconfig --type default SECTION/KEY`).
 */
export const LVM_SCAN_CONFIG =
  'devices{use_devicesfile=0 obtain_device_list_from_udev=0 external_device_info_source="none" ' +
  'hints="none" filter=["a|.*|"] global_filter=["a|.*|"] multipath_component_detection=0 ' +
  'scan_lvs=0 allow_mixed_block_sizes=1} ' +
  'global{use_lvmlockd=0 use_lvmpolld=0 notify_dbus=0 system_id_source="none"} ' +
  'activation{udev_sync=0 udev_rules=0 monitoring=0} ' +
  'backup{backup=0 archive=0} ' +
  'log{report_command_log=0} ' +
  'report{list_item_separator=","}';

/**
 * The private lvm.conf. Besides LVM_SCAN_CONFIG it turns off async I/O: `use_aio` is only
 * honoured from lvm.conf (not from --config), and the io_destroy at exit costs ~30 ms of the
 * ~45 ms an lvm process takes here (measured: 46 ms → 13 ms per fullreport).
 */
const PRIVATE_LVM_CONF = `# written by joot: settings for scanning guest LVM metadata from the host\n${LVM_SCAN_CONFIG}\nglobal{use_aio=0}\n`;

const VG_FIELDS = 'vg_name,vg_uuid,vg_extent_size,vg_attr,vg_systemid,vg_lock_type,vg_missing_pv_count,vg_exported';
const PV_FIELDS = 'pv_name,pv_uuid,pv_major,pv_minor,pe_start,pv_size,dev_size,pv_pe_count,pv_missing,vg_name,vg_uuid';
const LV_FIELDS = 'lv_name,lv_uuid,lv_size,lv_attr,lv_layout,lv_role,seg_count,vg_name,vg_uuid';
const SEG_FIELDS = 'lv_uuid,segtype,seg_start_pe,seg_size_pe,stripes,stripe_size,devices';

/** The arguments of the one `lvm` process a scan runs. */
export function fullreportArgs(hostDevices: readonly string[]): string[] {
  const args = ['fullreport'];
  for (const d of hostDevices) args.push('--devices', d);
  args.push(
    '--driverloaded',
    'n',
    '--readonly',
    // VGs owned by another system ID (the guest's) or shared through lvmlockd are skipped by
    // default; they are exactly what we want to read.
    '--foreign',
    '--shared',
    '--reportformat',
    'json',
    '--units',
    'b',
    '--nosuffix',
    '--config',
    LVM_SCAN_CONFIG,
    '--configreport',
    'vg',
    '-o',
    VG_FIELDS,
    '--configreport',
    'pv',
    '-o',
    PV_FIELDS,
    '--configreport',
    'lv',
    '-o',
    LV_FIELDS,
    // pv segments are not needed: select none.
    '--configreport',
    'pvseg',
    '-o',
    'pvseg_start',
    '-S',
    'pvseg_start<0',
    '--configreport',
    'seg',
    '-o',
    SEG_FIELDS,
  );
  return args;
}

let privateDir: Promise<string | undefined> | undefined;

/** A directory holding only our lvm.conf, for LVM_SYSTEM_DIR; undefined if it cannot be made. */
export function lvmSystemDir(): Promise<string | undefined> {
  privateDir ??= (async () => {
    const dir = join(runDir(), 'lvm');
    const conf = join(dir, 'lvm.conf');
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const current = await readFile(conf, 'utf8').catch(() => undefined);
      if (current !== PRIVATE_LVM_CONF) {
        const tmp = `${conf}.${process.pid}.tmp`;
        await writeFile(tmp, PRIVATE_LVM_CONF, { mode: 0o600 });
        await rename(tmp, conf);
      }
      return dir;
    } catch (e) {
      trace(
        `lvm: cannot prepare ${dir} (${e instanceof Error ? e.message : String(e)}); using the host's lvm.conf with --config overrides`,
      );
      return undefined;
    }
  })();
  return privateDir;
}

/**
 * Read the LVM metadata on `hostDevices` (the guest's disks and partitions as attached on the
 * host) in one `lvm fullreport`. Activates nothing, writes nothing, takes no locks.
 */
export async function scanLvm(hostDevices: string[], runner: Runner = run): Promise<LvmScan> {
  const devices = [...new Set(hostDevices)];
  if (devices.length === 0) return { pvs: [], vgs: [], lvs: [] };
  for (const d of devices) {
    if (!d.startsWith('/')) throw new JootError('EINVAL', `lvm: not an absolute device path: ${d}`);
  }
  const env: Record<string, string> = { LVM_SUPPRESS_FD_WARNINGS: '1' };
  const sysdir = await lvmSystemDir();
  if (sysdir) env.LVM_SYSTEM_DIR = sysdir;
  let r;
  try {
    r = await runner('lvm', fullreportArgs(devices), { env, allowFailure: true, timeoutMs: 120_000 });
  } catch (e) {
    if (isMissingProgram(e)) {
      throw new JootError('EUNSUPPORTED', "lvm is not installed (package lvm2): cannot read the guest's LVM volume groups", { cause: e });
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // No parseable report at all: the command failed (or is not lvm2's).
    if (r.exitCode !== 0) throw commandError(r);
    throw new JootError('EFORMAT', `lvm fullreport: output is not JSON: ${r.stdout.slice(0, 120)}`);
  }
  if (r.exitCode !== 0) {
    // lvm exits 5 when one VG could not be read but still reports the others: best effort.
    trace(`lvm fullreport exited ${r.exitCode}; using what it reported (${r.stderr.trim().split('\n').slice(-2).join('; ')})`);
  }
  return parseFullreport(json, devices);
}

// ---------------------------------------------------------------------------------------------
// Parsing the JSON of `lvm fullreport --reportformat json`.

type Row = Record<string, string>;

function rows(section: unknown): Row[] {
  if (section === undefined) return [];
  if (!Array.isArray(section)) throw new JootError('EFORMAT', 'lvm fullreport: unexpected JSON shape');
  return section as Row[];
}

function str(row: Row, key: string): string {
  const v = row[key];
  if (v === undefined) throw new JootError('EFORMAT', `lvm fullreport: field ${key} missing`);
  return String(v);
}

function num(row: Row, key: string): number {
  const s = str(row, key);
  const n = s === '' ? 0 : Number(s);
  if (!Number.isSafeInteger(n)) throw new JootError('EFORMAT', `lvm fullreport: field ${key} is not an integer: ${s}`);
  return n;
}

function devKey(major: number, minor: number): string {
  return `${major}:${minor}`;
}

/** major:minor of each device the caller named, to map LVM's names back to the caller's. */
function deviceNumbers(devices: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const d of devices) {
    try {
      const st = statSync(d);
      if (!st.isBlockDevice()) continue;
      const rdev = st.rdev;
      const major = (Math.floor(rdev / 256) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
      const minor = (rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff);
      m.set(devKey(major, minor), d);
    } catch {
      /* not there (unit tests, or gone): names must then match as they are */
    }
  }
  return m;
}

/** Split LVM's `devices` field: "/dev/sda2(0),/dev/sdb(12)" or "lv_rimage_0(0),…" or "[unknown](9)". */
export function parseDevicesField(field: string): { name: string; start: number }[] {
  if (field.trim() === '') return [];
  return field.split(',').map((item) => {
    const m = /^(.*)\((\d+)\)$/.exec(item.trim());
    if (!m) throw new JootError('EFORMAT', `lvm fullreport: cannot parse segment device ${JSON.stringify(item)}`);
    return { name: m[1]!, start: Number(m[2]) };
  });
}

/** Turn the fullreport JSON into an LvmScan. `hostDevices`: the devices the scan was given. */
export function parseFullreport(json: unknown, hostDevices: readonly string[] = []): LvmScan {
  const reports = (json as { report?: unknown } | null)?.report;
  if (!Array.isArray(reports)) throw new JootError('EFORMAT', 'lvm fullreport: no "report" array in its JSON');
  const given = new Set(hostDevices);
  const byNumber = deviceNumbers(hostDevices);

  const vgs: RawVg[] = [];
  const pvs: RawPv[] = [];
  const lvRows: Row[] = [];
  const segRows: Row[] = [];
  for (const rep of reports as Record<string, unknown>[]) {
    for (const v of rows(rep.vg)) {
      vgs.push({
        name: str(v, 'vg_name'),
        uuid: str(v, 'vg_uuid'),
        extentSize: num(v, 'vg_extent_size'),
        attrs: str(v, 'vg_attr'),
        systemId: v.vg_systemid ?? '',
        lockType: v.vg_lock_type ?? '',
        exported: (v.vg_exported ?? '') !== '',
        missingPvCount: num(v, 'vg_missing_pv_count'),
      });
    }
    for (const p of rows(rep.pv)) {
      const missing = (p.pv_missing ?? '') !== '' || p.pv_name === '[unknown]';
      const lvmName = str(p, 'pv_name');
      let device: string | null = null;
      if (!missing) {
        device = given.has(lvmName) ? lvmName : (byNumber.get(devKey(num(p, 'pv_major'), num(p, 'pv_minor'))) ?? lvmName);
      }
      pvs.push({
        device,
        lvmName,
        uuid: str(p, 'pv_uuid'),
        vgName: p.vg_name ?? '',
        vgUuid: p.vg_uuid ?? '',
        peStart: num(p, 'pe_start'),
        size: num(p, 'pv_size'),
        devSize: num(p, 'dev_size'),
        peCount: num(p, 'pv_pe_count'),
        missing,
      });
    }
    lvRows.push(...rows(rep.lv));
    segRows.push(...rows(rep.seg));
  }

  const segsByLv = new Map<string, Row[]>();
  for (const s of segRows) {
    const id = str(s, 'lv_uuid');
    const list = segsByLv.get(id) ?? [];
    list.push(s);
    segsByLv.set(id, list);
  }

  const lvs: RawLv[] = lvRows.map((l) => {
    const vgUuid = str(l, 'vg_uuid');
    const uuid = str(l, 'lv_uuid');
    // PV names of this VG as LVM printed them, to tell PV areas from sub-LV areas.
    const vgPvs = pvs.filter((p) => p.vgUuid === vgUuid);
    const segments: RawSegment[] = (segsByLv.get(uuid) ?? [])
      .map(
        (s): RawSegment => ({
          startExtent: num(s, 'seg_start_pe'),
          extentCount: num(s, 'seg_size_pe'),
          segtype: str(s, 'segtype'),
          stripes: num(s, 'stripes'),
          stripeSize: num(s, 'stripe_size'),
          areas: parseDevicesField(s.devices ?? '').map(({ name, start }): RawArea => {
            if (name === '[unknown]') {
              // LVM prints no uuid for a missing area's PV; if exactly one PV of the VG is
              // missing, it is that one.
              const gone = vgPvs.filter((p) => p.missing);
              return { pvDevice: null, pvUuid: gone.length === 1 ? gone[0]!.uuid : undefined, startExtent: start };
            }
            const pv = vgPvs.find((p) => p.lvmName === name);
            if (pv) return { pvDevice: pv.device, pvUuid: pv.uuid, startExtent: start };
            return { pvDevice: null, lv: name, startExtent: start };
          }),
        }),
      )
      .sort((a, b) => a.startExtent - b.startExtent);
    const role = l.lv_role ?? '';
    const name = str(l, 'lv_name');
    return {
      vg: str(l, 'vg_name'),
      vgUuid,
      name,
      uuid,
      size: num(l, 'lv_size'),
      segtype: [...new Set(segments.map((s) => s.segtype))].join(',') || 'unknown',
      attrs: l.lv_attr ?? '',
      layout: l.lv_layout ?? '',
      role,
      hidden: name.startsWith('[') || !role.split(',').includes('public'),
      segments,
    };
  });

  return { pvs, vgs, lvs };
}

// ---------------------------------------------------------------------------------------------
// Planning how to expose one LV.

export type LvPlan =
  | { kind: 'loop'; device: string /* host PV device */; offset: number /* bytes */; size: number /* bytes */ }
  | { kind: 'dm'; table: string /* dmsetup table text, sectors */ }
  | { kind: 'unavailable'; reason: string }
  /** read by the userspace engine, exposed through joot's NBD export when used (userspace-volumes.ts) */
  | { kind: 'userspace'; source: ByteSource; missing: string };

const SECTOR = 512;

function sectors(bytes: number, what: string): number {
  if (bytes % SECTOR !== 0) throw new JootError('EFORMAT', `LVM metadata: ${what} (${bytes} bytes) is not a whole number of sectors`);
  return bytes / SECTOR;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A VG by the name users see (vg0, or vg0@sdb2 for a namesake: vg-names.ts) and its uuid. */
export interface VgRef {
  uuid: string;
  shown: string;
}

/**
 * How to expose `vg`/`lv` as a block device: a loop device over a byte range of one PV
 * (preferred: works with or without device-mapper and leaves no dm state), a device-mapper
 * table, or why it cannot be opened on this host. Throws ENOENT for an LV that is not there.
 * `vg`: a VgRef, or the name of a VG no other VG on the scanned devices shares.
 */
export function planLv(scan: LvmScan, vg: string | VgRef, lv: string, opts: { hasDeviceMapper: boolean }): LvPlan {
  const shown = typeof vg === 'string' ? vg : vg.shown;
  const path = `/dev/${shown}/${lv}`;
  const unavailable = (why: string): LvPlan => ({ kind: 'unavailable', reason: `${path}: ${why}` });

  const vgs = scan.vgs.filter((v) => (typeof vg === 'string' ? v.name === vg : v.uuid === vg.uuid));
  if (vgs.length === 0) throw new JootError('ENOENT', `${path}: no volume group named ${shown}`);
  if (vgs.length > 1) {
    const uuids = vgs.map((v) => v.uuid).join(', ');
    throw new JootError('EINVAL', `${path}: ${vgs.length} volume groups are named ${shown} (${uuids}): name one by its uuid`);
  }
  const theVg = vgs[0]!;
  const vgName = theVg.name;
  const l = scan.lvs.find((x) => x.vgUuid === theVg.uuid && x.name === lv);
  if (!l) throw new JootError('ENOENT', `${path}: no such logical volume`);
  if (l.hidden) return unavailable(`an LVM-internal volume (${l.segtype}), not a block device of its own`);
  if (l.segments.length === 0) return unavailable('LVM reports no segments for it');
  if (l.attrs.startsWith('O')) return unavailable('a snapshot is pending merge into it, so its extents do not hold its current data');

  const other = [...new Set(l.segments.map((s) => s.segtype).filter((t) => t !== 'linear' && t !== 'striped'))];
  // types neither engine reads: said in the userspace reader's words (the same on both engines)
  const neither = other.filter((t) => !readsLvType(t));
  if (neither.length > 0) return unavailable(unsupportedLvTypes(neither));
  if (other.length > 0) {
    const dmNote = opts.hasDeviceMapper ? '' : ' (and this host has no device-mapper)';
    return unavailable(`${other.join('/')} LVs are not supported: joot opens only linear and striped LVs${dmNote}`);
  }

  const extent = theVg.extentSize;
  const pvByUuid = new Map(scan.pvs.filter((p) => p.vgUuid === theVg.uuid).map((p) => [p.uuid, p]));

  // Check every area: on a present PV, inside it.
  let expectStart = 0;
  for (const s of l.segments) {
    if (s.startExtent !== expectStart)
      return unavailable(`inconsistent LVM metadata (segment at extent ${s.startExtent}, expected ${expectStart})`);
    expectStart += s.extentCount;
    const n = s.segtype === 'linear' ? 1 : s.stripes;
    if (n < 1 || s.areas.length !== n || s.extentCount % n !== 0)
      return unavailable(`inconsistent LVM metadata (${s.segtype} segment with ${s.areas.length} areas, ${n} stripes)`);
    for (const a of s.areas) {
      if (a.lv !== undefined)
        return unavailable(`its extents are inside LVM-internal volume ${a.lv} (a pvmove in progress?), which joot cannot open`);
      const pv = a.pvUuid !== undefined ? pvByUuid.get(a.pvUuid) : undefined;
      if (a.pvDevice === null || !pv || pv.missing) {
        return unavailable(`missing PV${a.pvUuid ? ` ${a.pvUuid}` : ''}: a disk of volume group ${vgName} was not added`);
      }
      if (a.startExtent + s.extentCount / n > pv.peCount)
        return unavailable(`inconsistent LVM metadata (extents past the end of PV ${pv.uuid})`);
    }
  }
  if (expectStart * extent < l.size) return unavailable(`inconsistent LVM metadata (${expectStart} extents for ${l.size} bytes)`);

  // Merge linear segments that follow each other on the same PV (LVM normally does this).
  const runs: { pv: string; pvUuid: string; start: number; count: number }[] = [];
  let allLinear = true;
  for (const s of l.segments) {
    if (s.segtype !== 'linear') {
      allLinear = false;
      break;
    }
    const a = s.areas[0]!;
    const last = runs[runs.length - 1];
    if (last && last.pvUuid === a.pvUuid && last.start + last.count === a.startExtent) last.count += s.extentCount;
    else runs.push({ pv: a.pvDevice!, pvUuid: a.pvUuid!, start: a.startExtent, count: s.extentCount });
  }
  if (allLinear && runs.length === 1) {
    const r = runs[0]!;
    const pv = pvByUuid.get(r.pvUuid)!;
    return { kind: 'loop', device: r.pv, offset: pv.peStart + r.start * extent, size: l.size };
  }

  if (!opts.hasDeviceMapper) {
    if (allLinear) return unavailable(`linear LV in ${plural(l.segments.length, 'segment')} needs device-mapper, which this host lacks`);
    const stripes = Math.max(...l.segments.map((s) => (s.segtype === 'striped' ? s.stripes : 1)));
    return unavailable(`striped LV (${plural(stripes, 'stripe')}) needs device-mapper, which this host lacks`);
  }
  try {
    return { kind: 'dm', table: dmTable(l, extent, pvByUuid) };
  } catch (e) {
    return unavailable(`inconsistent LVM metadata (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The `dmsetup create` table of a linear/striped LV, in 512-byte sectors. */
function dmTable(l: RawLv, extent: number, pvByUuid: Map<string, RawPv>): string {
  const extentSectors = sectors(extent, 'the extent size');
  const lvSectors = sectors(l.size, 'the LV size');
  const lines: string[] = [];
  const areaOffset = (a: RawArea): string => {
    const pv = pvByUuid.get(a.pvUuid!)!;
    return `${a.pvDevice} ${sectors(pv.peStart, 'pe_start') + a.startExtent * extentSectors}`;
  };
  for (const s of l.segments) {
    const start = s.startExtent * extentSectors;
    if (start >= lvSectors) break;
    const len = Math.min(s.extentCount * extentSectors, lvSectors - start);
    if (s.segtype === 'linear' || s.stripes === 1) {
      lines.push(`${start} ${len} linear ${areaOffset(s.areas[0]!)}`);
    } else {
      const chunk = sectors(s.stripeSize, 'the stripe size');
      lines.push(`${start} ${len} striped ${s.stripes} ${chunk} ${s.areas.map(areaOffset).join(' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Host capabilities.

/**
 * Whether this host's kernel has device-mapper. Not just "does /dev/mapper/control exist":
 * libdevmapper creates that node itself (lvm did on this machine) even when the kernel has no
 * driver behind it, and opening it then fails with ENODEV. A loaded driver is listed in
 * /proc/misc; a modular one that is not loaded yet is loaded by opening the node.
 */
export function hostHasDeviceMapper(): boolean {
  try {
    if (/^\s*\d+\s+device-mapper$/m.test(readFileSync('/proc/misc', 'utf8'))) return true;
  } catch {
    /* no /proc: fall through */
  }
  if (!existsSync('/dev/mapper/control')) return false;
  try {
    closeSync(openSync('/dev/mapper/control', 'r+'));
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The public view: canonical guest names only. VGs sharing a name are told apart as the
// userspace reader tells them apart (VG@DEV: src/disk/volumes/lvm/vg-names.ts), and planned by uuid.

const byName = compareNatural;

/**
 * A name LVM itself would accept (lvm2's validate_name): the only ones that become device names
 * (/dev/VG/LV). lvm checks names it writes; metadata written by hand could hold anything (a
 * slash, a newline, an escape), so a VG or LV named otherwise is left out.
 */
export function validLvmName(n: string): boolean {
  return /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(n) && n !== '.' && n !== '..' && n.length <= 127;
}

export function toPublic(
  scan: LvmScan,
  canonicalName: (hostDev: string) => string,
  opts: { hasDeviceMapper: boolean } = { hasDeviceMapper: hostHasDeviceMapper() },
): { pvs: PvInfo[]; vgs: VgInfo[]; lvs: LvInfo[] } {
  const pvName = new Map<RawPv, string>();
  for (const p of scan.pvs) if (p.device !== null) pvName.set(p, canonicalName(p.device));

  const shown = shownVgNames(
    scan.vgs.map((v) => ({
      name: v.name,
      uuid: v.uuid,
      pvs: scan.pvs.filter((p) => p.vgUuid === v.uuid && pvName.has(p)).map((p) => pvName.get(p)!),
    })),
  );
  const shownOf = (vgUuid: string, name: string): string => shown.get(vgUuid) ?? name;

  const pvs: PvInfo[] = scan.pvs
    .filter((p) => pvName.has(p))
    .map((p) => ({ name: pvName.get(p)!, vg: p.vgName === '' ? '' : shownOf(p.vgUuid, p.vgName), uuid: p.uuid, size: p.size }))
    .sort((a, b) => byName(a.name, b.name));

  const lvs: LvInfo[] = scan.lvs
    .filter((l) => !l.hidden && validLvmName(l.vg) && validLvmName(l.name))
    .map((l) => {
      const vg = shownOf(l.vgUuid, l.vg);
      const info: LvInfo = { name: `/dev/${vg}/${l.name}`, vg, lv: l.name, uuid: l.uuid, size: l.size, segtype: l.segtype };
      const plan = planLv(scan, { uuid: l.vgUuid, shown: vg }, l.name, opts);
      if (plan.kind === 'unavailable') info.unavailable = plan.reason;
      return info;
    })
    .sort((a, b) => compareShownNames(a.name, b.name) || compareText(a.uuid, b.uuid));

  const vgs: VgInfo[] = scan.vgs
    .filter((v) => validLvmName(v.name))
    .map((v) => ({
      name: shownOf(v.uuid, v.name),
      uuid: v.uuid,
      extentSize: v.extentSize,
      pvs: scan.pvs
        .filter((p) => p.vgUuid === v.uuid && pvName.has(p))
        .map((p) => pvName.get(p)!)
        .sort(byName),
      lvs: scan.lvs
        .filter((l) => l.vgUuid === v.uuid && !l.hidden && validLvmName(l.name))
        .map((l) => `/dev/${shownOf(v.uuid, v.name)}/${l.name}`)
        .sort(byName),
    }))
    .sort((a, b) => compareShownNames(a.name, b.name) || compareText(a.uuid, b.uuid));

  return { pvs, vgs, lvs };
}
