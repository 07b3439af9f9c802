// /etc/fstab → guest mountpoints, as canonical device names.
//
// The lead builds a DeviceModel from the Session (filesystems, partitions, disks, LVs, btrfs
// subvolumes); this module is pure: text in, mountpoints and warnings out. It never throws on
// guest data: a line it cannot parse or resolve becomes a warning naming the line and the reason
// (dissect.target's best-effort attitude), and the other lines still count.
//
// What it follows from libguestfs (daemon/inspect_fs_unix_fstab.ml, inspect.ml, inspector.c):
// - lines whose mountpoint does not start with '/' are dropped (swap's "none"/"swap"), silently;
// - mountpoints /dev, /proc, /sys, /selinux (and below) and /media/* are ignored, silently;
// - /dev/fdN, /dev/cdN, /dev/floppy, /dev/cdrom, /dev/iso9660/* (removable media) are ignored;
// - sources that are neither a tag (UUID=, LABEL=) nor under /dev/ are ignored: tmpfs, proc,
//   nfs "host:/path", cifs "//host/share", bind-mount directories — silently;
// - /dev/root is the root filesystem the fstab was read from;
// - /dev/(h|s|v|xv)dXN map by drive order (the Nth letter is the Nth -a disk, and the partition
//   must exist); /dev/mapper/VG-LV (doubled dashes) → /dev/VG/LV; /dev/disk/by-id/*-partN only
//   when there is exactly one disk; FreeBSD GPT names (/dev/ada0p2, /dev/vtbd0p2) by order;
// - btrfs with subvol=NAME → btrfsvol:DEV/NAME;
// - mountpoints are sorted by length, shortest first, then by byte order (virt-inspector).
//
// Where joot goes further or differs (decisions; each is also noted where it is made):
// - PARTUUID=, PARTLABEL= and /dev/disk/by-{uuid,label,partuuid,partlabel}/ (udev \xHH escapes)
//   are resolved; libguestfs only knows UUID= and LABEL=.
// - UUID= and PARTUUID= compare case-insensitively (hex identifiers: the kernel compares
//   PARTUUIDs case-insensitively; blkid prints FAT/NTFS serials in upper case). LABEL= and
//   PARTLABEL= compare exactly, as blkid and the udev symlinks do.
// - A spec that cannot be resolved is dropped with a warning. libguestfs silently drops
//   unresolvable UUID=/LABEL=, and keeps an unknown /dev/ name verbatim (which then names
//   nothing): a mountpoint naming no device of this session helps nobody.
// - Unresolvable lines with `noauto` or `nofail` are dropped without a warning: such a device
//   is expected to be absent (a USB disk, a cloud data volume). Resolvable ones are kept, as
//   libguestfs keeps them (it never looks at the options except subvol=).
// - iso9660/udf entries, and mountpoints /cdrom, /floppy, /mnt/cdrom, /mnt/floppy, are removable
//   media: ignored silently like libguestfs's /dev/cdrom and /media/* rules.
// - Entries with the bind/rbind option are ignored silently (libguestfs ignores them because
//   their source is not under /dev/).
// - Duplicate mountpoints: the later line wins, with a warning. libguestfs returns both pairs
//   (the C API's flat list), so a dict-based binding sees the later one; mount -a also mounts
//   the later one on top of the earlier.
// - btrfs subvolid=5 is the top level (the whole device); any other subvolid without subvol=
//   cannot be named from the model and is a warning. A subvol= the model does not list is a
//   warning (the Session would refuse to mount it).
// - '/' is never invented: it appears only when its line resolves.
// - md names (/dev/mdN, /dev/md/NAME, /dev/disk/by-id/md-uuid-*, md-name-*) map to the session's
//   arrays through the guest's mdadm.conf and the arrays' own names: mdadm-conf.ts.
// - /dev/mapper/NAME of an opened LUKS volume: the session's mapping itself (luks-UUID), or the
//   guest's crypttab NAME whose source is a LUKS volume the session opened (crypttab.ts). A LUKS
//   volume not opened (no key) is said so, by device, and listed in `locked`.
// - Several VGs of one name (two cloned guests): the session shows all but one as VG@DEV
//   (src/disk/volumes/lvm/vg-names.ts), while each guest's fstab says /dev/VG/LV or
//   /dev/mapper/VG-LV. Such a name means the LV of the namesake that holds the root the fstab was
//   read from, else of the one on the root's disks, else the plain one (with a warning). The
//   same goes for a UUID= or LABEL= that several clones share: the one on the root's disks.
import { Buffer } from 'node:buffer';
import { storedVgName } from '../disk/volumes/lvm/vg-names.js';
import { type CrypttabEntry, type LuksVolume, parseCrypttab } from './crypttab.js';
import { confByDevice, type MdArrayModel, normalizeMdUuid, parseMdadmConf, resolveMdName } from './mdadm-conf.js';

export interface DeviceModel {
  /** canonical names incl. btrfsvol:… and /dev/VG/LV */
  filesystems: { name: string; type: string; label?: string; uuid?: string }[];
  partitions: {
    name: string;
    disk: string;
    number: number;
    /** PARTUUID: MBR 'xxxxxxxx-NN' (NN in hex, as blkid prints it) or GPT GUID */
    uuid?: string;
    /** GPT PARTLABEL */
    label?: string;
  }[];
  /** ['/dev/sda', '/dev/sdb'] in -a order */
  disks: string[];
  /** vg: as shown, VG@DEV for a namesake (src/disk/volumes/lvm/vg-names.ts) */
  lvs: { name: string /* /dev/VG/LV */; vg: string; lv: string; uuid?: string }[];
  /** the VGs (names as shown) and their PVs' devices: an LV's disks, for cloned guests */
  vgs?: { name: string; pvs: string[] }[];
  /** '/dev/sda4' → ['@', '@home', '@home/snap'] */
  btrfsSubvolumes: Record<string, string[]>;
  /** the md arrays, by the session's names (/dev/md127) */
  mdArrays?: MdArrayModel[];
  /** the LUKS volumes, opened or not */
  luks?: LuksVolume[];
}

export interface FstabEntry {
  /** 1-based line number in the file */
  line: number;
  /** first field, octal escapes decoded */
  spec: string;
  /** second field (mountpoint) as written, octal escapes decoded */
  file: string;
  /** third field; 'auto' when the line has only two fields */
  vfstype: string;
  /** fourth field; 'defaults' when absent */
  options: string;
  freq: number;
  passno: number;
}

export interface FstabMountpoint {
  /** canonical guest path: no repeated or trailing slashes */
  mountpoint: string;
  /** canonical device: /dev/sda1, /dev/VG/LV, btrfsvol:/dev/sda4/@ */
  device: string;
  /** as written in the fstab */
  vfstype: string;
  /** as written in the fstab */
  options: string;
}

export interface FstabResult {
  /** sorted as virt-inspector sorts them (see compareMountpoints) */
  mountpoints: FstabMountpoint[];
  /** swap devices named by the fstab, canonical, in line order without repeats. virt-inspector
   *  lists them among a root's filesystems (libguestfs's fstab list keeps swap lines, whose
   *  mountpoint "none" only keeps them out of the mountpoints). Swap files are not devices. */
  swaps: string[];
  /** LUKS volumes (their devices) that entries need and that were not opened */
  locked: string[];
  warnings: string[];
}

export interface ResolveOptions {
  /** the filesystem the fstab was read from: what /dev/root means */
  rootDevice?: string;
  /** the guest's mdadm.conf text (both files, one after the other): its ARRAY names */
  mdadmConf?: string;
  /** the guest's /etc/crypttab text: its names for LUKS volumes */
  crypttab?: string;
}

// ------------------------------------------------------------------ limits

/** Text beyond this is not looked at (the caller caps its read well below this). */
const MAX_TEXT_CHARS = 1024 * 1024;
/** Longer lines are garbage (PATH_MAX is 4096; a line holds at least two paths). */
const MAX_LINE_CHARS = 16 * 1024;
/** Warnings kept in full; the rest are counted in one final warning. */
const MAX_WARNINGS = 100;
/** Guest strings quoted in warnings are cut to this many characters. */
const MAX_QUOTE_CHARS = 80;

class Warnings {
  readonly list: string[] = [];
  private dropped = 0;
  add(line: number, reason: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(`fstab line ${line}: ${reason}`);
    else this.dropped++;
  }
  addGeneral(msg: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(`fstab: ${msg}`);
    else this.dropped++;
  }
  done(): string[] {
    if (this.dropped > 0) this.list.push(`fstab: ${this.dropped} more warning(s) not shown`);
    return this.list;
  }
}

/** A guest string made safe to show: JSON-quoted (control characters escaped), cut short. */
function q(s: string): string {
  return JSON.stringify(s.length > MAX_QUOTE_CHARS ? `${s.slice(0, MAX_QUOTE_CHARS)}…` : s);
}

// ------------------------------------------------------------------ parsing

/** fstab(5)/getmntent: \NNN octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
function unescapeOctal(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8) & 0xff));
}

/**
 * Split fstab text into entries. Comments (first non-blank character '#') and blank lines are
 * skipped; a line needs 2 to 6 whitespace-separated fields (libmount defaults a missing type to
 * auto, options to defaults, freq and passno to 0); freq and passno must be numbers.
 */
export function parseFstab(text: string): { entries: FstabEntry[]; warnings: string[] } {
  const w = new Warnings();
  const entries = parseInto(text, w);
  return { entries, warnings: w.done() };
}

function parseInto(text: string, w: Warnings): FstabEntry[] {
  const entries: FstabEntry[] = [];
  if (typeof text !== 'string') return entries;
  if (text.length > MAX_TEXT_CHARS) {
    w.addGeneral(`only the first ${MAX_TEXT_CHARS} characters were read`);
    text = text.slice(0, MAX_TEXT_CHARS);
  }
  let n = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    n++;
    const raw = text.slice(start, end);
    start = end + 1;
    if (end === text.length && raw === '') break; // final newline
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const e = parseLine(line, n, w);
    if (e) entries.push(e);
  }
  return entries;
}

function parseLine(line: string, n: number, w: Warnings): FstabEntry | undefined {
  if (line.length > MAX_LINE_CHARS) {
    w.add(n, `line longer than ${MAX_LINE_CHARS} characters, ignored`);
    return undefined;
  }
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  if (trimmed.includes('\0')) {
    w.add(n, 'contains a NUL byte, ignored');
    return undefined;
  }
  const fields = trimmed.split(/[ \t]+/);
  if (fields.length < 2) {
    w.add(n, `expected at least a device and a mountpoint, got ${q(trimmed)}`);
    return undefined;
  }
  if (fields.length > 6) {
    w.add(n, `expected at most 6 fields, got ${fields.length}: ${q(trimmed)}`);
    return undefined;
  }
  const num = (i: number, what: string): number | undefined => {
    const f = fields[i];
    if (f === undefined) return 0;
    if (!/^\d{1,9}$/.test(f)) {
      w.add(n, `${what} field is not a number: ${q(f)}`);
      return undefined;
    }
    return Number(f);
  };
  const freq = num(4, 'dump');
  if (freq === undefined) return undefined;
  const passno = num(5, 'pass');
  if (passno === undefined) return undefined;
  return {
    line: n,
    spec: unescapeOctal(fields[0]!),
    file: unescapeOctal(fields[1]!),
    vfstype: unescapeOctal(fields[2] ?? 'auto'),
    options: unescapeOctal(fields[3] ?? 'defaults'),
    freq,
    passno,
  };
}

/** Mount options, split on commas outside double quotes (libmount allows context="a,b"). */
export function parseOptions(options: string): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  let cur = '';
  let quoted = false;
  const flush = () => {
    if (cur !== '') {
      const eq = cur.indexOf('=');
      if (eq < 0) out.push({ name: cur });
      else out.push({ name: cur.slice(0, eq), value: cur.slice(eq + 1).replace(/^"(.*)"$/s, '$1') });
    }
    cur = '';
  };
  for (const ch of options) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) flush();
    else cur += ch;
  }
  flush();
  return out;
}

// ------------------------------------------------------------------ sorting

/** virt-inspector's compare_keys_len: shorter first (in bytes, as strlen), then strcmp. */
export function compareMountpoints(a: string, b: string): number {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length - bb.length || Buffer.compare(ba, bb);
}

/** Sort mountpoints as virt-inspector prints them. A record comes back as a new record whose
 *  key order is the sorted order (mountpoints start with '/', so no key is integer-like). */
export function sortMountpoints(mps: Record<string, string>): Record<string, string>;
export function sortMountpoints<T extends { mountpoint: string }>(mps: readonly T[]): T[];
export function sortMountpoints<T extends { mountpoint: string }>(
  mps: Record<string, string> | readonly T[],
): Record<string, string> | T[] {
  if (Array.isArray(mps)) {
    return [...(mps as readonly T[])].sort((x, y) => compareMountpoints(x.mountpoint, y.mountpoint));
  }
  const rec = mps as Record<string, string>;
  const out: Record<string, string> = {};
  for (const k of Object.keys(rec).sort(compareMountpoints)) out[k] = rec[k]!;
  return out;
}

// ------------------------------------------------------------------ the device index

/** Pseudo filesystems: nothing on a disk. */
const PSEUDO_FS = new Set([
  'proc',
  'sysfs',
  'devpts',
  'tmpfs',
  'devtmpfs',
  'ramfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'mqueue',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'pstore',
  'efivarfs',
  'binfmt_misc',
  'bpf',
  'autofs',
  'rpc_pipefs',
  'nfsd',
  'usbfs',
  'selinuxfs',
  'overlay',
  'overlayfs',
  'aufs',
  'shm',
  'none',
  'kernfs',
  'linprocfs',
  'linsysfs',
  'fdescfs',
  'procfs',
  'mfs',
  'ptyfs',
  'swap',
]);
/** Network and host-shared filesystems: nothing on this guest's disks. */
const NETWORK_FS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smbfs',
  'smb3',
  'ncpfs',
  'sshfs',
  'fuse.sshfs',
  'glusterfs',
  'fuse.glusterfs',
  'ceph',
  'fuse.ceph',
  'cephfs',
  'lustre',
  'afs',
  'coda',
  'davfs',
  'fuse.s3fs',
  'fuse.rclone',
  '9p',
  'virtiofs',
  'vboxsf',
  'vmhgfs',
  'fuse.vmhgfs-fuse',
  'ocfs2',
  'gfs2',
]);
/** Removable optical media. */
const REMOVABLE_FS = new Set(['iso9660', 'udf', 'cd9660']);
/** Filesystem types that are not mountable (a swap partition named by a mount line, etc.). */
const NOT_MOUNTABLE = new Set(['swap', 'LVM2_member', 'crypto_LUKS', 'linux_raid_member', 'zfs_member']);

interface Index {
  model: DeviceModel;
  fsByName: Map<string, { name: string; type: string }>;
  /** lower-cased UUID → filesystems (btrfsvol: entries excluded), in model order */
  byUuid: Map<string, string[]>;
  byLabel: Map<string, string[]>;
  partByUuid: Map<string, string[]>;
  partByLabel: Map<string, string[]>;
  /** partition numbers per disk */
  parts: Map<string, Map<number, string>>;
  partNames: Set<string>;
  lvNames: Set<string>;
  /** mangled VG-LV by the VG's stored name → its LVs (several for namesake VGs) */
  lvByMapper: Map<string, string[]>;
  /** VG/LV by the VG's stored name → its LVs (several for namesake VGs) */
  lvByPath: Map<string, string[]>;
  /** an LV's VG, as shown */
  vgOfLv: Map<string, string>;
  /** LV uuid without dashes, lower case → /dev/VG/LV */
  lvByUuid: Map<string, string>;
  /** lower-cased uuids of LVs (to explain a UUID= that names an LV instead of a filesystem) */
  lvUuids: Set<string>;
  mdArrays: MdArrayModel[];
  /** the guest's mdadm.conf ARRAY lines: device name → uuid */
  mdConf: Map<string, string>;
  luks: LuksVolume[];
  crypttab: CrypttabEntry[];
  /** LUKS devices a failed resolution blamed (filled while resolving) */
  locked: Set<string>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** MBR PARTUUIDs are 'xxxxxxxx-NN' with NN in hex; compare them by number so '-1' and '-01' agree. */
function partuuidKey(u: string): string {
  const s = u.trim().toLowerCase();
  const mbr = /^([0-9a-f]{8})-([0-9a-f]{1,2})$/.exec(s);
  return mbr ? `${mbr[1]}-${parseInt(mbr[2]!, 16)}` : s;
}

function mapperName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

function buildIndex(model: DeviceModel, mdadmConf?: string, crypttab?: string): Index {
  const ix: Index = {
    model,
    fsByName: new Map(),
    byUuid: new Map(),
    byLabel: new Map(),
    partByUuid: new Map(),
    partByLabel: new Map(),
    parts: new Map(),
    partNames: new Set(),
    lvNames: new Set(),
    lvByMapper: new Map(),
    lvByPath: new Map(),
    vgOfLv: new Map(),
    lvByUuid: new Map(),
    lvUuids: new Set(),
    mdArrays: model.mdArrays ?? [],
    mdConf: confByDevice(typeof mdadmConf === 'string' ? parseMdadmConf(mdadmConf) : []),
    luks: model.luks ?? [],
    crypttab: typeof crypttab === 'string' ? parseCrypttab(crypttab) : [],
    locked: new Set(),
  };
  for (const fs of model.filesystems ?? []) {
    ix.fsByName.set(fs.name, fs);
    if (fs.name.startsWith('btrfsvol:')) continue;
    if (fs.uuid) push(ix.byUuid, fs.uuid.toLowerCase(), fs.name);
    if (fs.label !== undefined && fs.label !== '') push(ix.byLabel, fs.label, fs.name);
  }
  for (const p of model.partitions ?? []) {
    ix.partNames.add(p.name);
    let m = ix.parts.get(p.disk);
    if (!m) ix.parts.set(p.disk, (m = new Map()));
    m.set(p.number, p.name);
    if (p.uuid) push(ix.partByUuid, partuuidKey(p.uuid), p.name);
    if (p.label !== undefined && p.label !== '') push(ix.partByLabel, p.label, p.name);
  }
  for (const lv of model.lvs ?? []) {
    ix.lvNames.add(lv.name);
    push(ix.lvByMapper, mapperName(storedVgName(lv.vg), lv.lv), lv.name);
    push(ix.lvByPath, `${storedVgName(lv.vg)}/${lv.lv}`, lv.name);
    ix.vgOfLv.set(lv.name, lv.vg);
    if (lv.uuid) {
      ix.lvUuids.add(lv.uuid.toLowerCase());
      ix.lvByUuid.set(lv.uuid.replace(/-/g, '').toLowerCase(), lv.name);
    }
  }
  return ix;
}

// ------------------------------------------------------------------ resolving one spec

type Resolution =
  | { ok: true; device: string; warning?: string }
  /** quiet: dropped as libguestfs drops it, without a warning */
  | { ok: false; reason: string; quiet?: boolean };

const fail = (reason: string): Resolution => ({ ok: false, reason });
const quiet = (reason: string): Resolution => ({ ok: false, reason, quiet: true });

/** 'a' → 0, 'z' → 25, 'aa' → 26 (the kernel's sd naming). */
function letterIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
}

/** udev's encoding of symlink names: \xHH for '/', ' ' and other unsafe bytes. */
function unescapeUdev(s: string): string {
  if (!s.includes('\\x')) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x5c && raw[i + 1] === 0x78 && i + 3 < raw.length) {
      const hex = raw.subarray(i + 2, i + 4).toString('latin1');
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 3;
        continue;
      }
    }
    bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** blkid/libmount accept a quoted tag value: UUID="…" or UUID='…'. */
function unquote(v: string): string {
  const m = /^"(.*)"$/s.exec(v) ?? /^'(.*)'$/s.exec(v);
  return m ? m[1]! : v;
}

/**
 * Pick one of several candidates. Several filesystems with the same UUID or LABEL are either one
 * multi-device btrfs (all its devices share the UUID: any one mounts it) or cloned disks; for
 * clones prefer the root the fstab was read from, then a device on the root's disk, then the first
 * in drive order — with a warning, since the guest would have had only one of them.
 */
function pick(ix: Index, what: string, names: string[], rootDevice: string | undefined): Resolution {
  const first = names[0]!;
  if (names.length === 1) return { ok: true, device: first };
  const allBtrfs = names.every((n) => ix.fsByName.get(n)?.type === 'btrfs');
  const rootDev = rootDevice?.startsWith('btrfsvol:') ? btrfsvolDevice(ix, rootDevice) : rootDevice;
  const rootDisks = rootDev ? disksOf(ix, rootDev) : new Set<string>();
  const chosen = names.find((n) => n === rootDev) ?? names.find((n) => sharesDisk(ix, n, rootDisks)) ?? first;
  if (allBtrfs) return { ok: true, device: chosen };
  return { ok: true, device: chosen, warning: `${what} matches ${names.length} devices (${names.join(', ')}); using ${chosen}` };
}

/** The disks a device lies on: a partition's, a disk itself, an LV's PVs' (other devices: themselves). */
function disksOf(ix: Index, dev: string): Set<string> {
  const vg = ix.vgOfLv.get(dev);
  const pvs = vg === undefined ? [dev] : (ix.model.vgs?.find((v) => v.name === vg)?.pvs ?? []);
  const out = new Set<string>();
  for (const pv of pvs) out.add(ix.model.partitions?.find((p) => p.name === pv)?.disk ?? pv);
  return out;
}

function sharesDisk(ix: Index, dev: string, disks: Set<string>): boolean {
  for (const d of disksOf(ix, dev)) if (disks.has(d)) return true;
  return false;
}

/**
 * An LV named as the guest names it (stored VG name): one LV, or for namesake VGs the one in the
 * root's own VG, else on the root's disks, else the first (the plain name) with a warning.
 */
function pickLv(ix: Index, spec: string, names: string[], root: string | undefined): Resolution {
  if (names.length === 1) return { ok: true, device: names[0]! };
  const rootDev = root?.startsWith('btrfsvol:') ? btrfsvolDevice(ix, root) : root;
  const rootVg = rootDev === undefined ? undefined : ix.vgOfLv.get(rootDev);
  const own = names.find((n) => rootVg !== undefined && ix.vgOfLv.get(n) === rootVg);
  if (own) return { ok: true, device: own };
  const rootDisks = rootDev ? disksOf(ix, rootDev) : new Set<string>();
  const near = names.find((n) => sharesDisk(ix, n, rootDisks));
  if (near) return { ok: true, device: near };
  return {
    ok: true,
    device: names[0]!,
    warning: `${q(spec)} names ${names.length} logical volumes (${names.join(', ')}: volume groups of one name); using ${names[0]}`,
  };
}

/** The device part of btrfsvol:DEVICE/SUBVOL (DEVICE may contain slashes: /dev/VG/LV). */
function btrfsvolDevice(ix: Index, name: string): string | undefined {
  const rest = name.slice('btrfsvol:'.length);
  let best: string | undefined;
  for (const k of ix.fsByName.keys()) {
    if (!k.startsWith('btrfsvol:') && rest.startsWith(`${k}/`) && (!best || k.length > best.length)) best = k;
  }
  return best;
}

function byUuid(ix: Index, value: string, root: string | undefined, what: string): Resolution {
  const uuid = unquote(value).trim();
  if (uuid === '') return fail(`${what} with an empty value`);
  const names = ix.byUuid.get(uuid.toLowerCase());
  if (names) return pick(ix, `${what}${q(uuid)}`, names, root);
  if (ix.lvUuids.has(uuid.toLowerCase())) {
    return fail(`${what}${q(uuid)} is the uuid of an LVM logical volume, not of a filesystem`);
  }
  return fail(`no filesystem with ${what}${q(uuid)}`);
}

function byLabel(ix: Index, value: string, root: string | undefined, what: string): Resolution {
  const label = unquote(value);
  if (label === '') return fail(`${what} with an empty value`);
  const names = ix.byLabel.get(label);
  if (names) return pick(ix, `${what}${q(label)}`, names, root);
  return fail(`no filesystem with ${what}${q(label)}`);
}

function byPartuuid(ix: Index, value: string, root: string | undefined, what: string): Resolution {
  const u = unquote(value).trim();
  if (u === '') return fail(`${what} with an empty value`);
  const names = ix.partByUuid.get(partuuidKey(u));
  if (names) return pick(ix, `${what}${q(u)}`, names, root);
  return fail(`no partition with ${what}${q(u)}`);
}

function byPartlabel(ix: Index, value: string, root: string | undefined, what: string): Resolution {
  const label = unquote(value);
  if (label === '') return fail(`${what} with an empty value`);
  const names = ix.partByLabel.get(label);
  if (names) return pick(ix, `${what}${q(label)}`, names, root);
  return fail(`no partition with ${what}${q(label)}`);
}

/** The Nth -a disk, and optionally its partition `part`. */
function byOrder(ix: Index, spec: string, diskIndex: number, part: number | undefined): Resolution {
  const disk = ix.model.disks?.[diskIndex];
  if (disk === undefined) {
    return fail(`${q(spec)} names disk #${diskIndex + 1} but only ${ix.model.disks?.length ?? 0} disk(s) were added`);
  }
  if (part === undefined) return { ok: true, device: disk };
  const name = ix.parts.get(disk)?.get(part);
  if (name === undefined) return fail(`${q(spec)}: ${disk} has no partition ${part}`);
  return { ok: true, device: name };
}

/** A LUKS volume's mapping, or why there is none (not opened: the device is recorded). */
function byLuks(ix: Index, spec: string, vol: LuksVolume, via: string): Resolution {
  if (vol.opened) return { ok: true, device: vol.opened };
  ix.locked.add(vol.device);
  return fail(`${q(spec)} is the LUKS volume on ${vol.device}${via}, which was not opened (give its key: --key ${vol.device}:key:…)`);
}

/** A crypttab source (UUID=, a device path …) → the LUKS volume it names. */
function luksOfSource(ix: Index, source: string): LuksVolume | undefined {
  const tag = /^UUID=(.*)$/.exec(source);
  if (tag) return ix.luks.find((v) => v.uuid.toLowerCase() === tag[1]!.toLowerCase());
  const uuidPath = /^\/dev\/disk\/by-uuid\/(.+)$/.exec(source);
  if (uuidPath) return ix.luks.find((v) => v.uuid.toLowerCase() === unescapeUdev(uuidPath[1]!).toLowerCase());
  // a device path, PARTUUID=, PARTLABEL=, LABEL=: what holds the volume, resolved as a spec
  // (the volume's own device is a crypto_LUKS "filesystem" of the model)
  const r = resolveSpec(ix, source, undefined);
  return r.ok ? ix.luks.find((v) => v.device === r.device) : undefined;
}

/** A /dev/mapper name: an LVM LV by its mangled name (VG-LV with doubled dashes inside), a
 *  mapping the session made (an opened LUKS volume), or a crypttab name. */
function byMapper(ix: Index, spec: string, name: string, root: string | undefined): Resolution {
  const lvs = ix.lvByMapper.get(name);
  if (lvs) return pickLv(ix, spec, lvs, root);
  if (name === 'control') return fail(`${q(spec)} is not a filesystem`);
  if (ix.fsByName.has(`/dev/mapper/${name}`)) return { ok: true, device: `/dev/mapper/${name}` };
  const ct = ix.crypttab.find((e) => e.name === name);
  if (ct) {
    const vol = luksOfSource(ix, ct.source);
    if (vol) return byLuks(ix, spec, vol, ` (crypttab: ${ct.source})`);
    return fail(`${q(spec)}: crypttab's source ${q(ct.source)} is no LUKS volume of this session`);
  }
  const luksName = /^luks-(.+)$/.exec(name);
  const vol = luksName ? ix.luks.find((v) => v.uuid.toLowerCase() === luksName[1]!.toLowerCase()) : undefined;
  if (vol) return byLuks(ix, spec, vol, '');
  return fail(`${q(spec)} is not a known LVM logical volume (dm-crypt, multipath and other device-mapper targets are not opened)`);
}

function byDiskId(ix: Index, spec: string, id: string, root: string | undefined): Resolution {
  if (id.startsWith('dm-name-')) return byMapper(ix, spec, id.slice('dm-name-'.length), root);
  if (id.startsWith('dm-uuid-LVM-')) {
    // LVM-<VG uuid, 32 chars><LV uuid, 32 chars>, dashes removed
    const tail = id.slice('dm-uuid-LVM-'.length).replace(/-/g, '').toLowerCase();
    const lv = tail.length === 64 ? ix.lvByUuid.get(tail.slice(32)) : undefined;
    return lv ? { ok: true, device: lv } : fail(`${q(spec)}: no LVM logical volume with that uuid`);
  }
  if (id.startsWith('dm-uuid-CRYPT-') || id.startsWith('dm-'))
    return fail(`${q(spec)}: device-mapper devices other than LVM are not opened`);
  if (id.startsWith('lvm-pv-uuid-')) return fail(`${q(spec)} is an LVM physical volume, not a filesystem`);
  if (id.startsWith('md-uuid-')) {
    const u = normalizeMdUuid(id.slice('md-uuid-'.length));
    const a = u === undefined ? undefined : ix.mdArrays.find((x) => normalizeMdUuid(x.uuid) === u);
    return a ? { ok: true, device: a.name } : fail(`${q(spec)}: no md array of this session has that uuid`);
  }
  if (id.startsWith('md-name-')) {
    // udev's md-name-HOMEHOST:NAME is the whole superblock name
    const name = id.slice('md-name-'.length);
    const a = ix.mdArrays.filter((x) => x.superblockName === name);
    return a.length === 1
      ? { ok: true, device: (a[0] as MdArrayModel).name }
      : fail(`${q(spec)}: no md array of this session has that name`);
  }
  // ata-…, virtio-…, scsi-…, nvme-…, wwn-…, usb-…: the serial numbers of the guest's disks are
  // unknown here, so the name maps only when it cannot mean anything else: a single disk
  // (libguestfs's rule, resolve_diskbyid).
  const m = /^(.*?)(?:-part(\d+))?$/.exec(id);
  const part = m?.[2] !== undefined ? Number(m[2]) : undefined;
  const ndisks = ix.model.disks?.length ?? 0;
  if (ndisks !== 1) {
    return fail(`${q(spec)}: /dev/disk/by-id names cannot be mapped when ${ndisks} disks were added (only with exactly one)`);
  }
  return byOrder(ix, spec, 0, part);
}

/** The Linux (and a few BSD) device names under /dev/. */
function byDevPath(ix: Index, spec: string, root: string | undefined): Resolution {
  if (spec === '/dev/root') {
    return root ? { ok: true, device: root } : fail('/dev/root, but the root device is not known');
  }
  let m: RegExpExecArray | null;
  if ((m = /^\/dev\/disk\/by-(uuid|label|partuuid|partlabel|id|path|diskseq|loop-ref|loop-inode)\/(.+)$/.exec(spec))) {
    const value = unescapeUdev(m[2]!);
    switch (m[1]) {
      case 'uuid':
        return byUuid(ix, value, root, '/dev/disk/by-uuid/');
      case 'label':
        return byLabel(ix, value, root, '/dev/disk/by-label/');
      case 'partuuid':
        return byPartuuid(ix, value, root, '/dev/disk/by-partuuid/');
      case 'partlabel':
        return byPartlabel(ix, value, root, '/dev/disk/by-partlabel/');
      case 'id':
        return byDiskId(ix, spec, value, root);
      default:
        return fail(`${q(spec)}: /dev/disk/by-${m[1]} names depend on the guest's hardware and cannot be mapped`);
    }
  }
  if ((m = /^\/dev\/mapper\/(.+)$/.exec(spec))) return byMapper(ix, spec, m[1]!, root);
  if ((m = /^\/dev\/(?:sd|vd|hd|xvd)([a-z]{1,3})(\d*)$/.exec(spec))) {
    return byOrder(ix, spec, letterIndex(m[1]!), m[2] ? Number(m[2]) : undefined);
  }
  // NVMe and MMC: the controller number orders the disks (namespace 1 only)
  if ((m = /^\/dev\/nvme(\d{1,3})n(\d{1,3})(?:p(\d{1,3}))?$/.exec(spec))) {
    if (m[2] !== '1') return fail(`${q(spec)}: only NVMe namespace 1 is mapped to a disk`);
    return byOrder(ix, spec, Number(m[1]), m[3] ? Number(m[3]) : undefined);
  }
  if ((m = /^\/dev\/mmcblk(\d{1,3})(?:p(\d{1,3}))?$/.exec(spec))) {
    return byOrder(ix, spec, Number(m[1]), m[2] ? Number(m[2]) : undefined);
  }
  // FreeBSD GPT: ada0p2, ad0p2, vtbd0p2 (libguestfs's re_freebsd_gpt); labels under gpt/, gptid/
  if ((m = /^\/dev\/(?:ada?|vtbd|da)(\d{1,3})p(\d{1,3})$/.exec(spec))) {
    return byOrder(ix, spec, Number(m[1]), Number(m[2]));
  }
  if ((m = /^\/dev\/gpt\/(.+)$/.exec(spec))) return byPartlabel(ix, m[1]!, root, '/dev/gpt/');
  if ((m = /^\/dev\/gptid\/(.+)$/.exec(spec))) return byPartuuid(ix, m[1]!, root, '/dev/gptid/');
  if ((m = /^\/dev\/ufs\/(.+)$/.exec(spec))) return byLabel(ix, m[1]!, root, '/dev/ufs/');
  if (/^\/dev\/dm-\d+$/.test(spec)) {
    return fail(`${q(spec)}: /dev/dm-N numbers are assigned at boot and cannot be resolved`);
  }
  if (/^\/dev\/md(?:\d+|\/.*)$/.test(spec)) {
    const r = resolveMdName(spec, ix.mdArrays, ix.mdConf);
    return r.ok ? r : fail(`${q(spec)}: ${r.reason}`);
  }
  if (/^\/dev\/cciss\//.test(spec)) return fail(`${q(spec)}: cciss device names are not mapped`);
  if (/^\/dev\/(?:loop\d+|ram\d+|zram\d+|nbd\d+)$/.test(spec)) return fail(`${q(spec)} is not a disk of the guest`);
  // /dev/VG/LV
  if ((m = /^\/dev\/([^/]+)\/([^/]+)$/.exec(spec))) {
    const lvs = ix.lvByPath.get(`${m[1]}/${m[2]}`);
    if (lvs) return pickLv(ix, spec, lvs, root);
    if (ix.lvNames.has(spec)) return { ok: true, device: spec };
    return fail(`${q(spec)} is not a known LVM logical volume`);
  }
  return fail(`${q(spec)}: unrecognised device name`);
}

/** Removable-media device names libguestfs ignores (RHBZ#642929), plus optical drives. */
function isRemovableSpec(spec: string): boolean {
  return (
    /^\/dev\/(?:fd|cd)\d/.test(spec) ||
    spec === '/dev/floppy' ||
    spec === '/dev/cdrom' ||
    spec === '/dev/dvd' ||
    spec.startsWith('/dev/iso9660/') ||
    /^\/dev\/(?:sr|scd)\d+$/.test(spec) ||
    /^\/dev\/cdrom\d*$/.test(spec)
  );
}

function resolveSpec(ix: Index, spec: string, root: string | undefined): Resolution {
  if (isRemovableSpec(spec)) return quiet('removable media');
  const tag = /^([A-Za-z]+)=(.*)$/s.exec(spec);
  if (tag) {
    const [, name, value] = tag as unknown as [string, string, string];
    switch (name) {
      case 'UUID':
        return byUuid(ix, value, root, 'UUID=');
      case 'LABEL':
        return byLabel(ix, value, root, 'LABEL=');
      case 'PARTUUID':
        return byPartuuid(ix, value, root, 'PARTUUID=');
      case 'PARTLABEL':
        return byPartlabel(ix, value, root, 'PARTLABEL=');
      default:
        return fail(`unsupported tag ${q(`${name}=`)}`);
    }
  }
  if (spec.startsWith('/dev/')) return byDevPath(ix, spec, root);
  // network sources: host:/path, //host/share — not on this guest's disks
  if (/^[^/\s]+:/.test(spec) || spec.startsWith('//')) return quiet('network filesystem');
  if (spec.startsWith('/')) return fail(`${q(spec)} is not a block device (loop-mounted files are not followed)`);
  return fail(`unrecognised source ${q(spec)}`);
}

// ------------------------------------------------------------------ mountpoints

/** libguestfs's unix_canonical_path ("///usr//local//" → "/usr/local"), and '.' dropped. */
function canonicalMountpoint(mp: string): string | undefined {
  const parts: string[] = [];
  for (const c of mp.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') return undefined;
    parts.push(c);
  }
  return `/${parts.join('/')}`;
}

/** Mountpoints whose contents are not on the guest's disks (libguestfs's list) or are removable. */
function isIgnoredMountpoint(mp: string): boolean {
  const under = (p: string) => mp === p || mp.startsWith(`${p}/`);
  return (
    under('/dev') ||
    under('/proc') ||
    under('/sys') ||
    under('/selinux') ||
    mp.startsWith('/media/') ||
    mp === '/cdrom' ||
    mp === '/floppy' ||
    /^\/mnt\/(?:cdrom|floppy|dvd)\d*$/.test(mp)
  );
}

// ------------------------------------------------------------------ btrfs

function normalizeSubvol(s: string): string {
  return s
    .split('/')
    .filter((c) => c !== '' && c !== '.')
    .join('/');
}

/** A btrfs line's subvol=/subvolid= applied to the device (the last occurrence wins, as in the kernel). */
function applyBtrfs(ix: Index, device: string, options: string): Resolution {
  let subvol: string | undefined;
  let subvolid: string | undefined;
  for (const o of parseOptions(options)) {
    if (o.name === 'subvol' && o.value !== undefined) subvol = o.value;
    else if (o.name === 'subvolid' && o.value !== undefined) subvolid = o.value;
  }
  if (subvol !== undefined) {
    const sv = normalizeSubvol(subvol);
    if (sv === '') return { ok: true, device }; // the top level
    const known = ix.model.btrfsSubvolumes?.[device];
    if (known && !known.includes(sv)) return fail(`btrfs subvolume ${q(sv)} not found on ${device}`);
    return { ok: true, device: `btrfsvol:${device}/${sv}` };
  }
  if (subvolid !== undefined) {
    if (/^0*5$/.test(subvolid.trim())) return { ok: true, device };
    return fail(`btrfs subvolid=${q(subvolid)} without subvol=: subvolume ids cannot be mapped to names`);
  }
  return { ok: true, device };
}

// ------------------------------------------------------------------ the whole file

export function resolveFstab(text: string, model: DeviceModel, opts: ResolveOptions = {}): FstabResult {
  const w = new Warnings();
  const entries = parseInto(text, w);
  const ix = buildIndex(model, opts.mdadmConf, opts.crypttab);
  const root = opts.rootDevice;
  const byMp = new Map<string, FstabMountpoint & { line: number }>();
  const swaps: string[] = [];

  for (const e of entries) {
    const types = e.vfstype.split(',');
    const mopts = parseOptions(e.options);
    const has = (name: string) => mopts.some((o) => o.name === name);

    // swap: its "mountpoint" is none/swap, which libguestfs drops from the mountpoints (they must
    // start with '/') but keeps among the filesystems
    if (types.includes('swap')) {
      let r = resolveSpec(ix, e.spec, root);
      if (r.ok && !ix.fsByName.has(r.device)) r = fail(`${q(e.spec)} is ${r.device}, which holds no swap area`);
      if (r.ok) {
        if (!swaps.includes(r.device)) swaps.push(r.device);
      } else if (!r.quiet && e.spec.startsWith('/') && !e.spec.startsWith('/dev/')) {
        // a swap file (/swapfile): lives inside a filesystem, not a device
      } else if (!r.quiet && !has('noauto') && !has('nofail')) {
        w.add(e.line, `swap: ${r.reason}`);
      }
      continue;
    }
    if (e.file === 'none' || e.file === 'swap') continue;
    if (!e.file.startsWith('/')) {
      w.add(e.line, `mountpoint ${q(e.file)} is not an absolute path`);
      continue;
    }
    const mp = canonicalMountpoint(e.file);
    if (mp === undefined) {
      w.add(e.line, `mountpoint ${q(e.file)} contains '..'`);
      continue;
    }
    if (isIgnoredMountpoint(mp)) continue;
    if (has('bind') || has('rbind')) continue;
    if (types.some((t) => PSEUDO_FS.has(t) || NETWORK_FS.has(t) || REMOVABLE_FS.has(t))) continue;

    let r = resolveSpec(ix, e.spec, root);
    if (r.ok && r.device.startsWith('btrfsvol:')) {
      // /dev/root given as a subvolume: already final
    } else if (r.ok) {
      const fs = ix.fsByName.get(r.device);
      if (!fs) {
        const what = ix.partNames.has(r.device) ? 'partition' : ix.lvNames.has(r.device) ? 'logical volume' : 'device';
        r = fail(`${q(e.spec)} is ${what} ${r.device}, which holds no mountable filesystem`);
      } else if (NOT_MOUNTABLE.has(fs.type)) {
        if (fs.type === 'swap') continue; // a swap device named on a mount line: not a mountpoint
        r = fail(`${q(e.spec)} is ${r.device}, which holds ${fs.type}, not a filesystem`);
      } else if (fs.type === 'btrfs' || (fs.type === 'unknown' && types.includes('btrfs'))) {
        const b = applyBtrfs(ix, r.device, e.options);
        r = b.ok ? { ...b, warning: r.warning } : b;
      }
    }
    if (!r.ok) {
      if (!r.quiet && !has('noauto') && !has('nofail')) w.add(e.line, r.reason);
      continue;
    }
    if (r.warning) w.add(e.line, r.warning);

    const prev = byMp.get(mp);
    if (prev) w.add(e.line, `mountpoint ${q(mp)} also on line ${prev.line}; line ${e.line} wins`);
    byMp.set(mp, { mountpoint: mp, device: r.device, vfstype: e.vfstype, options: e.options, line: e.line });
  }

  if (root !== undefined) {
    const slash = byMp.get('/');
    const base = (d: string) => (d.startsWith('btrfsvol:') ? (btrfsvolDevice(ix, d) ?? d) : d);
    if (slash && base(slash.device) !== base(root)) {
      w.add(slash.line, `'/' is ${slash.device}, but this fstab was read from ${root}`);
    }
  }

  const mountpoints = sortMountpoints([...byMp.values()]).map(({ mountpoint, device, vfstype, options }) => ({
    mountpoint,
    device,
    vfstype,
    options,
  }));
  return { mountpoints, swaps, locked: [...ix.locked], warnings: w.done() };
}
