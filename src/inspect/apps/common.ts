// What every package-database reader shares: the result shape, the sort order, and the
// "[epoch:]version[-release]" split (dpkg, apk and pacman all write versions that way).
import type { Application } from '../types.js';

/** An application list, or why there is none. `undefined` from a lister means "no such
 *  package database here", which is normal. */
export type AppsResult = { applications: Application[]; warnings: string[] } | { error: string };

/** "[epoch:]version[-release]" → parts (release after the LAST '-'); undefined when unusable. */
export function splitEpochVersionRelease(v: string): { epoch: number; version: string; release: string } | undefined {
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) return undefined;
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 0x7fffffff) return undefined;
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : '';
  if (version === '') return undefined;
  return { epoch, version, release };
}

/** Sort by name in place (code-unit order: strcmp's order for ASCII names). The sort is
 *  stable, so same-named entries (multi-arch) keep their database order. */
export function sortApplications(apps: Application[]): Application[] {
  return apps.sort(byName);
}

function byName(a: Application, b: Application): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
