// The /dev/mdN names arrays get. libguestfs's appliance has no mdadm.conf: mdadm (and the udev
// rules that assemble members as they appear, in parallel) picks numbers from 127 downwards for
// arrays with a 1.x name, while a 0.90 array takes the minor it was made as (md_minor) when that
// is free. Which 1.x array gets which number follows the order the appliance happens to see its
// members in, and that order is not reproducible (udev handles devices in parallel: the same
// three disks gave different orders in two appliance runs), so here it is fixed: 0.90 arrays
// first, at their preferred minor; then the others in the order of their first member in the
// session's device list, each taking the highest free number from 127 down.
import type { MdSuperblock } from './superblock.js';

export interface NameRequest {
  sb: MdSuperblock;
  /** index of its first member in the session's device order */
  first: number;
}

/** /dev/mdN for each request, in the order given. */
export function assignNames(reqs: NameRequest[]): string[] {
  const used = new Set<number>();
  const out: string[] = new Array(reqs.length);
  const v090 = reqs.map((r, i) => ({ r, i })).filter(({ r }) => r.sb.metadata === '0.90');
  for (const { r, i } of v090) {
    const m = r.sb.preferredMinor;
    if (m >= 0 && m <= 127 && !used.has(m)) {
      used.add(m);
      out[i] = `/dev/md${m}`;
    }
  }
  const rest = reqs.map((r, i) => ({ r, i })).filter(({ i }) => out[i] === undefined);
  rest.sort((a, b) => a.r.first - b.r.first);
  let next = 127;
  for (const { i } of rest) {
    while (used.has(next)) next--;
    // past md0 (more than 128 arrays): mdadm goes on with higher numbers; so do we
    const n = next >= 0 ? next : 128 + i;
    used.add(n);
    out[i] = `/dev/md${n}`;
  }
  return out;
}
