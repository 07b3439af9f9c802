// guestfish's inspection commands. inspect-os runs the inspection once (src/inspect) and keeps
// the report for the session; the inspect-get-* commands read it, as guestfish's do, and fail
// with "call inspect-os first" before. Like guestfish's inspect-os, which "should be called
// with no disks currently mounted", inspect-os mounts and unmounts filesystems itself: it is
// refused while anything is mounted, and leaves nothing mounted.
import { structList } from '../../ops/structs.js';
import { JootError } from '../../core/errors.js';
import type { Session } from '../../appliance/index.js';
import { inspect } from '../index.js';
import type { Application, InspectionReport, OperatingSystem } from '../types.js';
import { defineCommand, type Ctx } from '../../ops/record.js';

const reports = new WeakMap<Session, InspectionReport>();

/** The cached report of the session's last inspect-os (for tests and other commands). */
export function inspection(session: Session): InspectionReport | undefined {
  return reports.get(session);
}

function osOf(ctx: Ctx, root: string): OperatingSystem {
  const report = reports.get(ctx.session);
  if (!report) throw new JootError('ESTATE', 'no inspection data: call inspect-os first');
  const os = report.operatingsystems.find((o) => o.root === root);
  if (!os) throw new JootError('EINVAL', `${root}: root device not found: only use a root returned by inspect-os`);
  return os;
}

export const inspectOs = defineCommand({
  name: 'inspect-os',
  group: 'inspection',
  args: [],
  needsLaunch: true,
  summary: 'find the operating systems and print their root filesystems',
  description: `Inspect every filesystem, find the installed operating systems and print the root
    filesystem of each, one per line (nothing when there is none). The result is kept for the
    inspect-get-* commands until the next inspect-os.

    Filesystems are mounted read-only and unmounted again while it runs, so nothing may be mounted
    when it starts (use umount-all first) and nothing is mounted afterwards.`,
  async run(ctx) {
    const mounted = ctx.session.mounts();
    if (mounted.length) {
      throw new JootError(
        'EBUSY',
        `${mounted.join(', ')} ${mounted.length === 1 ? 'is' : 'are'} mounted: call umount-all first (inspect-os mounts and unmounts filesystems itself)`,
      );
    }
    const report = await inspect(ctx.session, { applications: true });
    reports.set(ctx.session, report);
    await ctx.out.lines(report.operatingsystems.map((o) => o.root));
  },
});

export const inspectGetRoots = defineCommand({
  name: 'inspect-get-roots',
  group: 'inspection',
  args: [],
  needsLaunch: true,
  summary: 'print the roots found by inspect-os',
  description: `Print the root filesystems found by the last inspect-os, one per line, without inspecting
    again.`,
  async run(ctx) {
    const report = reports.get(ctx.session);
    if (!report) throw new JootError('ESTATE', 'no inspection data: call inspect-os first');
    await ctx.out.lines(report.operatingsystems.map((o) => o.root));
  },
});

function getter(name: string, summary: string, description: string, value: (os: OperatingSystem) => string[]) {
  return defineCommand({
    name,
    group: 'inspection',
    args: [{ name: 'root', type: 'mountable' }],
    needsLaunch: true,
    summary,
    description: `${description} The root is one printed by inspect-os, which must have run first.`,
    async run(ctx, [root]) {
      await ctx.out.lines(value(osOf(ctx, root)));
    },
  });
}

const orUnknown = (v: string | undefined) => [v || 'unknown'];

export const getMountpoints = getter(
  'inspect-get-mountpoints',
  "print an operating system's mountpoints",
  `Print the operating system's mountpoints from its fstab as "MOUNTPOINT: DEVICE" lines (/: /dev/sda2),
    in the order virt-inspector lists them.`,
  (os) => Object.entries(os.mountpoints).map(([mp, dev]) => `${mp}: ${dev}`),
);
export const getFilesystems = getter(
  'inspect-get-filesystems',
  "print an operating system's filesystems",
  `Print every filesystem that belongs to the operating system (including swap), one per line.`,
  (os) => os.filesystems.map((f) => f.device),
);
export const getType = getter(
  'inspect-get-type',
  'print the type of operating system',
  `Print the type: linux, windows, freebsd, …, or unknown.`,
  (os) => orUnknown(os.name),
);
export const getDistro = getter(
  'inspect-get-distro',
  'print the distribution',
  `Print the distribution (debian, fedora, rhel, ubuntu, archlinux, alpine, …) or unknown.`,
  (os) => orUnknown(os.distro),
);
export const getProductName = getter(
  'inspect-get-product-name',
  'print the product name',
  `Print the product name (the os-release PRETTY_NAME for Linux) or unknown.`,
  (os) => orUnknown(os.product_name),
);
export const getMajor = getter(
  'inspect-get-major-version',
  'print the major version',
  `Print the major version number (0 when unknown).`,
  (os) => [String(os.major_version)],
);
export const getMinor = getter(
  'inspect-get-minor-version',
  'print the minor version',
  `Print the minor version number (0 when unknown).`,
  (os) => [String(os.minor_version)],
);
export const getArch = getter(
  'inspect-get-arch',
  'print the architecture',
  `Print the architecture (x86_64, aarch64, i386, …) or unknown.`,
  (os) => orUnknown(os.arch),
);
export const getHostname = getter(
  'inspect-get-hostname',
  'print the hostname',
  `Print the hostname configured in the guest, or unknown.`,
  (os) => orUnknown(os.hostname),
);
export const getPackageFormat = getter(
  'inspect-get-package-format',
  'print the package format',
  `Print the package format (rpm, deb, pacman, apk, …) or unknown.`,
  (os) => orUnknown(os.package_format),
);
export const getPackageManagement = getter(
  'inspect-get-package-management',
  'print the package management tool',
  `Print the package management tool (apt, dnf, yum, pacman, apk, …) or unknown.`,
  (os) => orUnknown(os.package_management),
);
export const getOsinfo = getter(
  'inspect-get-osinfo',
  'print the libosinfo short id',
  `Print the libosinfo short id (debian12, fedora39, …) or unknown.`,
  (os) => orUnknown(os.osinfo),
);

export const getWindowsSystemroot = getter(
  'inspect-get-windows-systemroot',
  'print the Windows systemroot',
  `Print the systemroot of a Windows root as a guest path (/Windows); an error for other systems.`,
  (os) => [windowsOnly(os, os.windows_systemroot, 'systemroot')],
);
export const getWindowsCurrentControlSet = getter(
  'inspect-get-windows-current-control-set',
  'print the current control set of Windows',
  `Print the SYSTEM hive's current control set (ControlSet001) of a Windows root; an error for other
    systems or when the SYSTEM hive could not be read.`,
  (os) => [windowsOnly(os, os.windows_current_control_set, 'current control set')],
);
export const getDriveMappings = getter(
  'inspect-get-drive-mappings',
  'print the drive letters of Windows',
  `Print the drive letters of a Windows root and their devices, "LETTER: DEVICE" lines (C: /dev/sda2),
    from the SYSTEM hive's MountedDevices; nothing for other systems.`,
  (os) => Object.entries(os.drive_mappings ?? {}).map(([l, d]) => `${l}: ${d}`),
);

function windowsOnly(os: OperatingSystem, v: string | undefined, what: string): string {
  if (os.name !== 'windows') throw new JootError('EINVAL', `${os.root}: not a Windows root: no ${what}`);
  if (v === undefined) throw new JootError('ENOENT', `${os.root}: the ${what} is not known (see the inspection warnings)`);
  return v;
}

function appFields(a: Application, prefix: string, withArch: boolean): [string, string | number][] {
  const f: [string, string | number][] = [
    [`${prefix}_name`, a.name],
    [`${prefix}_display_name`, a.display_name ?? ''],
    [`${prefix}_epoch`, a.epoch],
    [`${prefix}_version`, a.version],
    [`${prefix}_release`, a.release],
  ];
  if (withArch) f.push([`${prefix}_arch`, a.arch ?? '']);
  f.push(
    [`${prefix}_install_path`, a.install_path ?? ''],
    [`${prefix}_trans_path`, ''],
    [`${prefix}_publisher`, a.publisher ?? ''],
    [`${prefix}_url`, a.url ?? ''],
    [`${prefix}_source_package`, a.source_package ?? ''],
    [`${prefix}_summary`, a.summary ?? ''],
    [`${prefix}_description`, a.description ?? ''],
  );
  if (withArch) for (const n of [1, 2, 3, 4]) f.push([`${prefix}_spare${n}`, '']);
  return f;
}

function applications(os: OperatingSystem): Application[] {
  if (os.applications_error) throw new JootError('EIO', `${os.root}: cannot list applications: ${os.applications_error}`);
  return os.applications ?? [];
}

export const listApplications = getter(
  'inspect-list-applications',
  'list the installed applications',
  `List the installed packages as guestfish prints its application structs: "[N] = {", then
    app_name, app_display_name, app_epoch, app_version, app_release, app_install_path,
    app_trans_path, app_publisher, app_url, app_source_package, app_summary and app_description,
    one "field: value" per line, then "}".`,
  (os) => structList(applications(os).map((a) => appFields(a, 'app', false))),
);

export const listApplications2 = getter(
  'inspect-list-applications2',
  'list the installed applications with their architecture',
  `Like inspect-list-applications, with guestfish's application2 fields: app2_name, …, app2_release,
    app2_arch, app2_install_path, …, app2_description and app2_spare1 to app2_spare4.`,
  (os) => structList(applications(os).map((a) => appFields(a, 'app2', true))),
);

export const commands = [
  inspectOs,
  inspectGetRoots,
  getMountpoints,
  getFilesystems,
  getType,
  getDistro,
  getProductName,
  getMajor,
  getMinor,
  getArch,
  getHostname,
  getPackageFormat,
  getPackageManagement,
  getOsinfo,
  listApplications,
  listApplications2,
  getWindowsSystemroot,
  getWindowsCurrentControlSet,
  getDriveMappings,
];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
