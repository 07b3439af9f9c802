// The names under which VGs are shown when several VGs on the attached disks share one name (two
// cloned guests, two installs that both made "vg0"). LVM itself refuses to pick one; joot keeps
// them all: the VG whose first PV comes first in disk order keeps its own name (/dev/vg0/root),
// every other namesake is VG@DEV, DEV being its first PV's device without /dev/ (/dev/vg0@sdb2/root,
// /dev/mapper/vg0@sdb2-root).
//
// Why '@' and the PV device: a VG name holds only [A-Za-z0-9+_.-] (lvm2's validate_name), so a
// name with '@' can never be a real VG's, and everything after the '@' is dropped to get the name
// back; '@' needs no quoting in a shell or a jfish line, and is not '-', so /dev/mapper/VG@DEV-LV
// still splits at its single dash. A PV belongs to one VG, so no two VGs have the same first PV:
// the names never collide, and they stay the same as long as the disks are added in the same
// order (a VG uuid would be stable under reordering too, but tells a person nothing, and cloned
// disks share theirs until vgimportclone). Both engines name through here.
import { compareNatural } from '../../../core/collate.js';

export interface VgIdentity {
  /** the name in the VG's metadata */
  name: string;
  uuid: string;
  /** canonical devices of its PVs that are present (/dev/sda2, /dev/md127, /dev/mapper/luks-…) */
  pvs: readonly string[];
}

/** The separator between a VG's own name and the device that tells it from its namesakes. */
export const VG_NAMESAKE_MARK = '@';

/** The VG's name as stored in its metadata: the shown name without its @DEV. */
export function storedVgName(shown: string): string {
  const at = shown.indexOf(VG_NAMESAKE_MARK);
  return at < 0 ? shown : shown.slice(0, at);
}

/** /dev/sdX(N) in the kernel's order (sdz before sdaa), then every other device by name. */
export function compareDiskOrder(a: string, b: string): number {
  const sd = (s: string) => /^\/dev\/sd([a-z]+)(\d*)$/.exec(s);
  const ma = sd(a);
  const mb = sd(b);
  if (ma && mb) {
    const la = ma[1]!;
    const lb = mb[1]!;
    if (la.length !== lb.length) return la.length - lb.length;
    if (la !== lb) return la < lb ? -1 : 1;
    return Number(ma[2] || 0) - Number(mb[2] || 0);
  }
  if (ma || mb) return ma ? -1 : 1;
  return compareNatural(a, b);
}

/** VG uuid → the name it is shown under (its own name unless a namesake's PVs come first). */
export function shownVgNames(vgs: readonly VgIdentity[]): Map<string, string> {
  const firstPv = (v: VgIdentity): string | undefined => [...v.pvs].sort(compareDiskOrder)[0];
  const byName = new Map<string, VgIdentity[]>();
  for (const v of vgs) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
  const shown = new Map<string, string>();
  for (const [name, group] of byName) {
    const ordered = [...group].sort((a, b) => {
      const pa = firstPv(a);
      const pb = firstPv(b);
      if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
      return compareDiskOrder(pa, pb) || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);
    });
    const taken = new Set<string>();
    for (const [i, v] of ordered.entries()) {
      const pv = firstPv(v);
      let s = i === 0 ? name : `${name}${VG_NAMESAKE_MARK}${pv?.slice(pv.lastIndexOf('/') + 1) ?? v.uuid}`;
      // two PVs whose last path components agree (/dev/md/x, /dev/mapper/x): the uuid instead
      if (taken.has(s)) s = `${name}${VG_NAMESAKE_MARK}${v.uuid}`;
      taken.add(s);
      shown.set(v.uuid, s);
    }
  }
  return shown;
}

/**
 * The order of LV paths and VG names: as compareNatural orders them with each @DEV removed
 * (so a set without namesakes keeps the order it always had), a VG's namesakes right after it.
 */
export function compareShownNames(a: string, b: string): number {
  const strip = (s: string) => s.replace(/@[^/]*/, '');
  const suffix = (s: string) => /@[^/]*/.exec(s)?.[0] ?? '';
  return compareNatural(strip(a), strip(b)) || compareDiskOrderOfMarks(suffix(a), suffix(b));
}

/** '' (the plain name) first, then @sdb before @sdc before @sdaa. */
function compareDiskOrderOfMarks(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '' || b === '') return a === '' ? -1 : 1;
  return compareDiskOrder(`/dev/${a.slice(1)}`, `/dev/${b.slice(1)}`);
}
