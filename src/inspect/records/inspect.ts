// guestfish's inspection commands. inspect-os runs the inspection once (src/inspect) and keeps
// the report for the session; the inspect-get-* commands read it, as guestfish's do, and fail
// with "call inspect-os first" before. Like guestfish's inspect-os, which "should be called
// with no disks currently mounted", inspect-os mounts and unmounts filesystems itself: it is
// refused while anything is mounted, and leaves nothing mounted.
import { JootError } from '../../core/errors.js';
import type { Session } from '../../appliance/index.js';
import type { Application, InspectionReport, OperatingSystem } from '../types.js';
import { applicationsListed, rememberedInspection, rememberInspection } from '../report-store.js';
import { hivePathsOf } from '../windows/hive-paths.js';
import { defineOp, type OpContext, type OpTest, type ReturnValue, type Returns } from '../../ops/op.js';

/** The cached report of the session's last inspect-os or -i (for tests and other commands). */
export function inspection(session: Session): InspectionReport | undefined {
  return rememberedInspection(session)?.report;
}

export function osOf(ctx: OpContext, root: string): OperatingSystem {
  const report = inspection(ctx.session);
  if (!report) throw new JootError('ESTATE', 'no inspection data: call inspect-os first');
  const os = report.operatingsystems.find((o) => o.root === root);
  if (!os) throw new JootError('EINVAL', `${root}: root device not found: only use a root returned by inspect-os`);
  return os;
}

// The tests inspect sample.raw (Debian 12.5, root /dev/sda2) or win10.raw (root /dev/sda1);
// inspect-os wants nothing mounted.
const INSPECTED = [['umount-all'], ['inspect-os']];
const sample = (expect: string | RegExp): OpTest => ({ disk: 'sample', setup: INSPECTED, args: ['/dev/sda2'], expect });
const win10 = (expect: string | RegExp): OpTest => ({ disk: 'win10', setup: INSPECTED, args: ['/dev/sda1'], expect });
/** a root that inspect-os did not print */
const notRoot: OpTest = {
  disk: 'sample',
  setup: INSPECTED,
  args: ['/dev/sda1'],
  error: /^\/dev\/sda1: root device not found/,
  title: 'a root that inspect-os did not print',
};
/** a Windows getter on Debian's root */
const notWindows = (error: RegExp): OpTest => ({ disk: 'sample', setup: INSPECTED, args: ['/dev/sda2'], error, title: 'a Linux root' });

export const inspectOs = defineOp({
  name: 'inspect-os',
  group: 'inspection',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'find the operating systems and print their root filesystems',
  description: `Inspect every filesystem, find the installed operating systems and print the root
    filesystem of each, one per line (nothing when there is none). The result is kept for the
    inspect-get-* commands until the next inspect-os.

    Filesystems are mounted read-only and unmounted again while it runs, so nothing may be mounted
    when it starts (use umount-all first) and nothing is mounted afterwards.`,
  async impl(ctx) {
    const mounted = ctx.session.mounts();
    if (mounted.length) {
      throw new JootError(
        'EBUSY',
        `${mounted.join(', ')} ${mounted.length === 1 ? 'is' : 'are'} mounted: call umount-all first (inspect-os mounts and unmounts filesystems itself)`,
      );
    }
    // inspection's code loads when inspect-os runs, not with jfish's command table
    const { inspect } = await import('../index.js');
    const report = await inspect(ctx.session, { applications: true, icon: false });
    rememberInspection(ctx.session, report, true);
    return report.operatingsystems.map((o) => o.root);
  },
  guestfishDiffers:
    "libguestfs has no per-action test for inspection: it tests inspection on its phony guests (test-data/phony-guests), as jfish's own tests here do on its fixtures",
  get tests(): readonly OpTest[] {
    return [
      { disk: 'sample', setup: [['umount-all']], args: [], expect: '/dev/sda2', check: { run: ['mounts'], expect: '' } },
      { disk: 'fs', setup: [['umount-all']], args: [], expect: '', title: 'inspect-os on a disk without an operating system' },
      {
        disk: 'sample',
        args: [],
        error: /^\/dev\/sda2, \/dev\/sda1 are mounted: call umount-all first/,
        title: 'while filesystems are mounted',
      },
    ];
  },
});

export const inspectGetRoots = defineOp({
  name: 'inspect-get-roots',
  group: 'inspection',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'print the roots found by inspect-os',
  description: `Print the root filesystems found by the last inspect-os, one per line, without inspecting
    again.`,
  async impl(ctx) {
    const report = inspection(ctx.session);
    if (!report) throw new JootError('ESTATE', 'no inspection data: call inspect-os first');
    return report.operatingsystems.map((o) => o.root);
  },
  guestfishDiffers:
    "libguestfs has no per-action test for inspection: it tests inspection on its phony guests (test-data/phony-guests), as jfish's own tests here do on its fixtures",
  get tests(): readonly OpTest[] {
    return [
      { disk: 'sample', setup: INSPECTED, args: [], expect: '/dev/sda2' },
      { args: [], error: /^no inspection data: call inspect-os first$/, title: 'before inspect-os' },
    ];
  },
});

const INSPECTION_UNTESTED =
  "libguestfs has no per-action test for inspection: it tests inspection on its phony guests (test-data/phony-guests), as jfish's own tests here do on its fixtures";

function getter<const N extends string, const R extends Returns>(
  name: N,
  returns: R,
  summary: string,
  description: string,
  value: (os: OperatingSystem) => ReturnValue<R>,
  tests: readonly OpTest[],
) {
  return defineOp({
    name,
    group: 'inspection',
    args: [{ name: 'root', type: 'mountable' }],
    returns,
    needsLaunch: true,
    writes: false,
    summary,
    description: `${description} The root is one printed by inspect-os, which must have run first.`,
    async impl(ctx, [root]) {
      return value(osOf(ctx, root));
    },
    guestfishDiffers: INSPECTION_UNTESTED,
    tests,
  });
}

const orUnknown = (v: string | undefined) => v || 'unknown';

export const getMountpoints = getter(
  'inspect-get-mountpoints',
  'hash',
  "print an operating system's mountpoints",
  `Print the operating system's mountpoints from its fstab as "MOUNTPOINT: DEVICE" lines (/: /dev/sda2),
    in the order virt-inspector lists them.`,
  (os) => Object.entries(os.mountpoints),
  [sample('/: /dev/sda2\n/boot: /dev/sda1'), notRoot],
);
export const getFilesystems = getter(
  'inspect-get-filesystems',
  'strings',
  "print an operating system's filesystems",
  `Print every filesystem that belongs to the operating system (including swap), one per line.`,
  (os) => os.filesystems.map((f) => f.device),
  [sample('/dev/sda1\n/dev/sda2')],
);
export const getType = getter(
  'inspect-get-type',
  'string',
  'print the type of operating system',
  `Print the type: linux, windows, freebsd, …, or unknown.`,
  (os) => orUnknown(os.name),
  [
    sample('linux'),
    win10('windows'),
    notRoot,
    { args: ['/dev/sda1'], error: /^no inspection data: call inspect-os first$/, title: 'before inspect-os' },
  ],
);
export const getDistro = getter(
  'inspect-get-distro',
  'string',
  'print the distribution',
  `Print the distribution (debian, fedora, rhel, ubuntu, archlinux, alpine, …) or unknown.`,
  (os) => orUnknown(os.distro),
  [sample('debian')],
);
export const getProductName = getter(
  'inspect-get-product-name',
  'string',
  'print the product name',
  `Print the product name (the os-release PRETTY_NAME for Linux) or unknown.`,
  (os) => orUnknown(os.product_name),
  [sample('12.5'), win10('Windows 10 Pro')],
);
export const getMajor = getter(
  'inspect-get-major-version',
  'int',
  'print the major version',
  `Print the major version number (0 when unknown).`,
  (os) => os.major_version,
  [sample('12'), win10('10')],
);
export const getMinor = getter(
  'inspect-get-minor-version',
  'int',
  'print the minor version',
  `Print the minor version number (0 when unknown).`,
  (os) => os.minor_version,
  [sample('5')],
);
export const getArch = getter(
  'inspect-get-arch',
  'string',
  'print the architecture',
  `Print the architecture (x86_64, aarch64, i386, …) or unknown.`,
  (os) => orUnknown(os.arch),
  [sample('x86_64')],
);
export const getHostname = getter(
  'inspect-get-hostname',
  'string',
  'print the hostname',
  `Print the hostname configured in the guest, or unknown.`,
  (os) => orUnknown(os.hostname),
  [sample('sample'), win10('WIN10-PHONY')],
);
export const getPackageFormat = getter(
  'inspect-get-package-format',
  'string',
  'print the package format',
  `Print the package format (rpm, deb, pacman, apk, …) or unknown.`,
  (os) => orUnknown(os.package_format),
  [sample('deb')],
);
export const getPackageManagement = getter(
  'inspect-get-package-management',
  'string',
  'print the package management tool',
  `Print the package management tool (apt, dnf, yum, pacman, apk, …) or unknown.`,
  (os) => orUnknown(os.package_management),
  [sample('apt')],
);
export const getOsinfo = getter(
  'inspect-get-osinfo',
  'string',
  'print the libosinfo short id',
  `Print the libosinfo short id (debian12, fedora39, …) or unknown.`,
  (os) => orUnknown(os.osinfo),
  [sample('debian12'), win10('win10')],
);

export const getProductVariant = getter(
  'inspect-get-product-variant',
  'string',
  'print the product variant',
  `Print the product variant: for Windows the SOFTWARE hive's InstallationType (Client, Server, …),
    which tells a desktop from a server of the same version; unknown otherwise (libguestfs reads no
    variant for Linux either).`,
  (os) => orUnknown(os.product_variant),
  [win10('Client'), sample('unknown')],
);
export const getBuildId = getter(
  'inspect-get-build-id',
  'string',
  'print the build id',
  `Print the build id: for Windows its build number (CurrentBuildNumber, 19045), for Linux the
    os-release BUILD_ID; unknown when there is none.`,
  (os) => orUnknown(os.build_id),
  [
    win10('19045'),
    sample('unknown'),
    { disk: 'arch', setup: INSPECTED, args: ['/dev/sda1'], expect: 'rolling', title: 'os-release BUILD_ID' },
  ],
);

export const getWindowsSystemroot = getter(
  'inspect-get-windows-systemroot',
  'string',
  'print the Windows systemroot',
  `Print the systemroot of a Windows root as a guest path (/Windows); an error for other systems.`,
  (os) => windowsOnly(os, os.windows_systemroot, 'systemroot'),
  [win10('/Windows'), notWindows(/^\/dev\/sda2: not a Windows root: no systemroot$/)],
);
export const getWindowsCurrentControlSet = getter(
  'inspect-get-windows-current-control-set',
  'string',
  'print the current control set of Windows',
  `Print the SYSTEM hive's current control set (ControlSet001) of a Windows root; an error for other
    systems or when the SYSTEM hive could not be read.`,
  (os) => windowsOnly(os, os.windows_current_control_set, 'current control set'),
  [win10('ControlSet001'), notWindows(/^\/dev\/sda2: not a Windows root: no current control set$/)],
);
export const getDriveMappings = getter(
  'inspect-get-drive-mappings',
  'hash',
  'print the drive letters of Windows',
  `Print the drive letters of a Windows root and their devices, "LETTER: DEVICE" lines (C: /dev/sda2),
    from the SYSTEM hive's MountedDevices; nothing for other systems.`,
  (os) => Object.entries(os.drive_mappings ?? {}),
  [win10('C: /dev/sda1\nD: /dev/sda2'), sample('')],
);

export const getWindowsSoftwareHive = getter(
  'inspect-get-windows-software-hive',
  'string',
  'print the path of the Windows SOFTWARE hive',
  `Print the guest path of a Windows root's SOFTWARE hive (HKLM\\SOFTWARE) as it is spelt on the disk
    (/Windows/System32/config/SOFTWARE), for hivex-open; an error for other systems or when the file
    is not there. Whether it is a valid hive is not checked.`,
  (os) => windowsOnly(os, hivePathsOf(os)?.software, 'SOFTWARE hive'),
  [win10('/Windows/System32/config/SOFTWARE'), notWindows(/^\/dev\/sda2: not a Windows root: no SOFTWARE hive$/)],
);
export const getWindowsSystemHive = getter(
  'inspect-get-windows-system-hive',
  'string',
  'print the path of the Windows SYSTEM hive',
  `Print the guest path of a Windows root's SYSTEM hive (HKLM\\SYSTEM) as it is spelt on the disk
    (/Windows/System32/config/SYSTEM), for hivex-open; an error for other systems or when the file is
    not there.`,
  (os) => windowsOnly(os, hivePathsOf(os)?.system, 'SYSTEM hive'),
  [win10('/Windows/System32/config/SYSTEM'), notWindows(/^\/dev\/sda2: not a Windows root: no SYSTEM hive$/)],
);
export const getWindowsGroupPolicy = getter(
  'inspect-get-windows-group-policy',
  'bool',
  'print whether Group Policy Objects were applied to Windows',
  `Print true when the Windows root has had Group Policy Objects applied (a "{GUID}" subkey under the
    SOFTWARE hive's Microsoft\\Windows\\CurrentVersion\\Group Policy\\History, as libguestfs 1.58
    tests it), false when not; an error for other systems.`,
  (os) => {
    if (os.name !== 'windows') throw new JootError('EINVAL', `${os.root}: not a Windows root: no group policy`);
    return os.windows_group_policy === true;
  },
  [win10('false'), notWindows(/^\/dev\/sda2: not a Windows root: no group policy$/)],
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
  // libguestfs 1.58's app2_class (antivirus, …) where application2 had its first spare field
  if (withArch) f.push([`${prefix}_class`, a.class ?? ''], ...[2, 3, 4].map((n): [string, string] => [`${prefix}_spare${n}`, '']));
  return f;
}

function applications(os: OperatingSystem): Application[] {
  if (!applicationsListed(os)) {
    throw new JootError('ESTATE', `${os.root}: -i inspects without listing applications: call umount-all, then inspect-os`);
  }
  if (os.applications_error) throw new JootError('EIO', `${os.root}: cannot list applications: ${os.applications_error}`);
  return os.applications ?? [];
}

export const listApplications = getter(
  'inspect-list-applications',
  'structs',
  'list the installed applications',
  `List the installed packages as guestfish prints its application structs: "[N] = {", then
    app_name, app_display_name, app_epoch, app_version, app_release, app_install_path,
    app_trans_path, app_publisher, app_url, app_source_package, app_summary and app_description,
    one "field: value" per line, then "}".`,
  (os) => applications(os).map((a) => appFields(a, 'app', false)),
  [
    sample(
      /^\[0\] = \{\n {2}app_name: apt\n {2}app_display_name: \n {2}app_epoch: 0\n {2}app_version: 2\.6\.1\n {2}app_release: \n {2}app_install_path: \n/,
    ),
  ],
);

export const listApplications2 = getter(
  'inspect-list-applications2',
  'structs',
  'list the installed applications with their architecture',
  `Like inspect-list-applications, with guestfish's application2 fields: app2_name, …, app2_release,
    app2_arch, app2_install_path, …, app2_description, app2_class (antivirus for Windows antivirus
    software, as libguestfs 1.58 classifies it; empty otherwise) and app2_spare2 to app2_spare4.`,
  (os) => applications(os).map((a) => appFields(a, 'app2', true)),
  [
    sample(
      /^\[0\] = \{\n {2}app2_name: apt\n {2}app2_display_name: \n {2}app2_epoch: 0\n {2}app2_version: 2\.6\.1\n {2}app2_release: \n {2}app2_arch: amd64\n/,
    ),
    win10(/^\[0\] = \{\n {2}app2_name: 7-Zip\n(.*\n)* {2}app2_class: \n {2}app2_spare2: \n {2}app2_spare3: \n {2}app2_spare4: \n\}\n/),
  ],
);

export const records = [
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
  getProductVariant,
  getBuildId,
  getWindowsSystemroot,
  getWindowsCurrentControlSet,
  getWindowsSoftwareHive,
  getWindowsSystemHive,
  getWindowsGroupPolicy,
  getDriveMappings,
] as const;
