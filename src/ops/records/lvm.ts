// LVM: physical volumes, volume groups and logical volumes found in the guest's disks.
import { JootError } from '../../core/errors.js';
import { defineOp } from '../op.js';
import { parseSize } from '../../core/numbers.js';

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
  tests: [
    { disk: 'lv', args: [], expect: '/dev/sda1' },
    { args: [], expect: '' },
  ],
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
  tests: [{ disk: 'lv', args: [], expect: 'VG' }],
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
  tests: [{ disk: 'lv', args: [], expect: '/dev/VG/LV' }],
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
  tests: [
    { disk: 'lv', args: [], expect: /^\[0\] = \{\n {2}pv_name: \/dev\/sda1\n {2}pv_uuid: \S+\n {2}vg_name: VG\n {2}pv_size: \d+\n\}\n$/ },
  ],
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
  tests: [
    {
      disk: 'lv',
      args: [],
      expect:
        /^\[0\] = \{\n {2}vg_name: VG\n {2}vg_uuid: \S+\n {2}vg_extent_size: 4194304\n {2}vg_pvs: \/dev\/sda1\n {2}vg_lvs: \/dev\/VG\/LV\n\}\n$/,
    },
  ],
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
  tests: [
    {
      disk: 'lv',
      args: [],
      expect:
        /^\[0\] = \{\n {2}lv_name: \/dev\/VG\/LV\n {2}lv_uuid: \S+\n {2}vg_name: VG\n {2}lv_size: \d+\n {2}lv_segtype: linear\n {2}lv_unavailable: \n\}\n$/,
    },
  ],
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
  tests: [{ disk: 'part', args: ['/dev/sda1'], check: { run: ['pvs'], expect: '/dev/sda1' } }],
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
  tests: [
    { disk: 'part', setup: [['pvcreate', '/dev/sda1']], args: ['vg0', '/dev/sda1'], check: { run: ['vgs'], expect: 'vg0' } },
    { disk: 'part', args: ['vg0'], error: /give at least one physical volume/ },
    {
      disk: 'disk',
      setup: [
        ['part-init', '/dev/sda', 'mbr'],
        ['part-add', '/dev/sda', 'p', '64', '65535'],
        ['part-add', '/dev/sda', 'p', '65536', '131071'],
        ['part-add', '/dev/sda', 'p', '131072', '-64'],
        ['pvcreate', '/dev/sda1'],
        ['pvcreate', '/dev/sda2'],
        ['pvcreate', '/dev/sda3'],
        ['vgcreate', 'VG2', '/dev/sda3'],
      ],
      args: ['VG1', '/dev/sda1 /dev/sda2'],
      check: { run: ['vgs'], expect: 'VG1\nVG2' },
      title: 'a list of physical volumes in one word is split on blanks, as guestfish splits it',
      from: 'libguestfs',
    },
  ],
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
  tests: [
    {
      disk: 'lv',
      setup: [['lvremove', '/dev/VG/LV']],
      args: ['small', 'VG', '8'],
      check: { run: ['blockdev-getsize64', '/dev/VG/small'], expect: '8388608' },
      title: 'lvcreate: a plain number is megabytes',
    },
    { disk: 'lv', args: ['big', 'VG', '1G'], error: /insufficient free space/ },
  ],
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
  tests: [
    {
      disk: 'part',
      setup: [
        ['pvcreate', '/dev/sda1'],
        ['vgcreate', 'vg0', '/dev/sda1'],
      ],
      args: ['all', 'vg0', '100'],
      check: { run: ['lvs'], expect: '/dev/vg0/all' },
    },
  ],
});

/** A VG with two LVs on an empty disk, as libguestfs's lvremove tests make it. */
const TWO_LVS = [
  ['part-disk', '/dev/sda', 'mbr'],
  ['pvcreate', '/dev/sda1'],
  ['vgcreate', 'VG', '/dev/sda1'],
  ['lvcreate', 'LV1', 'VG', '8'],
  ['lvcreate', 'LV2', 'VG', '8'],
];

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
  tests: [
    { disk: 'lv', args: ['/dev/VG/LV'], check: { run: ['lvs'], expect: '' } },
    { disk: 'lvfs', args: ['/dev/VG/LV'], error: /mounted/, title: 'lvremove refused while the LV is mounted' },
    { disk: 'disk', setup: TWO_LVS, args: ['/dev/VG/LV1'], check: { run: ['lvs'], expect: '/dev/VG/LV2' }, from: 'libguestfs' },
    { disk: 'disk', setup: TWO_LVS, args: ['/dev/VG'], check: { run: ['lvs'], expect: '' }, from: 'libguestfs' },
    { disk: 'disk', setup: TWO_LVS, args: ['/dev/VG'], check: { run: ['vgs'], expect: 'VG' }, from: 'libguestfs' },
    { disk: 'lvfs', args: ['/dev/VG'], error: /mounted/, title: 'lvremove of a VG refused while one of its LVs is mounted' },
    { disk: 'lv', args: ['/dev/NOVG'], error: /no such volume group or logical volume/ },
  ],
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
  tests: [{ disk: 'lv', args: ['VG'], check: { run: ['vgs'], expect: '' } }],
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
  tests: [{ disk: 'lv', setup: [['vgremove', 'VG']], args: ['/dev/sda1'], check: { run: ['pvs'], expect: '' } }],
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
