// LVM: physical volumes, volume groups and logical volumes found in the guest's disks.
import { JootError } from '../../core/errors.js';
import { defineCommand } from '../record.js';
import { parseSize } from '../../core/numbers.js';
import { structList } from '../structs.js';

export const pvs = defineCommand({
  name: 'pvs',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the LVM physical volumes',
  description: `List the devices that hold LVM physical volumes, one per line (/dev/sda2).`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.pvs());
  },
});

export const vgs = defineCommand({
  name: 'vgs',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the LVM volume groups',
  description: `List the names of the guest's LVM volume groups, one per line (vg0). They are never
    activated in the host's LVM.`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.vgs());
  },
});

export const lvs = defineCommand({
  name: 'lvs',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the LVM logical volumes',
  description: `List the guest's LVM logical volumes by device name, one per line (/dev/vg0/root).`,
  async run(ctx) {
    await ctx.out.lines(ctx.session.lvs());
  },
});

export const pvsFull = defineCommand({
  name: 'pvs-full',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the physical volumes with their details',
  description: `List the physical volumes as structs: pv_name, pv_uuid, vg_name and pv_size (bytes).`,
  async run(ctx) {
    await ctx.out.lines(
      structList(
        ctx.session.pvsFull().map((p) => [
          ['pv_name', p.name],
          ['pv_uuid', p.uuid],
          ['vg_name', p.vg],
          ['pv_size', p.size],
        ]),
      ),
    );
  },
});

export const vgsFull = defineCommand({
  name: 'vgs-full',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the volume groups with their details',
  description: `List the volume groups as structs: vg_name, vg_uuid, vg_extent_size (bytes), and the
    PVs and LVs in each (comma-separated).`,
  async run(ctx) {
    await ctx.out.lines(
      structList(
        ctx.session.vgsFull().map((v) => [
          ['vg_name', v.name],
          ['vg_uuid', v.uuid],
          ['vg_extent_size', v.extentSize],
          ['vg_pvs', v.pvs.join(',')],
          ['vg_lvs', v.lvs.join(',')],
        ]),
      ),
    );
  },
});

export const lvsFull = defineCommand({
  name: 'lvs-full',
  group: 'lvm',
  args: [],
  needsLaunch: true,
  summary: 'list the logical volumes with their details',
  description: `List the logical volumes as structs: lv_name (/dev/VG/LV), lv_uuid, vg_name, lv_size
    (bytes), the segment type, and why an LV cannot be opened on this host (empty when it can).`,
  async run(ctx) {
    await ctx.out.lines(
      structList(
        ctx.session.lvsFull().map((l) => [
          ['lv_name', l.name],
          ['lv_uuid', l.uuid],
          ['vg_name', l.vg],
          ['lv_size', l.size],
          ['lv_segtype', l.segtype],
          ['lv_unavailable', l.unavailable ?? ''],
        ]),
      ),
    );
  },
});

export const pvcreate = defineCommand({
  name: 'pvcreate',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  needsLaunch: true,
  summary: 'make a device an LVM physical volume',
  description: `Write an LVM physical volume label on a partition or whole disk (what was on it is lost).
    The host's LVM never sees it: the lvm tools run scoped to this session's devices.`,
  async run(ctx, [dev]) {
    await ctx.session.layout.pvcreate(dev);
  },
});

export const vgcreate = defineCommand({
  name: 'vgcreate',
  group: 'lvm',
  args: [
    { name: 'volgroup', type: 'string' },
    { name: 'physvols', type: 'device', variadic: true },
  ],
  needsLaunch: true,
  summary: 'create a volume group from physical volumes',
  description: `Create volume group volgroup on the given physical volumes (made with pvcreate).`,
  async run(ctx, [vg, pvs]) {
    if (pvs.length === 0) throw new JootError('EINVAL', 'give at least one physical volume');
    await ctx.session.layout.vgcreate(vg, pvs);
  },
});

export const lvcreate = defineCommand({
  name: 'lvcreate',
  group: 'lvm',
  args: [
    { name: 'logvol', type: 'string' },
    { name: 'volgroup', type: 'string' },
    { name: 'size', type: 'string' },
  ],
  needsLaunch: true,
  summary: 'create a logical volume',
  description: `Create a linear logical volume logvol in volgroup. A plain number is megabytes, as in
    guestfish (lvcreate LV VG 100); with a suffix it is a size (512M, 2G). It is usable at once
    (/dev/VG/LV): on hosts without device-mapper through a loop device over its extents.`,
  async run(ctx, [lv, vg, size]) {
    const bytes = /^\d+$/.test(size) ? Number(size) * 1024 * 1024 : parseSize(size, 'size');
    await ctx.session.layout.lvcreate(lv, vg, { bytes });
  },
});

export const lvcreateFree = defineCommand({
  name: 'lvcreate-free',
  group: 'lvm',
  args: [
    { name: 'logvol', type: 'string' },
    { name: 'volgroup', type: 'string' },
    { name: 'percent', type: 'int' },
  ],
  needsLaunch: true,
  summary: 'create a logical volume from a share of the free space',
  description: `Create a linear logical volume using percent (1 to 100) of the free space in volgroup.`,
  async run(ctx, [lv, vg, pct]) {
    await ctx.session.layout.lvcreate(lv, vg, { percentFree: pct });
  },
});

export const lvremove = defineCommand({
  name: 'lvremove',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  needsLaunch: true,
  summary: 'remove a logical volume',
  description: `Remove the logical volume /dev/VG/LV (its data is lost). Refused while it is mounted.`,
  async run(ctx, [dev]) {
    await ctx.session.layout.lvremove(dev);
  },
});

export const vgremove = defineCommand({
  name: 'vgremove',
  group: 'lvm',
  args: [{ name: 'vgname', type: 'string' }],
  needsLaunch: true,
  summary: 'remove a volume group and its logical volumes',
  description: `Remove the volume group and every logical volume in it. Refused while any of them is
    mounted.`,
  async run(ctx, [vg]) {
    await ctx.session.layout.vgremove(vg);
  },
});

export const pvremove = defineCommand({
  name: 'pvremove',
  group: 'lvm',
  args: [{ name: 'device', type: 'device' }],
  needsLaunch: true,
  summary: 'remove the physical volume label from a device',
  description: `Wipe the LVM physical volume label from a device. Remove its volume group first.`,
  async run(ctx, [dev]) {
    await ctx.session.layout.pvremove(dev);
  },
});

export const commands = [
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
];

/** Converted to operation records (defineOp) move here from `commands`. */
export const records = [] as const;
