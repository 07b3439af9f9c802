// The session's LUKS volumes, for fstab/crypttab resolution: list-filesystems leaves them out
// (they hold volumes, not files), so the devices it leaves out (partitions, LVs, md arrays, whole
// disks) are probed here; each is a blkid probe the session caches. Opened volumes are those the
// session mapped as /dev/mapper/luks-UUID (--key, --keys-from-stdin), as libguestfs names them.
import type { Session } from '../appliance/session.js';
import type { LuksVolume } from './crypttab.js';

/** Devices probed at most (a guest with thousands of LVs is not probed past this). */
const MAX_PROBES = 256;

export async function luksVolumes(session: Session): Promise<LuksVolume[]> {
  const listed = new Set(session.filesystems().map((f) => f.name));
  const candidates = [
    ...session.listDevices(),
    ...session.partitions().map((p) => p.name),
    ...session.listMdDevices(),
    ...session.lvsFull().map((l) => l.name),
  ].filter((d) => !listed.has(d));
  const dm = new Set(session.listDmDevices());
  const out: LuksVolume[] = [];
  for (const device of candidates.slice(0, MAX_PROBES)) {
    if ((await session.vfsType(device).catch(() => '')) !== 'crypto_LUKS') continue;
    const uuid = await session.vfsUuid(device).catch(() => '');
    if (!uuid) continue;
    const mapped = `/dev/mapper/luks-${uuid}`;
    out.push(dm.has(mapped) ? { device, uuid, opened: mapped } : { device, uuid });
  }
  return out;
}
