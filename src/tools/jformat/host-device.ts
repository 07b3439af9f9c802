// Host block devices given to jformat: only with --force-host-device, and never one the host
// is using — mounted (itself or a partition), swapped on, or held by another device (LVM,
// RAID, dm-crypt). The message says which.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { JootError } from '../../core/errors.js';
import { mountsSync } from '../../core/mountinfo.js';

function sysName(dev: string): string | undefined {
  try {
    const st = statSync(dev);
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    return basename(readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8').match(/^DEVNAME=(.+)$/m)?.[1] ?? '');
  } catch {
    return undefined;
  }
}

/** The device and its partitions, by kernel name (sda, sda1, …). */
function family(name: string): string[] {
  let parts: string[] = [];
  try {
    parts = readdirSync(`/sys/class/block/${name}`).filter((e) => e.startsWith(name));
  } catch {
    // not a whole disk: no partitions below it
  }
  return [name, ...parts];
}

export function refuseHostDeviceInUse(dev: string): void {
  const name = sysName(dev);
  if (!name) throw new JootError('EINVAL', `${dev}: cannot find this block device in /sys`);
  const names = family(name);
  const mounts = mountsSync();
  for (const n of names) {
    const devno = readFileSync(`/sys/class/block/${n}/dev`, 'utf8').trim();
    const m = mounts.find((e) => e.devno === devno);
    if (m) throw new JootError('EBUSY', `${dev}: in use by the host: /dev/${n} is mounted on ${m.mountpoint}`);
    const holders = readdirSync(`/sys/class/block/${n}/holders`);
    if (holders.length)
      throw new JootError('EBUSY', `${dev}: in use by the host: /dev/${n} is held by ${holders.join(', ')} (LVM, RAID or dm-crypt)`);
  }
  const swaps = readFileSync('/proc/swaps', 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0]);
  for (const n of names)
    if (swaps.includes(`/dev/${n}`)) throw new JootError('EBUSY', `${dev}: in use by the host: /dev/${n} is an active swap device`);
}
