// guestfish's LVM commands beyond create/remove/list: resizing and renaming (run in
// appliance/layout/lvm-extra.ts), removing everything, and the UUID and name queries, which
// are answered from the volumes the session found (both engines).
import { JootError } from '../../core/errors.js';
import { LvmExtra } from '../../appliance/layout/lvm-extra.js';
import { defineOp, type OpTest, type OpContext } from '../op.js';

const lvmx = (ctx: OpContext) => new LvmExtra(ctx.session.layout);

/** The LVM UUID shape lvm prints (32 characters in groups 6-4-4-4-4-4-6). */
const LVM_UUID = /^[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}\n?$/;

/** The setup of libguestfs's InitNone LVM tests: one PV on the partition, VG "VG", LV "LV". */
const lvOf = (mb: string) => [
  ['pvcreate', '/dev/sda1'],
  ['vgcreate', 'VG', '/dev/sda1'],
  ['lvcreate', 'LV', 'VG', mb],
];

export const lvresize = defineOp({
  name: 'lvresize',
  group: 'lvm',
  args: [
    { name: 'device', type: 'device' },
    { name: 'mbytes', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'grow or shrink a logical volume',
  description: `Resize the logical volume /dev/VG/LV to mbytes megabytes. Shrinking loses what lies beyond
    (shrink the filesystem first); after growing, grow the filesystem (resize2fs…). Refused while
    it is mounted.`,
  async impl(ctx, [dev, mbytes]) {
    await lvmx(ctx).lvresize(dev, mbytes);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'part',
        setup: [
          ...lvOf('10'),
          ['mkfs', 'ext2', '/dev/VG/LV'],
          ['mount', '/dev/VG/LV', '/'],
          ['write', '/new', 'test content'],
          ['umount', '/'],
        ],
        args: ['/dev/VG/LV', '20'],
        check: { run: ['blockdev-getsize64', '/dev/VG/LV'], expect: '20971520' },
      },
      {
        from: 'libguestfs',
        disk: 'part',
        setup: lvOf('20'),
        args: ['/dev/VG/LV', '10'],
        // LVM rounds up to whole 4 MiB extents
        check: { run: ['blockdev-getsize64', '/dev/VG/LV'], expect: '12582912' },
        title: 'lvresize shrinks an LV (10 MB, rounded up to 12 by the 4 MiB extents)',
      },
      { disk: 'lvfs', args: ['/dev/VG/LV', '20'], error: /mounted/ },
    ];
  },
});

export const lvresizeFree = defineOp({
  name: 'lvresize-free',
  group: 'lvm',
  args: [
    { name: 'lv', type: 'device' },
    { name: 'percent', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'grow a logical volume into its VG’s free space',
  description: `Grow the logical volume by percent (1 to 100) of the free space left in its volume group:
    100 takes it all.`,
  async impl(ctx, [dev, percent]) {
    await lvmx(ctx).lvresizeFree(dev, percent);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'part',
        setup: lvOf('10'),
        args: ['/dev/VG/LV', '100'],
        check: { run: ['lvs-full'], expect: /lv_size: (9[0-9]|1[0-9]{2})\d{6}\n/ },
      },
      { disk: 'lv', args: ['/dev/VG/LV', '0'], error: /must be 1 to 100 percent/ },
    ];
  },
});

export const lvrename = defineOp({
  name: 'lvrename',
  group: 'lvm',
  args: [
    { name: 'logvol', type: 'string' },
    { name: 'newlogvol', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'rename a logical volume',
  description: `Rename the logical volume logvol (/dev/VG/LV) to newlogvol (/dev/VG/NEW, or just NEW), in
    the same volume group. Unlike guestfish, refused while it is mounted (umount it first): not for
    the host's sake but jfish's own, as the session finds every LV again after the change, which
    drops the LV mappings a mount holds.`,
  async impl(ctx, [from, to]) {
    await lvmx(ctx).lvrename(from, to);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['/dev/VG/LV', '/dev/VG/LV2'], check: { run: ['lvs'], expect: '/dev/VG/LV2' } },
      { disk: 'lv', args: ['/dev/VG/LV', 'LV3'], check: { run: ['lvs'], expect: '/dev/VG/LV3' } },
      { disk: 'lvfs', args: ['/dev/VG/LV', '/dev/VG/LV2'], error: /mounted/ },
      {
        disk: 'lvfs',
        setup: [['umount', '/']],
        args: ['/dev/VG/LV', '/dev/VG/LV2'],
        check: { run: ['lvs'], expect: '/dev/VG/LV2' },
        title: "libguestfs's rename, after umount",
      },
      { disk: 'lv', args: ['/dev/VG/LV', '/dev/OTHER/LV2'], error: /into another volume group/ },
    ];
  },
  untranslated: [
    `its test renames the LV while its filesystem is mounted: jfish refuses that on purpose (not for the
    host's sake: the session finds every LV again after the change, which drops the LV mappings a
    mount holds); the same rename after umount is tested here`,
  ],
});

export const vgrename = defineOp({
  name: 'vgrename',
  group: 'lvm',
  args: [
    { name: 'volgroup', type: 'string' },
    { name: 'newvolgroup', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'rename a volume group',
  description: `Rename the volume group volgroup to newvolgroup; its LVs become /dev/NEW/LV. Refused while
    any of them is mounted.`,
  async impl(ctx, [from, to]) {
    await lvmx(ctx).vgrename(from, to);
    ctx.session.vgRenamed(from, to);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        from: 'libguestfs',
        disk: 'lvfs',
        setup: [
          ['umount', '/', 'force:false', 'lazyunmount:false'],
          ['vg-activate', 'false', 'VG'],
        ],
        args: ['VG', 'VG2'],
        after: [
          ['vg-activate', 'true', 'VG2'],
          ['mount', '/dev/VG2/LV', '/'],
        ],
        check: { run: ['vgs'], expect: 'VG2' },
      },
      {
        disk: 'lvfs',
        setup: [
          ['umount', '/'],
          ['vg-activate', 'false', 'VG'],
        ],
        args: ['VG', 'VG2'],
        check: { run: ['mount', '/dev/VG2/LV', '/'], error: /\/dev\/VG2\/LV: the logical volume is not active/ },
        title: 'a deactivated VG stays deactivated under its new name',
      },
      { disk: 'lv', args: ['VG', 'VG2'], check: { run: ['lvs'], expect: '/dev/VG2/LV' } },
      { disk: 'lvfs', args: ['VG', 'VG2'], error: /mounted/ },
      { disk: 'lv', args: ['NOVG', 'VG2'], error: /NOVG: no such volume group/ },
    ];
  },
});

const activate = { name: 'activate', type: 'bool' } as const;

export const vgActivate = defineOp({
  name: 'vg-activate',
  group: 'lvm',
  args: [activate, { name: 'volgroups', type: 'string', variadic: true, list: true }],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'activate or deactivate some volume groups',
  description: `Activate (true) or deactivate (false) the volume groups named, every one when none is named.
    The LVs of a deactivated VG are still listed by lvs, but cannot be mounted or opened until their
    VG is activated again; deactivating a VG with a mounted LV is refused. jfish reads an LV from its
    extents and never activates it in the host's device-mapper, so this is the session's own state:
    nothing on the disk changes.`,
  async impl(ctx, [on, vgs]) {
    ctx.session.vgActivate(on, vgs ?? []);
    return undefined;
  },
  guestfishDiffers: "libguestfs has no test of vg_activate of its own (vgrename's test uses it: vgrename's record)",
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'lvfs',
        setup: [['umount', '/']],
        args: ['false', 'VG'],
        check: { run: ['mount', '/dev/VG/LV', '/'], error: /^\/dev\/VG\/LV: the logical volume is not active/ },
      },
      {
        disk: 'lvfs',
        setup: [
          ['umount', '/'],
          ['vg-activate', 'false', 'VG'],
        ],
        args: ['true', 'VG'],
        after: [['mount', '/dev/VG/LV', '/']],
        check: { run: ['mounts'], expect: '/dev/VG/LV' },
      },
      { disk: 'lvfs', setup: [['umount', '/']], args: ['false', 'VG'], check: { run: ['lvs'], expect: '/dev/VG/LV' } },
      { disk: 'lvfs', args: ['false', 'VG'], error: /^\/dev\/VG\/LV: in use: it is mounted/ },
      {
        disk: 'lvfs',
        setup: [['umount', '/']],
        args: ['false'],
        check: { run: ['mount', '/dev/VG/LV', '/'], error: /the logical volume is not active/ },
        title: 'vg-activate false with no VG named deactivates every VG',
      },
      { disk: 'lvfs', args: ['true', 'NOVG'], error: /^NOVG: no such volume group$/ },
      {
        disk: 'lvfs',
        readonly: true,
        engine: 'userspace',
        setup: [['umount', '/']],
        args: ['false', 'VG'],
        check: { run: ['mount-ro', '/dev/VG/LV', '/'], error: /^\/dev\/VG\/LV: the logical volume is not active/ },
        title: 'vg-activate false on the userspace engine',
      },
      {
        disk: 'lvfs',
        readonly: true,
        engine: 'userspace',
        setup: [
          ['umount', '/'],
          ['vg-activate', 'false', 'VG'],
        ],
        args: ['true', 'VG'],
        after: [['mount-ro', '/dev/VG/LV', '/']],
        check: { run: ['mounts'], expect: '/dev/VG/LV' },
        title: 'vg-activate true on the userspace engine',
      },
      {
        disk: 'lvfs',
        readonly: true,
        engine: 'userspace',
        args: ['false', 'VG'],
        error: /^\/dev\/VG\/LV: in use: it is mounted/,
        title: 'vg-activate false of a mounted LV on the userspace engine',
      },
    ];
  },
});

export const vgActivateAll = defineOp({
  name: 'vg-activate-all',
  group: 'lvm',
  args: [activate],
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'activate or deactivate every volume group',
  description: `vg-activate for every volume group of the session.`,
  async impl(ctx, [on]) {
    ctx.session.vgActivate(on, []);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of vg_activate_all',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'lvfs',
        setup: [['umount', '/']],
        args: ['false'],
        check: { run: ['mount', '/dev/VG/LV', '/'], error: /the logical volume is not active/ },
      },
      {
        disk: 'lvfs',
        setup: [
          ['umount', '/'],
          ['vg-activate-all', 'false'],
        ],
        args: ['true'],
        after: [['mount', '/dev/VG/LV', '/']],
        check: { run: ['mounts'], expect: '/dev/VG/LV' },
      },
    ];
  },
});

export const pvresize = defineOp({
  name: 'pvresize',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'fit a physical volume to its device',
  description: `Grow or shrink the LVM physical volume on a device to the device's size (after growing the
    partition).`,
  async impl(ctx, [dev]) {
    await lvmx(ctx).pvresize(dev);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['/dev/sda1'], check: { run: ['pvs'], expect: '/dev/sda1' } },
      { disk: 'fs', args: ['/dev/sda1'], error: /not a physical volume/ },
    ];
  },
});

export const pvresizeSize = defineOp({
  name: 'pvresize-size',
  group: 'lvm',
  args: [
    { name: 'device', type: 'device' },
    { name: 'size', type: 'int64' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'resize a physical volume to a size',
  description: `Resize the LVM physical volume on a device to size bytes.`,
  async impl(ctx, [dev, size]) {
    await lvmx(ctx).pvresize(dev, size);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [['pvcreate', '/dev/sda1']],
        args: ['/dev/sda1', '52428800'],
        check: { run: ['pvs-full'], expect: /pv_size: 52428800\n/ },
      },
    ];
  },
});

export const lvmRemoveAll = defineOp({
  name: 'lvm-remove-all',
  group: 'lvm',
  args: [],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove every LV, VG and PV',
  description: `Remove every logical volume, volume group and physical volume on the session's disks (their
    data is lost). Refused while any LV is mounted.`,
  async impl(ctx) {
    await lvmx(ctx).lvmRemoveAll();
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: [], check: { run: ['pvs'], expect: '' } },
      { disk: 'lvfs', args: [], error: /mounted/ },
    ];
  },
});

/** /dev/VG/LV, VG/LV or /dev/mapper/VG-LV (with -- for a - inside a name) → the LV, if it is one. */
function canonicalLv(ctx: OpContext, name: string): string | undefined {
  const lvs = ctx.session.lvsFull();
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(name);
  if (mapper) {
    // device-mapper doubles every - inside the VG and LV names and joins them with one -
    const esc = (s: string) => s.replaceAll('-', '--');
    return lvs.find((l) => `${esc(l.vg)}-${esc(l.lv)}` === mapper[1])?.name;
  }
  return lvs.find((l) => l.name === name || `${l.vg}/${l.lv}` === name)?.name;
}

export const isLv = defineOp({
  name: 'is-lv',
  group: 'lvm',
  args: [{ name: 'mountable', type: 'string' }],
  returns: 'bool',
  needsLaunch: true,
  writes: false,
  summary: 'test whether a device is a logical volume',
  description: `Print true when the device is an LVM logical volume (/dev/VG/LV or /dev/mapper/VG-LV), false
    otherwise.`,
  async impl(ctx, [name]) {
    return canonicalLv(ctx, name) !== undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'lvfs', args: ['/dev/VG/LV'], expect: 'true' },
      { from: 'libguestfs', disk: 'lvfs', args: ['/dev/sda1'], expect: 'false' },
      { disk: 'lvfs', args: ['/dev/mapper/VG-LV'], expect: 'true' },
    ];
  },
});

export const lvmCanonicalLvName = defineOp({
  name: 'lvm-canonical-lv-name',
  group: 'lvm',
  args: [{ name: 'lvname', type: 'string' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the /dev/VG/LV name of a logical volume',
  description: `Print the canonical name /dev/VG/LV of a logical volume given as /dev/mapper/VG-LV (or
    /dev/VG/LV). Fails when it is not a logical volume.`,
  async impl(ctx, [name]) {
    const lv = canonicalLv(ctx, name);
    if (!lv) throw new JootError('EINVAL', `${name}: not a logical volume`);
    return lv;
  },
  get tests(): readonly OpTest[] {
    return [
      { from: 'libguestfs', disk: 'lvfs', args: ['/dev/mapper/VG-LV'], expect: '/dev/VG/LV' },
      { from: 'libguestfs', disk: 'lvfs', args: ['/dev/VG/LV'], expect: '/dev/VG/LV' },
      { disk: 'lvfs', args: ['/dev/sda1'], error: /\/dev\/sda1: not a logical volume/ },
    ];
  },
});

export const lvuuid = defineOp({
  name: 'lvuuid',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the UUID of a logical volume',
  description: `Print the LVM UUID of the logical volume /dev/VG/LV, as lvm prints it.`,
  async impl(ctx, [dev]) {
    const name = canonicalLv(ctx, dev);
    const lv = ctx.session.lvsFull().find((l) => l.name === name);
    if (!lv) throw new JootError('EINVAL', `${dev}: not a logical volume`);
    return lv.uuid;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['/dev/VG/LV'], expect: LVM_UUID },
      { disk: 'lv', args: ['/dev/sda1'], error: /not a logical volume/ },
    ];
  },
});

export const vguuid = defineOp({
  name: 'vguuid',
  group: 'lvm',
  args: [{ name: 'vgname', type: 'string' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the UUID of a volume group',
  description: `Print the LVM UUID of the named volume group.`,
  async impl(ctx, [vg]) {
    const v = ctx.session.vgsFull().find((x) => x.name === vg);
    if (!v) throw new JootError('ENOENT', `${vg}: no such volume group`);
    return v.uuid;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['VG'], expect: LVM_UUID },
      { disk: 'lv', args: ['NOVG'], error: /NOVG: no such volume group/ },
    ];
  },
});

export const pvuuid = defineOp({
  name: 'pvuuid',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'string',
  needsLaunch: true,
  writes: false,
  summary: 'print the UUID of a physical volume',
  description: `Print the LVM UUID of the physical volume on a device.`,
  async impl(ctx, [dev]) {
    const p = ctx.session.pvsFull().find((x) => x.name === dev);
    if (!p) throw new JootError('EINVAL', `${dev}: not a physical volume`);
    return p.uuid;
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['/dev/sda1'], expect: LVM_UUID },
      { args: ['/dev/sda1'], error: /not a physical volume/ },
    ];
  },
});

export const vglvuuids = defineOp({
  name: 'vglvuuids',
  group: 'lvm',
  args: [{ name: 'vgname', type: 'string' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the UUIDs of the logical volumes of a volume group',
  description: `List the LVM UUIDs of the logical volumes of the named volume group, one per line (in the
    order lvs lists the LVs).`,
  async impl(ctx, [vg]) {
    if (!ctx.session.vgsFull().some((x) => x.name === vg)) throw new JootError('ENOENT', `${vg}: no such volume group`);
    return ctx.session
      .lvsFull()
      .filter((l) => l.vg === vg)
      .map((l) => l.uuid);
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['VG'], expect: LVM_UUID },
      {
        disk: 'lv',
        setup: [
          ['lvremove', '/dev/VG/LV'],
          ['lvcreate', 'A', 'VG', '8'],
          ['lvcreate', 'B', 'VG', '8'],
        ],
        args: ['VG'],
        expect: /^\S{38}\n\S{38}\n$/,
      },
    ];
  },
});

export const vgpvuuids = defineOp({
  name: 'vgpvuuids',
  group: 'lvm',
  args: [{ name: 'vgname', type: 'string' }],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the UUIDs of the physical volumes of a volume group',
  description: `List the LVM UUIDs of the physical volumes the named volume group lies on, one per line.`,
  async impl(ctx, [vg]) {
    const v = ctx.session.vgsFull().find((x) => x.name === vg);
    if (!v) throw new JootError('ENOENT', `${vg}: no such volume group`);
    const pvs = ctx.session.pvsFull();
    return v.pvs.map((dev) => pvs.find((p) => p.name === dev)?.uuid ?? '');
  },
  guestfishDiffers: 'libguestfs has no test of its own for this action',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['VG'], expect: LVM_UUID },
      { disk: 'lv', args: ['NOVG'], error: /no such volume group/ },
    ];
  },
});

export const records = [
  lvresize,
  lvresizeFree,
  lvrename,
  vgrename,
  vgActivate,
  vgActivateAll,
  pvresize,
  pvresizeSize,
  lvmRemoveAll,
  isLv,
  lvmCanonicalLvName,
  lvuuid,
  vguuid,
  pvuuid,
  vglvuuids,
  vgpvuuids,
] as const;
