// LVM: physical volumes, volume groups and logical volumes found in the guest's disks.
import { defineCommand } from '../command.js';

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

export const commands = [pvs, vgs, lvs];
