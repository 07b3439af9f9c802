// UUID (volume serial) formats per filesystem, checked before any tool runs: the tools'
// own messages for a malformed one vary from clear to none (xfs_admin, fatlabel), and a
// normalized form is what each tool wants.
import { JootError } from '../../core/errors.js';
import { normalizeFsType, type FsType } from './types.js';

const RFC4122 = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The uuid in the form the tools take, or EINVAL saying the expected form:
 * - ext2/3/4, xfs, btrfs, swap: a standard UUID (lowercased);
 * - vfat: a 32-bit volume id, 8 hex digits, optionally written like blkid shows it (ABCD-1234);
 * - ntfs: a 64-bit volume serial, 16 hex digits (blkid shows it that way).
 */
export function validateUuid(type: string, uuid: string): { type: FsType; uuid: string } {
  const t = normalizeFsType(type);
  const u = uuid.trim();
  if (t === 'vfat') {
    const m = /^([0-9a-f]{4})-?([0-9a-f]{4})$/i.exec(u);
    if (!m) throw new JootError('EINVAL', `'${uuid}' is not a vfat volume id (8 hex digits, e.g. 1234-ABCD)`);
    return { type: t, uuid: `${m[1]}${m[2]}`.toUpperCase() };
  }
  if (t === 'ntfs') {
    if (!/^[0-9a-f]{16}$/i.test(u))
      throw new JootError('EINVAL', `'${uuid}' is not an ntfs volume serial (16 hex digits, e.g. 0123456789ABCDEF)`);
    return { type: t, uuid: u.toUpperCase() };
  }
  if (!RFC4122.test(u)) throw new JootError('EINVAL', `'${uuid}' is not a UUID (like 01234567-89ab-cdef-0123-456789abcdef)`);
  return { type: t, uuid: u.toLowerCase() };
}
