// The umask guestfish's daemon applies to the nodes it creates (umask, get-umask, mkdir-mode,
// mknod, mkfifo…), one per session, 022 until changed. It is jfish's own number, never the
// process's: the host files jfish writes (download, tar-out) keep the user's umask.
import { JootError } from '../core/errors.js';

const masks = new WeakMap<object, number>();

export const DEFAULT_UMASK = 0o22;

export function getUmask(session: object): number {
  return masks.get(session) ?? DEFAULT_UMASK;
}

/** Set the session's umask (mask & 0777); the previous one. */
export function setUmask(session: object, mask: number): number {
  if (!Number.isInteger(mask) || mask < 0) throw new JootError('EINVAL', `umask: ${mask}: the mask must be a non-negative integer`);
  const old = getUmask(session);
  masks.set(session, mask & 0o777);
  return old;
}

/** guestfish prints a umask in octal with a leading 0 ("022"; "0" for none). */
export function octal(mask: number): string {
  return mask === 0 ? '0' : `0${mask.toString(8)}`;
}
