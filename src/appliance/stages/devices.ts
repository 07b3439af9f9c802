// Stage 2, devices: every block device the session knows by its canonical guest name (whole
// disks, partitions, LVs) and the host device behind it. An LV has a host device only while it
// is used (a loop over its PV range, or a device-mapper table), so guest metadata naming
// thousands of LVs never makes thousands of loop devices.
import { JootError } from '../../core/errors.js';
import { attachLoop } from '../attach/loop.js';
import { decodedVolumeReadOnly, exposeSource } from '../attach/userspace-export.js';
import { attachDmTable } from '../dm.js';
import type { Probe } from '../filesystems.js';
import type { LvPlan } from '../lvm.js';
import { diskName, normalizeDevice, noSuchDevice, partitionName } from '../names.js';
import { discoverPartitions, type HostPartition } from '../partitions.js';
import { stopHostArrays } from '../host-md.js';
import type { PartitionInfo } from '../types.js';
import type { Drive } from './drives.js';
import type { Workspace } from './workspace.js';

/** A block device the session knows, by canonical name. */
export interface BlockDev {
  canonical: string;
  host: string;
  kind: 'disk' | 'partition' | 'lv';
  readonly: boolean;
  probe: Probe;
  partition?: PartitionInfo;
  /** an md array or LUKS volume the userspace stack read (kind 'lv': a host device only while used) */
  virtualKind?: 'md' | 'luks';
  /** for an LV that cannot be opened here: why */
  unavailable?: string;
  /** an LV: how to expose it (its host device exists only while it is used) */
  lvPlan?: LvPlan;
  /** false until blkid has looked at it (LVs past MAX_LV_PROBES are probed when first used) */
  probed?: boolean;
  /** an LV the layout editor changed: keeps its host device until the LVs are rescanned */
  pinned?: boolean;
}

/**
 * Why `d` cannot be written although the session's drives can: a volume decoded in userspace
 * (an md array, a LUKS volume, an LV on them or needing device-mapper) on a host that lacks the
 * kernel facility to map it writable. Undefined for any other device, and in a read-only session
 * (where every device is refused as read-only already: writeRefusal).
 */
export function decodedRefusal(d: BlockDev, drivesReadonly: boolean): JootError | undefined {
  if (drivesReadonly || d.lvPlan?.kind !== 'userspace') return undefined;
  return decodedVolumeReadOnly(d.canonical, d.lvPlan.missing);
}

/** Why `d` cannot be written (a read-only drive, or decodedRefusal), or undefined: the one check of every write path. */
export function writeRefusal(d: BlockDev, drivesReadonly: boolean): JootError | undefined {
  const decoded = decodedRefusal(d, drivesReadonly);
  if (decoded) return decoded;
  if (d.readonly) return new JootError('EPERM', `${d.canonical}: the drive is read-only (--ro)`, { device: d.canonical });
  return undefined;
}

export class Devices {
  private readonly map = new Map<string, BlockDev>();

  /** `inUse`: whether something (a mount) still needs an LV's host device. */
  constructor(
    private readonly ws: Workspace,
    private readonly inUse: (d: BlockDev) => boolean,
  ) {}

  /** The device of a guest name (/dev/sda1, /dev/vda1, /dev/VG/LV…); ENOENT-like when unknown. */
  get(name: string): BlockDev {
    // exact first: /dev/mapper/luks-UUID is a name of its own, not VG-LV
    const d = this.map.get(name) ?? this.map.get(normalizeDevice(name));
    if (!d) throw noSuchDevice(name);
    return d;
  }

  /** By exact canonical name, or undefined. */
  find(canonical: string): BlockDev | undefined {
    return this.map.get(canonical);
  }

  names(): IterableIterator<string> {
    return this.map.keys();
  }

  all(): BlockDev[] {
    return [...this.map.values()];
  }

  set(d: BlockDev): void {
    this.map.set(d.canonical, d);
  }

  delete(canonical: string): void {
    this.map.delete(canonical);
  }

  addDisk(index: number, host: string, readonly: boolean): void {
    const name = diskName(index);
    this.set({ canonical: name, host, kind: 'disk', readonly, probe: {} });
  }

  /** Read drive `index`'s partition table (again), replacing the partitions known before. */
  async findPartitions(d: Drive, index: number): Promise<void> {
    const disk = diskName(index);
    for (const [k, dev] of this.map) if (dev.kind === 'partition' && dev.partition?.disk === disk) this.map.delete(k);
    const parts = await discoverPartitions(d.attached!.device, d.image!.virtualSize, d.path);
    // a stock host's udev may have assembled the guest's md arrays from them: not ours to keep
    await stopHostArrays(d.attached!.device);
    for (const p of parts) this.addPartition(p, index, d.readonly);
  }

  private addPartition(p: HostPartition, diskIndex: number, readonly: boolean): void {
    const name = partitionName(diskIndex, p.number);
    const info: PartitionInfo = {
      name,
      disk: diskName(diskIndex),
      number: p.number,
      start: p.start,
      size: p.size,
      scheme: p.scheme,
      type: p.type,
      uuid: p.uuid,
      label: p.label,
      extended: p.extended || undefined,
    };
    this.set({ canonical: name, host: p.device, kind: 'partition', readonly, probe: {}, partition: info });
  }

  /** Forget every LV, releasing the host devices they hold. */
  async dropLvs(): Promise<void> {
    for (const [k, d] of this.map) {
      if (d.kind !== 'lv') continue;
      await this.releaseLv(d);
      this.map.delete(k);
    }
  }

  // ---------------------------------------------------------------- names

  canonicalOf(host: string): string {
    for (const d of this.map.values()) if (d.host === host) return d.canonical;
    return host;
  }

  /** `text` with every host device name replaced by its guest name (longest first). */
  canonicalText(text: string): string {
    let out = text;
    const pairs = this.all()
      .filter((d) => d.host)
      .sort((a, b) => b.host.length - a.host.length);
    for (const d of pairs) out = out.split(d.host).join(d.canonical);
    return out;
  }

  // ---------------------------------------------------------------- LV host devices

  /** Give an LV its host device (a loop over its PV range, or a device-mapper table). */
  async attachLv(d: BlockDev): Promise<void> {
    if (d.host || d.kind !== 'lv') return;
    const plan = d.lvPlan;
    if (!plan || plan.kind === 'unavailable') throw new JootError('EUNSUPPORTED', d.unavailable ?? `${d.canonical}: cannot be opened`);
    if (plan.kind === 'userspace') {
      const name = d.canonical.replace(/^\/dev\//, '').replace(/[^A-Za-z0-9_.-]/g, '_');
      d.host = await exposeSource(plan.source, { tmpdir: this.ws.tmp, name, stack: this.ws.stack, missing: plan.missing });
    } else if (plan.kind === 'loop') {
      d.host = await attachLoop(plan.device, { readonly: d.readonly, offset: plan.offset, sizelimit: plan.size }, this.ws.stack);
    } else {
      const [vg, lv] = d.canonical.slice('/dev/'.length).split('/');
      d.host = await attachDmTable(`joot-${this.ws.launchedRecord.id}-${vg}-${lv}`, plan.table, d.readonly, this.ws.stack);
    }
  }

  /** Release an LV's host device unless a mount or the layout editor still uses it. */
  async releaseLvIfUnused(d: BlockDev): Promise<void> {
    if (!d.pinned && !this.inUse(d)) await this.releaseLv(d);
  }

  async releaseLv(d: BlockDev): Promise<void> {
    // a userspace export stays until the session closes (its parts go with the cleanup stack)
    if (d.kind !== 'lv' || !d.host || d.lvPlan?.kind === 'userspace') return;
    const host = d.host;
    d.host = '';
    if (host.startsWith('/dev/mapper/')) {
      const name = host.slice('/dev/mapper/'.length);
      await this.ws.stack.releaseOne((r) => r.kind === 'dm' && r.name === name);
    } else {
      await this.ws.stack.releaseOne((r) => r.kind === 'loop' && r.device === host);
    }
  }
}
