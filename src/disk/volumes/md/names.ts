// The names libguestfs's appliance gives assembled arrays. Its init runs `mdadm -As --auto=yes
// --no-degraded`, then `mdadm -As --auto=yes --run` (for degraded arrays), with no mdadm.conf.
import type { MdSuperblock } from './superblock.js';

export interface NameRequest {
  sb: MdSuperblock;
  /** every role has a member (assembled in the first, --no-degraded pass) */
  complete: boolean;
  /** index of its first member in the session's device order */
  first: number;
}

/** /dev/mdN for each request, in the order given. */
export function assignNames(reqs: NameRequest[]): string[] {
  const order = reqs.map((r, i) => ({ r, i })).sort((a, b) => Number(b.r.complete) - Number(a.r.complete) || b.r.first - a.r.first);
  const used = new Set<number>();
  const out: string[] = new Array(reqs.length);
  for (const { r, i } of order) {
    let n =
      r.sb.metadata === '0.90' && r.sb.preferredMinor >= 0 && r.sb.preferredMinor < 512 && !used.has(r.sb.preferredMinor)
        ? r.sb.preferredMinor
        : 127;
    while (used.has(n) && n > 0) n--;
    used.add(n);
    out[i] = `/dev/md${n}`;
  }
  return out;
}
