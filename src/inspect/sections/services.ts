// --with services: the services enabled at boot. systemd: the symlinks in
// /etc/systemd/system/*.wants (and *.requires) whose target exists inside the guest (a dangling
// link enables nothing); OpenRC: the scripts of /etc/runlevels/*; sysvinit: the S links of the
// default runlevel's /etc/rcN.d; runit: the services linked into its runsvdir. Names only.
import type { GuestFiles, Service } from '../types.js';
import { DIR_MAX_ENTRIES, FILES_MAX, listDir, readConfig } from './bounded.js';

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

/** sysvinit: the default runlevel (inittab's initdefault, else Debian's 2), its S links. */
export async function sysvServices(files: GuestFiles, warnings: string[]): Promise<Service[]> {
  const inittab = (await readConfig(files, '/etc/inittab', warnings, 256 * 1024)) ?? '';
  const level = /^[^#:]*:([0-6S]):initdefault:/m.exec(inittab)?.[1] ?? '2';
  const out: Service[] = [];
  for (const dir of ['/etc/rcS.d', `/etc/rc${level}.d`, `/etc/rc.d/rc${level}.d`]) {
    for (const s of await collect(files, [{ path: dir, by: `runlevel ${dir === '/etc/rcS.d' ? 'S' : level}` }])) {
      const m = /^S\d\d(.+)$/.exec(s.name);
      if (!m) continue;
      const known = out.find((x) => x.name === m[1]);
      if (known) known.wanted_by = [...new Set([...(known.wanted_by ?? []), ...(s.wanted_by ?? [])])].sort();
      else out.push({ name: m[1]!, wanted_by: s.wanted_by ?? [] });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** runit: the services linked into the default runsvdir (Void, Artix) or /etc/service. */
export async function runitServices(files: GuestFiles): Promise<Service[]> {
  return collect(files, [
    { path: '/etc/runit/runsvdir/default', by: 'default' },
    { path: '/etc/service', by: 'service' },
    { path: '/var/service', by: 'service' },
  ]);
}
