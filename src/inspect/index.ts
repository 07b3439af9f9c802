// Inspection: which operating systems are on a launched Session's disks. Every filesystem
// is looked at read-only and classified; each root then gets its fstab resolved, its /usr
// and /var mounted from there (so a separate /usr or /var is merged in), and its facts and
// packages read — all through the guest-rooted reader.
import type { Session } from '../appliance/session.js';
import { JootError, oneLine } from '../core/errors.js';
import { trace, warn } from '../core/run.js';
import { classify, type Role } from './roots.js';
import { resolveFstab, sortMountpoints, type DeviceModel } from './fstab.js';
import { MDADM_CONF_CAP } from './mdadm-conf.js';
import { CRYPTTAB_CAP } from './crypttab.js';
import { luksVolumes } from './luks-volumes.js';
import { linuxFacts } from './linux/facts.js';
import { applicationsFor } from './apps/index.js';
import { findIcon } from './icon.js';
import { windowsFacts } from './windows/index.js';
import { carryHivePaths, rememberHivePaths } from './windows/hive-paths.js';
import { linuxSections, windowsSections, type SectionName } from './sections/index.js';
import type { GuestFiles, InspectionReport, OperatingSystem } from './types.js';
import { filesystemsOf } from './filesystems-of.js';
import { coreosUsrOf, inspectOstreeRoot, type Look } from './coreos-layouts.js';

export interface InspectOptions {
  /** list installed packages (the slowest part); default true */
  applications?: boolean;
  /** the optional sections to add (kernels, users, network, services); default none */
  sections?: ReadonlySet<SectionName>;
  /** the icon (a logo file read when the distribution has one, as virt-inspector does); default true */
  icon?: boolean;
  /** also the licenses a dpkg database keeps in each package's copyright file (one file a package); default false */
  licenses?: boolean;
}

// Filesystems that can hold no OS files worth a mount.
const NOT_INSPECTED = new Set([
  'swap',
  'unknown',
  'LVM2_member',
  'crypto_LUKS',
  'linux_raid_member',
  'zfs_member',
  'iso9660',
  'udf',
  'squashfs',
]);

/** The session's devices in the shape fstab resolution needs. */
export function deviceModel(session: Session): DeviceModel {
  const filesystems = session.filesystems();
  const btrfsSubvolumes: Record<string, string[]> = {};
  for (const f of filesystems) {
    const m = /^btrfsvol:(.+)\/([^/].*)$/.exec(f.name);
    if (!m) continue;
    // the device part is the longest known device prefix (LV names contain slashes)
    const dev = filesystems
      .map((x) => x.name)
      .filter((n) => !n.startsWith('btrfsvol:') && f.name.startsWith(`btrfsvol:${n}/`))
      .sort((a, b) => b.length - a.length)[0];
    if (!dev) continue;
    (btrfsSubvolumes[dev] ??= []).push(f.name.slice(`btrfsvol:${dev}/`.length));
  }
  return {
    filesystems: filesystems.map((f) => ({ name: f.name, type: f.type, label: f.label, uuid: f.uuid })),
    partitions: session.partitions().map((p) => ({ name: p.name, disk: p.disk, number: p.number, uuid: p.uuid, label: p.label })),
    disks: session.listDevices(),
    lvs: session.lvsFull().map((l) => ({ name: l.name, vg: l.vg, lv: l.lv, uuid: l.uuid })),
    vgs: session.vgsFull().map((v) => ({ name: v.name, pvs: v.pvs })),
    btrfsSubvolumes,
    mdArrays: session.listMdDevices().map((name) => {
      const d = new Map(session.mdDetail(name));
      return { name, uuid: d.get('uuid') ?? '', devname: d.get('devname'), superblockName: d.get('name') };
    }),
  };
}

async function withRoot<T>(session: Session, device: string, fn: (files: GuestFiles) => Promise<T>): Promise<T> {
  await session.mount(device, '/', { readonly: true });
  try {
    return await fn(session.reader);
  } finally {
    await session.umountAll();
  }
}

// Limits: guest metadata (thousands of LVs or subvolumes) must not drive unbounded work.
/** filesystems looked at (each one mount) */
export const MAX_FILESYSTEMS = 64;
/** btrfs subvolumes looked at, in all (through one mount of their filesystem's top level) */
export const MAX_SUBVOLUMES = 256;
/** operating system roots inspected in full (each mounts its fstab entries, reads packages) */
export const MAX_ROOTS = 16;
/** a filesystem smaller than this holds no OS root worth a look (no kernel, libc and /etc fit) */
export const MIN_ROOT_BYTES = 1024 * 1024;

/** What a session's inspection could not read (EUNSUPPORTED), where it found no OS root. */
const unreadBy = new WeakMap<Session, string[]>();

/**
 * The filesystems the last inspection of `session` could not read, one line each, when it found
 * no operating system: the caller's "no operating system found" says them (one line in all),
 * as they may be why. Where a root was found they were warned about instead.
 */
export function unreadFilesystems(session: Session): string[] {
  return unreadBy.get(session) ?? [];
}

/** Look at every filesystem once and say what it is. */
async function classifyAll(session: Session): Promise<{ device: string; role: Role }[]> {
  const out: { device: string; role: Role }[] = [];
  const sizes = new Map<string, number>();
  for (const p of session.partitions()) sizes.set(p.name, p.size);
  for (const l of session.lvsFull()) sizes.set(l.name, l.size);
  const filesystems = session.filesystems();
  let budget = MAX_FILESYSTEMS;
  let subvolBudget = MAX_SUBVOLUMES;
  let skipped = 0;
  const lvs = new Set(session.lvsFull().map((l) => l.name));
  const unread: string[] = [];
  for (const fs of filesystems) {
    if (fs.name.startsWith('btrfsvol:')) continue;
    if ((sizes.get(fs.name) ?? Infinity) < MIN_ROOT_BYTES) continue;
    // an LV past the session's launch-time probe cap is listed as unknown until probed
    const unprobedLv = fs.type === 'unknown' && lvs.has(fs.name);
    if (NOT_INSPECTED.has(fs.type) && !unprobedLv) continue;
    if (budget <= 0) {
      skipped++;
      continue;
    }
    budget--;
    if (unprobedLv) {
      fs.type = (await session.vfsType(fs.name).catch(() => '')) || 'unknown';
      if (NOT_INSPECTED.has(fs.type)) continue;
    }
    try {
      const role = await withRoot(session, fs.name, (files) => classify(files, fs.type));
      out.push({ device: fs.name, role });
    } catch (e) {
      // a filesystem the userspace engine does not read is said, not hidden (below)
      if (e instanceof JootError && e.code === 'EUNSUPPORTED') unread.push(oneLine(e));
      else trace(`inspect: cannot look at ${fs.name}: ${oneLine(e)}`);
    }
    // a btrfs volume's subvolumes are each classified on their own, all through one mount
    const prefix = `btrfsvol:${fs.name}/`;
    const subvols = filesystems.filter((f) => f.name.startsWith(prefix));
    if (subvols.length === 0) continue;
    const take = subvols.slice(0, Math.max(0, subvolBudget));
    skipped += subvols.length - take.length;
    subvolBudget -= take.length;
    if (take.length === 0) continue;
    try {
      await session.withSubvolumes(fs.name, async (readerOf) => {
        for (const sv of take) {
          const role = await classify(readerOf(sv.name.slice(prefix.length)), 'btrfs');
          out.push({ device: sv.name, role });
        }
      });
    } catch (e) {
      trace(`inspect: cannot look at the subvolumes of ${fs.name}: ${oneLine(e)}`);
    }
  }
  if (skipped)
    warn(
      `inspect: looked at no more than ${MAX_FILESYSTEMS} filesystems and ${MAX_SUBVOLUMES} btrfs subvolumes; ${skipped} more were not examined`,
    );
  const roots = out.filter((r) => r.role.kind !== 'none' && r.role.kind !== 'usr' && r.role.kind !== 'var' && r.role.kind !== 'boot');
  unreadBy.set(session, roots.length === 0 ? unread : []);
  if (roots.length > 0) for (const u of unread) warn(`inspect: ${u}`);
  if (roots.length > MAX_ROOTS) {
    warn(`inspect: ${roots.length} operating system roots found; only the first ${MAX_ROOTS} are inspected`);
    const keep = new Set(roots.slice(0, MAX_ROOTS));
    return out.filter((r) => !roots.includes(r) || keep.has(r));
  }
  return out;
}

// Mountpoints whose contents inspection reads (os-release, package databases): mounted from
// the guest's fstab so that a separate /usr or /var is seen where the guest sees it.
function neededForInspection(mountpoint: string, opts: InspectOptions): boolean {
  if (/^\/(usr|var|lib|lib64|etc)(\/|$)/.test(mountpoint)) return true;
  // the kernels and the boot loader's configuration live on a separate /boot (and its ESP)
  return opts.sections?.has('kernels') === true && /^\/boot(\/|$)/.test(mountpoint);
}

const FSTAB_CAP = 1 << 20;

/** The guest's mdadm.conf files, as libguestfs reads both (only when the session has arrays). */
async function mdadmConf(session: Session): Promise<string | undefined> {
  if (session.listMdDevices().length === 0) return undefined;
  const parts: string[] = [];
  for (const path of ['/etc/mdadm.conf', '/etc/mdadm/mdadm.conf']) {
    try {
      parts.push(await session.reader.readText(path, { maxBytes: MDADM_CONF_CAP }));
    } catch {
      // absent or unreadable: the guest names its arrays without it
    }
  }
  return parts.join('\n');
}

async function inspectLinuxRoot(
  session: Session,
  root: string,
  model: DeviceModel,
  opts: InspectOptions,
  /** mounts no fstab names (CoreOS's /usr), under whatever the fstab says */
  implied: { mountpoint: string; device: string }[] = [],
): Promise<OperatingSystem> {
  const warnings: string[] = [];
  await session.mount(root, '/', { readonly: true });
  try {
    let mounts: { mountpoint: string; device: string; vfstype: string }[] = [
      { mountpoint: '/', device: root, vfstype: '' },
      ...implied.map((m) => ({ ...m, vfstype: '' })),
    ];
    let swaps: string[] = [];
    try {
      const fstab = await session.reader.readText('/etc/fstab', { maxBytes: FSTAB_CAP });
      const crypttab = await session.reader.readText('/etc/crypttab', { maxBytes: CRYPTTAB_CAP }).catch(() => undefined);
      const r = resolveFstab(fstab, model, { rootDevice: root, mdadmConf: await mdadmConf(session), crypttab });
      warnings.push(...r.warnings.map((w) => `/etc/fstab: ${w}`));
      mounts = [...mounts.filter((m) => !r.mountpoints.some((x) => x.mountpoint === m.mountpoint)), ...r.mountpoints];
      // an encrypted volume the guest mounts but no key opened: listed as what it is
      swaps = [...r.swaps, ...r.locked];
    } catch (e) {
      if (await session.reader.exists('/etc/fstab'))
        warnings.push(oneLine(e).startsWith('/etc/fstab') ? oneLine(e) : `/etc/fstab: ${oneLine(e)}`);
    }
    // the root is what we examined, whatever fstab says about "/"
    mounts = mounts.map((m) => (m.mountpoint === '/' ? { ...m, device: root } : m));
    for (const m of [...mounts].sort((a, b) => a.mountpoint.length - b.mountpoint.length)) {
      if (m.mountpoint === '/' || !neededForInspection(m.mountpoint, opts)) continue;
      try {
        await session.mount(m.device, m.mountpoint, { readonly: true });
      } catch (e) {
        warnings.push(`cannot mount ${m.device} on ${m.mountpoint}: ${oneLine(e)}`);
      }
    }
    const files = session.reader;
    const facts = await linuxFacts(files, warnings);
    const os: OperatingSystem = {
      root,
      name: 'linux',
      ...facts,
      mountpoints: sortMountpoints(Object.fromEntries(mounts.map((m) => [m.mountpoint, m.device]))),
      filesystems: filesystemsOf(model, [...mounts.map((m) => m.device), ...swaps]),
      warnings,
    };
    if (opts.applications !== false) {
      const apps = await applicationsFor(files, os.package_format, warnings, { licenses: opts.licenses });
      if (apps && 'error' in apps) os.applications_error = apps.error;
      else if (apps) os.applications = apps.applications;
    }
    if (opts.sections?.size) Object.assign(os, await linuxSections(files, opts.sections, warnings));
    // virt-inspector asks for the icon without the favicon
    const icon = opts.icon !== false ? await findIcon(files, os, { favicon: false }) : undefined;
    if (icon) os.icon = icon.toString('base64');
    return os;
  } finally {
    await session.umountAll();
  }
}

async function inspectWindowsRoot(
  session: Session,
  root: string,
  systemroot: string,
  model: DeviceModel,
  opts: InspectOptions,
): Promise<OperatingSystem> {
  const warnings: string[] = [];
  const { facts, sections } = await withRoot(session, root, async (files) => ({
    facts: await windowsFacts(files, systemroot, { applications: opts.applications !== false, partitions: session.partitions() }, warnings),
    sections: opts.sections?.size ? await windowsSections(files, systemroot, opts.sections, warnings) : {},
  }));
  // Windows has no fstab: the root alone, as virt-inspector reports it
  const { hives, ...reported } = facts;
  const os: OperatingSystem = {
    root,
    name: 'windows',
    ...reported,
    mountpoints: { '/': root },
    filesystems: filesystemsOf(model, [root]),
    ...sections,
    warnings,
  };
  rememberHivePaths(os, hives);
  return os;
}

// virt-inspector's element order, so JSON and XML read the same way
const FIELD_ORDER: (keyof OperatingSystem)[] = [
  'root',
  'name',
  'arch',
  'distro',
  'product_name',
  'product_variant',
  'major_version',
  'minor_version',
  'build_id',
  'windows_systemroot',
  'windows_current_control_set',
  'windows_group_policy',
  'package_format',
  'package_management',
  'hostname',
  'osinfo',
  'mountpoints',
  'filesystems',
  'drive_mappings',
  'applications',
  'applications_error',
  'icon',
  'kernels',
  'default_boot_entry',
  'init_system',
  'users',
  'network',
  'services',
  'warnings',
];

function ordered(os: OperatingSystem): OperatingSystem {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_ORDER) if (os[k] !== undefined) out[k] = os[k];
  return out as unknown as OperatingSystem;
}

export async function inspect(session: Session, opts: InspectOptions = {}): Promise<InspectionReport> {
  const roles = await classifyAll(session);
  // after classifying: LVs it probed past the session's launch-time cap now have their UUIDs
  const model = deviceModel(session);
  model.luks = await luksVolumes(session);
  const operatingsystems: OperatingSystem[] = [];
  const look: Look = (device, fn) => withRoot(session, device, fn);
  const devicesOf = (kind: Role['kind']) => roles.filter((r) => r.role.kind === kind).map((r) => r.device);
  for (const { device, role } of roles) {
    if (role.kind === 'linux-root') {
      const usr = await coreosUsrOf(look, device, devicesOf('usr'));
      operatingsystems.push(await inspectLinuxRoot(session, device, model, opts, usr ? [{ mountpoint: '/usr', device: usr }] : []));
    } else if (role.kind === 'ostree-root') {
      const os = await inspectOstreeRoot(session, look, device, devicesOf('boot'), model, opts);
      if (os) operatingsystems.push(os);
    } else if (role.kind === 'windows-root') {
      operatingsystems.push(await inspectWindowsRoot(session, device, role.systemroot, model, opts));
    } else if (role.kind === 'unix-root') {
      operatingsystems.push({
        root: device,
        name: role.name,
        major_version: 0,
        minor_version: 0,
        mountpoints: { '/': device },
        filesystems: filesystemsOf(model, [device]),
        warnings: [`${role.name} details are not inspected yet`],
      });
    }
  }
  return { operatingsystems: operatingsystems.map((os) => carryHivePaths(os, ordered(os))) };
}
