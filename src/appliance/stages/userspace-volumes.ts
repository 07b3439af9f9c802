// Stage 3b of the kernel engine, on hosts without md or device-mapper (or where the kernel's
// tools cannot map a volume): md arrays, LUKS volumes and the LVs the host cannot open (striped,
// in several segments, on LUKS or md) are read by the userspace engine's stack over the same
// images, and each becomes a device of the session whose host block device — a read-only loop
// device over joot's own NBD export (attach/userspace-export.ts) — exists only once it is used.
// So even a root session on such a host mounts a filesystem inside a LUKS volume or an array;
// writing to one is refused, naming what the host lacks.
import { hostHasDeviceMapper } from '../lvm.js';
import type { DiskStack, StackDevice } from '../../disk/stack.js';
import type { LvInfo, PvInfo, VgInfo } from '../types.js';
import type { BlockDev, Devices } from './devices.js';
import type { Volumes } from './volumes.js';

const CONTAINERS = new Set(['linux_raid_member', 'crypto_LUKS']);

/** Whether the kernel engine needs the userspace stack for what it found. */
export function needsUserspaceVolumes(devices: Devices, volumes: Volumes): boolean {
  return devices.all().some((d) => CONTAINERS.has(d.probe.type ?? '')) || volumes.lvs.some((l) => l.unavailable && !hostHasDeviceMapper());
}

/**
 * Add what the stack read and the kernel engine could not: md arrays and LUKS volumes as new
 * devices, LVs the kernel found unavailable (or did not see, on LUKS or md) as readable ones,
 * and their PVs, VGs and LVs to the volume lists. Returns the devices added.
 */
export function adoptUserspaceVolumes(stack: DiskStack, devices: Devices, volumes: Volumes): BlockDev[] {
  {
    const added: BlockDev[] = [];
    const virtual = (s: StackDevice): BlockDev => ({
      canonical: s.canonical,
      host: '',
      kind: 'lv',
      virtualKind: s.kind === 'md' ? 'md' : s.kind === 'luks' ? 'luks' : undefined,
      readonly: true,
      probe: s.probe,
      probed: s.probed,
      lvPlan: s.source ? { kind: 'userspace', source: s.source, missing: s.kind === 'md' ? 'md' : 'device-mapper' } : undefined,
      unavailable: s.source ? undefined : s.unavailable,
    });
    for (const s of stack.all()) {
      if (s.kind !== 'md' && s.kind !== 'luks' && s.kind !== 'lv') continue;
      const known = devices.find(s.canonical);
      if (known && !known.unavailable) continue;
      if (known?.unavailable && !s.source) continue;
      const d = virtual(s);
      devices.set(d);
      added.push(d);
    }
    const has = <T extends { name: string }>(list: T[], x: T) => list.some((y) => y.name === x.name);
    volumes.pvs = [...volumes.pvs, ...stack.pvs.filter((p: PvInfo) => !has(volumes.pvs, p))];
    volumes.vgs = [...volumes.vgs, ...stack.vgs.filter((v: VgInfo) => !has(volumes.vgs, v))];
    const readable = new Set(added.filter((d) => d.lvPlan).map((d) => d.canonical));
    volumes.lvs = [
      ...volumes.lvs.map((l) => (l.unavailable && readable.has(l.name) ? withoutUnavailable(l) : l)),
      ...stack.lvs.filter((l: LvInfo) => !has(volumes.lvs, l)),
    ];
    return added;
  }
}

function withoutUnavailable(l: LvInfo): LvInfo {
  const { unavailable: _, ...rest } = l;
  return rest;
}
