// guestfish's questions about the library itself: version, and whether optional groups and
// filesystem types are available (src/ops/features.ts answers for this host and the session's
// engine).
import { JootError } from '../../core/errors.js';
import { version as jootVersion } from '../../core/version.js';
import { FEATURES, featureAvailable, featuresNamed, filesystemAvailable, realHost } from '../features.js';
import { defineOp, type OpContext, type OpTest, type StructFields } from '../op.js';

const groups = { name: 'groups', type: 'string', variadic: true, list: true } as const;

/** The named groups this session lacks; unknown names are an error. */
function missing(ctx: OpContext, names: readonly string[]): string[] {
  const { known, unknown } = featuresNamed(names);
  if (unknown.length) throw new JootError('EINVAL', `${unknown.join(', ')}: unknown group${unknown.length > 1 ? 's' : ''}`);
  const host = realHost();
  return known.filter((f) => !featureAvailable(f, ctx.session.engine, host)).map((f) => f.group);
}

/** major, minor, release and extra of a version string (0.1.0, 1.2.3-rc1). */
export function versionFields(v: string): StructFields {
  const m = /^(\d+)\.(\d+)\.(\d+)(.*)$/.exec(v);
  if (!m)
    return [
      ['major', 0],
      ['minor', 0],
      ['release', 0],
      ['extra', v],
    ];
  return [
    ['major', Number(m[1])],
    ['minor', Number(m[2])],
    ['release', Number(m[3])],
    ['extra', m[4]!],
  ];
}

export const version = defineOp({
  name: 'version',
  group: 'session',
  args: [],
  returns: 'struct',
  needsLaunch: false,
  writes: false,
  summary: "print joot's version number",
  description: `Print the version of joot as guestfish prints its version struct: major, minor, release and
    extra, one "field: value" line each. guestfish prints libguestfs's version; jfish prints
    joot's (the same as jfish --version), so a script cannot take jfish for a libguestfs build.`,
  async impl() {
    return versionFields(jootVersion());
  },
  guestfishDiffers: "jfish prints joot's version (0.x), not libguestfs's",
  untranslated: ["its test wants libguestfs's major version, 1: jfish prints joot's version (0.x)"],
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: [], expect: /^major: 0\nminor: \d+\nrelease: \d+\nextra: .*\n?$/, title: 'joot 0.x' }];
  },
});

export const available = defineOp({
  name: 'available',
  group: 'session',
  args: [groups],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'fail unless every named optional group is available',
  description: `Check that every optional group named is available: no output when they all are, an error
    naming those that are not. An unknown group name is an error too. The groups are guestfish's:
    ${FEATURES.map((f) => f.group).join(', ')}. A group is available when jfish has its commands
    and this host and the session's engine can run them: the kernel engine needs the host
    programs they run; the userspace engine (--ro) reads in-process and writes nothing, so groups
    whose commands only write (blkdiscard, fstrim, mknod, ntfsprogs, wipefs, zerofree) are not
    available there. supported lists jfish's own view of the host.`,
  async impl(ctx, [names]) {
    const lacking = missing(ctx, names);
    if (lacking.length) {
      throw new JootError('EUNSUPPORTED', `${lacking.join(', ')}: not available (with the ${ctx.session.engine} engine on this host)`);
    }
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'disk', args: [''] },
      { disk: 'disk', args: ['hivex luks'], title: 'groups jfish has on both engines' },
      { disk: 'disk', args: ['inotify'], error: /^inotify: not available \(with the kernel engine on this host\)$/ },
      { disk: 'iso', args: ['zerofree'], error: /^zerofree: not available \(with the userspace engine/ },
      { disk: 'disk', args: ['nosuch', 'hivex'], error: /^nosuch: unknown group$/ },
    ];
  },
});

export const featureAvailableOp = defineOp({
  name: 'feature-available',
  group: 'session',
  args: [groups],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'print whether every named optional group is available',
  description: `Print true when every optional group named is available, false when one is not: available
    as a true/false answer. An unknown group name is an error.`,
  async impl(ctx, [names]) {
    return missing(ctx, names).length === 0;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'disk', args: [''], expect: 'true' },
      { disk: 'disk', args: ['hivex', 'gdisk'], expect: 'true' },
      { disk: 'disk', args: ['hivex', 'journal'], expect: 'false' },
      { disk: 'iso', args: ['wipefs'], expect: 'false', title: 'a writing group on the userspace engine' },
      { disk: 'iso', args: ['lvm2'], expect: 'true', title: 'a reading group on the userspace engine' },
      { disk: 'disk', args: ['nosuch'], error: /^nosuch: unknown group$/ },
    ];
  },
});

export const filesystemAvailableOp = defineOp({
  name: 'filesystem-available',
  group: 'filesystems',
  args: [{ name: 'filesystem', type: 'string' }],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'print whether a filesystem type can be mounted',
  description: `Print true when filesystems of this type (ext4, xfs, vfat, ntfs, …, the kernel's names) can be
    mounted with the session's engine on this host, false when not. The kernel engine mounts what
    the host kernel has (/proc/filesystems, or a module it loads on the first mount), ntfs also
    through ntfs-3g and vfat through fusefat. The userspace engine reads ext2/3/4, xfs, btrfs,
    vfat, exfat, ntfs, iso9660 and squashfs in-process, and as root other types through the host
    kernel, read-only.`,
  async impl(ctx, [fstype]) {
    if (!/^[a-z0-9_.+-]+$/i.test(fstype)) throw new JootError('EINVAL', `${fstype}: not a filesystem type name`);
    const { FILESYSTEM_MODULES } = await import('../../disk/fs/index.js');
    const readerTypes = FILESYSTEM_MODULES.flatMap((m) => m.types);
    return filesystemAvailable(fstype, ctx.session.engine, realHost(), readerTypes, process.geteuid?.() === 0);
  },
  guestfishDiffers: 'libguestfs has no test for filesystem-available (it depends on the appliance kernel)',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'disk', args: ['ext2'], expect: 'true' },
      { disk: 'iso', args: ['iso9660'], expect: 'true', title: 'a type the userspace engine reads' },
      { disk: 'disk', args: ['nosuchfs'], expect: 'false' },
      { disk: 'disk', args: ['a/b'], error: /^a\/b: not a filesystem type name$/ },
    ];
  },
});

export const records = [version, available, featureAvailableOp, filesystemAvailableOp] as const;
