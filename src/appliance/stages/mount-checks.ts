// The checks and words both engines' mount tables share (the kernel engine's Mounts, the
// userspace engine's TreeMounts), so that a refused mount or umount reads alike on either.
import { JootError } from '../../core/errors.js';
import { normalizeDevice } from '../names.js';
import type { MountInfo } from '../types.js';

/**
 * A mountpoint as both engines take it: an absolute guest path, any run of slashes alone being
 * '/'; anything below '/' wants a filesystem on '/' first. Returns the mountpoint to use.
 */
export function checkMountpoint(mountpoint: string, hasRoot: boolean): string {
  if (!mountpoint.startsWith('/')) throw new JootError('EINVAL', `${mountpoint}: mountpoint must be an absolute guest path`);
  if (/^\/+$/.test(mountpoint)) return '/';
  if (!hasRoot) throw new JootError('ESTATE', `${mountpoint}: mount a filesystem on / first`);
  return mountpoint;
}

/** The filesystem type to mount `shown` (the device as listed) with, refused when there is none to mount. */
export function checkMountable(shown: string, vfstype: string | undefined): string {
  if (!vfstype) throw new JootError('EINVAL', `${shown}: no filesystem found`);
  if (vfstype === 'swap' || vfstype === 'LVM2_member') throw new JootError('EINVAL', `${shown}: is ${vfstype}, not a mountable filesystem`);
  return vfstype;
}

/**
 * The mount `umount` names (by mountpoint, or by device: `device`, the engine's reading of the
 * name), refused when absent or when something is mounted below it.
 */
export function findUnmountable<M extends MountInfo>(
  mounted: readonly M[],
  mountpointOrDevice: string,
  device = normalizeDevice(mountpointOrDevice),
): M {
  const m = mounted.find((x) => x.mountpoint === mountpointOrDevice || x.device === device);
  if (!m) throw new JootError('EINVAL', `${mountpointOrDevice}: not mounted`);
  const below = mounted.filter((x) => x !== m && (m.mountpoint === '/' || x.mountpoint.startsWith(`${m.mountpoint}/`)));
  if (below.length) throw new JootError('EBUSY', `${m.mountpoint}: ${below[0]!.mountpoint} is mounted below it`);
  return m;
}

/** Mounts ordered by mountpoint (what `mounts` lists). */
export function byMountpoint(a: MountInfo, b: MountInfo): number {
  return a.mountpoint < b.mountpoint ? -1 : a.mountpoint > b.mountpoint ? 1 : 0;
}
