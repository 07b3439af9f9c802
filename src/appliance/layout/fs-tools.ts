// The command lines of the filesystem tools behind guestfish's tune2fs, mke2fs, xfs-*,
// ntfsresize/ntfsfix and btrfs-* commands, and the parsers of what they print. Pure: the
// caller (fs-extra.ts) resolves guest names to host devices and runs the tools. Every option
// is checked here, before anything is run; the device always comes after `--`.
import { JootError } from '../../core/errors.js';

export interface Tune2fsOptions {
  force?: boolean;
  maxmountcount?: number;
  mountcount?: number;
  errorbehavior?: string;
  group?: number;
  intervalbetweenchecks?: number;
  reservedblockspercentage?: number;
  lastmounteddirectory?: string;
  reservedblockscount?: number;
  user?: number;
}

const ERROR_BEHAVIORS = new Set(['continue', 'remount-ro', 'panic']);

function int(name: string, v: number, min = 0): string {
  if (!Number.isSafeInteger(v) || v < min) throw new JootError('EINVAL', `${name}: ${v}: must be a whole number of at least ${min}`);
  return String(v);
}

/** tune2fs's arguments for guestfish's optional arguments (as libguestfs maps them). */
export function tune2fsArgs(hostDevice: string, o: Tune2fsOptions): string[] {
  const a: string[] = [];
  if (o.force) a.push('-f');
  // -1 is tune2fs's own "never check by count"
  if (o.maxmountcount !== undefined) a.push('-c', int('maxmountcount', o.maxmountcount, -1));
  if (o.mountcount !== undefined) a.push('-C', int('mountcount', o.mountcount));
  if (o.errorbehavior !== undefined) {
    if (!ERROR_BEHAVIORS.has(o.errorbehavior))
      throw new JootError('EINVAL', `errorbehavior: ${o.errorbehavior}: use continue, remount-ro or panic`);
    a.push('-e', o.errorbehavior);
  }
  if (o.group !== undefined) a.push('-g', int('group', o.group));
  // guestfish's interval is in seconds; a bare number would be days to tune2fs
  if (o.intervalbetweenchecks !== undefined) a.push('-i', `${int('intervalbetweenchecks', o.intervalbetweenchecks)}s`);
  if (o.reservedblockspercentage !== undefined) {
    const p = o.reservedblockspercentage;
    if (!(Number.isInteger(p) && p >= 0 && p <= 50)) throw new JootError('EINVAL', `reservedblockspercentage: ${p}: must be 0 to 50`);
    a.push('-m', String(p));
  }
  if (o.lastmounteddirectory !== undefined) a.push('-M', o.lastmounteddirectory);
  if (o.reservedblockscount !== undefined) a.push('-r', int('reservedblockscount', o.reservedblockscount));
  if (o.user !== undefined) a.push('-u', int('user', o.user));
  return [...a, '--', hostDevice];
}

/**
 * `tune2fs -l` as guestfish's hash: "Key: value" lines in order, the value trimmed; the
 * version banner and lines without a colon are left out.
 */
export function parseTune2fsList(stdout: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of stdout.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    if (!key || /^tune2fs \d/.test(key)) continue;
    out.push([key, line.slice(i + 1).trim()]);
  }
  return out;
}

export interface Mke2fsOptions {
  blockscount?: number;
  blocksize?: number;
  fragsize?: number;
  blockspergroup?: number;
  numberofgroups?: number;
  bytesperinode?: number;
  inodesize?: number;
  journalsize?: number;
  numberofinodes?: number;
  stridesize?: number;
  stripewidth?: number;
  maxonlineresize?: number;
  reservedblockspercentage?: number;
  mmpupdateinterval?: number;
  /** already a HOST device here: the caller resolves the guest name, LABEL= or UUID= */
  journaldevice?: string;
  label?: string;
  lastmounteddir?: string;
  creatoros?: string;
  fstype?: string;
  usagetype?: string;
  uuid?: string;
  forcecreate?: boolean;
  writesbandgrouponly?: boolean;
  lazyitableinit?: boolean;
  lazyjournalinit?: boolean;
  testfs?: boolean;
  discard?: boolean;
  quotatype?: boolean;
  extent?: boolean;
  filetype?: boolean;
  flexbg?: boolean;
  hasjournal?: boolean;
  journaldev?: boolean;
  largefile?: boolean;
  quota?: boolean;
  resizeinode?: boolean;
  sparsesuper?: boolean;
  uninitbg?: boolean;
}

/** The boolean optional arguments that switch an ext feature on (true) or off (false). */
const FEATURES: [keyof Mke2fsOptions, string][] = [
  ['extent', 'extent'],
  ['filetype', 'filetype'],
  ['flexbg', 'flex_bg'],
  ['hasjournal', 'has_journal'],
  ['journaldev', 'journal_dev'],
  ['largefile', 'large_file'],
  ['quota', 'quota'],
  ['resizeinode', 'resize_inode'],
  ['sparsesuper', 'sparse_super'],
  ['uninitbg', 'uninit_bg'],
];

const EXT_TYPES = new Set(['ext2', 'ext3', 'ext4']);

/** mke2fs's arguments (without the program): -q, options, `--`, device, [blocks-count]. */
export function mke2fsArgs(hostDevice: string, o: Mke2fsOptions): string[] {
  const a = ['-q'];
  const num = (flag: string, name: string, v: number | undefined, min = 1) => {
    if (v !== undefined) a.push(flag, int(name, v, min));
  };
  num('-b', 'blocksize', o.blocksize);
  // mke2fs no longer has -f (ext fragments are blocks): a fragment size is only the block size
  if (o.fragsize !== undefined && o.fragsize !== (o.blocksize ?? o.fragsize))
    throw new JootError(
      'EINVAL',
      `fragsize: ${o.fragsize}: ext2/3/4 fragments are blocks (give the block size, ${o.blocksize}, or leave it out)`,
    );
  if (o.fragsize !== undefined) num('-b', 'fragsize', o.blocksize === undefined ? o.fragsize : undefined);
  num('-g', 'blockspergroup', o.blockspergroup);
  num('-G', 'numberofgroups', o.numberofgroups);
  num('-i', 'bytesperinode', o.bytesperinode);
  num('-I', 'inodesize', o.inodesize);
  num('-N', 'numberofinodes', o.numberofinodes);
  if (o.reservedblockspercentage !== undefined) {
    const p = o.reservedblockspercentage;
    if (!(Number.isInteger(p) && p >= 0 && p <= 50)) throw new JootError('EINVAL', `reservedblockspercentage: ${p}: must be 0 to 50`);
    a.push('-m', String(p));
  }
  if (o.journalsize !== undefined) a.push('-J', `size=${int('journalsize', o.journalsize, 1)}`);
  if (o.journaldevice !== undefined) a.push('-J', `device=${o.journaldevice}`);
  if (o.label !== undefined) {
    if (Buffer.byteLength(o.label) > 16) throw new JootError('EINVAL', `label: ${o.label}: ext labels are limited to 16 bytes`);
    a.push('-L', o.label);
  }
  if (o.lastmounteddir !== undefined) a.push('-M', o.lastmounteddir);
  if (o.creatoros !== undefined) a.push('-o', o.creatoros);
  if (o.fstype !== undefined) {
    if (!EXT_TYPES.has(o.fstype)) throw new JootError('EINVAL', `fstype: ${o.fstype}: mke2fs makes ext2, ext3 or ext4`);
    a.push('-t', o.fstype);
  }
  if (o.usagetype !== undefined) a.push('-T', o.usagetype);
  if (o.uuid !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(o.uuid) && !/^(clear|random|time)$/.test(o.uuid))
      throw new JootError('EINVAL', `uuid: ${o.uuid}: not a UUID`);
    a.push('-U', o.uuid);
  }
  if (o.forcecreate) a.push('-F');
  if (o.writesbandgrouponly) a.push('-S');
  if (o.quotatype) {
    // libguestfs passes a bare "quotatype" that mke2fs rejects; the feature is quota:true
    throw new JootError('EINVAL', 'quotatype:true is not a mke2fs option: use quota:true to enable quotas');
  }
  const ext: string[] = [];
  if (o.stridesize !== undefined) ext.push(`stride=${int('stridesize', o.stridesize, 1)}`);
  if (o.stripewidth !== undefined) ext.push(`stripe_width=${int('stripewidth', o.stripewidth, 1)}`);
  if (o.maxonlineresize !== undefined) ext.push(`resize=${int('maxonlineresize', o.maxonlineresize, 1)}`);
  if (o.mmpupdateinterval !== undefined) ext.push(`mmp_update_interval=${int('mmpupdateinterval', o.mmpupdateinterval)}`);
  if (o.lazyitableinit !== undefined) ext.push(`lazy_itable_init=${o.lazyitableinit ? 1 : 0}`);
  if (o.lazyjournalinit !== undefined) ext.push(`lazy_journal_init=${o.lazyjournalinit ? 1 : 0}`);
  if (o.testfs) ext.push('test_fs');
  if (o.discard !== undefined) ext.push(o.discard ? 'discard' : 'nodiscard');
  if (ext.length) a.push('-E', ext.join(','));
  const feats = FEATURES.filter(([k]) => o[k] !== undefined).map(([k, f]) => (o[k] ? f : `^${f}`));
  if (feats.length) a.push('-O', feats.join(','));
  a.push('--', hostDevice);
  if (o.blockscount !== undefined) a.push(int('blockscount', o.blockscount, 1));
  return a;
}

/** resize2fs -P: "Estimated minimum size of the filesystem: N" (in filesystem blocks). */
export function parseResize2fsMinimum(stdout: string): number {
  const m = /Estimated minimum size of the filesystem:\s*(\d+)/.exec(stdout);
  if (!m) throw new JootError('ECMD', 'resize2fs -P: no estimate in its output');
  return Number(m[1]);
}

/** ntfsresize --info: "You might resize at N bytes or …". */
export function parseNtfsMinimum(stdout: string): number {
  const m = /You might resize at (\d+) bytes/.exec(stdout);
  if (!m) {
    if (/volume is full|already at its minimum/i.test(stdout)) return -1;
    throw new JootError('ECMD', 'ntfsresize --info: no minimum size in its output');
  }
  return Number(m[1]);
}

/** btrfs inspect-internal min-dev-size: "N bytes (X MiB)". */
export function parseBtrfsMinimum(stdout: string): number {
  const m = /^(\d+) bytes/m.exec(stdout);
  if (!m) throw new JootError('ECMD', 'btrfs inspect-internal min-dev-size: no size in its output');
  return Number(m[1]);
}

/** libguestfs's xfsinfo struct, in its field order. */
export const XFS_INFO_FIELDS = [
  'xfs_mntpoint',
  'xfs_inodesize',
  'xfs_agcount',
  'xfs_agsize',
  'xfs_sectsize',
  'xfs_attr',
  'xfs_blocksize',
  'xfs_datablocks',
  'xfs_imaxpct',
  'xfs_sunit',
  'xfs_swidth',
  'xfs_dirversion',
  'xfs_dirblocksize',
  'xfs_cimode',
  'xfs_logname',
  'xfs_logblocksize',
  'xfs_logblocks',
  'xfs_logversion',
  'xfs_logsectsize',
  'xfs_logsunit',
  'xfs_lazycount',
  'xfs_rtname',
  'xfs_rtextsize',
  'xfs_rtblocks',
  'xfs_rtextents',
] as const;

const XFS_STRING_FIELDS = new Set(['xfs_mntpoint', 'xfs_logname', 'xfs_rtname']);

/**
 * xfs_info's geometry as the xfsinfo struct: missing numbers are -1, missing strings empty
 * (as in libguestfs). `name` replaces the mount point or device xfs_info names, which is a
 * host path.
 */
export function parseXfsInfo(stdout: string, name: string): [string, string | number][] {
  const v = new Map<string, string | number>();
  let section = '';
  const num = (field: string, text: string | undefined) => {
    if (text !== undefined && /^\d+$/.test(text)) v.set(field, Number(text));
  };
  for (const line of stdout.split('\n')) {
    const head = /^([a-z-]+)\s*=(.*)$/.exec(line);
    let rest: string;
    if (head) {
      section = head[1]!;
      rest = head[2]!;
    } else {
      const cont = /^\s+=(.*)$/.exec(line);
      if (!cont) continue;
      rest = cont[1]!;
    }
    // the section's own value: "version 2", "internal log", "none", or the device
    const own = /^(\S+(?: \S+)?)\s{2,}/.exec(`${rest}  `);
    const kv = new Map<string, string>();
    for (const m of rest.matchAll(/([a-z0-9_-]+)=([^\s,]+)/g)) kv.set(m[1]!, m[2]!);
    if (head) {
      const first = own?.[1] && !own[1].includes('=') ? own[1] : '';
      if (section === 'naming') num('xfs_dirversion', /^version (\d+)$/.exec(first)?.[1]);
      if (section === 'log') v.set('xfs_logname', first.replace(/ log$/, ''));
      if (section === 'realtime') v.set('xfs_rtname', first);
    }
    switch (section) {
      case 'meta-data':
        num('xfs_inodesize', kv.get('isize'));
        num('xfs_agcount', kv.get('agcount'));
        num('xfs_agsize', kv.get('agsize'));
        num('xfs_sectsize', kv.get('sectsz'));
        num('xfs_attr', kv.get('attr'));
        break;
      case 'data':
        num('xfs_blocksize', kv.get('bsize'));
        num('xfs_datablocks', kv.get('blocks'));
        num('xfs_imaxpct', kv.get('imaxpct'));
        num('xfs_sunit', kv.get('sunit'));
        num('xfs_swidth', kv.get('swidth'));
        break;
      case 'naming':
        num('xfs_dirblocksize', kv.get('bsize'));
        num('xfs_cimode', kv.get('ascii-ci'));
        break;
      case 'log':
        num('xfs_logblocksize', kv.get('bsize'));
        num('xfs_logblocks', kv.get('blocks'));
        num('xfs_logversion', kv.get('version'));
        num('xfs_logsectsize', kv.get('sectsz'));
        num('xfs_logsunit', kv.get('sunit'));
        num('xfs_lazycount', kv.get('lazy-count'));
        break;
      case 'realtime':
        num('xfs_rtextsize', kv.get('extsz'));
        num('xfs_rtblocks', kv.get('blocks'));
        num('xfs_rtextents', kv.get('rtextents'));
        break;
    }
  }
  if (!v.has('xfs_blocksize')) throw new JootError('ECMD', `xfs_info ${name}: no geometry in its output`);
  v.set('xfs_mntpoint', name);
  return XFS_INFO_FIELDS.map((f) => [f, v.get(f) ?? (XFS_STRING_FIELDS.has(f) ? '' : -1)]);
}

export interface XfsGrowfsOptions {
  datasec?: boolean;
  logsec?: boolean;
  rtsec?: boolean;
  datasize?: number;
  logsize?: number;
  rtsize?: number;
  rtextsize?: number;
  maxpct?: number;
}

export function xfsGrowfsArgs(hostDir: string, o: XfsGrowfsOptions): string[] {
  const a: string[] = [];
  if (o.datasec) a.push('-d');
  if (o.logsec) a.push('-l');
  if (o.rtsec) a.push('-r');
  if (o.datasize !== undefined) a.push('-D', int('datasize', o.datasize, 1));
  if (o.logsize !== undefined) a.push('-L', int('logsize', o.logsize, 1));
  if (o.rtsize !== undefined) a.push('-R', int('rtsize', o.rtsize, 1));
  if (o.rtextsize !== undefined) a.push('-e', int('rtextsize', o.rtextsize, 1));
  if (o.maxpct !== undefined) {
    if (!(Number.isInteger(o.maxpct) && o.maxpct >= 0 && o.maxpct <= 100))
      throw new JootError('EINVAL', `maxpct: ${o.maxpct}: must be 0 to 100`);
    a.push('-m', String(o.maxpct));
  }
  return [...a, '--', hostDir];
}

export interface XfsAdminOptions {
  extunwritten?: boolean;
  imgfile?: boolean;
  v2log?: boolean;
  projid32bit?: boolean;
  lazycounter?: boolean;
  label?: string;
  uuid?: string;
}

export function xfsAdminArgs(hostDevice: string, o: XfsAdminOptions): string[] {
  const a: string[] = [];
  if (o.extunwritten) a.push('-e');
  if (o.imgfile) a.push('-f');
  if (o.v2log) a.push('-j');
  if (o.projid32bit) a.push('-p');
  if (o.lazycounter !== undefined) a.push('-c', o.lazycounter ? '1' : '0');
  if (o.label !== undefined) {
    if (Buffer.byteLength(o.label) > 12) throw new JootError('EINVAL', `label: ${o.label}: xfs labels are limited to 12 bytes`);
    // xfs_admin pastes the label into a shell command line for xfs_db: no quoting characters
    if (/['"`$\\]/.test(o.label))
      throw new JootError('EINVAL', `label: ${o.label}: quotes, backslashes and $ are not allowed in xfs labels here`);
    a.push('-L', o.label === '' ? '--' : o.label);
  }
  if (o.uuid !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(o.uuid) && !/^(nil|generate|restore)$/.test(o.uuid))
      throw new JootError('EINVAL', `uuid: ${o.uuid}: not a UUID (nor nil, generate, restore)`);
    a.push('-U', o.uuid);
  }
  if (a.length === 0) throw new JootError('EINVAL', 'xfs-admin: give at least one change (lazycounter:, label:, uuid:, …)');
  return [...a, '--', hostDevice];
}

export interface XfsRepairOptions {
  forcelogzero?: boolean;
  nomodify?: boolean;
  noprefetch?: boolean;
  forcegeometry?: boolean;
  maxmem?: number;
  ihashsize?: number;
  bhashsize?: number;
  agstride?: number;
  /** host devices (the caller resolves the guest names) */
  logdev?: string;
  rtdev?: string;
}

/** `target` is a host device, or with `file` a host image file (-f). */
export function xfsRepairArgs(target: string, o: XfsRepairOptions, file = false): string[] {
  const a: string[] = [];
  if (file) a.push('-f');
  if (o.forcelogzero) a.push('-L');
  if (o.nomodify) a.push('-n');
  if (o.noprefetch) a.push('-P');
  if (o.maxmem !== undefined) a.push('-m', int('maxmem', o.maxmem, 1));
  const sub: string[] = [];
  if (o.forcegeometry) sub.push('force_geometry');
  if (o.ihashsize !== undefined) sub.push(`ihash=${int('ihashsize', o.ihashsize, 1)}`);
  if (o.bhashsize !== undefined) sub.push(`bhash=${int('bhashsize', o.bhashsize, 1)}`);
  if (o.agstride !== undefined) sub.push(`ag_stride=${int('agstride', o.agstride, 1)}`);
  for (const s of sub) a.push('-o', s);
  if (o.logdev !== undefined) a.push('-l', o.logdev);
  if (o.rtdev !== undefined) a.push('-r', o.rtdev);
  return [...a, '--', target];
}

/** `btrfs subvolume get-default`: "ID 5 (FS_TREE)" or "ID 256 gen 7 top level 5 path sub". */
export function parseBtrfsDefault(stdout: string): number {
  const m = /^ID (\d+)\b/m.exec(stdout);
  if (!m) throw new JootError('ECMD', 'btrfs subvolume get-default: no ID in its output');
  return Number(m[1]);
}

/**
 * `btrfs subvolume show` as guestfish's hash: the first line is the subvolume's path, then
 * "Key: value" lines; the names under "Snapshot(s):" become one comma-separated value.
 */
export function parseBtrfsSubvolumeShow(stdout: string): [string, string][] {
  const lines = stdout.split('\n');
  const out: [string, string][] = [];
  let snapshots: string[] | undefined;
  for (const raw of lines.slice(1)) {
    if (!raw.trim()) continue;
    const m = /^\s*([^:\t]+?):\s*(.*)$/.exec(raw);
    if (m && !(snapshots && /^\t\t\t/.test(raw))) {
      if (snapshots) out.push(['Snapshot(s)', snapshots.join(',')]);
      snapshots = undefined;
      if (m[1] === 'Snapshot(s)' && m[2] === '') snapshots = [];
      else out.push([m[1]!, m[2]!]);
    } else if (snapshots) {
      snapshots.push(raw.trim());
    }
  }
  if (snapshots) out.push(['Snapshot(s)', snapshots.join(',')]);
  return out;
}

/** The btrfs superblock facts btrfs-filesystem-show needs, from the 4 KiB at 64 KiB. */
export function parseBtrfsSuper(sb: Buffer): { fsid: string; numDevices: bigint } | undefined {
  if (sb.length < 0x90 || sb.toString('latin1', 0x40, 0x48) !== '_BHRfS_M') return undefined;
  return { fsid: sb.toString('hex', 0x20, 0x30), numDevices: sb.readBigUInt64LE(0x88) };
}
