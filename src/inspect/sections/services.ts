// --with services: the services enabled at boot. systemd: the symlinks in
// /etc/systemd/system/*.wants (and *.requires) whose target exists inside the guest (a dangling
// link enables nothing); OpenRC: the scripts of /etc/runlevels/*. Unit and script names only.
import type { GuestFiles, Service } from '../types.js';
import { DIR_MAX_ENTRIES, FILES_MAX, listDir } from './bounded.js';

/** links looked at in all, at most */
export const MAX_LINKS = 4096;

async function collect(files: GuestFiles, dirs: { path: string; by: string }[]): Promise<Service[]> {
  const byName = new Map<string, Set<string>>();
  let budget = MAX_LINKS;
  for (const { path, by } of dirs.slice(0, FILES_MAX)) {
    for (const name of await listDir(files, path, DIR_MAX_ENTRIES)) {
      if (budget-- <= 0) break;
      // exists() follows the link inside the guest: it must lead to a unit or script
      if (!(await files.exists(`${path}/${name}`))) continue;
      (byName.get(name) ?? byName.set(name, new Set()).get(name)!).add(by);
    }
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, by]) => ({ name, wanted_by: [...by].sort() }));
}

export async function systemdServices(files: GuestFiles): Promise<Service[]> {
  const base = '/etc/systemd/system';
  const dirs = (await listDir(files, base))
    .filter((n) => /\.(wants|requires)$/.test(n))
    .map((n) => ({ path: `${base}/${n}`, by: n.replace(/\.(wants|requires)$/, '') }));
  return collect(files, dirs);
}

export async function openrcServices(files: GuestFiles): Promise<Service[]> {
  const base = '/etc/runlevels';
  const dirs = (await listDir(files, base)).map((n) => ({ path: `${base}/${n}`, by: n }));
  return collect(files, dirs);
}
