// The pieces of guest path walking that both engines share — the in-process resolver
// (GuestTree) and the host-side one (GuestReader, GuestWriter) — so that both split paths and
// cap link hops alike.

/** Like Linux MAXSYMLINKS. */
export const MAX_SYMLINK_HOPS = 40;

/** Split a path (guest path or link target) into components, in reverse order, ready
 *  to be pushed onto the pending stack. A trailing slash becomes a final "." so the
 *  component before it is followed and must be a directory (POSIX trailing-slash rule). */
export function pushComponents(pending: string[], p: string): void {
  const parts = p.split('/');
  if (p.length > 0 && p.endsWith('/') && parts.some((c) => c !== '')) pending.push('.');
  for (let i = parts.length - 1; i >= 0; i--) {
    const c = parts[i]!;
    if (c !== '') pending.push(c);
  }
}
