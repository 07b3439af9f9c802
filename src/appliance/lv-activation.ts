// guestfish's vg-activate: which volume groups are deactivated. jfish never activates a VG in the
// host's device-mapper (an LV is read from its extents, in-process or through a loop device of
// its own), so activation is the session's own record: an LV of a deactivated VG is still listed
// (as `lvm lvs` lists it) but cannot be mounted or opened until its VG is activated again.
import { JootError } from '../core/errors.js';
import type { LvInfo } from '../disk/types.js';

/** The LV a device name names: /dev/VG/LV, VG/LV or /dev/mapper/VG-LV (dashes doubled). */
export function lvNamed(lvs: readonly LvInfo[], name: string): LvInfo | undefined {
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(name);
  if (mapper) {
    const esc = (s: string) => s.replaceAll('-', '--');
    return lvs.find((l) => `${esc(l.vg)}-${esc(l.lv)}` === mapper[1]);
  }
  return lvs.find((l) => l.name === name || `${l.vg}/${l.lv}` === name);
}

export class LvActivation {
  private readonly inactive = new Set<string>();

  /**
   * Activate or deactivate `vgs` (every VG of the session when empty). Deactivating a VG one of
   * whose LVs is mounted is refused, as LVM refuses an LV in use.
   */
  set(activate: boolean, vgs: readonly string[], known: readonly string[], lvs: readonly LvInfo[], mounted: readonly string[]): void {
    for (const vg of vgs) if (!known.includes(vg)) throw new JootError('ENOENT', `${vg}: no such volume group`);
    const which = vgs.length > 0 ? vgs : known;
    if (!activate) {
      for (const device of mounted) {
        const lv = lvNamed(lvs, device);
        if (lv && which.includes(lv.vg))
          throw new JootError('EBUSY', `${lv.name}: in use: it is mounted (umount it before deactivating ${lv.vg})`);
      }
    }
    for (const vg of which) {
      if (activate) this.inactive.delete(vg);
      else this.inactive.add(vg);
    }
  }

  /** A renamed VG keeps its state (vgrename of a deactivated VG leaves it deactivated). */
  renamed(from: string, to: string): void {
    if (this.inactive.delete(from)) this.inactive.add(to);
  }

  /** Refuse a device that is an LV of a deactivated VG. */
  check(lvs: readonly LvInfo[], device: string): void {
    if (this.inactive.size === 0) return;
    const lv = lvNamed(lvs, device);
    if (lv && this.inactive.has(lv.vg))
      throw new JootError('ESTATE', `${lv.name}: the logical volume is not active (vg-activate true ${lv.vg} first)`);
  }
}
