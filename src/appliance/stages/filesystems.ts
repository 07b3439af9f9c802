// Stage 4, filesystems: what blkid finds on each device (one blkid for all the devices attached
// as themselves, LV ranges on their own), btrfs subvolumes (mounted by id, never by name), and
// the mountables: a device with a filesystem, or btrfsvol:DEVICE/SUBVOL.
import { probe } from '../../disk/probe/index.js';
import { btrfsSiblings, laterBtrfsMembers } from '../../disk/probe/multi-device.js';
import { join } from 'node:path';
import { JootError } from '../../core/errors.js';
import { listBtrfsSubvolumes, mapLimit, type ProbeRange, probeDevice, probeDevices } from '../filesystems.js';
import { parseBtrfsvol } from '../names.js';
import type { FilesystemInfo } from '../types.js';
import type { BlockDev, Devices } from './devices.js';
import type { Workspace } from './workspace.js';

export interface Mountable {
  dev: BlockDev;
  subvol?: string;
  subvolid?: number;
}

export class Filesystems {
  /** canonical btrfs device → subvolume path → subvolume id */
  readonly subvolumes = new Map<string, Map<string, number>>();

  constructor(
    private readonly ws: Workspace,
    private readonly devices: Devices,
  ) {}

  /** Probe the devices: one blkid for all attached ones when it answers each (probeDevices), LV ranges on their own. */
  async probe(devs: BlockDev[]): Promise<void> {
    const usable = devs.filter((d) => !d.partition?.extended && !d.unavailable);
    // devices attached as themselves: one blkid for all of them where it can (probeDevices)
    const direct = usable.filter((d) => d.kind !== 'lv' || d.host !== '');
    const found = await probeDevices(direct.map((d) => d.host));
    for (const d of direct) {
      d.probe = found.get(d.host) ?? {};
      d.probed = true;
    }
    await mapLimit(
      usable.filter((d) => !direct.includes(d)),
      4,
      (d) => this.probeOne(d),
    );
  }

  private async probeOne(d: BlockDev): Promise<void> {
    if (d.lvPlan?.kind === 'userspace') {
      // read in userspace: probed there, without exposing it
      d.probe = await probe(d.lvPlan.source);
    } else if (d.kind === 'lv' && !d.host) {
      // a linear LV is a byte range of its PV: blkid looks there, no device needed
      if (d.lvPlan?.kind === 'loop') {
        const range: ProbeRange = { offset: d.lvPlan.offset, size: d.lvPlan.size };
        d.probe = await probeDevice(d.lvPlan.device, range);
      } else {
        // device-mapper: attach just for the probe
        await this.devices.attachLv(d);
        try {
          d.probe = await probeDevice(d.host);
        } finally {
          await this.devices.releaseLv(d);
        }
      }
    } else {
      d.probe = await probeDevice(d.host);
    }
    d.probed = true;
  }

  /** An LV past the launch-time probe cap: probe it now. */
  async ensureProbed(d: BlockDev): Promise<void> {
    if (d.kind === 'lv' && !d.probed && !d.unavailable) await this.probeOne(d);
  }

  /**
   * List the subvolumes of every btrfs (again): one mount per filesystem, a multi-device one
   * through its first member with the others named (device=); every member gets the answer.
   */
  async findSubvolumes(): Promise<void> {
    this.subvolumes.clear();
    const btrfs = this.devices.all().filter((d) => d.probe.type === 'btrfs');
    const done = new Set<BlockDev>();
    const groups: BlockDev[][] = [];
    for (const d of btrfs) {
      if (done.has(d)) continue;
      const members = [d, ...this.btrfsSiblings(d)];
      for (const m of members) done.add(m);
      groups.push(members);
    }
    await settleAll(
      groups.map(async ([d, ...others], i) => {
        await this.devices.attachLv(d!);
        try {
          const found = await listBtrfsSubvolumes(
            d!.host,
            join(this.ws.tmp, `btrfs${i}`),
            d!.canonical,
            others.map((o) => o.host),
          );
          for (const m of [d!, ...others]) this.subvolumes.set(m.canonical, found);
        } finally {
          await this.devices.releaseLvIfUnused(d!);
        }
      }),
    );
  }

  /**
   * The other members of the multi-device btrfs on `d` that have a host device (a disk, a
   * partition, an md array or LUKS volume): what its mount names with device=.
   */
  btrfsSiblings(d: BlockDev): BlockDev[] {
    return btrfsSiblings(
      d.probe,
      this.devices.all().filter((x) => x !== d && x.host && !x.unavailable),
    );
  }

  /** A mountable: a device with a filesystem, or btrfsvol:DEVICE/SUBVOL. */
  mountable(name: string): Mountable {
    const bv = parseBtrfsvol(name, this.devices.names());
    if (bv) {
      const dev = this.devices.get(bv.device);
      const id = this.subvolumes.get(dev.canonical)?.get(bv.subvol);
      if (id === undefined) throw new JootError('ENOENT', `${name}: no such btrfs subvolume`);
      return { dev, subvol: bv.subvol, subvolid: id };
    }
    const dev = this.devices.get(name);
    if (dev.unavailable) throw new JootError('EUNSUPPORTED', dev.unavailable);
    return { dev };
  }

  /**
   * The filesystems of the disks (in drive order, then by partition number), then of the LVs; a
   * btrfs over several devices once, on the first of them.
   */
  list(disks: string[]): FilesystemInfo[] {
    const out: FilesystemInfo[] = [];
    const add = (d: BlockDev) => {
      const type = d.unavailable ? 'unknown' : (d.probe.type ?? 'unknown');
      out.push({ name: d.canonical, type, label: d.probe.label, uuid: d.probe.uuid });
      for (const sv of this.subvolumes.get(d.canonical)?.keys() ?? []) {
        out.push({ name: `btrfsvol:${d.canonical}/${sv}`, type: 'btrfs', label: d.probe.label, uuid: d.probe.uuid });
      }
    };
    const listed: BlockDev[] = [];
    const all = this.devices.all();
    for (const disk of disks.map((n) => this.devices.find(n)!)) {
      const parts = all.filter((d) => d.partition?.disk === disk.canonical).sort((a, b) => a.partition!.number - b.partition!.number);
      // a whole disk is a filesystem only when it has no partition table
      if (parts.length === 0 && !disk.probe.ptType && !isContainer(disk.probe.type)) listed.push(disk);
      for (const p of parts) {
        if (p.partition!.extended || isContainer(p.probe.type) || p.probe.ptType) continue;
        listed.push(p);
      }
    }
    // then md arrays, LUKS volumes and LVs, as the userspace engine lists them
    const lvs = all.filter((d) => d.kind === 'lv' && !isContainer(d.probe.type));
    for (const k of ['md', 'luks', undefined]) listed.push(...lvs.filter((x) => x.virtualKind === k));
    // a multi-device btrfs once, under its first member
    const later = laterBtrfsMembers(listed.map((d) => ({ name: d.canonical, probe: d.probe })));
    for (const d of listed) if (!later.has(d.canonical)) add(d);
    return out;
  }

  /** `id:path` of every subvolume found (what the layout editor may trust). */
  verifiedSubvolumes(): Set<string> {
    return new Set([...this.subvolumes.values()].flatMap((m) => [...m].map(([path, id]) => `${id}:${path}`)));
  }
}

/**
 * What holds volumes rather than files — LVM PVs, md RAID members, LUKS volumes — is not a
 * filesystem: libguestfs's list-filesystems leaves them out, and so do both engines.
 */
export function isContainer(type: string | undefined): boolean {
  return type === 'LVM2_member' || type === 'linux_raid_member' || type === 'crypto_LUKS';
}

/** Like Promise.all, but waits for every branch before throwing (so cleanup sees all). */
export async function settleAll(ps: Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) {
    // prefer a specific error over a generic one when several drives failed
    const specific = rs.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof JootError && r.reason.code !== 'ECMD',
    );
    throw (specific ?? bad).reason;
  }
}
