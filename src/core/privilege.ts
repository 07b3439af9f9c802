// The kernel engine attaches loop devices, mounts filesystems and writes /run/joot: all of it
// needs root. Say so once, up front, instead of letting the first losetup or mkdir fail with
// a host error ("Permission denied") that names none of this.
import { JootError } from './errors.js';

export const NEEDS_ROOT = 'the kernel engine needs root (attaches loop devices and mounts); run as root';

/** Throws a one-line EPERM JootError unless the process runs as root (effective uid 0). */
export function requireRoot(euid: number | undefined = process.geteuid?.()): void {
  if (euid !== 0) throw new JootError('EPERM', NEEDS_ROOT);
}
