// A btrfs over several devices is one filesystem: both engines list it once, on its first
// member in the session's order, and mount or read it through that name (its other members are
// found by the filesystem UUID they share). Members are told apart by blkid's UUID_SUB: two
// devices with the same UUID *and* the same UUID_SUB are clones of one single-device filesystem
// (two copies of one VM's disk), each a filesystem of its own.
import type { Probe } from '../types.js';

/** The names of devices that are a later member of a multi-device btrfs listed under an earlier one. */
export function laterBtrfsMembers(devices: readonly { name: string; probe: Probe }[]): Set<string> {
  const later = new Set<string>();
  const firstOf = new Map<string, Probe>();
  for (const d of devices) {
    const { type, uuid, uuidSub } = d.probe;
    if (type !== 'btrfs' || !uuid || !uuidSub) continue;
    const first = firstOf.get(uuid);
    if (!first) firstOf.set(uuid, d.probe);
    else if (first.uuidSub !== uuidSub) later.add(d.name);
  }
  return later;
}

/** The other members of the multi-device btrfs whose member's probe is `probe`, among `devices` (none for any other filesystem). */
export function btrfsSiblings<T extends { probe: Probe }>(probe: Probe, devices: readonly T[]): T[] {
  const { type, uuid, uuidSub } = probe;
  if (type !== 'btrfs' || !uuid || !uuidSub) return [];
  return devices.filter((d) => d.probe.type === 'btrfs' && d.probe.uuid === uuid && d.probe.uuidSub && d.probe.uuidSub !== uuidSub);
}
