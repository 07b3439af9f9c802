// --with services: the init system, from what /sbin/init is (followed inside the guest) and,
// where it is a plain binary or absent, from the files each init system leaves.
import type { GuestFiles } from '../types.js';
import { followLinks, readConfig } from './bounded.js';

// /sbin/init's final target's name → the init system
const BY_TARGET: [RegExp, string][] = [
  [/^systemd$/, 'systemd'],
  [/^openrc-init$/, 'openrc'],
  [/^runit(-init)?$/, 'runit'],
  [/^upstart$/, 'upstart'],
  [/^s6-(svscan|linux-init)$/, 's6'],
  [/^dinit$/, 'dinit'],
  [/^shepherd$/, 'shepherd'],
];

async function fromInittab(files: GuestFiles, warnings: string[]): Promise<string | undefined> {
  const inittab = await readConfig(files, '/etc/inittab', warnings, 256 * 1024);
  if (inittab === undefined) return undefined;
  // Alpine and Gentoo run OpenRC from inittab's sysinit line
  return /^[^#]*\bopenrc\b/m.test(inittab) ? 'openrc' : undefined;
}

export async function initSystem(files: GuestFiles, warnings: string[]): Promise<string | undefined> {
  for (const path of ['/sbin/init', '/usr/sbin/init', '/usr/lib/systemd/systemd', '/lib/systemd/systemd']) {
    const last = await followLinks(files, path);
    if (!(await files.isFile(last))) continue;
    const name = last.split('/').pop()!;
    const hit = BY_TARGET.find(([re]) => re.test(name));
    if (hit) return hit[1];
    if (name === 'busybox') return (await fromInittab(files, warnings)) ?? 'busybox';
    if (path.endsWith('/systemd')) continue;
    // a plain /sbin/init: sysvinit, unless inittab hands over to OpenRC or runit is set up
    const viaInittab = await fromInittab(files, warnings);
    if (viaInittab) return viaInittab;
    if (await files.isDir('/etc/runit')) return 'runit';
    return 'sysvinit';
  }
  return undefined;
}
