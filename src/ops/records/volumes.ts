// md RAID arrays and LUKS volumes: listed, described, opened and closed by their guest names
// (/dev/md127, /dev/mapper/NAME). Read in userspace by either engine's stack; opening a LUKS
// volume never needs the host's device-mapper.
import { defineOp, type OpTest } from '../op.js';

export const listMdDevices = defineOp({
  name: 'list-md-devices',
  group: 'devices',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the md RAID arrays',
  description: `List the Linux software RAID (md) arrays assembled from the members found on the disks,
    as the guest names them (/dev/md127, …), one per line. Degraded arrays are listed too.`,
  async impl(ctx) {
    return ctx.session.listMdDevices();
  },
  guestfishDiffers: 'libguestfs has no test of list_md_devices',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: [], expect: '' }];
  },
});

export const mdDetail = defineOp({
  name: 'md-detail',
  group: 'devices',
  args: [{ name: 'md', type: 'device' }] as const,
  returns: 'hash',
  needsLaunch: true,
  writes: false,
  summary: 'describe an md RAID array',
  description: `Print what mdadm --detail --export says of an array, as "key: value" lines without the MD_
    prefix, in lower case: level, devices, metadata, uuid, name.`,
  async impl(ctx, [md]) {
    return ctx.session.mdDetail(md);
  },
  guestfishDiffers: 'libguestfs has no test of md_detail',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/sda'], error: /^\/dev\/sda: not an md device$/ }];
  },
});

export const listDmDevices = defineOp({
  name: 'list-dm-devices',
  group: 'devices',
  args: [],
  returns: 'strings',
  needsLaunch: true,
  writes: false,
  summary: 'list the opened LUKS volumes',
  description: `List the device-mapper devices of the session that are not logical volumes: the LUKS volumes
    opened with luks-open (or with --key at launch), as /dev/mapper/NAME, one per line, sorted.`,
  async impl(ctx) {
    return ctx.session.listDmDevices();
  },
  guestfishDiffers: 'libguestfs has no test of list_dm_devices',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: [], expect: '' }];
  },
});

export const luksOpen = defineOp({
  name: 'luks-open',
  group: 'devices',
  args: [
    { name: 'device', type: 'device' },
    { name: 'key', type: 'key' },
    { name: 'mapname', type: 'string' },
  ] as const,
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'open a LUKS encrypted volume',
  description: `Open the LUKS (1 or 2) volume on device with a passphrase, as /dev/mapper/mapname, read-only.
    What it holds (a filesystem, LVM physical volumes) is found at once: list-filesystems and lvs
    show it. jfish asks for the passphrase on the terminal, or reads one line of stdin with
    --keys-from-stdin; it is never a word of the command.`,
  async impl(ctx, [device, key, mapname]) {
    await ctx.session.luksOpen(device, Buffer.from(key, 'utf8'), mapname);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of luks_open',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/sda', 'name'], error: /not a LUKS device|no passphrase can be asked for here/ }];
  },
});

export const luksClose = defineOp({
  name: 'luks-close',
  group: 'devices',
  args: [{ name: 'device', type: 'device' }] as const,
  returns: 'none',
  needsLaunch: true,
  writes: false,
  summary: 'close a LUKS volume opened with luks-open',
  description: `Close /dev/mapper/NAME. Refused while LVM volumes or an array found on it are in use.`,
  async impl(ctx, [device]) {
    await ctx.session.luksClose(device);
    return undefined;
  },
  guestfishDiffers: 'libguestfs has no test of luks_close',
  get tests(): readonly OpTest[] {
    return [{ disk: 'disk', args: ['/dev/mapper/nothing'], error: /no such opened LUKS volume/ }];
  },
});

export const records = [listMdDevices, mdDetail, listDmDevices, luksOpen, luksClose] as const;
