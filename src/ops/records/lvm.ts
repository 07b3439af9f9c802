// LVM: physical volumes, volume groups and logical volumes found in the guest's disks.
import { JootError } from '../../core/errors.js';
import { defineOp, type OpTest } from '../op.js';
import { parseSize } from '../../core/numbers.js';
import { THREE_PARTS, THREE_PVS, TWO_VGS, VG_TWO_LVS } from './gf-setup.js';

export const pvs = defineOp({
  name: 'pvs',
  group: 'lvm',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the LVM physical volumes',
  description: `List the devices that hold LVM physical volumes, one per line (/dev/sda2).`,
  async impl(ctx) {
    return ctx.session.pvs();
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: [], expect: '/dev/sda1' },
      { args: [], expect: '' },
      { from: 'libguestfs', disk: 'lvfs', args: [], expect: '/dev/sda1' },
      { from: 'libguestfs', disk: 'disk:2G', setup: THREE_PVS, args: [], expect: '/dev/sda1\n/dev/sda2\n/dev/sda3' },
    ];
  },
});

export const vgs = defineOp({
  name: 'vgs',
  group: 'lvm',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the LVM volume groups',
  description: `List the names of the guest's LVM volume groups, one per line (vg0). They are never
    activated in the host's LVM.`,
  async impl(ctx) {
    return ctx.session.vgs();
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: [], expect: 'VG' },
      { from: 'libguestfs', disk: 'lvfs', args: [], expect: 'VG' },
      { from: 'libguestfs', disk: 'disk:2G', setup: TWO_VGS, args: [], expect: 'VG1\nVG2' },
    ];
  },
});

export const lvs = defineOp({
  name: 'lvs',
  group: 'lvm',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the LVM logical volumes',
  description: `List the guest's LVM logical volumes by device name, one per line (/dev/vg0/root).`,
  async impl(ctx) {
    return ctx.session.lvs();
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: [], expect: '/dev/VG/LV' },
      { from: 'libguestfs', disk: 'lvfs', args: [], expect: '/dev/VG/LV' },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [...TWO_VGS, ['lvcreate', 'LV1', 'VG1', '50'], ['lvcreate', 'LV2', 'VG1', '50'], ['lvcreate', 'LV3', 'VG2', '50']],
        args: [],
        expect: '/dev/VG1/LV1\n/dev/VG1/LV2\n/dev/VG2/LV3',
      },
    ];
  },
});

export const pvsFull = defineOp({
  name: 'pvs-full',
  group: 'lvm',
  args: [],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the physical volumes with their details',
  description: `List the physical volumes as structs: pv_name, pv_uuid, vg_name and pv_size (bytes).`,
  async impl(ctx) {
    return ctx.session.pvsFull().map((p) => [
      ['pv_name', p.name],
      ['pv_uuid', p.uuid],
      ['vg_name', p.vg],
      ['pv_size', p.size],
    ]);
  },
  guestfishDiffers: 'libguestfs has no test of pvs_full',
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: [], expect: /^\[0\] = \{\n {2}pv_name: \/dev\/sda1\n {2}pv_uuid: \S+\n {2}vg_name: VG\n {2}pv_size: \d+\n\}\n$/ },
    ];
  },
});

export const vgsFull = defineOp({
  name: 'vgs-full',
  group: 'lvm',
  args: [],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the volume groups with their details',
  description: `List the volume groups as structs: vg_name, vg_uuid, vg_extent_size (bytes), and the
    PVs and LVs in each (comma-separated).`,
  async impl(ctx) {
    return ctx.session.vgsFull().map((v) => [
      ['vg_name', v.name],
      ['vg_uuid', v.uuid],
      ['vg_extent_size', v.extentSize],
      ['vg_pvs', v.pvs.join(',')],
      ['vg_lvs', v.lvs.join(',')],
    ]);
  },
  guestfishDiffers: 'libguestfs has no test of vgs_full',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'lv',
        args: [],
        expect:
          /^\[0\] = \{\n {2}vg_name: VG\n {2}vg_uuid: \S+\n {2}vg_extent_size: 4194304\n {2}vg_pvs: \/dev\/sda1\n {2}vg_lvs: \/dev\/VG\/LV\n\}\n$/,
      },
    ];
  },
});

export const lvsFull = defineOp({
  name: 'lvs-full',
  group: 'lvm',
  args: [],
  returns: 'structs',
  needsLaunch: true,
  writes: false,
  summary: 'list the logical volumes with their details',
  description: `List the logical volumes as structs: lv_name (/dev/VG/LV), lv_uuid, vg_name, lv_size
    (bytes), the segment type, and why an LV cannot be opened on this host (empty when it can).`,
  async impl(ctx) {
    return ctx.session.lvsFull().map((l) => [
      ['lv_name', l.name],
      ['lv_uuid', l.uuid],
      ['vg_name', l.vg],
      ['lv_size', l.size],
      ['lv_segtype', l.segtype],
      ['lv_unavailable', l.unavailable ?? ''],
    ]);
  },
  guestfishDiffers: 'libguestfs has no test of lvs_full',
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'lv',
        args: [],
        expect:
          /^\[0\] = \{\n {2}lv_name: \/dev\/VG\/LV\n {2}lv_uuid: \S+\n {2}vg_name: VG\n {2}lv_size: \d+\n {2}lv_segtype: linear\n {2}lv_unavailable: \n\}\n$/,
      },
    ];
  },
});

export const pvcreate = defineOp({
  name: 'pvcreate',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'make a device an LVM physical volume',
  description: `Write an LVM physical volume label on a partition or whole disk (what was on it is lost).
    The host's LVM never sees it: the lvm tools run scoped to this session's devices.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.pvcreate(dev);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', args: ['/dev/sda1'], check: { run: ['pvs'], expect: '/dev/sda1' } },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [...THREE_PARTS, ['pvcreate', '/dev/sda1'], ['pvcreate', '/dev/sda2']],
        args: ['/dev/sda3'],
        check: { run: ['pvs'], expect: '/dev/sda1\n/dev/sda2\n/dev/sda3' },
      },
    ];
  },
});

export const vgcreate = defineOp({
  name: 'vgcreate',
  group: 'lvm',
  args: [
    { name: 'volgroup', type: 'string' },
    { name: 'physvols', type: 'device', variadic: true, list: true },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a volume group from physical volumes',
  description: `Create volume group volgroup on the given physical volumes (made with pvcreate). They may be
    given as one word, as guestfish's list (vgcreate VG "/dev/sda1 /dev/sda2"), or as several.`,
  async impl(ctx, [vg, pvs]) {
    if (pvs.length === 0) throw new JootError('EINVAL', 'give at least one physical volume');
    await ctx.session.layout.vgcreate(vg, pvs);
    return undefined;
  },
  untranslated: [
    `its test that vgcreate VG1 "/foo/bar /dev/sda2" fails: jfish refuses /foo/bar (not a /dev/ name)
    when it parses the command, before anything runs, and the records' tests must parse`,
  ],
  get tests(): readonly OpTest[] {
    return [
      { disk: 'part', setup: [['pvcreate', '/dev/sda1']], args: ['vg0', '/dev/sda1'], check: { run: ['vgs'], expect: 'vg0' } },
      { disk: 'part', args: ['vg0'], error: /give at least one physical volume/ },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: THREE_PVS,
        args: ['VG1', '/dev/sda1 /dev/sda2'],
        after: [['vgcreate', 'VG2', '/dev/sda3']],
        check: { run: ['vgs'], expect: 'VG1\nVG2' },
      },
    ];
  },
});

export const lvcreate = defineOp({
  name: 'lvcreate',
  group: 'lvm',
  args: [
    { name: 'logvol', type: 'string' },
    { name: 'volgroup', type: 'string' },
    { name: 'size', type: 'string' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a logical volume',
  description: `Create a linear logical volume logvol in volgroup. A plain number is megabytes, as in
    guestfish (lvcreate LV VG 100); with a suffix it is a size (512M, 2G). It is usable at once
    (/dev/VG/LV): on hosts without device-mapper through a loop device over its extents.`,
  async impl(ctx, [lv, vg, size]) {
    const bytes = /^\d+$/.test(size) ? Number(size) * 1024 * 1024 : parseSize(size, 'size');
    await ctx.session.layout.lvcreate(lv, vg, { bytes });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'lv',
        setup: [['lvremove', '/dev/VG/LV']],
        args: ['small', 'VG', '8'],
        check: { run: ['blockdev-getsize64', '/dev/VG/small'], expect: '8388608' },
        title: 'lvcreate: a plain number is megabytes',
      },
      { disk: 'lv', args: ['big', 'VG', '1G'], error: /insufficient free space/ },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ...TWO_VGS,
          ['lvcreate', 'LV1', 'VG1', '50'],
          ['lvcreate', 'LV2', 'VG1', '50'],
          ['lvcreate', 'LV3', 'VG2', '50'],
          ['lvcreate', 'LV4', 'VG2', '50'],
        ],
        args: ['LV5', 'VG2', '50'],
        check: { run: ['lvs'], expect: '/dev/VG1/LV1\n/dev/VG1/LV2\n/dev/VG2/LV3\n/dev/VG2/LV4\n/dev/VG2/LV5' },
      },
    ];
  },
});

export const lvcreateFree = defineOp({
  name: 'lvcreate-free',
  group: 'lvm',
  args: [
    { name: 'logvol', type: 'string' },
    { name: 'volgroup', type: 'string' },
    { name: 'percent', type: 'int' },
  ],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'create a logical volume from a share of the free space',
  description: `Create a linear logical volume using percent (1 to 100) of the free space in volgroup.`,
  async impl(ctx, [lv, vg, pct]) {
    await ctx.session.layout.lvcreate(lv, vg, { percentFree: pct });
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      {
        disk: 'part',
        setup: [
          ['pvcreate', '/dev/sda1'],
          ['vgcreate', 'vg0', '/dev/sda1'],
        ],
        args: ['all', 'vg0', '100'],
        check: { run: ['lvs'], expect: '/dev/vg0/all' },
      },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: [
          ['part-disk', '/dev/sda', 'mbr'],
          ['pvcreate', '/dev/sda1'],
          ['vgcreate', 'VG', '/dev/sda1'],
          ['lvcreate-free', 'LV1', 'VG', '50'],
          ['lvcreate-free', 'LV2', 'VG', '50'],
          ['lvcreate-free', 'LV3', 'VG', '50'],
        ],
        args: ['LV4', 'VG', '100'],
        check: { run: ['lvs'], expect: '/dev/VG/LV1\n/dev/VG/LV2\n/dev/VG/LV3\n/dev/VG/LV4' },
      },
    ];
  },
});

export const lvremove = defineOp({
  name: 'lvremove',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a logical volume',
  description: `Remove the logical volume /dev/VG/LV (its data is lost), or, given a volume group /dev/VG,
    every logical volume in it (the volume group stays), as guestfish does. Refused while one of
    them is mounted.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.lvremove(dev);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['/dev/VG/LV'], check: { run: ['lvs'], expect: '' } },
      { disk: 'lvfs', args: ['/dev/VG/LV'], error: /mounted/, title: 'lvremove refused while the LV is mounted' },
      { from: 'libguestfs', disk: 'disk:2G', setup: VG_TWO_LVS, args: ['/dev/VG/LV1'], check: { run: ['lvs'], expect: '/dev/VG/LV2' } },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: VG_TWO_LVS,
        args: ['/dev/VG'],
        check: { run: ['lvs'], expect: '' },
        title: 'lvremove /dev/VG removes every LV of the VG',
      },
      {
        from: 'libguestfs',
        disk: 'disk:2G',
        setup: VG_TWO_LVS,
        args: ['/dev/VG'],
        check: { run: ['vgs'], expect: 'VG' },
        title: 'lvremove /dev/VG keeps the VG',
      },
      { disk: 'lvfs', args: ['/dev/VG'], error: /mounted/, title: 'lvremove of a VG refused while one of its LVs is mounted' },
      { disk: 'lv', args: ['/dev/NOVG'], error: /no such volume group or logical volume/ },
    ];
  },
});

export const vgremove = defineOp({
  name: 'vgremove',
  group: 'lvm',
  args: [{ name: 'vgname', type: 'string' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove a volume group and its logical volumes',
  description: `Remove the volume group and every logical volume in it. Refused while any of them is
    mounted.`,
  async impl(ctx, [vg]) {
    await ctx.session.layout.vgremove(vg);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', args: ['VG'], check: { run: ['vgs'], expect: '' } },
      ...['lvs', 'vgs'].map((list) => ({
        from: 'libguestfs' as const,
        disk: 'disk:2G',
        setup: VG_TWO_LVS,
        args: ['VG'],
        check: { run: [list], expect: '' },
        title: `vgremove VG, then ${list} lists nothing`,
      })),
    ];
  },
});

export const pvremove = defineOp({
  name: 'pvremove',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  returns: 'none',
  needsLaunch: true,
  writes: true,
  summary: 'remove the physical volume label from a device',
  description: `Wipe the LVM physical volume label from a device. Remove its volume group first.`,
  async impl(ctx, [dev]) {
    await ctx.session.layout.pvremove(dev);
    return undefined;
  },
  get tests(): readonly OpTest[] {
    return [
      { disk: 'lv', setup: [['vgremove', 'VG']], args: ['/dev/sda1'], check: { run: ['pvs'], expect: '' } },
      ...['lvs', 'vgs', 'pvs'].map((list) => ({
        from: 'libguestfs' as const,
        disk: 'disk:2G',
        setup: [...VG_TWO_LVS, ['vgremove', 'VG']],
        args: ['/dev/sda1'],
        check: { run: [list], expect: '' },
        title: `pvremove /dev/sda1, then ${list} lists nothing`,
      })),
    ];
  },
});

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [
  pvs,
  vgs,
  lvs,
  pvsFull,
  vgsFull,
  lvsFull,
  pvcreate,
  vgcreate,
  lvcreate,
  lvcreateFree,
  lvremove,
  vgremove,
  pvremove,
] as const;
