// Which VG an LVM change names, as the host's lvm tools must be told. A VG shown as VG@DEV
// (another VG on the attached disks has the same name: src/disk/volumes/lvm/vg-names.ts) is
// stored as plain VG, and lvm refuses to pick between namesakes ("Multiple VGs found with the
// same name"); so a change to one of several namesakes runs with --devices limited to that VG's
// own PVs, where lvm sees exactly one VG of that name. Nothing is activated either way: the host
// LVM could not activate two VGs of one name at once, and joot maps LVs itself.
import { JootError } from '../../core/errors.js';
import { storedVgName } from '../../disk/volumes/lvm/vg-names.js';
import type { VgInfo } from '../types.js';

/** What of the session's LayoutAccess (editor.ts) this needs. */
interface VgAccess {
  vgs(): VgInfo[];
  /** host devices LVM may look at: the session's disks and partitions */
  lvmScope(): string[];
  canonicalOf(host: string): string;
}

export interface VgTarget {
  /** the name in the VG's metadata, as lvm takes it */
  name: string;
  /** the host devices lvm may look at for this change */
  scope: string[];
}

/** The VG shown as `shown`, ready for an lvm command; ENOENT when there is none. */
export function vgTarget(access: VgAccess, shown: string): VgTarget {
  const vgs = access.vgs();
  const info = vgs.find((v) => v.name === shown);
  if (!info) throw new JootError('ENOENT', `${shown}: no such volume group`);
  const name = storedVgName(info.name);
  const scope = access.lvmScope();
  if (!vgs.some((v) => v !== info && storedVgName(v.name) === name)) return { name, scope };
  const own = new Set(info.pvs);
  return { name, scope: scope.filter((host) => own.has(access.canonicalOf(host))) };
}

/** Whether some VG on the attached disks is stored under `name` (shown as it, or as name@DEV). */
export function vgNameTaken(access: Pick<VgAccess, 'vgs'>, name: string): boolean {
  return access.vgs().some((v) => storedVgName(v.name) === name);
}
